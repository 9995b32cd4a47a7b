// One node's actor system: the nact system, the root supervisor, the registry of cells by
// path, routing of `send` (local, or through the cluster's remote router), crash injection,
// the lifecycle and dead-letter streams and the tree snapshot.

import { start as nactStart, stop as nactStop, type Ref } from 'nact';
import { NoSuchActorError, SupervisorGaveUpError, describeError } from '../errors.ts';
import { actorRef, type ActorRef } from './actor-ref.ts';
import { lifecycleEvent, type Cell, type CellHost, type TreeSnapshot } from './cell.ts';
import { DEFAULT_SUPERVISION, type ChildSpec, type SupervisionDefaults, type SupervisorSpec } from './child-spec.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { DeadLetterOffice, LifecycleStream, type DeadLetterReason } from './events.ts';
import { Supervisor } from './supervisor.ts';
import type { RestartHistory } from './restart-policy.ts';

/** The cluster's routing of messages for actors that do not run on this node. */
export interface RemoteRouter {
  /** `to` is a ref on another node, or a path with no actor here. False: it became a dead letter. */
  route(to: ActorRef | string, msg: unknown, priority: number): boolean;
  /** Messages on their way to `to` and not yet handled there (what a producer holds back on). */
  depth(to: ActorRef | string): number;
}

export interface ActorSystemOptions {
  nodeId: string;
  /** The root supervisor's strategy, limits and children. */
  root: Omit<SupervisorSpec, 'type' | 'id' | 'restart' | 'shutdownMs'>;
  defaults?: Partial<SupervisionDefaults>;
  clock?: Clock;
  random?: () => number;
  /** Called when the root supervisor gives up; the default prints why and exits non-zero. */
  onRootGaveUp?: (error: Error) => void;
  /** How often the per-actor rates are computed (ms); 0 turns it off. */
  rateIntervalMs?: number;
}

export interface SystemSnapshot {
  node: string;
  at: number;
  tree: TreeSnapshot;
  deadLetters: { total: number; byReason: Record<DeadLetterReason, number> };
}

let systems = 0;

/** Prints why the root gave up and exits non-zero: the node cannot go on without its tree. */
export function exitOnRootGaveUp(error: Error): void {
  const culprit = error instanceof SupervisorGaveUpError ? ` (actor ${error.culprit} kept failing)` : '';
  process.stderr.write(`autoimmune: root supervisor gave up${culprit}: ${describeError(error)}\n`);
  process.exit(1);
}

export class ActorSystem implements CellHost {
  readonly nodeId: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly lifecycle = new LifecycleStream();
  readonly deadLetters = new DeadLetterOffice();
  readonly root: Supervisor;
  readonly defaults: SupervisionDefaults;
  /** Set once the root gave up. */
  gaveUp: Error | undefined;
  remoteRouter: RemoteRouter | undefined;
  private readonly cells = new Map<string, Cell>();
  private readonly nact: Ref<any>;
  private readonly onRootGaveUp: (error: Error) => void;
  private rateTimer: NodeJS.Timeout | undefined;
  private lastRateTick = 0;
  private stopped = false;

  constructor(options: ActorSystemOptions) {
    this.nodeId = options.nodeId;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.defaults = { ...DEFAULT_SUPERVISION, ...options.defaults };
    this.onRootGaveUp = options.onRootGaveUp ?? exitOnRootGaveUp;
    // nact keeps a process-wide map of systems by name; several nodes may share a process in tests.
    this.nact = nactStart({ name: `${options.nodeId}-${++systems}-${process.pid}` } as any);
    this.root = new Supervisor(this, null, { ...options.root, type: 'supervisor', id: 'root' }, this.defaults, () => this.nact);
    const every = options.rateIntervalMs ?? 1000;
    if (every > 0) {
      this.lastRateTick = performance.now();
      this.rateTimer = setInterval(() => this.tickRates(), every);
      this.rateTimer.unref();
    }
  }

  /** Starts the tree in order; resolves when every child has started (or failed to). */
  async start(): Promise<void> {
    await this.root.start();
    if (this.root.status === 'running') lifecycleEvent(this, this.root, 'started');
  }

  /** Stops the tree in reverse order, each actor within its shutdown timeout. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.rateTimer) clearInterval(this.rateTimer);
    await this.root.shutdown('shutdown');
    nactStop(this.nact);
  }

  ref(path: string): ActorRef {
    return actorRef(this.nodeId, path);
  }

  register(cell: Cell): void {
    if (this.cells.has(cell.path)) throw new RangeError(`an actor already has the path ${cell.path}`);
    this.cells.set(cell.path, cell);
  }

  unregister(cell: Cell): void {
    if (this.cells.get(cell.path) === cell) this.cells.delete(cell.path);
  }

  lookup(path: string): Cell | undefined {
    return this.cells.get(path);
  }

  paths(): string[] {
    return [...this.cells.keys()];
  }

  /**
   * Delivers `msg` to a local actor by path or ref, or to a remote one through the cluster's
   * router. False when it became a dead letter (rejected, stopped, unknown, unreachable).
   */
  send(to: ActorRef | string, msg: unknown, priority = 0): boolean {
    let path: string;
    if (typeof to === 'string') {
      path = to;
    } else {
      if (to.node !== this.nodeId) {
        if (this.remoteRouter) return this.remoteRouter.route(to, msg, priority);
        this.deadLetters.post(to, 'unreachable', msg, priority);
        return false;
      }
      path = to.path;
    }
    const cell = this.cells.get(path);
    if (!cell) {
      // A placed actor that runs elsewhere in the cluster is addressed by its path alone.
      if (this.remoteRouter) return this.remoteRouter.route(to, msg, priority);
      this.deadLetters.post(typeof to === 'string' ? this.ref(to) : to, 'no-such-actor', msg, priority);
      return false;
    }
    return cell.tell(msg, priority);
  }

  /** Messages waiting at a local actor, or on their way to a remote one; 0 for unknown ones. */
  depth(to: ActorRef | string): number {
    const path = typeof to === 'string' ? to : to.node === this.nodeId ? to.path : undefined;
    const cell = path === undefined ? undefined : this.cells.get(path);
    if (cell) return cell.queued;
    return this.remoteRouter ? this.remoteRouter.depth(to) : 0;
  }

  /** Makes the actor at `path` fail as if its handler threw; false if it is not running. */
  crash(path: string): boolean {
    const cell = this.cells.get(path);
    if (!cell) throw new NoSuchActorError(path);
    return cell.crash();
  }

  /** Adds a child under a running supervisor (the placement layer's entry point). */
  async startChild(parentPath: string, spec: ChildSpec, history?: RestartHistory): Promise<Cell> {
    const parent = this.cells.get(parentPath);
    if (!(parent instanceof Supervisor)) throw new NoSuchActorError(parentPath);
    return parent.startChild(spec, history);
  }

  async stopChild(parentPath: string, id: string): Promise<boolean> {
    const parent = this.cells.get(parentPath);
    if (!(parent instanceof Supervisor)) throw new NoSuchActorError(parentPath);
    return parent.stopChild(id);
  }

  snapshot(): SystemSnapshot {
    return {
      node: this.nodeId,
      at: Date.now(),
      tree: this.root.snapshot(),
      deadLetters: { total: this.deadLetters.total, byReason: { ...this.deadLetters.counts } },
    };
  }

  rootGaveUp(error: Error): void {
    if (this.gaveUp) return;
    this.gaveUp = error;
    if (this.rateTimer) clearInterval(this.rateTimer);
    this.onRootGaveUp(error);
  }

  private tickRates(): void {
    const now = performance.now();
    const dt = now - this.lastRateTick;
    this.lastRateTick = now;
    for (const c of this.cells.values()) c.tickRate(dt);
  }
}
