// A supervisor: starts its children in order, applies its strategy when one exits, counts
// restarts against its intensity, backs off between restarts of a crash-looping child, and
// past its intensity stops its children (reverse order) and escalates to its own parent.
// Decisions come from restart-policy.ts; this file only sequences them. Every decision runs
// on one promise chain per supervisor, so two exits are never handled at the same time.

import { dispatch, spawn, stop as nactStop, type Ref } from 'nact';
import { InjectedCrashError, SupervisorGaveUpError, describeError } from '../errors.ts';
import { actorRef, assertActorId, childPath, type ActorRef } from './actor-ref.ts';
import { lifecycleEvent, type Cell, type CellHost, type CellParent, type CellStatus, type TreeSnapshot } from './cell.ts';
import type { ChildSpec, SupervisionDefaults, SupervisorSpec } from './child-spec.ts';
import type { TimerHandle } from '../util/clock.ts';
import { Backoff, RestartIntensity, restartSet, shouldRestart, type ExitReason, type RestartHistory } from './restart-policy.ts';
import { POISON, WorkerCell } from './worker-cell.ts';

interface PendingRestart {
  cells: Set<Cell>;
  timer: TimerHandle;
  delayMs: number;
}

export class Supervisor implements Cell, CellParent {
  readonly type = 'supervisor';
  readonly path: string;
  readonly ref: ActorRef;
  readonly kind: string;
  status: CellStatus = 'stopped';
  restarts = 0;
  incarnation = 0;
  lastError: unknown;
  nactRef: Ref<any> | undefined;
  readonly children: Cell[] = [];
  private intensity: RestartIntensity;
  private readonly backoffs = new Map<Cell, Backoff>();
  /** Restarts elsewhere already counted in this supervisor's window, per child id. */
  private readonly seeded = new Map<string, Set<string>>();
  private pending: PendingRestart[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: CellHost,
    private readonly parent: CellParent | null,
    readonly spec: SupervisorSpec,
    private readonly defaults: SupervisionDefaults,
    private readonly nactParent: () => Ref<any>,
  ) {
    this.path = parent ? childPath(parent.path, spec.id) : '/';
    this.ref = actorRef(host.nodeId, this.path);
    this.kind = spec.kind ?? 'supervisor';
    this.intensity = new RestartIntensity(spec.intensity ?? defaults.intensity);
    host.register(this);
    for (const c of spec.children) this.children.push(this.makeChild(c));
  }

  get id(): string {
    return this.spec.id;
  }

  private makeChild(spec: ChildSpec): Cell {
    assertActorId(spec.id);
    if (this.children.some((c) => c.id === spec.id)) {
      throw new RangeError(`supervisor ${this.path} already has a child with id ${JSON.stringify(spec.id)}`);
    }
    return spec.type === 'supervisor'
      ? new Supervisor(this.host, this, spec, this.defaults, () => this.nactRef!)
      : new WorkerCell(this.host, this, spec, this.defaults);
  }

  /** Runs `op` after every decision queued before it. */
  private enqueue(op: () => Promise<void> | void): Promise<void> {
    const next = this.chain.then(op, op);
    this.chain = next.catch((err) => {
      // A bug in supervision itself must not wedge the chain; surface it as a give-up.
      this.host.rootGaveUp(err instanceof Error ? err : new Error(String(err)));
    });
    return next;
  }

  start(): Promise<void> {
    const inc = ++this.incarnation;
    this.status = 'starting';
    this.intensity = new RestartIntensity(this.spec.intensity ?? this.defaults.intensity);
    this.backoffs.clear();
    this.nactRef = spawn(this.nactParent(), (s: unknown, m: unknown) => {
      if (m === POISON) throw new InjectedCrashError(this.path);
      return s;
    }, `${this.spec.id}.${inc}`, {
      // Keep the nact actor alive: the crash is handled here, children first.
      onCrash: (_m: unknown, err: unknown, ctx: any) => {
        void this.crashed(inc, err);
        return ctx.resume;
      },
    } as any);
    return this.enqueue(async () => {
      for (const c of this.children) {
        if (this.status !== 'starting' || this.incarnation !== inc) return;
        await c.start();
        if (c.status === 'running') lifecycleEvent(this.host, c, 'started');
      }
      if (this.status === 'starting' && this.incarnation === inc) this.status = 'running';
    });
  }

  childExited(child: Cell, reason: ExitReason, error: unknown): void {
    const inc = child.incarnation;
    void this.enqueue(() => this.handleExit(child, inc, reason, error));
  }

  private async handleExit(child: Cell, inc: number, reason: ExitReason, error: unknown): Promise<void> {
    if (this.status !== 'running' && this.status !== 'starting') return;
    const own = this.incarnation;
    if (child.incarnation !== inc || !this.children.includes(child)) return;
    if (child.status !== 'crashed' && child.status !== 'stopped' && child.status !== 'gave_up') return;
    const type = child.spec.restart ?? 'permanent';
    if (!shouldRestart(type, reason)) {
      if (type === 'temporary') this.removeChildCell(child);
      return;
    }
    const now = this.host.clock.now();
    if (!this.intensity.record(now)) {
      await this.giveUp(child, error);
      return;
    }
    const set = restartSet(this.strategy, this.children.length, this.children.indexOf(child)).map((i) => this.children[i]!);
    let backoff = this.backoffs.get(child);
    if (!backoff) {
      backoff = new Backoff(this.spec.backoff ?? this.defaults.backoff, this.host.random);
      this.backoffs.set(child, backoff);
    }
    const delay = backoff.next(now);
    child.status = 'restarting';
    for (let i = set.length - 1; i >= 0; i--) {
      const c = set[i]!;
      if (c !== child) await c.shutdown('restart');
    }
    // crashed and restarted while the siblings stopped: the new incarnation starts them all
    if (this.incarnation !== own) return;
    this.scheduleRestart(set, delay);
  }

  private get strategy() {
    return this.spec.strategy;
  }

  private scheduleRestart(set: Cell[], delayMs: number): void {
    const cells = new Set(set);
    const inc = this.incarnation;
    // A restart already waiting for some of these cells joins this one, so none is forgotten.
    this.pending = this.pending.filter((p) => {
      if (![...p.cells].some((c) => cells.has(c))) return true;
      p.timer.cancel();
      for (const c of p.cells) cells.add(c);
      return false;
    });
    const run = () => {
      this.pending = this.pending.filter((p) => p !== entry);
      void this.enqueue(() => this.restartCells(cells, delayMs, inc));
    };
    const entry: PendingRestart = { cells, delayMs, timer: { cancel() {} } };
    if (delayMs <= 0) {
      run();
      return;
    }
    entry.timer = this.host.clock.setTimer(run, delayMs);
    this.pending.push(entry);
  }

  /**
   * A restart this incarnation (`inc`) scheduled. One that waited on the chain while the
   * supervisor crashed and was restarted is dropped: the new incarnation starts every child
   * itself, and a cell started by both would leave its first nact actor alive with whatever
   * message was handed to it (test/supervision-stale-restart.test.ts).
   */
  private async restartCells(cells: Set<Cell>, delayMs: number, inc: number): Promise<void> {
    for (const c of this.children) {
      if (!cells.has(c)) continue;
      if (this.incarnation !== inc || (this.status !== 'running' && this.status !== 'starting')) return;
      if (c.status !== 'restarting') continue;
      c.restarts++;
      await c.start();
      if ((c.status as CellStatus) === 'running') lifecycleEvent(this.host, c, 'restarted', { delayMs });
    }
  }

  private cancelPending(): void {
    for (const p of this.pending) p.timer.cancel();
    this.pending = [];
  }

  private async stopChildren(reason: 'shutdown' | 'restart'): Promise<void> {
    for (let i = this.children.length - 1; i >= 0; i--) await this.children[i]!.shutdown(reason);
  }

  private async giveUp(child: Cell, error: unknown): Promise<void> {
    const { maxRestarts, periodMs } = this.intensity.options;
    const escalated = error instanceof SupervisorGaveUpError;
    const gaveUp = new SupervisorGaveUpError(
      this.path,
      escalated ? error.culprit : child.path,
      maxRestarts,
      periodMs,
      escalated ? error.lastError : error,
    );
    this.status = 'gave_up';
    this.lastError = gaveUp;
    this.cancelPending();
    await this.stopChildren('shutdown');
    if (this.nactRef) nactStop(this.nactRef);
    lifecycleEvent(this.host, this, 'gave_up', { culprit: gaveUp.culprit, error: describeError(gaveUp.lastError) });
    if (this.parent) this.parent.childExited(this, 'crash', gaveUp);
    else this.host.rootGaveUp(gaveUp);
  }

  /** Crash injected into the supervisor itself: its children stop, its parent decides. */
  private async crashed(inc: number, err: unknown): Promise<void> {
    if (inc !== this.incarnation || (this.status !== 'running' && this.status !== 'starting')) return;
    this.status = 'stopping';
    this.cancelPending();
    await this.stopChildren('restart');
    if (this.nactRef) nactStop(this.nactRef);
    this.lastError = err;
    this.status = 'crashed';
    lifecycleEvent(this.host, this, 'crashed', { error: describeError(err) });
    if (this.parent) this.parent.childExited(this, 'crash', err);
    else this.host.rootGaveUp(err instanceof Error ? err : new Error(String(err)));
  }

  crash(): boolean {
    if (!this.parent) throw new RangeError('the root supervisor cannot be crashed: pick one of its descendants');
    if (this.status !== 'running' || !this.nactRef) return false;
    dispatch(this.nactRef, POISON);
    return true;
  }

  async shutdown(reason: 'shutdown' | 'restart'): Promise<void> {
    const final: CellStatus = reason === 'restart' ? 'restarting' : 'stopped';
    if (this.status !== 'running' && this.status !== 'starting') {
      if (this.status !== 'stopping') this.status = final;
      return;
    }
    this.status = 'stopping';
    this.cancelPending();
    await this.stopChildren(reason);
    if (this.nactRef) nactStop(this.nactRef);
    this.status = final;
    lifecycleEvent(this.host, this, 'stopped', { reason: 'shutdown' });
  }

  get queued(): number {
    return 0;
  }

  tell(msg: unknown, priority: number): boolean {
    // Supervisors take no application messages; count it rather than lose it silently.
    this.host.deadLetters.post(this.ref, 'no-such-actor', msg, priority);
    return false;
  }

  /** Adds and starts a child (placement uses this); resolves once it runs. */
  startChild(spec: ChildSpec, history?: RestartHistory): Promise<Cell> {
    return this.enqueue(async () => {
      const cell = this.makeChild(spec);
      this.children.push(cell);
      if (history) this.seedHistory(cell, history);
      if (this.status === 'running' || this.status === 'starting') {
        await cell.start();
        if (cell.status === 'running') lifecycleEvent(this.host, cell, 'started');
      }
    }).then(() => this.children.find((c) => c.id === spec.id)!);
  }

  /**
   * An actor that restarted elsewhere before (the cluster moved it here) keeps its record:
   * its restarts count, count against this supervisor's intensity, and its backoff goes on
   * from where it was, so a crash loop does not get a fresh budget by being moved.
   */
  private seedHistory(cell: Cell, h: RestartHistory): void {
    cell.restarts = Math.max(cell.restarts, h.restarts);
    const backoff = new Backoff(this.spec.backoff ?? this.defaults.backoff, this.host.random);
    let seen = this.seeded.get(cell.id);
    if (!seen) this.seeded.set(cell.id, (seen = new Set()));
    const order = h.times.map((t, i) => i).sort((a, b) => h.times[a]! - h.times[b]!);
    for (const i of order) {
      const t = h.times[i]!;
      backoff.next(t);
      if (h.local[i] || seen.has(h.keys[i]!)) continue;
      seen.add(h.keys[i]!);
      this.intensity.record(t);
    }
    this.backoffs.set(cell, backoff);
  }

  /** Stops a child gracefully and removes it; its queued messages become dead letters. */
  stopChild(id: string): Promise<boolean> {
    return this.enqueue(async () => {
      const cell = this.children.find((c) => c.id === id);
      if (!cell) return;
      for (const p of this.pending) p.cells.delete(cell);
      await cell.shutdown('shutdown');
      this.removeChildCell(cell);
    }).then(() => !this.children.some((c) => c.id === id));
  }

  private removeChildCell(cell: Cell): void {
    const i = this.children.indexOf(cell);
    if (i >= 0) this.children.splice(i, 1);
    this.backoffs.delete(cell);
    disposeTree(cell);
  }

  dispose(): void {
    this.status = 'stopped';
    this.host.unregister(this);
  }

  tickRate(): void {}

  snapshot(): TreeSnapshot {
    let processed = 0;
    let depth = 0;
    const children = this.children.map((c) => {
      const s = c.snapshot();
      processed += s.processed;
      depth += s.mailboxDepth;
      return s;
    });
    return {
      path: this.path,
      id: this.spec.id,
      type: 'supervisor',
      kind: this.kind,
      status: this.status,
      restartType: this.spec.restart ?? 'permanent',
      incarnation: this.incarnation,
      restarts: this.restarts,
      mailboxDepth: depth,
      mailboxCapacity: 0,
      processed,
      rate: Math.round(children.reduce((a, c) => a + c.rate, 0) * 10) / 10,
      dropped: children.reduce((a, c) => a + c.dropped, 0),
      rejected: children.reduce((a, c) => a + c.rejected, 0),
      strategy: this.spec.strategy,
      ...(this.lastError !== undefined ? { lastError: describeError(this.lastError) } : {}),
      children,
    };
  }
}

/** Forgets a cell and everything under it. */
function disposeTree(cell: Cell): void {
  if (cell instanceof Supervisor) for (const c of [...cell.children]) disposeTree(c);
  cell.dispose();
}

