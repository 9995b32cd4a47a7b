import { strict as assert } from 'node:assert';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { GeoConfigError, GeoDbCorruptError, GeoDbMissingError, GeoDbUnreadableError } from '../src/geo/errors.ts';
import { openGeoLookup } from '../src/geo/geo-lookup.ts';
import type { GeoLookup } from '../src/geo/geo-lookup.ts';
import { tableCounters } from '../src/detect/table-report.ts';
import { enricherSpec } from '../src/actors/enricher.ts';
import { buildMmdb } from '../src/geo/mmdb-writer.ts';
import type { MmdbNetwork } from '../src/geo/mmdb-writer.ts';

let dir: string;
let asnDb: string;
let cityDb: string;
let bundled: GeoLookup;

// No ASN database ships in an npm package we can use, so the ASN answers come from a small
// database in the GeoLite2-ASN layout written here, with the real assignments of these
// well-known blocks (the same numbers any ASN database gives).
const ASN_RECORDS: MmdbNetwork[] = [
  { network: '8.8.8.0/24', data: { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' } },
  { network: '1.1.1.0/24', data: { autonomous_system_number: 13335, autonomous_system_organization: 'CLOUDFLARENET' } },
  { network: '130.83.0.0/16', data: { autonomous_system_number: 680, autonomous_system_organization: 'Verein zur Foerderung eines Deutschen Forschungsnetzes e.V.' } },
  { network: '2001:4860::/32', data: { autonomous_system_number: 15169, autonomous_system_organization: 'GOOGLE' } },
];

// A City database in the GeoIP2 layout (the user's own GeoLite2-City has this shape).
const CITY_RECORDS: MmdbNetwork[] = [
  {
    network: '81.2.69.0/24',
    data: {
      city: { geoname_id: 2643743, names: { en: 'London', de: 'London' } },
      country: { geoname_id: 2635167, iso_code: 'GB', names: { en: 'United Kingdom' } },
      location: { accuracy_radius: 10, latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' },
      registered_country: { geoname_id: 3017382, iso_code: 'FR', names: { en: 'France' } },
    },
  },
  {
    // an anycast block: no location, only the registered country
    network: '2001:218::/32',
    data: { registered_country: { geoname_id: 1861060, iso_code: 'JP', names: { en: 'Japan' } } },
  },
];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autoimmune-geo-'));
  asnDb = join(dir, 'GeoLite2-ASN.mmdb');
  cityDb = join(dir, 'GeoLite2-City.mmdb');
  await writeFile(asnDb, buildMmdb(ASN_RECORDS, { databaseType: 'GeoLite2-ASN' }));
  await writeFile(cityDb, buildMmdb(CITY_RECORDS, { databaseType: 'GeoLite2-City' }));
  bundled = await openGeoLookup();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the bundled DB-IP Lite databases answer for well-known public addresses', () => {
  const google = bundled.lookup('8.8.8.8');
  assert.equal(google.addressClass, 'public');
  assert.equal(google.country, 'US');
  assert.equal(typeof google.city, 'string');
  assert.ok(google.latitude !== null && Math.abs(google.latitude) <= 90, `latitude ${google.latitude}`);
  assert.ok(google.longitude !== null && Math.abs(google.longitude) <= 180, `longitude ${google.longitude}`);
  assert.equal(google.asn, null, 'no ASN database by default');
  assert.equal(bundled.lookup(0x08080808), google, 'uint32 and text give the same answer');
  assert.equal(bundled.lookup('::ffff:8.8.8.8').country, 'US', 'v4-mapped IPv6 answers for its IPv4 address');
  assert.equal(bundled.lookup('130.83.2.1').country, 'DE'); // TU Darmstadt
  assert.equal(bundled.lookup('133.11.0.1').country, 'JP'); // University of Tokyo
  assert.equal(bundled.lookup('2001:638:807::1').country, 'DE'); // DFN, the German research network
  assert.deepEqual(
    bundled.databases.map((d) => [d.kind, d.ipVersion]),
    [
      ['city', 4],
      ['city', 6],
    ],
  );
});

test('a GeoLite2-ASN database adds AS numbers and organisations', async () => {
  const geo = await openGeoLookup({ asnDb });
  const google = geo.lookup('8.8.8.8');
  assert.equal(google.country, 'US');
  assert.equal(google.asn, 15169);
  assert.equal(google.asnOrg, 'GOOGLE');
  assert.equal(geo.lookup(0x01010101).asn, 13335);
  assert.equal(geo.lookup('130.83.1.1').asn, 680);
  assert.equal(geo.lookup('2001:4860:4860::8888').asn, 15169);
  assert.equal(geo.lookup('9.9.9.9').asn, null, 'not in this small ASN file');
  assert.equal(geo.lookup('9.9.9.9').country, 'US');
});

test('a GeoIP2-layout City database is read: country, city, location, registered country', async () => {
  const geo = await openGeoLookup({ cityDb, asnDb: [asnDb] });
  assert.deepEqual({ ...geo.lookup('81.2.69.160') }, {
    addressClass: 'public',
    country: 'GB',
    city: 'London',
    latitude: 51.5142,
    longitude: -0.0931,
    asn: null,
    asnOrg: null,
  });
  const anycast = geo.lookup('2001:218::1');
  assert.equal(anycast.country, 'JP');
  assert.equal(anycast.city, null);
  assert.equal(anycast.latitude, null);
  const unknown = geo.lookup('8.8.4.4');
  assert.equal(unknown.addressClass, 'public');
  assert.equal(unknown.country, null);
  assert.equal(geo.lookup('8.8.8.8').asn, 15169, 'ASN without a location');
});

test('private and reserved addresses are tagged and not looked up', async () => {
  const geo = await openGeoLookup({ asnDb });
  const cases: Array<[number | string, string]> = [
    ['10.1.2.3', 'private'],
    [0xc0a80101, 'private'],
    ['172.20.0.5', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.10.1', 'link-local'],
    ['100.100.0.1', 'cgnat'],
    ['224.0.0.251', 'multicast'],
    ['240.0.0.7', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'documentation'],
    ['fd12:3456::1', 'private'],
    ['fe80::1%eth0', 'link-local'],
    ['::1', 'loopback'],
    ['ff02::fb', 'multicast'],
    ['::ffff:10.0.0.1', 'private'],
    ['2001:db8::5', 'documentation'],
    ['no such address', 'invalid'],
  ];
  for (const [address, cls] of cases) {
    const info = geo.lookup(address);
    assert.equal(info.addressClass, cls, String(address));
    assert.equal(info.country, null);
    assert.equal(info.asn, null);
  }
  const st = geo.stats();
  assert.equal(st.lookups, cases.length);
  assert.equal(st.reserved, cases.length - 1, 'all but the invalid text are tagged');
  assert.equal(st.invalid, 1);
  assert.equal(st.cacheHits + st.cacheMisses, 0, 'no database lookup, no cache entry');
  assert.equal(st.cacheEntries, 0);
});

test('the cache answers repeated lookups and counts hits, misses and evictions', async () => {
  const geo = await openGeoLookup({ asnDb, cacheSize: 2 });
  const first = geo.lookup(0x08080808);
  assert.equal(geo.lookup(0x08080808), first);
  assert.equal(geo.lookup(0x08080808), first);
  assert.equal(geo.lookup('8.8.8.8'), first, 'text and uint32 share one entry');
  const { files, ...counts } = geo.stats();
  assert.deepEqual(counts, { lookups: 4, cacheHits: 3, cacheMisses: 1, cacheEntries: 1, cacheEvictions: 0, reserved: 0, invalid: 0, errors: 0 });
  assert.ok(files.pages > 0 && files.bytes === files.pages * 4096, `pages of the files read on demand: ${JSON.stringify(files)}`);
  geo.lookup('1.1.1.1');
  geo.lookup('9.9.9.9'); // evicts 8.8.8.8
  geo.lookup(0x08080808);
  geo.lookup('2001:4860:4860::8888');
  geo.lookup('2001:4860:4860::8888');
  const st = geo.stats();
  assert.equal(st.cacheMisses, 5);
  assert.equal(st.cacheHits, 4);
  assert.equal(st.cacheEntries, 2);
  assert.equal(st.cacheEvictions, 3);
});

test("its caches are reported as the shards' tables are: entries and bounds from the config, once a thread (by shard 0's enricher)", async () => {
  const geo = await openGeoLookup({ asnDb, cacheSize: 2, readCacheMb: 1 });
  const files = new Set(geo.databases.map((d) => d.path)).size;
  const { 'table.geoPages': held, ...before } = tableCounters(geo.tables());
  assert.deepEqual(before, { 'table.geoAddresses': 0, 'table.geoAddresses.bound': 2, 'table.geoPages.bound': files * 256 });
  assert.equal(held, geo.stats().files.pages, 'the pages its files hold (a file is opened once a process: earlier lookups may have read some)');
  for (const a of ['8.8.8.8', '1.1.1.1', '9.9.9.9']) geo.lookup(a);
  const after = tableCounters(geo.tables());
  assert.equal(after['table.geoAddresses'], 2, 'at its bound');
  assert.equal(after['table.geoPages'], geo.stats().files.pages);
  assert.ok(after['table.geoPages']! > 0 && after['table.geoPages']! <= files * 256);
  const stats = (shard: number) => enricherSpec({ shard, features: {}, geo, mailbox: { capacity: 16, overflow: 'reject' } }).stats!();
  for (const [k, v] of Object.entries(after)) assert.equal(stats(0)[k], v, k);
  assert.deepEqual(Object.keys(stats(1)).filter((k) => k.includes('geo')), [], 'the lookup is shared: the other shards leave it out');
});

test('a missing database is an error naming the file', async () => {
  const path = join(dir, 'nope', 'GeoLite2-City.mmdb');
  await assert.rejects(openGeoLookup({ cityDb: path }), (e: unknown) => {
    assert.ok(e instanceof GeoDbMissingError, String(e));
    assert.equal(e.code, 'AI_ERR_GEO_DB_MISSING');
    assert.equal(e.path, path);
    assert.ok(e.message.includes(path) && e.message.includes('cityDb'), e.message);
    return true;
  });
  await assert.rejects(openGeoLookup({ asnDb: join(dir, 'missing-asn.mmdb') }), (e: unknown) => e instanceof GeoDbMissingError && e.message.includes('asnDb'));
});

test('a corrupt database is an error naming the file', async () => {
  const garbage = join(dir, 'garbage.mmdb');
  let seed = 5;
  const bytes = Buffer.alloc(64 * 1024, 0).map(() => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
  await writeFile(garbage, bytes);
  const empty = join(dir, 'empty.mmdb');
  await writeFile(empty, '');
  const truncated = join(dir, 'truncated.mmdb');
  const whole = buildMmdb(ASN_RECORDS, { databaseType: 'GeoLite2-ASN' });
  await writeFile(truncated, whole.subarray(0, whole.length >> 1)); // metadata is at the end
  const gz = join(dir, 'GeoLite2-ASN.mmdb.gz');
  await writeFile(gz, gzipSync(whole));
  for (const path of [garbage, empty, truncated, gz]) {
    await assert.rejects(openGeoLookup({ cityDb: [], asnDb: path }), (e: unknown) => {
      assert.ok(e instanceof GeoDbCorruptError, `${path}: ${String(e)}`);
      assert.equal(e.code, 'AI_ERR_GEO_DB_CORRUPT');
      assert.equal(e.path, path);
      assert.ok(e.message.includes(path), e.message);
      return true;
    });
  }
  await assert.rejects(openGeoLookup({ cityDb: [], asnDb: gz }), /gzip/);
  const aDir = join(dir, 'a-directory.mmdb');
  await mkdir(aDir);
  await assert.rejects(openGeoLookup({ cityDb: aDir }), (e: unknown) => e instanceof GeoDbUnreadableError && e.code === 'AI_ERR_GEO_DB_UNREADABLE' && e.message.includes(aDir));
});

test('bad configuration values are refused', async () => {
  await assert.rejects(openGeoLookup({ cacheSize: 0 }), (e: unknown) => e instanceof GeoConfigError && e.field === 'cacheSize' && e.code === 'AI_ERR_GEO_CONFIG');
  await assert.rejects(openGeoLookup({ cityDb: 42 as unknown as string }), (e: unknown) => e instanceof GeoConfigError && e.field === 'cityDb');
  await assert.rejects(openGeoLookup({ asnDb: [''] }), (e: unknown) => e instanceof GeoConfigError && e.field === 'asnDb');
});

test('an empty city list still classifies and answers public addresses as unknown', async () => {
  const geo = await openGeoLookup({ cityDb: [] });
  assert.equal(geo.lookup('8.8.8.8').addressClass, 'public');
  assert.equal(geo.lookup('8.8.8.8').country, null);
  assert.equal(geo.lookup('10.0.0.1').addressClass, 'private');
});
