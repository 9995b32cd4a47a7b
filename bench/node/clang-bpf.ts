// clang -target bpf, for the benchmark's own XDP programs (xdp-relay.c, xdp-min.c): Debian's
// clang, or clang-14 where only that is installed.

import { spawnSync } from 'node:child_process';

/** Builds `source` with `defines` into `out`; returns `out`. */
export function clangBpf(source: string, defines: readonly string[], out: string): string {
  const args = ['-O2', '-g', '-target', 'bpf', ...defines, '-c', source, '-o', out];
  let error = '';
  for (const cc of ['clang', 'clang-14']) {
    const r = spawnSync(cc, args, { encoding: 'utf8' });
    if (r.status === 0) return out;
    error = (r.stderr || r.error?.message || '').trim();
  }
  throw new Error(`cannot build the benchmark's XDP program (clang -target bpf ${source}): ${error}; install clang (apt-get install clang)`);
}
