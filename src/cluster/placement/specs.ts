// What the cluster should run, from the leader's configuration and the members' registrations:
// N enricher and N detector shards (shard k's two actors placed together, so an enriched
// batch goes to its detector without another hop), one firewall and the captures of each
// node pinned to it, and the singletons (the flood watch that sums victim tallies of all
// shards, and the model trainer). Also where each placed actor lives in a node's tree.

import { detectorId } from '../../actors/detector.ts';
import { enricherId } from '../../actors/enricher.ts';
import { FLOOD_WATCH_ID } from '../../actors/flood-watch.ts';
import { TRAINER_ID } from '../../actors/trainer.ts';
import type { PlacedSpec } from './types.ts';

export interface ClusterShape {
  shards: number;
  trainer: boolean;
}

export interface MemberActors {
  id: string;
  /** Local ids of the node's capture actors (one per interface it captures). */
  captures: string[];
}

export const ENRICHERS_PATH = '/pipeline/enrichers';
export const DETECTORS_PATH = '/detection/detectors';

export function desiredSpecs(shape: ClusterShape, members: MemberActors[]): PlacedSpec[] {
  const specs: PlacedSpec[] = [];
  for (let k = 0; k < shape.shards; k++) {
    specs.push({ id: enricherId(k), kind: 'enricher', group: `shard-${k}` });
    specs.push({ id: detectorId(k), kind: 'detector', group: `shard-${k}` });
  }
  specs.push({ id: FLOOD_WATCH_ID, kind: 'floods', weight: 0.5 });
  if (shape.trainer) specs.push({ id: TRAINER_ID, kind: 'trainer', weight: 0.5 });
  for (const m of members) {
    specs.push({ id: `firewall@${m.id}`, kind: 'firewall', pin: m.id, weight: 0.25 });
    for (const c of m.captures) specs.push({ id: `${c}@${m.id}`, kind: 'capture', pin: m.id, weight: 1 });
  }
  return specs;
}

/** The path an unpinned placed actor has on whichever node runs it; undefined for pinned ones. */
export function pathOf(actorId: string): string | undefined {
  if (actorId.includes('@')) return undefined;
  if (actorId.startsWith('enricher-')) return `${ENRICHERS_PATH}/${actorId}`;
  if (actorId.startsWith('detector-')) return `${DETECTORS_PATH}/${actorId}`;
  if (actorId === FLOOD_WATCH_ID || actorId === TRAINER_ID) return `/detection/${actorId}`;
  return undefined;
}

/** The placed actor a path belongs to (the inverse of pathOf), or undefined when no placed actor has it. */
export function actorIdOf(path: string): string | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1);
  return pathOf(last) === path ? last : undefined;
}

/** For a member's own pinned actors: "capture-lo@n1" → { local: "capture-lo", node: "n1" }. */
export function pinnedParts(actorId: string): { local: string; node: string } | undefined {
  const at = actorId.lastIndexOf('@');
  return at < 0 ? undefined : { local: actorId.slice(0, at), node: actorId.slice(at + 1) };
}

export { detectorId, enricherId };
