// One owner per firewall table. A node reconciles its table to exactly its registry, so a
// second node managing the same table in the same network namespace would empty the first
// one's bans. The owner holds a lock file named after the namespace (its inode: two lab
// namespaces on one host are two kernels' worth of tables), the backend and the table; a
// second node refuses to start, naming the owner and the setting to change. A lock whose
// process is gone (a crash, a SIGKILL) is taken over.

import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoimmuneError } from '../errors.ts';

export class FirewallTableOwnedError extends AutoimmuneError {
  readonly owner: TableOwner;
  constructor(what: string, owner: TableOwner) {
    super(
      'AI_ERR_FIREWALL_TABLE_OWNED',
      `${what} is already managed by node ${owner.node} (pid ${owner.pid}, state dir ${owner.stateDir}, since ${owner.since}); ` +
        'two nodes on one table would empty each other\'s bans: set firewall.table to another name for this node, or stop that one',
    );
    this.owner = owner;
  }
}

export interface TableOwner {
  node: string;
  pid: number;
  stateDir: string;
  since: string;
  /** The owner process's start time (from /proc), so a reused pid is not taken for the owner. */
  startTime: string | null;
}

export interface TableLock {
  readonly file: string;
  release(): void;
}

/** /proc/<pid>/stat's start time (field 22), or null when the process does not exist. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(owner: TableOwner): boolean {
  const now = startTimeOf(owner.pid);
  return now !== null && (owner.startTime === null || owner.startTime === now);
}

/** The network namespace's identity: its inode (of a named one, or of this process's). */
export function netnsId(netns?: string): string {
  try {
    return String(statSync(netns ? `/run/netns/${netns}` : '/proc/self/ns/net').ino);
  } catch {
    return 'default';
  }
}

function lockDir(): string {
  for (const dir of ['/run/autoimmune', join(tmpdir(), `autoimmune-${process.getuid?.() ?? 'user'}`)]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    } catch {
      // not writable: the next
    }
  }
  throw new AutoimmuneError('AI_ERR_FIREWALL_LOCK', 'no writable directory for the firewall table lock (/run/autoimmune or the temp dir)');
}

/**
 * Takes the lock on (namespace, backend, table) for this process, or throws
 * FirewallTableOwnedError when a live process holds it.
 */
export function lockFirewallTable(o: { backend: string; table: string; netns?: string; node: string; stateDir: string; dir?: string }): TableLock {
  const ns = netnsId(o.netns);
  const file = join(o.dir ?? lockDir(), `firewall-${ns}-${o.backend}-${o.table}.lock`);
  const me: TableOwner = { node: o.node, pid: process.pid, stateDir: o.stateDir, since: new Date().toISOString(), startTime: startTimeOf(process.pid) };
  const what = `firewall table ${o.table} (${o.backend}) in network namespace ${o.netns ?? ns}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx', mode: 0o600 });
      return {
        file,
        release() {
          try {
            const held = JSON.parse(readFileSync(file, 'utf8')) as TableOwner;
            if (held.pid === me.pid) unlinkSync(file);
          } catch {
            // gone already
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner: TableOwner | null = null;
    try {
      owner = JSON.parse(readFileSync(file, 'utf8')) as TableOwner;
    } catch {
      // unreadable or half written: stale
    }
    if (owner && typeof owner.pid === 'number' && owner.pid !== process.pid && alive(owner)) throw new FirewallTableOwnedError(what, owner);
    try {
      unlinkSync(file);
    } catch {
      // another starter took it over first: try again
    }
  }
  throw new AutoimmuneError('AI_ERR_FIREWALL_LOCK', `could not take the lock ${file} for ${what}`);
}
