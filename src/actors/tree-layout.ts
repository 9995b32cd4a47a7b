// The actor tree's layout, in one place: where each actor lives on a node (its path) and how
// its id is written. The node's assembly builds the tree from it, the actors take their ids
// from it, and the cluster is handed it (as a PlacementLayout) to know what it places and
// where a placed actor lives, so the cluster's code names no actor of its own.
//
//   /cluster/membership            (embedded coordinator only)
//   /store
//   /response    firewall · responder
//   /detection   floods · trainer · detectors/detector-0 … N-1
//   /pipeline    enrichers/enricher-0 … N-1 · capture-<iface> · replay

import type { ClusterShape, MemberActors, PlacementLayout } from '../cluster/placement/specs.ts';
import { pinnedParts } from '../cluster/placement/specs.ts';
import type { PlacedSpec } from '../cluster/placement/types.ts';

export const STORE_ID = 'store';
export const STORE_PATH = `/${STORE_ID}`;
export const PIPELINE_PATH = '/pipeline';
export const ENRICHERS_PATH = `${PIPELINE_PATH}/enrichers`;
export const RESPONSE_PATH = '/response';
export const DETECTION_PATH = '/detection';
export const DETECTORS_PATH = `${DETECTION_PATH}/detectors`;
export const RESPONDER_ID = 'responder';
export const FIREWALL_ID = 'firewall';
export const FLOOD_WATCH_ID = 'floods';
export const TRAINER_ID = 'trainer';
export const RESPONDER_PATH = `${RESPONSE_PATH}/${RESPONDER_ID}`;
export const FIREWALL_PATH = `${RESPONSE_PATH}/${FIREWALL_ID}`;
export const FLOODS_PATH = `${DETECTION_PATH}/${FLOOD_WATCH_ID}`;
export const TRAINER_PATH = `${DETECTION_PATH}/${TRAINER_ID}`;

export function enricherId(shard: number): string {
  return `enricher-${shard}`;
}

export function detectorId(shard: number): string {
  return `detector-${shard}`;
}

export function enricherPath(shard: number): string {
  return `${ENRICHERS_PATH}/${enricherId(shard)}`;
}

export function detectorPath(shard: number): string {
  return `${DETECTORS_PATH}/${detectorId(shard)}`;
}

/** The shard an enricher's or detector's id names: "detector-3" → { kind: 'detector', shard: 3 }. */
export function shardOf(actorId: string): { kind: 'enricher' | 'detector'; shard: number } | undefined {
  const m = /^(enricher|detector)-(\d+)$/.exec(actorId);
  return m ? { kind: m[1] as 'enricher' | 'detector', shard: Number(m[2]) } : undefined;
}

/**
 * What the cluster places: N enricher and N detector shards (shard k's two actors together, so
 * an enriched batch goes to its detector without another hop), the singletons (the flood watch
 * that sums every shard's victim tallies, the model trainer), and each member's firewall and
 * captures pinned to it.
 */
function desired(shape: ClusterShape, members: MemberActors[]): PlacedSpec[] {
  const specs: PlacedSpec[] = [];
  for (let k = 0; k < shape.shards; k++) {
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
