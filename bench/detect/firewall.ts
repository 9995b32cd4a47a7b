// Firewall backend benchmark: time to apply one batch of N bans as one transaction (into
// empty sets, and again to refresh every timeout), to list them, to reconcile half of them
// away, and to remove them, for nftables and iptables+ipset, in a network namespace of its
// own (never the host's tables). The reference measured in the same run is the tool's
// cheapest command (nft list tables / ipset list -n) in the same namespace: the fixed cost
// of a process and a netlink round trip, which a batch pays once.
//
//   node --import tsx bench/detect/firewall.ts     one JSON line per result (needs root)
import { fileURLToPath } from 'node:url';
import type { FirewallBackend, FirewallEntry } from '../../src/firewall/backend.ts';
import { NftablesBackend } from '../../src/firewall/nftables.ts';
import { IptablesIpsetBackend } from '../../src/firewall/iptables-ipset.ts';
import { runCommand } from '../../src/firewall/exec.ts';
import { median, report, type Result } from '../report.ts';

/** N distinct hosts (one in ten IPv6), each with its own timeout; another salt, other hosts. */
function bans(n: number, salt: number): FirewallEntry[] {
  const out: FirewallEntry[] = [];
  for (let i = 0; i < n; i++) {
    const k = i + salt * 0x100000;
    const address = i % 10 === 9 ? `2001:db8:${(k >>> 16).toString(16)}:${(k & 0xffff).toString(16)}::1` : `10.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`;
    out.push({ address, timeoutS: 600 + (i % 3600) });
  }
  return out;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

interface Kind {
  name: 'nftables' | 'iptables-ipset';
  make(netns: string): FirewallBackend;
  /** The cheapest command of the tool: the reference. */
  noop: [string, string[]];
}

const KINDS: Kind[] = [
  { name: 'nftables', make: (netns) => new NftablesBackend({ netns, table: 'bench' }), noop: ['nft', ['list', 'tables']] },
  { name: 'iptables-ipset', make: (netns) => new IptablesIpsetBackend({ netns, name: 'bench' }), noop: ['ipset', ['list', '-n']] },
];

export async function benchFirewall(sizes: number[] = [1000, 10_000], rounds = 5): Promise<Result[]> {
  const netns = `ai-bench-${process.pid}`;
  await runCommand('ip', ['netns', 'add', netns]);
  const results: Result[] = [];
  try {
    for (const kind of KINDS) {
      const spawn: number[] = [];
      for (let r = 0; r < 10; r++) spawn.push(await timed(() => runCommand(kind.noop[0], kind.noop[1], { netns })));
      const refMs = median(spawn);
      results.push({ name: `firewall_${kind.name}_noop_ms`, value: round(refMs), unit: 'ms', command: kind.noop.flat().join(' ') });
      for (const n of sizes) {
        const all = bans(n, 0);
        const half = [...all.slice(0, n / 2), ...bans(n / 2, 1)];
        const t = { apply: [] as number[], refresh: [] as number[], list: [] as number[], reconcile: [] as number[], remove: [] as number[] };
        for (let r = 0; r < rounds; r++) {
          const fw = kind.make(netns);
          await fw.flush();
          await fw.setup();
          t.apply.push(await timed(() => fw.apply(all, [])));
          t.refresh.push(await timed(() => fw.apply(all, [])));
          let listed = 0;
          t.list.push(await timed(async () => (listed = (await fw.list()).length)));
          if (listed !== n) throw new Error(`${kind.name}: listed ${listed} of ${n} bans`);
          let result = { added: 0, removed: 0, kept: 0 };
          t.reconcile.push(await timed(async () => (result = await kind.make(netns).reconcile(half))));
          if (result.added !== n / 2 || result.removed !== n / 2) throw new Error(`${kind.name}: reconcile ${JSON.stringify(result)}`);
          t.remove.push(await timed(() => fw.apply([], half.map((e) => e.address))));
          await fw.flush();
        }
        for (const [what, xs] of Object.entries(t)) {
          const ms = median(xs);
          results.push({
            name: `firewall_${kind.name}_${what}_${n}`,
            value: round(ms),
            unit: 'ms',
            bans: n,
            per_ban_us: round((ms * 1000) / n),
            noop_ratio: round(ms / refMs),
            note: NOTES[what as keyof typeof NOTES],
          });
        }
      }
    }
  } finally {
    await runCommand('ip', ['netns', 'del', netns]);
  }
  return results;
}

const NOTES = {
  apply: 'one transaction adding N bans to empty sets (10% IPv6), median of rounds',
  refresh: 'the same N again: every timeout refreshed (nft: add, delete, add each; ipset: add -exist)',
  list: 'list() of N elements with their timeouts',
  reconcile: 'fresh instance: N/2 kept, N/2 removed, N/2 added, in one transaction',
  remove: 'one transaction removing N',
};

const round = (x: number) => Math.round(x * 1000) / 1000;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.getuid?.() !== 0) {
    report({ name: 'firewall_apply', value: -1, unit: 'ms', note: 'skipped: needs root (applies rules in a network namespace)' });
  } else {
    for (const r of await benchFirewall()) report(r);
  }
}
