// Where a live packet's time goes on its way to a decision (node-run --live --stages): wraps,
// in the benchmark's own process, the methods each stage runs, and keeps for every batch the
// age of its oldest packet (wall clock now − its capture timestamp) when it reaches the stage,
// and how long each stage's work took. Only for the benchmark: the node itself carries no
// stamps. Ages are cumulative (a stage's p50 minus the one before is its share); waits are
// the capture's read tick and the hops between actors (each a setImmediate of the one event
// loop), work is the time inside a stage's call.

import { openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { LiveCapture } from '../../src/net/live-capture.ts';
import { ShardRouter } from '../../src/net/shard-router.ts';
import { Enrichment } from '../../src/detect/enrichment.ts';
import { DetectorShard } from '../../src/detect/detector-shard.ts';
import { WorkerCell } from '../../src/supervisors/worker-cell.ts';
import { BanDesk } from '../../src/respond/ban-desk.ts';
import type { PacketBatch } from '../../src/net/packet-batch.ts';
import { percentile } from '../report.ts';
import { RunDelay } from './run-delay.ts';

const now = (): number => performance.timeOrigin + performance.now();

type Series = Record<string, number[]>;

let series: Series = {};
const add = (name: string, v: number): void => {
  (series[name] ??= []).push(v);
};
const age = (b: PacketBatch, at: number): number => at - b.ts[0]! * 1000;

/** Wraps `proto[name]` with `around(original, this, args)`. */
function wrap(proto: object, name: string, around: (orig: (...a: unknown[]) => unknown, self: any, args: unknown[]) => unknown): void {
  const p = proto as Record<string, unknown>;
  const orig = p[name] as (...a: unknown[]) => unknown;
  if (typeof orig !== 'function') throw new Error(`live-stages: no method ${name} to wrap`);
  p[name] = function (this: unknown, ...args: unknown[]) {
    return around(orig, this, args);
  };
}

/**
 * `self[name]`, a field a stamp reads (private to its class, so the compiler does not see the
 * read): checked as wrap() checks a method, so a renamed field fails loudly, not as NaN stages.
 */
export function field<K extends 'number' | 'array'>(self: object, name: string, kind: K): K extends 'number' ? number : unknown[] {
  const v = (self as Record<string, unknown>)[name];
  if (kind === 'array' ? !Array.isArray(v) : typeof v !== kind) throw new Error(`live-stages: ${self.constructor.name}.${name} is not a${kind === 'array' ? 'n' : ''} ${kind} (${typeof v}): update the stamp that reads it`);
  return v as K extends 'number' ? number : unknown[];
}

/**
 * What held the loop: every turn, read or pause over LONG_MS, and every read tick later than
 * LATE_TICK_MS (epoch ms), kept for a while, so that a slow decision can be matched with what
 * ran between its packet's capture and its ban.
 */
const LONG_MS = 0.3;
const LATE_TICK_MS = 1.5;
const EVENTS = 4096;
const evStart = new Float64Array(EVENTS);
const evEnd = new Float64Array(EVENTS);
const evWhat: string[] = new Array(EVENTS).fill('');
let evAt = 0;
const event = (what: string, start: number, end: number): void => {
  const k = evAt++ % EVENTS;
  evStart[k] = start;
  evEnd[k] = end;
  evWhat[k] = what;
};
let blame: Record<string, number> = {};
let slow = 0;
/** Per cause: the slow decisions it overlapped, and those it overlapped most (its "top"). */
let hit: Record<string, number> = {};
let top: Record<string, number> = {};
let runDelay: RunDelay | null = null;
const WAIT = 'main thread waiting for a core';
/** A symptom (whatever held the loop or the thread held the tick), so never a decision's top cause nor part of what explains its time. */
const LATE = 'read tick late';

/**
 * A decision that took longer than `overMs`: adds to each kind of event the time it overlapped
 * the decision's span (its packet's capture → now), the main thread's wait for a core in that
 * span (run-delay.ts), and the rest to `unexplained`; counts the decision against every kind
 * that overlapped it and against the cause that overlapped it most (a late read tick is the
 * symptom of the others: counted as overlapping, never as the top cause).
 */
export function explainDecision(captureMs: number, decidedMs: number, overMs: number): void {
  if (decidedMs - captureMs <= overMs) return;
  slow++;
  const mine: Record<string, number> = {};
  let covered = 0;
  for (let k = 0; k < Math.min(evAt, EVENTS); k++) {
    const o = Math.min(evEnd[k]!, decidedMs) - Math.max(evStart[k]!, captureMs);
    if (o <= 0) continue;
    mine[evWhat[k]!] = (mine[evWhat[k]!] ?? 0) + o;
    if (evWhat[k] !== LATE) covered += o;
  }
  const waited = runDelay?.between(captureMs, decidedMs) ?? 0;
  if (waited > 0.05) mine[WAIT] = waited;
  const rest = decidedMs - captureMs - covered - waited;
  if (rest > 0.05) mine.unexplained = rest;
  let most = '';
  for (const [what, ms] of Object.entries(mine)) {
    blame[what] = (blame[what] ?? 0) + ms;
    hit[what] = (hit[what] ?? 0) + 1;
    if (what !== LATE && (most === '' || ms > mine[most]!)) most = what;
  }
  if (most) top[most] = (top[most] ?? 0) + 1;
}

let installed = false;
let schedFd = -1;
const schedBuf = Buffer.alloc(128);
/** The main thread's run time and run-queue wait so far, ms (its schedstat). */
function mainSched(): [number, number] {
  if (schedFd < 0) schedFd = openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  const f = schedBuf.toString('latin1', 0, readSync(schedFd, schedBuf, 0, 128, 0)).split(' ');
  return [Number(f[0]) / 1e6, Number(f[1]) / 1e6];
}
let lastRead = 0;

/** GC pauses, as events. */
export function gcEvent(startMs: number, durationMs: number): void {
  if (installed) event('gc', performance.timeOrigin + startMs, performance.timeOrigin + startMs + durationMs);
}

/** Installs the stamps (before the node starts). */
export function installStages(): void {
  if (installed) return;
  installed = true;
  runDelay = new RunDelay();
  // The capture's read tick: interval between reads (the timer), the read's work, its packets.
  wrap(LiveCapture.prototype, 'read', (orig, self, args) => {
    const t0 = performance.now();
    if (lastRead > 0) add('read_interval', t0 - lastRead);
    if (lastRead > 0 && t0 - lastRead > LATE_TICK_MS) event(LATE, performance.timeOrigin + lastRead + 1, performance.timeOrigin + t0);
    lastRead = t0;
    const r = orig.apply(self, args);
    const t1 = performance.now();
    add('read_work', t1 - t0);
    if (t1 - t0 > LONG_MS) event('read', performance.timeOrigin + t0, performance.timeOrigin + t1);
    add('read_packets', field(self, 'readPackets', 'number'));
    return r;
  });
  // Every tick polls the kernel's counters; one that does not read was skipped (queueBatches
  // batches already waiting to be routed: the capture actor held back by a full shard).
  wrap(LiveCapture.prototype, 'pollKernelEvery', (orig, self, args) => {
    add('ticks', 1);
    return orig.apply(self, args);
  });
  // Batches handed on by the capture (end of a read): age of their oldest packet.
  wrap(LiveCapture.prototype, 'deliver', (orig, self, args) => {
    const t = now();
    for (const b of field(self, 'ready', 'array') as PacketBatch[]) if (b.length > 0) add('A1_read', age(b, t));
    return orig.apply(self, args);
  });
  // The capture actor routes a batch to the shards.
  wrap(ShardRouter.prototype, 'route', (orig, self, args) => {
    const b = args[0] as PacketBatch;
    const t0 = performance.now();
    if (b.length > 0 && b.lateAfterMs === 0 && field(self, 'lateAfterMs', 'number') > 0) add('A2_routed', age(b, now()));
    const r = orig.apply(self, args);
    add('route_work', performance.now() - t0);
    return r;
  });
  wrap(Enrichment.prototype, 'enrich', (orig, self, args) => {
    const b = args[0] as PacketBatch;
    const t0 = now();
    if (b.length > 0) add('A3_at_enricher', age(b, t0));
    const r = orig.apply(self, args);
    add('enrich_work', now() - t0);
    return r;
  });
  wrap(DetectorShard.prototype, 'process', (orig, self, args) => {
    const b = (args[0] as { packets: PacketBatch }).packets;
    const t0 = now();
    if (b.length > 0) add('A4_at_detector', age(b, t0));
    const out = orig.apply(self, args) as { alerts: { ts: number }[]; scored: { scores: unknown }[] };
    const t1 = now();
    const scored = out.scored.some((s) => s.scores !== null);
    add(scored ? 'detect_work_scoring' : 'detect_work_rules', t1 - t0);
    if (b.length > 0) add('A5_detected', age(b, t1));
    // The packets that raised an alert: capture → the alert leaves the detector.
    for (const a of out.alerts) add('alert_out_of_detector', t1 - a.ts * 1000);
    return out;
  });
  wrap(DetectorShard.prototype, 'flush', (orig, self, args) => {
    const t0 = performance.now();
    const r = orig.apply(self, args);
    const t1 = performance.now();
    add('detect_work_timer_flush', t1 - t0);
    if (t1 - t0 > LONG_MS) event('detector timer flush', performance.timeOrigin + t0, performance.timeOrigin + t1);
    return r;
  });
  // The desk's whole turn (its awaits included: a registry on disk resolves them at once, so
  // the loop is held throughout), and the bans it made.
  // Its wait for a core (the main thread's schedstat, read at both ends: exact, since the
  // kernel adds to it whenever the thread gets a core) tells a long turn's own work from the
  // machine's load. Its CPU from the same file is coarse: the running thread's count is
  // brought up to date at the scheduler's tick (ms), not when read.
  wrap(BanDesk.prototype, 'handleAlerts', (orig, self, args) => {
    const t0 = performance.now();
    const s0 = mainSched();
    const done = orig.apply(self, args) as Promise<unknown[]>;
    return done.then((made) => {
      const t1 = performance.now();
      const s1 = mainSched();
      add('desk_work', t1 - t0);
      add('desk_work_cpu', s1[0] - s0[0]);
      add('desk_work_waiting_for_a_core', s1[1] - s0[1]);
      if (made.length > 0) add(`desk_work_${made.length > 1 ? 'bans_2+' : 'ban_1'}`, t1 - t0);
      add('desk_bans', made.length);
      if (t1 - t0 > LONG_MS) event('desk', performance.timeOrigin + t0, performance.timeOrigin + t1);
      return made;
    });
  });
  // A message to a thread (the event store's rows, cloned on the main thread: the chunks after
  // a flush's first are posted outside the store actor's turn).
  wrap(Worker.prototype, 'postMessage', (orig, self, args) => {
    const t0 = performance.now();
    const r = orig.apply(self, args);
    const t1 = performance.now();
    add('post_to_thread', t1 - t0);
    if (t1 - t0 > LONG_MS) event('post to a thread', performance.timeOrigin + t0, performance.timeOrigin + t1);
    return r;
  });
  // Every actor's turn on the loop, by kind (the synchronous part of its handler).
  wrap(WorkerCell.prototype, 'receive', (orig, self, args) => {
    const t0 = performance.now();
    const r = orig.apply(self, args);
    const t1 = performance.now();
    const kind = `turn_${(args[1] as { kind?: string }).kind ?? 'actor'}`;
    add(kind, t1 - t0);
    if (kind === 'turn_store') {
      // The store's turns by message: the flows a detector ended (and how many), the desk's events, its flush tick.
      const m = (args[4] instanceof Object && 'msg' in (args[4] as object) ? (args[4] as { msg: unknown }).msg : args[4]) as Record<string, unknown>;
      const what = 'flows' in m ? 'flows' : 'events' in m ? 'events' : 'tick' in m ? String(m.tick) : 'other';
      add(`turn_store_${what}`, t1 - t0);
      if (what === 'flows') add('turn_store_flows_rows', (m.flows as unknown[]).length);
    }
    if (t1 - t0 > LONG_MS) event(kind, performance.timeOrigin + t0, performance.timeOrigin + t1);
    return r;
  });
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** p50, p99, max and count of every series since the last call; then starts afresh. */
export function takeStages(seconds: number): Record<string, { n: number; p50: number; p99: number; max: number; ms_per_s: number }> {
  const out: Record<string, { n: number; p50: number; p99: number; max: number; ms_per_s: number }> = {};
  (out as Record<string, unknown>).slow_decisions = slow;
  (out as Record<string, unknown>).slow_blame_ms = Object.fromEntries(Object.entries(blame).map(([k, v]) => [k, r3(v)]).sort((a, b) => (b[1] as number) - (a[1] as number)));
  // Share of the slow decisions each cause overlapped, and of those where it overlapped most.
  const share = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, r3(v / Math.max(1, slow))]).sort((a, b) => (b[1] as number) - (a[1] as number)));
  (out as Record<string, unknown>).slow_overlapped_share = share(hit);
  (out as Record<string, unknown>).slow_top_share = share(top);
  blame = {};
  hit = {};
  top = {};
  slow = 0;
  lastRead = 0; // the report itself holds the loop: not a tick's interval
  for (const name of Object.keys(series).sort()) {
    const xs = series[name]!;
    const sum = xs.reduce((a, x) => a + x, 0);
    out[name] = { n: xs.length, p50: r3(percentile(xs, 50)), p99: r3(percentile(xs, 99)), max: r3(xs.reduce((a, x) => (x > a ? x : a), -Infinity)), ms_per_s: name.includes('work') || name.startsWith('turn_') ? r3(sum / seconds) : 0 };
  }
  series = {};
  return out;
}
