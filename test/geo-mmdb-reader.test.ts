// The paged .mmdb reader against the `maxmind` package (which reads the whole file) on the
// bundled DB-IP databases: the same record for every address asked, while holding no more
// of the file than its cache allows.
import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Reader } from 'maxmind';
import { defaultCityDatabases } from '../src/geo/default-databases.ts';
import { MmdbReader } from '../src/geo/mmdb-reader.ts';
import { buildMmdb } from '../src/geo/mmdb-writer.ts';
import { formatIPv4, parseIpv6 } from '../src/net/address.ts';

/** A fixed pseudo-random sequence (the same addresses every run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
}

test('the bundled IPv4 and IPv6 databases answer as maxmind does, within the cache bound', () => {
  const [v4Path, v6Path] = defaultCityDatabases();
  const cacheBytes = 2 * 2 ** 20;
  const v4 = MmdbReader.open(v4Path!, { cacheBytes });
  const v6 = MmdbReader.open(v6Path!, { cacheBytes });
  assert.equal(v6.cacheStats().pages, 0, 'opening reads the metadata only');
  const rnd = lcg(7);
  const ref4 = new Reader(readFileSync(v4Path!));
  let found = 0;
  for (let i = 0; i < 20_000; i++) {
    const a = rnd();
    const mine = v4.getIpv4(a);
    assert.deepEqual(mine, ref4.get(formatIPv4(a)), formatIPv4(a));
    if (mine !== null) found++;
  }
  assert.ok(found > 10_000, `most random addresses have a record (${found})`);
  const ref6 = new Reader(readFileSync(v6Path!));
  const g = new Uint16Array(8);
  for (let i = 0; i < 5_000; i++) {
    const text = `2${(rnd() % 0x1000).toString(16).padStart(3, '0')}:${(rnd() & 0xffff).toString(16)}::${(rnd() & 0xffff).toString(16)}`;
    assert.ok(parseIpv6(text, g));
    assert.deepEqual(v6.getIpv6(g), ref6.get(text), text);
  }
  for (const r of [v4, v6]) {
    const s = r.cacheStats();
    assert.ok(s.bytes <= cacheBytes, `held ${s.bytes} bytes, bound ${cacheBytes}`);
  }
  const s4 = v4.cacheStats();
  assert.ok(s4.misses > s4.pages, `the IPv4 file's pages were replaced once the cache was full: ${JSON.stringify(s4)}`);
  v4.close();
  v6.close();
});

test('values of every type and IPv4 under ::/96 of an IPv6 tree', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = testTempDir('autoimmune-mmdb-');
  try {
    const data = { s: 'Zürich', n: 7, big: 2n ** 70n, neg: -5, d: 1.25, t: true, f: false, a: [1, 'two', { three: 3 }], m: { nested: { deep: 'yes' } } };
    const file = join(dir, 'x.mmdb');
    writeFileSync(file, buildMmdb([{ network: '203.0.113.0/24', data }, { network: '2001:db8::/32', data: 'six' }], { databaseType: 'Test' }));
    const r = MmdbReader.open(file);
    assert.equal(r.metadata.databaseType, 'Test');
    assert.equal(r.metadata.ipVersion, 6);
    assert.deepEqual(r.getIpv4(0xcb007105), data);
    assert.equal(r.getIpv4(0xcb007205), null);
    const g = new Uint16Array(8);
    parseIpv6('2001:db8::1', g);
    assert.equal(r.getIpv6(g), 'six');
    parseIpv6('2001:db9::1', g);
    assert.equal(r.getIpv6(g), null);
    r.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
