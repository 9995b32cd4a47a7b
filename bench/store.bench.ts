// Event store benchmark (issue 8): `npm run bench -- store`.
// DuckDB, the node's default backend, gives the headline numbers; SQLite runs in the same
// process on the same generated workload (bench/store-backends.ts) at the smaller size as the
// reference line, so every DuckDB line carries `reference` (SQLite's value) and `ratio`
// (value / reference). Measured:
// - ingest_events_per_s: backend.insert in batches of 1,000 (time inside insert), and once
//   through EventStore with its batching (1,024-event messages, a flush per 50,000), at 1M, and
//   with a feature vector on every alert (with store_mb_per_million_events), at 1M;
// - ask_p50_ms / ask_p95_ms: the question set (20 timed runs each) over AUTOIMMUNE_BENCH_STORE_EVENTS
//   stored events (default 10,000,000): raw (no maintenance ever ran), rolled up (every ended
//   hour counted, raw rows kept: the node's state for events younger than
//   store.compactAfterHours), and after compacting what is older than that; a saved database in AUTOIMMUNE_BENCH_STORE_DIR
//   (default /tmp/store-bench) holding the same generator's events at that size is reused;
// - store_mb_per_million_events (file on disk) and store_in_use_mb_per_million_events;
// - similar_p95_ms: the usearch index at AUTOIMMUNE_BENCH_STORE_VECTORS (default 100000; a
//   comma list, e.g. 100000,1000000), k = 10, against an exact scan, with recall@10.
// Progress goes to stderr.

import { loadConfig } from '../src/config/load-config.ts';
import { EventStore } from '../src/store/event-store.ts';
import { HOUR_MS, fileBytes } from '../src/store/sql-backend.ts';
import type { StoreBackend } from '../src/store/sql-backend.ts';
import { report } from './report.ts';
import {
  BENCH_WORKLOAD, EventGenerator, askQuestions, benchQuestions, compactOlderThan, dbPath, ingest, openBackend, prepareDatabase, removeDb,
  rollUpAll, type AskNumbers, type BackendName, type CompactNumbers, type Prepared, type RollupNumbers,
} from './store-backends.ts';
import { benchSimilar, type SimilarBenchResult } from './store-similar.ts';

const SUITE = 'store';
const RUNS = 20;
/** The store actor's feeder sends at most this many events per message (actors/store.ts). */
const FEEDER_MESSAGE = 1024;
/** Events one flush carries at the goal rate: the actor flushes every second, so 50,000 at 50,000/s. */
const FLUSH_EVERY = 50_000;
const GOAL = { ingest: '>= 50000', ask: '< 100', similar: '< 10' };

function envInts(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const out = raw.split(',').map((s) => Number(s.replaceAll('_', '')));
  if (out.some((n) => !Number.isInteger(n) || n < 1000)) throw new RangeError(`${name}=${JSON.stringify(raw)}: expected a whole number of at least 1000 (or a comma list of them)`);
  return out;
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const perMillion = (bytes: number, events: number) => round(bytes / 1e6 / (events / 1e6), 1);
const progress = (line: string) => process.stderr.write(`bench store: ${line}\n`);

interface Line {
  metric: string;
  value: number;
  unit: string;
  reference?: number;
  [extra: string]: unknown;
}

function emit(l: Line): void {
  const ratio = l.reference === undefined || l.reference === 0 ? {} : { ratio: round(l.value / l.reference, 3) };
  report({ suite: SUITE, name: l.metric, ...l, ...ratio });
}

interface PhaseNumbers {
  fileBytes: number;
  usedBytes: number;
  rawRows: number;
  rollupRows: number;
  ask: AskNumbers;
}

interface BackendRun {
  backend: BackendName;
  events: number;
  prepared: Prepared;
  raw: PhaseNumbers;
  rolled_up: PhaseNumbers & RollupNumbers;
  compacted: PhaseNumbers & CompactNumbers;
}

async function phase(store: StoreBackend, events: number): Promise<PhaseNumbers> {
  const questions = benchQuestions(new EventGenerator({ ...BENCH_WORKLOAD, events }), BENCH_WORKLOAD.now);
  const ask = await askQuestions(store, questions, RUNS);
  const s = await store.stats();
  return { fileBytes: await store.sizeBytes(), usedBytes: s.usedBytes, rawRows: s.events, rollupRows: s.rollups + s.rollupsCoarse, ask };
}

/** Ingest (or reuse), ask, compact like the node, ask again; the working file is removed after. */
async function measureBackend(backend: BackendName, events: number, dir: string, reuse: boolean, compactAfterMs: number): Promise<BackendRun> {
  progress(`${backend}, ${events.toLocaleString('en')} events: ${reuse ? 'reusing a saved database if it holds this workload, else ingesting' : 'ingesting'}`);
  const t0 = performance.now();
  const prepared = await prepareDatabase(backend, events, dir, `suite-store-${events}`, {
    keep: reuse,
    reuse,
    progress: (done, total) => progress(`${backend}: ingested ${(done / 1e6).toFixed(0)}M of ${(total / 1e6).toFixed(0)}M events, ${((performance.now() - t0) / 1000).toFixed(0)} s`),
  });
  if (prepared.notReused) progress(`not reused: ${prepared.notReused}`);
  progress(`${backend}: ${prepared.reused ? `reused ${prepared.pristine}` : `ingested in ${prepared.ingested.ingest_wall_s} s`}; asking ${RUNS}× each question`);
  const store = await openBackend(backend, prepared.path);
  try {
    const raw = await phase(store, events);
    progress(`${backend}: rolling every ended hour up, as the node's maintenance does`);
    const rolled = await rollUpAll(store);
    progress(`${backend}: ${rolled.rollup_rows.toLocaleString('en')} rollup rows in ${rolled.rollup_s} s; asking again`);
    const rolled_up = { ...(await phase(store, events)), ...rolled };
    progress(`${backend}: compacting events older than ${compactAfterMs / HOUR_MS} h`);
    const compact = await compactOlderThan(store, compactAfterMs);
    progress(`${backend}: compacted ${compact.compacted_raw_rows.toLocaleString('en')} rows in ${compact.compact_s} s; asking again`);
    const compacted = { ...(await phase(store, events)), ...compact };
    return { backend, events, prepared, raw, rolled_up, compacted };
  } finally {
    await store.close();
    removeDb(prepared.path);
  }
}

interface EventStoreIngest {
  eventsPerS: number;
  inAddS: number;
  inFlushS: number;
  flushes: number;
  flushed: number;
  shed: number;
}

/**
 * The same events through EventStore over a new DuckDB file: added in the feeder's messages
 * (addRows), flushed every FLUSH_EVERY events as the actor's timer would at the goal rate.
 * The rate counts time in addRows and flush (not the generator). The store's clock follows
 * the events, so its memory tier holds the last memoryMinutes of generated time.
 */
async function ingestThroughEventStore(path: string, events: number, c: { maxPending: number; memoryMinutes: number }): Promise<EventStoreIngest> {
  removeDb(path);
  const gen = new EventGenerator({ ...BENCH_WORKLOAD, events });
  let clock = 0;
  const store = new EventStore({ node: BENCH_WORKLOAD.nodes[0], backend: await openBackend('duckdb', path), maxPending: c.maxPending, memoryMs: c.memoryMinutes * 60_000, now: () => clock });
  let inAdd = 0;
  let inFlush = 0;
  let flushes = 0;
  let sinceFlush = 0;
  const flush = async () => {
    const t = performance.now();
    await store.flush();
    inFlush += performance.now() - t;
    flushes++;
    sinceFlush = 0;
  };
  try {
    while (gen.remaining > 0) {
      const rows = gen.next(FEEDER_MESSAGE);
      clock = rows[rows.length - 1].at;
      const t = performance.now();
      store.addRows(rows);
      inAdd += performance.now() - t;
      sinceFlush += rows.length;
      if (sinceFlush >= FLUSH_EVERY) await flush();
    }
    await flush();
    const busyS = (inAdd + inFlush) / 1000;
    return { eventsPerS: Math.round(store.stats.flushed / busyS), inAddS: round(inAdd / 1000), inFlushS: round(inFlush / 1000), flushes, flushed: store.stats.flushed, shed: store.stats.shed };
  } finally {
    await store.close();
    removeDb(path);
  }
}

function backendLines(r: BackendRun, ref: BackendRun | null, compactAfterHours: number): void {
  const isRef = ref === null;
  const on = { backend: r.backend, events: r.events };
  const refOf = (v: number) => (isRef ? { role: 'reference' } : { reference: v, reference_of: `${ref.backend}, ${ref.events.toLocaleString('en')} events, this run` });
  const ing = r.prepared.ingested;
  emit({
    metric: 'ingest_events_per_s', value: ing.ingest_events_per_s, unit: 'events/s', ...on, ...refOf(ref?.prepared.ingested.ingest_events_per_s ?? 0),
    batch: 1000, via: 'backend.insert', ingest_wall_s: ing.ingest_wall_s,
    ...(r.prepared.reused ? { reused: true, reused_from: r.prepared.pristine, measured_at: r.prepared.savedAt, note: 'the saved database holds this generator\'s events at this size (checked): its ingest was measured when it was made' } : { reused: false }),
    ...(isRef ? {} : { goal: GOAL.ingest }),
  });
  for (const [name, p] of [['raw', r.raw], ['rolled_up', r.rolled_up], ['compacted', r.compacted]] as const) {
    const refP = ref?.[name];
    const ph = {
      // raw: no maintenance ever ran (the worst case); rolled_up: the node's state for events
      // younger than store.compactAfterHours; compacted: older than that.
      ...on, phase: name, steady_state: name !== 'raw',
      ...(name === 'compacted' ? { compacted_older_than_h: compactAfterHours } : {}),
    };
    const rows = { raw_rows: p.rawRows, rollup_rows: p.rollupRows };
    emit({ metric: 'store_mb_per_million_events', value: perMillion(p.fileBytes, r.events), unit: 'MB', ...ph, ...refOf(ref ? perMillion(ref[name].fileBytes, ref.events) : 0), file_mb: round(p.fileBytes / 1e6, 1), ...rows, note: 'file(s) on disk, MB = 10^6 bytes' });
    emit({ metric: 'store_in_use_mb_per_million_events', value: perMillion(p.usedBytes, r.events), unit: 'MB', ...ph, ...refOf(ref ? perMillion(ref[name].usedBytes, ref.events) : 0), note: 'bytes holding data (DuckDB keeps freed blocks in its file for later writes)' });
    const slowest = [...p.ask.questions].sort((a, b) => b.p95_ms - a.p95_ms)[0];
    const askOn = {
      ...ph, questions: p.ask.questions.length, runs_each: RUNS, samples: p.ask.samples, max_ms: p.ask.max_ms,
      slowest_question: slowest.question, slowest_question_p95_ms: slowest.p95_ms, answers_digest: p.ask.digest,
      ...(refP && ref.events === r.events ? { answers_match_reference: refP.ask.digest === p.ask.digest } : {}),
      ...(name !== 'raw' ? { answers_same_as_raw: p.ask.digest === r.raw.ask.digest } : {}),
    };
    emit({ metric: 'ask_p95_ms', value: p.ask.p95_ms, unit: 'ms', ...askOn, ...refOf(refP?.ask.p95_ms ?? 0), ...(isRef ? {} : { goal: GOAL.ask }) });
    emit({ metric: 'ask_p50_ms', value: p.ask.p50_ms, unit: 'ms', ...askOn, ...refOf(refP?.ask.p50_ms ?? 0) });
  }
  emit({ metric: 'rollup_s', value: r.rolled_up.rollup_s, unit: 's', ...on, ...refOf(ref?.rolled_up.rollup_s ?? 0), rollup_rows: r.rolled_up.rollup_rows });
  emit({ metric: 'compact_s', value: r.compacted.compact_s, unit: 's', ...on, ...refOf(ref?.compacted.compact_s ?? 0), compacted_raw_rows: r.compacted.compacted_raw_rows, compacted_older_than_h: compactAfterHours });
}

function similarLines(results: SimilarBenchResult[]): void {
  const sizes = [...new Set(results.map((r) => r.vectors as number))];
  for (const n of sizes) {
    const of = (name: string) => results.find((r) => r.vectors === n && r.name === name)!;
    const { value: exactP95, queries: exactQueries, exact_p50_ms } = of('exact_p95_ms');
    const recall = of('similar_recall_at_10').value;
    const on = { vectors: n, dimensions: of('similar_p95_ms').dimensions, k: of('similar_p95_ms').k, index: 'usearch HNSW', distance: of('similar_p95_ms').metric };
    const p95 = of('similar_p95_ms');
    emit({ metric: 'similar_p95_ms', value: p95.value, unit: 'ms', ...on, queries: p95.queries, max_ms: p95.max_ms, recall_at_10: recall, reference: exactP95, reference_of: 'exact scan (usearch exactSearch, 1 thread) over the same vectors, this run', goal: GOAL.similar });
    emit({ metric: 'similar_p50_ms', value: of('similar_p50_ms').value, unit: 'ms', ...on, reference: exact_p50_ms as number, reference_of: 'exact scan p50' });
    emit({ metric: 'similar_exact_p95_ms', value: exactP95, unit: 'ms', ...on, queries: exactQueries, role: 'reference', note: 'usearch exactSearch, 1 thread, the index\'s own normalised vectors' });
    emit({ metric: 'similar_recall_at_10', value: recall, unit: 'ratio', ...on, queries: exactQueries, note: 'share of the exact ten nearest the index returns' });
    const build = of('build_vectors_per_s');
    emit({ metric: 'similar_build_vectors_per_s', value: build.value, unit: 'vectors/s', ...on, batch: build.batch, build_s: build.build_s });
    const file = of('similar_index_file_mb');
    emit({ metric: 'similar_index_file_mb', value: file.value, unit: 'MiB', ...on, save_s: file.save_s, load_s: file.load_s });
  }
}

export async function run(): Promise<void> {
  const [events] = envInts('AUTOIMMUNE_BENCH_STORE_EVENTS', [10_000_000]);
  const vectors = envInts('AUTOIMMUNE_BENCH_STORE_VECTORS', [100_000]);
  const dir = process.env.AUTOIMMUNE_BENCH_STORE_DIR || '/tmp/store-bench';
  const small = Math.min(events, 1_000_000);
  const c = loadConfig().config.store;
  const compactAfterMs = c.compactAfterHours * HOUR_MS;

  // The smaller size for both backends, ingested afresh: same-size ratios.
  const sqlite = await measureBackend('sqlite', small, dir, false, compactAfterMs);
  backendLines(sqlite, null, c.compactAfterHours);
  const duckSmall = await measureBackend('duckdb', small, dir, false, compactAfterMs);
  backendLines(duckSmall, sqlite, c.compactAfterHours);

  progress(`duckdb through EventStore, ${small.toLocaleString('en')} events: ingesting`);
  const es = await ingestThroughEventStore(dbPath(dir, `suite-event-store-${small}`, 'duckdb'), small, c);
  emit({
    metric: 'ingest_events_per_s', value: es.eventsPerS, unit: 'events/s', backend: 'duckdb', events: small, via: 'EventStore',
    reference: duckSmall.prepared.ingested.ingest_events_per_s, reference_of: 'duckdb backend.insert in batches of 1,000, same size, this run',
    message: FEEDER_MESSAGE, flush_every: FLUSH_EVERY, flushes: es.flushes, flushed: es.flushed, shed: es.shed, in_add_s: es.inAddS, in_flush_s: es.inFlushS,
    add_us_per_event: round((es.inAddS * 1e6) / es.flushed, 3), goal: GOAL.ingest,
    note: 'time in addRows (memory tier, queue) and flush; one flush per 50,000 events is the actor\'s 1 s flush at the goal rate, so each insert carries 50x the reference\'s batch',
  });

  progress(`duckdb, ${small.toLocaleString('en')} events with a feature vector on every alert: ingesting`);
  const vecPath = dbPath(dir, `suite-vectors-${small}`, 'duckdb');
  const vec = await ingest('duckdb', vecPath, new EventGenerator({ ...BENCH_WORKLOAD, events: small, vectors: true }));
  const vecBytes = fileBytes([vecPath, `${vecPath}.wal`]);
  removeDb(vecPath);
  const withVectors = { backend: 'duckdb', events: small, vectors: 'every alert: 100 float32', reference_of: 'duckdb, same events without vectors, this run' };
  emit({ metric: 'ingest_events_per_s', value: vec.ingest_events_per_s, unit: 'events/s', ...withVectors, reference: duckSmall.prepared.ingested.ingest_events_per_s, batch: 1000, via: 'backend.insert', goal: GOAL.ingest });
  emit({ metric: 'store_mb_per_million_events', value: perMillion(vecBytes, small), unit: 'MB', ...withVectors, phase: 'raw', reference: perMillion(duckSmall.raw.fileBytes, small), note: 'vectors go with the raw rows at compaction (the index forgets them), so this is the cost of the last store.compactAfterHours' });

  if (events > small) backendLines(await measureBackend('duckdb', events, dir, true, compactAfterMs), sqlite, c.compactAfterHours);

  progress(`similarity index at ${vectors.map((v) => v.toLocaleString('en')).join(', ')} vectors`);
  similarLines(await benchSimilar(vectors));
}
