// One JSON line per result, with what it ran on, so numbers can be compared across runs.
import { cpus } from 'node:os';

export interface Result {
  name: string;
  value: number;
  unit: string;
  [extra: string]: unknown;
}

const host = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };

/** A result that could not be measured: no value, and why. */
export interface MissingResult {
  name: string;
  value: null;
  unit: string;
  missing: string;
  [extra: string]: unknown;
}

export function report(r: Result | MissingResult): void {
  process.stdout.write(`${JSON.stringify({ ...r, ...host })}\n`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}
