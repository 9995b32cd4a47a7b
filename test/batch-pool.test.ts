// Reused packet batches and feature buffers on the packet path (src/net/batch-pool.ts,
// Enrichment's released buffers): a reused batch or buffer holds exactly what a new one
// would, and a release that must not count (twice, a buffer sent to a thread, another
// pool's batch) is ignored.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Enrichment } from '../src/detect/enrichment.ts';
import { FlowFeatureExtractor } from '../src/detect/flow-features.ts';
import { BatchPool } from '../src/net/batch-pool.ts';
import { PACKET_COLUMNS, PacketBatch } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { ShardRouter } from '../src/net/shard-router.ts';

const FILE = new URL('./fixtures/captures/recorded_brute_hydra-ftp.pcap', import.meta.url).pathname;

/** The capture in batches of 64 rows (the last one shorter). */
function capture(): PacketBatch[] {
  const out: PacketBatch[] = [];
  readCaptureSync(FILE, (b) => {
    for (let i = 0; i < b.length; i++) {
      if (i % 64 === 0) out.push(new PacketBatch(64));
      out[out.length - 1]!.appendRow(b, i);
    }
  });
  return out;
}

/** Row i of b, every column, as plain values. */
function row(b: PacketBatch, i: number): unknown[] {
  return PACKET_COLUMNS.map((c) => {
    const col = (b as unknown as Record<string, ArrayLike<number>>)[c]!;
    const per = col.length / b.capacity;
    return Array.from({ length: per }, (_, k) => col[i * per + k]);
  });
}

test('a released batch is handed out again, empty; a second release, a foreign batch and a detached buffer are ignored', () => {
  const pool = new BatchPool(8, 2);
  const a = pool.take();
  a.length = 5;
  a.release();
  a.release();
  const b = pool.take();
  assert.equal(b, a, 'the released batch is reused');
  assert.equal(b.length, 0, 'and comes back empty');
  assert.notEqual(pool.take(), a, 'released once, handed out once');
  new PacketBatch(8).release(); // no pool: nothing happens
  const other = new BatchPool(8).take();
  pool.give(other);
  assert.notEqual(pool.take(), other, 'another pool\'s batch is not taken in');
  const sent = pool.take();
  structuredClone(sent.buffer, { transfer: [sent.buffer] }); // as when a batch goes to a worker thread
  sent.release();
  assert.notEqual(pool.take(), sent, 'a detached batch is not reused');
  const many = [pool.take(), pool.take(), pool.take()];
  for (const m of many) m.release();
  assert.deepEqual([pool.take(), pool.take()], [many[1], many[0]], 'at most maxFree are kept');
  assert.notEqual(pool.take(), many[2]);
});

test('a router that refills released batches hands out the same rows as one that never reuses', () => {
  const batches = capture();
  const route = (release: boolean): unknown[][] => {
    const rows: unknown[][] = [];
    const r = new ShardRouter(2, 16, (_s, b) => {
      for (let i = 0; i < b.length; i++) rows.push(row(b, i));
      if (release) b.release();
    });
    for (const b of batches) {
      r.route(b);
      r.flush();
    }
    if (release) assert.ok(r.pool.reused > r.pool.built, `reused ${r.pool.reused}, built ${r.pool.built}`);
    return rows;
  };
  const fresh = route(false);
  assert.ok(fresh.length > 100);
  assert.deepEqual(route(true), fresh);
});

test('an enricher refills the feature buffer its consumer released, with the values a new buffer gets', () => {
  const batches = capture();
  const pooled = new Enrichment(0, new FlowFeatureExtractor(), null);
  const plain = new Enrichment(0, new FlowFeatureExtractor(), null);
  const pool = new BatchPool(64);
  assert.ok(batches.length > 5);
  let reused = 0;
  let last: Float64Array | null = null;
  for (const b of batches) {
    const p = pool.take();
    for (let i = 0; i < b.length; i++) p.appendRow(b, i);
    const e = pooled.enrich(p);
    const want = plain.enrich(b);
    if (e.features === last) reused++;
    assert.deepEqual(Array.from(e.features.subarray(0, b.length * e.featureCount)), Array.from(want.features.subarray(0, b.length * want.featureCount)));
    assert.equal(want.features.length, Math.max(b.length, b.capacity) * want.featureCount, 'a batch without a pool gets a buffer for a full batch of its size');
    last = e.features;
    e.release!();
    assert.equal(e.release, undefined, 'released once');
  }
  assert.equal(reused, batches.length - 1, 'every batch after the first reused the buffer released before it');
  assert.equal(pool.built, 1, 'and the packet batch');
});

test('batches of every size come back (a live router sizes them to the traffic): a take gets a released one that holds its rows, never a smaller one', () => {
  const pool = new BatchPool(256);
  const small = pool.take(16);
  const mid = pool.take(64);
  small.release();
  mid.release();
  assert.equal(pool.take(32), mid, 'the 64-row batch holds 32 rows');
  assert.notEqual(pool.take(32), small, 'the 16-row one does not');
  assert.equal(pool.take(16), small, 'but holds 16');
  assert.equal(pool.built, 3);
  assert.equal(pool.reused, 2);
});

test('a buffer back from a worker thread is adopted as a pooled batch; one too small is not', () => {
  const pool = new BatchPool(8, 2);
  const sent = pool.take();
  sent.length = 3;
  sent.src4[2] = 0x0a000001;
  // to the thread and back, as the shard worker's batches go
  const back = structuredClone(sent.buffer, { transfer: [sent.buffer] });
  assert.equal(sent.buffer.byteLength, 0);
  pool.adopt(back);
  const again = pool.take();
  assert.equal(again.buffer, back, 'the batch handed out is over the returned buffer');
  assert.equal(again.length, 0);
  assert.equal(again.capacity, 8);
  assert.equal(again.src4[2], 0x0a000001, 'columns read the same bytes');
  again.release();
  assert.equal(pool.take(), again, 'and goes back to the pool like any of its batches');
  const built = pool.built;
  pool.adopt(new PacketBatch(4).buffer);
  pool.take(4);
  assert.equal(pool.built, built + 1, 'a smaller buffer is not taken in: even a take of 4 rows is built anew');
});
