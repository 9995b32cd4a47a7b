// How the node benchmark starts bench/node/node-run: compiled (dist/bench/node/node-run.js,
// built first when a source is newer), as the product runs; from the sources through tsx's
// loader when AUTOIMMUNE_BENCH_TSX=1 (`npm run bench -- node --tsx`), for profiling the
// TypeScript as written.

import { buildDistIfStale } from '../../devkit/build-dist.ts';
import { fileURLToPath } from 'node:url';

const path = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** node's arguments that run node-run (add node-run's own after them). */
export function nodeRunArgs(): string[] {
  if (process.env.AUTOIMMUNE_BENCH_TSX === '1') return ['--import', 'tsx', path('./node-run.ts')];
  buildDistIfStale();
  return [path('../../dist/bench/node/node-run.js')];
}
