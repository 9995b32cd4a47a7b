// The frame the rules' A/B micro-benchmarks share (udp-path.mts, amplification-path.mts,
// http-path.mts): each builds its batches, then runs passes over fresh copies of them, split
// between two shards as the node splits them, and prints the median CPU ns per packet of
// each part it times. The measured checkout's classes are passed in (its PacketBatch), so
// this file imports nothing of a checkout.

import { readdirSync } from 'node:fs';

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

/** A checkout's side of an A/B benchmark: one pass over its batches (CPU ns a packet per stage), then its summary line. */
export interface Lane {
  pass(n: number): number[];
  result(): Record<string, unknown>;
}

/**
 * Runs `warm` + `runs` passes, the lanes alternating pass by pass (the order turned each pass,
 * so a load that comes and goes falls on all of them), and prints each lane's result line,
 * the lanes after the first with `ratio_to_first`: per stage, the median over the counted
 * passes of the ratio of its CPU to the first lane's in the same pass, to 3 decimals.
 */
export function alternateLanes(lanes: readonly Lane[], stages: readonly string[], warm: number, runs: number): void {
  const ratios: number[][][] = lanes.map(() => []);
  for (let n = 0; n < warm + runs; n++) {
    const order = n % 2 === 0 ? lanes.map((_, k) => k) : lanes.map((_, k) => lanes.length - 1 - k);
    const got: number[][] = [];
    for (const k of order) got[k] = lanes[k]!.pass(n);
    if (n >= warm) lanes.forEach((_, k) => ratios[k]!.push(got[k]!.map((v, j) => v / got[0]![j]!)));
  }
  lanes.forEach((l, k) => {
    const line = l.result();
    if (k > 0) {
      line.ratio_to_first = Object.fromEntries(
        stages.map((s, j) => {
          const v = ratios[k]!.map((r) => r[j]!).sort((a, b) => a - b);
          return [s, Math.round(v[Math.floor(v.length / 2)]! * 1000) / 1000];
        }),
      );
    }
    console.log(JSON.stringify(line));
  });
}

/**
 * Every shared capture in `dir` (D*.pcap, D*.pcapng, by name), decoded by the measured
 * checkout's reader into batches of `size` rows as the capture hands them on; `span`: the
 * seconds a pass's clocks move on so that the next starts an idle timeout and more after it.
 */
export function captureBatches(
  dir: string,
  readCaptureSync: (path: string, onBatch: (b: any) => void) => unknown,
  PacketBatch: new (capacity: number) => any,
  size: number,
): { batches: any[]; packets: number; span: number } {
  const batches: any[] = [];
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const f of readdirSync(dir).filter((n) => /^D\d+.*\.pcap(ng)?$/.test(n)).sort()) {
    readCaptureSync(dir + f, (b: any) => {
      for (let at = 0; at < b.length; at += size) {
        const part = new PacketBatch(size);
        for (let i = at; i < Math.min(b.length, at + size); i++) part.appendRow(b, i);
        for (let i = 0; i < part.length; i++) (t0 = Math.min(t0, part.ts[i])), (t1 = Math.max(t1, part.ts[i]));
        batches.push(part);
      }
    });
  }
  return { batches, packets: batches.reduce((n, b) => n + b.length, 0), span: t1 - t0 + 60 };
}
