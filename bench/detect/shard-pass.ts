// The frame the rules' A/B micro-benchmarks share (udp-path.mts, amplification-path.mts,
// http-path.mts): each builds its batches, then runs passes over fresh copies of them, split
// between two shards as the node splits them, and prints the median CPU ns per packet of
// each part it times. The measured checkout's classes are passed in (its PacketBatch), so
// this file imports nothing of a checkout.

/** This process's CPU time (user + system), ns. */
export function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

interface Batch {
  capacity: number;
  buffer: ArrayBuffer;
  length: number;
  ts: Float64Array;
  srcHash(i: number): number;
}

interface Part {
  clear(): void;
  appendRow(b: Batch, i: number): void;
}

/** Copies of `batches` (made with the measured checkout's PacketBatch) whose clocks run `shiftS` later: a pass must not replay the same times into tables that saw them. */
export function shiftedCopies<B extends Batch>(batches: readonly B[], PacketBatch: new (capacity: number, buffer: ArrayBuffer) => B, shiftS: number): B[] {
  return batches.map((src) => {
    const b = new PacketBatch(src.capacity, src.buffer.slice(0));
    b.length = src.length;
    for (let i = 0; i < b.length; i++) b.ts[i] += shiftS;
    return b;
  });
}

/** The batch's rows into two shard parts by source hash, as the node routes them. */
export function splitTwo(b: Batch, parts: readonly [Part, Part]): void {
  parts[0].clear();
  parts[1].clear();
  for (let i = 0; i < b.length; i++) parts[b.srcHash(i) & 1].appendRow(b, i);
}

/** `pass` 3 times to warm up, then 9 times: the median of each number it returns, to 0.1. */
export function medians(pass: () => number[], warm = 3, runs = 9): number[] {
  for (let w = 0; w < warm; w++) pass();
  const all: number[][] = [];
  for (let k = 0; k < runs; k++) all.push(pass());
  return all[0]!.map((_, j) => {
    const col = all.map((r) => r[j]!).sort((a, b) => a - b);
    return Math.round(col[Math.floor(runs / 2)]! * 10) / 10;
  });
}

interface Checkout {
  SourceRules: new (config: any) => { scan(part: any, out: unknown[], tally: any): void };
  DEFAULT_RULES: unknown;
  newVictimTally(): unknown;
  clearVictimTally(tally: any): void;
  PacketBatch: new (capacity: number) => Part;
}

/** Two shards' SourceRules with default rules, their victim tallies and their parts, from the measured checkout's classes; `scan` runs both on their parts (filled by splitTwo). */
export function twoShards(m: Checkout) {
  const shards = [new m.SourceRules(m.DEFAULT_RULES), new m.SourceRules(m.DEFAULT_RULES)];
  const tallies = [m.newVictimTally(), m.newVictimTally()];
  const parts: [Part, Part] = [new m.PacketBatch(1024), new m.PacketBatch(1024)];
  return {
    tallies,
    parts,
    scan(out: unknown[]): void {
      for (let k = 0; k < 2; k++) {
        m.clearVictimTally(tallies[k]);
        shards[k]!.scan(parts[k], out, tallies[k]);
      }
    },
  };
}
