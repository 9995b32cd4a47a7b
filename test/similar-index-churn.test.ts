// The similarity index under retention's churn: alerts added and, a bound later, removed, for
// ever. usearch 2.25.3 failed some removals once its key table held no empty slot (every slot
// live or a tombstone): `remove` returned 0 and the key stayed, and with it the vector, which
// a search could return although the store no longer had the alert (364 of 1,500 removals
// here). usearch 2.26 rehashes its key table to reclaim tombstones (upstream pull request
// 769); SimilarIndex also checks every removal and, should one fail, rebuilds the key table
// and removes again (similar-index.ts, removeFromGraph).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { EventStore } from '../src/store/event-store.ts';
import { SimilarIndex } from '../src/store/similar-index.ts';
import { uniform } from '../devkit/prng.ts';

const DIM = 8;
const KEEP = 1000;
const TOTAL = 2500;

function vector(rnd: () => number): Float64Array {
  const v = new Float64Array(DIM);
  for (let j = 0; j < DIM; j++) v[j] = rnd() * 1000;
  return v;
}

test('every alert removed under churn is gone from the index: not kept, not counted, never a search hit', () => {
  const rnd = uniform(17);
  const index = new SimilarIndex({ dimensions: DIM, fitCount: 64 });
  const vectors: Float64Array[] = [];
  for (let id = 0; id < TOTAL; id++) {
    vectors.push(vector(rnd));
    index.add(id, vectors[id]);
    if (id >= KEEP) index.remove(id - KEEP);
  }
  const gone = Array.from({ length: TOTAL - KEEP }, (_, i) => i).filter((id) => index.has(id));
  assert.deepEqual(gone.slice(0, 10), [], `${gone.length} of ${TOTAL - KEEP} removed alerts are still in the index (first 10 shown)`);
  assert.equal(index.size, KEEP);
  // A removed alert's own vector, searched wide, finds only alerts still kept.
  for (let id = 0; id < TOTAL - KEEP; id += 7) {
    for (const h of index.search(vectors[id], 50)) assert.ok(h.id >= TOTAL - KEEP, `a search for removed alert ${id}'s vector returns removed alert ${h.id}`);
  }
  // Every kept alert is still there, and the index still finds them.
  for (let id = TOTAL - KEEP; id < TOTAL; id++) assert.ok(index.has(id), `kept alert ${id} is in the index`);
  let found = 0;
  for (let id = TOTAL - KEEP; id < TOTAL; id += 10) if (index.search(vectors[id], 10).some((h) => h.id === id)) found++;
  assert.ok(found >= 95, `${found} of 100 kept alerts find themselves among their 10 nearest`);
});

test("a store without a database: the index forgets every alert the memory tier lets go, and answers only with kept ones", () => {
  const rnd = uniform(29);
  const index = new SimilarIndex({ dimensions: DIM, fitCount: 64 });
  const store = new EventStore({ node: 'n1', backend: null, index, memoryMs: 3_600_000, maxMemoryRows: KEEP, now: () => 1_700_000_000_000 });
  const rows = Array.from({ length: TOTAL }, (_, i) => {
    const ts = 1_700_000_000 + i;
    const features = Array.from(vector(rnd));
    return store.addAlert({
      type: 'port-scan-vertical', source: `203.0.113.${(i % 250) + 1}`, target: '10.0.0.1', score: 0.9, ts, firstTs: ts,
      detector: 'rules', blockable: true, evidence: {}, features,
    } as Alert);
  });
  assert.equal(store.stats.forgotten, TOTAL - KEEP);
  const letGo = rows.slice(0, TOTAL - KEEP).filter((r) => index.has(r.id)).length;
  assert.equal(letGo, 0, `${letGo} alerts let go are still in the index`);
  assert.equal(index.size, KEEP);
  const kept = new Set(rows.slice(TOTAL - KEEP).map((r) => r.id));
  for (const r of rows.slice(0, TOTAL - KEEP).filter((_, i) => i % 7 === 0)) {
    for (const h of store.similar(r.features!, 50)) assert.ok(kept.has(h.id), `"events like" a let-go alert names alert ${h.id}, which the store no longer has`);
  }
});
