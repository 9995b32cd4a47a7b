// The chaos monkey's vocabulary: the faults it plans from a seed, what it records of each,
// and the report it prints (human summary or one JSON object).

export type FaultKind = 'crash' | 'kill-node' | 'etcd-member' | 'partition' | 'slow-node' | 'load-spike';

export const FAULT_KINDS: readonly FaultKind[] = ['crash', 'kill-node', 'etcd-member', 'partition', 'slow-node', 'load-spike'];

export interface PlannedFault {
  /** When, from the start of the run. */
  atMs: number;
  kind: FaultKind;
  /**
   * Which: a node id ("n2"), an etcd member name ("m1"), a pair of nodes for a partition
   * ("n1|n3"), or for a crash "n2:<index>" where the runner picks the index-th running actor.
   */
  target: string;
  /** How long the fault lasts before it is healed (partition, slow node, load spike, a killed node's downtime). */
  durationMs: number;
}

export interface FaultRecord extends PlannedFault {
  /** Wall clock (ms since the epoch) when it was injected. */
  startedAt: number;
  /** When the system was whole again (every desired actor running once, leases held), or null if it never was. */
  recoveredAt: number | null;
  /**
   * When a fault that lasts (partition, slow node, etcd member down, load spike) was undone:
   * its recovery is timed from then. Absent where recovery is timed from the injection: a
   * crash, and a node kill (failover to the survivors, not the dead node's restart).
   */
  healedAt?: number;
  /** What exactly was done ("crashed n2:/detection/detectors/detector-3"). */
  detail: string;
}

export interface InvariantResult {
  held: boolean;
  /** What was measured, in words and numbers, whether it held or not. */
  evidence: string;
}

export interface RecoveryStats {
  count: number;
  recovered: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export interface ChaosReport {
  ok: boolean;
  seed: number;
  durationS: number;
  nodes: number;
  etcdMembers: number;
  faults: Record<FaultKind, RecoveryStats>;
  invariants: Record<string, InvariantResult>;
}
