// A small state file written whole or not at all: to a temporary file (owner-only), fsynced,
// renamed over the old one, and the folder fsynced, so after a crash or a power cut the file is
// the old one or the new one, never a mix; and its JSON read back, absent meaning empty.

import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` with `text` (mode 0600), durably. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600); // a temporary file left by a crash keeps its old mode
  fsyncPath(tmp, 'r+');
  renameSync(tmp, path);
  fsyncPath(dirname(path), 'r');
}

/**
 * The JSON in `path`, or `absent` when there is no such file. Any other problem (unreadable,
 * not JSON) is handed to `fail`, which throws the caller's own error.
 */
export function readJsonFile(path: string, absent: unknown, fail: (message: string) => never): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return absent;
    return fail((err as Error).message);
  }
}
