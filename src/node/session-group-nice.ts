// The nice value of the node's session group (Linux autogroups), the other half of
// `pipeline.nice`. With `kernel.sched_autogroup_enabled` 1 (the default of most
// distributions' kernels) the scheduler shares the cores first between sessions (each
// process started by `setsid`: a login, a daemon, a terminal's shell), then between the
// threads of each session by their nice values: a thread's own nice value only orders it
// against the threads of its own session. Against the rest of the machine a node in such a
// group takes its group's share (one session's, whatever its threads' values), so
// `pipeline.nice` alone made the packet path win the core only from its own session
// (README, "Benchmarks", session 18: in the live lab, from the generator). The group's value
// is in /proc/self/autogroup ("/autogroup-N nice V", writable: sched(7), "The autogroup
// feature"); lowering it needs CAP_SYS_NICE.
//
// The node sets it only when it leads its session (started as a daemon, by `setsid`, a
// supervisor): otherwise the group is its caller's (an operator's shell and its other jobs),
// which is not the node's to raise. A process in a cgroup of its own (systemd services,
// containers) is not scheduled by autogroup; writing the value there changes nothing.
// The value before is put back when the last node of the process that set it stops.

import { readFileSync, writeFileSync } from 'node:fs';

/** "/autogroup-25 nice 0" → 0; null when the text is not that. */
export function parseAutogroupNice(text: string): number | null {
  const m = /^\/autogroup-\d+\s+nice\s+(-?\d+)\s*$/.exec(text);
  return m ? Number(m[1]) : null;
}

/** The session id in a /proc/PID/stat line (its 6th field; the 2nd, the name, may hold spaces and parentheses). */
export function sessionOfStat(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

/** Where the kernel keeps it; tests point these elsewhere. */
export interface SessionGroupFiles {
  enabled: string;
  autogroup: string;
  stat: string;
}

const PROC: SessionGroupFiles = {
  enabled: '/proc/sys/kernel/sched_autogroup_enabled',
  autogroup: '/proc/self/autogroup',
  stat: '/proc/self/stat',
};

let holders = 0;
let before: number | null = null;

const read = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/**
 * Sets the node's session group to `nice` when the kernel schedules by session group and the
 * node leads its session and its group's value is above `nice`; returns the release that puts
 * the value before back, or null when nothing was changed. `notice` hears why it was refused.
 */
export function setSessionGroupNice(nice: number | null, notice: (line: string) => void, files: SessionGroupFiles = PROC): (() => void) | null {
  if (nice === null) return null;
  if (holders === 0) {
    // The first node of the process sets it; later ones (tests start several in one process) share it.
    if (read(files.enabled)?.trim() !== '1') return null;
    const stat = read(files.stat);
    if (stat === null || sessionOfStat(stat) !== process.pid) return null;
    const text = read(files.autogroup);
    const now = text === null ? null : parseAutogroupNice(text);
    if (now === null || now <= nice) return null;
    try {
      writeFileSync(files.autogroup, String(nice));
    } catch (err) {
      notice(`autoimmune: pipeline.nice ${nice} not applied to the node's session group (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}: below its ${now} needs root or CAP_SYS_NICE); against other sessions the packet path keeps the group's share`);
      return null;
    }
    before = now;
  }
  holders++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0 || before === null) return;
    try {
      writeFileSync(files.autogroup, String(before));
    } catch {
      // the group is gone with its session
    }
    before = null;
  };
}
