// What the event store's memory tier costs a row: a run's stored rows (its events.duckdb)
// held as the memory tier holds them (src/store/memory-tier.ts, columns) and as EventRow
// objects (before), each measured alone as the main heap and array buffers they add after a
// full GC; and what the same rows cost queued for the database besides (their strings shared
// with the tier, as in a node): an EventRow object each in an array (before) against
// src/store/pending-rows.ts's columns. The rows are made as a node makes them: kind, node, detector and country shared
// words, type, source, target and detail a string each (flat, as the flush's clone into the store thread leaves them).
//   node --expose-gc --import tsx bench/node/memory-tier-bytes.ts STATE_DIR/events.duckdb
import type { EventRow } from '../../src/store/event-row.ts';
import { MemoryTier } from '../../src/store/memory-tier.ts';
import { PendingRows } from '../../src/store/pending-rows.ts';
import { storedRows } from './stored-rows.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const path = process.argv[2];
if (!path) throw new Error('usage: memory-tier-bytes.ts STATE_DIR/events.duckdb');

/** Strings made anew, as a node makes them (not the ones the database reader shares). */
const fresh = (s: string) => Buffer.from(s).toString();
const shared = new Map<string, string>();
const word = (s: string) => shared.get(s) ?? (shared.set(s, s), s);

const stored = await storedRows(path);
const rowsAsMade = (): EventRow[] =>
  stored.map((r) => {
    const o: EventRow = {
      id: r.id, kind: word(r.kind) as EventRow['kind'], at: r.at, type: fresh(r.type), source: fresh(r.source), target: fresh(r.target),
      country: r.country === null ? null : word(r.country), asn: r.asn, score: r.score, node: word(r.node), detector: word(r.detector), detail: fresh(r.detail),
    };
    if (r.n !== undefined) o.n = r.n;
    if (r.features) o.features = r.features;
    return o;
  });

const used = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Bytes held by what `hold` keeps of the rows (the rows array itself let go). */
function measure(hold: (rows: EventRow[]) => unknown): number {
  const base = used();
  let rows: EventRow[] | null = rowsAsMade();
  const held = hold(rows);
  rows = null;
  const bytes = used() - base;
  if (!held) throw new Error('nothing held');
  return bytes;
}

const n = stored.length;
const objects = measure((rows) => rows);
const inTier = (rows: EventRow[]) => {
  const t = new MemoryTier();
  for (const r of rows) t.push(r);
  return t;
};
const columns = measure(inTier);
const queuedObjects = measure((rows) => [inTier(rows), rows.slice()]) - columns;
const queuedColumns = measure((rows) => {
  const q = new PendingRows();
  for (const r of rows) q.push(r);
  return [inTier(rows), q];
}) - columns;
const detail = stored.reduce((s, r) => s + r.detail.length, 0) / n;
console.log(JSON.stringify({ rows: n, detail_chars_per_row: Math.round(detail), objects_bytes_per_row: Math.round(objects / n), columns_bytes_per_row: Math.round(columns / n), objects_mb: Math.round(objects / 104857.6) / 10, columns_mb: Math.round(columns / 104857.6) / 10,
  queued_objects_bytes_per_row: Math.round(queuedObjects / n), queued_columns_bytes_per_row: Math.round(queuedColumns / n) }));
