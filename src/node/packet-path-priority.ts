// The packet path's scheduling priority (`pipeline.nice`). On a live node the main
// thread runs the capture's reads, the actor shards, the detectors and the desk: a decision
// waits for every turn of that one thread, and for the thread itself whenever it waits for a
// core. The live benchmark's slow decisions (over 4 ms at 100k packets/s) were mostly that:
// the main thread runnable and not running (README, "Benchmarks", session 8).
//
// On Linux a nice value belongs to a thread. The node sets it, once started, on each thread of
// the process but the event store's ("ai-store…", whose writes can wait): the main thread, the
// shard threads, and Node's own (V8's GC helpers, which a scavenge of the main thread waits
// for, its compilers, libuv's pool). Threads started later inherit the value of the thread that
// starts them; a thread already at a lower value (the process started with one) keeps it. A
// value below a thread's needs root or CAP_SYS_NICE; refused, the node says so
// once and runs as it is. Each thread's value before is put back when the last node of the
// process that set it stops (tests start several in one process).

import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Threads left as they are: the event store's database thread and its loader. */
const LEFT = /^ai-store/;

let holders = 0;
/** Each thread's value before the first node set it, by thread id. */
let before = new Map<number, number>();

/** The process's threads but those LEFT (the main thread alone where /proc is not there). */
export function packetPathThreads(): number[] {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return [process.pid];
  }
  const out: number[] = [];
  for (const t of tids) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
    } catch {
      continue; // exited since the listing
    }
    if (!LEFT.test(comm)) out.push(Number(t));
  }
  return out;
}

/**
 * Sets the nice value of the packet path's threads to `nice` (null: leaves them); returns the
 * release that puts back the values they had, or null when nothing was changed. `notice` hears
 * why it was refused.
 */
export function setPacketPathNice(nice: number | null, notice: (line: string) => void): (() => void) | null {
  if (nice === null) return null;
  const threads = packetPathThreads();
  const now = new Map<number, number>();
  for (const tid of threads) {
    try {
      now.set(tid, getPriority(tid));
    } catch {
      // exited since the listing
    }
  }
  try {
    if ((now.get(process.pid) ?? 0) > nice) setPriority(process.pid, nice);
  } catch (err) {
    notice(`autoimmune: pipeline.nice ${nice} not applied (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}: a nice value below the thread's ${now.get(process.pid)} needs root or CAP_SYS_NICE); the packet path runs at ${now.get(process.pid)}. Set pipeline.nice to null to leave it`);
    return null;
  }
  for (const tid of threads) {
    // A thread already above it (a node started with a lower nice value) is left there.
    if (tid === process.pid || (now.get(tid) ?? nice) <= nice) continue;
    try {
      setPriority(tid, nice);
    } catch {
      // exited since the listing
    }
  }
  if (holders === 0) before = now;
  holders++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0) return;
    for (const [tid, was] of before) {
      try {
        setPriority(tid, was);
      } catch {
        // exited since
      }
    }
  };
}
