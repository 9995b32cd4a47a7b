// What an alert carries from the batch that made it, found in one pass: the vector and GeoIP
// of the source's last row (or, for a source seen only as a destination, the vector of that
// row and no GeoIP), whether any of its rows was SOURCE_SEEN, for IPv4 and IPv6 sources.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { addressRows, describeAlert } from '../src/detect/describe-alert.ts';
import type { EnrichedBatch } from '../src/detect/enrichment.ts';
import { EvidenceGrader } from '../src/detect/evidence-grade.ts';
import type { GeoInfo } from '../src/geo/geo-lookup.ts';
import { formatIPv4, parseIpv4 } from '../src/net/address.ts';
import { PacketBatch, PacketFlags } from '../src/net/packet-batch.ts';
import { ip4, ip6 } from './fixtures/net/frames.ts';

const FC = 3;

/** Rows [source, destination, extra flags]; each row's features are [row, row, row]; a source's GeoIP country is `C<its last row>`. */
function batch(rows: Array<[string, string, number?]>): EnrichedBatch<GeoInfo | undefined> {
  const p = new PacketBatch(64);
  const features = new Float64Array(rows.length * FC);
  const geoOf = new Map<string, GeoInfo>();
  rows.forEach(([s, d, extra], i) => {
    const v6 = s.includes(':');
    p.flags[i] = (v6 ? PacketFlags.IPV6 : PacketFlags.IPV4) | (extra ?? 0);
    if (v6) {
      p.src.set(ip6(s), i * 16);
      p.dst.set(ip6(d), i * 16);
    } else {
      p.src4[i] = parseIpv4(s);
      p.dst4[i] = parseIpv4(d);
      p.src.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip4(s)], i * 16);
      p.dst.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip4(d)], i * 16);
    }
    p.ipVersion[i] = v6 ? 6 : 4;
    features.fill(i, i * FC, (i + 1) * FC);
    geoOf.set(s, { addressClass: 'public', country: `C${i}`, city: null, latitude: 0, longitude: 0, asn: i, asnOrg: null });
  });
  p.length = rows.length;
  return { shard: 0, packets: p, features, featureCount: FC, geo: { lookup: (a) => geoOf.get(typeof a === 'number' ? formatIPv4(a) : a) } };
}

function alert(source: string): Alert {
  return { type: 'scan-probe', source, target: '*', score: 0.6, ts: 1, firstTs: 0, detector: 'rules', blockable: true, evidence: {} };
}

const A6 = '2001:db8::a';
const S6 = '2001:db8::5';

test('an IPv6 source: the vector and GeoIP of its last row as a source, SOURCE_SEEN from any of its rows', () => {
  const b = batch([
    [A6, S6, PacketFlags.SOURCE_SEEN],
    [S6, A6],
    [A6, S6],
    ['2001:db8::b', S6],
    [S6, A6],
  ]);
  assert.deepEqual(addressRows(b.packets, A6, { lastSrc: 0, lastDst: 0, sourceSeen: false }), { lastSrc: 2, lastDst: 4, sourceSeen: true });
  const a = alert(A6);
  describeAlert(a, b, new EvidenceGrader());
  assert.deepEqual(a.features, [2, 2, 2]);
  assert.equal(a.geo?.country, 'C2');
  assert.equal(a.sourceSeen, true);
  assert.equal(a.grade, 'forgeable', 'no verified connection was observed');
});

test('a source seen only as a destination (a login alert in the server\'s shard): that row\'s vector, no GeoIP', () => {
  const b = batch([
    ['192.0.2.5', '198.51.100.2'],
    ['192.0.2.5', '198.51.100.7'],
    ['192.0.2.5', '198.51.100.2'],
    ['192.0.2.5', '198.51.100.9'],
  ]);
  const a = alert('198.51.100.2');
  describeAlert(a, b, new EvidenceGrader());
  assert.deepEqual(a.features, [2, 2, 2]);
  assert.equal(a.geo, undefined);
  assert.equal(a.sourceSeen, false);
});

test('an IPv4 source matches IPv4 rows only (not an IPv6 row holding the same address mapped), and an address in no row leaves the alert bare', () => {
  const b = batch([
    ['198.51.100.2', '192.0.2.5'],
    ['::ffff:198.51.100.2', '2001:db8::5'],
  ]);
  assert.deepEqual(addressRows(b.packets, '198.51.100.2', { lastSrc: 0, lastDst: 0, sourceSeen: true }), { lastSrc: 0, lastDst: -1, sourceSeen: false });
  assert.deepEqual(addressRows(b.packets, '::ffff:198.51.100.2', { lastSrc: 0, lastDst: 0, sourceSeen: true }), { lastSrc: 1, lastDst: -1, sourceSeen: false });
  const none = alert('203.0.113.1');
  describeAlert(none, b, new EvidenceGrader());
  assert.equal(none.features, undefined);
  assert.equal(none.geo, undefined);
  assert.equal(none.sourceSeen, false);
  const notAddress = alert('*');
  describeAlert(notAddress, b, new EvidenceGrader());
  assert.equal(notAddress.features, undefined);
});
