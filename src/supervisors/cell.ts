// What a worker and a supervisor have in common as children of a supervisor, and the
// services of the node they run on.

import type { Ref } from 'nact';
import type { ActorRef } from './actor-ref.ts';
import type { ChildSpec } from './child-spec.ts';
import type { Clock } from '../util/clock.ts';
import type { DeadLetterOffice, LifecycleEvent, LifecycleStream } from './events.ts';
import type { ExitReason, RestartType } from './restart-policy.ts';

export type CellStatus = 'starting' | 'running' | 'stopping' | 'restarting' | 'crashed' | 'stopped' | 'gave_up';

/** The node-level services a cell uses; implemented by ActorSystem. */
export interface CellHost {
  readonly nodeId: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly lifecycle: LifecycleStream;
  readonly deadLetters: DeadLetterOffice;
  register(cell: Cell): void;
  unregister(cell: Cell): void;
  send(to: ActorRef | string, msg: unknown, priority?: number): boolean;
  depth(to: ActorRef | string): number;
  rootGaveUp(error: Error): void;
}

/** The parent side of the relation, implemented by Supervisor. */
export interface CellParent {
  readonly path: string;
  readonly nactRef: Ref<any> | undefined;
  childExited(child: Cell, reason: ExitReason, error: unknown): void;
}

export interface TreeSnapshot {
  path: string;
  id: string;
  type: 'supervisor' | 'worker';
  kind: string;
  status: CellStatus;
  restartType: RestartType;
  incarnation: number;
  /** When the running incarnation of a worker started (ms since the epoch): a new cell of the same path (placed here again) starts its incarnations at 1 too. */
  startedAt?: number;
  restarts: number;
  mailboxDepth: number;
  mailboxCapacity: number;
  processed: number;
  /** Messages per second over the last rate interval. */
  rate: number;
  dropped: number;
  rejected: number;
  lastError?: string;
  /** Domain counters of the actor (WorkerSpec.stats). */
  stats?: Record<string, number>;
  strategy?: string;
  children?: TreeSnapshot[];
}

export interface Cell {
  readonly id: string;
  readonly path: string;
  readonly ref: ActorRef;
  readonly spec: ChildSpec;
  readonly kind: string;
  status: CellStatus;
  restarts: number;
  readonly incarnation: number;
  lastError: unknown;
  /** Starts a new incarnation; resolves once it runs (or has failed to start). */
  start(): Promise<void>;
  /** Graceful stop within shutdownMs; 'restart' keeps queued messages for the next incarnation. */
  shutdown(reason: 'shutdown' | 'restart'): Promise<void>;
  /** Injects a crash as if the handler threw. */
  crash(): boolean;
  tell(msg: unknown, priority: number): boolean;
  /** Messages waiting for this actor (0 for a supervisor). */
  readonly queued: number;
  /** Dead-letters queued messages and forgets the cell (removed for good). */
  dispose(): void;
  tickRate(dtMs: number): void;
  snapshot(): TreeSnapshot;
}

export function lifecycleEvent(host: CellHost, cell: Cell, type: LifecycleEvent['type'], extra: Partial<LifecycleEvent> = {}): void {
  host.lifecycle.publish({
    type,
    node: host.nodeId,
    path: cell.path,
    kind: cell.kind,
    incarnation: cell.incarnation,
    at: Date.now(),
    restarts: cell.restarts,
    ...extra,
  });
}

/** Resolves `work`, or after `ms` with false; true when work finished in time. */
export function withTimeout(host: CellHost, work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const timer = host.clock.setTimer(() => {
      if (!done) {
        done = true;
        resolve(false);
      }
    }, ms);
    work.then(
      () => {
        if (!done) {
          done = true;
          timer.cancel();
          resolve(true);
        }
      },
      () => {
        if (!done) {
          done = true;
          timer.cancel();
          resolve(true);
        }
      },
    );
  });
}
