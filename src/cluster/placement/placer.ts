// The leader's side of placement: whenever the members or the leadership change, turn the
// desired specs into an assignment (rendezvous hashing with bounded load, sticky) and write
// what changed in one transaction fenced on the leadership key. A deposed leader's write
// fails its guard and changes nothing. Each placement key's revision is that actor's epoch.

import type { Coordinator, TxnOp } from '../coordinator.ts';
import type { LeaderElection } from '../election.ts';
import { keyName, keys } from '../keys.ts';
import type { PrefixMirror } from '../prefix-mirror.ts';
import { assign } from './assign.ts';
import { desiredSpecs, type ClusterShape, type MemberActors } from './specs.ts';
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
}

export interface PlacementValue {
  node: string;
  kind: string;
}

export function parseNodes(nodes: PrefixMirror): NodeRecord[] {
  const out: NodeRecord[] = [];
  for (const kv of nodes.items.values()) {
    try {
      out.push(JSON.parse(kv.value) as NodeRecord);
    } catch {
      // a malformed registration is skipped, not fatal: it names no usable node
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function parsePlacements(cluster: string, placements: PrefixMirror): Map<string, { node: string; epoch: number }> {
  const prefix = keys.placements(cluster);
  const out = new Map<string, { node: string; epoch: number }>();
  for (const kv of placements.items.values()) {
    try {
      out.set(keyName(prefix, kv.key), { node: (JSON.parse(kv.value) as PlacementValue).node, epoch: kv.revision });
    } catch {
      // skipped as above
    }
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
      nodes: PrefixMirror;
      placements: PrefixMirror;
      shape: ClusterShape;
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
    const members = parseNodes(this.o.nodes);
    const nodes: PlacementNode[] = members.map((m) => ({ id: m.id, capacity: m.capacity ?? 1 }));
    const specs = desiredSpecs(this.o.shape, members.map((m): MemberActors => ({ id: m.id, captures: m.captures ?? [] })));
    const current = parsePlacements(this.o.cluster, this.o.placements);
    const previous: Assignment = new Map([...current].map(([id, e]) => [id, e.node]));
    const next = assign(specs, nodes, previous);
    const kinds = new Map(specs.map((s) => [s.id, s.kind]));
    const ops: TxnOp[] = [];
    for (const [id, node] of next) {
      if (previous.get(id) !== node) ops.push({ type: 'put', key: keys.placement(this.o.cluster, id), value: JSON.stringify({ node, kind: kinds.get(id)! } satisfies PlacementValue) });
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
