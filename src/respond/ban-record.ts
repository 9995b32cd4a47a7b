// A ban read back from outside the process (the state directory's database, etcd): checked
// against the ban schema (src/cluster/etcd-values.ts: shape, finite numbers, an address in
// canonical form) before anything uses it. What does not read as a ban is null, never a throw,
// so one bad value cannot stop a node. Whether the ban is allowed (protected addresses, nets
// too wide) is the guard's question (ban-guard.ts), asked again where bans are enforced.
//
// The same check before a ban is written (putWellFormed): every registry refuses a ban its
// readers would skip, in put() and putMany() alike.

import type { Ban } from './ban-registry.ts';
import { banProblem, checkBan } from '../cluster/etcd-values.ts';
import { AutoimmuneError } from '../errors.ts';

/** The ban in `value` (a Ban object, or its JSON text), or null when it is not one. */
export function parseBan(value: unknown): Ban | null {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  return checkBan(v);
}

export interface RefusedBan {
  ban: unknown;
  problem: string;
}

/** Bans a registry would not write (every reader would skip them); the others of their batch were written. */
export class MalformedBanError extends AutoimmuneError {
  readonly refused: readonly RefusedBan[];
  constructor(refused: readonly RefusedBan[]) {
    const shown = refused.slice(0, 3).map((r) => `ban ${JSON.stringify(r.ban)}: ${r.problem}`);
    if (refused.length > 3) shown.push(`and ${refused.length - 3} more`);
    super('AI_ERR_MALFORMED_BAN', `refusing to store ${shown.join('; ')}; a ban needs a canonical address or CIDR and finite numbers`);
    this.refused = refused;
  }

  /** The addresses refused (those that are text). */
  addresses(): string[] {
    const out: string[] = [];
    for (const r of this.refused) {
      const a = (r.ban as { address?: unknown } | null)?.address;
      if (typeof a === 'string') out.push(a);
    }
    return out;
  }
}

/**
 * Writes the well-formed bans of `bans` with `write` (in their order), then throws a
 * MalformedBanError naming the others, if any. A bad ban is refused as put() refuses it; the
 * good ones of its batch are written as put() would write them: one bad decision (a NaN score)
 * must not leave the other attackers of its turn, or a feed's other entries, unbanned.
 */
export async function putWellFormed(bans: readonly Ban[], write: (good: readonly Ban[]) => Promise<void> | void): Promise<void> {
  const refused: RefusedBan[] = [];
  // A copy only once a bad ban is met (a batch is almost always all good).
  let kept: Ban[] | null = null;
  for (let i = 0; i < bans.length; i++) {
    const ban = bans[i]!;
    const problem = banProblem(ban);
    if (problem === null) {
      kept?.push(ban);
      continue;
    }
    kept ??= bans.slice(0, i);
    refused.push({ ban, problem });
  }
  const good = kept ?? bans;
  if (good.length > 0) await write(good);
  if (refused.length > 0) throw new MalformedBanError(refused);
}
