// Temporary folders for tests: made under the OS temp dir and removed when the test process
// exits (each test file runs in a process of its own), so a suite run leaves nothing behind.
// A test that wants to look at its files afterwards (screenshots) makes its own with mkdtemp.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** A new empty folder named `<tmp>/<prefix>XXXXXX`, removed with its contents when the process exits. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const d of made) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // A folder a child process still writes into, or one a test made read-only: left.
        }
      }
    });
  }
  return dir;
}
