// The event store's queue for the database (src/store/pending-rows.ts): every take() gives
// back exactly the rows queued since the one before, in order, whether the queue kept its
// columns from the take before (up to 32,768 rows) or let a larger backlog's go; shedding
// drops the oldest.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { EventRow } from '../src/store/event-row.ts';
import { PendingRows } from '../src/store/pending-rows.ts';
import { fromColumns } from '../src/store/row-columns.ts';

const T0 = Date.UTC(2026, 11, 6, 3, 0);

/** Row i of batch b: words and strings that differ from batch to batch, so a stale value shows. */
function row(b: number, i: number): EventRow {
  const kind = (['flow', 'alert', 'decision'] as const)[(b + i) % 3]!;
  const r: EventRow = {
    id: b * 1_000_000 + i, kind, at: T0 + b * 1000 + i, type: `tcp/${b}-${i % 7}`, source: `198.51.${b % 250}.${i % 250}`, target: `2001:db8::${b.toString(16)}:${i.toString(16)}`,
    country: i % 5 === 0 ? null : `C${b}`, asn: i % 3 === 0 ? null : b * 10 + (i % 3), score: ((b + i) % 10) / 10, node: `n${b}`, detector: `d${b % 4}`, detail: `{"b":${b},"i":${i}}`,
  };
  if (i % 4 === 1) r.n = 2 + (i % 5);
  if (kind === 'alert' && i % 2 === 0) r.features = Float32Array.from([b, i]);
  return r;
}

test('each take gives the rows queued since the last, in order, through kept and dropped columns', () => {
  const q = new PendingRows();
  // 3,000 rows (columns grown to 4,096, kept), then fewer (stale rows past them must not show),
  // a backlog past the kept size (its columns let go), then small batches again.
  for (const [b, n] of [[1, 3000], [2, 5], [3, 2500], [4, 40_000], [5, 1], [6, 1500], [7, 0], [8, 33_000], [9, 700]] as const) {
    const want: EventRow[] = [];
    for (let i = 0; i < n; i++) {
      const r = row(b, i);
      q.push(r);
      want.push(r);
    }
    assert.equal(q.size, n);
    const got = q.take();
    assert.equal(got.count, n, `batch ${b}`);
    assert.deepEqual(fromColumns(got), want, `batch ${b}`);
    assert.equal(q.size, 0);
  }
});

test('a taken batch is not changed by the rows queued after it', () => {
  const q = new PendingRows();
  const first = Array.from({ length: 2000 }, (_, i) => row(1, i));
  for (const r of first) q.push(r);
  const taken = q.take();
  for (let i = 0; i < 3000; i++) q.push(row(2, i));
  assert.deepEqual(fromColumns(taken), first);
  assert.equal(q.take().count, 3000);
});

test('shed drops the oldest queued rows; the rest are taken in order', () => {
  const q = new PendingRows();
  for (let i = 0; i < 2000; i++) q.push(row(1, i));
  q.take();
  for (let i = 0; i < 1000; i++) q.push(row(2, i));
  q.shed(300);
  assert.equal(q.size, 700);
  assert.deepEqual(fromColumns(q.take()), Array.from({ length: 700 }, (_, i) => row(2, 300 + i)));
});
