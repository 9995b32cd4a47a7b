// A feed's entries into the ban registry, applying only the difference with what the feed
// holds there already: new entries are banned, entries gone from the list are lifted, the
// rest stay as they are (and are extended once past half their time, so a list that keeps an
// address keeps it banned). Every entry passes the guard (protected set, widest prefix):
// refused ones are counted and named, never fatal. An address banned by something else (an
// operator, a detector, another feed) is left alone. Feeds are not automatic bans: the
// automatic-ban rate limit does not count them (ban-budget.ts).

import type { Ban, BanRegistry } from '../respond/ban-registry.ts';
import type { FeedEntry, FeedProblem, ParsedFeed } from './feed-formats.ts';
import { PROBLEMS_KEPT } from './feed-formats.ts';
import { banProblem } from '../cluster/etcd-values.ts';

/** What the firewall and the guard ask of a ban (respond/ban-guard.ts). */
export interface FeedGuard {
  checkText(address: string): { text: string } | null;
}

export const FEED_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The detector (and origin) of a feed's bans. */
export function feedOrigin(name: string): string {
  return `feed:${name}`;
}

export interface FeedPlan {
  put: Ban[];
  remove: string[];
  added: number;
  extended: number;
  unchanged: number;
  /** Entries the guard refused (protected, too wide), named. */
  refused: { count: number; first: FeedProblem[] };
  /** Entries banned already by something else, left as they are. */
  heldByOthers: number;
  /** Entries listed more than once. */
  duplicates: number;
}

export interface PlanInput {
  name: string;
  entries: readonly FeedEntry[];
  /** Ban length of an entry without its own (seconds). */
  ttlS: number;
  /** Bans in force now (the registry's list). */
  current: readonly Ban[];
  guard: FeedGuard;
  now: number;
}

/** The difference between a feed's list and what the registry holds for it. Pure. */
export function planFeed(input: PlanInput): FeedPlan {
  const origin = feedOrigin(input.name);
  const mine = new Map<string, Ban>();
  const others = new Set<string>();
  for (const b of input.current) {
    if (b.expiresAt <= input.now) continue;
    if (b.detector === origin) mine.set(b.address, b);
    else others.add(b.address);
  }
  const plan: FeedPlan = { put: [], remove: [], added: 0, extended: 0, unchanged: 0, refused: { count: 0, first: [] }, heldByOthers: 0, duplicates: 0 };
  const wanted = new Map<string, FeedEntry>();
  for (const e of input.entries) {
    const had = wanted.get(e.address);
    if (had) {
      plan.duplicates++;
      if ((e.ttlS ?? input.ttlS) > (had.ttlS ?? input.ttlS)) wanted.set(e.address, e);
      continue;
    }
    wanted.set(e.address, e);
  }
  const refusedSet = new Set<string>();
  for (const [address, e] of wanted) {
    const refusal = input.guard.checkText(address);
    if (refusal) {
      refusedSet.add(address);
      plan.refused.count++;
      if (plan.refused.first.length < PROBLEMS_KEPT) plan.refused.first.push({ at: e.at, text: address, why: refusal.text });
      continue;
    }
    if (others.has(address)) {
      plan.heldByOthers++;
      continue;
    }
    const ttl = e.ttlS ?? input.ttlS;
    const have = mine.get(address);
    if (have && have.expiresAt - input.now >= (ttl * 1000) / 2) {
      plan.unchanged++;
      continue;
    }
    const ban: Ban = {
      address,
      ttl,
      expiresAt: input.now + ttl * 1000,
      reason: `listed by feed ${input.name}${e.note ? ` (${e.note})` : ''}`,
      detector: origin,
      origin,
      score: 1,
      at: input.now,
      offence: 1,
    };
    // A ban the registry would not store (a duration too long to be a number): refused here,
    // named, and the rest of the list goes on (the registry's own check is the last guard).
    const problem = banProblem(ban);
    if (problem) {
      plan.refused.count++;
      if (plan.refused.first.length < PROBLEMS_KEPT) plan.refused.first.push({ at: e.at, text: address, why: `not stored: ${problem}` });
      continue;
    }
    if (have) plan.extended++;
    else plan.added++;
    plan.put.push(ban);
  }
  // Gone from the list, or now refused (the protected set grew): lifted.
  for (const address of mine.keys()) if (!wanted.has(address) || refusedSet.has(address)) plan.remove.push(address);
  return plan;
}

export interface FeedReport {
  feed: string;
  format: string;
  /** Where the list came from (file or URL), as problems are named with it. */
  source: string;
  /** Addresses in the list (lines that read as one). */
  entries: number;
  added: number;
  extended: number;
  unchanged: number;
  removed: number;
  heldByOthers: number;
  duplicates: number;
  /** Problems named `source:line` (or `source: entry N` for a JSON array). */
  bad: { count: number; first: string[] };
  skipped: { count: number; first: string[] };
  refused: { count: number; first: string[] };
  /** Time from the list's text to the registry's acknowledgement, ms. */
  ms: number;
  /** Where that time went: reading the list, the difference, the registry's bulk write. */
  phases: { parseMs: number; planMs: number; writeMs: number };
}

function named(source: string, unit: 'line' | 'entry', list: { count: number; first: FeedProblem[] }): { count: number; first: string[] } {
  return { count: list.count, first: list.first.map((p) => `${unit === 'line' ? `${source}:${p.at}` : `${source}: entry ${p.at}`}: ${p.text}: ${p.why}`) };
}

/** Plans and writes one feed's difference to the registry (one bulk put, one bulk removal). */
export async function applyFeed(o: { name: string; source: string; parsed: ParsedFeed; ttlS: number; registry: BanRegistry; guard: FeedGuard; now?: () => number; startedAt?: number }): Promise<FeedReport> {
  const now = o.now ?? Date.now;
  const t0 = o.startedAt ?? performance.now();
  const t1 = performance.now();
  const current = await o.registry.list();
  const plan = planFeed({ name: o.name, entries: o.parsed.entries, ttlS: o.ttlS, current, guard: o.guard, now: now() });
  // The other work of the event loop (the packet path) gets a turn between the phases.
  await new Promise<void>((r) => setImmediate(r));
  const t2 = performance.now();
  if (plan.put.length > 0) await o.registry.putMany(plan.put);
  const removed = plan.remove.length > 0 ? await o.registry.removeMany(plan.remove) : 0;
  const t3 = performance.now();
  return {
    feed: o.name,
    format: o.parsed.format,
    source: o.source,
    entries: o.parsed.entries.length,
    added: plan.added,
    extended: plan.extended,
    unchanged: plan.unchanged,
    removed,
    heldByOthers: plan.heldByOthers,
    duplicates: plan.duplicates,
    bad: named(o.source, o.parsed.unit, o.parsed.bad),
    skipped: named(o.source, o.parsed.unit, o.parsed.skipped),
    refused: named(o.source, o.parsed.unit, plan.refused),
    ms: Math.round(t3 - t0),
    phases: { parseMs: Math.round(t1 - t0), planMs: Math.round(t2 - t1), writeMs: Math.round(t3 - t2) },
  };
}
