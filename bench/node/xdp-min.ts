// xdp-min.c on one interface of a lab namespace, for drop-rate.ts: built with clang, loaded and
// attached (native) with bpftool, its maps pinned in a bpf filesystem of its own under /tmp
// (gone with flush). The same steps as a backend's setup/apply/flush, so drop-rate.ts measures
// it as it measures the XDP backend.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../src/firewall/exec.ts';
import type { FirewallEntry } from '../../src/firewall/backend.ts';
import { keyOf } from '../../src/firewall/xdp-maps.ts';
import { parseCidr } from '../../src/respond/cidr.ts';

export const XDP_MIN_SOURCE = fileURLToPath(new URL('./xdp-min.c', import.meta.url));

/** `obj`: xdp-min.c built (clang-bpf.ts). */
export function xdpMin(netns: string, iface: string, obj: string) {
  let dir = '';
  const fs = () => join(dir, 'bpffs');
  const run = (file: string, args: string[]) => runCommand(file, args, { netns });
  const mapOf = (family: 4 | 6) => join(fs(), `banned${family}`);
  return {
    async setup(): Promise<void> {
      dir = mkdtempSync(join(tmpdir(), 'ai-xdp-min-'));
      mkdirSync(fs());
      await runCommand('mount', ['-t', 'bpf', 'bpf', fs()]);
      await run('bpftool', ['prog', 'load', obj, join(fs(), 'prog'), 'type', 'xdp', 'pinmaps', fs()]);
      await run('bpftool', ['net', 'attach', 'xdpdrv', 'pinned', join(fs(), 'prog'), 'dev', iface]);
    },
    /** Adds the addresses, all in one `bpftool batch` (one process for thousands). */
    async apply(add: readonly FirewallEntry[]): Promise<void> {
      if (add.length === 0) return;
      const lines = add.map((e) => {
        const c = parseCidr(e.address);
        return `map update pinned ${mapOf(c.family)} key ${keyOf(c)} value 0 0 0 0 0 0 0 0`;
      });
      await runCommand('bpftool', ['batch', 'file', '-'], { netns, stdin: `${lines.join('\n')}\n` });
    },
    /** Frames dropped: the maps' per-CPU counters, summed. */
    async dropped(): Promise<number> {
      let n = 0;
      for (const f of [4, 6] as const) {
        const rows = JSON.parse((await run('bpftool', ['-j', 'map', 'dump', 'pinned', mapOf(f)])).stdout) as Array<{ formatted?: { values?: Array<{ value?: number }> } }>;
        for (const r of rows) for (const v of r.formatted?.values ?? []) n += v.value ?? 0;
      }
      return n;
    },
    async flush(): Promise<void> {
      if (dir === '') return;
      await run('bpftool', ['net', 'detach', 'xdpdrv', 'dev', iface]).catch(() => {});
      await runCommand('umount', [fs()]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      dir = '';
    },
  };
}
