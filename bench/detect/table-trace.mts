// A/B micro-benchmark of FlowTable alone, on the node's own sequence of table operations: two
// passes of packet-path.mts's work (the verifier, two shards' features, rules, evidence, flow
// scores, meter) over the shared captures is run once with the first checkout, every
// FlowTable call of it (find, insert, protect, unprotect, clear: table, key, result) recorded
// in order; then each checkout's FlowTable replays that sequence into fresh tables of the same
// capacities, the checkouts alternating round by round (the order turned each round). The
// tables' cache footprint is the node's (every table, in the node's interleaving), the
// owners' own records are not touched. A replayed find or insert must return the slot the
// recording got: a table that evicts differently, or finds what it should not, fails here.
//   node --import tsx bench/detect/table-trace.mts STATE_DIR CHECKOUT [CHECKOUT...]
// TRACE_SAVE=FILE keeps the recording; a FILE ending in .trace given for STATE_DIR replays it
// (under callgrind: TRACE_ROUNDS=1). Rounds time the second pass's operations only.
// One JSON line a checkout: ns per table operation (CPU time, median of the rounds), the ops
// a packet; with two or more, the median and spread of each round's ratio to the first's.
import { resolve } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { cpuNs } from './shard-pass.ts';

const state = process.argv[2];
const roots = process.argv.slice(3).map((r) => resolve(r));
if (!state || roots.length === 0) throw new Error('usage: table-trace.mts STATE_DIR CHECKOUT [CHECKOUT...]');
const ROUNDS = +(process.env.TRACE_ROUNDS ?? 11);
const PROTECTED_SOCKETS = 0.75;
/** Passes recorded (the second one warm: its keys seen before, the tables full), and the captures' packets a pass. */
const PASSES = 2;
const PACKETS = 112205 * PASSES;

const FIND = 0;
const INSERT = 1;
const PROTECT = 2;
const UNPROTECT = 3;
const CLEAR = 4;

// the recording: one row an operation
let n = 0;
let op: Int32Array = new Int32Array(1 << 22);
let tab: Int32Array = new Int32Array(1 << 22);
let ka: Int32Array = new Int32Array(1 << 22);
let kb: Int32Array = new Int32Array(1 << 22);
let kx: Int32Array = new Int32Array(1 << 22);
let ky: Int32Array = new Int32Array(1 << 22);
let got: Int32Array = new Int32Array(1 << 22);
/** IPv6 keys: row → [a, b] (numbers in ka/kb are then unused; `kt` is 1 for such a row). */
let texts = new Map<number, [unknown, unknown]>();
let kt: Uint8Array = new Uint8Array(1 << 22);
const tables: { capacity: number; protectedShare?: number }[] = [];
const ids = new Map<object, number>();
let recording = true;

function row(t: object, o: number, a: unknown, b: unknown, x: number, y: number): number {
  let id = ids.get(t);
  if (id === undefined) {
    id = tables.length;
    ids.set(t, id);
    tables.push((t as any).guard !== null ? { capacity: (t as any).capacity, protectedShare: PROTECTED_SOCKETS } : { capacity: (t as any).capacity });
  }
  if (n === op.length) {
    const grow = (v: Int32Array): Int32Array => {
      const w = new Int32Array(v.length * 2);
      w.set(v);
      return w;
    };
    op = grow(op);
    tab = grow(tab);
    ka = grow(ka);
    kb = grow(kb);
    kx = grow(kx);
    ky = grow(ky);
    got = grow(got);
    const t = new Uint8Array(kt.length * 2);
    t.set(kt);
    kt = t;
  }
  op[n] = o;
  tab[n] = id;
  if (typeof a === 'number' && typeof b === 'number') {
    ka[n] = a;
    kb[n] = b;
  } else {
    texts.set(n, [a, b]);
    kt[n] = 1;
  }
  kx[n] = x;
  ky[n] = y;
  return n++;
}

/** The op the second pass starts at: rounds time that pass only (the tables full, their pages mapped, as in a node that has run a while). */
let warmFrom = 0;
if (state.endsWith('.trace')) {
  const t = deserialize(readFileSync(state));
  ({ n, op, tab, ka, kb, kx, ky, got, kt, texts, warmFrom } = t);
  tables.push(...t.tables);
} else {
  const { FlowTable } = await import(`${roots[0]}/src/detect/flow-table.ts`);
  const P = FlowTable.prototype;
  const [find, insert, protect, unprotect, clear] = [P.find, P.insert, P.protect, P.unprotect, P.clear];
  P.find = function (a: any, b: any, x: number, y: number) {
    const s = find.call(this, a, b, x, y);
    if (recording) got[row(this, FIND, a, b, x, y)] = s;
    return s;
  };
  P.insert = function (a: any, b: any, x: number, y: number) {
    const s = insert.call(this, a, b, x, y);
    if (recording) got[row(this, INSERT, a, b, x, y)] = s;
    return s;
  };
  P.protect = function (s: number) {
    if (recording) row(this, PROTECT, 0, 0, s, 0);
    protect.call(this, s);
  };
  P.unprotect = function (s: number) {
    if (recording) row(this, UNPROTECT, 0, 0, s, 0);
    unprotect.call(this, s);
  };
  P.clear = function () {
    if (recording) row(this, CLEAR, 0, 0, 0, 0);
    clear.call(this);
  };
  // two passes of packet-path's work on the first checkout (importing it runs them)
  // the second pass starts with the verifier's first batch past the captures' packets
  const { SessionVerifier } = await import(`${roots[0]}/src/detect/session-verifier.ts`);
  const mark = SessionVerifier.prototype.mark;
  let marked = 0;
  SessionVerifier.prototype.mark = function (b: { length: number }) {
    if (marked === PACKETS / PASSES) warmFrom = n;
    marked += b.length;
    return mark.call(this, b);
  };
  process.env.PP_WARM = '0';
  process.env.PP_RUNS = String(PASSES);
  const argv = process.argv;
  process.argv = [argv[0]!, argv[1]!, state, roots[0]!];
  const log = console.log;
  console.log = () => {};
  await import('./packet-path.mts');
  console.log = log;
  process.argv = argv;
  recording = false;
  P.find = find;
  P.insert = insert;
  P.protect = protect;
  P.unprotect = unprotect;
  P.clear = clear;
  SessionVerifier.prototype.mark = mark;
  if (process.env.TRACE_SAVE) {
    writeFileSync(process.env.TRACE_SAVE, serialize({ n, op: op.slice(0, n), tab: tab.slice(0, n), ka: ka.slice(0, n), kb: kb.slice(0, n), kx: kx.slice(0, n), ky: ky.slice(0, n), got: got.slice(0, n), kt: kt.slice(0, n), texts, warmFrom, tables }));
  }
}

/** Replays the recording into `T`'s tables; returns CPU ns, or throws at the first slot that differs. */
function replay(T: any, check: boolean): number {
  const ts = tables.map((d) => new T(d.capacity, d.protectedShare === undefined ? {} : { protectedShare: d.protectedShare }));
  let t0 = 0;
  for (let i = 0; i < n; i++) {
    if (i === warmFrom) t0 = cpuNs();
    const t = ts[tab[i]!];
    const o = op[i]!;
    if (o <= INSERT) {
      let a: unknown = ka[i];
      let b: unknown = kb[i];
      if (kt[i] === 1) [a, b] = texts.get(i)!;
      const r = o === FIND ? t.find(a, b, kx[i], ky[i]) : t.insert(a, b, kx[i], ky[i]);
      if (check && r !== got[i]) throw new Error(`op ${i} (${o === FIND ? 'find' : 'insert'} in table ${tab[i]}): slot ${r}, recorded ${got[i]}`);
    } else if (o === PROTECT) t.protect(kx[i]);
    else if (o === UNPROTECT) t.unprotect(kx[i]);
    else t.clear();
  }
  return cpuNs() - t0;
}

const classes: unknown[] = [];
for (const r of roots) classes.push((await import(`${r}/src/detect/flow-table.ts`)).FlowTable);
// every checkout once, checked, then timed rounds
for (const T of classes) replay(T, true);
const ns: number[][] = roots.map(() => []);
for (let k = 0; k < ROUNDS; k++) {
  const order = k % 2 === 0 ? roots.map((_, j) => j) : roots.map((_, j) => roots.length - 1 - j);
  for (const j of order) ns[j]!.push(replay(classes[j], false) / (n - warmFrom));
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const r3 = (v: number) => Math.round(v * 1000) / 1000;
roots.forEach((root, j) => {
  const line: Record<string, unknown> = { root, ops: n, timed_ops: n - warmFrom, ops_per_packet: r3(n / PACKETS), tables: tables.length, ns_per_op: r3(med(ns[j]!)) };
  if (j > 0) {
    const ratio = ns[j]!.map((v, k) => v / ns[0]![k]!).sort((a, b) => a - b);
    line.ratio_to_first = r3(med(ratio));
    line.ratio_spread = [r3(ratio[0]!), r3(ratio[ratio.length - 1]!)];
  }
  console.log(JSON.stringify(line));
});
