// Names the calling OS thread (what `top -H`, `ps -L` and /proc/PID/task/TID/comm show), so
// a node's threads can be told apart: every thread Node starts is called "node". Threads the
// named one starts later (a worker's own loader thread, a database's threads) inherit the
// name. Linux only, at most 15 bytes; elsewhere, or when /proc is not mounted, nothing happens.

import { writeFileSync } from 'node:fs';

/** The longest name the kernel keeps (TASK_COMM_LEN 16, with its NUL). */
export const THREAD_NAME_MAX = 15;

export function nameThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, THREAD_NAME_MAX));
  } catch {
    // not Linux, or /proc not mounted: the thread keeps its name
  }
}
