// Which large typed arrays hold resident memory, by where they were allocated: a preload
// (`--import`) for node-run or any node process. A typed array's memory is zeroed pages that
// cost nothing until written (calloc, mmapped past glibc's 128 KiB threshold), so the bytes a
// table allocates (table-bytes.ts) say little about what it holds; this says which pages of
// each are resident.
//
// Each ArrayBuffer or typed array of MIN_BYTES or more made with `new` is watched, two ways:
//  - resident: the address range /proc/self/maps gained across its allocation that is its
//    size (its own mapping: another thread mapping at the same moment has another size), and
//    at exit /proc/self/pagemap's present bit (readable by the process itself) for each of its
//    pages. Only arrays glibc mmapped are found so (an array cut from free room of malloc's
//    heap gains no mapping: `unlocated`).
//  - written: at exit, its 4 KiB pieces that hold a byte other than zero, for every array
//    still alive: a lower bound of its resident pages (a page written only with zeros, or
//    emptied again, is resident too), found or not.
// Sums by allocation site (the first two frames outside this file); freed arrays are counted
// apart (a FinalizationRegistry). Measurement only: a Proxy over every typed-array
// constructor slows the code that makes arrays, so never time a run that uses it.
//
//   AUTOIMMUNE_RESIDENCY=FILE node --import ./dist/bench/node/array-residency.js dist/bench/node/node-run.js ...
//   (FILE: one JSON line at exit; under tsx: --import tsx --import ./bench/node/array-residency.ts)

import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';

const MIN_BYTES = 128 * 1024;
const PAGE = 4096;
/** An array's own mapping: its bytes and malloc's 16-byte header, rounded up to pages (so more than its bytes: V8's 256 KiB pages, mapped by other threads meanwhile, are not taken for an array of 256 KiB). */
const SLACK = 2 * PAGE;

interface Watched {
  site: string;
  /** The array, while it lives. */
  ref: WeakRef<object>;
  bytes: number;
  /** [start, end) of its mapping; null: not found (from malloc's heap, or made while another thread mapped as much). */
  range: [number, number] | null;
  freed: boolean;
}

const watched: Watched[] = [];
const freed = new FinalizationRegistry<Watched>((w) => {
  w.freed = true;
});

/** The process's mapped ranges, sorted. */
function mappings(): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const line of readFileSync('/proc/self/maps', 'latin1').split('\n')) {
    const dash = line.indexOf('-');
    const sp = line.indexOf(' ');
    if (dash < 0 || sp < 0) continue;
    out.push([parseInt(line.slice(0, dash), 16), parseInt(line.slice(dash + 1, sp), 16)]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The parts of `after`'s ranges that no range of `before` covers. */
function added(before: Array<[number, number]>, after: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let j = 0;
  for (const [s0, e] of after) {
    let s = s0;
    while (j < before.length && before[j]![1] <= s) j++;
    let k = j;
    while (s < e && k < before.length && before[k]![0] < e) {
      const [bs, be] = before[k]!;
      if (bs > s) out.push([s, bs]);
      s = Math.max(s, be);
      k++;
    }
    if (s < e) out.push([s, e]);
  }
  return out;
}

/** Where an array is made: the first two frames outside this file ("maker < its caller"), the caller naming which table a generic one (FlowTable, BucketTable) is. */
function site(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1).filter((l) => !l.includes('array-residency') && !/at (Reflect|Proxy)\./.test(l) && !l.includes('new Proxy'));
  return frames.slice(0, 2).map((f) => f.trim().replace(/^at /, '').replace(/\(?file:\/\/\S*?\/(dist\/|src\/|bench\/)/, '($1')).join(' < ') || '?';
}

function watch<T extends object>(bytes: number, make: () => T): T {
  if (!(bytes >= MIN_BYTES)) return make();
  const before = mappings();
  const made = make();
  const fresh = added(before, mappings()).filter(([s, e]) => e - s > bytes && e - s <= bytes + SLACK);
  const w: Watched = { site: site(), ref: new WeakRef(made), bytes, range: fresh.length === 1 ? fresh[0]! : null, freed: false };
  watched.push(w);
  freed.register(made, w);
  return made;
}

const Bytes = Uint8Array;
const Words = Float64Array;

/** Bytes of `a`'s memory in 4 KiB pieces (from its start) that hold something other than zero. */
function written(a: object): number {
  const buf = ArrayBuffer.isView(a) ? a.buffer : (a as ArrayBuffer);
  const n = buf.byteLength;
  const words = new Words(buf, 0, n >>> 3);
  const bytes = new Bytes(buf);
  let total = 0;
  for (let p = 0; p < n; p += PAGE) {
    const end = Math.min(n, p + PAGE);
    let hit = false;
    // a word is zero only when its 8 bytes are (-0 is not: its sign bit is set)
    for (let w = p >>> 3; w < end >>> 3; w++) {
      if (words[w] !== 0 || Object.is(words[w], -0)) {
        hit = true;
        break;
      }
    }
    for (let b = end & ~7; !hit && b < end; b++) hit = bytes[b] !== 0;
    if (hit) total += end - p;
  }
  return total;
}

type Ctor = { new (...args: never[]): object; BYTES_PER_ELEMENT?: number };

function wrap(name: string, bytesOf: (args: unknown[], per: number) => number): void {
  const g = globalThis as unknown as Record<string, Ctor>;
  const target = g[name];
  if (!target) return;
  const per = target.BYTES_PER_ELEMENT ?? 1;
  g[name] = new Proxy(target, {
    construct(t, args, newTarget) {
      return watch(bytesOf(args, per), () => Reflect.construct(t, args, newTarget));
    },
  });
}

const lengthArg = (args: unknown[], per: number) => (typeof args[0] === 'number' ? args[0] * per : 0);
for (const n of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) wrap(n, lengthArg);
wrap('ArrayBuffer', (args) => (typeof args[0] === 'number' ? args[0] : 0));
wrap('SharedArrayBuffer', (args) => (typeof args[0] === 'number' ? args[0] : 0));

/**
 * Resident bytes of [start, end), from /proc/self/pagemap: pages present (bit 63) and mapped
 * here only (bit 56), which leaves out the shared zero page a read of an untouched page maps
 * (present, not in the RSS).
 */
function resident(fd: number, start: number, end: number, buf: Buffer): number {
  const first = Math.floor(start / PAGE);
  const pages = Math.ceil(end / PAGE) - first;
  if (buf.length < pages * 8) buf = Buffer.alloc(pages * 8);
  const got = readSync(fd, buf, 0, pages * 8, first * 8);
  let n = 0;
  for (let p = 0; p < got / 8; p++) if ((buf[p * 8 + 7]! & 0x81) === 0x81) n++;
  return n * PAGE;
}

interface Row {
  site: string;
  count: number;
  mb: number;
  residentMb: number;
  writtenMb: number;
  freedCount: number;
  unlocated: number;
}

process.on('exit', () => {
  const file = process.env.AUTOIMMUNE_RESIDENCY;
  if (!file) return;
  const bySite = new Map<string, Row>();
  const rowOf = (w: Watched): Row => {
    let r = bySite.get(w.site);
    if (!r) bySite.set(w.site, (r = { site: w.site, count: 0, mb: 0, residentMb: 0, writtenMb: 0, freedCount: 0, unlocated: 0 }));
    return r;
  };
  // Resident pages first: reading an array's untouched pages (below) maps the zero page there.
  const fd = openSync('/proc/self/pagemap', 'r');
  const buf = Buffer.alloc(1 << 16);
  // newest first: a range a freed array left and a later one took is the later one's
  const claimed: Array<[number, number]> = [];
  let totalResident = 0;
  for (let i = watched.length - 1; i >= 0; i--) {
    const w = watched[i]!;
    const r = rowOf(w);
    r.count++;
    r.mb += w.bytes / 1048576;
    if (w.freed) r.freedCount++;
    if (!w.range) {
      r.unlocated++;
      continue;
    }
    if (w.freed || claimed.some(([s, e]) => s < w.range![1] && w.range![0] < e)) continue;
    claimed.push(w.range);
    const b = resident(fd, w.range[0], w.range[1], buf);
    r.residentMb += b / 1048576;
    totalResident += b;
  }
  closeSync(fd);
  let totalWritten = 0;
  for (const w of watched) {
    const alive = w.ref.deref();
    if (!alive) continue;
    const b = written(alive);
    rowOf(w).writtenMb += b / 1048576;
    totalWritten += b;
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  const rows = [...bySite.values()].sort((a, b) => Math.max(b.residentMb, b.writtenMb) - Math.max(a.residentMb, a.writtenMb)).map((r) => ({ ...r, mb: round(r.mb), residentMb: round(r.residentMb), writtenMb: round(r.writtenMb) }));
  writeFileSync(file, JSON.stringify({ watched: watched.length, residentMb: round(totalResident / 1048576), writtenMb: round(totalWritten / 1048576), bySite: rows }) + '\n');
});
