// The placement contract: what the cluster should run (specs), who is there (nodes), and
// which node runs what (an assignment). Computed by the leader, pure and deterministic.

/** 'shard-thread': a whole shard (enricher and detector) in a worker thread, in place of an enricher/detector pair. */
export type PlacedKind = 'capture' | 'enricher' | 'detector' | 'shard-thread' | 'firewall' | 'floods' | 'trainer';

export interface PlacedSpec {
  /** Unique actor id in the cluster, e.g. "enricher-3", "capture-n1-eth0", "firewall-n2". */
  id: string;
  kind: PlacedKind;
  /** Runs only on this node (captures on their interface, per-node firewalls); unassigned while it is away. */
  pin?: string;
  /** Specs with the same group go to the same node (enricher-3 with detector-3). Default: the id. */
  group?: string;
  /** Share of a node's capacity it takes (default 1). */
  weight?: number;
}

export interface PlacementNode {
  id: string;
  /** Relative capacity (default 1): a node of capacity 2 takes about twice the weight. */
  capacity?: number;
}

/** actor id → node id. */
export type Assignment = Map<string, string>;
