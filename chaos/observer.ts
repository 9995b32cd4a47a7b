// What the monkey sees of the cluster, polled a few times a second: who runs which placed
// actor, leases, each node's firewall and the bans in the registry. It answers "is the
// system whole?" (every desired actor running exactly once, every live node holding its
// lease) and keeps what the invariants need: every address ever applied by a firewall, and
// any firewall that differed from the registry (a ban it lacked, or one it kept past its
// removal) for longer than a bound.

import type { Fleet } from './fleet.ts';

interface Health {
  ready: boolean;
  cluster: { lease: string; leader: string | null; owned: string[]; members: string[] };
}

/** JSON of a GET; `anyStatus` for /health, which answers 503 with its reasons when not ready. */
async function getJson<T>(url: string, anyStatus = false): Promise<T> {
  const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
  if (!r.ok && !anyStatus) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

/** What /api/firewall answers. */
interface FirewallAnswer {
  entries: Array<{ address: string }>;
  appliedAt?: Record<string, number>;
  appliedTimeoutS?: Record<string, number>;
  setAside?: Array<{ address: string; why: string }>;
}

export interface Reading {
  at: number;
  health: Map<string, Health>;
  firewalls: Map<string, Set<string>>;
  /** The registry's bans, read after the firewalls. */
  registry: Set<string> | undefined;
  /** When each of those bans was made and runs out (ms since the epoch), to say what a lost one was. */
  registryTimes?: Map<string, { at: number; expiresAt: number }>;
  /** Each node's /api/firewall answer: when and with which timeout it last applied each address, and what it set aside. */
  firewallDetail?: Map<string, FirewallAnswer>;
  /** The registry's bans, read before the firewalls: a ban made or dropped between the two reads is no difference. */
  registryBefore: Set<string> | undefined;
}

/**
 * How each firewall differs from the registry in a reading. The firewalls are read between two
 * reads of the registry, so only what both registry reads agree on counts: a ban that ran out
 * (or was made) while the firewalls were being read is not a difference of the firewall's.
 */
export function differences(r: Reading): Map<string, { extra: string[]; missing: string[] }> {
  const out = new Map<string, { extra: string[]; missing: string[] }>();
  const after = r.registry;
  if (!after) return out;
  const before = r.registryBefore ?? after;
  for (const [node, set] of r.firewalls) {
    const extra = [...set].filter((a) => !before.has(a) && !after.has(a));
    const missing = [...after].filter((a) => before.has(a) && !set.has(a));
    out.set(node, { extra, missing });
  }
  return out;
}

/** What is known of a ban a firewall lacks: when it was made, when it runs out, when that firewall last applied it (relative to the reading). */
export function missingDetail(r: Reading, node: string, address: string): string {
  const s = (ms: number) => `${((ms - r.at) / 1000).toFixed(1)} s`;
  const t = r.registryTimes?.get(address);
  const fw = r.firewallDetail?.get(node);
  const applied = fw?.appliedAt?.[address];
  const aside = fw?.setAside?.find((e) => e.address === address)?.why;
  return `${t ? `banned at ${s(t.at)}, runs out at ${s(t.expiresAt)}` : 'ban times unknown'}; last applied there ${applied === undefined ? 'never' : `at ${s(applied)} with a timeout of ${fw?.appliedTimeoutS?.[address] ?? '?'} s`}${aside ? `; set aside there: ${aside}` : ''}`;
}

/** How long a firewall may differ from the registry, either way (watch + apply, or a restart's reconcile). */
export const STALE_BOUND_MS = 5000;

export class Observer {
  readonly everApplied = new Set<string>();
  /** A firewall held an address for longer than the bound after the registry dropped it. */
  readonly staleViolations: string[] = [];
  /** A firewall lacked an address for longer than the bound while the registry had it (a lost ban). */
  readonly missingViolations: string[] = [];
  /** "<node> <address> extra|missing" → when first seen differing from the registry. */
  private readonly divergedSince = new Map<string, number>();
  private readonly reported = new Set<string>();
  last: Reading | undefined;
  /** Called when a firewall is first seen holding an address the registry no longer has. */
  onStale: ((key: string, at: number) => void) | undefined;
  /** Called when a firewall is first seen lacking an address the registry has, with what is known of that ban. */
  onMissing: ((key: string, at: number, detail: string) => void) | undefined;

  constructor(
    private readonly fleet: Fleet,
    readonly desired: string[],
  ) {}

  async read(): Promise<Reading> {
    const at = Date.now();
    const health = new Map<string, Health>();
    const firewalls = new Map<string, Set<string>>();
    const times = new Map<string, { at: number; expiresAt: number }>();
    const firewallDetail = new Map<string, FirewallAnswer>();
    const bans = async (): Promise<Set<string> | undefined> => {
      for (const n of this.fleet.live()) {
        try {
          const list = await getJson<Array<{ address: string; at: number; expiresAt: number }>>(`${n.url}/api/bans`);
          for (const b of list) times.set(b.address, { at: b.at, expiresAt: b.expiresAt });
          return new Set(list.map((b) => b.address));
        } catch {
          // try the next node
        }
      }
      return undefined;
    };
    const registryBefore = await bans();
    await Promise.all(
      this.fleet.live().map(async (n) => {
        try {
          const [h, fw] = await Promise.all([getJson<Health>(`${n.url}/health`, true), getJson<FirewallAnswer>(`${n.url}/api/firewall`)]);
          health.set(n.id, h);
          firewalls.set(n.id, new Set(fw.entries.map((e) => e.address)));
          firewallDetail.set(n.id, fw);
        } catch {
          // a node that does not answer now (stopped, restarting) is simply not in this reading
        }
      }),
    );
    const registry = await bans();
    const reading: Reading = { at, health, firewalls, registry, registryBefore, registryTimes: times, firewallDetail };
    for (const set of firewalls.values()) for (const a of set) this.everApplied.add(a);
    // A node that did not answer starts afresh when it does again (it was stopped or gone).
    for (const key of [...this.divergedSince.keys()]) if (!firewalls.has(key.slice(0, key.indexOf(' ')))) this.divergedSince.delete(key);
    if (registry) {
      for (const [node, d] of differences(reading)) {
        const seen = new Set<string>();
        for (const a of d.extra) seen.add(`${node} ${a} extra`);
        for (const a of d.missing) seen.add(`${node} ${a} missing`);
        for (const key of [...this.divergedSince.keys()]) if (key.startsWith(`${node} `) && !seen.has(key)) this.divergedSince.delete(key);
        for (const key of seen) {
          if (!this.divergedSince.has(key)) {
            this.divergedSince.set(key, at);
            if (key.endsWith(' extra')) this.onStale?.(key.slice(0, -6), at);
            else this.onMissing?.(key.slice(0, -8), at, missingDetail(reading, node, key.split(' ')[1]!));
          }
          const since = this.divergedSince.get(key)!;
          if (at - since <= STALE_BOUND_MS || this.reported.has(key)) continue;
          this.reported.add(key);
          const [, a, kind] = key.split(' ') as [string, string, 'extra' | 'missing'];
          if (kind === 'missing') {
            this.missingViolations.push(`${node} lacked ${a} for ${Math.round((at - since) / 1000)} s while the registry had it (${missingDetail(reading, node, a)})`);
            continue;
          }
          // When did that firewall last apply it: a missed removal, or a late re-add?
          const appliedAt = reading.firewallDetail?.get(node)?.appliedAt?.[a];
          const when = appliedAt === undefined ? 'unknown' : `${((appliedAt - since) / 1000).toFixed(1)} s relative to when the registry dropped it`;
          this.staleViolations.push(`${node} ${a} (held ${Math.round((at - since) / 1000)} s after the registry dropped it; last applied there ${when})`);
        }
      }
    }
    this.last = reading;
    return reading;
  }

  /** Every desired actor runs exactly once on the live nodes, and each of those holds its lease. */
  whole(r: Reading, expectedNodes: number): { whole: boolean; why: string } {
    if (r.health.size < expectedNodes) return { whole: false, why: `${r.health.size} of ${expectedNodes} nodes answer` };
    const notHeld = [...r.health].filter(([, h]) => h.cluster.lease !== 'held').map(([id]) => id);
    if (notHeld.length) return { whole: false, why: `no lease on ${notHeld.join(', ')}` };
    const owned = [...r.health.values()].flatMap((h) => h.cluster.owned);
    const wrong = this.desired.filter((id) => owned.filter((o) => o === id).length !== 1);
    if (wrong.length) return { whole: false, why: `not running exactly once: ${wrong.join(', ')}` };
    return { whole: true, why: 'every desired actor runs once; every node holds its lease' };
  }
}
