// CPU seconds per thread of this process, from /proc/self/task/*/stat (utime + stime), grouped
// by what each thread is. Node names every thread "node"; the product's own threads name
// themselves (src/util/thread-name.ts: "ai-store", its loader "ai-store-load", "ai-shard-N"
// for a shard in a thread), and the rest are told apart by when they started (tids grow in
// creation order): Node starts, before any JavaScript runs, its delayed-task scheduler and then
// `--v8-pool-size` (default 4) V8 platform workers (GC's parallel and concurrent helpers, the
// optimising compiler), then the inspector's I/O thread; libuv's pool (UV_THREADPOOL_SIZE,
// default 4) and loader threads (tsx) come later.

import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadCpu {
  comm: string;
  cpuS: number;
  /**
   * Seconds it was ready to run and waited for a core (/proc/.../schedstat's run delay): on
   * a machine shared with other work, what tells a thread held back by the machine from one
   * idle for want of work (the rest of the wall clock).
   */
  waitS: number;
}

const TICKS_PER_S = 100;

/** Thread `tid` of this process: its name and CPU seconds so far (null: it has exited). */
export function taskCpu(tid: number): ThreadCpu | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime: fields 14 and 15, counted from the state field (3): indexes 11 and 12.
  return { comm, cpuS: (Number(f[11]) + Number(f[12])) / TICKS_PER_S, waitS: (schedstat(tid)?.waitMs ?? 0) / 1000 };
}

/**
 * A task's schedstat (/proc/TASK/schedstat, TASK `self/task/<tid>` by default): ms on a core,
 * ms waiting on a run queue (runnable, not running), times it got a core; null: gone, or a
 * kernel without it.
 */
export function schedstat(tid: number, task = `self/task/${tid}`): { runMs: number; waitMs: number; slices: number } | null {
  try {
    const f = readFileSync(`/proc/${task}/schedstat`, 'utf8').split(' ');
    return { runMs: Number(f[0]) / 1e6, waitMs: Number(f[1]) / 1e6, slices: Number(f[2]) };
  } catch {
    return null;
  }
}

/** Every live thread of this process: tid → its name and CPU seconds so far. */
export function readThreads(): Map<number, ThreadCpu> {
  const out = new Map<number, ThreadCpu>();
  for (const t of readdirSync('/proc/self/task')) {
    const cpu = taskCpu(Number(t));
    if (cpu) out.set(Number(t), cpu); // (null: exited since the listing)
  }
  return out;
}

function v8PoolSize(): number {
  const flag = process.execArgv.find((a) => a.startsWith('--v8-pool-size='));
  return flag ? Number(flag.split('=')[1]) : 4;
}

/**
 * Follows the threads over a run: `start()` when it starts, `sample()` now and then (a
 * thread that exits keeps the CPU last read), `report()` at its end: CPU seconds by group,
 * and by tid with its group.
 */
export class ThreadCpuMeter {
  private readonly roles = new Map<number, string>();
  private readonly atStart = new Map<number, ThreadCpu>();
  private readonly last = new Map<number, ThreadCpu>();

  /** Call before any of the node's code runs: labels Node's own threads by their order. */
  constructor() {
    const tids = [...readThreads().keys()].filter((t) => t !== process.pid).sort((a, b) => a - b);
    this.roles.set(process.pid, 'main');
    if (tids.length > 0) this.roles.set(tids[0]!, 'node-delayed-tasks');
    const pool = v8PoolSize();
    for (const t of tids.slice(1, 1 + pool)) this.roles.set(t, 'v8-platform');
    for (const t of tids.slice(1 + pool)) this.roles.set(t, 'node-startup-other');
  }

  start(): void {
    this.atStart.clear();
    this.last.clear();
    for (const [tid, t] of readThreads()) {
      this.atStart.set(tid, t);
      this.last.set(tid, t);
    }
  }

  sample(): void {
    for (const [tid, t] of readThreads()) this.last.set(tid, t);
  }

  private role(tid: number, comm: string): string {
    return this.roles.get(tid) ?? (comm === 'node' ? 'node-later' : comm);
  }

  /**
   * CPU seconds since start() by group, and each thread's [tid, group, seconds]; `waitByGroup`:
   * the seconds each group waited for a core (ThreadCpu.waitS) over the same time.
   */
  report(): { byGroup: Record<string, number>; waitByGroup: Record<string, number>; threads: [number, string, number][] } {
    this.sample();
    const byGroup: Record<string, number> = {};
    const waitByGroup: Record<string, number> = {};
    const threads: [number, string, number][] = [];
    const round = (x: number) => Math.round(x * 100) / 100;
    for (const [tid, t] of this.last) {
      const t0 = this.atStart.get(tid);
      const s = round(t.cpuS - (t0?.cpuS ?? 0));
      const g = this.role(tid, t.comm);
      byGroup[g] = round((byGroup[g] ?? 0) + s);
      waitByGroup[g] = round((waitByGroup[g] ?? 0) + t.waitS - (t0?.waitS ?? 0));
      if (s > 0) threads.push([tid - process.pid, g, s]);
    }
    return { byGroup, waitByGroup, threads };
  }
}
