// What the backends accept, checked before anything is written: every address already in
// the canonical text of respond/cidr.ts (so the text pasted into an nft or ipset script is
// only digits, hex, '.', ':' and '/'), every timeout a whole number of seconds. A batch with
// one bad entry is refused whole, so nothing is half-applied. Also the reconcile plan, which
// all backends share.

import type { FirewallBackend, FirewallEntry, ReconcileResult } from './backend.ts';
import type { Cidr } from '../respond/cidr.ts';
import { parseCidr } from '../respond/cidr.ts';
import { FirewallEntryError } from './errors.ts';

export interface CheckedEntry {
  cidr: Cidr;
  timeoutS: number;
}

export interface CheckedBatch {
  add: CheckedEntry[];
  remove: Cidr[];
}

/** Parses an address or CIDR that must already be canonical; routes by family. */
export function checkAddress(address: unknown): Cidr {
  if (typeof address !== 'string') throw new FirewallEntryError(address, `expected the text of an address or CIDR, got a ${typeof address}`);
  let cidr: Cidr;
  try {
    cidr = parseCidr(address);
  } catch (err) {
    throw new FirewallEntryError(address, err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (cidr.text !== address) {
    // Normalising is the registry's job: the same ban under two spellings would be two
    // elements here and could never be reconciled away.
    throw new FirewallEntryError(address, `not in canonical form; the canonical text is ${JSON.stringify(cidr.text)} (normalise it with respond/cidr.ts normalizeAddress)`);
  }
  // Family by ':' as the brief of the backends says; the canonical text guarantees they agree.
  if ((cidr.family === 6) !== address.includes(':')) throw new FirewallEntryError(address, 'its family cannot be told from its text');
  if (cidr.prefix === 0) throw new FirewallEntryError(address, 'a /0 ban would drop all traffic of its family; ban narrower nets');
  return cidr;
}

/** Timeouts are whole seconds, at least 1: the kernel's sets count in seconds. */
export function checkTimeout(address: string, timeoutS: unknown): number {
  if (typeof timeoutS !== 'number' || !Number.isSafeInteger(timeoutS) || timeoutS < 1) {
    throw new FirewallEntryError(address, `timeout ${String(timeoutS)} is not a whole number of seconds ≥ 1`);
  }
  return timeoutS;
}

/**
 * Checks a batch. Removals are applied before additions, so an address in both lists ends up
 * present; of two additions of one address the later wins.
 */
export function checkBatch(add: readonly FirewallEntry[], remove: readonly string[]): CheckedBatch {
  const adds = new Map<string, CheckedEntry>();
  for (const e of add) {
    const cidr = checkAddress(e?.address);
    adds.delete(cidr.text);
    adds.set(cidr.text, { cidr, timeoutS: checkTimeout(cidr.text, e.timeoutS) });
  }
  const removes = new Map<string, Cidr>();
  for (const a of remove) {
    const cidr = checkAddress(a);
    if (!adds.has(cidr.text)) removes.set(cidr.text, cidr);
  }
  return { add: [...adds.values()], remove: [...removes.values()] };
}

export interface ReconcilePlan {
  add: FirewallEntry[];
  remove: string[];
  result: ReconcileResult;
}

/**
 * What turns `current` into exactly `desired`: every desired entry is (re)added, so wanted
 * elements get their timeouts refreshed; every current one not desired is removed.
 * `current` comes from the kernel's listing, so it is taken as canonical.
 */
export function planReconcile(current: readonly FirewallEntry[], desired: readonly FirewallEntry[]): ReconcilePlan {
  const want = checkBatch(desired, []).add;
  const have = new Set(current.map((e) => e.address));
  const wanted = new Set<string>();
  let kept = 0;
  for (const e of want) {
    wanted.add(e.cidr.text);
    if (have.has(e.cidr.text)) kept++;
  }
  const remove = [...have].filter((a) => !wanted.has(a));
  return {
    add: want.map((e) => ({ address: e.cidr.text, timeoutS: e.timeoutS })),
    remove,
    result: { added: want.length - kept, removed: remove.length, kept },
  };
}

/** reconcile() of a backend whose apply() can do a whole plan: set up, list, plan, apply. */
export async function reconcileByApply(backend: FirewallBackend, desired: readonly FirewallEntry[]): Promise<ReconcileResult> {
  await backend.setup();
  const plan = planReconcile(await backend.list(), desired);
  await backend.apply(plan.add, plan.remove);
  return plan.result;
}
