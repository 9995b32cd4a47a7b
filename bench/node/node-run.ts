// One whole node for the node benchmark, in a process of its own (so its peak RSS is its
// own): startNode with the model in force (the state dir holds a promoted model), the
// dry-run firewall, the event store, the HTTP server — everything `autoimmune start` runs.
// Compiled, as the product runs (`npm run build`, then dist/bench/node/node-run.js); for
// profiling the sources, `node --import tsx bench/node/node-run.ts` takes the same arguments.
//
//   replay: node dist/bench/node/node-run.js --state DIR --shards N [--workers] [--store-inline] [--warmup W] --packets M FILE...
//     the files looped at max speed until M packets are delivered; one JSON line at the end
//     (CPU, time and packets counted after the first W packets read, when --warmup is given).
//     --heap-sample FILE: the main thread's allocations sampled over the replay (alloc-meter.ts;
//     sum them with `node --import tsx bench/node/alloc-top.ts FILE PACKETS`).
//     --heap-snapshot FILE: the main heap after the full GC at the end (V8 heap snapshot).
//     --malloc-stats: glibc's arenas at the end (malloc_stats() on stderr) and the RSS after a malloc_trim(0).
//     AUTOIMMUNE_BENCH_MARK=1: a line `=== counting starts at packet N t_us T` on stdout when the
//     counting starts (T: the monotonic clock in µs, as --cpu-prof's timestamps), to split a
//     --trace-opt/--trace-deopt log or a CPU profile into before and after.
//   live:   node dist/bench/node/node-run.js --state DIR --shards N --live
//     captures `udp` on lo (run it inside a namespace: see live-lab.ts), prints {"ready":true}
//     once capturing, and on each stdin line `report SENT` prints what it captured and the
//     capture-to-decision latencies since the previous report; with --stages, also where that
//     time went stage by stage (live-stages.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { spawnSync } from 'node:child_process';
import { runInNewContext } from 'node:vm';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadConfig, mergeConfig } from '../../src/config/load-config.ts';
import { FileSource } from '../../src/net/file-source.ts';
import { startNode, type RunningNode } from '../../src/node/node.ts';
import type { BackendMemory } from '../../src/store/sql-backend.ts';
import type { PipelineSource } from '../../src/node/pipeline.ts';
import type { CaptureProgress } from '../../src/actors/capture.ts';
import { percentile } from '../report.ts';
import { eachNode } from '../../devkit/tree.ts';
import { ThreadCpuMeter, schedstat, taskCpu } from './thread-cpu.ts';
import { AllocMeter, HeapSampler } from './alloc-meter.ts';
import { explainDecision, gcEvent, installStages, takeStages } from './live-stages.ts';

/** memory_timeline_mb's interval, ms (a divisor of 1000: the threads' CPU is sampled each second). */
const TIMELINE_MS = 250;

/** --stages: decisions slower than this are matched with what held the loop meanwhile. */
const SLOW_DECISION_MS = 4;

// Before the node starts any thread of its own: Node's threads are labelled by their order.
const threadCpu = new ThreadCpuMeter();

interface Args {
  state: string;
  shards: number;
  packets: number;
  live: boolean;
  /** pipeline.workers: each shard in a worker thread. */
  workers: boolean;
  /** store.thread off: the database on the main thread (for before/after comparisons). */
  storeInline: boolean;
  /** --set JSON: config overrides laid over the benchmark's (e.g. '{"store":{"enabled":false}}'). */
  set: Record<string, unknown>;
  /**
   * --warmup N: the CPU, the time and the packets are counted from when the source has read
   * N packets (each thread's JIT warm-up left out: the steady state of a long-running node);
   * 0: from its start.
   */
  warmup: number;
  /** --smaps FILE: /proc/self/smaps at the run's highest RSS (sampled every 20 ms), for a breakdown by mapping; FILE.start: the same when the replay starts. */
  smaps: string;
  /** --heap-sample FILE: the main thread's sampled allocations over the replay, freed ones included (alloc-meter.ts). */
  heapSample: string;
  /** --stages (live): each report also says where the packets' time went, stage by stage (live-stages.ts). */
  stages: boolean;
  /** --heap-snapshot FILE: the main thread's heap after the full GC at the end (what holds the live array buffers, by retainer). */
  heapSnapshot: string;
  /** --malloc-stats: at the end, glibc's per-arena malloc_stats() on stderr and the RSS after a malloc_trim(0) (needs gdb). */
  mallocStats: boolean;
  files: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { state: '', shards: 2, packets: 0, live: false, workers: false, storeInline: false, set: {}, warmup: 0, smaps: '', heapSample: '', stages: false, mallocStats: false, heapSnapshot: '', files: [] };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    if (f === '--state') a.state = argv[++i]!;
    else if (f === '--shards') a.shards = Number(argv[++i]);
    else if (f === '--packets') a.packets = Number(argv[++i]);
    else if (f === '--live') a.live = true;
    else if (f === '--stages') a.stages = true;
    else if (f === '--workers') a.workers = true;
    else if (f === '--store-inline') a.storeInline = true;
    else if (f === '--smaps') a.smaps = argv[++i]!;
    else if (f === '--warmup') a.warmup = Number(argv[++i]);
    else if (f === '--heap-sample') a.heapSample = argv[++i]!;
    else if (f === '--malloc-stats') a.mallocStats = true;
    else if (f === '--heap-snapshot') a.heapSnapshot = argv[++i]!;
    else if (f === '--set') a.set = mergeConfig(a.set as never, JSON.parse(argv[++i]!) as never) as Record<string, unknown>;
    else a.files.push(f);
  }
  if (!a.state || !(a.shards >= 1)) throw new Error('usage: node-run --state DIR --shards N (--packets M FILE... | --live)');
  return a;
}

/** Peak resident set of this process since it started (VmHWM), in MB. */
export function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : -1;
}

/** The process's memory by kind (/proc/self/smaps_rollup: Rss, anonymous, file-backed), in MB. */
function smapsRollupMb(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of readFileSync('/proc/self/smaps_rollup', 'utf8').matchAll(/^(\w+):\s+(\d+) kB/gm)) if (Number(m[2]) > 0) out[m[1]!] = Math.round(Number(m[2]) / 1024);
  return out;
}

/** CPU seconds (user + system) of this process's main thread, from /proc (the clock ticks of its task). */
function mainThreadCpuS(): number {
  return taskCpu(process.pid)!.cpuS;
}

/** The main thread's wait for a core so far (runnable, not running), ms, and its times on a core: its schedstat. */
function mainThreadWait(): { ms: number; slices: number } {
  const s = schedstat(process.pid)!;
  return { ms: s.waitMs, slices: s.slices };
}

/** CPU seconds of the whole process (every thread). */
function processCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Where the resident set is: V8's heap, memory outside it (buffers, wasm), in MB. */
function memoryMb(): Record<string, number> {
  const m = process.memoryUsage();
  return { rss: Math.round(m.rss / 1048576), heapUsed: Math.round(m.heapUsed / 1048576), heapTotal: Math.round(m.heapTotal / 1048576), external: Math.round(m.external / 1048576), arrayBuffers: Math.round(m.arrayBuffers / 1048576) };
}

/** The main thread's V8 heap by space (new_space, old_space, code_space, …): [committed, used] MB, spaces under 1 MB left out. */
function heapSpacesMb(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of v8.getHeapSpaceStatistics()) {
    if (s.physical_space_size >= 1048576) out[s.space_name] = [Math.round(s.physical_space_size / 104857.6) / 10, Math.round(s.space_used_size / 104857.6) / 10];
  }
  return out;
}

/** Sums of the actors' counters by kind (enricher tables, detector flows, capture drops). */
function countersByKind(node: RunningNode): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  eachNode(node.system.snapshot().tree, (t) => {
    // Restarts by kind (a shard restarted mid-run has lost its state: the run is not like the others).
    if (t.restarts > 0) (out.restarts ??= {})[t.kind] = (out.restarts[t.kind] ?? 0) + t.restarts;
    if (!t.stats) return;
    const k = (out[t.kind] ??= {});
    for (const [name, v] of Object.entries(t.stats)) k[name] = (k[name] ?? 0) + v;
  });
  return out;
}

async function boot(a: Args, live: boolean, sources: PipelineSource[] | undefined): Promise<RunningNode> {
  const overrides = {
    node: { id: 'bench', stateDir: a.state },
    http: { port: 0 },
    firewall: { backend: 'dry-run' },
    pipeline: { shards: a.shards, workers: a.workers },
    capture: { interfaces: live ? ['lo'] : [], filter: live ? 'udp' : '' },
    model: { enabled: true, retrainIntervalS: 0 },
    // Every attacker is timed: the rate limit on automatic bans would skip most of them.
    responder: { rateLimit: { bans: 1_000_000, perS: 1 } },
    ...(a.storeInline ? { store: { thread: false } } : {}),
  };
  const { config } = loadConfig(undefined, mergeConfig(overrides as never, a.set as never) as never);
  return startNode(config, { notice: (line) => void (line.includes('packet path warmed') && (warmUpNotice = line)), ...(sources ? { sources } : {}) });
}

/** The node's notice of its warm-up (`packet path warmed: N made-up packets in M ms`), if it warmed. */
let warmUpNotice = '';

async function replayRun(a: Args): Promise<void> {
  let t0 = 0;
  let cpu0 = { main: 0, all: 0, faults: 0 };
  /** Packets the source had read when the counting started (--warmup). */
  let packets0 = 0;
  const alloc = new AllocMeter();
  let source: FileSource | null = null;
  const startCounting = (read: number) => {
    if (process.env.AUTOIMMUNE_BENCH_MARK) writeFileSync(1, `=== counting starts at packet ${read} t_us ${process.hrtime.bigint() / 1000n}\n`);
    t0 = performance.now();
    cpu0 = { main: mainThreadCpuS(), all: processCpuS(), faults: process.resourceUsage().minorPageFault };
    threadCpu.start();
    alloc.start();
    packets0 = read;
  };
  let memoryAtStart: Record<string, number> = {};
  let progress: CaptureProgress | undefined;
  const sampler0 = a.heapSample ? new HeapSampler(a.heapSample) : null;
  let ended!: () => void;
  const end = new Promise<void>((r) => (ended = r));
  const node = await boot(a, false, [
    {
      id: 'replay',
      restart: 'transient',
      open: (skip) => {
        if (memoryAtStart.rss === undefined) {
          memoryAtStart = memoryMb();
          if (a.smaps) writeFileSync(`${a.smaps}.start`, readFileSync('/proc/self/smaps', 'utf8'));
          void sampler0?.start();
          if (a.warmup === 0) startCounting(0);
        }
        source = new FileSource(a.files, { backToBackGapS: 1, loop: true, skip, limit: a.packets - skip, batchSize: 256 });
        return source;
      },
      onEnd: (p) => {
        progress = p;
        ended();
      },
    },
  ]);
  if (!node.defence.board.current) throw new Error('no model in force: the state dir has no promoted model');
  // The main thread's garbage collection over the run: pauses summed, by kind.
  const gcMs = { scavenge: 0, markCompact: 0, count: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs.count++;
      // kind 1: a scavenge (NODE_PERFORMANCE_GC_MINOR), 4: a mark-compact (NODE_PERFORMANCE_GC_MAJOR)
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === 1) gcMs.scavenge += e.duration;
      else if (kind === 4) gcMs.markCompact += e.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  let rssPeak = 0;
  /** When the run's highest RSS was sampled: s since the counting started, and in which phase. */
  let rssPeakAt = { s: 0, phase: 'replay' };
  let phase = 'replay';
  let smapsAt = 0;
  // The main thread's memoryUsage() at the run's highest RSS (sampled with it).
  let memoryAtPeak: Record<string, number> = {};
  // The main thread's V8 heap by space at the same moment: [committed, used] MB.
  let heapSpacesAtPeak: Record<string, number[]> = {};
  // The store's database thread at (just after) the same moment: its V8 heap and DuckDB's memory.
  let storeAtPeak: BackendMemory | null = null;
  // The store's own counts at the same moment (rows queued for the database, rows in the memory tier), and the most queued at any sample.
  let storeRowsAtPeak: Record<string, number> = {};
  let pendingMax = 0;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    const st = node.events?.store.stats;
    if (st && st.pending > pendingMax) pendingMax = st.pending;
    if (t0 === 0 && source) {
      const read = source.stats().packets;
      if (read >= a.warmup) startCounting(read);
    }
    if (rss > rssPeak) {
      rssPeak = rss;
      rssPeakAt = { s: Math.round(performance.now() - t0) / 1000, phase };
      if (rss > smapsAt + 4 * 1048576) {
        smapsAt = rss;
        memoryAtPeak = memoryMb();
        heapSpacesAtPeak = heapSpacesMb();
        if (st) storeRowsAtPeak = { pending: st.pending, memoryRows: st.memoryRows, stored: st.stored, flushed: st.flushed, shed: st.shed };
        void node.events?.store.backendMemory().then((m) => (storeAtPeak = m), () => {});
        // A new high by 4 MB or more: keep the smaps of this moment (the file ends at the highest).
        if (a.smaps) writeFileSync(a.smaps, readFileSync('/proc/self/smaps', 'utf8'));
      }
    }
  }, 20);
  // Where the memory is, every TIMELINE_MS of the run and its final flush: RSS, the main thread's V8 heap and its buffers.
  const timeline: number[][] = [];
  let ticks = 0;
  const timelineSampler = setInterval(() => {
    if (++ticks % (1000 / TIMELINE_MS) === 0) threadCpu.sample();
    const m = memoryMb();
    timeline.push([Math.round(performance.now() - t0) / 1000, m.rss!, m.heapUsed!, m.heapTotal!, m.arrayBuffers!]);
  }, TIMELINE_MS);
  await end;
  if (t0 === 0) throw new Error(`--warmup ${a.warmup}: the run ended before the source read that many packets (--packets ${a.packets})`);
  const p = progress!;
  while (p.confirmed + p.lost < p.delivered) await new Promise((r) => setTimeout(r, 1));
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = { main: mainThreadCpuS() - cpu0.main, all: processCpuS() - cpu0.all, faults: process.resourceUsage().minorPageFault - cpu0.faults };
  const byThread = threadCpu.report();
  const counted = p.delivered + p.unroutable - packets0;
  const allocated = alloc.stop();
  await sampler0?.stop();
  gcObserver.disconnect();
  const counters = countersByKind(node);
  const rssPeakReplay = Math.max(rssPeak, process.memoryUsage.rss());
  phase = 'final-flush';
  // The store's rows still queued at the end (it flushes every second) written now, so the
  // thread table holds all the CPU the run's rows cost.
  const events = node.events?.store;
  while (events && (events.stats.pending > 0 || events.stats.flushed < events.stats.stored)) {
    const before = events.stats.flushed;
    await events.flush();
    if (events.stats.flushed === before && events.stats.pending === 0) break;
  }
  const byThreadFlushed = threadCpu.report();
  clearInterval(sampler);
  clearInterval(timelineSampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  const out = {
    packets: p.delivered + p.unroutable,
    confirmed: p.confirmed,
    lost: p.lost,
    elapsed_s: Math.round(elapsedS * 1000) / 1000,
    /** Packets counted (after --warmup's). */
    counted,
    pps: Math.round(counted / elapsedS),
    /** The highest RSS sampled (every 20 ms) over the replay. */
    rss_peak_run_mb: Math.round(rssPeakReplay / 1048576),
    /** The highest over the replay and the final flush of its rows (the rows still queued written), and when: s since the counting started, and the phase. */
    rss_peak_mb: Math.round(rssPeak / 1048576),
    rss_peak_at: rssPeakAt,
    vm_hwm_mb: peakRssMb(),
    memory_mb: memoryMb(),
    memory_at_start_mb: memoryAtStart,
    /** process.memoryUsage() (MB) at the run's highest RSS, within 4 MB of it. */
    memory_at_peak_mb: memoryAtPeak,
    /** The main thread's V8 heap spaces at the same moment: [committed, used] MB each. */
    heap_spaces_at_peak_mb: heapSpacesAtPeak,
    store_thread_at_peak_mb: storeAtPeak,
    store_rows_at_peak: storeRowsAtPeak,
    store_pending_max: pendingMax,
    store_thread_end_mb: await node.events?.store.backendMemory().catch(() => null),
    /** Every TIMELINE_MS, over the replay and its final flush: [s since the replay started, rss, heapUsed, heapTotal, arrayBuffers] in MB. */
    memory_timeline_mb: timeline,
    smaps_rollup_mb: smapsRollupMb(),
    // CPU of the run: the main thread's (the event loop the actor shards share) and every
    // thread's, in µs per packet: steadier than packets/s on a machine shared with other work.
    cpu_us_per_packet: { main: Math.round((cpu.main * 1e7) / counted) / 10, all: Math.round((cpu.all * 1e7) / counted) / 10 },
    /** Minor page faults of the process (every thread) during the run: first writes of memory (about 13 µs each in this VM). */
    page_faults: cpu.faults,
    /** What the node's warm-up made and took before it took traffic (pipeline.warmUpPackets). */
    warm_up: warmUpNotice.replace(/^autoimmune: /, ''),
    /**
     * CPU seconds of the run by thread group (bench/node/thread-cpu.ts: main, v8-platform =
     * GC helpers and the optimising compiler, ai-store = the store's thread, ai-shard-N = a
     * shard in a thread (--workers), node-later = threads Node started after the benchmark
     * began, such as libuv's pool), and by thread: [tid - pid, group, seconds] for those that ran.
     */
    cpu_by_thread: byThread.byGroup,
    cpu_by_tid: byThread.threads,
    /**
     * Seconds each group was ready to run and waited for a core, over the same time (the
     * machine's other work and this process's own threads): a one-thread group's wall clock
     * less its CPU and this wait is the time it had nothing to do.
     */
    wait_by_thread: byThread.waitByGroup,
    /** The same once the store has written every row of the run (`rows_flushed`). */
    cpu_by_thread_flushed: byThreadFlushed.byGroup,
    rows_flushed: events?.stats.flushed ?? 0,
    /** The main thread's GC pauses during the run: count, ms in scavenges and in mark-compacts. */
    gc_main: { count: gcMs.count, scavenge_ms: Math.round(gcMs.scavenge), mark_compact_ms: Math.round(gcMs.markCompact) },
    /** Bytes the main thread allocated on its V8 heap during the replay, per packet (AllocMeter). */
    alloc_main_bytes_per_packet: Math.round(allocated / counted),
    decisions: node.defence.desk.log.counts(),
    model_version: node.defence.board.current?.version ?? null,
    counters,
  };
  // What the main thread's heap holds live once the run's rows are written: a full GC (the
  // memory tier, the tables' indexes, caches), after every other measure was taken.
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const live = process.memoryUsage();
  (out as Record<string, unknown>).heap_live_end_mb = Math.round(live.heapUsed / 104857.6) / 10;
  // Array buffers still reachable then (before the GC, memory_mb.arrayBuffers also counts
  // dead ones: a table grown by doubling frees its old buffer only when a GC finds it dead).
  (out as Record<string, unknown>).array_buffers_live_end_mb = Math.round(live.arrayBuffers / 104857.6) / 10;
  (out as Record<string, unknown>).rss_end_after_gc_mb = Math.round(live.rss / 104857.6) / 10;
  if (a.heapSnapshot) v8.writeHeapSnapshot(a.heapSnapshot);
  if (a.mallocStats) {
    // glibc's malloc_stats() of every arena on stderr, then a malloc_trim(0): what the arenas hold free (gdb attached to this process).
    const gdb = spawnSync('gdb', ['-p', String(process.pid), '-batch', '-ex', 'call (void)malloc_stats()', '-ex', 'call (int)malloc_trim(0)'], { stdio: ['ignore', 'ignore', 'inherit'] });
    // only when gdb ran: else the RSS would be reported as trimmed when nothing was
    if (gdb.error || gdb.status !== 0) throw new Error(`--malloc-stats needs gdb attached to this process (apt-get install gdb): ${gdb.error?.message ?? `gdb exited with status ${gdb.status}`}`);
    (out as Record<string, unknown>).rss_end_after_malloc_trim_mb = Math.round(process.memoryUsage.rss() / 104857.6) / 10;
  }
  await node.stop();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function liveRun(a: Args): Promise<void> {
  if (a.stages) installStages();
  const node = await boot(a, true, undefined);
  if (node.interfaces.length === 0) throw new Error('live capture on lo is not possible here (root or CAP_NET_RAW needed)');
  if (!node.defence.board.current) throw new Error('no model in force: the state dir has no promoted model');
  let latencies: number[] = [];
  // Where the time goes: capture → the desk has the alert (capture, shards, rules, the
  // responder's mailbox), and the desk → the decision (policy, the registry's write).
  let toDesk: number[] = [];
  let atDesk: number[] = [];
  const seenAt = new Map<string, number>();
  node.defence.desk.onAlert((a) => {
    if (a.blockable) seenAt.set(a.source, performance.timeOrigin + performance.now());
  });
  node.defence.desk.onDecision((d) => {
    if (d.action !== 'ban' || d.captureTs === undefined) return;
    const now = performance.timeOrigin + performance.now();
    latencies.push(now - d.captureTs * 1000);
    if (a.stages) explainDecision(d.captureTs * 1000, now, SLOW_DECISION_MS);
    const seen = seenAt.get(d.address);
    if (seen !== undefined) {
      toDesk.push(seen - d.captureTs * 1000);
      atDesk.push(now - seen);
      seenAt.delete(d.address);
    }
  });
  // What holds the event loop (and so every decision): its delays, and the GC's pauses.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let gcPauses: number[] = [];
  let gcMajorMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcPauses.push(e.duration);
      gcEvent(e.startTime, e.duration);
      // kind 4: a full mark-compact (NODE_PERFORMANCE_GC_MAJOR)
      if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === 4) gcMajorMs += e.duration;
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const captured = () => countersByKind(node).capture ?? {};
  // Packets the shards took late (capture.lateMs): ruled, not scored, no flow records.
  const lateNow = () => {
    const c = countersByKind(node);
    return (c.detector?.late ?? 0) + (c['shard-thread']?.late ?? 0);
  };
  let base = captured();
  let lateBase = lateNow();
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 20);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  let since = performance.now();
  if (a.stages) takeStages(1);
  // CPU per packet captured in the round (main thread, every thread): what the reads' batch
  // sizes cost, against the replay's.
  let cpuBase = { main: mainThreadCpuS(), all: processCpuS() };
  let waitBase = mainThreadWait();
  for await (const line of createInterface({ input: process.stdin })) {
    const m = /^report (\d+)$/.exec(line.trim());
    if (!m) break;
    const sent = Number(m[1]);
    // Until every datagram sent is captured, or the count stops moving for 300 ms (bounded).
    const deadline = performance.now() + 5000;
    let last = -1;
    let still = performance.now();
    const got = () => (captured().packets ?? 0) - (base.packets ?? 0);
    while (got() < sent && performance.now() < deadline) {
      if (got() !== last) {
        last = got();
        still = performance.now();
      } else if (performance.now() - still > 300) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // Bans still on their way (a scored batch waits at most model.scoreWaitMs).
    await new Promise((r) => setTimeout(r, 200));
    const now = captured();
    const wait = mainThreadWait();
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        sent,
        captured: got(),
        kernel_drops: (now.kernelDrops ?? 0) - (base.kernelDrops ?? 0),
        lost: (now.lost ?? 0) - (base.lost ?? 0),
        decisions: latencies.length,
        cpu_us_per_packet: { main: r3(((mainThreadCpuS() - cpuBase.main) * 1e6) / Math.max(1, got())), all: r3(((processCpuS() - cpuBase.all) * 1e6) / Math.max(1, got())) },
        // The main thread's wait for a core in the round: ms per second, and per time it got one.
        main_thread_wait_ms_per_s: r3((wait.ms - waitBase.ms) / ((performance.now() - since) / 1000)),
        main_thread_wait_ms_per_slice: r3((wait.ms - waitBase.ms) / Math.max(1, wait.slices - waitBase.slices)),
        decision_p50_ms: latencies.length ? r3(percentile(latencies, 50)) : null,
        decision_p99_ms: latencies.length ? r3(percentile(latencies, 99)) : null,
        decision_max_ms: latencies.length ? r3(Math.max(...latencies)) : null,
        to_desk_p50_ms: toDesk.length ? r3(percentile(toDesk, 50)) : null,
        to_desk_p99_ms: toDesk.length ? r3(percentile(toDesk, 99)) : null,
        at_desk_p50_ms: atDesk.length ? r3(percentile(atDesk, 50)) : null,
        at_desk_p99_ms: atDesk.length ? r3(percentile(atDesk, 99)) : null,
        loop_delay_p99_ms: r3(loop.percentile(99) / 1e6),
        loop_delay_max_ms: r3(loop.max / 1e6),
        gc_max_ms: gcPauses.length ? r3(Math.max(...gcPauses)) : 0,
        gc_over_5ms: gcPauses.filter((d) => d > 5).length,
        gc_major_ms: r3(gcMajorMs),
        shed: (now.shed ?? 0) - (base.shed ?? 0),
        late: lateNow() - lateBase,
        read: (now.read ?? 0) - (base.read ?? 0),
        rss_peak_run_mb: Math.round(Math.max(rssPeak, process.memoryUsage.rss()) / 1048576),
        vm_hwm_mb: peakRssMb(),
        decision_counts: node.defence.desk.log.counts(),
        detectors: countersByKind(node).detector,
        ...(a.stages ? { stages: takeStages((performance.now() - since) / 1000), held_back: (now.heldBack ?? 0) - (base.heldBack ?? 0) } : {}),
      })}\n`,
    );
    base = now;
    lateBase = lateNow();
    latencies = [];
    toDesk = [];
    atDesk = [];
    gcPauses = [];
    gcMajorMs = 0;
    loop.reset();
    since = performance.now();
    cpuBase = { main: mainThreadCpuS(), all: processCpuS() };
    waitBase = mainThreadWait();
  }
  clearInterval(sampler);
  loop.disable();
  gc.disconnect();
  await node.stop();
}

const args = parseArgs(process.argv.slice(2));
try {
  if (args.live) await liveRun(args);
  else await replayRun(args);
  process.exit(0);
} catch (err) {
  process.stderr.write(`node-run: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
