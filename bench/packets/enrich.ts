// enrich_pps: GeoIP enrichment alone (the bundled DB-IP Lite City databases behind the
// lookup cache), over a realistic address mix. Run directly
// (`node --import tsx bench/packets/enrich.ts`) it prints one JSON line per result;
// bench/run.ts imports benchEnrich().

import { pathToFileURL } from 'node:url';
import { openGeoLookup } from '../../src/geo/geo-lookup.ts';
import type { GeoLookup } from '../../src/geo/geo-lookup.ts';
import { lcg, syntheticStream, zipfSampler } from './features.ts';
import type { Result } from '../report.ts';

interface AddressMix {
  src: Array<number | string>;
  dst: Array<number | string>;
}

/**
 * Per packet a source and a destination. 90% IPv4 from the synthetic flow stream (half the
 * hosts in 10/8, half public, Zipf-distributed), 8% IPv6 text from a Zipf pool of 2,000
 * (public, link-local, ULA), and 2% from fresh random IPv4 sources (scan and spoofing
 * noise: always a cache miss).
 */
export function addressMix(count: number, seed = 17): AddressMix {
  const rnd = lcg(seed);
  const st = syntheticStream(count, 4000, seed);
  const v6: string[] = [];
  const prefixes = ['2a00:1450:4001', '2001:638:807', '2606:4700:4700', '2a02:26f0:fe', '2001:4860:4860', 'fe80:0:0', 'fd12:3456:789a'];
  for (let i = 0; i < 2000; i++) {
    const p = prefixes[i % prefixes.length];
    v6.push(`${p}:${((i * 7919) % 65536).toString(16)}::${(i % 250) + 1}`);
  }
  const pickV6 = zipfSampler(v6.length, 1.1, rnd);
  const src: Array<number | string> = new Array(count);
  const dst: Array<number | string> = new Array(count);
  for (let n = 0; n < count; n++) {
    const r = rnd();
    if (r < 0.9) {
      src[n] = st.src[n];
      dst[n] = st.dst[n];
    } else if (r < 0.98) {
      src[n] = v6[pickV6()];
      dst[n] = v6[pickV6()];
    } else {
      src[n] = (0x01000000 + Math.floor(rnd() * 0xde000000)) >>> 0;
      dst[n] = st.dst[n];
    }
  }
  return { src, dst };
}

function timeLookups(geo: GeoLookup, mix: AddressMix): number {
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (let n = 0; n < mix.src.length; n++) {
    if (geo.lookup(mix.src[n]).country !== null) sink++;
    if (geo.lookup(mix.dst[n]).country !== null) sink++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink < 0) console.log(sink); // keep the loop's result alive
  return seconds;
}

export async function benchEnrich(packets = 1_000_000): Promise<Result[]> {
  // each pass: a fresh lookup (cold cache, shared database readers) over a mix it has not
  // seen, so the fresh sources really miss; pass 0 only warms up the JIT
  const times: number[] = [];
  let hits = 0;
  let publicLookups = 0;
  for (let r = 0; r <= 3; r++) {
    const mix = addressMix(packets, 17 + r);
    const geo = await openGeoLookup();
    const seconds = timeLookups(geo, mix);
    if (r === 0) continue;
    times.push(seconds);
    const st = geo.stats();
    hits += st.cacheHits;
    publicLookups += st.cacheHits + st.cacheMisses;
  }
  times.sort((x, y) => x - y);

  // the cost of a database lookup itself: distinct public addresses, no cache to help
  const cold = await openGeoLookup({ cacheSize: 1 });
  const rnd = lcg(5);
  const fresh: number[] = [];
  for (let i = 0; i < 200_000; i++) fresh.push((0x01000000 + Math.floor(rnd() * 0xde000000)) >>> 0);
  const t0 = process.hrtime.bigint();
  for (const a of fresh) cold.lookup(a);
  const coldSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const coldPublic = cold.stats().cacheMisses;

  return [
    // a packet is two lookups: its source and its destination
    { name: 'enrich_pps', value: Math.round(packets / times[1]), unit: 'packets/s' },
    { name: 'enrich_cache_hit_ratio', value: Number((hits / publicLookups).toFixed(4)), unit: 'ratio' },
    { name: 'geo_uncached_lookups_per_s', value: Math.round(coldPublic / coldSeconds), unit: 'lookups/s' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void benchEnrich().then((results) => {
    for (const r of results) console.log(JSON.stringify(r));
  });
}
