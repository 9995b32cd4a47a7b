#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4 --max-old-space-size=512
// The installed command: the compiled program (dist/, `npm run build`), with no TypeScript
// loader. When a source changed since the last build, it builds first (scripts/build.mjs;
// that needs TypeScript, a devDependency), so that it never runs a stale dist/ silently.
// The first line gives node the environment and the flags of src/node/process-flags.ts (`env -S`:
// coreutils 8.30+).
import { ensureBuilt } from '../scripts/build.mjs';

try {
  const why = ensureBuilt();
  if (why !== null) process.stderr.write(`autoimmune: built dist/ first (${why})\n`);
} catch (err) {
  process.stderr.write(`autoimmune: dist/ is out of date and could not be built: ${err.message}\nautoimmune: run \`npm run build\` in ${new URL('..', import.meta.url).pathname}\n`);
  process.exit(2);
}
const { main } = await import('../dist/src/cli.js');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
