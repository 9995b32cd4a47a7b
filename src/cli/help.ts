// The text of `autoimmune --help` (every command in a line or two) and of `start --help`.
// Each other command's own help is beside it, in its file.

export const HELP = `autoimmune — a fault-tolerant, distributed network-defence system

Usage:
  autoimmune start [--config FILE] [--host ADDR] [--port N]
                   [--etcd URL[,URL…] --node-id ID [--join-secret FILE]] [--state-dir DIR]
      Run one node: the supervised actor tree and the status page and API on
      http://127.0.0.1:8000 by default; with --etcd it joins that cluster.
  autoimmune status [--json]
      The running node's actor tree.
  autoimmune replay --to URL FILE... [--speed max|1x|10x] [--json]
      Replay captures into a running node: detected and banned as if seen live.
      (Without --to: decode and enrich offline, nothing detected.)
  autoimmune block ADDR [--ttl 10m] [--reason TEXT] [--force]
      Ban an address or CIDR; re-blocking says what it replaced.
  autoimmune unblock ADDR
      Lift a ban.
  autoimmune bans [--json]
      The bans in force: origin, reason, country, AS, time left.
  autoimmune alerts [--limit N] [--type T] [--source ADDR] [--json] | inspect ID
      The node's alerts and what was done about each; one in full.
  autoimmune allow add ADDR [--note TEXT] | remove ADDR | list
      The allow-list at run time, kept across restarts; allowing lifts a ban.
  autoimmune protected [--json]
      What is never banned and why; the bans the firewall set aside.
  autoimmune ask "QUESTION" [--node ID] [--tz ZONE] [--json]
      Questions about stored alerts, bans and flows, in Spanish or English.
  autoimmune feeds import FILE [--format F] [--ttl 24h] | list | refresh NAME
      Threat-intel lists as bans (FireHOL, Spamhaus DROP, abuse.ch, CrowdSec, plain).
  autoimmune bouncers add NAME [--raw] | list | delete NAME
      CrowdSec bouncers that enforce this node's bans through its /v1/decisions API.
  autoimmune install-service [--state-dir DIR] [--config FILE] [--print]
      A systemd unit running the node with CAP_NET_RAW/CAP_NET_ADMIN, not root.
  autoimmune eval --benign FILE... --attack FILE... --attackers FILE
      Precision, recall and time to detection on labelled captures (JSON).
  autoimmune help COMMAND | COMMAND --help
      A command's own usage and options.
  autoimmune --help | --version

Every command that talks to a node takes --url URL, --token T, --state-dir DIR and
--config FILE, and finds the node as start leaves it: the state dir is --state-dir, else
node.stateDir of --config, else the default; the URL is --url, else the one the node wrote
in its state dir, else http.host:http.port of the config; the token is --token, else
$AUTOIMMUNE_TOKEN, else http.token of the config, else the one in the state dir.
`;

export const START_HELP = `Usage: autoimmune start [--config FILE] [--host ADDR] [--port N] [--state-dir DIR]
                        [--etcd URL[,URL…] --node-id ID [--join-secret FILE]]

Run one node in the foreground until Ctrl-C or SIGTERM: the supervised actor tree (capture,
shards, detection, response, firewall), the status page and the API on http://127.0.0.1:8000
by default. Without --etcd it runs alone on the embedded coordinator; with --etcd it joins
that cluster: it registers under a lease, takes part in the leader election and runs the
shards placement gives it (config/cluster-3.json is a three-node example; npm run cluster).
Every problem with the configuration is reported, all at once, before anything starts; a
port in use is one line naming the setting. The node writes its URL and token into its state
dir, where the other commands on this host find them.

Options:
  --config FILE       a JSON file laid over config/default.json; unknown keys are errors
  --host ADDR         address to listen on (http.host)
  --port N            port to listen on, 0 for any free one (http.port)
  --state-dir DIR     where the node keeps its token, URL, bans, keys and models (node.stateDir)
  --etcd URLS         etcd endpoints, comma-separated (cluster.etcd), e.g. http://127.0.0.1:2379
  --node-id ID        this node's id in the cluster (node.id; default: the host name)
  --join-secret FILE  the cluster's join secret (cluster.joinSecretFile); default
                      cluster-join.key in the state dir, made there by a new cluster's
                      first node: give the other nodes a copy
`;
