// The lifecycle event stream and the dead-letter office: what the dashboard and the chaos
// monkey read to see the tree change and to account for every message that was not handled.

import { Tracked, deadLetterOutcome } from './tracked.ts';
import { EventEmitter } from 'node:events';
import type { ActorRef } from './actor-ref.ts';

export type LifecycleType = 'started' | 'crashed' | 'restarted' | 'stopped' | 'gave_up';

export interface LifecycleEvent {
  type: LifecycleType;
  node: string;
  path: string;
  kind: string;
  /** Incarnation of the actor the event is about (1 for the first start). */
  incarnation: number;
  /** Wall-clock time, ms since the epoch. */
  at: number;
  /** crashed / gave_up: the error, one line. */
  error?: string;
  /** stopped: shutdown | killed | normal; gave_up: the actor that kept failing. */
  reason?: string;
  culprit?: string;
  /** restarted: the backoff that was waited. */
  delayMs?: number;
  restarts?: number;
}

export type DeadLetterReason =
  | 'rejected' // mailbox full, reject policy (or the message had the lowest priority)
  | 'dropped' // shed from a full mailbox to make room
  | 'stopped' // sent to an actor that is stopped
  | 'crashed' // the message whose handling crashed the actor
  | 'no-such-actor'
  | 'unreachable'; // remote node and no route to it

export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = ['rejected', 'dropped', 'stopped', 'crashed', 'no-such-actor', 'unreachable'];

export interface DeadLetter {
  to: ActorRef;
  reason: DeadLetterReason;
  message: unknown;
  priority: number;
  /** It was a tracked message: its sender has been told and will re-send it if it should. */
  tracked: boolean;
}

export class DeadLetterOffice extends EventEmitter<{ 'dead-letter': [DeadLetter] }> {
  readonly counts: Record<DeadLetterReason, number> = { rejected: 0, dropped: 0, stopped: 0, crashed: 0, 'no-such-actor': 0, unreachable: 0 };
  total = 0;

  post(to: ActorRef, reason: DeadLetterReason, message: unknown, priority = 0): void {
    const tracked = message instanceof Tracked;
    if (message instanceof Tracked) {
      message.settle(deadLetterOutcome(reason));
      message = message.msg;
    }
    this.counts[reason]++;
    this.total++;
    // Under overload this runs per shed message: build the record only when someone listens.
    if (this.listenerCount('dead-letter') > 0) this.emit('dead-letter', { to, reason, message, priority, tracked });
  }
}

export class LifecycleStream extends EventEmitter<{ lifecycle: [LifecycleEvent] }> {
  /** The last events, newest last, for late subscribers (the dashboard's first paint). */
  readonly recent: LifecycleEvent[] = [];
  constructor(private readonly keep = 500) {
    super();
  }

  publish(ev: LifecycleEvent): void {
    this.recent.push(ev);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    this.emit('lifecycle', ev);
  }
}
