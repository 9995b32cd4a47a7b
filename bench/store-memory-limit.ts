// What DuckDB's memory_limit (store.duckdbMemoryMb) costs the store's questions:
// `node --import tsx bench/store-memory-limit.ts [MB...]` (default 128 64 32; the first is the reference).
// - The question set of `npm run bench -- store` (bench/store-backends.ts) over
//   AUTOIMMUNE_BENCH_STORE_EVENTS events (default 10,000,000; a saved database in
//   AUTOIMMUNE_BENCH_STORE_DIR, default /tmp/store-bench, is reused), raw and rolled up, the
//   database opened at each limit in turn, alternated over ROUNDS (default 3) rounds, RUNS
//   (default 10) timed runs a question: p50, p95, max, the answers' digest (must not move).
// - A query that needs more than the limit: a trend by minute per source over the alerts of
//   devkit/store-fill.ts (one source a row) at AUTOIMMUNE_BENCH_FILL (default 300,000,1,000,000),
//   timed, with the most DuckDB wrote to its temp directory (`<file>.tmp`) while it ran, polled:
//   a spill shows there. Against the store's query deadline (store.queryTimeoutMs, 3,000 ms).
// - MAINTENANCE=1: only the node's maintenance (roll up, then compact what is older than a day)
//   over a copy of the saved database at each limit: seconds, the temp directory's most, errors.
// One JSON line a measurement, with `reference` (the first limit's value, same round) and `ratio`.

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fillEvents, slowQuery } from '../devkit/store-fill.ts';
import { openDuckdbBackend } from '../src/store/duckdb-backend.ts';
import type { StoreBackend } from '../src/store/sql-backend.ts';
import { BENCH_WORKLOAD, EventGenerator, askQuestions, benchQuestions, compactOlderThan, prepareDatabase, rollUpAll, removeDb, type AskNumbers } from './store-backends.ts';

const limits = process.argv.slice(2).map(Number);
if (limits.length === 0) limits.push(128, 64, 32);
const EVENTS = Number(process.env.AUTOIMMUNE_BENCH_STORE_EVENTS ?? 10_000_000);
const DIR = process.env.AUTOIMMUNE_BENCH_STORE_DIR ?? '/tmp/store-bench';
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const RUNS = Number(process.env.RUNS ?? 10);
const FILL = (process.env.AUTOIMMUNE_BENCH_FILL ?? '300000,1000000').split(',').map(Number);
const QUERY_TIMEOUT_MS = 3000; // config/default.json store.queryTimeoutMs

const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ bench: 'store-memory-limit', ...o })}\n`);
const progress = (s: string) => process.stderr.write(`store-memory-limit: ${s}\n`);
const round = (x: number, d = 2) => Number(x.toFixed(d));

/** Bytes in DuckDB's temp directory for `path` (its spill files), 0 when there is none. */
function tempBytes(path: string): number {
  const dir = `${path}.tmp`;
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir)) {
    try {
      n += statSync(join(dir, f)).size;
    } catch {
      /* removed between the listing and the stat */
    }
  }
  return n;
}

/** The limits in turn, the order reversed every other round, so drift and cache warmth fall on each alike. */
function order(r: number): number[] {
  return r % 2 === 0 ? limits : [...limits].reverse();
}

async function withStore<T>(path: string, mb: number, f: (s: StoreBackend) => Promise<T>): Promise<T> {
  const s = await openDuckdbBackend(path, { memoryMb: mb });
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

async function questions(path: string, phase: string): Promise<void> {
  const qs = benchQuestions(new EventGenerator({ ...BENCH_WORKLOAD, events: EVENTS }), BENCH_WORKLOAD.now);
  for (let r = 0; r < ROUNDS; r++) {
    const got = new Map<number, AskNumbers>();
    for (const mb of order(r)) {
      progress(`${phase}, round ${r + 1}, ${mb} MB`);
      got.set(mb, await withStore(path, mb, (s) => askQuestions(s, qs, RUNS)));
    }
    const ref = got.get(limits[0]!)!;
    for (const mb of limits) {
      const a = got.get(mb)!;
      out({
        phase, events: EVENTS, round: r + 1, memory_mb: mb, p50_ms: a.p50_ms, p95_ms: a.p95_ms, max_ms: a.max_ms, digest: a.digest, same_answers: a.digest === ref.digest,
        ratio_p50: round(a.p50_ms / ref.p50_ms, 3), ratio_p95: round(a.p95_ms / ref.p95_ms, 3),
        worst: a.questions.reduce((w, q) => (q.p95_ms > w.p95_ms ? q : w)),
        per_question_p95: Object.fromEntries(a.questions.map((q, i) => [q.question, [q.p95_ms, round(q.p95_ms / ref.questions[i]!.p95_ms, 2)]])),
      });
    }
  }
}

async function spill(n: number): Promise<void> {
  const path = join(DIR, `fill-${n}.duckdb`);
  if (!existsSync(path)) {
    progress(`filling ${n.toLocaleString('en')} alerts`);
    await fillEvents(path, n);
  }
  for (let r = 0; r < ROUNDS; r++) {
    const got = new Map<number, { ms: number; rows: number; temp_mb_max: number; error?: string }>();
    for (const mb of order(r)) {
      rmSync(`${path}.tmp`, { recursive: true, force: true });
      got.set(mb, await withStore(path, mb, async (s) => {
        let most = 0;
        const poll = setInterval(() => (most = Math.max(most, tempBytes(path))), 10);
        const t = performance.now();
        try {
          const res = await s.query(slowQuery());
          return { ms: round(performance.now() - t, 1), rows: res.rows.length, temp_mb_max: round(most / 1048576, 1) };
        } catch (err) {
          return { ms: round(performance.now() - t, 1), rows: -1, temp_mb_max: round(most / 1048576, 1), error: String(err).slice(0, 200) };
        } finally {
          clearInterval(poll);
        }
      }));
    }
    const ref = got.get(limits[0]!)!;
    for (const mb of limits) {
      const g = got.get(mb)!;
      out({ phase: 'over-the-limit', alerts: n, round: r + 1, memory_mb: mb, ...g, within_query_timeout: g.ms < QUERY_TIMEOUT_MS, ratio: round(g.ms / ref.ms, 3) });
    }
  }
}

/** The node's hourly maintenance at each limit, on a fresh copy of the saved database each time: roll up every ended hour, then compact what is older than a day. */
async function maintenance(pristine: string): Promise<void> {
  for (let r = 0; r < Math.min(ROUNDS, 2); r++) {
    for (const mb of order(r)) {
      const path = join(DIR, `maint-${mb}.duckdb`);
      removeDb(path);
      copyFileSync(pristine, path);
      let most = 0;
      const poll = setInterval(() => (most = Math.max(most, tempBytes(path))), 10);
      const t = performance.now();
      try {
        const got = await withStore(path, mb, async (s) => ({ ...(await rollUpAll(s)), ...(await compactOlderThan(s)) }));
        out({ phase: 'maintenance', events: EVENTS, round: r + 1, memory_mb: mb, ...got, s: round((performance.now() - t) / 1000, 1), temp_mb_max: round(most / 1048576, 1) });
      } catch (err) {
        out({ phase: 'maintenance', events: EVENTS, round: r + 1, memory_mb: mb, error: String(err).slice(0, 200), s: round((performance.now() - t) / 1000, 1), temp_mb_max: round(most / 1048576, 1) });
      } finally {
        clearInterval(poll);
        removeDb(path);
      }
    }
  }
}

mkdirSync(DIR, { recursive: true });
if (process.env.MAINTENANCE === '1') {
  const p = await prepareDatabase('duckdb', EVENTS, DIR, `memory-limit-${EVENTS}`, { keep: true, reuse: true });
  await maintenance(p.pristine!);
  removeDb(p.path);
  process.exit(0);
}
for (const n of FILL) await spill(n);
const prepared = await prepareDatabase('duckdb', EVENTS, DIR, `memory-limit-${EVENTS}`, {
  keep: true, reuse: true, progress: (d, t) => progress(`ingested ${d / 1e6}M of ${t / 1e6}M`),
});
await questions(prepared.path, 'raw');
await withStore(prepared.path, limits[0]!, (s) => rollUpAll(s));
await questions(prepared.path, 'rolled_up');
removeDb(prepared.path);
