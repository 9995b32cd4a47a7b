// The leader's placement: rendezvous hashing with bounded load and stickiness. Pure and
// deterministic: the same specs, nodes and previous assignment give the same result in any
// input order, so a new leader computes what the old one would have.
import { PlacementInputError } from './errors.ts';
import { rankNodes } from './rendezvous.ts';
import type { Assignment, PlacedSpec, PlacementNode } from './types.ts';

export interface AssignOptions {
  /** How far above its fair share a node may be loaded (default 1.25; at least 1). */
  loadFactor?: number;
}

interface Group {
  id: string;
  members: string[];
  weight: number;
  pin: string | undefined;
}

interface Mover {
  g: Group;
  /** Where it may go, best first (nodes may repeat). */
  order: Node[];
}

interface Node {
  id: string;
  capacity: number;
  bound: number;
  load: number;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Which node runs each actor.
 *
 * - A pinned group (any member pinned) goes to its pin when that node is present, otherwise
 *   its members stay unassigned.
 * - Each node may carry at most ceil(loadFactor × total × capacity / sum of capacities) of
 *   weight, pinned weight included (total: the weight that can be placed now).
 * - A group stays on its previous node (the node all of its previously assigned members were
 *   on) while that node is present and within its bound, unless a node that is new (holds
 *   nothing in `previous`) now ranks above it: then it moves there if room is left once the
 *   groups that must move are placed. That is plain rendezvous behaviour on a join, about
 *   total / nodes moves, all onto the newcomer, where a pure "stay while within bound" rule
 *   would leave a newcomer idle whenever the old loads sit under the new, lower bound.
 * - A group that must move (no previous node, or it is gone, or full under the new bound)
 *   goes to the first node with room in its rendezvous order; newcomers first if it had a
 *   home (fill the newcomer rather than shuffle groups between the nodes already there).
 * - When no node has room (pinned weight above a bound, or groups heavier than the free room
 *   anywhere) the group goes where it raises the relative load least: the bound is exceeded
 *   rather than the actor left out.
 */
export function assign(specs: readonly PlacedSpec[], nodes: readonly PlacementNode[], previous: Assignment, options: AssignOptions = {}): Assignment {
  const loadFactor = options.loadFactor ?? 1.25;
  if (!Number.isFinite(loadFactor) || loadFactor < 1) {
    throw new PlacementInputError(`placement loadFactor ${loadFactor} is not a finite number of at least 1; use 1.25 unless there is a reason not to`);
  }
  const groups = groupSpecs(specs);
  const present = presentNodes(nodes);
  const out: Assignment = new Map();
  if (present.size === 0) return out;

  const placeable = groups.filter((g) => g.pin === undefined || present.has(g.pin));
  const total = placeable.reduce((s, g) => s + g.weight, 0);
  const nodeList = [...present.values()];
  const sumCapacity = nodeList.reduce((s, n) => s + n.capacity, 0);
  for (const n of nodeList) n.bound = Math.ceil((loadFactor * total * n.capacity) / sumCapacity);

  const put = (g: Group, n: Node): void => {
    n.load += g.weight;
    for (const m of g.members) out.set(m, n.id);
  };
  const fits = (g: Group, n: Node): boolean => n.load + g.weight <= n.bound;

  const free: Group[] = [];
  for (const g of placeable) {
    if (g.pin !== undefined) put(g, present.get(g.pin)!);
    else free.push(g);
  }

  const held = new Set(previous.values());
  const isNew = (n: Node): boolean => !held.has(n.id);

  // Sticky groups stay first, in id order (so the same ones stay when a lower bound cuts in).
  // Groups that must move (no home, or it is full) go next, heaviest first (the hard ones to
  // fit). Only then may a group move to a newcomer that outranks its home, if room is left:
  // a forced move onto the newcomer saves one elsewhere, a voluntary one only evens loads.
  const forced: Mover[] = [];
  const voluntary: Array<{ g: Group; home: Node; to: Node[] }> = [];
  for (const g of free) {
    const ranked = rankNodes(g.id, nodeList);
    const home = homeOf(g, previous, present);
    if (home === undefined) {
      forced.push({ g, order: ranked });
    } else if (fits(g, home)) {
      put(g, home);
      const to = ranked.slice(0, ranked.indexOf(home)).filter(isNew);
      if (to.length > 0) voluntary.push({ g, home, to });
    } else {
      // Fill a newcomer rather than shuffle groups between the nodes that were there.
      forced.push({ g, order: [...ranked.filter(isNew), ...ranked] });
    }
  }
  for (const { g, order } of forced.sort(heaviestFirst)) put(g, order.find((n) => fits(g, n)) ?? leastLoaded(g, order));
  for (const { g, home, to } of voluntary.sort(heaviestFirst)) {
    const target = to.find((n) => fits(g, n));
    if (target === undefined) continue;
    home.load -= g.weight;
    put(g, target);
  }
  return out;
}

/** Actors assigned both before and after, to a different node; sorted. */
export function movedActors(before: Assignment, after: Assignment): string[] {
  const moved: string[] = [];
  for (const [id, node] of after) {
    const was = before.get(id);
    if (was !== undefined && was !== node) moved.push(id);
  }
  return moved.sort(byId);
}

function groupSpecs(specs: readonly PlacedSpec[]): Group[] {
  const seen = new Set<string>();
  const groups = new Map<string, Group>();
  for (const s of specs) {
    if (typeof s.id !== 'string' || s.id === '') throw new PlacementInputError(`placement spec id ${JSON.stringify(s.id)} is not a non-empty string`);
    if (seen.has(s.id)) throw new PlacementInputError(`placement spec id ${JSON.stringify(s.id)} appears twice; actor ids must be unique in the cluster`);
    seen.add(s.id);
    const weight = s.weight ?? 1;
    if (!Number.isFinite(weight) || weight < 0) {
      throw new PlacementInputError(`placement spec ${JSON.stringify(s.id)} has weight ${weight}; use a finite number of at least 0`);
    }
    const key = s.group ?? s.id;
    let g = groups.get(key);
    if (g === undefined) {
      g = { id: key, members: [], weight: 0, pin: undefined };
      groups.set(key, g);
    }
    g.members.push(s.id);
    g.weight += weight;
    if (s.pin !== undefined) {
      if (g.pin !== undefined && g.pin !== s.pin) {
        throw new PlacementInputError(
          `placement group ${JSON.stringify(key)} is pinned to both ${JSON.stringify(g.pin)} and ${JSON.stringify(s.pin)} (by ${JSON.stringify(s.id)}); a group runs on one node, so pin its members to the same node or split the group`,
        );
      }
      g.pin = s.pin;
    }
  }
  const list = [...groups.values()].sort((a, b) => byId(a.id, b.id));
  for (const g of list) g.members.sort(byId);
  return list;
}

function presentNodes(nodes: readonly PlacementNode[]): Map<string, Node> {
  const sorted = [...nodes].sort((a, b) => byId(a.id, b.id));
  const present = new Map<string, Node>();
  for (const n of sorted) {
    if (present.has(n.id)) throw new PlacementInputError(`placement node ${JSON.stringify(n.id)} appears twice; node ids must be unique`);
    const capacity = n.capacity ?? 1;
    if (!Number.isFinite(capacity) || capacity <= 0) {
      throw new PlacementInputError(`placement node ${JSON.stringify(n.id)} has capacity ${capacity}; use a finite number above 0 (leave a node out to give it nothing)`);
    }
    present.set(n.id, { id: n.id, capacity, bound: 0, load: 0 });
  }
  return present;
}

/** The present node all previously assigned members of the group were on, if they agree. */
function homeOf(g: Group, previous: Assignment, present: Map<string, Node>): Node | undefined {
  let home: string | undefined;
  for (const m of g.members) {
    const was = previous.get(m);
    if (was === undefined) continue;
    if (home !== undefined && home !== was) return undefined;
    home = was;
  }
  return home === undefined ? undefined : present.get(home);
}

function heaviestFirst(a: { g: Group }, b: { g: Group }): number {
  return b.g.weight - a.g.weight || byId(a.g.id, b.g.id);
}

function leastLoaded(g: Group, order: Node[]): Node {
  let best = order[0]!;
  for (const n of order) {
    if ((n.load + g.weight) / n.capacity < (best.load + g.weight) / best.capacity) best = n;
  }
  return best;
}
