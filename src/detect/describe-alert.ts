// What an alert carries besides its counts, read from the batch that made it: the evidence
// grade (evidence-grade.ts: whether the source had real sessions), the GeoIP and the
// flow-feature vector of the source, from its last row. The vector is what "events like this
// one" compares (kept with the stored alert); the GeoIP is looked up here, through the
// batch's cached lookup, when the source sent a row of the batch. A login alert is made in
// the shard of the SERVER, whose packets go to the source: there the source's last row as a
// destination gives the vector, and no GeoIP (the detector shard adds the client's,
// DetectorShard.clients).
//
// One pass over the batch, from its end, comparing each row's address columns with the
// source's, parsed once: nothing is allocated per row (an address's text would be).

import { parseIpv4, parseIpv6 } from '../net/address.ts';
import { PacketFlags, type PacketBatch } from '../net/packet-batch.ts';
import type { GeoInfo } from '../geo/geo-lookup.ts';
import type { Alert } from './alert.ts';
import type { EnrichedBatch } from './enrichment.ts';
import type { EvidenceGrader } from './evidence-grade.ts';

// Scratch for the alert's source (one alert at a time).
const groups = new Uint16Array(8);
const bytes6 = new Uint8Array(16);

/** An address's rows in one batch: the last as a source, the last as a destination, and whether any source row was SOURCE_SEEN. */
export interface AddressRows {
  lastSrc: number;
  lastDst: number;
  sourceSeen: boolean;
}

/** Finds the rows of the address `text` in `p` in one pass (-1: none). Reuses and returns `out`. */
export function addressRows(p: PacketBatch, text: string, out: AddressRows): AddressRows {
  out.lastSrc = -1;
  out.lastDst = -1;
  out.sourceSeen = false;
  const v4 = parseIpv4(text);
  const v6 = v4 < 0 && text.includes(':') && parseIpv6(text, groups);
  if (v4 < 0 && !v6) return out;
  if (v6) for (let g = 0; g < 8; g++) (bytes6[2 * g] = groups[g]! >>> 8), (bytes6[2 * g + 1] = groups[g]! & 0xff);
  const flags = p.flags;
  for (let i = p.length - 1; i >= 0; i--) {
    const f = flags[i]!;
    let src: boolean;
    let dst: boolean;
    if (v6) {
      if (!(f & PacketFlags.IPV6)) continue;
      src = same16(p.src, i * 16);
      dst = same16(p.dst, i * 16);
    } else {
      if (f & PacketFlags.IPV6 || !(f & (PacketFlags.IPV4 | PacketFlags.ARP))) continue;
      src = p.src4[i] === v4;
      dst = p.dst4[i] === v4;
    }
    if (src) {
      if (out.lastSrc < 0) out.lastSrc = i;
      if (f & PacketFlags.SOURCE_SEEN) out.sourceSeen = true;
    }
    if (dst && out.lastDst < 0) out.lastDst = i;
  }
  return out;
}

function same16(col: Uint8Array, at: number): boolean {
  for (let k = 0; k < 16; k++) if (col[at + k] !== bytes6[k]) return false;
  return true;
}

/** An address as the enricher's lookups take it: the uint32 of IPv4 text, IPv6 text as it is. */
export function addressKey(text: string): number | string {
  const v4 = parseIpv4(text);
  return v4 >= 0 ? v4 : text;
}

/** What an alert keeps of a GeoIP answer. */
export function alertGeo(g: GeoInfo): NonNullable<Alert['geo']> {
  return { country: g.country, asn: g.asn, asnOrg: g.asnOrg, latitude: g.latitude, longitude: g.longitude };
}

const rows: AddressRows = { lastSrc: -1, lastDst: -1, sourceSeen: false };

/**
 * Grades the alert's evidence, unless the rule that raised it did (from the source's packet
 * that made it: source-rules.ts), and gives it the GeoIP and flow-feature vector of its source.
 */
export function describeAlert(a: Alert, b: EnrichedBatch<GeoInfo | undefined>, grader: EvidenceGrader): void {
  const r = addressRows(b.packets, a.source, rows);
  if (a.grade === undefined) grader.grade(a, r.sourceSeen);
  const i = r.lastSrc >= 0 ? r.lastSrc : r.lastDst;
  if (i < 0) return;
  const g = r.lastSrc >= 0 && !a.geo ? b.geo?.lookup(addressKey(a.source)) : undefined;
  if (g) a.geo = alertGeo(g);
  // A late batch has no features (enrichment.ts): its alerts carry none.
  if (!a.features && !b.late && b.featureCount > 0) a.features = Array.from(b.features.subarray(i * b.featureCount, (i + 1) * b.featureCount), (x) => Math.fround(x));
}
