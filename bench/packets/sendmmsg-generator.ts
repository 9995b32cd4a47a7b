// The C generator (sendmmsg-generator.c) built at run time with the system's cc, cached by
// the hash of its source in the temp dir, so a benchmark needs no shipped binary. It takes the
// arguments of traffic-generator.ts (plus --max-seconds) and prints the same JSON report, at a
// fraction of the CPU: node's dgram costs several µs of the shared 2 cores per datagram,
// which kept the JS generator under 60k packets/s beside a busy node.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./sendmmsg-generator.c', import.meta.url));

/** The built generator's path; builds it on first use. Throws when no C compiler works. */
export function sendmmsgGenerator(): string {
  const text = readFileSync(SOURCE);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'autoimmune-bench-bin');
  const out = join(dir, `sendmmsg-generator-${hash}`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${out}.${process.pid}`;
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', tmp, SOURCE], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cannot build the C traffic generator (cc ${SOURCE}): ${(cc.stderr || cc.error?.message || '').trim()}; install gcc (apt-get install gcc) or use traffic-generator.ts`);
  renameSync(tmp, out);
  return out;
}
