// The leader's side of placement: whenever the members or the leadership change, turn the
// desired specs into an assignment (rendezvous hashing with bounded load, sticky) and write
// what changed in one transaction fenced on the leadership key. A deposed leader's write
// fails its guard and changes nothing. Each placement key's revision is that actor's epoch.

import type { Coordinator, TxnOp } from '../coordinator.ts';
import type { EtcdValues } from '../etcd-values.ts';
import type { LeaderElection } from '../election.ts';
import { keyName, keys } from '../keys.ts';
import type { PrefixMirror } from '../prefix-mirror.ts';
import { assign } from './assign.ts';
import type { ClusterShape, MemberActors, PlacementLayout } from './specs.ts';
import type { Assignment, PlacementNode } from './types.ts';

export interface NodeRecord {
  id: string;
  /** The transport's address and CURVE public key. */
  address: string;
  publicKey: string;
  http: string;
  /** Interfaces it captures live on. */
  interfaces?: string[];
  captures: string[];
  capacity?: number;
  pid?: number;
  startedAt?: string;
  load?: Record<string, number>;
  /** HMAC-SHA256 of its identity with the cluster's join secret (join-secret.ts). */
  mac?: string;
}

export interface PlacementValue {
  node: string;
  kind: string;
}

/**
 * The members' registrations that pass EtcdValues' schema and `admit` (the join secret's
 * signature: a problem, or null to admit), sorted by id. Anything else is skipped, counted
 * and logged once.
 */
export function readNodes(nodes: PrefixMirror, values: EtcdValues, admit: (r: NodeRecord) => string | null = () => null): NodeRecord[] {
  const out: NodeRecord[] = [];
  for (const kv of nodes.items.values()) {
    const r = values.node(kv);
    if (!r) continue;
    const problem = admit(r);
    if (problem === null) out.push(r);
    else values.reject('nodes', kv, problem);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Who runs each placed actor, as what, and its epoch (the key's revision); malformed values skipped. */
export function parsePlacements(values: EtcdValues, placements: PrefixMirror): Map<string, { node: string; epoch: number; kind: string }> {
  const prefix = keys.placements(values.cluster);
  const out = new Map<string, { node: string; epoch: number; kind: string }>();
  for (const kv of placements.items.values()) {
    const p = values.placement(kv);
    if (p) out.set(keyName(prefix, kv.key), { node: p.node, epoch: kv.revision, kind: p.kind });
  }
  return out;
}

export class Placer {
  writes = 0;
  lastAssignment: Assignment = new Map();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly o: {
      coordinator: Coordinator;
      cluster: string;
      election: LeaderElection;
      /** The admitted members (readNodes). */
      members: () => NodeRecord[];
      placements: PrefixMirror;
      values: EtcdValues;
      shape: ClusterShape;
      /** What the application places (src/node/placement-layout.ts, from src/actors/tree-layout.ts). */
      layout: PlacementLayout;
      onError: (err: unknown) => void;
      onPlaced?: (moved: number, revision: number) => void;
    },
  ) {}

  /** Coalesces bursts of changes (three nodes joining at once) into one write. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) {
        this.again = true;
        return;
      }
      this.running = this.run()
        .catch((err) => this.o.onError(err))
        .finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            this.schedule();
          }
        });
    }, 10);
  }

  private async run(): Promise<void> {
    const guard = this.o.election.guard();
    if (!guard) return;
    const members = this.o.members();
    const nodes: PlacementNode[] = members.map((m) => ({ id: m.id, capacity: m.capacity ?? 1 }));
    const specs = this.o.layout.desired(this.o.shape, members.map((m): MemberActors => ({ id: m.id, captures: m.captures ?? [] })));
    const current = parsePlacements(this.o.values, this.o.placements);
    const previous: Assignment = new Map([...current].map(([id, e]) => [id, e.node]));
    const next = assign(specs, nodes, previous);
    const kinds = new Map(specs.map((s) => [s.id, s.kind]));
    const ops: TxnOp[] = [];
    for (const [id, node] of next) {
      // A new kind on the same node is written too (a leader that runs shards as threads
      // taking over from one that ran them as pairs): the node runs what the key says.
      if (previous.get(id) !== node || current.get(id)?.kind !== kinds.get(id)) ops.push({ type: 'put', key: keys.placement(this.o.cluster, id), value: JSON.stringify({ node, kind: kinds.get(id)! } satisfies PlacementValue) });
    }
    for (const id of previous.keys()) if (!next.has(id)) ops.push({ type: 'delete', key: keys.placement(this.o.cluster, id) });
    this.lastAssignment = next;
    if (ops.length === 0) return;
    ops.push({ type: 'put', key: keys.spec(this.o.cluster), value: JSON.stringify(specs) });
    const revision = await this.o.coordinator.commitIf(guard, ops);
    if (revision !== undefined) {
      this.writes++;
      this.o.onPlaced?.(ops.length - 1, revision);
    }
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
