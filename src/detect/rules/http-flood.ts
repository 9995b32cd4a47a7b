// HTTP floods and slow HTTP from one client at one server, read from the CLIENT's own
// segments: the shard that sees a client's packets (source-rules.ts) holds this state, keyed
// by (client, server) as CrowdSec groups its http-dos scenarios by source (and nginx's
// limit_req by address). Only segments of connections the session verifier saw the client
// complete are read (PacketFlags.ESTABLISHED, checked by the caller): the address sent them
// itself, so the alerts name it and are blockable, with established evidence.
//
//   per connection   its first segment with payload tells whether it is HTTP/1.x: a request
//                    line (http-request.ts). After that, a segment that begins a request line
//                    is one request (keep-alive; pipelined requests sharing a segment count
//                    once); a segment that does not is the rest of a request (headers, body).
//   request flood    a leaky bucket of requests (httpFlood.threshold, leakPerS): keep-alive
//                    floods (wrk, h2load, a GoldenEye run on kept connections).
//   connection flood a leaky bucket of connections that carry a request (connectionThreshold,
//                    connectionLeakPerS): Hulk, GoldenEye, LOIC and HOIC open one per request.
//   slow HTTP        a connection trickles when a segment that begins no request comes
//                    slowHttp.gapS or more after the client's previous one on it and carries
//                    fewer than minRateBps bytes a second over that pause, printable (header
//                    lines, a form body: slowloris, slowhttptest -H and -B; a WebSocket's
//                    masked frames and TLS records are binary). Trickling connections, each
//                    counted at most once per windowS, fill a bucket of `threshold` that leaks
//                    `threshold` per windowS: about `threshold` connections held at once.
//   slow read        into the same bucket: a connection whose client, after its request, keeps
//                    its receive window below slowHttp.minWindowBytes (scaled by the shift its
//                    SYN offered) for gapS or more (slowhttptest -X: a buffer of ~2 KB, windows mostly 0).
//
// A retransmitted segment (the same sequence number as the connection's last one) counts
// nothing. Not seen here: HTTPS (TLS hides the requests), HTTP/2 and HTTP/3 (binary frames),
// a slow read whose client stack scales its window but its server's does not (RFC 7323: the
// client's raw window then reads too large here, so it is missed, never wrongly counted).
// Bounded: one (client, server) table (LRU, evictions counted), per-socket typed arrays
// indexed by the rules' socket slot, nothing allocated per packet.

import type { Alert } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import { PAYLOAD_HEAD_BYTES, type PacketBatch } from '../../net/packet-batch.ts';
import { checkCapacity } from '../../util/lru.ts';
import { HTTP_METHOD_NAMES, HttpMethod, httpMethod } from './http-request.ts';
import { BucketTable } from './leaky-bucket.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import type { RulesConfig } from './rules-config.ts';

// per-connection phase
const UNREAD = 0; // no payload from the client yet
const HTTP = 1; // its first segment was a request line
const OTHER = 2; // not HTTP/1.x (TLS, another protocol, a CONNECT tunnel): not read
// its first segment a request line on a connection not verified yet (its SYN-ACK lost): the
// method held, nothing counted until the server's side confirms the connection (confirm)
const HELD = 3;
/** open()'s window shift when the snap length cut the SYN's options: the client's windows are not read. */
export const WSCALE_UNKNOWN = 255;

/** Whether byte b is printable US-ASCII or a tab (a header line's, a form body's). */
function printable(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x09;
}

export class HttpFlood {
  private readonly flood: RulesConfig['httpFlood'];
  private readonly slow: RulesConfig['slowHttp'];
  // per socket slot
  private readonly phase: Uint8Array;
  private readonly lastSeq: Int32Array;
  private readonly lastSeg: Float64Array;
  private readonly lastTrickle: Float64Array;
  /** The window shift the client's SYN offered (RFC 7323), and since when its window is small (-1: it is not). */
  private readonly wscale: Uint8Array;
  private readonly smallSince: Float64Array;
  /** HELD: the held request's method. */
  private readonly heldMethod: Uint8Array;
  // per (client, server) slot
  private readonly clients: FlowTable;
  private readonly requests: BucketTable;
  private readonly connections: BucketTable;
  private readonly trickles: BucketTable;
  suppressed = 0;
  /** Whether either rule is on (the caller skips the reading otherwise, unless another reader of requests wants them). */
  readonly enabled: boolean;
  /**
   * The method of the request line the last `segment` read as a new request, else NONE (the
   * rest of a request, a retransmission, a connection that is not HTTP/1.x): the one read of
   * the client's request lines, which the form-login rule takes from here (form-logins.ts).
   */
  requestMethod: HttpMethod = HttpMethod.NONE;

  constructor(config: RulesConfig, maxClients: number, maxSockets: number) {
    this.flood = config.httpFlood;
    this.slow = config.slowHttp;
    this.enabled = this.flood.enabled || this.slow.enabled;
    const sockets = checkCapacity(maxSockets);
    this.phase = new Uint8Array(sockets);
    this.lastSeq = new Int32Array(sockets);
    this.lastSeg = new Float64Array(sockets);
    this.lastTrickle = new Float64Array(sockets);
    this.wscale = new Uint8Array(sockets);
    this.smallSince = new Float64Array(sockets);
    this.heldMethod = new Uint8Array(sockets);
    this.clients = new FlowTable(checkCapacity(maxClients));
    const cool = config.cooldownS;
    this.requests = new BucketTable(maxClients, this.flood.threshold, this.flood.leakPerS, cool);
    this.connections = new BucketTable(maxClients, this.flood.connectionThreshold, this.flood.connectionLeakPerS, cool);
    this.trickles = new BucketTable(maxClients, this.slow.threshold, this.slow.threshold / this.slow.windowS, cool);
  }


  /** The (client, server) table: its size and evictions for the stats, its bound for the report. */
  get clientTable(): FlowTable {
    return this.clients;
  }

  /**
   * The client opened socket `slot` (its SYN, offering window shift `wscale`: 0 without the
   * option, WSCALE_UNKNOWN when the snap length cut the SYN's options): nothing read on it yet.
   */
  open(slot: number, wscale: number): void {
    this.phase[slot] = UNREAD;
    this.lastTrickle[slot] = -Infinity;
    this.wscale[slot] = wscale === WSCALE_UNKNOWN ? wscale : wscale > 14 ? 14 : wscale; // RFC 7323 §2.3: a larger shift is taken as 14
    this.smallSince[slot] = -1;
  }

  /**
   * A client's socket first seen mid-connection (its SYN before the capture began, or lost), at
   * its request at row i, which is read next: an HTTP connection already, whose opening (a
   * connection counted) was not seen, its window's scale unknown.
   */
  openMidstream(slot: number, batch: PacketBatch, i: number): void {
    this.open(slot, WSCALE_UNKNOWN);
    this.phase[slot] = HTTP;
    this.lastSeq[slot] = (batch.tcpSeq[i] - 1) | 0;
    this.lastSeg[slot] = batch.ts[i];
  }

  /**
   * The client's first segment with payload on socket `slot` (row i), on a connection the
   * verifier has not verified yet, whose SYN-ACK the capture may have lost: a request line's
   * method is held, nothing counted (the client may be forged), until `confirm`. Returns the
   * method held, else NONE.
   */
  hold(slot: number, batch: PacketBatch, i: number): HttpMethod {
    if (this.phase[slot] !== UNREAD) return HttpMethod.NONE;
    const method = httpMethod(batch.head, i * PAYLOAD_HEAD_BYTES, batch.headBytes(i));
    if (method === HttpMethod.NONE || method === HttpMethod.CONNECT) return HttpMethod.NONE;
    this.phase[slot] = HELD;
    this.heldMethod[slot] = method;
    this.lastSeq[slot] = batch.tcpSeq[i] | 0;
    this.lastSeg[slot] = batch.ts[i];
    return method;
  }

  /**
   * The connection of socket `slot` was verified at the client's segment at row i (from
   * `client` to `server`; its SYN-ACK lost, the server's side confirmed it since: session-verifier.ts
   * CLAIMED): its held request is read now, as `segment` would have read it, the connection an
   * HTTP one (requestMethod: its method, else NONE). Returns the alert it made, if any.
   */
  confirm(slot: number, batch: PacketBatch, i: number, client: AddressKey, server: AddressKey): Alert | null {
    this.requestMethod = HttpMethod.NONE;
    if (this.phase[slot] !== HELD) return null;
    this.phase[slot] = HTTP;
    this.requestMethod = this.heldMethod[slot] as HttpMethod;
    return this.request(batch, i, client, server, batch.ts[i], true, this.requestMethod);
  }

  /**
   * A segment from the client of socket `slot` with ACK (row i), on a verified connection:
   * the window it advertises. A connection that carried a request and whose window stays
   * below minWindowBytes for gapS or more reads slowly (returns the alert it made, if any).
   */
  window(slot: number, batch: PacketBatch, i: number, client: AddressKey, server: AddressKey): Alert | null {
    if (this.phase[slot] !== HTTP) return null;
    const s = this.slow;
    if (!s.enabled) return null;
    const ts = batch.ts[i];
    const shift = this.wscale[slot]!;
    if (shift === WSCALE_UNKNOWN) return null; // a window of unknown scale is not known small
    if (batch.tcpWindow[i] * (1 << shift) >= s.minWindowBytes) {
      this.smallSince[slot] = -1;
      return null;
    }
    const since = this.smallSince[slot]!;
    if (since < 0 || ts < since) {
      this.smallSince[slot] = ts;
      return null;
    }
    const held = ts - since;
    if (held < s.gapS) return null;
    if (ts - this.lastTrickle[slot] < s.windowS && ts >= this.lastTrickle[slot]) return null;
    this.lastTrickle[slot] = ts;
    return this.trickle(batch, i, client, server, ts, held, 'window');
  }

  /**
   * A segment with payload from the client of socket `slot` (row i, from `client` to
   * `server`), on a connection the session verifier saw the client complete. Returns the
   * alert it made, if any (the caller grades and raises it).
   */
  segment(slot: number, batch: PacketBatch, i: number, client: AddressKey, server: AddressKey): Alert | null {
    this.requestMethod = HttpMethod.NONE;
    const phase = this.phase[slot];
    if (phase === OTHER) return null;
    const seq = batch.tcpSeq[i] | 0;
    const ts = batch.ts[i];
    const len = batch.payloadLen[i];
    if (phase !== UNREAD && seq === this.lastSeq[slot]) return null; // a retransmission
    const at = i * PAYLOAD_HEAD_BYTES;
    const kept = batch.headBytes(i);
    const method = httpMethod(batch.head, at, kept);
    const gap = ts - this.lastSeg[slot];
    this.lastSeq[slot] = seq;
    this.lastSeg[slot] = ts;
    if (phase === UNREAD) {
      if (method === HttpMethod.NONE || method === HttpMethod.CONNECT) {
        this.phase[slot] = OTHER;
        return null;
      }
      this.phase[slot] = HTTP;
      this.requestMethod = method;
      return this.request(batch, i, client, server, ts, true, method);
    }
    if (method !== HttpMethod.NONE) {
      this.requestMethod = method;
      return this.request(batch, i, client, server, ts, false, method);
    }
    // the rest of a request: a trickle when small and late; never a segment the snap length
    // cut short of its head (a request line whose method went unread is no trickle)
    const s = this.slow;
    if (!s.enabled || gap < s.gapS || len >= s.minRateBps * gap) return null;
    if (kept < (len < PAYLOAD_HEAD_BYTES ? len : PAYLOAD_HEAD_BYTES)) return null;
    const head = batch.head;
    if (!printable(head[at]!) || (len > 1 && !printable(head[at + 1]!))) return null;
    if (ts - this.lastTrickle[slot] < s.windowS && ts >= this.lastTrickle[slot]) return null; // counted in this window already
    this.lastTrickle[slot] = ts;
    return this.trickle(batch, i, client, server, ts, gap, 'trickle');
  }

  private request(batch: PacketBatch, i: number, client: AddressKey, server: AddressKey, ts: number, opened: boolean, method: HttpMethod): Alert | null {
    const f = this.flood;
    if (!f.enabled) return null;
    const c = this.clientSlot(client, server);
    const r = this.requests;
    const k = this.connections;
    if (r.cooling(c, ts) || k.cooling(c, ts)) {
      this.suppressed++;
      return null;
    }
    // each bucket counts its episode's units (BucketTable.episodeUnits): the evidence's counts
    r.leakTo(c, ts);
    const reqOver = r.pour(c, ts, 1);
    let connOver = false;
    if (opened) {
      k.leakTo(c, ts);
      connOver = k.pour(c, ts, 1);
    }
    if (!reqOver && !connOver) return null;
    // the connections' bucket names the flood when it overflowed (one request per connection)
    const b = connOver ? k : r;
    const firstTs = b.firstTs(c);
    const score = b.overflowScore(c, ts, firstTs);
    const evidence = {
      by: connOver ? 'connections' : 'requests',
      requests: r.episodeUnits(c), connections: k.episodeUnits(c), windowS: seconds(ts - firstTs),
      threshold: connOver ? f.connectionThreshold : f.threshold, leakPerS: connOver ? f.connectionLeakPerS : f.leakPerS,
      method: HTTP_METHOD_NAMES[method]!,
      port: batch.dstPort[i],
    };
    // one alert for both: the cooldown covers the flood, however it is counted
    r.trip(c, ts);
    k.trip(c, ts);
    return ruleAlert('http-flood', batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), score, ts, firstTs, true, evidence);
  }

  /** A slow connection, counted once per window: `gap` s since its last piece ('trickle') or since its window became small ('window'). */
  private trickle(batch: PacketBatch, i: number, client: AddressKey, server: AddressKey, ts: number, gap: number, last: 'trickle' | 'window'): Alert | null {
    const c = this.clientSlot(client, server);
    const b = this.trickles;
    if (b.cooling(c, ts)) {
      this.suppressed++;
      return null;
    }
    b.leakTo(c, ts);
    if (!b.pour(c, ts, 1)) return null;
    const s = this.slow;
    const firstTs = b.firstTs(c);
    const score = b.overflowScore(c, ts, firstTs);
    const sockets = b.episodeUnits(c);
    b.trip(c, ts);
    return ruleAlert('slow-http', batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), score, ts, firstTs, true, {
      connections: sockets, windowS: seconds(ts - firstTs), last, lastGapS: seconds(gap), lastBytes: batch.payloadLen[i], lastWindow: batch.tcpWindow[i],
      threshold: s.threshold, gapS: s.gapS, port: batch.dstPort[i],
    });
  }

  private clientSlot(client: AddressKey, server: AddressKey): number {
    let c = this.clients.find(client, server, 0, 0);
    if (c < 0) {
      c = this.clients.insert(client, server, 0, 0);
      this.requests.reset(c);
      this.connections.reset(c);
      this.trickles.reset(c);
    }
    return c;
  }
}
