// The text of `autoimmune --help`.

export const HELP = `autoimmune — a fault-tolerant, distributed network-defence system

Usage:
  autoimmune start [--config FILE] [--host ADDR] [--port N]
                   [--etcd URL[,URL…] --node-id ID [--join-secret FILE]] [--state-dir DIR]
      Run one node: the supervised actor tree and the status page and API on
      http://127.0.0.1:8000 by default. Without --etcd it runs alone on the
      embedded coordinator; with --etcd it joins that cluster: it registers under
      a lease, takes part in the leader election and runs the shards placement
      gives it (config/cluster-3.json is a three-node example; see npm run cluster).
  autoimmune status [--url URL] [--json]
      Print the running node's actor tree through its HTTP API.
  autoimmune replay FILE... [--speed max|1x|10x] [--shards N] [--json]
      Send .pcap/.pcapng files through the packet path (decode, shards, flow
      features, GeoIP) with a progress bar, then print a summary.
  autoimmune block ADDR [--ttl 10m] [--reason TEXT] [--force]
      Ban an address or CIDR on every firewall of the node for a TTL (default
      from responder.manualTtl). Protected addresses are refused; the network's
      infrastructure (a gateway, resolver or NTP server) only with --force.
  autoimmune unblock ADDR
      Lift a ban.
  autoimmune bans [--json]
      The bans in force, with time left, who decided and why.
  autoimmune protected [--json]
      What is never banned, with where each entry came from (loopback, this
      node, the allow-list, the cluster, etcd, gateways, resolvers, NTP), and
      the bans the firewall set aside.
  autoimmune ask "QUESTION" [--node ID] [--tz ZONE] [--json]
      Ask the running node about the stored alerts, bans and flows, in Spanish or
      English ("¿Qué amenazas hemos visto desde China hoy?", "top 5 sources in the
      last hour", "how many flows to port 22 today"). Answers from the data, across the cluster unless --node, with the
      query it ran. A command ("bloquea …") gives a dry run to confirm with
      autoimmune ask --confirm ID --tool block_addresses.
  autoimmune feeds import FILE [--format F] [--ttl 24h] | list | refresh NAME
      Ban the addresses of a threat-intel list (FireHOL, Spamhaus DROP, abuse.ch Feodo,
      CrowdSec CSV/JSON, plain) on the running node, applying only the difference.
  autoimmune bouncers add NAME [--raw] | list | delete NAME
      CrowdSec bouncers that enforce this node's bans through its /v1/decisions API.
  autoimmune install-service [--state-dir DIR] [--config FILE] [--print]
      Write a systemd unit running the node with CAP_NET_RAW/CAP_NET_ADMIN, not root.
  autoimmune eval --benign FILE [--benign FILE]... --attack FILE [--attack FILE]... --attackers FILE
      Merge benign and attack captures on one timeline, run the whole pipeline with
      the dry-run firewall and print JSON: precision and recall of blocks, time to
      detection, attempts before the ban for brute force, the model's ROC AUC.
      (autoimmune eval --help for more)
  autoimmune --help | --version

Options:
  --config FILE   a JSON file laid over config/default.json; unknown keys are errors
  --host ADDR     address to listen on (http.host)
  --port N        port to listen on, 0 for any free one (http.port)
  --etcd URLS     etcd endpoints, comma-separated (cluster.etcd), e.g. http://127.0.0.1:2379
  --node-id ID    this node's id in the cluster (node.id; default: the host name)
  --state-dir DIR where the node keeps its token, keys and models (node.stateDir)
  --join-secret FILE  the cluster's join secret (cluster.joinSecretFile); default
                  cluster-join.key in the state dir, made there by a new cluster's
                  first node: give the other nodes a copy
  --url URL       the node to ask (default http://127.0.0.1:8000)
  --json          print the raw JSON (status: the snapshot; replay: the summary)
  --speed S       replay as fast as possible (max, the default) or at the recorded
                  timing sped up: 1x, 10x, …
  --shards N      enricher shards for replay (default 2)
  --token T       API token for block/unblock (default: $AUTOIMMUNE_TOKEN, or the
                  one the node keeps in its state dir)
`;
