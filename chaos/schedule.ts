// The chaos monkey's fault plan, drawn from a seed so a run can be repeated exactly.
// Pure: it knows nothing of processes or sockets; the runner injects what it returns.
//
// Faults may not pile up beyond what any system could survive and the invariants could
// attribute: the "disruptive" kinds (kill-node, etcd-member, partition, slow-node) share one
// lane, at most one at a time with a quiet gap after each heals; load spikes have a lane of
// their own; crashes fall every 1–5 s on top of anything. Nothing is active in the final
// SETTLE_MS, so the final invariants see a system that had time to become whole.

import { ConfigError } from '../src/errors.ts';
import { SeededRandom } from '../src/detect/model/seeded-random.ts';
import { FAULT_KINDS, type FaultKind, type PlannedFault } from './types.ts';

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  /** Node ids, e.g. ['n1','n2','n3']. */
  nodes: string[];
  /** etcd member names; fewer than 3 → no etcd-member faults (one down must leave a quorum). */
  etcdMembers: string[];
  /**
   * The node that replays the traffic: never killed or stopped, so offered/processed can be
   * counted there. It need not be one of `nodes` (replay from the runner): then every node,
   * even the only one, may be killed or stopped.
   */
  trafficNode: string;
  /** Kinds to plan; default every kind that applies. Naming one that cannot apply is an error. */
  kinds?: FaultKind[];
  /**
   * Mean seconds between faults of each kind. Crashes are spaced uniformly in
   * [mean/3, 5·mean/3] (default mean 3 → 1–5 s); the others arrive as a Poisson process,
   * deferred while their lane is busy.
   */
  every?: Partial<Record<FaultKind, number>>;
  /** Plan every applicable kind at least once, early in the run (for short runs). Default true. */
  everyKindOnce?: boolean;
}

/** Nothing is planned to be active in the last this-many ms of a run. */
export const SETTLE_MS = 15_000;
/** Quiet time after a disruptive fault (or load spike) heals before the next one in its lane. */
export const QUIET_GAP_MS = 5_000;

export const DISRUPTIVE_KINDS: readonly FaultKind[] = ['kill-node', 'etcd-member', 'partition', 'slow-node'];

export const DEFAULT_EVERY_S: Readonly<Record<FaultKind, number>> = {
  crash: 3,
  'kill-node': 30,
  'etcd-member': 45,
  partition: 40,
  'slow-node': 35,
  'load-spike': 50,
};

/** [min, max] ms a fault of each kind lasts (a crash is instantaneous). */
export const DURATION_MS: Readonly<Record<FaultKind, readonly [number, number]>> = {
  crash: [0, 0],
  'kill-node': [3_000, 8_000],
  'etcd-member': [5_000, 10_000],
  partition: [5_000, 10_000],
  'slow-node': [2_000, 5_000],
  'load-spike': [5_000, 10_000],
};

/** The first forced (everyKindOnce) fault of a lane starts within this window. */
const FIRST_START_MS: readonly [number, number] = [1_000, 3_000];
/** Crash targets are "node:index"; the runner takes the index modulo its running actors. */
const CRASH_INDEX_RANGE = 65_536;

/** The kinds that can apply to this cluster, and why the others cannot. */
export function applicableKinds(o: Pick<ScheduleOptions, 'nodes' | 'etcdMembers' | 'trafficNode'>): Map<FaultKind, string | null> {
  const victims = o.nodes.filter((n) => n !== o.trafficNode);
  const why = new Map<FaultKind, string | null>();
  for (const k of FAULT_KINDS) why.set(k, null);
  if (victims.length === 0) {
    const reason = `every node is the traffic node ${JSON.stringify(o.trafficNode)}, which is never killed or stopped`;
    why.set('kill-node', reason);
    why.set('slow-node', reason);
  }
  if (o.nodes.length < 2) why.set('partition', 'a partition needs at least 2 nodes');
  if (o.etcdMembers.length < 3) {
    why.set('etcd-member', `with ${o.etcdMembers.length} etcd member(s) one down leaves no quorum; needs at least 3`);
  }
  return why;
}

/**
 * The shortest run in which everyKindOnce can place one of each of `kinds`, whatever the
 * seed draws (longest durations), plus the settle time.
 */
export function minimumDurationMs(kinds: readonly FaultKind[], every: Readonly<Record<FaultKind, number>> = DEFAULT_EVERY_S): number {
  const disruptive = kinds.filter((k) => DISRUPTIVE_KINDS.includes(k));
  const laneEnd = (ks: readonly FaultKind[]): number =>
    ks.length === 0 ? 0 : FIRST_START_MS[1] + ks.reduce((s, k) => s + DURATION_MS[k][1], 0) + (ks.length - 1) * QUIET_GAP_MS;
  const crashEnd = kinds.includes('crash') ? Math.ceil((every.crash * 1000 * 5) / 3) + 1 : 0;
  const spikeEnd = kinds.includes('load-spike') ? laneEnd(['load-spike']) : 0;
  return Math.max(laneEnd(disruptive), spikeEnd, crashEnd) + SETTLE_MS;
}

/** The fault plan for a run: sorted by atMs, the same for the same options and seed. */
export function planFaults(o: ScheduleOptions): PlannedFault[] {
  validate(o);
  const why = applicableKinds(o);
  let kinds: FaultKind[];
  if (o.kinds === undefined) {
    kinds = FAULT_KINDS.filter((k) => why.get(k) === null);
  } else {
    for (const k of o.kinds) {
      if (!FAULT_KINDS.includes(k)) throw new ConfigError(`unknown fault kind ${JSON.stringify(k)}; known: ${FAULT_KINDS.join(', ')}`);
      const reason = why.get(k);
      if (reason) throw new ConfigError(`fault kind ${k} cannot apply here: ${reason}`);
    }
    kinds = FAULT_KINDS.filter((k) => o.kinds!.includes(k));
  }
  const every = { ...DEFAULT_EVERY_S, ...o.every };
  const forceOnce = o.everyKindOnce ?? true;
  if (forceOnce) {
    const need = minimumDurationMs(kinds, every);
    if (o.durationMs < need) {
      throw new ConfigError(
        `a ${o.durationMs / 1000} s run is too short for one fault of each kind (${kinds.join(', ')}); ` +
          `give at least ${Math.ceil(need / 1000)} s, fewer kinds, or everyKindOnce: false`,
      );
    }
  }

  const rng = new SeededRandom(o.seed);
  const endMs = o.durationMs - SETTLE_MS;
  const victims = o.nodes.filter((n) => n !== o.trafficNode);
  const target = (kind: FaultKind): string => {
    switch (kind) {
      case 'kill-node':
      case 'slow-node':
        return pick(rng, victims);
      case 'etcd-member':
        return pick(rng, o.etcdMembers);
      case 'partition': {
        const i = Math.floor(rng.next() * o.nodes.length);
        const j = (i + 1 + Math.floor(rng.next() * (o.nodes.length - 1))) % o.nodes.length;
        // In the nodes' own order, so the same pair is always spelled the same way.
        return `${o.nodes[Math.min(i, j)]}|${o.nodes[Math.max(i, j)]}`;
      }
      default:
        throw new Error(`no lane target for ${kind}`); // unreachable: crashes are planned apart
    }
  };

  const disruptive = planLane(rng, kinds.filter((k) => DISRUPTIVE_KINDS.includes(k)), every, endMs, forceOnce, target);
  const spikes = planLane(rng, kinds.filter((k) => k === 'load-spike'), every, endMs, forceOnce, () => o.trafficNode);
  const crashes = kinds.includes('crash') ? planCrashes(rng, o.nodes, every.crash, endMs, disruptive) : [];
  return [...disruptive, ...spikes, ...crashes].sort((a, b) => a.atMs - b.atMs || FAULT_KINDS.indexOf(a.kind) - FAULT_KINDS.indexOf(b.kind));
}

/**
 * One lane: faults of `kinds` one at a time, each starting no earlier than QUIET_GAP_MS after
 * the previous one healed. With forceOnce, one of each kind first (in a seeded order); then
 * each kind arrives as a Poisson process, a due fault waiting while the lane is busy.
 */
function planLane(
  rng: SeededRandom,
  kinds: readonly FaultKind[],
  every: Readonly<Record<FaultKind, number>>,
  endMs: number,
  forceOnce: boolean,
  target: (kind: FaultKind) => string,
): PlannedFault[] {
  const out: PlannedFault[] = [];
  const due = new Map<FaultKind, number>();
  let free = 0; // the lane may start its next fault at this time
  const place = (kind: FaultKind, atMs: number): boolean => {
    const [lo, hi] = DURATION_MS[kind];
    const durationMs = Math.floor(rng.uniform(lo, hi + 1)); // whole ms in [lo, hi]
    if (atMs + durationMs > endMs) return false;
    out.push({ atMs, kind, target: target(kind), durationMs });
    free = atMs + durationMs + QUIET_GAP_MS;
    due.set(kind, atMs + exponential(rng, every[kind] * 1000));
    return true;
  };

  if (forceOnce) {
    const order = [...kinds];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let at = Math.round(rng.uniform(FIRST_START_MS[0], FIRST_START_MS[1]));
    for (const k of order) {
      // minimumDurationMs was checked, so every forced fault fits.
      if (!place(k, at)) throw new Error(`forced ${k} at ${at} ms did not fit before ${endMs} ms`);
      at = free;
    }
  } else {
    for (const k of kinds) due.set(k, exponential(rng, every[k] * 1000));
  }

  while (due.size > 0) {
    let next: FaultKind | undefined;
    for (const [k, t] of due) if (next === undefined || t < due.get(next)!) next = k;
    const atMs = Math.max(due.get(next!)!, free);
    // A kind that no longer fits before the settle time is done; shorter ones may still fit.
    if (atMs >= endMs || !place(next!, atMs)) due.delete(next!);
  }
  return out;
}

/**
 * Crashes every [mean/3, 5·mean/3] ms into a random node's index-th actor, never into a node
 * that is down or stopped at that moment (its actors cannot be reached, so nothing would be
 * learnt); if every node is, that crash is skipped.
 */
function planCrashes(rng: SeededRandom, nodes: readonly string[], meanS: number, endMs: number, lane: readonly PlannedFault[]): PlannedFault[] {
  const out: PlannedFault[] = [];
  const lo = (meanS * 1000) / 3;
  const hi = (meanS * 1000 * 5) / 3;
  for (let at = Math.round(rng.uniform(lo, hi)); at < endMs; at += Math.round(rng.uniform(lo, hi))) {
    const away = lane.find((f) => (f.kind === 'kill-node' || f.kind === 'slow-node') && f.atMs <= at && at < f.atMs + f.durationMs)?.target;
    const up = away === undefined ? nodes : nodes.filter((n) => n !== away);
    const index = Math.floor(rng.next() * CRASH_INDEX_RANGE);
    if (up.length === 0) continue;
    out.push({ atMs: at, kind: 'crash', target: `${pick(rng, up)}:${index}`, durationMs: 0 });
  }
  return out;
}

function pick<T>(rng: SeededRandom, xs: readonly T[]): T {
  return xs[Math.floor(rng.next() * xs.length)]!;
}

/** Exponentially distributed ms with the given mean (the gaps of a Poisson process). */
function exponential(rng: SeededRandom, meanMs: number): number {
  return Math.round(-meanMs * Math.log(1 - rng.next()));
}

function validate(o: ScheduleOptions): void {
  if (!Number.isInteger(o.seed)) throw new ConfigError(`seed ${o.seed} is not an integer; give a whole number`);
  if (!Number.isFinite(o.durationMs) || o.durationMs <= SETTLE_MS) {
    throw new ConfigError(`duration ${o.durationMs} ms leaves no time for faults; give more than ${SETTLE_MS} ms (the settle time)`);
  }
  if (o.nodes.length === 0) throw new ConfigError('no nodes to inject faults into; give at least one node id');
  for (const [what, names] of [['node', o.nodes], ['etcd member', o.etcdMembers]] as const) {
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new ConfigError(`${what} ${JSON.stringify(dup)} is listed twice; give each once`);
    const bad = names.find((n) => n.length === 0 || n.includes('|') || n.includes(':'));
    if (bad !== undefined) throw new ConfigError(`${what} name ${JSON.stringify(bad)} is empty or contains "|" or ":", which fault targets use as separators`);
  }
  for (const [k, s] of Object.entries(o.every ?? {})) {
    if (!(typeof s === 'number' && Number.isFinite(s) && s > 0)) throw new ConfigError(`every.${k} = ${s} is not a positive number of seconds`);
  }
}
