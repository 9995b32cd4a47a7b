// A supervised worker: one nact actor per incarnation, in front of it a bounded mailbox
// that outlives incarnations. At most one message is inside nact at a time (handed off);
// the rest wait here, where the bound, the overflow policy and the counts apply. A message
// that was handed to an incarnation that died before running it is put back, so a crash
// loses only the message whose handling crashed (and that one is a counted dead letter).

import { dispatch, spawn, stop as nactStop, type Ref } from 'nact';
import { InjectedCrashError, describeError } from '../errors.ts';
import { actorRef, type ActorRef } from './actor-ref.ts';
import { lifecycleEvent, withTimeout, type Cell, type CellHost, type CellParent, type CellStatus, type TreeSnapshot } from './cell.ts';
import type { StopReason, SupervisionDefaults, WorkerBehavior, WorkerContext, WorkerSpec } from './child-spec.ts';
import { BoundedMailbox, PushResult } from './mailbox.ts';
import { Tracked } from './tracked.ts';

/** The crash-injection message; only the cell ever dispatches it. */
export const POISON: unique symbol = Symbol('autoimmune.crash');
const NONE: unique symbol = Symbol('none');

export class WorkerCell implements Cell {
  readonly type = 'worker';
  readonly path: string;
  readonly ref: ActorRef;
  kind: string;
  status: CellStatus = 'stopped';
  restarts = 0;
  incarnation = 0;
  /** Wall time the running incarnation started (snapshot). */
  private startedAt = 0;
  lastError: unknown;
  readonly mailbox: BoundedMailbox<unknown>;
  processed = 0;
  dropped = 0;
  rejected = 0;
  rate = 0;
  private rateBase = 0;

  private nact: Ref<any> | undefined;
  /** The incarnation allowed to process messages; 0 while none is. */
  private live = 0;
  private behavior: WorkerBehavior | undefined;
  private state: unknown;
  private ctx: WorkerContext | undefined;
  private inFlight = false;
  private handedOff: unknown = NONE;
  private handedPriority = 0;
  private current: unknown = NONE;
  /** The tracked message being handled: what the handler sends is tracked with it. */
  private tracking: Tracked | undefined;
  /** Messages an incarnation kept open (ctx.defer) and has not settled: dropped when it ends, whatever its terminate did. */
  private readonly deferred = new Set<Tracked>();
  private stopAsked = false;
  private idleWaiters: Array<() => void> = [];
  private starting: Promise<void> | undefined;

  constructor(
    private readonly host: CellHost,
    private readonly parent: CellParent,
    readonly spec: WorkerSpec,
    private readonly defaults: SupervisionDefaults,
  ) {
    this.path = parent.path === '/' ? `/${spec.id}` : `${parent.path}/${spec.id}`;
    this.ref = actorRef(host.nodeId, this.path);
    this.kind = spec.id;
    this.mailbox = new BoundedMailbox(spec.mailbox ?? defaults.mailbox);
    host.register(this);
  }

  get id(): string {
    return this.spec.id;
  }

  private get shutdownMs(): number {
    return this.spec.shutdownMs ?? this.defaults.shutdownMs;
  }

  /**
   * Start an incarnation. A cell already starting or running keeps the one it has (a second
   * would overwrite the nact actor of the first, which would live on with whatever message
   * was handed to it): the supervisor restarts a cell only after stopping it.
   */
  start(): Promise<void> {
    if ((this.status === 'starting' || this.status === 'running') && this.starting) return this.starting;
    this.starting = this.startIncarnation();
    return this.starting;
  }

  private async startIncarnation(): Promise<void> {
    const inc = ++this.incarnation;
    this.status = 'starting';
    this.stopAsked = false;
    this.inFlight = false;
    this.handedOff = NONE;
    this.current = NONE;
    this.tracking = undefined;
    let behavior: WorkerBehavior;
    let state: unknown;
    const ctx = this.makeContext(inc);
    try {
      behavior = this.spec.start();
      this.kind = behavior.kind;
      state = behavior.init ? await behavior.init(ctx) : undefined;
    } catch (err) {
      if (this.incarnation === inc && this.status === 'starting') this.failed(inc, err, NONE);
      return;
    }
    if (this.incarnation !== inc || this.status !== 'starting') {
      // Stopped while init ran: release what init took.
      await Promise.resolve(behavior.terminate?.(state, 'shutdown', ctx)).catch(() => {});
      return;
    }
    this.behavior = behavior;
    this.state = state;
    this.ctx = ctx;
    this.live = inc;
    this.nact = spawn(this.parent.nactRef!, (s: unknown, m: unknown) => this.receive(inc, behavior, ctx, s, m), `${this.spec.id}.${inc}`, {
      initialState: state,
      onCrash: (msg: unknown, err: unknown, nctx: any) => {
        this.failed(inc, err, msg);
        return nctx.stop;
      },
    } as any);
    this.status = 'running';
    this.startedAt = Date.now();
    this.pump();
  }

  private makeContext(inc: number): WorkerContext {
    return {
      self: this.ref,
      path: this.path,
      incarnation: inc,
      send: (to, msg, priority) => this.sendTracked(this.tracking, to, msg, priority),
      depth: (to) => this.host.depth(to),
      stop: () => {
        if (this.live === inc) this.stopAsked = true;
      },
      defer: () => {
        // Taken from the cell: `completed` no longer settles it, its owner does.
        const t = this.tracking;
        this.tracking = undefined;
        if (t) this.deferred.add(t);
        return {
          send: (to, msg, priority) => this.sendTracked(t, to, msg, priority),
          done: (outcome) => {
            if (!t) return;
            t.settle(outcome);
            this.deferred.delete(t);
          },
        };
      },
    };
  }

  /** Sends `msg`, tracked with `t` (sends to self are not: tracked.ts). */
  private sendTracked(t: Tracked | undefined, to: ActorRef | string, msg: unknown, priority?: number): boolean {
    const self = typeof to === 'string' ? to === this.path : to.path === this.path && to.node === this.host.nodeId;
    return this.host.send(to, t !== undefined && msg !== undefined && !self ? t.derive(msg) : msg, priority);
  }

  private receive(inc: number, behavior: WorkerBehavior, ctx: WorkerContext, state: unknown, msg: unknown): unknown {
    if (msg === POISON) throw new InjectedCrashError(this.path);
    this.handedOff = NONE;
    this.current = msg;
    let body = msg;
    if (msg instanceof Tracked) {
      this.tracking = msg;
      body = msg.msg;
    }
    const r = behavior.handle(state, body, ctx) as unknown;
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
      return (r as Promise<unknown>).then((s) => this.completed(inc, s));
    }
    return this.completed(inc, r);
  }

  private completed(inc: number, next: unknown): unknown {
    if (inc !== this.live) return next;
    this.state = next;
    this.current = NONE;
    this.processed++;
    const t = this.tracking;
    if (t !== undefined) {
      this.tracking = undefined;
      t.settle('handled');
    }
    if (this.stopAsked) {
      this.exitNormally();
    } else if (this.status === 'running' && this.mailbox.length > 0) {
      const p = this.mailbox.peekPriority();
      this.handOff(this.mailbox.shift(), p);
    } else {
      this.becameIdle();
    }
    return next;
  }

  private handOff(msg: unknown, priority: number): void {
    this.inFlight = true;
    this.handedOff = msg;
    this.handedPriority = priority;
    dispatch(this.nact!, msg);
  }

  private pump(): void {
    if (this.status === 'running' && !this.inFlight && this.mailbox.length > 0) {
      const p = this.mailbox.peekPriority();
      this.handOff(this.mailbox.shift(), p);
    }
  }

  private becameIdle(): void {
    this.inFlight = false;
    if (this.idleWaiters.length > 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private whenIdle(): Promise<void> {
    if (!this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get queued(): number {
    return this.mailbox.length + (this.handedOff !== NONE ? 1 : 0);
  }

  tell(msg: unknown, priority: number): boolean {
    if (msg === undefined) throw new TypeError(`cannot send undefined to ${this.path}`);
    const s = this.status;
    if (s === 'stopped' || s === 'gave_up') {
      this.host.deadLetters.post(this.ref, 'stopped', msg, priority);
      return false;
    }
    if (s === 'running' && !this.inFlight) {
      this.handOff(msg, priority);
      return true;
    }
    const r = this.mailbox.push(msg, priority);
    if (r === PushResult.Queued) return true;
    if (r === PushResult.Rejected) {
      this.rejected++;
      this.host.deadLetters.post(this.ref, 'rejected', msg, priority);
      return false;
    }
    this.dropped++;
    this.host.deadLetters.post(this.ref, 'dropped', this.mailbox.lastShed, this.mailbox.lastShedPriority);
    this.mailbox.lastShed = undefined;
    return true;
  }

  /** The incarnation `inc` crashed, in init (msg NONE) or handling `msg`. */
  private failed(inc: number, err: unknown, msg: unknown): void {
    const initFailure = msg === NONE && this.live !== inc;
    if (!initFailure && inc !== this.live) return;
    const state = this.state;
    const behavior = this.behavior;
    const ctx = this.ctx;
    this.live = 0;
    if (msg === POISON) {
      // The injected crash ran before the message we had handed off: that one never ran.
      if (this.handedOff !== NONE) this.mailbox.unshift(this.handedOff, this.handedPriority);
    } else if (msg !== NONE) {
      this.host.deadLetters.post(this.ref, 'crashed', msg);
    }
    this.handedOff = NONE;
    this.current = NONE;
    this.tracking = undefined;
    this.lastError = err;
    this.status = 'crashed';
    this.becameIdle();
    lifecycleEvent(this.host, this, 'crashed', { error: describeError(err) });
    const report = () => {
      this.dropDeferred();
      this.parent.childExited(this, 'crash', err);
    };
    if (!initFailure && behavior?.terminate) {
      // Best effort: let the incarnation release what it holds (a capture handle, a socket)
      // before its successor starts; bounded by the shutdown timeout.
      const t = Promise.resolve().then(() => behavior.terminate!(state, 'crash', ctx!));
      void withTimeout(this.host, t, this.shutdownMs).then(report);
    } else {
      report();
    }
  }

  private exitNormally(): void {
    const { behavior, state, ctx } = this;
    this.live = 0;
    this.status = 'stopped';
    // A graceful stop may be waiting for this very message to finish.
    this.becameIdle();
    if (this.nact) nactStop(this.nact);
    const done = () => {
      this.dropDeferred();
      lifecycleEvent(this.host, this, 'stopped', { reason: 'normal' });
      this.parent.childExited(this, 'normal', undefined);
    };
    if (behavior?.terminate) {
      const t = Promise.resolve().then(() => behavior.terminate!(state, 'normal', ctx!));
      void withTimeout(this.host, t, this.shutdownMs).then(done);
    } else {
      done();
    }
  }

  async shutdown(reason: 'shutdown' | 'restart'): Promise<void> {
    const final: CellStatus = reason === 'restart' ? 'restarting' : 'stopped';
    if (this.status === 'starting') {
      this.status = 'stopping';
      await withTimeout(this.host, this.starting ?? Promise.resolve(), this.shutdownMs);
      this.status = final;
      lifecycleEvent(this.host, this, 'stopped', { reason: 'shutdown' });
      return;
    }
    if (this.status !== 'running') {
      if (this.status !== 'stopping') this.status = final;
      return;
    }
    const inc = this.live;
    const { behavior, ctx } = this;
    this.status = 'stopping';
    let terminated = false;
    const terminate = async () => {
      if (terminated || !behavior?.terminate) return;
      terminated = true;
      await behavior.terminate(this.state, reason as StopReason, ctx!);
    };
    try {
      behavior?.interrupt?.(this.state);
    } catch {
      // an interrupt that fails only means the stop may take its full timeout
    }
    const work = (async () => {
      await this.whenIdle();
      if (this.live === inc) await terminate();
    })();
    const inTime = await withTimeout(this.host, work, this.shutdownMs);
    // Killed: still release what it holds (best effort, not awaited), or a socket or a
    // capture handle would outlive the actor.
    if (!inTime) void Promise.resolve().then(terminate).catch(() => {});
    if (this.live === inc) this.live = 0;
    if (this.nact) nactStop(this.nact);
    if (this.handedOff !== NONE) {
      this.mailbox.unshift(this.handedOff, this.handedPriority);
      this.handedOff = NONE;
    }
    if (this.current !== NONE) {
      // Killed in the middle of a message: it was not fully handled.
      this.host.deadLetters.post(this.ref, 'stopped', this.current);
      this.current = NONE;
      this.tracking = undefined;
    }
    this.inFlight = false;
    this.dropDeferred();
    this.becameIdle();
    if (this.status === 'stopping') this.status = final;
    lifecycleEvent(this.host, this, 'stopped', { reason: inTime ? 'shutdown' : 'killed' });
  }

  /** The ended incarnation's messages still open: their work went with it (as a crash while handling them). */
  private dropDeferred(): void {
    for (const t of this.deferred) t.settle('dropped');
    this.deferred.clear();
  }

  crash(): boolean {
    if (this.status !== 'running' || !this.nact) return false;
    dispatch(this.nact, POISON);
    return true;
  }

  dispose(): void {
    this.status = 'stopped';
    this.mailbox.drain((m, p) => this.host.deadLetters.post(this.ref, 'stopped', m, p));
    this.host.unregister(this);
  }

  tickRate(dtMs: number): void {
    this.rate = dtMs > 0 ? ((this.processed - this.rateBase) * 1000) / dtMs : 0;
    this.rateBase = this.processed;
  }

  snapshot(): TreeSnapshot {
    return {
      path: this.path,
      id: this.spec.id,
      type: 'worker',
      kind: this.kind,
      status: this.status,
      restartType: this.spec.restart ?? 'permanent',
      incarnation: this.incarnation,
      ...(this.startedAt ? { startedAt: this.startedAt } : {}),
      restarts: this.restarts,
      mailboxDepth: this.queued,
      mailboxCapacity: this.mailbox.options.capacity,
      processed: this.processed,
      rate: Math.round(this.rate * 10) / 10,
      dropped: this.dropped,
      rejected: this.rejected,
      ...(this.lastError !== undefined ? { lastError: describeError(this.lastError) } : {}),
      ...(this.spec.stats ? { stats: this.spec.stats() } : {}),
    };
  }
}
