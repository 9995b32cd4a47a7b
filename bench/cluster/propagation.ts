// Ban propagation across a running cluster: an operator's ban posted to one node (rotating),
// timed from just before the POST to the moment each node's firewall backend applied it.
// The end time is the node's own record (JournaledBackend's appliedAt, wall clock, same
// machine); polling /api/firewall only learns that the record exists.
import type { TestCluster } from '../../devkit/cluster.ts';

export interface PropagationSamples {
  /** ms from the POST to the last of the nodes applying it: the propagation. */
  last: number[];
  /** ms from the POST to the first node applying it. */
  first: number[];
  /** ms the POST took to answer (the ban desk waits for the registry's lease grant + put). */
  post: number[];
  /** Bans not applied everywhere within the hang guard. */
  missing: number;
}

/** The n-th address of 198.18.0.0/15 (the benchmarking range, RFC 2544), from 198.18.0.1. */
export function benchAddress(n: number): string {
  const v = n + 1;
  if (v >= 1 << 17) throw new RangeError(`benchmark address index ${n} is outside 198.18.0.0/15`);
  return `198.${18 + (v >> 16)}.${(v >> 8) & 255}.${v & 255}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureBanPropagation(cluster: TestCluster, ids: string[], count: number, firstIndex: number): Promise<PropagationSamples> {
  const tokens = new Map(ids.map((id) => [id, cluster.token(id)]));
  const out: PropagationSamples = { last: [], first: [], post: [], missing: 0 };
  for (let i = 0; i < count; i++) {
    const on = ids[i % ids.length]!;
    const body = JSON.stringify({ address: benchAddress(firstIndex + i), ttl: 600, reason: 'cluster benchmark' });
    const headers = { authorization: `Bearer ${tokens.get(on)}`, 'content-type': 'application/json' };
    const t0 = Date.now();
    const r = await fetch(`${cluster.node(on).url}/api/bans`, { method: 'POST', headers, body });
    const answered = Date.now();
    const decision = (await r.json()) as { address?: string; error?: string };
    if (r.status !== 201 || !decision.address) throw new Error(`POST /api/bans on ${on} answered ${r.status}: ${JSON.stringify(decision)}`);
    const query = `/api/firewall?address=${encodeURIComponent(decision.address)}`;
    const applied: Array<number | null> = ids.map(() => null);
    for (;;) {
      await Promise.all(ids.map(async (id, j) => {
        if (applied[j] === null) applied[j] = (await cluster.json<{ appliedAt: number | null }>(id, query)).appliedAt;
      }));
      if (applied.every((a) => a !== null)) break;
      // Hang guard, not a threshold: a ban that never arrives is counted, not waited for.
      if (Date.now() - t0 > 10_000) break;
      await sleep(5);
    }
    const times = applied.filter((a): a is number => a !== null);
    if (times.length < ids.length) {
      out.missing++;
      continue;
    }
    out.post.push(answered - t0);
    out.first.push(Math.min(...times) - t0);
    out.last.push(Math.max(...times) - t0);
  }
  return out;
}
