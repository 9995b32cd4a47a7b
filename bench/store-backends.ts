// SQLite vs DuckDB as the event store's database tier, on a realistic event mix:
//   node --import tsx bench/store-backends.ts [--events N] [--runs R] [--dir D] [--keep] [--reuse]
//     [--backend sqlite|duckdb] [--duckdb-threads T]
// Prints JSON lines: per backend, ingest_events_per_s (batches of 1,000), store_mb_per_million_events
// (MB = 10^6 bytes), RSS, and p50/p95 of a fixed set of questions before and after compacting
// data older than a day. Each backend runs in its own process so RSS is its own.
// --keep saves the freshly ingested file (and its ingest numbers) as <file>.pristine; --reuse
// starts from that copy instead of ingesting again (for re-running the 10M measurement).
// The workload generator is exported for the tests (test/store-backends.test.ts), the
// measuring functions for the store suite (bench/store.bench.ts); a saved database is reused
// only when it holds this generator's events at this size (workloadMismatch).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALERT_TYPES } from '../src/detect/alert.ts';
import { openDuckdbBackend } from '../src/store/duckdb-backend.ts';
import type { EventQuery } from '../src/store/event-query.ts';
import { HOUR_MS } from '../src/store/sql-backend.ts';
import type { EventRow, QueryResult, StoreBackend, StoreStats } from '../src/store/sql-backend.ts';
import { openSqliteBackend } from '../src/store/sqlite-backend.ts';
import { mulberry32 } from '../devkit/prng.ts';
import { percentile } from './report.ts';

// ---- workload ---------------------------------------------------------------------------

const DAY_MS = 86_400_000;

/** 60 countries, most frequent first (the Zipf order of attack sources). */
export const COUNTRIES = [
  'CN', 'US', 'RU', 'BR', 'IN', 'DE', 'NL', 'FR', 'GB', 'KR', 'VN', 'ID', 'UA', 'TR', 'IR',
  'JP', 'SG', 'HK', 'TW', 'CA', 'PL', 'RO', 'IT', 'ES', 'AR', 'MX', 'TH', 'PH', 'PK', 'BD',
  'EG', 'ZA', 'NG', 'KE', 'CO', 'CL', 'PE', 'VE', 'SE', 'NO', 'FI', 'DK', 'CZ', 'HU', 'BG',
  'GR', 'PT', 'IE', 'BE', 'AT', 'CH', 'IL', 'SA', 'AE', 'MY', 'NZ', 'AU', 'KZ', 'BY', 'LT',
] as const;

/** Share of alerts per type (the rules detector sees scans and brute force most). */
const TYPE_WEIGHTS: Record<(typeof ALERT_TYPES)[number], number> = {
  'port-scan-vertical': 18,
  'port-scan-horizontal': 14,
  'scan-probe': 16,
  'ssh-brute-force': 24,
  'brute-force': 0,
  'http-probing': 0,
  'http-flood': 0,
  'slow-http': 0,
  'connection-flood': 0,
  'syn-flood': 5,
  'udp-amplification': 4,
  'udp-flood': 0,
  'tcp-reflection': 3,
  'tcp-flood': 0,
  'icmp-flood': 4,
  'ip-flood': 0,
  anomaly: 12,
};

export interface WorkloadOptions {
  seed: number;
  /** How many events in all. */
  events: number;
  /** The newest event is just before this (ms). */
  now: number;
  /** Spread over this many days, each day denser than the one before, the newest densest. */
  days: number;
  /** Distinct attack sources (Zipf-distributed). */
  sources: number;
  /** Distinct AS numbers (spread over the countries). */
  asns: number;
  /** Node names; each event is stored by one of them. */
  nodes: string[];
  /** Share of sources with IPv6 addresses. */
  ipv6Share: number;
  /** Share of decisions among events. */
  decisionShare: number;
  /**
   * Give every alert a flow-feature vector (100 float32, as the detectors attach), each its
   * source's own vector scaled by ±5 % noise per value: what "events like this one" stores.
   */
  vectors?: boolean;
}

const VECTOR_DIMENSIONS = 100;

export const BENCH_WORKLOAD: Omit<WorkloadOptions, 'events'> = {
  seed: 8,
  now: Date.UTC(2026, 10, 24, 18),
  days: 30,
  sources: 50_000,
  asns: 200,
  nodes: ['node-a'],
  ipv6Share: 0.03,
  decisionShare: 0.3,
};

/** Cumulative distribution of weights, for sampling by binary search. */
function cdf(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) out[i] = sum += weights[i];
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

function zipf(n: number, s: number): Float64Array {
  return cdf(Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s));
}

function pick(c: Float64Array, u: number): number {
  let lo = 0;
  let hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface SourceProfile {
  address: string;
  country: string | null;
  asn: number | null;
  asnOrg: string | null;
  types: [number, number];
  target: string;
}

/**
 * A deterministic stream of events in time order: a few heavy sources and a long tail (Zipf
 * over `sources`), each source with a country (Zipf over 60), an AS of that country, one or two
 * favourite attack types and a favourite target; alerts carry evidence, decisions a reason.
 */
export class EventGenerator {
  private readonly rand: () => number;
  private readonly sourceCdf: Float64Array;
  private readonly typeCdf: Float64Array;
  private readonly profiles: SourceProfile[] = [];
  private readonly hourCounts: number[] = [];
  private readonly firstHour: number;
  private hour = 0;
  private pending: number[] = [];
  private nextId = 1;
  private made = 0;

  constructor(readonly opts: WorkloadOptions) {
    this.rand = ((next) => () => next() / 4294967296)(mulberry32(opts.seed));
    this.sourceCdf = zipf(opts.sources, 1.05);
    this.typeCdf = cdf(ALERT_TYPES.map((t) => TYPE_WEIGHTS[t]));
    const countryCdf = zipf(COUNTRIES.length, 1.2);
    // Each AS belongs to a country (round robin in Zipf order, so big countries get more).
    const asnsOf: number[][] = COUNTRIES.map(() => []);
    for (let i = 0; i < opts.asns; i++) asnsOf[i % COUNTRIES.length].push(4_000 + i * 37);
    for (let r = 0; r < opts.sources; r++) {
      const unknown = this.rand() < 0.02;
      const ci = pick(countryCdf, this.rand());
      const own = asnsOf[ci];
      const asn = unknown || own.length === 0 ? null : own[Math.floor(this.rand() ** 2 * own.length)];
      const v6 = this.rand() < opts.ipv6Share;
      const a = Math.floor(this.rand() * 0xffffffff) >>> 0;
      const address = v6
        ? `2001:db8:${(a >>> 16).toString(16)}:${(r & 0xffff).toString(16)}::${(a & 0xffff).toString(16)}`
        : `${1 + ((a >>> 24) % 223)}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      this.profiles.push({
        address,
        country: unknown ? null : COUNTRIES[ci],
        asn,
        asnOrg: asn === null ? null : `AS${asn} ${COUNTRIES[ci]} Hosting`,
        types: [pick(this.typeCdf, this.rand()), pick(this.typeCdf, this.rand())],
        target: `192.0.2.${1 + Math.floor(this.rand() ** 3 * 64)}`,
      });
    }
    // Events per hour: each day 8% denser than the one before, the newest day twice again,
    // with a daily swing (busiest in the UTC afternoon).
    const hours = opts.days * 24;
    this.firstHour = Math.floor(opts.now / HOUR_MS) - hours;
    const w: number[] = [];
    for (let h = 0; h < hours; h++) {
      const age = Math.floor((hours - 1 - h) / 24);
      const hod = (this.firstHour + h) % 24;
      w.push(0.92 ** age * (age === 0 ? 2 : 1) * (1 + 0.5 * Math.sin(((hod - 9) / 24) * 2 * Math.PI)));
    }
    const c = cdf(w);
    let prev = 0;
    for (let h = 0; h < hours; h++) {
      const upto = Math.round(c[h] * opts.events);
      this.hourCounts.push(upto - prev);
      prev = upto;
    }
  }

  /** The source of Zipf rank r (0 = the heaviest). */
  source(rank: number): Readonly<SourceProfile> {
    return this.profiles[rank];
  }

  get remaining(): number {
    return this.opts.events - this.made;
  }

  /** The next `n` events (fewer at the end). */
  next(n: number): EventRow[] {
    const out: EventRow[] = [];
    while (out.length < n && this.made < this.opts.events) {
      if (this.pending.length === 0) this.fillHour();
      out.push(this.event(this.pending.pop()!));
      this.made++;
    }
    return out;
  }

  /** Times of the next non-empty hour, newest first (popped from the end: oldest first). */
  private fillHour(): void {
    while (this.hourCounts[this.hour] === 0) this.hour++;
    const base = (this.firstHour + this.hour) * HOUR_MS;
    const times = Array.from({ length: this.hourCounts[this.hour] }, () => base + Math.floor(this.rand() * HOUR_MS));
    this.pending = times.sort((a, b) => b - a);
    this.hour++;
  }

  private event(at: number): EventRow {
    const rand = this.rand;
    const p = this.profiles[pick(this.sourceCdf, rand())];
    const node = this.opts.nodes[Math.floor(rand() * this.opts.nodes.length)];
    const ti = rand() < 0.8 ? p.types[0] : rand() < 0.5 ? p.types[1] : pick(this.typeCdf, rand());
    const type = ALERT_TYPES[ti];
    if (rand() < this.opts.decisionShare) {
      const offence = 1 + Math.floor(rand() ** 3 * 5);
      const ban = rand() < 0.85;
      const score = ban ? 0.75 + 0.25 * rand() : 1;
      return {
        id: this.nextId++, kind: 'decision', at, type: ban ? 'ban' : 'unban', source: p.address, target: '*',
        country: p.country, asn: p.asn, score, node, detector: ban ? type : 'operator',
        detail: JSON.stringify({ reason: ban ? `${type} score ${score.toFixed(2)}` : 'operator lifted the ban', ttl: ban ? 3600 * 2 ** (offence - 1) : 0, offence, asnOrg: p.asnOrg }),
      };
    }
    const target = type === 'port-scan-horizontal' ? '*' : rand() < 0.7 ? p.target : `192.0.2.${1 + Math.floor(rand() * 64)}`;
    const base = type === 'ssh-brute-force' ? 0.5 : type === 'anomaly' ? 0.2 : 0.35;
    const score = Math.min(1, base + (1 - base) * rand() ** 1.5);
    const count = 5 + Math.floor(rand() ** 2 * 500);
    return {
      id: this.nextId++, kind: 'alert', at, type, source: p.address, target, country: p.country, asn: p.asn,
      score, node, detector: type === 'anomaly' ? 'model' : 'rules',
      detail: JSON.stringify({ evidence: { count, windowS: 60, threshold: 20 }, asnOrg: p.asnOrg, blockable: true }),
      ...(this.opts.vectors ? { features: this.vector(p.address) } : {}),
    };
  }

  private readonly baseVectors = new Map<string, Float32Array>();
  /** Its own stream, so the events are the same with vectors or without. */
  private vrand: (() => number) | null = null;

  /** A source's vector (magnitudes from 1e-3 to 1e4, as flow features span) with ±5 % noise per value. */
  private vector(source: string): Float32Array {
    let base = this.baseVectors.get(source);
    const vrand = (this.vrand ??= ((next) => () => next() / 4294967296)(mulberry32(this.opts.seed ^ 0x5f3759df)));
    if (!base) {
      base = Float32Array.from({ length: VECTOR_DIMENSIONS }, () => (vrand() - 0.2) * 10 ** (vrand() * 7 - 3));
      this.baseVectors.set(source, base);
    }
    return base.map((x) => x * (0.95 + 0.1 * vrand()));
  }
}

// ---- questions --------------------------------------------------------------------------

export interface Question {
  name: string;
  q: EventQuery;
}

/** The fixed set of representative questions, relative to `now`. */
export function benchQuestions(gen: EventGenerator, now: number): Question[] {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const heavy = gen.source(0);
  const asn = gen.source(0).asn ?? 4_000;
  const a = (measure: EventQuery['measure'], from: number, filters: EventQuery['filters'], more: Partial<EventQuery> = {}): EventQuery => ({
    kind: 'alert', from, to: now, filters, measure, ...more,
  });
  const v4 = heavy.address.includes(':') ? '1.0.0.0' : heavy.address;
  const net16 = `${v4.split('.').slice(0, 2).join('.')}.0.0/16`;
  return [
    { name: 'count CN today', q: a('count', today, { country: ['CN'] }) },
    { name: 'count by type, CN, last 24h', q: a('count', now - DAY_MS, { country: ['CN'] }, { groupBy: 'type' }) },
    { name: 'top 10 sources, last hour', q: a('top', now - HOUR_MS, {}, { groupBy: 'source', limit: 10 }) },
    { name: 'top countries, this week', q: a('top', now - 7 * DAY_MS, {}, { groupBy: 'country', limit: 10 }) },
    { name: 'trend per hour, today', q: a('trend', today, {}, { bucket: 'hour' }) },
    { name: 'count ssh-brute-force high risk, 30 days', q: a('count', now - 30 * DAY_MS, { type: ['ssh-brute-force'], minScore: 0.8 }) },
    { name: 'list newest 20 from a source', q: a('list', now - 30 * DAY_MS, { source: [heavy.address] }, { limit: 20 }) },
    { name: 'count for an ASN, 7 days', q: a('count', now - 7 * DAY_MS, { asn: [asn] }) },
    { name: 'count from a /16, 7 days', q: a('count', now - 7 * DAY_MS, { source: [net16] }) },
    { name: 'trend per day by type, 30 days', q: a('trend', now - 30 * DAY_MS, {}, { bucket: 'day', groupBy: 'type', limit: 9 }) },
    { name: 'top banned sources, this week', q: { kind: 'decision', from: now - 7 * DAY_MS, to: now, filters: { type: ['ban'] }, measure: 'top', groupBy: 'source', limit: 10 } },
  ];
}

// ---- measurement (exported for bench/store.bench.ts) -------------------------------------

export type BackendName = 'sqlite' | 'duckdb';

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const mb = (bytes: number) => bytes / 1e6;
const rssMb = () => round(mb(process.memoryUsage().rss), 1);

export function openBackend(backend: BackendName, path: string, duckdbThreads?: number): Promise<StoreBackend> {
  return backend === 'sqlite' ? openSqliteBackend(path) : openDuckdbBackend(path, duckdbThreads ? { threads: duckdbThreads } : {});
}

export function dbPath(dir: string, name: string, backend: BackendName): string {
  return join(dir, `${name}.${backend === 'sqlite' ? 'sqlite' : 'duckdb'}`);
}

export function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '.wal']) rmSync(path + suffix, { force: true });
}

export interface IngestNumbers {
  ingest_events_per_s: number;
  ingest_wall_s: number;
  rss_after_ingest_mb: number;
}

export interface IngestOptions {
  duckdbThreads?: number;
  /** Called after every million events. */
  progress?: (done: number, total: number) => void;
}

/** Ingests `gen` into a new database at `path` in batches of 1,000 (the rate counts time in insert only). */
export async function ingest(backend: BackendName, path: string, gen: EventGenerator, o: IngestOptions = {}): Promise<IngestNumbers> {
  removeDb(path);
  const store = await openBackend(backend, path, o.duckdbThreads);
  let inInsert = 0;
  let done = 0;
  const t0 = performance.now();
  while (gen.remaining > 0) {
    const batch = gen.next(1000);
    const t = performance.now();
    await store.insert(batch);
    inInsert += performance.now() - t;
    done += batch.length;
    if (done % 1_000_000 === 0) o.progress?.(done, gen.opts.events);
  }
  const wall = (performance.now() - t0) / 1000;
  const rss = rssMb();
  await store.close();
  return { ingest_events_per_s: Math.round(gen.opts.events / (inInsert / 1000)), ingest_wall_s: round(wall, 1), rss_after_ingest_mb: rss };
}

/**
 * Why a database does not hold exactly what `BENCH_WORKLOAD` makes at
 * `events` (null when it does): the count of each kind, and the first alerts field by field
 * (their times depend on `events` too, so a database of another size or seed differs there).
 */
export async function workloadMismatch(store: StoreBackend, events: number): Promise<string | null> {
  const gen = new EventGenerator({ ...BENCH_WORKLOAD, events });
  let stored = 0;
  for (const kind of ['alert', 'decision'] as const) {
    stored += Number((await store.query({ kind, from: 0, to: BENCH_WORKLOAD.now, filters: {}, measure: 'count' })).rows[0][0]);
  }
  if (stored !== events) return `holds ${stored} events, not ${events}`;
  const first = gen.next(1000);
  const until = first[first.length - 1].at;
  const want = first.filter((r) => r.kind === 'alert' && r.at < until).reverse(); // 'list' is newest first
  const got = (await store.query({ kind: 'alert', from: 0, to: until, filters: {}, measure: 'list', limit: 1000 })).rows;
  const key = (id: unknown, at: unknown, type: unknown, source: unknown, score: unknown) => `${id}/${at}/${type}/${source}/${Number(score).toFixed(6)}`;
  const a = want.map((r) => key(r.id, r.at, r.type, r.source, r.score)).join();
  const b = got.map((r) => key(r[0], r[2], r[3], r[4], r[8])).join();
  return a === b ? null : 'its first alerts differ from the generator\'s (another seed or generator)';
}

export interface Prepared {
  /** The working database (a fresh ingest, or a copy of the saved one). */
  path: string;
  ingested: IngestNumbers;
  /** The ingest numbers are the saved database's, measured when it was made. */
  reused: boolean;
  /** The saved database (reused, or written for later runs). */
  pristine?: string;
  /** When the reused database's ingest was measured (ISO time of its numbers' file). */
  savedAt?: string;
  /** Why a saved database was not reused, when there was one. */
  notReused?: string;
}

export interface PrepareOptions extends IngestOptions {
  /** Save a fresh ingest (and its numbers) as <path>.pristine for later runs. */
  keep: boolean;
  /** Start from <path>.pristine when it exists and holds this workload (checked). */
  reuse: boolean;
}

/** A database of `events` BENCH_WORKLOAD events at dir/name, ingested or copied from a saved one. */
export async function prepareDatabase(backend: BackendName, events: number, dir: string, name: string, o: PrepareOptions): Promise<Prepared> {
  mkdirSync(dir, { recursive: true });
  const path = dbPath(dir, name, backend);
  const pristine = `${dbPath(dir, `store-${events}`, backend)}.pristine`;
  const sidecar = `${pristine}.json`;
  let notReused: string | undefined;
  if (o.reuse && existsSync(pristine) && existsSync(sidecar)) {
    removeDb(path);
    copyFileSync(pristine, path);
    const store = await openBackend(backend, path, o.duckdbThreads);
    try {
      notReused = (await workloadMismatch(store, events)) ?? undefined;
    } finally {
      await store.close();
    }
    if (!notReused) {
      const ingested = JSON.parse(readFileSync(sidecar, 'utf8')) as IngestNumbers;
      return { path, ingested, reused: true, pristine, savedAt: statSync(sidecar).mtime.toISOString() };
    }
    notReused = `${pristine} ${notReused}`;
  }
  const ingested = await ingest(backend, path, new EventGenerator({ ...BENCH_WORKLOAD, events }), o);
  if (o.keep) {
    copyFileSync(path, pristine);
    writeFileSync(sidecar, JSON.stringify(ingested));
  }
  return { path, ingested, reused: false, ...(o.keep ? { pristine } : {}), ...(notReused ? { notReused } : {}) };
}

export interface QuestionTimes {
  question: string;
  p50_ms: number;
  p95_ms: number;
  rows: number;
  narrowed: boolean;
}

export interface AskNumbers {
  questions: QuestionTimes[];
  /** Over every run of every question. */
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  samples: number;
  /** Hash of the answers (to compare across backends and phases). */
  digest: string;
}

/** Each question once to warm up (its answer goes into the digest), then `runs` timed runs. */
export async function askQuestions(store: StoreBackend, questions: Question[], runs: number): Promise<AskNumbers> {
  const all: number[] = [];
  const answers: QueryResult[] = [];
  const each: QuestionTimes[] = [];
  for (const { name, q } of questions) {
    const first = await store.query(q);
    answers.push(first);
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await store.query(q);
      ms.push(performance.now() - t);
    }
    all.push(...ms);
    each.push({ question: name, p50_ms: round(percentile(ms, 50)), p95_ms: round(percentile(ms, 95)), rows: first.rows.length, narrowed: first.narrowed !== undefined });
  }
  const digest = createHash('sha256').update(JSON.stringify(answers)).digest('hex').slice(0, 16);
  return { questions: each, p50_ms: round(percentile(all, 50)), p95_ms: round(percentile(all, 95)), max_ms: round(Math.max(...all)), samples: all.length, digest };
}

export interface CompactNumbers {
  compacted_raw_rows: number;
  compact_s: number;
}

export interface RollupNumbers {
  rollup_rows: number;
  rollup_s: number;
}

/** What the node's maintenance does every few minutes: every hour that ended counted into the coarse rollups (raw rows kept). */
export async function rollUpAll(store: StoreBackend): Promise<RollupNumbers> {
  const t = performance.now();
  const rows = await store.rollup(BENCH_WORKLOAD.now);
  return { rollup_rows: rows, rollup_s: round((performance.now() - t) / 1000, 1) };
}

/** What the node does with `store.compactAfterHours` (24 by default): older data into rollups. */
export async function compactOlderThan(store: StoreBackend, ageMs = DAY_MS): Promise<CompactNumbers> {
  const t = performance.now();
  const moved = await store.compact(BENCH_WORKLOAD.now - ageMs);
  return { compacted_raw_rows: moved, compact_s: round((performance.now() - t) / 1000, 1) };
}

// ---- the command line -------------------------------------------------------------------

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'store-backends', ...obj })}\n`);
}

function statsOut(s: StoreStats): Record<string, number> {
  return { rows_events: s.events, rows_rollups: s.rollups, rows_rollups_coarse: s.rollupsCoarse, used_mb: round(mb(s.usedBytes), 1) };
}

async function ask(store: StoreBackend, backend: string, events: number, phase: string, questions: Question[], runs: number): Promise<string> {
  const a = await askQuestions(store, questions, runs);
  for (const { question, ...times } of a.questions) emit({ backend, events, phase, question, ...times });
  emit({ backend, events, phase, ask_p50_ms: a.p50_ms, ask_p95_ms: a.p95_ms, ask_max_ms: a.max_ms, rss_mb: rssMb(), answers_digest: a.digest });
  return a.digest;
}

async function runBackend(backend: BackendName, events: number, runs: number, dir: string, keep: boolean, reuse: boolean): Promise<void> {
  const threads = arg('duckdb-threads');
  const duckdbThreads = threads ? Number(threads) : undefined;
  const prepared = await prepareDatabase(backend, events, dir, `store-${events}`, { keep, reuse, duckdbThreads });
  if (prepared.notReused) process.stderr.write(`store-backends: not reused: ${prepared.notReused}\n`);
  const store = await openBackend(backend, prepared.path, duckdbThreads);
  const size = await store.sizeBytes();
  emit({ backend, events, ...prepared.ingested, ...(prepared.reused ? { reused: true } : {}), store_mb: round(mb(size), 1), store_mb_per_million_events: round(mb(size) / (events / 1e6), 1), ...statsOut(await store.stats()) });

  const gen = new EventGenerator({ ...BENCH_WORKLOAD, events });
  const questions = benchQuestions(gen, BENCH_WORKLOAD.now);
  const rawDigest = await ask(store, backend, events, 'raw', questions, runs);
  const rolled = await rollUpAll(store);
  emit({ backend, events, ...rolled, store_mb_after_rollup: round(mb(await store.sizeBytes()), 1), ...statsOut(await store.stats()) });
  const rolledDigest = await ask(store, backend, events, 'rolled_up', questions, runs);

  const compacted = await compactOlderThan(store);
  const after = await store.sizeBytes();
  const rollups = (await store.query({ kind: 'alert', from: 0, to: BENCH_WORKLOAD.now, filters: {}, measure: 'count' })).rows[0][0];
  emit({ backend, events, ...compacted, store_mb_after_compact: round(mb(after), 1), alerts_total_after_compact: rollups, ...statsOut(await store.stats()) });
  const compactedDigest = await ask(store, backend, events, 'compacted', questions, runs);
  await store.close();
  emit({ backend, events, max_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1), answers_raw: rawDigest, answers_rolled_up: rolledDigest, answers_compacted: compactedDigest });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const events = Number(arg('events') ?? 1_000_000);
  const runs = Number(arg('runs') ?? 20);
  const dir = arg('dir') ?? '/tmp/store-bench';
  const keep = process.argv.includes('--keep');
  const reuse = process.argv.includes('--reuse');
  const backend = arg('backend');
  if (backend === 'sqlite' || backend === 'duckdb') {
    await runBackend(backend, events, runs, dir, keep, reuse);
    return;
  }
  if (backend !== undefined) throw new Error(`--backend ${backend}: expected sqlite or duckdb`);
  // One process per backend, so each one's RSS is its own; the answers must agree.
  const digests: Record<string, string[]> = {};
  for (const b of ['sqlite', 'duckdb'] as const) {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--backend', b];
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        process.stdout.write(d);
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`${b} bench exited with ${code}`))));
    });
    const last = JSON.parse(out.trim().split('\n').pop()!) as { answers_raw: string; answers_compacted: string };
    digests[b] = [last.answers_raw, last.answers_compacted];
  }
  emit({ events, answers_match_across_backends: digests.sqlite.join() === digests.duckdb.join(), answers_same_after_compaction: digests.sqlite[0] === digests.sqlite[1] && digests.duckdb[0] === digests.duckdb[1] });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
