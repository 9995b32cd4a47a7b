// The actor tree's layout, in one place: where each actor lives on a node (its path) and how
// its id is written. The node's assembly builds the tree from it, the actors take their ids
// from it, and the cluster is handed it (as a PlacementLayout, src/node/placement-layout.ts)
// to know what it places and where a placed actor lives, so the cluster's code names no actor
// of its own and this module names nothing of the cluster's.
//
//   /cluster/membership            (embedded coordinator only)
//   /store
//   /response    firewall · responder
//   /detection   floods · trainer · detectors/detector-0 … N-1
//   /pipeline    enrichers/enricher-0 … N-1 · capture-<iface> · replay

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
