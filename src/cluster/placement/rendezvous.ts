// Rendezvous (highest-random-weight) ranking: every (group, node) pair gets a score from a
// stable hash, and a group prefers nodes in descending score. Adding or removing a node only
// changes the preference of the groups whose top choice it is or becomes.

import { fnv1a, mix32 } from '../../util/hash.ts';

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser: FNV alone mixes the last characters poorly, and ids differ mostly there. */
export function hash32(s: string): number {
  return mix32(fnv1a(s)) >>> 0;
}

/**
 * Weighted rendezvous score (Schindelhauer and Schomaker's logarithmic method): with a uniform
 * u in (0, 1), capacity / -ln(u) makes a node of capacity c the top choice of a c / sum share
 * of the groups, and keeps the minimal-disruption property when capacities differ.
 */
export function rendezvousScore(group: string, node: string, capacity: number): number {
  const u = (hash32(`${group}|${node}`) + 0.5) / 4294967296;
  return capacity / -Math.log(u);
}

export interface RankedNode {
  id: string;
  capacity: number;
}

/** The nodes in the group's order of preference; ties (vanishingly rare) go to the smaller id. */
export function rankNodes<N extends RankedNode>(group: string, nodes: readonly N[]): N[] {
  const scored = nodes.map((n) => ({ n, s: rendezvousScore(group, n.id, n.capacity) }));
  scored.sort((a, b) => b.s - a.s || (a.n.id < b.n.id ? -1 : a.n.id > b.n.id ? 1 : 0));
  return scored.map((x) => x.n);
}
