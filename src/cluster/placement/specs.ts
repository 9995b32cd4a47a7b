// What the cluster places and where a placed actor lives in a node's tree is the
// application's to say (src/node/placement-layout.ts): the cluster is handed a PlacementLayout
// and names no actor of its own. Pinned actors are written "<local id>@<node>".

import type { PlacedSpec } from './types.ts';

export interface ClusterShape {
  shards: number;
  trainer: boolean;
  /** Each shard as one actor that runs it in a worker thread, not as an enricher/detector pair. */
  workers?: boolean;
}

export interface MemberActors {
  id: string;
  /** Local ids of the node's capture actors (one per interface it captures). */
  captures: string[];
}

/** The application's actor tree, as placement, the reconciler, the router and the restart ledger need it. */
export interface PlacementLayout {
  /** Every actor the cluster should run, from its shape and its members. */
  desired(shape: ClusterShape, members: MemberActors[]): PlacedSpec[];
  /** The path an unpinned placed actor has on whichever node runs it; undefined for pinned ones. */
  pathOf(actorId: string): string | undefined;
  /** The placed actor a path belongs to, or undefined when no placed actor has it. */
  actorIdOf(path: string): string | undefined;
  /** A pinned actor's local id and node. */
  pinnedParts(actorId: string): { local: string; node: string } | undefined;
}

/** For a member's own pinned actors: "capture-lo@n1" → { local: "capture-lo", node: "n1" }. */
export function pinnedParts(actorId: string): { local: string; node: string } | undefined {
  const at = actorId.lastIndexOf('@');
  return at < 0 ? undefined : { local: actorId.slice(0, at), node: actorId.slice(at + 1) };
}

