// The event store's memory tier as columns (src/store/memory-tier.ts): what goes in comes back
// the same, through growth, eviction by time and by count, and the moves that reuse its room.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { EventRow } from '../src/store/event-row.ts';
import { MemoryTier } from '../src/store/memory-tier.ts';

const T0 = Date.UTC(2026, 11, 6, 3, 0);

/** Row i: every kind, null and non-null country and ASN (0 included), n on some, a vector on some alerts. */
function row(i: number): EventRow {
  const kind = (['flow', 'alert', 'decision'] as const)[i % 3]!;
  const r: EventRow = {
    id: 1_765_000_000_000_000 + i, kind, at: T0 + i * 10, type: kind === 'flow' ? `tcp/${[22, 80, 443][i % 3]}` : 'port-scan-vertical',
    source: `198.51.100.${i % 250}`, target: i % 7 === 0 ? '*' : `2001:db8::${i.toString(16)}`, country: i % 5 === 0 ? null : ['CN', 'US'][i % 2]!,
    asn: i % 5 === 0 ? null : i % 11 === 0 ? 0 : 4134 + (i % 3), score: (i % 10) / 10, node: 'n1', detector: kind === 'flow' ? 'flow-meter' : 'rules',
    detail: `{"packets":${i}}`,
  };
  if (i % 4 === 1) r.n = 2 + (i % 5);
  if (kind === 'alert' && i % 2 === 0) r.features = Float32Array.from([i, i + 0.5]);
  return r;
}

test('rows come back as they went in, oldest first, through growth and evictions by time and by count', () => {
  const tier = new MemoryTier();
  const held: EventRow[] = [];
  for (let i = 0; i < 20_000; i++) {
    const r = row(i);
    tier.push(r);
    held.push(r);
    if (i % 997 === 0) {
      // by time: the rows of the last 30 s (3,000 rows)
      const horizon = r.at - 30_000;
      tier.evict(horizon);
      while (held[0]!.at < horizon) held.shift();
    }
    if (i % 1499 === 0) {
      tier.evict(-Infinity, 1200);
      held.splice(0, Math.max(0, held.length - 1200));
    }
    if (i % 2503 === 0) {
      assert.equal(tier.size, held.length);
      assert.deepEqual([...tier.rows()], held, `after row ${i}`);
    }
  }
  assert.equal(tier.size, held.length);
  assert.deepEqual([...tier.rows()], held);
  assert.equal(tier.oldestAt(), held[0]!.at);
});

test('rows of one kind and a time range are those the filter keeps; an empty tier has no oldest row', () => {
  const tier = new MemoryTier();
  assert.equal(tier.oldestAt(), undefined);
  const all = Array.from({ length: 3000 }, (_, i) => row(i));
  for (const r of all) tier.push(r);
  const from = T0 + 5_000;
  const to = T0 + 20_000;
  for (const kind of ['alert', 'decision', 'flow'] as const) {
    assert.deepEqual([...tier.rows(kind, from, to)], all.filter((r) => r.kind === kind && r.at >= from && r.at < to), kind);
  }
  tier.evict(Infinity);
  assert.equal(tier.size, 0);
  assert.deepEqual([...tier.rows()], []);
});
