// HTTP probing (nikto, dirb, gobuster, ffuf) as the error answers a plain-HTTP server sends
// one client. Read from the SERVER's side of its connections, like the login rules
// (login-rules.ts): the shard that sees a server's packets holds this state, so it is keyed
// by the CLIENT (the destination of those packets), with the server, as CrowdSec's
// http-probing groups by source and site; its alerts name the client as their source.
//
//   per connection   the server's first segment with payload tells whether it speaks HTTP/1.x
//                    (a status line, http-status.ts); after that, every segment that starts
//                    with a status line is one answer (a response body rarely begins with one;
//                    pipelined answers sharing a segment count once).
//   per client       a CrowdSec-style leaky bucket of error answers (config `statuses`); each
//                    2xx or 3xx answer takes `successCredit` back, so a client whose answers
//                    are mostly hits (a browser, a NAT or proxy of many users) never fills it.
//
// Only answers on connections the session verifier saw the client complete are counted
// (PacketFlags.ESTABLISHED), so the evidence cannot be forged in the server's name, and the
// evidence grader finds the client's verified connection to the server: 'established'.
// Bounded like the login rules: one (client, server) table (LRU, evictions counted), typed
// arrays per slot, nothing allocated per packet.

import type { Alert } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import { PAYLOAD_HEAD_BYTES, type PacketBatch } from '../../net/packet-batch.ts';
import { checkCapacity } from '../../util/lru.ts';
import { httpStatus } from './http-status.ts';
import { BucketTable } from './leaky-bucket.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import type { RulesConfig } from './rules-config.ts';

// per-connection phase
const WAITING = 1; // SYN-ACK seen, waiting for the server's first payload
const HTTP = 2; // it answered with a status line: reading answers

export class HttpErrors {
  private readonly conn: Uint8Array;
  private readonly clients: FlowTable;
  private readonly bucket: BucketTable;
  /** statuses[k] → k + 1, for the evidence's bitmask; 0: not an error. */
  private readonly errorIndex: Uint8Array;
  private readonly errors: Int32Array;
  private readonly hits: Int32Array;
  private readonly connections: Int32Array;
  private readonly seen: Uint16Array;
  /** Per client, its episode's number (1-255, wrapping): a new one each time its counts start over. */
  private readonly episode: Uint8Array;
  /** Per connection, the episode of its client in which an error answer on it was counted (0: none), for the evidence's connections. */
  private readonly erredIn: Uint8Array;
  private readonly cfg: RulesConfig['httpProbing'];
  alerts = 0;
  suppressed = 0;

  constructor(config: RulesConfig, maxClients: number, maxSockets: number) {
    this.cfg = config.httpProbing;
    this.conn = new Uint8Array(checkCapacity(maxSockets));
    this.clients = new FlowTable(checkCapacity(maxClients));
    this.bucket = new BucketTable(maxClients, this.cfg.threshold, this.cfg.leakPerS, config.cooldownS);
    this.errorIndex = new Uint8Array(600);
    this.cfg.statuses.forEach((code, k) => (this.errorIndex[code] = k + 1));
    this.errors = new Int32Array(maxClients);
    this.hits = new Int32Array(maxClients);
    this.connections = new Int32Array(maxClients);
    this.seen = new Uint16Array(maxClients);
    this.episode = new Uint8Array(maxClients);
    this.erredIn = new Uint8Array(maxSockets);
  }

  /** The clients' table: its size and evictions for the stats, its bound for the report (table-report.ts). */
  get clientTable(): FlowTable {
    return this.clients;
  }

  /** A server accepted a connection (its SYN-ACK is socket `slot`): read its first answer. */
  open(slot: number): void {
    this.conn[slot] = this.cfg.enabled ? WAITING : 0;
    this.erredIn[slot] = 0;
  }

  /** The server's side of `slot` ended (FIN or RST). */
  close(slot: number): void {
    this.conn[slot] = 0;
  }

  /** Whether the slot is a server's side still read (waiting for its first words, or HTTP). */
  following(slot: number): boolean {
    return this.conn[slot] !== 0;
  }

  /**
   * A segment with payload from the server's side of `slot` (row i, sent to `client`, from
   * `server`), on a connection the session verifier saw the client complete (the caller,
   * source-rules.ts, reads no other: a segment forged in the server's name to get a client
   * banned is never one).
   */
  segment(slot: number, batch: PacketBatch, i: number, client: AddressKey, server: AddressKey, out: Alert[]): void {
    const status = httpStatus(batch.head, i * PAYLOAD_HEAD_BYTES, batch.headBytes(i));
    const state = this.conn[slot];
    if ((state & 3) === WAITING) {
      if (status === 0) {
        this.conn[slot] = 0; // not HTTP/1.x (a greeting, TLS...): nothing to read here
        return;
      }
      this.conn[slot] = HTTP;
    } else if (status === 0) {
      return; // the rest of a body
    }
    const k = this.errorIndex[status];
    if (k === 0 && status >= 400) return; // another error (401, 429...): neither a miss nor a hit
    // a hit only takes back: a client with no misses gets no entry (a busy server's many clients)
    const c = k === 0 ? this.clients.find(client, server, 0, 0) : this.clientSlot(client, server);
    if (c < 0) return;
    const ts = batch.ts[i];
    const b = this.bucket;
    if (b.cooling(c, ts)) {
      if (k !== 0) this.suppressed++;
      return;
    }
    if (b.leakTo(c, ts) <= 0) {
      if (k === 0) return; // a hit with nothing to take back
      this.newEpisode(c);
    }
    if (k === 0) {
      // 1xx (a 100 Continue before its answer) says nothing; 2xx and 3xx take misses back
      if (status >= 200) {
        this.hits[c]++;
        b.pour(c, ts, -this.cfg.successCredit);
      }
      return;
    }
    this.errors[c]++;
    this.seen[c] |= 1 << (k - 1);
    if (this.erredIn[slot] !== this.episode[c]) {
      this.erredIn[slot] = this.episode[c];
      this.connections[c]++;
    }
    if (!b.pour(c, ts, 1)) return;
    this.fire(batch, i, c, ts, status, out);
  }

  private fire(batch: PacketBatch, i: number, c: number, ts: number, status: number, out: Alert[]): void {
    const b = this.bucket;
    const cfg = this.cfg;
    const firstTs = b.firstTs(c);
    const score = b.overflowScore(c, ts, firstTs);
    b.trip(c, ts);
    const codes: number[] = [];
    for (let k = 0; k < cfg.statuses.length; k++) if (this.seen[c] & (1 << k)) codes.push(cfg.statuses[k]!);
    this.alerts++;
    out.push(ruleAlert('http-probing', batch.formatAddress(i, 'dst'), batch.formatAddress(i, 'src'), score, ts, firstTs, true, {
      errors: this.errors[c], hits: this.hits[c], connections: this.connections[c], statuses: codes.join(','), lastStatus: status,
      port: batch.srcPort[i], windowS: seconds(ts - firstTs), threshold: cfg.threshold, leakPerS: cfg.leakPerS,
    }));
  }

  private clientSlot(client: AddressKey, server: AddressKey): number {
    let c = this.clients.find(client, server, 0, 0);
    if (c < 0) {
      c = this.clients.insert(client, server, 0, 0);
      this.bucket.reset(c);
      this.newEpisode(c);
    }
    return c;
  }

  /** The client's counts start over (a new entry, or its bucket ran empty): a keep-alive connection that erred before counts again. */
  private newEpisode(c: number): void {
    this.errors[c] = 0;
    this.hits[c] = 0;
    this.connections[c] = 0;
    this.seen[c] = 0;
    this.episode[c] = (this.episode[c]! % 255) + 1;
  }
}
