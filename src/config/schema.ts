// The configuration schema (TypeBox, as fastify uses). Every object refuses unknown keys:
// a misspelt option is an error, never silently ignored.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { FEED_FORMATS } from '../feeds/feed-formats.ts';

const strict = { additionalProperties: false } as const;
const oneOf = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), { description });

export const IntensitySchema = Type.Object(
  {
    maxRestarts: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'restarts allowed within periodMs before the supervisor gives up' }),
    periodMs: Type.Integer({ minimum: 1, maximum: 86_400_000 }),
  },
  strict,
);

export const BackoffSchema = Type.Object(
  {
    baseMs: Type.Integer({ minimum: 0, maximum: 3_600_000, description: 'delay before the second consecutive restart (the first is immediate)' }),
    maxMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
    factor: Type.Number({ minimum: 1, maximum: 10 }),
    jitter: Type.Number({ minimum: 0, maximum: 1 }),
    resetAfterMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
  },
  strict,
);

export const MailboxSchema = Type.Object(
  {
    capacity: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
    overflow: oneOf(['reject', 'drop-oldest', 'drop-lowest-priority'] as const, 'what a full mailbox does with one more message'),
  },
  strict,
);

export const ConfigSchema = Type.Object(
  {
    node: Type.Object(
      {
        id: Type.String({ pattern: '^(auto|[A-Za-z0-9][A-Za-z0-9_-]{0,62})$', description: '"auto" uses the host name' }),
        stateDir: Type.String({ minLength: 1, description: 'where the node keeps its models and API token; "auto": $XDG_STATE_HOME/autoimmune or ~/.local/state/autoimmune' }),
      },
      strict,
    ),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1, description: 'address the status page and API listen on' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, description: '0 picks a free port' }),
        token: Type.Union([Type.Null(), Type.String({ minLength: 16 })], { description: 'bearer token for mutating calls; null generates one at first start' }),
        blockRate: Type.Object(
          {
            perS: Type.Number({ exclusiveMinimum: 0, maximum: 100_000, description: 'block requests per second the API accepts (429 past it)' }),
            burst: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          },
          strict,
        ),
        allowedHosts: Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9._:\\[\\]-]+$' }), {
          maxItems: 256,
          description: 'names (or addresses) the node is reached by, besides localhost, 127.0.0.1, [::1] and http.host; any other Host header is refused (DNS rebinding)',
        }),
        clientLimits: Type.Object(
          {
            perS: Type.Number({ exclusiveMinimum: 0, maximum: 100_000, description: 'questions and tool calls per second per client (429 past it)' }),
            burst: Type.Integer({ minimum: 1, maximum: 100_000 }),
            inFlight: Type.Integer({ minimum: 1, maximum: 1000, description: 'questions and tool calls of one client running at once' }),
          },
          { ...strict, description: 'per client (address, and token when shown) on POST /api/ask and /api/tools/*' },
        ),
        captureUploadMb: Type.Integer({ minimum: 1, maximum: 65_536, description: 'largest capture `autoimmune replay --to` may send, MB; written to the state dir while it is replayed' }),
      },
      strict,
    ),
    cluster: Type.Object(
      {
        name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$' }),
        etcd: Type.Array(Type.String({ pattern: '^https?://' }), { description: 'etcd endpoints; empty runs the embedded single-node coordinator' }),
        leaseTtlMs: Type.Integer({ minimum: 2000, maximum: 600_000, description: "the node's membership lease; etcd's minimum is about 2 s" }),
        etcdTls: Type.Object(
          {
            ca: Type.Union([Type.Null(), Type.String({ minLength: 1 })], { description: "PEM file of the CA that signed etcd's server certificates; null: the system's roots (https endpoints only)" }),
            cert: Type.Union([Type.Null(), Type.String({ minLength: 1 })], { description: "PEM file of this node's client certificate, for etcd's --client-cert-auth; null: none" }),
            key: Type.Union([Type.Null(), Type.String({ minLength: 1 })], { description: 'PEM file of its private key' }),
          },
          strict,
        ),
        etcdAuth: Type.Union(
          [
            Type.Null(),
            Type.Object(
              {
                user: Type.String({ minLength: 1, description: 'etcd user (etcd RBAC, auth enabled)' }),
                passwordFile: Type.String({ minLength: 1, description: "file holding the user's password (first line)" }),
              },
              strict,
            ),
          ],
          { description: 'etcd user and password; null: no etcd authentication' },
        ),
        joinSecretFile: Type.String({ minLength: 1, description: 'the cluster join secret a node needs to be admitted; "auto": cluster-join.key in the state dir (made there by the first node of a new cluster)' }),
        transport: Type.Object(
          {
            bind: Type.String({ pattern: '^tcp://[^:]+:\\d+$', description: 'where this node binds its ZeroMQ socket (port 0: any free one); the address is advertised in etcd' }),
            advertise: Type.String({ pattern: '^(auto|[A-Za-z0-9.:_-]+)$', description: 'the host other nodes connect to; "auto": the bind host, or the first non-loopback IPv4 address when bound to 0.0.0.0' }),
            curve: Type.Boolean({ description: 'CURVE encryption and authentication with the node keys published in etcd' }),
            envelope: Type.Boolean({ description: 'AES-256-GCM envelope with leader-rotated keys in etcd; redundant when curve is on' }),
            envelopeRotateS: Type.Integer({ minimum: 60, maximum: 30 * 86400, description: 'how often the leader makes a new envelope key' }),
            highWater: Type.Integer({ minimum: 16, maximum: 1_000_000, description: 'messages in flight per peer before lower-priority traffic is shed' }),
          },
          strict,
        ),
      },
      strict,
    ),
    pipeline: Type.Object(
      {
        shards: Type.Integer({ minimum: 0, maximum: 64, description: 'enricher/detector shards, packets going to one by a hash of their source address; 0: one per core on a single node, 2 in a cluster (its members must agree on a number)' }),
        batchSize: Type.Integer({ minimum: 1, maximum: 65536, description: 'packets per message between capture and shards' }),
        highWater: Type.Integer({ minimum: 1, maximum: 100_000, description: 'batches waiting at a shard before captures hold back' }),
        shardMailbox: MailboxSchema,
        workers: Type.Union([Type.Boolean(), Type.Literal('auto')], { description: '"auto": threads when the node has at least 4 cores (src/net/shard-count.ts says why); true: run each shard (enricher and detector) in a worker thread of its own, so shards use every core; in a cluster the setting of the leader decides how shards are placed (set the same on every member)' }),
        nice: Type.Union([Type.Null(), Type.Integer({ minimum: -20, maximum: 19 })], { description: 'the nice value of the packet path\'s threads (the main thread: capture, actor shards, detectors, the desk; shard threads; V8\'s GC helpers), set once the node has started; the event store\'s thread keeps its own. Below 0 they win a core from other work on the machine sooner, so decisions wait less (src/node/packet-path-priority.ts); with Linux autogroups on, a node that leads its session (a daemon) also gives the value to its session group, without which the threads win a core only from their own session (src/node/session-group-nice.ts); below a thread\'s own it needs root or CAP_SYS_NICE; null: left as started' }),
        warmUpPackets: Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'made-up packets of every kind run through throwaway copies of the packet path before the node takes traffic (and in each shard thread before it is ready), so the hot code is compiled at start, not on the first real packets (src/detect/warm-up.ts); 0: off' }),
      },
      strict,
    ),
    capture: Type.Object(
      {
        interfaces: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:@-]{1,64}$' }), { description: 'interfaces to capture on live (needs root or CAP_NET_RAW); empty: none' }),
        filter: Type.String({ maxLength: 4096, description: 'BPF filter, tcpdump syntax; empty: everything' }),
        promiscuous: Type.Boolean(),
        snaplen: Type.Integer({ minimum: 64, maximum: 262144 }),
        bufferMb: Type.Integer({ minimum: 1, maximum: 2048, description: 'kernel capture buffer per interface' }),
        queueBatches: Type.Integer({ minimum: 1, maximum: 4096, description: 'batches a live capture lets wait in the node (read and not yet routed, and at each shard) before it leaves packets in the kernel ring, where they are dropped and counted once it is full' }),
        lateMs: Type.Integer({ minimum: 0, maximum: 60_000, description: 'a live batch whose oldest packet is older than this (ms) when its shard takes it is late: the rules see it, its features, model scores and flow records are skipped and counted (late); 0: off. Replays are never late' }),
        replay: Type.Object(
          {
            files: Type.Array(Type.String({ minLength: 1 }), { description: '.pcap/.pcapng files this node replays as one more capture source (demos, tests); empty: none' }),
            pps: Type.Integer({ minimum: 0, maximum: 10_000_000, description: 'packets per second; 0 keeps the recorded timing' }),
            loop: Type.Boolean({ description: 'start over after the last file, for ever (each pass laid after the one before)' }),
          },
          strict,
        ),
      },
      strict,
    ),
    features: Type.Object(
      {
        maxHosts: Type.Integer({ minimum: 1, maximum: 16_777_216, description: 'source hosts the node tracks (each shard its share); the least recently seen are evicted past it' }),
        maxPairs: Type.Integer({ minimum: 1, maximum: 16_777_216, description: 'host pairs the node tracks (each shard its share)' }),
        maxSockets: Type.Integer({ minimum: 1, maximum: 16_777_216, description: 'socket pairs the node tracks (each shard its share)' }),
      },
      strict,
    ),
    geo: Type.Object(
      {
        cityDb: Type.Union([Type.Null(), Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
          description: 'GeoLite2/GeoIP2 City .mmdb file(s); null uses the bundled DB-IP Lite City databases',
        }),
        asnDb: Type.Union([Type.Null(), Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
          description: 'GeoLite2/GeoIP2 ASN .mmdb file(s); null: no ASN data',
        }),
        cacheSize: Type.Integer({ minimum: 1, maximum: 16_777_216 }),
        readCacheMb: Type.Integer({ minimum: 1, maximum: 4096, description: 'MB of each database file held in memory (its most used pages); the files are read on demand, never whole' }),
      },
      strict,
    ),
    rules: Type.Record(Type.String(), Type.Unknown(), {
      description: 'overrides of the rule detectors\' thresholds, section by section (defaults and their reasons: src/detect/rules/rules-config.ts); checked field by field at load',
    }),
    ruleTables: Type.Object(
      {
        maxSources: Type.Integer({ minimum: 1, maximum: 16_777_216, description: 'sources the rules keep state for (half-open, probes, per-source floods), and as many clients in each of the login, HTTP, form-login, HTTP-flood and connection-flood tables (each shard its share); the least recently seen are evicted past it' }),
        maxScanKeys: Type.Integer({ minimum: 1, maximum: 16_777_216, description: 'keys of the vertical (source, host) and horizontal (source, port) scan rules, and of the unanswered-UDP and pair-flood rules, each (each shard its share)' }),
        maxSockets: Type.Integer({ minimum: 1, maximum: 16_777_216, description: 'sockets the rules follow from their first packet to their end (each shard its share)' }),
        maxVictims: Type.Integer({ minimum: 1, maximum: 16_777_216, description: "victims the flood watch keeps flood state for (one per node)" }),
        maxPrefixes: Type.Integer({ minimum: 1, maximum: 16_777_216, description: 'prefixes (/24, IPv6 /48) the flood watch keeps carpet-bombing state for' }),
      },
      strict,
    ),
    responder: Type.Partial(
      Type.Object(
        {
          minScore: Type.Number({ minimum: 0, maximum: 1, description: 'alerts scoring below are recorded, not acted on' }),
          banTtlS: Type.Number({ exclusiveMinimum: 0, description: 'ban length of a first offence, seconds' }),
          escalation: Type.Object(
            {
              factor: Type.Number({ minimum: 1, description: 'ttl = banTtlS × factor^(offence − 1)' }),
              maxTtlS: Type.Number({ exclusiveMinimum: 0 }),
              memoryS: Type.Number({ minimum: 0, description: 'offences are forgotten this long after the last ban ends' }),
            },
            strict,
          ),
          rateLimit: Type.Object(
            {
              bans: Type.Integer({ minimum: 1 }),
              perS: Type.Number({ exclusiveMinimum: 0 }),
              deferS: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400, description: 'a ban the limit refuses is made when a token frees, if within this many seconds (0: dropped)' })),
            },
            { ...strict, description: 'automatic bans at most `bans` per `perS` seconds' },
          ),
          allow: Type.Array(Type.String({ minLength: 1 }), { description: 'addresses and CIDRs never banned, besides loopback and this node\'s own addresses' }),
          manualTtl: Type.Object({ minS: Type.Integer({ minimum: 1 }), maxS: Type.Integer({ minimum: 1 }), defaultS: Type.Integer({ minimum: 1 }) }, strict),
          forgeableBanTtlS: Type.Number({ minimum: 10, description: 'ban length when the evidence could be forged and the source never had a real session here (no escalation)' }),
          minPrefix: Type.Object(
            { v4: Type.Integer({ minimum: 0, maximum: 32 }), v6: Type.Integer({ minimum: 0, maximum: 128 }) },
            { ...strict, description: 'the widest net a ban may cover, per family (IPv4 /8, IPv6 /19 by default); the firewall refuses wider ones whatever wrote them' },
          ),
        },
        strict,
      ),
      strict,
    ),
    firewall: Type.Object(
      {
        backend: oneOf(['auto', 'nftables', 'iptables-ipset', 'xdp', 'dry-run'] as const, '"auto": nftables as root when nft works, else iptables+ipset, else dry-run; "xdp" only when chosen'),
        table: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,30}$', description: 'name of the nftables table (and prefix of the ipset sets and iptables chain) this node owns' }),
        xdp: Type.Object(
          {
            interfaces: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:@-]{1,15}$' }), { description: 'interfaces xdp-filter is attached to; empty: every interface that is up, loopback aside' }),
            mode: oneOf(['auto', 'native', 'skb'] as const, '"native" in the driver, "skb" generic (any interface, slower), "auto" native where the driver can, else skb'),
          },
          strict,
        ),
      },
      strict,
    ),
    store: Type.Object(
      {
        enabled: Type.Boolean({ description: 'keep alerts, decisions and flow summaries in the event store (questions, tools, "events like this one")' }),
        backend: oneOf(['duckdb', 'sqlite', 'memory'] as const, 'duckdb (measured: see the README), sqlite, or memory (the last memoryMinutes only, nothing on disk)'),
        thread: Type.Boolean({ description: 'run the database in a thread of its own, off the packet path\'s event loop (about 30–80 MB more resident memory)' }),
        memoryMinutes: Type.Integer({ minimum: 1, maximum: 1440, description: 'the newest events answered from memory' }),
        memoryRows: Type.Integer({ minimum: 1000, maximum: 10_000_000, description: 'rows the memory tier holds at most (older ones are answered from the database; with backend memory, all the store holds)' }),
        compactAfterHours: Type.Integer({ minimum: 1, maximum: 87_600, description: 'events older than this are kept as hourly rollups (counts by type, source, country, AS…)' }),
        retentionDays: Type.Integer({ minimum: 1, maximum: 3650, description: 'everything older is deleted' }),
        maxPending: Type.Integer({ minimum: 100, maximum: 10_000_000, description: 'events waiting for the database at most; past it the oldest are shed and counted' }),
        queryTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, description: 'how long a question waits for the other nodes of the cluster' }),
        duckdbMemoryMb: Type.Integer({ minimum: 16, maximum: 1_048_576, description: "DuckDB's memory_limit: its buffers and a query's working memory at most (past it a query spills to a temp file beside the database)" }),
        duckdbThreads: Type.Integer({ minimum: 1, maximum: 256, description: "DuckDB's worker threads (questions over days scan in parallel with more; each holds buffers of its own)" }),
        flows: Type.Object(
          {
            enabled: Type.Boolean({ description: 'store a summary of every flow (one direction of a 5-tuple, as NetFlow meters it) when it ends' }),
            idleTimeoutS: Type.Number({ exclusiveMinimum: 0, maximum: 86_400, description: 'a flow with no packet for this long has ended' }),
            activeTimeoutS: Type.Number({ exclusiveMinimum: 0, maximum: 86_400, description: 'a flow open this long is reported, and metered on as a new record' }),
            maxFlows: Type.Integer({ minimum: 16, maximum: 10_000_000, description: 'open flows the node tracks (each detector shard its share); past it the least recently seen is reported and dropped' }),
            attempts: Type.Object(
              {
                aggregate: Type.Boolean({ description: 'store unverified TCP attempts (a few packets, no verified session, never past the handshake: a spoofed flood\'s SYNs, a reflection\'s SYN-ACKs) as one row per target, port and slot instead of a row each; an unanswered reply (SYN-ACK, reset) is counted under its source port, aggregated or not' }),
                slotS: Type.Number({ minimum: 1, maximum: 3_600, description: 'the aggregates\' time slot, seconds' }),
                maxPackets: Type.Integer({ minimum: 1, maximum: 100, description: 'flows of more packets are never attempts (nor counted as unanswered replies)' }),
                portsPerTarget: Type.Integer({ minimum: 1, maximum: 65_536, description: 'distinct ports of one target (per protocol, kind and slot, in each detector shard) whose attempts keep rows of their own; attempts to further ports of it are one many-ports row (service tcp/* or udp/*) counting its distinct ports, so a spoofed flood to random ports stores this many rows a slot, not one per port' }),
                udp: Type.Boolean({ description: 'one-datagram UDP flows from unverified sources count towards portsPerTarget: rows of their own below it, the many-ports row past it (a UDP flood to random ports)' }),
                datagramsPerPort: Type.Integer({ minimum: 0, maximum: 65_535, description: 'with udp: one-datagram UDP flows from unverified sources to one of a target\'s first ports (per slot, in each detector shard) that keep rows of their own; further ones are one row per target, port and slot, so a spoofed UDP flood to a fixed port (53, 123) stores this many rows a slot and one more, not one per datagram' }),
              },
              strict,
            ),
          },
          strict,
        ),
      },
      strict,
    ),
    model: Type.Object(
      {
        enabled: Type.Boolean({ description: 'score packets with the anomaly model (rules run either way)' }),
        kind: Type.Union([Type.Literal('density'), Type.Literal('kitnet')], {
          description: 'density: per-feature histograms of benign traffic (HBOS), fitted in milliseconds; kitnet: the KitNET autoencoders (tfjs, trained in a worker)',
        }),
        flowScoring: Type.Boolean({ description: "score each packet by the damped mean of its flow's scores (host pair, or all toward its destination); false: per packet" }),
        graceRows: Type.Integer({ minimum: 100, maximum: 10_000_000, description: 'packets of live traffic the first model learns from before it scores anything' }),
        featureMapRows: Type.Integer({ minimum: 50, maximum: 10_000_000, description: 'of those, how many map correlated features into groups' }),
        maxGroupSize: Type.Integer({ minimum: 1, maximum: 100, description: 'features per autoencoder at most' }),
        epochs: Type.Integer({ minimum: 1, maximum: 1000 }),
        batchSize: Type.Integer({ minimum: 1, maximum: 65536, description: 'training mini-batch rows' }),
        learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 10 }),
        thresholdQuantile: Type.Number({ exclusiveMinimum: 0.5, exclusiveMaximum: 1, description: 'quantile of the benign score distribution (log-normal fit) above which a packet is anomalous' }),
        scoreBatchRows: Type.Integer({ minimum: 1, maximum: 65536, description: 'KitNET only: rows a detector gathers before the model scores them in one call (each call has a fixed cost); the density model scores each batch as it comes' }),
        scoreWaitMs: Type.Integer({ minimum: 0, maximum: 10_000, description: 'longest a row waits to be scored with others; rules never wait' }),
        anomalousPackets: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'anomalous packets from one source within windowS that make an anomaly alert' }),
        windowS: Type.Number({ exclusiveMinimum: 0, maximum: 86400 }),
        ban: Type.Boolean({ description: 'whether anomaly alerts alone may ban (rule alerts always can)' }),
        retrainIntervalS: Type.Integer({ minimum: 0, maximum: 604_800, description: 'seconds between retrainings on recent benign traffic; 0: never retrain' }),
        retrainRows: Type.Integer({ minimum: 100, maximum: 10_000_000, description: 'most recent benign-scored rows kept for retraining' }),
        sampleEvery: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'after the grace period, one benign-scored row in this many goes to the trainer' }),
        shadowRows: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'rows a candidate model scores in shadow before it is promoted or rejected' }),
        promoteMaxAlertRatio: Type.Number({ minimum: 0, maximum: 1000, description: "a candidate is promoted when its alert rate in shadow is at most this times the current model's" }),
        countryWeights: Type.Record(Type.String({ pattern: '^[A-Z]{2}$' }), Type.Number({ minimum: 0, maximum: 100 }), {
          description: 'multiply the anomaly score of sources in these countries (ISO codes), e.g. {"XX": 1.5}; empty: off',
        }),
      },
      strict,
    ),
    feeds: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$', description: 'the feed\'s bans have origin feed:<name>' }),
          url: Type.Optional(Type.String({ pattern: '^https?://', description: 'fetched on its cadence and kept in the state dir' })),
          file: Type.Optional(Type.String({ minLength: 1, description: 'read from disk on its cadence' })),
          format: Type.Optional(oneOf(['auto', ...FEED_FORMATS] as const, '"auto" (default): detected from the content')),
          refreshS: Type.Optional(Type.Integer({ minimum: 60, maximum: 604_800, description: 'seconds between refreshes (default 3600)' })),
          ttlS: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000, description: 'ban length of an entry (default 3 × refreshS)' })),
          timeoutS: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, description: 'time limit of a fetch (default 30)' })),
        },
        strict,
      ),
      { description: 'threat-intelligence lists banned as feed:<name> (FireHOL, Spamhaus DROP, abuse.ch Feodo, CrowdSec, plain); empty: none' },
    ),
    lapi: Type.Object(
      {
        enabled: Type.Boolean({ description: 'serve CrowdSec\'s bouncer API (/v1/decisions, /v1/decisions/stream) to bouncers registered with `autoimmune bouncers add`' }),
      },
      strict,
    ),
    notify: Type.Object(
      {
        queue: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'events waiting per webhook at most; past it the oldest are dropped and counted' }),
        webhooks: Type.Array(
          Type.Object(
            {
              name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' }),
              url: Type.String({ pattern: '^https?://' }),
              format: Type.Optional(oneOf(['json', 'slack'] as const, 'json (default): {node, events: [...]}; slack: {text, blocks} for a Slack-compatible incoming webhook')),
              events: Type.Optional(Type.Array(oneOf(['decision', 'alert'] as const, 'what to send'), { description: 'default ["decision"]' })),
              types: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'only these alert types or decision detectors (e.g. sshBruteForce, operator, feed:firehol); default: all' })),
              minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'only events scoring at least this (default 0)' })),
              batchMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000, description: 'gather events this long into one request (default 2000)' })),
              maxBatch: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'events per request at most (default 50)' })),
              retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 20, description: 'tries after the first, with exponential backoff (default 5)' })),
              timeoutS: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, description: 'time limit of a request (default 10)' })),
              headers: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), Type.String({ maxLength: 4096 }), { description: 'extra request headers (an Authorization, for instance)' })),
            },
            strict,
          ),
        ),
      },
      strict,
    ),
    supervision: Type.Object(
      {
        intensity: IntensitySchema,
        backoff: BackoffSchema,
        shutdownMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
        mailbox: MailboxSchema,
      },
      strict,
    ),
  },
  strict,
);

export type Config = Static<typeof ConfigSchema>;
export type AnySchema = TSchema;
