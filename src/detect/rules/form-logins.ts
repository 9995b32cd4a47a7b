// Brute force against web login forms (hydra http-post-form, medusa web-form, wpscan, Burp
// Intruder) as the login requests a client sends one server. A failed form login is answered
// 200 (the form again) or a 302 back to it, never 401, and the answer is in the server's
// shard anyway, so the evidence is the client's own requests, read in the CLIENT's shard from
// their request lines (http-request.ts): the method and the first 10-12 bytes of the target.
//
//   login request    a POST whose target starts with one of `paths` (wp-login.php,
//                    xmlrpc.php, /login, /user/login...), or a GET with a query to one of
//                    `getPaths` (a form with method="get"; none by default)
//   per (client, server)   a CrowdSec-style leaky bucket of login requests; every other
//                    request of the client to that server takes `otherRequestCredit` back
//                    (a real login leads to a page and its requests; a guessing tool asks
//                    for nothing else), banked down to -threshold once the pair has an entry
//
// Only requests on connections the session verifier saw the client complete are read
// (PacketFlags.ESTABLISHED, checked by the caller, source-rules.ts): nobody can send them in
// the client's name, and the alert's evidence is established. Plain HTTP/1.x only: over TLS
// or HTTP/2 the request line is not readable. Bounded: one (client, server) table (LRU,
// evictions counted), typed arrays per slot, nothing allocated per packet (an alert
// allocates its evidence).

import type { Alert } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import { PAYLOAD_HEAD_BYTES, type PacketBatch } from '../../net/packet-batch.ts';
import { checkCapacity } from '../../util/lru.ts';
import { HttpMethod, httpMethod, queryAfter, targetOffset, targetPrefix } from './http-request.ts';
import { mix32 } from './hash.ts';
import { BucketTable } from './leaky-bucket.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import type { RulesConfig } from './rules-config.ts';

/** The service the alert's evidence names. */
export const FORM_SERVICE = 'http-form';

/** Config paths as the matcher reads them: lower-case bytes. */
export function prefixBytes(paths: readonly string[]): Uint8Array[] {
  return paths.map((p) => new Uint8Array(Buffer.from(p.toLowerCase(), 'latin1')));
}

/** Not a request line (a body, another protocol). */
export const NOT_A_REQUEST = -2;
/** A request, not to a login path. */
export const OTHER_REQUEST = -1;

/**
 * What the client's segment `i` of `batch` asks: the index of the login path it goes to
 * (a POST to one of `posts`, or `posts.length` + k for a GET with a query to `gets[k]`),
 * OTHER_REQUEST, or NOT_A_REQUEST. Pure, no allocation; also read by eval's attempt counts.
 */
export function loginRequestPath(batch: PacketBatch, i: number, posts: readonly Uint8Array[], gets: readonly Uint8Array[]): number {
  const off = i * PAYLOAD_HEAD_BYTES;
  return loginPath(batch, i, httpMethod(batch.head, off, batch.headBytes(i)), posts, gets);
}

/** loginRequestPath for a segment whose request line's method `m` (httpMethod) is already read. */
function loginPath(batch: PacketBatch, i: number, m: HttpMethod, posts: readonly Uint8Array[], gets: readonly Uint8Array[]): number {
  if (m === HttpMethod.NONE) return NOT_A_REQUEST;
  const off = i * PAYLOAD_HEAD_BYTES;
  const head = batch.head;
  const kept = batch.headBytes(i); // a snap length may have cut it short of 16
  const cut = batch.payloadLen[i] > kept;
  const end = off + kept;
  const at = targetOffset(m, off);
  if (m === HttpMethod.POST) return targetPrefix(head, at, end, cut, posts);
  if (m === HttpMethod.GET && gets.length > 0) {
    // each path the target starts with, until one has the query right after it ("/login"
    // and "/login.php" both start "/login.php?user=": the second is the form's)
    for (let g = targetPrefix(head, at, end, cut, gets); g >= 0; g = targetPrefix(head, at, end, cut, gets, g + 1)) {
      if (queryAfter(head, at, end, gets[g]!.length)) return posts.length + g;
    }
  }
  return OTHER_REQUEST;
}

export class FormLogins {
  private readonly cfg: RulesConfig['formLogin'];
  private readonly posts: Uint8Array[];
  private readonly gets: Uint8Array[];
  private readonly clients: FlowTable;
  private readonly bucket: BucketTable;
  /** Per pair, in its current episode: login requests, other requests, login requests that opened their connection. */
  private readonly attempts: Int32Array;
  private readonly others: Int32Array;
  private readonly connections: Int32Array;
  /** Per pair, a bit per prefix its login requests went to (posts first, then gets). */
  private readonly paths: Uint32Array;
  /**
   * Per IPv4 client address hash (16 bits), 1 once a pair of that client has had an entry:
   * the other requests of every other client are passed over without a table lookup (set
   * only, so at worst every client is looked up, as without it). IPv6 clients are looked up.
   */
  private readonly mayHave = new Uint8Array(1 << 16);
  alerts = 0;
  suppressed = 0;

  constructor(config: RulesConfig, maxClients: number) {
    this.cfg = config.formLogin;
    this.posts = prefixBytes(this.cfg.paths);
    this.gets = prefixBytes(this.cfg.getPaths);
    const n = checkCapacity(maxClients);
    this.clients = new FlowTable(n);
    this.bucket = new BucketTable(n, this.cfg.threshold, this.cfg.leakPerS, config.cooldownS);
    this.attempts = new Int32Array(n);
    this.others = new Int32Array(n);
    this.connections = new Int32Array(n);
    this.paths = new Uint32Array(n);
  }

  /** The pairs' table: its size and evictions for the stats, its bound for the report (table-report.ts). */
  get clientTable(): FlowTable {
    return this.clients;
  }

  /**
   * A new request (row i, `client` to `server`, its method `method` as http-flood.ts read it:
   * never a retransmission) on a connection the client completed; `opens`: it is the first
   * segment the client sent on that connection. Returns the alert when the pair's bucket
   * overflows, else null.
   */
  request(batch: PacketBatch, i: number, client: AddressKey, server: AddressKey, opens: boolean, method: HttpMethod): Alert | null {
    const cfg = this.cfg;
    if (!cfg.enabled) return null;
    // a request that cannot be a login request (a POST, or a GET when GET forms are read)
    // matters only for its credit, which only a pair with an entry takes
    if (method !== HttpMethod.POST && (method !== HttpMethod.GET || this.gets.length === 0) && (cfg.otherRequestCredit === 0 || this.clients.size === 0)) return null;
    return this.counted(loginPath(batch, i, method, this.posts, this.gets), batch, i, client, server, opens);
  }

  /** What request row i (its method `method`) asks, as `request` reads it: a login path's index, OTHER_REQUEST or NOT_A_REQUEST. */
  pathOf(batch: PacketBatch, i: number, method: HttpMethod): number {
    return loginPath(batch, i, method, this.posts, this.gets);
  }

  /**
   * A request asking `p` (pathOf), counted at row i (the request's own, or the client's segment
   * that verified a connection whose first request was held: source-rules.ts confirmed).
   */
  counted(p: number, batch: PacketBatch, i: number, client: AddressKey, server: AddressKey, opens: boolean): Alert | null {
    const cfg = this.cfg;
    if (!cfg.enabled || p === NOT_A_REQUEST) return null;
    const ts = batch.ts[i];
    const b = this.bucket;
    if (p < 0) {
      // another request: credit for a pair that has an entry (a busy server's many clients get none)
      const credit = cfg.otherRequestCredit;
      if (credit === 0 || this.clients.size === 0) return null;
      if (typeof client === 'number' && this.mayHave[mix32(client) & 0xffff] === 0) return null;
      const c = this.clients.find(client, server, 0, 0);
      if (c < 0 || b.cooling(c, ts)) return null;
      if (b.leakTo(c, ts) === 0) this.newEpisode(c);
      this.others[c]++;
      b.pour(c, ts, -credit, ts, -cfg.threshold);
      return null;
    }
    const c = this.slot(client, server);
    if (b.cooling(c, ts)) {
      this.suppressed++;
      return null;
    }
    if (b.leakTo(c, ts) === 0) this.newEpisode(c);
    this.attempts[c]++;
    if (opens) this.connections[c]++;
    this.paths[c] |= 1 << p;
    if (!b.pour(c, ts, 1, ts, -cfg.threshold)) return null;
    return this.fire(batch, i, c, ts, p < this.posts.length ? 'POST' : 'GET');
  }

  private fire(batch: PacketBatch, i: number, c: number, ts: number, method: 'POST' | 'GET'): Alert {
    const b = this.bucket;
    const cfg = this.cfg;
    const firstTs = b.firstTs(c);
    const score = b.overflowScore(c, ts, firstTs);
    b.trip(c, ts);
    const names: string[] = [];
    const all = [...cfg.paths, ...cfg.getPaths];
    for (let k = 0; k < all.length; k++) if (this.paths[c]! & (1 << k)) names.push(all[k]!);
    this.alerts++;
    return ruleAlert('brute-force', batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), score, ts, firstTs, true, {
      service: FORM_SERVICE, attempts: this.attempts[c]!, otherRequests: this.others[c]!, connections: this.connections[c]!,
      paths: names.join(','), method, port: batch.dstPort[i]!,
      windowS: seconds(ts - firstTs), threshold: cfg.threshold, leakPerS: cfg.leakPerS,
    });
  }

  private slot(client: AddressKey, server: AddressKey): number {
    let c = this.clients.find(client, server, 0, 0);
    if (c < 0) {
      c = this.clients.insert(client, server, 0, 0);
      if (typeof client === 'number') this.mayHave[mix32(client) & 0xffff] = 1;
      this.bucket.reset(c);
      this.newEpisode(c);
    }
    return c;
  }

  /** The pair's counts start over (a new entry, or its bucket ran empty). */
  private newEpisode(c: number): void {
    this.attempts[c] = 0;
    this.others[c] = 0;
    this.connections[c] = 0;
    this.paths[c] = 0;
  }
}
