// Routes messages for actors that run on other nodes, and delivers theirs to ours.
//
// A placed actor is addressed by its path alone (`/pipeline/enrichers/enricher-3`): the
// router looks up which node owns it and at which placement epoch (the revision of its
// placement key), and hands the message to the transport with that epoch. The receiving
// side refuses a message for an actor it does not own, or with an epoch other than its own
// (stale or early); the sender's router then resolves again and re-sends. A message stays
// the sender's responsibility until the target actor has handled it (Tracked): a batch in
// flight to a node that dies comes back from the transport as orphaned and goes to the new
// owner once placement names one. Until then it waits here ("parked"), and counts towards
// the path's depth, so a capture holds back instead of piling up more.

import type { ActorSystem, RemoteRouter } from '../supervisors/actor-system.ts';
import type { ActorRef } from '../supervisors/actor-ref.ts';
import { Tracked } from '../supervisors/tracked.ts';
import type { AlarmEvent, Destination, Outcome, Pending, Transport, TransportHandlers } from './transport/types.ts';
import type { PlacementLayout } from '../cluster/placement/specs.ts';

export interface Route {
  node: string;
  epoch: number;
}

interface Held {
  msg: unknown;
  priority: number;
  tracked: Tracked | undefined;
}

export interface RouterStats {
  routed: number;
  /** Events (packets of a batch, or 1) the receiving actors confirmed as handled. */
  handledEvents: number;
  delivered: number;
  refused: Record<'stale' | 'early' | 'rejected', number>;
  rerouted: number;
  orphaned: number;
  parked: number;
  deadLettered: number;
  /** Node-addressed messages (sendToNode) refused by their node or orphaned by its departure. */
  nodeLocalLost: number;
}

/** Most messages waiting for a route per path; past it they are dead letters (counted). */
const PARK_LIMIT = 8192;
/**
 * The epoch of a message for a node-local actor on a named node (sendToNode): no placement,
 * so no epoch to check and nowhere else to re-send it; a refusal or the node's departure
 * ends it (counted as lost).
 */
export const NODE_LOCAL_EPOCH = -1;
const RETRY_MS = 20;

function eventsOf(msg: unknown): number {
  const n = (msg as { length?: unknown } | null)?.length;
  return typeof n === 'number' && typeof msg === 'object' ? n : 1;
}

export class ClusterRouter implements RemoteRouter, TransportHandlers {
  transport: Transport | undefined;
  /** Peers whose send window is above 80 % of its high-water mark: peer → 80 or 90. */
  readonly alarms = new Map<string, number>();
  onAlarmEvent: ((a: AlarmEvent) => void) | undefined;
  private routes = new Map<string, Route>();
  private readonly parked = new Map<string, Held[]>();
  private readonly inflight = new Map<string, number>();
  /** The tracker of each message in the transport (batches are objects, unique per send). */
  private readonly trackers = new WeakMap<object, Tracked>();
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retries: Held[] = [];
  private readonly retryPaths: string[] = [];
  readonly counts: RouterStats = { routed: 0, handledEvents: 0, delivered: 0, refused: { stale: 0, early: 0, rejected: 0 }, rerouted: 0, orphaned: 0, parked: 0, deadLettered: 0, nodeLocalLost: 0 };

  constructor(
    private readonly system: ActorSystem,
    private readonly layout: PlacementLayout,
  ) {}

  get nodeId(): string {
    return this.system.nodeId;
  }

  /** The placement as the reconciler applied it: path → owner and epoch. Re-sends what waited. */
  setRoutes(routes: Map<string, Route>): void {
    this.routes = routes;
    for (const path of [...this.parked.keys()]) this.flushParked(path);
  }

  /**
   * The transport's peers changed: what waits for a node we could not send to yet (placement
   * named it before its registration reached us; the two watches are separate) goes now.
   */
  peersChanged(): void {
    for (const path of [...this.parked.keys()]) this.flushParked(path);
  }

  routeOf(path: string): Route | undefined {
    return this.routes.get(path);
  }

  // ---- sending side ----

  route(to: ActorRef | string, msg: unknown, priority: number): boolean {
    const path = typeof to === 'string' ? to : to.path;
    if (this.layout.actorIdOf(path) === undefined) {
      // Not a placed actor: nothing in the cluster can take it.
      this.counts.deadLettered++;
      this.system.deadLetters.post(typeof to === 'string' ? this.system.ref(to) : to, typeof to === 'string' ? 'no-such-actor' : 'unreachable', msg, priority);
      return false;
    }
    let tracked: Tracked | undefined;
    if (msg instanceof Tracked) {
      tracked = msg;
      msg = msg.msg;
    }
    this.dispatch(path, { msg, priority, tracked });
    return true;
  }

  depth(to: ActorRef | string): number {
    const path = typeof to === 'string' ? to : to.path;
    return (this.inflight.get(path) ?? 0) + (this.parked.get(path)?.length ?? 0);
  }

  private dispatch(path: string, h: Held): void {
    const r = this.routes.get(path);
    const local = r?.node === this.nodeId ? this.system.lookup(path) : undefined;
    if (local) {
      // Placed here (it arrived while parked, or the route changed): deliver locally.
      if (!this.system.send(path, h.tracked ?? h.msg, h.priority) && h.tracked === undefined) this.counts.deadLettered++;
      return;
    }
    if (!r || r.node === this.nodeId || !this.transport) {
      this.park(path, h);
      return;
    }
    const result = this.transport.send(r.node, { path, epoch: r.epoch }, h.msg, h.priority, eventsOf(h.msg));
    if (result === 'unknown-peer') {
      this.park(path, h);
      return;
    }
    if (result === 'shed') {
      // Counted by the transport; the sender learns it was not handled.
      h.tracked?.settle('dropped');
      return;
    }
    this.counts.routed++;
    this.inflight.set(path, (this.inflight.get(path) ?? 0) + 1);
    if (h.tracked && typeof h.msg === 'object' && h.msg !== null) this.trackers.set(h.msg, h.tracked);
  }

  private park(path: string, h: Held): void {
    let q = this.parked.get(path);
    if (!q) this.parked.set(path, (q = []));
    if (q.length >= PARK_LIMIT) {
      this.counts.deadLettered++;
      this.system.deadLetters.post(this.system.ref(path), 'unreachable', h.tracked ?? h.msg, h.priority);
      return;
    }
    this.counts.parked++;
    q.push(h);
  }

  private flushParked(path: string): void {
    const q = this.parked.get(path);
    if (!q) return;
    const r = this.routes.get(path);
    if (!r || (r.node === this.nodeId && !this.system.lookup(path))) return;
    this.parked.delete(path);
    for (const h of q) this.dispatch(path, h);
  }

  private settledInTransport(p: Pending): Tracked | undefined {
    const left = (this.inflight.get(p.to.path) ?? 1) - 1;
    if (left > 0) this.inflight.set(p.to.path, left);
    else this.inflight.delete(p.to.path);
    const t = typeof p.msg === 'object' && p.msg !== null ? this.trackers.get(p.msg) : undefined;
    if (t) this.trackers.delete(p.msg as object);
    return t;
  }

  onSettled(p: Pending, outcome: 'handled' | 'dropped'): void {
    if (outcome === 'handled') this.counts.handledEvents += p.events;
    this.settledInTransport(p)?.settle(outcome);
  }

  /** Pushed out of a full send window by higher-priority traffic (counted by the transport). */
  onShed(p: Pending): void {
    this.settledInTransport(p)?.settle('dropped');
  }

  /** The transport's buffer alarms (80 %, 90 %, back below 80 %) per peer. */
  onAlarm(a: AlarmEvent): void {
    if (a.level === 0) this.alarms.delete(a.peer);
    else this.alarms.set(a.peer, a.level);
    this.onAlarmEvent?.(a);
  }

  /**
   * Sends `msg` to the actor at `path` on node `node` itself (not a placed actor): a request
   * to every node's store, an answer back to the asker. At least once while the node is a
   * member; false when the node is not a known peer or the message was shed.
   */
  sendToNode(node: string, path: string, msg: unknown, priority: number): boolean {
    if (node === this.nodeId) return this.system.send(path, msg, priority);
    if (!this.transport) return false;
    return this.transport.send(node, { path, epoch: NODE_LOCAL_EPOCH }, msg, priority, 1) === 'queued';
  }

  onRefused(p: Pending, outcome: 'stale' | 'early' | 'rejected'): void {
    if (p.to.epoch === NODE_LOCAL_EPOCH) {
      this.counts.nodeLocalLost++;
      return;
    }
    const tracked = this.settledInTransport(p);
    this.counts.refused[outcome]++;
    // Resolve again a little later: the placement watch that tells us the new owner, or the
    // owner's start of the actor, is usually a few milliseconds behind.
    this.retries.push({ msg: p.msg, priority: p.priority, tracked });
    this.retryPaths.push(p.to.path);
    this.retryTimer ??= setTimeout(() => this.retryNow(), RETRY_MS);
  }

  private retryNow(): void {
    this.retryTimer = undefined;
    const hs = this.retries.splice(0);
    const ps = this.retryPaths.splice(0);
    for (let i = 0; i < hs.length; i++) {
      this.counts.rerouted++;
      this.dispatch(ps[i]!, hs[i]!);
    }
  }

  onOrphaned(_peer: string, pending: Pending[]): void {
    for (const p of pending) {
      if (p.to.epoch === NODE_LOCAL_EPOCH) {
        this.counts.nodeLocalLost++;
        continue;
      }
      const tracked = this.settledInTransport(p);
      this.counts.orphaned++;
      this.dispatch(p.to.path, { msg: p.msg, priority: p.priority, tracked });
    }
  }

  // ---- receiving side ----

  deliver = (from: string, to: Destination, msg: unknown, priority: number, settle: (o: Outcome) => void): void => {
    if (to.epoch === NODE_LOCAL_EPOCH) {
      // Addressed to this node's own actor: handed over as is (its handler answers by sendToNode).
      this.counts.delivered++;
      settle(this.system.send(to.path, msg, priority) ? 'handled' : 'rejected');
      return;
    }
    const r = this.routes.get(to.path);
    if (!r || r.node !== this.nodeId) {
      // Not ours as far as we know: stale if our view is at least as new as the sender's.
      settle(!r || r.epoch >= to.epoch ? 'stale' : 'early');
      return;
    }
    if (to.epoch !== r.epoch) {
      settle(to.epoch < r.epoch ? 'stale' : 'early');
      return;
    }
    const cell = this.system.lookup(to.path);
    if (!cell) {
      settle('early');
      return;
    }
    this.counts.delivered++;
    cell.tell(new Tracked(msg, (o) => settle(o)), priority);
  };

  close(): void {
    clearTimeout(this.retryTimer);
  }
}
