// Child specifications: what a supervisor starts, in order, and how it treats each child.

import type { ActorRef } from './actor-ref.ts';
import type { TrackOutcome } from './tracked.ts';
import type { MailboxOptions } from './mailbox.ts';
import type { BackoffOptions, IntensityOptions, RestartType, Strategy } from './restart-policy.ts';

/** Why a worker's `terminate` runs. */
export type StopReason = 'shutdown' | 'restart' | 'normal' | 'crash';

export interface WorkerContext {
  readonly self: ActorRef;
  readonly path: string;
  readonly incarnation: number;
  /** Same call for a local or a remote actor; false when the message became a dead letter. */
  send(to: ActorRef | string, msg: unknown, priority?: number): boolean;
  /** Messages waiting at `to`: what a producer reads to hold back (explicit backpressure). */
  depth(to: ActorRef | string): number;
  /** Exit normally once the current message is handled (a transient child is then not restarted). */
  stop(): void;
  /**
   * Keeps the message being handled open after `handle` returns, for an actor that hands its
   * work on and takes its next message before that work is done (a shard's thread): what is
   * sent through the returned handle is tracked with the message, which settles on `done`.
   */
  defer(): Deferred;
}

/** A message kept open past its `handle` (WorkerContext.defer); for an untracked one, `send` is a plain send and `done` does nothing. */
export interface Deferred {
  send(to: ActorRef | string, msg: unknown, priority?: number): boolean;
  /** Once: `handled`, or `dropped` when the work was lost (as a crash while handling it). */
  done(outcome: TrackOutcome): void;
}

/** One incarnation's behaviour. `start` in the spec makes a fresh one for every (re)start. */
export interface WorkerBehavior<S = any, M = any> {
  readonly kind: string;
  init?(ctx: WorkerContext): S | Promise<S>;
  handle(state: S, msg: M, ctx: WorkerContext): S | Promise<S>;
  /**
   * Called when a graceful stop begins, before waiting for the message in progress: unblock
   * a handler that waits on I/O (a capture waiting for traffic), so the stop need not time out.
   */
  interrupt?(state: S): void;
  /** Release what init took. Bounded by the spec's shutdownMs; also run (best effort) after a crash. */
  terminate?(state: S, reason: StopReason, ctx: WorkerContext): void | Promise<void>;
}

interface CommonSpec {
  id: string;
  restart?: RestartType; // default permanent
  /** How long a graceful stop may take before the actor is killed. */
  shutdownMs?: number;
}

export interface WorkerSpec extends CommonSpec {
  type: 'worker';
  start: () => WorkerBehavior;
  mailbox?: MailboxOptions;
  /** Domain counters shown in the tree snapshot (a capture's kernel drops, a shard's flows). */
  stats?: () => Record<string, number>;
}

export interface SupervisorSpec extends CommonSpec {
  type: 'supervisor';
  kind?: string;
  strategy: Strategy;
  intensity?: IntensityOptions;
  backoff?: BackoffOptions;
  children: ChildSpec[];
}

export type ChildSpec = WorkerSpec | SupervisorSpec;

export interface SupervisionDefaults {
  intensity: IntensityOptions;
  backoff: BackoffOptions;
  shutdownMs: number;
  mailbox: MailboxOptions;
}

export const DEFAULT_SUPERVISION: SupervisionDefaults = {
  intensity: { maxRestarts: 10, periodMs: 10_000 },
  backoff: { baseMs: 10, maxMs: 5_000, factor: 2, jitter: 0.2, resetAfterMs: 10_000 },
  shutdownMs: 5_000,
  mailbox: { capacity: 10_000, overflow: 'drop-lowest-priority' },
};
