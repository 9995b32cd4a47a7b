// The rule detectors' table bounds (config `ruleTables`): how many sources, scan keys and
// sockets the source rules of the node keep (each detector shard its share: shards own
// disjoint sources), and how many victims and carpet-bombed prefixes the node's one flood
// watch keeps. Past a bound the least recently seen entry is evicted and counted; every
// table is reported with its bound (`table.NAME`, `table.NAME.bound`: table-report.ts).

/** The rule tables' bounds for the whole node. */
export interface RuleTablesConfig {
  /** Sources with half-open, probe or flood state, and clients with login, HTTP, form-login or connection state, each table. */
  maxSources: number;
  /** (source, host) keys of the vertical scan rule and (source, port) keys of the horizontal one (and the unanswered-UDP and pair floods' keys), each table. */
  maxScanKeys: number;
  /** Sockets followed from their first packet to their end. */
  maxSockets: number;
  /** Victims with flood state (the flood watch: one per node). */
  maxVictims: number;
  /** /24 (IPv6 /48) prefixes with carpet-bombing state (the flood watch). */
  maxPrefixes: number;
}

// Reasons for the defaults (config/default.json holds the same numbers: test/config.test.ts):
// - 65,536 sources, scan keys and victims: Suricata's flow table has 65,536 hash rows by
//   default (`flow.hash-size`) and 65,535 defrag trackers, evicting past its memcap as these
//   tables evict their least recently seen entry. A spoofed flood fills any bound (its
//   sources are the flood watch's to count, by victim), so the bound is memory: about 200 B
//   a source plus its per-client tables (login 110, HTTP 90, HTTP flood 170, form login 90),
//   270 B a scan key, 350 B a victim (23 MB at 65,536).
// - 262,144 sockets: four per source (a client's parallel connections: browsers open up to
//   six per host, RFC 9112 §9.4 leaves it to the client), about 116 B each with the login
//   and HTTP state: 30 MB when full.
// - 4,096 prefixes: a carpet-bombing flood spans one or a few /24s; 3.7 MB.
export const DEFAULT_RULE_TABLES: Readonly<RuleTablesConfig> = Object.freeze({
  maxSources: 65_536,
  maxScanKeys: 65_536,
  maxSockets: 262_144,
  maxVictims: 65_536,
  maxPrefixes: 4096,
});
