// What a detector shard tells the victim rules about one batch: per host, the counts that
// only add up across shards. A shard sees the packets whose SOURCE hashes to it, so the
// SYNs toward one victim of a spoofed flood, or the responses of thousands of reflectors,
// land in every shard; one VictimRules instance adds the tallies of all of them.
//
// A tally is plain data: a row count and parallel arrays of numbers and strings, nothing
// else, so it crosses the transport as is (msgpack, JSON). Counts "toward" a host come from
// packets whose destination is the host; counts "out" from packets the host sent (its own
// connections and requests, which make the matching replies solicited).

import { hashText, mix32 } from './hash.ts';

export const SKETCH_WORDS = 4;
const SKETCH_BITS = SKETCH_WORDS * 32;

export interface VictimTally {
  /**
   * Rows in use; every column holds at least `rows` entries (the sketches SKETCH_WORDS per
   * row). Readers read rows below `rows` only: a pooled tally (victim-tally-pool.ts) keeps
   * longer columns from earlier batches, left over past `rows`.
   */
  rows: number;
  /** Rows that did not fit in the writer's limit and were left out. */
  dropped: number;
  /** IPv4 address of the row's host as a uint32 (0 on IPv6 rows). */
  v4: number[];
  /** RFC 5952 text of the host for IPv6 rows, '' for IPv4 rows. */
  v6: string[];
  /** Capture time of the first and last packet counted in the row, seconds. */
  firstTs: number[];
  lastTs: number[];
  /** TCP SYNs (without ACK) toward the host. */
  syn: number[];
  /** Handshakes completed toward the host: the client's first ACK after its SYN. */
  completions: number[];
  /** TCP SYN-ACKs toward the host. */
  synAck: number[];
  /** Handshakes the host itself completed as a client (they solicited SYN-ACKs). */
  completionsOut: number[];
  /** TCP segments without SYN toward the host, each the first of a connection the shard does not follow (an ACK or RST flood; a connection begun before the node). */
  stray: number[];
  /**
   * Large UDP datagrams toward the host (payload of udpAmplification.minPayload bytes or
   * more, from any source port but a sender's ephemeral one to a collector's port:
   * udp-port-roles.ts), and IP fragments after the first toward it (a large answer arrives
   * in pieces; only the first carries the UDP header) unless their first was not counted.
   */
  udpResp: number[];
  /** Their bytes on the wire. */
  udpRespBytes: number[];
  /**
   * Small UDP datagrams toward the host (under udpAmplification.minPayload bytes of payload,
   * from any source port), but for answers to its own datagrams (UDP_REPLY, udp-exchanges.ts).
   */
  udpIn: number[];
  /** UDP datagrams the host sent, to any port (each may solicit answers). */
  udpReqOut: number[];
  /** Those of them that answer a datagram the host received (UDP_REPLY): what answers a flood. */
  udpReplyOut: number[];
  /** ICMP/ICMPv6 toward the host, neighbour discovery and MLD excluded. */
  icmp: number[];
  icmpBytes: number[];
  /** Echo requests the host sent (each solicits a reply). */
  echoOut: number[];
  /** Packets of IP protocols other than TCP, UDP and ICMP toward the host (GRE, ESP, raw IP...). */
  ipIn: number[];
  /** Such packets the host sent (a tunnel's own traffic back). */
  ipOut: number[];
  /** QUIC clients' Initials toward the host that open an exchange (quic-initial.ts; not UDP_ANSWERED: udp-exchanges.ts). */
  quicInitial: number[];
  /** QUIC long-header datagrams toward the host on an exchange it answered (UDP_ANSWERED): a client going on with the handshake. */
  quicContinued: number[];
  /** Sources toward the host: a 128-bit linear-counting bitmap, SKETCH_WORDS int32 per row. */
  srcSketch: number[];
  /** Sources of the host's udpResp datagrams, the same kind of bitmap. */
  udpSrcSketch: number[];
  /** Hosts the host sent UDP to (the peers whose answers it solicited), the same kind of bitmap. */
  udpDstSketch: number[];
  /** Sources of the host's ipIn packets, the same kind of bitmap. */
  ipSrcSketch: number[];
  /** Hosts the host sent such packets to (its tunnels' peers), the same kind of bitmap. */
  ipDstSketch: number[];
  /** The majority-vote candidate among the sources toward the host (Boyer–Moore), and its margin. */
  topSrc4: number[];
  topSrc6: string[];
  topCount: number[];
}

const COUNT_COLUMNS = [
  'syn', 'completions', 'synAck', 'completionsOut', 'stray', 'udpResp', 'udpRespBytes', 'udpIn', 'udpReqOut', 'udpReplyOut', 'icmp', 'icmpBytes', 'echoOut', 'ipIn', 'ipOut', 'quicInitial', 'quicContinued',
] as const;
export type TallyCount = (typeof COUNT_COLUMNS)[number];

export function newVictimTally(): VictimTally {
  return {
    rows: 0, dropped: 0, v4: [], v6: [], firstTs: [], lastTs: [],
    syn: [], completions: [], synAck: [], completionsOut: [], stray: [], udpResp: [], udpRespBytes: [], udpIn: [], udpReqOut: [], udpReplyOut: [], icmp: [], icmpBytes: [], echoOut: [], ipIn: [], ipOut: [], quicInitial: [], quicContinued: [],
    srcSketch: [], udpSrcSketch: [], udpDstSketch: [], ipSrcSketch: [], ipDstSketch: [], topSrc4: [], topSrc6: [], topCount: [],
  };
}

/** Empty the tally for the next batch (the same object is reused). */
export function clearVictimTally(t: VictimTally): void {
  t.rows = 0;
  t.dropped = 0;
  t.v4.length = 0;
  t.v6.length = 0;
  t.firstTs.length = 0;
  t.lastTs.length = 0;
  for (const c of COUNT_COLUMNS) t[c].length = 0;
  t.srcSketch.length = 0;
  t.udpSrcSketch.length = 0;
  t.udpDstSketch.length = 0;
  t.ipSrcSketch.length = 0;
  t.ipDstSketch.length = 0;
  t.topSrc4.length = 0;
  t.topSrc6.length = 0;
  t.topCount.length = 0;
}

/** Set the bit of hash `h` in row r of a sketch column: the high bits, independent of the shard-routing hash. */
export function sketchAdd(col: number[] | Int32Array, r: number, h: number): void {
  const bit = h >>> 25; // 0..127
  col[r * SKETCH_WORDS + (bit >>> 5)] |= 1 << (bit & 31);
}

/** Linear-counting estimate of the distinct sources in a sketch (saturates near 620). */
export function estimateSources(sketch: ArrayLike<number>, at = 0): number {
  let set = 0;
  for (let k = 0; k < SKETCH_WORDS; k++) {
    let w = sketch[at + k] | 0;
    while (w !== 0) {
      w &= w - 1;
      set++;
    }
  }
  const zeros = SKETCH_BITS - set;
  if (zeros === 0) return Math.round(SKETCH_BITS * Math.log(SKETCH_BITS));
  return Math.round(-SKETCH_BITS * Math.log(zeros / SKETCH_BITS));
}

/**
 * How a shard adds to a tally: finds or makes the row of a host (an open-addressing index
 * over the rows, kept here, not in the tally, so the tally stays plain data) and counts
 * sources toward it. Up to `maxRows` rows per tally; past that, rows are dropped and counted.
 */
export class VictimTallyWriter {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly touched: Int32Array;
  private touchedCount = 0;
  private tally: VictimTally | null = null;
  private indexedRows = 0;
  /**
   * The capture time of the row being found, for seen() and make(): a field, not an
   * argument, since a double passed to a call that is not inlined is boxed (a heap number a
   * packet).
   */
  private ts = 0;

  constructor(readonly maxRows = 4096) {
    let n = 16;
    while (n < maxRows * 2) n *= 2;
    this.slots = new Int32Array(n).fill(-1);
    this.mask = n - 1;
    this.touched = new Int32Array(maxRows);
  }

  /** Start writing into `t` (a tally that may already hold rows, e.g. from an earlier batch). */
  attach(t: VictimTally): void {
    if (t === this.tally && t.rows === this.indexedRows) return;
    for (let k = 0; k < this.touchedCount; k++) this.slots[this.touched[k]] = -1;
    this.touchedCount = 0;
    this.tally = t;
    this.indexedRows = 0;
    for (let r = 0; r < t.rows && r < this.maxRows; r++) {
      const v6 = t.v6[r];
      this.place(v6 === '' ? mix32(t.v4[r] | 0) : mix32(hashText(v6)), r);
    }
    this.indexedRows = Math.min(t.rows, this.maxRows);
  }

  /** Row of an IPv4 host (uint32), made if absent; -1 when the tally is full. */
  row4(addr: number, ts: number): number {
    const t = this.tally!;
    const key = addr | 0;
    this.ts = ts;
    let p = mix32(key) & this.mask;
    for (;;) {
      const r = this.slots[p];
      if (r < 0) break;
      if (t.v6[r] === '' && (t.v4[r] | 0) === key) return this.seen(r);
      p = (p + 1) & this.mask;
    }
    // int32, not uint32: an address past 2^31 is no small integer, and would be boxed too
    return this.make(p, key, '');
  }

  /** Row of an IPv6 host (its text), made if absent; -1 when the tally is full. */
  row6(text: string, ts: number): number {
    const t = this.tally!;
    this.ts = ts;
    let p = mix32(hashText(text)) & this.mask;
    for (;;) {
      const r = this.slots[p];
      if (r < 0) break;
      if (t.v6[r] === text) return this.seen(r);
      p = (p + 1) & this.mask;
    }
    return this.make(p, 0, text);
  }

  /**
   * Count a source toward row `r`: its bit in the sketch (from `h`, any well-mixed int32
   * hash of the source) and a Boyer–Moore vote for the top source.
   */
  source(r: number, h: number, src4: number, src6: string): void {
    const t = this.tally!;
    // stored as uint32 whether given as uint32 or int32 (an int32 is a small integer: a
    // caller whose call is not inlined passes it unboxed, where an address past 2^31 is not)
    src4 >>>= 0;
    sketchAdd(t.srcSketch, r, h);
    // Boyer–Moore: the candidate stays when its margin falls to 0, until another source comes
    if (t.topSrc4[r] === src4 && t.topSrc6[r] === src6) t.topCount[r]++;
    else if (t.topCount[r] === 0) {
      t.topSrc4[r] = src4;
      t.topSrc6[r] = src6;
      t.topCount[r] = 1;
    } else t.topCount[r]--;
  }

  /** Mark a host in one of the row's peer bitmaps (`h` as for source()). */
  peer(column: 'udpSrcSketch' | 'udpDstSketch' | 'ipSrcSketch' | 'ipDstSketch', r: number, h: number): void {
    sketchAdd(this.tally![column], r, h);
  }

  private seen(r: number): number {
    const t = this.tally!;
    const ts = this.ts;
    if (ts < t.firstTs[r]) t.firstTs[r] = ts;
    if (ts > t.lastTs[r]) t.lastTs[r] = ts;
    return r;
  }

  private make(p: number, v4: number, v6: string): number {
    const t = this.tally!;
    const ts = this.ts;
    if (t.rows >= this.maxRows) {
      t.dropped++;
      return -1;
    }
    // Written by index, not pushed: a pooled tally (victim-tally-pool.ts) keeps its columns
    // from earlier batches, and row r overwrites what was left there (r is at most a
    // column's length, so a fresh column grows as with push).
    const r = t.rows++;
    t.v4[r] = v4 >>> 0;
    t.v6[r] = v6;
    t.firstTs[r] = ts;
    t.lastTs[r] = ts;
    for (let c = 0; c < COUNT_COLUMNS.length; c++) t[COUNT_COLUMNS[c]][r] = 0;
    for (let k = r * SKETCH_WORDS; k < (r + 1) * SKETCH_WORDS; k++) {
      t.srcSketch[k] = 0;
      t.udpSrcSketch[k] = 0;
      t.udpDstSketch[k] = 0;
      t.ipSrcSketch[k] = 0;
      t.ipDstSketch[k] = 0;
    }
    t.topSrc4[r] = 0;
    t.topSrc6[r] = '';
    t.topCount[r] = 0;
    this.place(p, r, true);
    this.indexedRows = t.rows;
    return r;
  }

  private place(hashOrPos: number, r: number, isPos = false): void {
    let p = isPos ? hashOrPos : hashOrPos & this.mask;
    if (!isPos) while (this.slots[p] >= 0) p = (p + 1) & this.mask;
    this.slots[p] = r;
    this.touched[this.touchedCount++] = p;
  }
}

