// The node's files hold what it saw (attackers, alerts, bans, flows) and its secrets (the API
// token): owner-only. Two means, as neither alone covers every file:
// - a umask of 077 while a node runs, for files created later by code the node does not open
//   itself (DuckDB's write-ahead log, deleted and created again at every checkpoint; the
//   similarity index; models);
// - chmod 0600 of files made before (by an older version, or before the umask).

import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';

const PRIVATE_UMASK = 0o077;
let holders = 0;
let saved: number | undefined;

/**
 * Sets the process's umask to 077 until the returned release() (held per node: the last
 * release restores what it was). process-wide, as the kernel's umask is.
 */
export function holdPrivateUmask(): () => void {
  if (holders++ === 0) saved = process.umask(PRIVATE_UMASK);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0 && saved !== undefined) {
      process.umask(saved);
      saved = undefined;
    }
  };
}

/** chmod 0600 each of `paths` that exists. */
export function makePrivate(paths: readonly string[]): void {
  for (const p of paths) if (existsSync(p)) chmodSync(p, 0o600);
}

/**
 * Creates `path` empty with mode 0600 if it does not exist, else makes it 0600: for SQLite,
 * whose -wal and -shm files take the database file's mode.
 */
export function privateFile(path: string): void {
  if (existsSync(path)) chmodSync(path, 0o600);
  else closeSync(openSync(path, 'a', 0o600));
}
