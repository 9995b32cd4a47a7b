// ShardWorker actor (pipeline.workers on): one enricher-and-detector shard whose work runs
// in a worker thread of its own (src/shards/), so N shards use N cores. To the rest of the
// node it is the enricher actor at the same path: the captures route batches to it, the
// supervisor restarts it, crash injection crashes it, the tree shows its counters. Thin: it
// hands each batch's buffer to the thread (transferred, not copied), waits for the thread to
// be done with it — so a capture's tracked batch is "handled" only once detected, as with the
// actor pair — and sends on what a detector actor would: alerts to the responder, the tally
// to the flood watch, rows and shadow reports to the trainer, flows to the store. Up to
// IN_FLIGHT batches are at the thread at once (each kept open with ctx.defer), so the thread
// finds its next batch queued when it posts one back, instead of waiting for the main
// thread to read its reply and post the next.
//
// The thread's state is soft, as the actors' is: a crash or a restart (of the actor or of the
// thread, which crashes the actor) starts the shard afresh. Models reach the thread as text
// whenever the node's board has a new version.

import { Worker } from 'node:worker_threads';
import type { ModelBoard } from '../detect/detector-shard.ts';
import type { BatchPool } from '../net/batch-pool.ts';
import type { PacketBatch } from '../net/packet-batch.ts';
import type { FromThread, ModelSlot, ShardOutput, ShardStats, ShardThreadData, ToThread } from '../shards/shard-protocol.ts';
import { decodeFlows } from '../shards/flow-columns.ts';
import { AutoimmuneError } from '../errors.ts';
import type { Deferred, WorkerBehavior, WorkerContext, WorkerSpec } from '../supervisors/child-spec.ts';
import type { MailboxOptions } from '../supervisors/mailbox.ts';
import { PRIORITY } from '../supervisors/priorities.ts';
import { type EnricherProgress } from './enricher.ts';
import { enricherId } from './tree-layout.ts';
import { threadEntry } from '../util/package-files.ts';

/** The shard's thread failed or exited: the actor crashes, to be restarted with a new one. */
export class ShardThreadError extends AutoimmuneError {
  constructor(shard: number, what: string) {
    super('AI_ERR_SHARD_THREAD', `shard ${shard}'s worker thread ${what}; its actor crashes and is restarted with a new thread`);
  }
}

export interface ShardWorkerOptions {
  thread: Omit<ShardThreadData, 'grace' | 'current' | 'warmUpPackets'>;
  /** Made-up packets each new thread runs through its shard before it is ready (a restart's thread runs none: it is back sooner). */
  warmUpPackets: number;
  board: ModelBoard;
  /** A model version's text, to send to the thread (the shelf's export). */
  modelText: (version: number) => Promise<string>;
  responder: string;
  floods: string;
  trainer: string | null;
  /** The store actor for flow summaries; null: not metered. */
  flowsTo: string | null;
  mailbox: MailboxOptions;
  /** How long a stop waits for the thread to hand over its open flows. */
  shutdownMs?: number;
}

/**
 * Batches posted to a thread and not yet done, at most: two, one being detected and the next
 * waiting in the thread's queue. With one, the thread sat idle from each reply until the main
 * thread (busy decoding, routing, building rows) got to it and posted the next batch.
 */
export const IN_FLIGHT = 2;

const BOOT = threadEntry(import.meta.url, '../shards/shard-boot.mjs', '../shards/shard-thread.ts');

/** A batch at the thread: its packets, and its tracked message, settled when the thread is done with it (or lost with it). */
interface Posted {
  length: number;
  held: Deferred;
}

interface State {
  worker: Worker;
  /** Batches posted and not yet done, by id (in posting order). */
  waiting: Map<number, Posted>;
  /** Resolved when a batch is done or the thread fails: a handler waiting for room at the thread goes on. */
  room: (() => void) | null;
  nextId: number;
  /** Versions (0: none), grace and flagged addresses (how many ever added) last sent to the thread. */
  sent: { current: number; candidate: number; grace: boolean; flagged: number };
  failure: Error | null;
  stopped: ((m: Extract<FromThread, { t: 'stopped' }>) => void) | null;
  stopping: boolean;
  incarnation: number;
  /** The pool of the batches posted to the thread (the shard router's), for their buffers coming back. */
  pool: BatchPool | null;
}

export function shardWorkerSpec(o: ShardWorkerOptions): WorkerSpec & { progress: EnricherProgress } {
  const shard = o.thread.shard;
  let last: ShardStats | undefined;
  /** The running incarnation's thread (worker_threads' threadId): a restart shows a new one. */
  let threadId = 0;
  const progress: EnricherProgress = { packets: 0, batches: 0, flows: undefined };
  /** How long the running thread's warm-up took, ms (0: none). */
  let warmedMs = 0;

  /** Sends on a thread's output; `via`: the context, or a deferred batch's handle (tracked with that batch). */
  const forward = (out: ShardOutput, via: Pick<WorkerContext, 'send'>) => {
    // Alerts first: they are what the operator waits for.
    if (out.alerts.length > 0) via.send(o.responder, { alerts: out.alerts }, PRIORITY.alerts);
    if (out.tally) via.send(o.floods, out.tally, PRIORITY.tally);
    if (o.trainer) {
      if (out.sample) via.send(o.trainer, { sample: out.sample }, PRIORITY.sample);
      if (out.shadow) via.send(o.trainer, { shadow: out.shadow }, PRIORITY.tally);
    }
    if (out.flows && o.flowsTo) via.send(o.flowsTo, { flows: decodeFlows(out.flows) }, PRIORITY.packets);
  };

  /** The batches still at the thread are lost with it (as the batch being handled when an actor crashes). */
  const dropWaiting = (state: State) => {
    for (const p of state.waiting.values()) p.held.done('dropped');
    state.waiting.clear();
    wake(state);
  };

  const wake = (state: State) => {
    const r = state.room;
    state.room = null;
    r?.();
  };

  /** Packet buffers the thread is done with go back to the pool their batches came from. */
  const returned = (state: State, buffers: ArrayBuffer[] | undefined) => {
    if (buffers && state.pool) for (const b of buffers) state.pool.adopt(b);
  };

  const slot = async (version: number): Promise<ModelSlot> => (version === 0 ? null : { version, text: await o.modelText(version) });

  /** Sends the thread what changed on the board since the last batch. */
  const syncBoard = async (state: State) => {
    const current = o.board.current?.version ?? 0;
    const candidate = o.board.candidate?.version ?? 0;
    const m: Extract<ToThread, { t: 'board' }> = { t: 'board' };
    let changed = false;
    if (o.board.grace !== state.sent.grace) {
      m.grace = o.board.grace;
      changed = true;
    }
    if (current !== state.sent.current) {
      m.current = await slot(current);
      changed = true;
    }
    if (candidate !== state.sent.candidate) {
      m.candidate = await slot(candidate);
      changed = true;
    }
    // What the rules flagged (the desk's alerts, the flood watch's victims) is never learnt, here as on the main thread.
    const flagged = o.board.flagged?.added ?? 0;
    if (flagged !== state.sent.flagged) {
      m.flagged = o.board.flagged!.since(state.sent.flagged);
      changed = true;
    }
    if (!changed) return;
    state.worker.postMessage(m);
    state.sent = { current, candidate, grace: o.board.grace, flagged };
  };

  const behavior = (): WorkerBehavior<State, PacketBatch | { threadFailed: string; incarnation: number }> => ({
    kind: 'shard-thread',
    async init(ctx) {
      // The model in force goes with the thread's data: it warms up with it and scores from the first batch.
      const current = o.board.current?.version ?? 0;
      const warmUpPackets = ctx.incarnation === 1 ? o.warmUpPackets : 0;
      const worker = new Worker(BOOT, { workerData: { ...o.thread, grace: o.board.grace, current: await slot(current), warmUpPackets } satisfies ShardThreadData });
      threadId = worker.threadId;
      const state: State = { worker, waiting: new Map(), room: null, nextId: 1, sent: { current, candidate: 0, grace: o.board.grace, flagged: 0 }, failure: null, stopped: null, stopping: false, incarnation: ctx.incarnation, pool: null };
      const failed = (what: string) => {
        if (state.stopping || state.failure) return;
        state.failure = new ShardThreadError(shard, what);
        dropWaiting(state);
        // Nothing waiting to throw it: crash through the mailbox.
        ctx.send(ctx.self, { threadFailed: what, incarnation: state.incarnation }, PRIORITY.alerts);
      };
      const ready = new Promise<void>((resolve, reject) => {
        worker.on('message', (m: FromThread) => {
          switch (m.t) {
            case 'ready':
              warmedMs = m.warmedMs;
              resolve();
              break;
            case 'done': {
              returned(state, m.buffers);
              const p = state.waiting.get(m.id);
              state.waiting.delete(m.id);
              if (m.stats) last = m.stats;
              if (p) {
                progress.packets += p.length;
                progress.batches++;
                forward(m.out, p.held);
                p.held.done('handled');
              }
              wake(state);
              break;
            }
            case 'out':
              returned(state, m.buffers);
              if (m.stats) last = m.stats;
              forward(m.out, ctx);
              break;
            case 'stopped':
              last = m.stats;
              state.stopped?.(m);
              break;
            case 'failed':
              reject(new ShardThreadError(shard, `failed: ${m.message}`));
              failed(`failed: ${m.message}`);
              break;
          }
        });
        worker.on('error', (err) => {
          reject(err);
          failed(`threw: ${err.message}`);
        });
        worker.on('exit', (code) => {
          reject(new ShardThreadError(shard, `exited with ${code} before it was ready`));
          failed(`exited with ${code}`);
        });
      });
      try {
        await ready;
      } catch (err) {
        state.stopping = true;
        await worker.terminate();
        throw err;
      }
      return state;
    },
    async handle(state, msg, ctx) {
      if ('threadFailed' in msg) {
        // A thread of an earlier incarnation is no concern of this one.
        if (msg.incarnation !== state.incarnation) return state;
        throw state.failure ?? new ShardThreadError(shard, msg.threadFailed);
      }
      if (state.failure) throw state.failure;
      await syncBoard(state);
      const batch = msg as PacketBatch;
      if (batch.pool) state.pool = batch.pool;
      const length = batch.length;
      // Decided here, where the shard takes it (the thread's clock is the same, but its queue is this mailbox).
      const late = batch.isLate(Date.now());
      const id = state.nextId++;
      state.waiting.set(id, { length, held: ctx.defer() });
      state.worker.postMessage({ t: 'batch', id, buffer: batch.buffer, capacity: batch.capacity, length, late } satisfies ToThread, [batch.buffer]);
      // The next message waits for room at the thread (a failure meanwhile crashes this handler).
      while (state.waiting.size >= IN_FLIGHT && !state.failure) await new Promise<void>((resolve) => (state.room = resolve));
      if (state.failure) throw state.failure;
      return state;
    },
    async terminate(state, _reason, ctx) {
      if (!state.failure) {
        // Open flows are reported as they are: a stop or a restart loses none.
        const stopped = new Promise<Extract<FromThread, { t: 'stopped' }> | null>((resolve) => {
          state.stopped = resolve;
          setTimeout(() => resolve(null), o.shutdownMs ?? 2000).unref();
        });
        state.worker.postMessage({ t: 'stop' } satisfies ToThread);
        const m = await stopped;
        if (m) forward(m.out, ctx);
      }
      state.stopping = true;
      // The thread answers its batches before its stop: any left did not get done.
      dropWaiting(state);
      await state.worker.terminate();
    },
  });
  const stats = () => {
    const { tables, ...counters } = last ?? { packets: 0, scored: 0, late: 0, anomalous: 0, alerts: 0, hosts: 0, pairs: 0, sockets: 0, evictions: 0, flowsOpen: 0, flowsEnded: 0, tables: {} };
    return { ...counters, ...tables, threads: 1, threadId, warmedMs };
  };
  return { type: 'worker', id: enricherId(shard), mailbox: o.mailbox, start: behavior, progress, stats, shutdownMs: o.shutdownMs ?? 5000 };
}
