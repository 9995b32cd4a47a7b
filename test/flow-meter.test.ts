import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FlowMeter, FlowMeterConfigError, type FlowMeterConfig } from '../src/detect/flow-meter.ts';
import type { FlowRecord } from '../src/detect/flow-record.ts';
import type { AddressLookup, EnrichedBatch } from '../src/detect/enrichment.ts';
import type { GeoInfo } from '../src/geo/geo-lookup.ts';
import { PacketBatch, PacketFlags as F } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { ip6 } from './fixtures/net/frames.ts';
import { uniform } from '../devkit/prng.ts';
import { parseIpv4 } from '../src/net/address.ts';

const PCAP = fileURLToPath(new URL('../../shared/data/pcap/', import.meta.url));

const cache = new Map<string, PacketBatch[]>();
function batchesOf(file: string): PacketBatch[] {
  let list = cache.get(file);
  if (!list) {
    const got: PacketBatch[] = [];
    readCaptureSync(join(PCAP, file), (batch) => {
      // the reader reuses its batch: keep a copy
      const copy = new PacketBatch(batch.capacity, batch.buffer.slice(0));
      copy.length = batch.length;
      got.push(copy);
    });
    cache.set(file, (list = got));
  }
  return list;
}

function enriched(packets: PacketBatch, geo?: AddressLookup<GeoInfo | undefined>): EnrichedBatch<GeoInfo | undefined> {
  return { shard: 0, packets, features: new Float64Array(0), featureCount: 0, geo: geo ?? null };
}

/** The rows a flow meter counts: IP rows the decoder read whole. */
const metered = (b: PacketBatch, i: number) => (b.flags[i]! & (F.IPV4 | F.IPV6)) !== 0 && (b.flags[i]! & (F.MALFORMED | F.UNSUPPORTED)) === 0;

/** Meters a capture as a shard would: observe, then expire at the capture clock, per batch; flush at the end. */
function meterCapture(file: string, config: FlowMeterConfig, scoresFor?: (b: PacketBatch) => Float32Array) {
  const meter = new FlowMeter(config);
  const records: FlowRecord[] = [];
  for (const b of batchesOf(file)) {
    meter.observe(enriched(b), scoresFor ? scoresFor(b) : null, 0.5, records);
    meter.expire(meter.clock, records);
  }
  const beforeFlush = records.length;
  meter.flushAll(records);
  return { meter, records, beforeFlush };
}

const sum = (rs: FlowRecord[], f: (r: FlowRecord) => number) => rs.reduce((a, r) => a + f(r), 0);

// ---- synthetic batches ----------------------------------------------------------------

interface Row {
  ts: number;
  src: string;
  dst: string;
  proto?: number;
  sport?: number;
  dport?: number;
  tcp?: number;
  len?: number;
  icmp?: [type: number, code: number];
  /** A later fragment: no L4 header. */
  laterFragment?: boolean;
  malformed?: boolean;
}

function batchOf(rows: Row[]): PacketBatch {
  const b = new PacketBatch(Math.max(1, rows.length));
  for (const r of rows) {
    const i = b.length++;
    const proto = r.proto ?? 6;
    let flags = F.ETHERNET;
    b.ts[i] = r.ts;
    b.wirelen[i] = b.caplen[i] = r.len ?? 60;
    b.protocol[i] = proto;
    if (r.src.includes(':')) {
      flags |= F.IPV6;
      b.ipVersion[i] = 6;
      b.src.set(ip6(r.src), i * 16);
      b.dst.set(ip6(r.dst), i * 16);
    } else {
      flags |= F.IPV4;
      b.ipVersion[i] = 4;
      b.src4[i] = parseIpv4(r.src);
      b.dst4[i] = parseIpv4(r.dst);
    }
    if (r.laterFragment) {
      flags |= F.FRAGMENT;
      b.fragOffset[i] = 1480;
    } else if (proto === 6 || proto === 17) {
      flags |= proto === 6 ? F.TCP : F.UDP;
      b.srcPort[i] = r.sport ?? 40000;
      b.dstPort[i] = r.dport ?? 80;
      if (proto === 6) b.tcpFlags[i] = r.tcp ?? 0x10;
    } else if (proto === 1 || proto === 58) {
      flags |= proto === 1 ? F.ICMP : F.ICMPV6;
      b.icmpType[i] = r.icmp?.[0] ?? 8;
      b.icmpCode[i] = r.icmp?.[1] ?? 0;
    }
    if (r.malformed) flags |= F.MALFORMED;
    b.flags[i] = flags;
  }
  return b;
}

function run(meter: FlowMeter, rows: Row[], out: FlowRecord[] = [], scores: Float32Array | null = null, geo?: AddressLookup<GeoInfo | undefined>): FlowRecord[] {
  meter.observe(enriched(batchOf(rows), geo), scores, 0.5, out);
  return out;
}

const SYN = 0x02, FIN = 0x01, RST = 0x04, ACK = 0x10, PSH = 0x08;

// ---- real captures ------------------------------------------------------------------

test('every metered packet is in exactly one record: packets and bytes are conserved over real captures, with eviction', () => {
  // D02: IPv6 and time going backwards; D14: ICMP, UDP, fragments; D17: time going backwards; D12: 37k spoofed sources.
  for (const file of ['D01_benign_example.pcap', 'D02_benign_tls2.pcap', 'D14_flood_amp.TCP.reflection.SYNACK.pcap', 'D17_brute_hydra-8_tasks.pcap', 'D12_flood_pkt.TCP.synflood.spoofed.pcap']) {
    let rows = 0;
    let bytes = 0;
    let over = 0;
    const rnd = uniform(7);
    const scoresFor = (b: PacketBatch) => {
      const s = new Float32Array(b.length);
      for (let i = 0; i < b.length; i++) {
        s[i] = rnd();
        if (!metered(b, i)) continue;
        rows++;
        bytes += b.wirelen[i]!;
        if (s[i]! > 0.5) over++;
      }
      return s;
    };
    const { meter, records } = meterCapture(file, { maxFlows: 16 }, scoresFor);
    assert.ok(rows > 0, file);
    assert.equal(sum(records, (r) => r.packets), rows, `${file}: packets`);
    assert.equal(sum(records, (r) => r.bytes), bytes, `${file}: bytes`);
    assert.equal(sum(records, (r) => r.scored), rows, `${file}: scored`);
    assert.equal(sum(records, (r) => r.anomalous), over, `${file}: anomalous`);
    const evicted = records.filter((r) => r.end === 'evicted').length;
    assert.ok(evicted > 0, `${file}: a 16-flow table must evict`);
    assert.deepEqual(meter.stats(), { open: 0, ended: records.length, evicted });
    assert.equal(meter.size, 0);
    for (const r of records) {
      assert.ok(r.packets >= 1, `${file}: empty record ${JSON.stringify(r)}`);
      assert.ok(r.lastTs >= r.firstTs, `${file}: negative duration ${JSON.stringify(r)}`);
    }
  }
});

/**
 * The reference: per 5-tuple (string keys, one Map), the list of records the key should
 * give with no timeouts and no eviction: a new one at the key's first packet and at the
 * first packet after a FIN or RST from the same side.
 */
function referenceSegments(file: string) {
  type Seg = { packets: number; bytes: number; tcpFlags: number; firstTs: number; lastTs: number; end: string };
  const segs = new Map<string, Seg[]>();
  for (const b of batchesOf(file)) {
    for (let i = 0; i < b.length; i++) {
      if (!metered(b, i)) continue;
      const f = b.flags[i]!;
      const tcpUdp = (f & (F.TCP | F.UDP)) !== 0;
      const icmp = (f & (F.ICMP | F.ICMPV6)) !== 0;
      const sport = tcpUdp ? b.srcPort[i]! : 0;
      const dport = tcpUdp ? b.dstPort[i]! : icmp ? (b.icmpType[i]! << 8) + b.icmpCode[i]! : 0;
      const key = [b.formatAddress(i, 'src'), b.formatAddress(i, 'dst'), b.protocol[i], sport, dport].join('|');
      let list = segs.get(key);
      if (!list) segs.set(key, (list = []));
      let s = list[list.length - 1];
      if (!s || s.end !== 'flush') {
        s = { packets: 0, bytes: 0, tcpFlags: 0, firstTs: Infinity, lastTs: -Infinity, end: 'flush' };
        list.push(s);
      }
      s.packets++;
      s.bytes += b.wirelen[i]!;
      s.firstTs = Math.min(s.firstTs, b.ts[i]!);
      s.lastTs = Math.max(s.lastTs, b.ts[i]!);
      if (f & F.TCP) {
        const tf = b.tcpFlags[i]!;
        s.tcpFlags |= tf;
        if (tf & RST) s.end = 'rst';
        else if (tf & FIN) s.end = 'fin';
      }
    }
  }
  return segs;
}

test('records per 5-tuple equal a plain per-key count over real captures (no timeouts, no eviction)', () => {
  for (const file of ['D01_benign_example.pcap', 'D02_benign_tls2.pcap', 'D06_scan_nmap_80_all.pcap', 'D13_flood_amp.UDP.isakmp.pcap', 'D14_flood_amp.TCP.reflection.SYNACK.pcap']) {
    const want = referenceSegments(file);
    const { records } = meterCapture(file, { idleTimeoutS: 1e12, activeTimeoutS: 1e12, maxFlows: 1 << 16 });
    const got = new Map<string, unknown[]>();
    for (const r of records) {
      const key = [r.source, r.target, r.protocol, r.sport, r.dport].join('|');
      let list = got.get(key);
      if (!list) got.set(key, (list = []));
      // a key's records come out in time order: each ends before the next starts (flush comes last)
      list.push({ packets: r.packets, bytes: r.bytes, tcpFlags: r.tcpFlags, firstTs: r.firstTs, lastTs: r.lastTs, end: r.end });
    }
    assert.ok(want.size > 10, `${file}: ${want.size} keys`);
    assert.equal(got.size, want.size, `${file}: number of 5-tuples`);
    for (const [key, segs] of want) assert.deepEqual(got.get(key), segs, `${file}: ${key}`);
  }
});

test('a SYN scan gives one single-packet flow per probe: about one per probed port', () => {
  const attacker = '172.16.0.8';
  const victim = '64.13.134.52';
  // Independently: the probes are the attacker's SYNs to the victim, one per (source port, port).
  const probes = new Set<string>();
  const ports = new Set<number>();
  for (const b of batchesOf('D08_scan_synscan.pcapng')) {
    for (let i = 0; i < b.length; i++) {
      if (b.formatAddress(i, 'src') !== attacker || b.formatAddress(i, 'dst') !== victim || b.protocol[i] !== 6) continue;
      if (b.tcpFlags[i]! & SYN) probes.add(`${b.srcPort[i]}>${b.dstPort[i]}`);
      ports.add(b.dstPort[i]!);
    }
  }
  const { records } = meterCapture('D08_scan_synscan.pcapng', {});
  const scan = records.filter((r) => r.source === attacker && r.target === victim && r.protocol === 6);
  assert.equal(ports.size, 1000);
  assert.equal(scan.length, probes.size);
  assert.deepEqual(new Set(scan.map((r) => r.dport)), ports);
  for (const r of scan) {
    assert.equal(r.packets, 1);
    assert.equal(r.tcpFlags, SYN);
  }
  // nmap retried most ports from a second source port: between one and two flows per port
  assert.ok(scan.length >= ports.size && scan.length <= 2 * ports.size, `${scan.length} flows for ${ports.size} ports`);
});

// ---- synthetic batches ----------------------------------------------------------------

test('a FIN or RST from this side ends the flow after counting it; the next packet starts a new flow', () => {
  const m = new FlowMeter();
  const a = '10.0.0.1';
  const b = '10.0.0.2';
  const out = run(m, [
    { ts: 1, src: a, dst: b, tcp: SYN, len: 74 },
    { ts: 1.1, src: b, dst: a, sport: 80, dport: 40000, tcp: SYN | ACK }, // the reverse direction is its own flow
    { ts: 1.2, src: a, dst: b, tcp: ACK | PSH, len: 500 },
    { ts: 1.3, src: a, dst: b, tcp: FIN | ACK },
    { ts: 1.4, src: a, dst: b, tcp: ACK }, // after the FIN: a new flow on the same key
    { ts: 2, src: a, dst: b, sport: 40001, tcp: SYN },
    { ts: 2.1, src: a, dst: b, sport: 40001, tcp: RST | ACK },
  ]);
  assert.deepEqual(
    out.map((r) => [r.end, r.sport, r.packets, r.bytes, r.tcpFlags, r.firstTs, r.lastTs]),
    [
      ['fin', 40000, 3, 74 + 500 + 60, SYN | ACK | PSH | FIN, 1, 1.3],
      ['rst', 40001, 2, 120, SYN | RST | ACK, 2, 2.1],
    ],
  );
  assert.equal(out[0]!.source, a);
  assert.equal(out[0]!.target, b);
  assert.equal(out[0]!.protocol, 6);
  assert.equal(m.size, 2);
  m.flushAll(out);
  assert.deepEqual(
    out.slice(2).map((r) => [r.end, r.source, r.sport, r.packets, r.tcpFlags]).sort(),
    [
      ['flush', a, 40000, 1, ACK],
      ['flush', b, 80, 1, SYN | ACK],
    ],
  );
  assert.equal(m.size, 0);
});

test('idle timeout: expire ends a quiet flow, and a packet after a long gap starts a new one without expire', () => {
  const m = new FlowMeter({ idleTimeoutS: 15 });
  const u = { src: '10.0.0.1', dst: '10.0.0.9', proto: 17, sport: 5353, dport: 53 };
  const out = run(m, [
    { ts: 100, ...u },
    { ts: 110, ...u },
    { ts: 110, ...u, dport: 54 },
  ]);
  assert.equal(m.clock, 110);
  m.expire(125, out); // 15 s after the last packet: not yet
  assert.equal(out.length, 0);
  m.expire(125.5, out);
  assert.deepEqual(out.map((r) => [r.end, r.dport, r.packets, r.firstTs, r.lastTs]), [
    ['idle', 53, 2, 100, 110],
    ['idle', 54, 1, 110, 110],
  ]);
  assert.equal(m.size, 0);
  // no expire between two packets 20 s apart: the first record still ends at the gap
  run(m, [{ ts: 200, ...u }, { ts: 220, ...u }], out);
  assert.deepEqual(out.slice(2).map((r) => [r.end, r.packets, r.firstTs]), [['idle', 1, 200]]);
  assert.equal(m.size, 1);
});

test('active timeout: a long flow is reported in parts, on its packets and by expire', () => {
  const m = new FlowMeter({ idleTimeoutS: 100, activeTimeoutS: 60 });
  const u = { src: '10.0.0.1', dst: '10.0.0.9', proto: 17 };
  const rows: Row[] = [];
  for (let t = 0; t <= 130; t += 10) rows.push({ ts: 1000 + t, ...u });
  const out = run(m, rows);
  // the packets at +60 and +120 found the record open for 60 s: it went out and restarted
  assert.deepEqual(out.map((r) => [r.end, r.packets, r.firstTs, r.lastTs]), [
    ['active', 6, 1000, 1050],
    ['active', 6, 1060, 1110],
  ]);
  m.expire(1179.9, out);
  assert.equal(out.length, 2);
  m.expire(1180, out); // open since 1120 (last packet at 1130: not idle)
  assert.deepEqual(out.slice(2).map((r) => [r.end, r.packets, r.firstTs, r.lastTs]), [['active', 2, 1120, 1130]]);
  assert.equal(m.size, 0);
});

test('expire stops at the first flow that stays: the ones seen recently are untouched', () => {
  const m = new FlowMeter({ idleTimeoutS: 10, activeTimeoutS: 1000 });
  const rows: Row[] = [];
  for (let k = 0; k < 100; k++) rows.push({ ts: k, src: '10.0.0.1', dst: '10.0.1.1', proto: 17, dport: k });
  const out = run(m, rows);
  m.expire(50, out); // idle: last packet before 40
  assert.equal(out.length, 40);
  assert.deepEqual(out.map((r) => r.dport), [...Array(40).keys()]);
  assert.equal(m.size, 60);
  // a flow seen again moves to the recent end
  run(m, [{ ts: 100, src: '10.0.0.1', dst: '10.0.1.1', proto: 17, dport: 95 }], out);
  m.expire(107, out); // idle: last packet before 97
  assert.deepEqual(out.slice(40).map((r) => r.dport), [...[...Array(55).keys()].map((k) => k + 40), 96]);
  assert.deepEqual(out.filter((r) => r.dport === 95), []);
  assert.equal(m.size, 4);
});

test('a full table ends its least recently seen flow as evicted; keys of ended flows are recycled silently', () => {
  const m = new FlowMeter({ maxFlows: 2 });
  const flow = (ts: number, dport: number, tcp = ACK): Row => ({ ts, src: '10.0.0.1', dst: '10.0.0.2', dport, tcp });
  const out = run(m, [flow(1, 1), flow(2, 2), flow(3, 1), flow(4, 3)]);
  // 2 was seen least recently when 3 came
  assert.deepEqual(out.map((r) => [r.end, r.dport, r.packets]), [['evicted', 2, 1]]);
  assert.deepEqual(m.stats(), { open: 2, ended: 1, evicted: 1 });
  // 1 ends by FIN; its key still holds a table entry, the oldest, and gives it up without a record
  run(m, [flow(5, 1, FIN), flow(6, 3), flow(7, 4)], out);
  assert.deepEqual(out.slice(1).map((r) => [r.end, r.dport, r.packets]), [['fin', 1, 3]]);
  assert.deepEqual(m.stats(), { open: 2, ended: 2, evicted: 1 });
  m.flushAll(out);
  assert.deepEqual(out.slice(2).map((r) => [r.end, r.dport, r.packets]), [['flush', 3, 2], ['flush', 4, 1]]);
});

test('ICMP and ICMPv6 are keyed by type·256 + code; non-port protocols and later fragments by ports 0/0', () => {
  const m = new FlowMeter();
  const out = run(m, [
    { ts: 1, src: '10.0.0.1', dst: '10.0.0.2', proto: 1, icmp: [8, 0] },
    { ts: 2, src: '10.0.0.1', dst: '10.0.0.2', proto: 1, icmp: [8, 0] },
    { ts: 3, src: '10.0.0.2', dst: '10.0.0.1', proto: 1, icmp: [3, 3] },
    { ts: 4, src: 'fe80::1', dst: 'fe80::2', proto: 58, icmp: [135, 0] },
    { ts: 5, src: '10.0.0.1', dst: '10.0.0.2', proto: 47 }, // GRE
    { ts: 6, src: '10.0.0.1', dst: '10.0.0.2', proto: 17, sport: 9000, dport: 9001 }, // first fragment: has its ports
    { ts: 6, src: '10.0.0.1', dst: '10.0.0.2', proto: 17, laterFragment: true },
    { ts: 6, src: '10.0.0.1', dst: '10.0.0.2', proto: 17, laterFragment: true },
  ]);
  m.flushAll(out);
  const got = out.map((r) => [r.source, r.protocol, r.sport, r.dport, r.packets]).sort((x, y) => String(x).localeCompare(String(y)));
  assert.deepEqual(got, [
    ['10.0.0.1', 1, 0, 2048, 2],
    ['10.0.0.1', 17, 0, 0, 2],
    ['10.0.0.1', 17, 9000, 9001, 1],
    ['10.0.0.1', 47, 0, 0, 1],
    ['10.0.0.2', 1, 0, 3 * 256 + 3, 1],
    ['fe80::1', 58, 0, 135 * 256, 1],
  ]);
  assert.ok(out.every((r) => r.tcpFlags === 0));
});

test('IPv6 rows are metered under their RFC 5952 text; non-IP and malformed rows are not metered', () => {
  const m = new FlowMeter();
  const b = batchOf([
    { ts: 1, src: '2001:db8:0:0:0:0:0:1', dst: '2001:db8::2', proto: 17, sport: 1000, dport: 443, len: 1200 },
    { ts: 2, src: '2001:db8::1', dst: '2001:db8::2', proto: 17, sport: 1000, dport: 443, len: 1300 },
    { ts: 3, src: '::ffff:a00:1', dst: '::ffff:a00:2', proto: 17, sport: 1000, dport: 443 }, // v4-mapped: not the IPv4 flow
    { ts: 4, src: '10.0.0.1', dst: '10.0.0.2', proto: 17, sport: 1000, dport: 443 },
    { ts: 5, src: '10.0.0.1', dst: '10.0.0.2', proto: 17, sport: 1000, dport: 443, malformed: true },
    { ts: 6, src: '10.0.0.1', dst: '10.0.0.2', proto: 17, sport: 1000, dport: 443 },
  ]);
  b.flags[5] = F.ETHERNET | F.ARP; // an ARP row: addresses but not IP
  const out: FlowRecord[] = [];
  m.observe(enriched(b), null, 0, out);
  assert.equal(m.clock, 4); // skipped rows do not move the clock
  m.flushAll(out);
  assert.deepEqual(out.map((r) => [r.source, r.target, r.packets, r.bytes]).sort(), [
    ['10.0.0.1', '10.0.0.2', 1, 60],
    ['2001:db8::1', '2001:db8::2', 2, 2500],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.2', 1, 60],
  ]);
});

test('scores: scored counts rows with a score array, anomalous those above the threshold (NaN is not); the source\'s geo looked up when the record is reported', () => {
  const m = new FlowMeter();
  const u = { src: '10.0.0.1', dst: '10.0.0.2', proto: 17 };
  const geo = (country: string, asn: number) => ({ addressClass: 'public', country, city: null, latitude: null, longitude: null, asn, asnOrg: null }) as GeoInfo;
  const out: FlowRecord[] = [];
  const asked: Array<number | string> = [];
  const lookup = { lookup: (a: number | string) => (asked.push(a), a === parseIpv4('10.0.0.1') ? geo('NL', 1136) : geo('DE', 3320)) };
  run(m, [{ ts: 1, ...u }, { ts: 2, ...u }, { ts: 3, ...u }, { ts: 4, ...u }], out, Float32Array.of(0.9, 0.5, NaN, 0.51), lookup);
  run(m, [{ ts: 5, ...u }], out, null, lookup); // no model for this batch
  assert.deepEqual(asked, [], 'nothing looked up per packet');
  m.flushAll(out);
  assert.equal(out.length, 1);
  const [r] = out;
  assert.deepEqual([r!.packets, r!.scored, r!.anomalous, r!.country, r!.asn], [5, 4, 2, 'NL', 1136]);
  assert.equal(asked.length, 1, 'one lookup, for the record');
  // no geo at all
  run(m, [{ ts: 6, ...u }], out);
  m.flushAll(out);
  assert.deepEqual([out[1]!.country, out[1]!.asn, out[1]!.scored, out[1]!.anomalous], [null, null, 0, 0]);
});

test('capture time going backwards never gives a negative duration, nor moves the clock back', () => {
  const m = new FlowMeter({ idleTimeoutS: 15 });
  const u = { src: '10.0.0.1', dst: '10.0.0.2', proto: 17 };
  const out = run(m, [{ ts: 100, ...u }, { ts: 90, ...u }, { ts: 101, ...u }, { ts: 50, ...u, dport: 9 }]);
  assert.equal(m.clock, 101);
  // the flow that started at 50 started on the meter's clock at 101: not idle at 115
  m.expire(115, out);
  assert.equal(out.length, 0);
  m.flushAll(out);
  assert.deepEqual(out.map((r) => [r.dport, r.packets, r.firstTs, r.lastTs]).sort(), [
    [80, 3, 90, 101],
    [9, 1, 50, 50],
  ]);
});

test('bad configuration values are refused with an error naming the field and the value', () => {
  const bad: Array<[FlowMeterConfig, string, RegExp]> = [
    [{ idleTimeoutS: 0 }, 'idleTimeoutS', /idleTimeoutS must be a finite number of seconds above 0, got 0/],
    [{ idleTimeoutS: -5 }, 'idleTimeoutS', /got -5/],
    [{ idleTimeoutS: NaN }, 'idleTimeoutS', /got NaN/],
    [{ activeTimeoutS: Infinity }, 'activeTimeoutS', /activeTimeoutS .* got Infinity/],
    [{ activeTimeoutS: '120' as unknown as number }, 'activeTimeoutS', /got "120"/],
    [{ maxFlows: 0 }, 'maxFlows', /maxFlows must be an integer between 1 and 67,108,864, got 0/],
    [{ maxFlows: 1.5 }, 'maxFlows', /got 1.5/],
    [{ maxFlows: 2 ** 27 }, 'maxFlows', /got 134217728/],
  ];
  for (const [config, field, message] of bad) {
    assert.throws(
      () => new FlowMeter(config),
      (e: unknown) => e instanceof FlowMeterConfigError && e.code === 'AI_ERR_FLOW_METER_CONFIG' && e.field === field && message.test(e.message),
      JSON.stringify(config),
    );
  }
  const m = new FlowMeter({});
  assert.deepEqual([m.idleTimeoutS, m.activeTimeoutS, m.maxFlows, m.clock], [15, 120, 65_536, -Infinity]);
});
