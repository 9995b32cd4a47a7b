// How long the main thread waited for a core (runnable, not running) between two moments:
// a worker thread reads the main thread's /proc/self/task/PID/schedstat (its run time and
// its wait on the run queue, ns) every SAMPLE_MS into a ring shared with the main thread,
// which never reads a file for it. Only for the live benchmark's --stages (live-stages.ts):
// on a shared 2-core machine a decision can wait behind other processes, which no turn of
// the node's own shows.

import { Worker } from 'node:worker_threads';

const SAMPLE_MS = 1;
/** Samples kept: 16 s at 1 ms. */
const RING = 16_384;

const SAMPLER = `
const { workerData } = require('node:worker_threads');
const { openSync, readSync } = require('node:fs');
const { ring, count, pid, every } = workerData;
const sleep = new Int32Array(new SharedArrayBuffer(4));
const fd = openSync('/proc/self/task/' + pid + '/schedstat', 'r');
const buf = Buffer.alloc(128);
for (;;) {
  let s;
  try { s = buf.toString('latin1', 0, readSync(fd, buf, 0, 128, 0)).split(' '); } catch { break; }
  const k = Atomics.load(count, 0) % (ring.length / 2);
  ring[2 * k] = performance.timeOrigin + performance.now();
  ring[2 * k + 1] = Number(s[1]) / 1e6;
  Atomics.add(count, 0, 1);
  Atomics.wait(sleep, 0, 0, every);
}
`;

export class RunDelay {
  private readonly ring = new Float64Array(new SharedArrayBuffer(RING * 2 * 8));
  private readonly count = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;

  constructor() {
    this.worker = new Worker(SAMPLER, { eval: true, workerData: { ring: this.ring, count: this.count, pid: process.pid, every: SAMPLE_MS } });
    this.worker.unref();
  }

  /** The main thread's run-queue wait (ms, epoch clock) at `t`, interpolated between samples (the newest's after it); null before the oldest held. */
  private waitedAt(t: number): number | null {
    const n = Atomics.load(this.count, 0);
    const held = Math.min(n, RING);
    // Newest first: the span asked for is recent.
    let after = -1;
    for (let i = n - 1; i >= n - held; i--) {
      const k = i % RING;
      if (this.ring[2 * k]! <= t) {
        if (after < 0) return this.ring[2 * k + 1]!; // past the newest sample: its value
        const t0 = this.ring[2 * k]!;
        const t1 = this.ring[2 * after]!;
        const w0 = this.ring[2 * k + 1]!;
        const w1 = this.ring[2 * after + 1]!;
        return t1 === t0 ? w0 : w0 + ((w1 - w0) * (t - t0)) / (t1 - t0);
      }
      after = k;
    }
    return null;
  }

  /** Ms the main thread waited for a core between `from` and `to` (epoch ms); 0 when the samples do not span them. */
  between(from: number, to: number): number {
    const a = this.waitedAt(from);
    const b = this.waitedAt(to);
    return a === null || b === null ? 0 : Math.max(0, b - a);
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}
