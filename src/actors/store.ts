// StoreActor: writes the node's alerts, decisions and flow summaries to its event store
// (store/event-store.ts). Thin: the desk's listeners gather events into small batches
// (storeFeeder) and send them here, and the detector shards send the flows they end; the
// actor adds them to the store, flushes to the database every `flushMs`, and runs
// compaction and retention every `maintainMs`. In a cluster it also answers other nodes'
// questions from this node's events, and takes the answers to this node's (scatter-gather).
// Its mailbox is bounded and, when full, drops the lowest-priority message (flows are sent
// below alerts), so the store never holds up the responder or the detectors (drops are
// counted there).

import type { Alert } from '../detect/alert.ts';
import type { FlowRecord } from '../detect/flow-record.ts';
import type { Decision } from '../respond/decision.ts';
import type { EventStore } from '../store/event-store.ts';
import type { ScatterGather, StoreMessage } from '../store/scatter-gather.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';
import { STORE_ID } from './tree-layout.ts';
import { tableCounters } from '../detect/table-report.ts';

export type StoreEvent = { alert: Alert; at: number } | { decision: Decision; geo?: { country: string | null; asn: number | null } };
/** Flow summaries a detector shard ended (sent by the shard itself, in batches). */
export interface StoreFlows {
  flows: FlowRecord[];
}
type Msg = { events: StoreEvent[] } | StoreFlows | { tick: 'flush' | 'maintain'; incarnation: number } | StoreMessage;

interface State {
  timers: NodeJS.Timeout[];
  incarnation: number;
}

export interface StoreActorOptions {
  store: EventStore;
  /** Questions from other nodes, and their answers to ours (cluster). */
  gather?: ScatterGather;
  flushMs?: number;
  maintainMs?: number;
  /** Reports a failed flush or maintenance (the rows wait for the next flush). */
  onError?: (err: unknown) => void;
}

export function storeSpec(o: StoreActorOptions): WorkerSpec {
  const behavior = (): WorkerBehavior<State, Msg> => ({
    kind: 'store',
    init(ctx) {
      const tick = (what: 'flush' | 'maintain', ms: number) => setInterval(() => ctx.send(ctx.self, { tick: what, incarnation: ctx.incarnation }), ms);
      return { timers: [tick('flush', o.flushMs ?? 1000), tick('maintain', o.maintainMs ?? 10 * 60_000)], incarnation: ctx.incarnation };
    },
    async handle(state, msg) {
      if ('events' in msg) {
        for (const e of msg.events) {
          if ('alert' in e) o.store.addAlert(e.alert, e.at);
          else o.store.addDecision(e.decision, e.geo);
        }
        return state;
      }
      if ('flows' in msg) {
        o.store.addFlows(msg.flows);
        return state;
      }
      // Another node's question runs beside the writes (not awaited: the mailbox goes on).
      if ('request' in msg) {
        if (o.gather) void o.gather.serve(msg.request);
        return state;
      }
      if ('reply' in msg) {
        o.gather?.onReply(msg.reply);
        return state;
      }
      if (msg.incarnation !== state.incarnation) return state;
      try {
        if (msg.tick === 'flush') await o.store.flush();
        else await o.store.maintain();
      } catch (err) {
        o.onError?.(err);
      }
      return state;
    },
    async terminate(state) {
      for (const t of state.timers) clearInterval(t);
      await o.store.flush().catch((err: unknown) => o.onError?.(err));
    },
  });
  return { type: 'worker', id: STORE_ID, start: behavior, stats: () => tableCounters(o.store.tables(), { ...o.store.stats }), mailbox: { capacity: 256, overflow: 'drop-lowest-priority' } };
}

/**
 * Gathers events from the desk's listeners (called on the responder's path, so it only
 * pushes) and sends them to the store actor as one message every `everyMs`.
 */
export function storeFeeder(send: (msg: { events: StoreEvent[] }) => void, everyMs = 50): { push(e: StoreEvent): void; close(): StoreEvent[] } {
  let batch: StoreEvent[] = [];
  let timer: NodeJS.Timeout | null = null;
  const out = () => {
    timer = null;
    const events = batch;
    batch = [];
    if (events.length > 0) send({ events });
  };
  return {
    push(e) {
      batch.push(e);
      if (batch.length >= 1024) out();
      else timer ??= setTimeout(out, everyMs);
    },
    /** Stops the timer and hands back what was not sent yet (the actor may be gone by then). */
    close() {
      if (timer) clearTimeout(timer);
      timer = null;
      const left = batch;
      batch = [];
      return left;
    },
  };
}
