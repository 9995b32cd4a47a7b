// `npm run bench -- SUITE...`: runs benchmark suites; each prints one JSON object per line.
import { readdirSync } from 'node:fs';

const suites = readdirSync(new URL('.', import.meta.url)).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, ''));
// --tsx: the node benchmark runs the node from the sources through tsx (profiling), not compiled.
const asked = process.argv.slice(2).filter((a) => a !== '--tsx');
if (process.argv.includes('--tsx')) process.env.AUTOIMMUNE_BENCH_TSX = '1';
if (asked.length === 0 || asked.includes('--help')) {
  process.stderr.write(`usage: npm run bench -- SUITE... [--tsx]\n--tsx: the node suite runs the node from the sources through tsx, not compiled (dist/)\nsuites: ${suites.join(', ')}\n`);
  process.exit(asked.length === 0 ? 2 : 0);
}
for (const s of asked) {
  if (!suites.includes(s)) {
    process.stderr.write(`bench: unknown suite ${JSON.stringify(s)}; the suites are ${suites.join(', ')}\n`);
    process.exit(2);
  }
}
for (const s of asked) {
  const mod = (await import(`./${s}.bench.ts`)) as { run: () => Promise<void> };
  await mod.run();
}
