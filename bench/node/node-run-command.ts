// How the node benchmark starts bench/node/node-run: compiled (dist/bench/node/node-run.js,
// built first when a source is newer), as the product runs; from the sources through tsx's
// loader when AUTOIMMUNE_BENCH_TSX=1 (`npm run bench -- node --tsx`), for profiling the
// TypeScript as written.

import { buildDistIfStale } from '../../devkit/build-dist.ts';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/node/process-flags.ts';

const path = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** node's arguments that run node-run (add node-run's own after them): the product's flags (src/node/process-flags.ts), then the script. */
export function nodeRunArgs(): string[] {
  if (process.env.AUTOIMMUNE_BENCH_TSX === '1') return [...NODE_FLAGS, '--import', 'tsx', path('./node-run.ts')];
  buildDistIfStale();
  return [...NODE_FLAGS, path('../../dist/bench/node/node-run.js')];
}
