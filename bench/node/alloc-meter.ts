// What the main thread allocates on V8's heap over a run, for node-run. Two tools:
//  - AllocMeter: bytes allocated, from V8's GC profiler (v8.GCProfiler: the heap's used size
//    before and after every GC). Used bytes only grow between collections, so the bytes
//    allocated are the sum of each GC's "before" minus the previous GC's "after" (plus the
//    growth since the last one). ArrayBuffers' backing stores are outside the heap: not counted.
//  - HeapSampler (`--heap-sample FILE`): V8's sampling heap profiler through the inspector,
//    keeping the samples of objects the GC has since freed (garbage is what we look for;
//    `node --heap-prof` keeps only the survivors). FILE is a .heapprofile (DevTools reads it;
//    bench/node/alloc-top.ts sums it by function).

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { getHeapStatistics, GCProfiler } from 'node:v8';

interface GcStats {
  statistics: Array<{ beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }>;
}

export class AllocMeter {
  private readonly profiler = new GCProfiler();
  private usedAtStart = 0;

  start(): void {
    this.usedAtStart = getHeapStatistics().used_heap_size;
    this.profiler.start();
  }

  /** Bytes the main thread allocated on its heap since start(). */
  stop(): number {
    const usedNow = getHeapStatistics().used_heap_size;
    const { statistics } = this.profiler.stop() as unknown as GcStats;
    let bytes = 0;
    let after = this.usedAtStart;
    for (const s of statistics) {
      bytes += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - after);
      after = s.afterGC.heapStatistics.usedHeapSize;
    }
    return bytes + Math.max(0, usedNow - after);
  }
}

export class HeapSampler {
  private readonly session = new Session();

  constructor(private readonly file: string, private readonly intervalBytes = 4096) {
    this.session.connect();
  }

  private post(method: string, params: object = {}): Promise<unknown> {
    return new Promise((resolve, reject) => this.session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  }

  start(): Promise<unknown> {
    return this.post('HeapProfiler.startSampling', { samplingInterval: this.intervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }

  async stop(): Promise<void> {
    const res = (await this.post('HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(this.file, JSON.stringify(res.profile));
    this.session.disconnect();
  }
}
