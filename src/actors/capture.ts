// CaptureActor: reads decoded batches from a packet source (a live interface or capture
// files), routes every packet by source address to its enricher shard and holds back while
// a shard's mailbox is above the high-water mark. A file source resumes after the packets
// already delivered, so a crash mid-replay neither loses nor repeats packets.
//
// Every batch goes out tracked: the capture learns when its shard (and the detector behind
// it) has handled it, on this node or another, and counts those packets as confirmed. A
// batch refused on the way (its shard moved or was full) is sent again after a short wait,
// so "delivered" and "confirmed" meet when nothing was lost.

import { ShardRouter } from '../net/shard-router.ts';
import type { SessionVerifier } from '../detect/session-verifier.ts';
import type { PacketSource, SourceStats } from '../net/packet-source.ts';
import type { DecodeStatsSnapshot } from '../net/decode-stats.ts';
import type { ActorRef } from '../supervisors/actor-ref.ts';
import type { PacketBatch } from '../net/packet-batch.ts';
import { Tracked } from '../supervisors/tracked.ts';
import type { WorkerBehavior, WorkerSpec } from '../supervisors/child-spec.ts';
import type { RestartType } from '../supervisors/restart-policy.ts';
import { PRIORITY } from '../supervisors/priorities.ts';

export interface CaptureOptions {
  id: string;
  /** Opens the source for a new incarnation; `skip` = packets already delivered. */
  open: (skip: number) => PacketSource | Promise<PacketSource>;
  shards: ReadonlyArray<ActorRef | string>;
  batchSize: number;
  /** Batches waiting at one shard before the source is held back. */
  highWater: number;
  /** File sources end; live ones are restarted whatever happens. */
  restart: RestartType;
  onEnd?: (progress: CaptureProgress) => void;
  /** Marks which packets could be forged before they are split by source (it sees both directions). */
  verifier?: SessionVerifier;
  /**
   * Live captures: a batch whose oldest packet is older than this (ms) when its shard takes
   * it is late, and goes through the rules only (PacketBatch.isLate). 0 or absent: never
   * (replays, whose timestamps are the file's and always "late" at max speed).
   */
  lateMs?: number;
  /** Counters shared with the capture's earlier specs (captureTally); default: new ones. */
  tally?: CaptureTally;
}

/** Outlives incarnations: what the dashboard, the replay summary and a resume read. */
export interface CaptureProgress {
  delivered: number;
  unroutable: number;
  batchesSent: number;
  /** Packets the shards confirmed as handled (by the detector chain behind them). */
  confirmed: number;
  /** Packets the shards shed under overload, or given up after repeated refusals. */
  lost: number;
  /** Batches sent again after a refusal (shard moved, stopped or full). */
  resent: number;
  /** Times the source was held back because a shard was above its high-water mark. */
  heldBack: number;
  ended: boolean;
  readonly source: SourceStats | undefined;
  readonly decode: DecodeStatsSnapshot | undefined;
}

interface State {
  source: PacketSource;
  router: ShardRouter;
  inc: number;
  stopping: boolean;
}

interface Pump {
  pump: number;
}

/** Sends of one batch before it counts as lost (about 5 s of refusals). */
const MAX_ATTEMPTS = 60;

/**
 * A capture's counters and the source its incarnation reads. Made once per capture source and
 * handed to every spec of it, so a capture stopped and started again (a placement's: the
 * node's lease lapsed and the cluster placed its pinned capture back) resumes after what it
 * delivered, as after a crash, instead of starting over with its counters at zero.
 */
export interface CaptureTally {
  readonly progress: CaptureProgress;
  /** The source the running incarnation reads (progress.source and .decode read it). */
  reading(source: PacketSource): void;
}

export function captureTally(): CaptureTally {
  let current: PacketSource | undefined;
  const progress: CaptureProgress = {
    delivered: 0,
    unroutable: 0,
    batchesSent: 0,
    confirmed: 0,
    lost: 0,
    resent: 0,
    heldBack: 0,
    ended: false,
    // Read on demand (snapshots, summaries), not per batch.
    get source() {
      return current?.stats();
    },
    get decode() {
      return current?.decodeStats.toJSON();
    },
  };
  return {
    progress,
    reading: (source) => {
      current = source;
    },
  };
}

export function captureSpec(options: CaptureOptions): WorkerSpec & { progress: CaptureProgress } {
  const tally = options.tally ?? captureTally();
  const { progress } = tally;
  const behavior = (): WorkerBehavior<State, Pump> => ({
    kind: 'capture',
    async init(ctx) {
      const source = await options.open(progress.delivered + progress.unroutable);
      tally.reading(source);
      const send = (to: ActorRef | string, batch: PacketBatch, attempt: number): void => {
        // Counted now: a handled batch may already be back in the router's pool, refilled.
        const rows = batch.length;
        ctx.send(
          to,
          new Tracked(batch, (o) => {
            if (o === 'handled') progress.confirmed += rows;
            else if (o === 'dropped' || attempt >= MAX_ATTEMPTS) progress.lost += rows;
            else {
              progress.resent++;
              setTimeout(() => send(to, batch, attempt + 1), Math.min(100, 5 * attempt)).unref();
            }
          }),
          PRIORITY.packets,
        );
      };
      const router = new ShardRouter(
        options.shards.length,
        options.batchSize,
        (s, batch) => {
          send(options.shards[s]!, batch, 1);
          progress.batchesSent++;
        },
        options.lateMs ?? 0,
      );
      // Each incarnation pumps on its own token, so a pump left over from a dead one is ignored.
      ctx.send(ctx.self, { pump: ctx.incarnation });
      return { source, router, inc: ctx.incarnation, stopping: false };
    },
    async handle(state, msg, ctx) {
      if (msg.pump !== state.inc) return state;
      for (const s of options.shards) {
        if (ctx.depth(s) >= options.highWater) {
          progress.heldBack++;
          setTimeout(() => ctx.send(ctx.self, msg), 1);
          return state;
        }
      }
      const batch = await state.source.next();
      if (state.stopping) return state;
      if (batch === null) {
        state.router.flush();
        progress.ended = true;
        options.onEnd?.(progress);
        ctx.stop();
        return state;
      }
      options.verifier?.mark(batch);
      const before = state.router.unroutable;
      state.router.route(batch);
      state.router.flush();
      progress.unroutable += state.router.unroutable - before;
      progress.delivered += batch.length - (state.router.unroutable - before);
      ctx.send(ctx.self, msg);
      return state;
    },
    interrupt(state) {
      // A live source waits for traffic; closing it ends that wait so the stop is prompt.
      state.stopping = true;
      void state.source.close();
    },
    async terminate(state) {
      await state.source.close();
    },
  });
  return {
    type: 'worker',
    id: options.id,
    restart: options.restart,
    shutdownMs: 2000,
    // Only pump tokens queue here, one per incarnation at most; the oldest are stale.
    mailbox: { capacity: 10_000, overflow: 'drop-oldest' },
    start: behavior,
    progress,
    stats: () => {
      const src = progress.source;
      const dec = progress.decode;
      return {
        packets: progress.delivered + progress.unroutable,
        unroutable: progress.unroutable,
        confirmed: progress.confirmed,
        lost: progress.lost,
        resent: progress.resent,
        kernelDrops: src?.kernelDrops ?? 0,
        interfaceDrops: src?.interfaceDrops ?? 0,
        shed: src?.shed ?? 0,
        read: src?.packets ?? 0,
        malformed: dec?.malformed ?? 0,
        heldBack: progress.heldBack,
        verifiedHandshakes: options.verifier?.verified ?? 0,
        hopMismatches: options.verifier?.hopMismatches ?? 0,
        // UDP exchanges pushed out of the tracker (a forged flood makes one per datagram).
        udpExchangeEvictions: options.verifier?.udp.evictions ?? 0,
      };
    },
  };
}
