// What the cluster is handed of the actor tree (a PlacementLayout): which actors it places,
// and where a placed actor lives on whichever node runs it. Built from the tree's layout
// (src/actors/tree-layout.ts) here in the node's assembly, so neither the actors nor the
// cluster import each other.

import type { ClusterShape, MemberActors, PlacementLayout } from '../cluster/placement/specs.ts';
import { pinnedParts } from '../cluster/placement/specs.ts';
import type { PlacedSpec } from '../cluster/placement/types.ts';
import { DETECTION_PATH, detectorId, detectorPath, enricherId, enricherPath, FIREWALL_ID, FLOOD_WATCH_ID, shardOf, TRAINER_ID } from '../actors/tree-layout.ts';

/**
 * What the cluster places: N enricher and N detector shards (shard k's two actors together, so
 * an enriched batch goes to its detector without another hop) — or, with pipeline.workers, N
 * shard-thread actors at the enrichers' paths, each running its shard's enricher and detector
 * in a worker thread on whichever node it is placed — the singletons (the flood watch
 * that sums every shard's victim tallies, the model trainer), and each member's firewall and
 * captures pinned to it.
 */
function desired(shape: ClusterShape, members: MemberActors[]): PlacedSpec[] {
  const specs: PlacedSpec[] = [];
  for (let k = 0; k < shape.shards; k++) {
    if (shape.workers) {
      // One actor and one thread per shard: it weighs what the pair did (a core's work).
      specs.push({ id: enricherId(k), kind: 'shard-thread', group: `shard-${k}`, weight: 2 });
      continue;
    }
    specs.push({ id: enricherId(k), kind: 'enricher', group: `shard-${k}` });
    specs.push({ id: detectorId(k), kind: 'detector', group: `shard-${k}` });
  }
  specs.push({ id: FLOOD_WATCH_ID, kind: 'floods', weight: 0.5 });
  if (shape.trainer) specs.push({ id: TRAINER_ID, kind: 'trainer', weight: 0.5 });
  for (const m of members) {
    specs.push({ id: `${FIREWALL_ID}@${m.id}`, kind: 'firewall', pin: m.id, weight: 0.25 });
    for (const c of m.captures) specs.push({ id: `${c}@${m.id}`, kind: 'capture', pin: m.id, weight: 1 });
  }
  return specs;
}

/** The path an unpinned placed actor has on whichever node runs it; undefined for pinned ones. */
function pathOf(actorId: string): string | undefined {
  if (actorId.includes('@')) return undefined;
  const shard = shardOf(actorId);
  if (shard) return shard.kind === 'enricher' ? enricherPath(shard.shard) : detectorPath(shard.shard);
  if (actorId === FLOOD_WATCH_ID || actorId === TRAINER_ID) return `${DETECTION_PATH}/${actorId}`;
  return undefined;
}

/** The placed actor a path belongs to (the inverse of pathOf), or undefined when no placed actor has it. */
function actorIdOf(path: string): string | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1);
  return pathOf(last) === path ? last : undefined;
}

/** The layout the cluster is handed. */
export const TREE_LAYOUT: PlacementLayout = { desired, pathOf, actorIdOf, pinnedParts };
