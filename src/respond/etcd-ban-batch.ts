// Many bans into etcd at once (a threat-intel feed's entries): etcd refuses a transaction of
// more than --max-txn-ops operations (128 by default), so the puts go in transactions of 128,
// a few in flight at a time. Bans with the same seconds left share one lease (a feed's entries
// all do), so 100,000 entries cost a handful of leases, not 100,000: the lease is still the
// ban's lifetime, and etcd lifts each one when it runs out.

import type { Etcd3 } from 'etcd3';
import type { Ban } from './ban-registry.ts';

/** etcd's default --max-txn-ops. */
export const ETCD_MAX_TXN_OPS = 128;
/** Transactions in flight at once. */
const PARALLEL = 8;

async function inBatches<T>(items: readonly T[], run: (batch: readonly T[]) => Promise<void>): Promise<void> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += ETCD_MAX_TXN_OPS) batches.push(items.slice(i, i + ETCD_MAX_TXN_OPS));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await run(batches[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, batches.length) }, worker));
}

/** Puts `bans` (each under a lease of its seconds left); those already over are returned for removal. */
export async function putBansBatched(client: Etcd3, keyOf: (address: string) => string, bans: readonly Ban[], nowMs: number): Promise<string[]> {
  const byTtl = new Map<number, Ban[]>();
  const over: string[] = [];
  for (const ban of bans) {
    const ttlS = Math.ceil((ban.expiresAt - nowMs) / 1000);
    if (ttlS <= 0) {
      over.push(ban.address);
      continue;
    }
    let group = byTtl.get(ttlS);
    if (!group) byTtl.set(ttlS, (group = []));
    group.push(ban);
  }
  for (const [ttlS, group] of byTtl) {
    const { ID } = await client.leaseClient.leaseGrant({ TTL: ttlS });
    await inBatches(group, async (batch) => {
      await client.kv.txn({ success: batch.map((b) => ({ request_put: { key: Buffer.from(keyOf(b.address)), value: Buffer.from(JSON.stringify(b)), lease: ID } })) });
    });
  }
  return over;
}

/** Deletes the keys of `addresses`; how many existed. */
export async function removeBansBatched(client: Etcd3, keyOf: (address: string) => string, addresses: readonly string[]): Promise<number> {
  let deleted = 0;
  await inBatches(addresses, async (batch) => {
    const r = await client.kv.txn({ success: batch.map((a) => ({ request_delete_range: { key: Buffer.from(keyOf(a)) } })) });
    for (const op of r.responses) deleted += Number(op.response_delete_range?.deleted ?? 0);
  });
  return deleted;
}
