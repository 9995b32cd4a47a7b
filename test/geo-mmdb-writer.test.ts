import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Reader } from 'maxmind';
import { buildMmdb } from '../src/geo/mmdb-writer.ts';

test('values of every type survive a round trip through the maxmind reader', () => {
  const data = {
    text: 'Zürich',
    long: 'x'.repeat(70_000), // the three-byte size form
    medium: 'y'.repeat(300),
    zero: 0,
    small: 255,
    uint32: 4_294_967_295,
    negative: -42,
    double: 51.5142,
    yes: true,
    no: false,
    big: 2n ** 100n,
    list: ['a', 1, [2, { deep: 'ok' }]],
    nested: { names: { en: 'London' } },
  };
  const r = new Reader(buildMmdb([{ network: '81.2.69.0/24', data }], { databaseType: 'Round-Trip' }));
  assert.deepEqual(r.get('81.2.69.1'), data);
  assert.equal(r.get('81.2.70.1'), null);
  assert.equal(r.metadata.databaseType, 'Round-Trip');
  assert.equal(r.metadata.ipVersion, 6);
});

test('narrower networks override the broader one they sit in; IPv4-only trees work', () => {
  for (const ipVersion of [4, 6] as const) {
    const r = new Reader(
      buildMmdb(
        [
          { network: '10.0.0.0/8', data: { n: 8 } },
          { network: '10.1.0.0/16', data: { n: 16 } },
          { network: '10.1.2.3/32', data: { n: 32 } },
        ],
        { databaseType: 'Nest', ipVersion },
      ),
    );
    assert.deepEqual(r.get('10.200.0.1'), { n: 8 }, `v${ipVersion}`);
    assert.deepEqual(r.get('10.1.9.9'), { n: 16 });
    assert.deepEqual(r.get('10.1.2.3'), { n: 32 });
    assert.deepEqual(r.get('10.1.2.4'), { n: 16 });
    assert.equal(r.get('11.0.0.1'), null);
  }
  assert.throws(() => buildMmdb([{ network: '2001:db8::/32', data: 1 }], { databaseType: 'x', ipVersion: 4 }), /IPv6 network/);
  assert.throws(() => buildMmdb([{ network: '10.0.0.0/33', data: 1 }], { databaseType: 'x' }), /prefix length/);
});
