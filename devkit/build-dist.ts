// dist/ built when a source is newer (scripts/build.mjs --if-stale), once per process: for the
// runners that start the compiled node (the node benchmark, the range).

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

let built = false;

/** Builds dist/ if stale; throws with the build's own error when it cannot. */
export function buildDistIfStale(): void {
  if (built) return;
  const script = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url));
  const b = spawnSync(process.execPath, [script, '--if-stale'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (b.status !== 0) throw new Error(`dist/ could not be built: ${(b.stderr ?? '').trim() || `exit ${b.status}`}`);
  built = true;
}
