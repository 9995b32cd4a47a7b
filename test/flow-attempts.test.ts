// Unverified attempts stored as aggregates (src/detect/attempt-aggregates.ts): the counts stay
// true. The shared captures (a real SSH session, a SYN scan, the spoofed SYN flood, the SYN-ACK
// reflection) are marked by the session verifier and metered twice, one row per flow and with
// aggregates; both sets of rows go into a store (SQLite, read back with SQL), whose totals of
// flows, packets and bytes must be equal, while the flood's flows become a few rows.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AttemptAggregator, DEFAULT_DATAGRAMS_PER_PORT, DEFAULT_PORTS_PER_TARGET, EXACT_SOURCES } from '../src/detect/attempt-aggregates.ts';
import { FlowMeter } from '../src/detect/flow-meter.ts';
import type { FlowRecord } from '../src/detect/flow-record.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { parseIpv4 } from '../src/net/address.ts';
import { PacketBatch, PacketFlags as F } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { flowDetail, flowRow, tcpFlagLetters } from '../src/store/event-row.ts';
import { openSqliteBackend } from '../src/store/sqlite-backend.ts';
import { evaluateQuery } from '../src/store/evaluate-query.ts';

const PCAP = fileURLToPath(new URL('../../shared/data/pcap/', import.meta.url));
/** Writes the spoofed floods to random ports, and UDP floods to one and two fixed ports (scapy). */
const CRAFT = fileURLToPath(new URL('../bench/flood/craft-floods.py', import.meta.url));
const FILES = ['D05_benign_kali-normal-ssh.pcap', 'D08_scan_synscan.pcapng', 'D12_flood_pkt.TCP.synflood.spoofed.pcap', 'D14_flood_amp.TCP.reflection.SYNACK.pcap'];

/** Meters the files on one timeline through one verifier, as rows per flow (`plain`) and with aggregates (the defaults). */
function meterBoth(files = FILES.map((f) => join(PCAP, f))): { plain: FlowRecord[]; aggregated: FlowRecord[]; meter: FlowMeter } {
  const verifier = new SessionVerifier();
  const plainMeter = new FlowMeter();
  const meter = new FlowMeter({ attempts: { slotS: 60, maxPackets: 3 } });
  const plain: FlowRecord[] = [];
  const aggregated: FlowRecord[] = [];
  for (const f of files) {
    readCaptureSync(f, (packets) => {
      verifier.mark(packets);
      const b = { shard: 0, packets, features: new Float64Array(0), featureCount: 0, geo: null };
      plainMeter.observe(b, null, 0.5, plain);
      plainMeter.expire(plainMeter.clock, plain);
      meter.observe(b, null, 0.5, aggregated);
      meter.expire(meter.clock, aggregated);
    });
  }
  plainMeter.flushAll(plain);
  meter.flushAll(aggregated);
  return { plain, aggregated, meter };
}

type Cell = string | number | null;

/** The store's view of a set of records (SQLite, read back with SQL): rows, flows, packets, bytes; flows per service and per target. */
async function storeTotals(records: FlowRecord[], path: string) {
  const store = await openSqliteBackend(path);
  await store.insert(records.map((r, i) => flowRow(r, i + 1, 'n1', 1_000_000 + i)));
  // the store's own count per service where it can list them all (its limit is 1,000 groups)
  const byServiceQuery = await store.query({ kind: 'flow', from: 0, to: 2 ** 52, filters: {}, measure: 'count', groupBy: 'type', limit: 1000 });
  await store.close();
  const db = new (createRequire(import.meta.url)('better-sqlite3'))(path, { readonly: true });
  const [rows, flows, packets, bytes] = db
    .prepare("SELECT COUNT(*), SUM(n), SUM(json_extract(detail, '$.packets')), SUM(json_extract(detail, '$.bytes')) FROM events WHERE kind = 'flow'")
    .raw(true)
    .get() as number[];
  const group = (column: string) =>
    db.prepare(`SELECT ${column}, SUM(COALESCE(n, 1)) AS c FROM events WHERE kind = 'flow' GROUP BY ${column} ORDER BY c DESC, ${column}`).raw(true).all() as Cell[][];
  const byService = group('type');
  if (byService.length < 1000) assert.deepEqual(byServiceQuery.rows, byService, 'the store counts per service as SQL does');
  const bySource = group('source');
  // per target and protocol: flows, packets, bytes
  const byTarget = db
    .prepare("SELECT target, json_extract(detail, '$.protocol') AS p, SUM(n), SUM(json_extract(detail, '$.packets')), SUM(json_extract(detail, '$.bytes')) FROM events WHERE kind = 'flow' GROUP BY target, p ORDER BY target, p")
    .raw(true)
    .all() as Cell[][];
  // the most rows any target has for one protocol in one minute
  const [maxRowsPerTargetMinute] = db
    .prepare("SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM events WHERE kind = 'flow' GROUP BY target, json_extract(detail, '$.protocol'), CAST(json_extract(detail, '$.start') / 60000 AS INTEGER))")
    .raw(true)
    .get() as number[];
  db.close();
  return { rows: rows!, flows, packets, bytes, byService, bySource, byTarget, maxRowsPerTargetMinute: maxRowsPerTargetMinute! };
}

/**
 * The crafted floods (6,000 packets each over 150 s), `names` of them each metered on a
 * timeline of its own (they share their capture times), and the store's totals of their
 * records without and with aggregates; in a temp dir.
 */
async function meterFloods(names: string[], check: (r: { each: ReturnType<typeof meterBoth>[]; plain: FlowRecord[]; aggregated: FlowRecord[]; before: Totals; after: Totals }) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'flow-attempts-flood-'));
  try {
    execFileSync('/usr/bin/python3', [CRAFT, dir, '6000', '150']);
    const each = names.map((n) => meterBoth([join(dir, n)]));
    const plain = each.flatMap((m) => m.plain);
    const aggregated = each.flatMap((m) => m.aggregated);
    check({ each, plain, aggregated, before: await storeTotals(plain, join(dir, 'plain.sqlite')), after: await storeTotals(aggregated, join(dir, 'aggregated.sqlite')) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
type Totals = Awaited<ReturnType<typeof storeTotals>>;

/**
 * Flows per service are equal, but for the ports past a target's bound: those are counted
 * under 'tcp/*' or 'udp/*' (the many-ports rows), each protocol's total unchanged.
 */
function assertServices(before: Cell[][], after: Cell[][]): void {
  const count = (rows: Cell[][], service: string) => (rows.find((r) => r[0] === service)?.[1] as number | undefined) ?? 0;
  const moved = new Map<string, number>();
  for (const [service, n] of before) {
    const kept = count(after, String(service));
    assert.ok(kept <= (n as number), `${service}: ${kept} of ${n}`);
    const proto = String(service).split('/')[0]!;
    moved.set(proto, (moved.get(proto) ?? 0) + (n as number) - kept);
  }
  for (const [service, n] of after) {
    if (String(service).endsWith('/*')) assert.equal(n, moved.get(String(service).split('/')[0]!), `${service}: the flows of the ports past the bound`);
    else assert.ok(before.some((r) => r[0] === service), `${service} is a service of the plain rows`);
  }
}

test('on the shared captures, aggregates keep the store\'s totals of flows, packets and bytes, per target and source, in far fewer rows', async () => {
  const { plain, aggregated, meter } = meterBoth();
  const dir = mkdtempSync(join(tmpdir(), 'flow-attempts-'));
  try {
    const before = await storeTotals(plain, join(dir, 'plain.sqlite'));
    const after = await storeTotals(aggregated, join(dir, 'aggregated.sqlite'));
    assert.equal(before.rows, plain.length);
    assert.deepEqual([after.flows, after.packets, after.bytes], [before.flows, before.packets, before.bytes]);
    assert.deepEqual(after.byTarget, before.byTarget, 'flows, packets and bytes per target and protocol');
    // per source, '*' aside: a scanner keeps its count (one source: named, in its many-ports row too)
    const named = (rows: Cell[][]) => rows.filter((r) => r[0] !== '*' && (r[1] as number) > 100);
    assert.deepEqual(named(after.bySource), named(before.bySource));
    assertServices(before.byService, after.byService);
    assert.ok(meter.attempts!.attempts > 30_000, `the flood's flows are attempts (${meter.attempts!.attempts})`);
    // D14's reflected SYN-ACKs and resets are counted under the reflectors' ports, aggregated or not.
    const flows = (service: string) => (before.byService.find((r) => r[0] === service)?.[1] as number | undefined) ?? 0;
    assert.ok(flows('tcp/80') > 3_000 && flows('tcp/443') > 500, `tcp/80 ${flows('tcp/80')}, tcp/443 ${flows('tcp/443')}`);
    assert.deepEqual([flows('tcp/80'), flows('tcp/443')], [80, 443].map((p) => (after.byService.find((r) => r[0] === `tcp/${p}`)?.[1] as number) ?? 0));
    // 47,512 → 1,190 before the ports bound, 447 with it: the flood is a few rows, the reflection
    // a few more; D08's SYN scan 256 ports with rows of their own and one many-ports row.
    assert.ok(after.rows * 50 < before.rows, `rows: ${before.rows} → ${after.rows}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a spoofed flood to random ports of one target (SYNs; one-datagram UDP): a bounded number of rows a minute, every flow, packet and byte counted', async () => {
  // 6,000 packets of each over 150 s: about 2,400 a minute to as many random ports of each victim
  await meterFloods(['flood_syn_random_ports.pcap', 'flood_udp_random_ports.pcap'], ({ each: [syn, udp], plain, aggregated, before, after }) => {
    assert.deepEqual([after.flows, after.packets, after.bytes], [before.flows, before.packets, before.bytes]);
    assert.deepEqual(after.byTarget, before.byTarget, 'flows, packets and bytes per target and protocol');
    assertServices(before.byService, after.byService);
    for (const [victim, protocol] of [['203.0.113.50', 6], ['203.0.113.60', 17]] as const) {
      const rowsBefore = plain.filter((r) => r.target === victim && r.protocol === protocol).length;
      const rows = aggregated.filter((r) => r.target === victim && r.protocol === protocol);
      const many = rows.filter((r) => r.attempts?.ports !== undefined);
      const slots = new Set(many.map((r) => r.attempts!.slotStart)).size;
      assert.ok(slots >= 3 && slots <= 4, `${victim}: ${slots} slots`);
      // a row per port of a slot's first 256 (UDP: per datagram to one of them; a random port
      // comes up again now and then), and one more: not one per port
      const own = rows.filter((r) => r.attempts?.ports === undefined);
      assert.equal(many.length, slots);
      assert.ok(new Set(own.map((r) => r.dport)).size <= slots * DEFAULT_PORTS_PER_TARGET);
      assert.ok(rows.length <= slots * (DEFAULT_PORTS_PER_TARGET + 1) * 1.1, `${victim}: ${rowsBefore} rows → ${rows.length}`);
      assert.ok(rowsBefore > 5_000, `${victim}: ${rowsBefore} rows without aggregates`);
      for (const r of many) {
        assert.deepEqual([r.source, r.sport, r.dport, flowRow(r, 1, 'n1', 0).type], ['*', 0, 0, protocol === 6 ? 'tcp/*' : 'udp/*']);
        assert.equal(r.attempts!.reason, 'unverified-attempts');
        assert.ok(r.attempts!.ports! >= 1 && r.attempts!.ports! <= r.attempts!.flows, `${r.attempts!.ports} ports`);
        assert.ok(r.attempts!.sources > r.attempts!.flows * 0.9, 'the forged sources are counted');
      }
      const ports = many.reduce((n, r) => n + r.attempts!.ports!, 0);
      assert.ok(ports > 4_000, `${ports} ports in the many-ports rows`);
    }
    assert.ok(syn!.meter.attempts!.attempts > 5_000 && udp!.meter.attempts!.attempts > 4_000);
  });
});

test('a spoofed UDP flood to one port, and to two, of one target: a bounded number of rows a slot per port, every flow, packet and byte counted under its port', async () => {
  // 6,000 datagrams each over 150 s from a forged source each: to port 53 of .70; to 53 and 123 of .80
  await meterFloods(['flood_udp_one_port.pcap', 'flood_udp_two_ports.pcap'], ({ each: [one, two], before, after }) => {
    assert.deepEqual([after.flows, after.packets, after.bytes], [before.flows, before.packets, before.bytes]);
    assert.deepEqual(after.byTarget, before.byTarget, 'flows, packets and bytes per target and protocol');
    assert.deepEqual(after.byService, before.byService, 'flows per service: the aggregates are counted under their port');
    assert.ok(before.rows === 12_000 && after.rows < 600, `rows: ${before.rows} → ${after.rows}`);
    for (const [victim, ports, { plain, aggregated }] of [['203.0.113.70', [53], one!], ['203.0.113.80', [53, 123], two!]] as const) {
      assert.equal(plain.filter((r) => r.target === victim).length, 6_000);
      const rows = aggregated.filter((r) => r.target === victim);
      const aggs = rows.filter((r) => r.attempts);
      const slots = new Set(aggs.map((r) => r.attempts!.slotStart));
      assert.ok(slots.size >= 3 && slots.size <= 4, `${victim}: ${slots.size} slots`);
      for (const port of ports) {
        // per slot (in which a flow ended, by the meter's clock) and port: the first
        // DEFAULT_DATAGRAMS_PER_PORT rows of their own, then one aggregate
        const agg = aggs.filter((r) => r.dport === port);
        assert.equal(new Set(agg.map((r) => r.attempts!.slotStart)).size, agg.length, `${victim}:${port}: one aggregate a slot`);
        assert.equal(agg.length, slots.size);
        const own = rows.filter((r) => !r.attempts && r.dport === port);
        assert.equal(own.length, DEFAULT_DATAGRAMS_PER_PORT * slots.size, `${victim}:${port}: rows of their own`);
        for (const a of agg) {
          assert.deepEqual(
            [a.source, a.protocol, a.sport, a.dport, a.servicePort, a.attempts!.reason, a.attempts!.ports, flowRow(a, 1, 'n1', 0).type],
            ['*', 17, 0, port, undefined, 'unverified-attempts', undefined, `udp/${port}`],
          );
          assert.equal(a.packets, a.attempts!.flows);
          assert.ok(a.attempts!.sources > a.attempts!.flows * 0.9, `the forged sources are counted: ${a.attempts!.sources} of ${a.attempts!.flows}`);
        }
        // every datagram to that port: a row of its own or in an aggregate's flows
        assert.equal(own.length + agg.reduce((n, r) => n + r.attempts!.flows, 0), plain.filter((r) => r.dport === port).length);
      }
      assert.ok(rows.length <= slots.size * ports.length * (DEFAULT_DATAGRAMS_PER_PORT + 1), `${victim}: ${rows.length} rows`);
    }
  });
});

test('a UDP port\'s ordinary clients below datagramsPerPort keep a row each, also beside a flood to another port of the same target; past it one row for that port and slot, named by its source when only one', () => {
  const meter = new FlowMeter({ attempts: { slotS: 60, maxPackets: 3, datagramsPerPort: 8 } });
  const out: FlowRecord[] = [];
  const b = new PacketBatch(64);
  const datagram = (src: string, sport: number, dport: number, t: number) => {
    const i = b.length++;
    b.flags[i] = F.ETHERNET | F.IPV4 | F.UDP;
    b.ts[i] = 1_700_000_000 + t;
    b.wirelen[i] = b.caplen[i] = 80;
    b.protocol[i] = 17;
    b.ipVersion[i] = 4;
    b.src4[i] = parseIpv4(src);
    b.dst4[i] = parseIpv4('192.0.2.53');
    b.srcPort[i] = sport;
    b.dstPort[i] = dport;
  };
  // five clients query port 53 once each; 40 forged datagrams to port 123; then one source sends 12 to port 5353 from new source ports
  for (let c = 1; c <= 5; c++) datagram(`198.51.100.${c}`, 40000 + c, 53, c / 10);
  for (let k = 0; k < 40; k++) datagram(`10.${k}.0.1`, 1024 + k, 123, 1 + k / 100);
  for (let k = 0; k < 12; k++) datagram('203.0.113.9', 2000 + k, 5353, 2 + k / 100);
  meter.observe({ shard: 0, packets: b, features: new Float64Array(0), featureCount: 0, geo: null }, null, 0.5, out);
  meter.flushAll(out);
  const clients = out.filter((r) => r.dport === 53);
  assert.deepEqual(clients.map((r) => [r.source, r.packets, r.attempts]).sort(), [1, 2, 3, 4, 5].map((c) => [`198.51.100.${c}`, 1, undefined]));
  const ntp = out.filter((r) => r.dport === 123);
  assert.equal(ntp.filter((r) => !r.attempts).length, 8);
  const [flood] = ntp.filter((r) => r.attempts);
  assert.deepEqual([ntp.length, flood!.source, flood!.packets, flood!.bytes, flood!.attempts!.flows, flood!.attempts!.sources, flood!.attempts!.samples.length], [9, '*', 32, 32 * 80, 32, 32, 4]);
  // a fixed forged source with a new source port each datagram: a flow each, bounded the same way
  const mdns = out.filter((r) => r.dport === 5353);
  assert.deepEqual(mdns.map((r) => [r.source, r.attempts?.flows ?? 1]).sort(), [...Array(8).fill(['203.0.113.9', 1]), ['203.0.113.9', 4]].sort());
  // 0: every such datagram aggregated; udp off: none
  for (const [config, rows] of [[{ datagramsPerPort: 0 }, 1], [{ udp: false }, 3]] as const) {
    const agg = new AttemptAggregator(config);
    const o: FlowRecord[] = [];
    const stored = [1, 2, 3].filter((k) => !agg.addDatagram(k, 99, 53, 1, 1, 1, 60, 0, 0, o)).length;
    agg.flushAll(o);
    assert.equal(stored + o.length, rows);
  }
});

test('a scan past the ports bound: its scanner named, its ports counted, the ports with rows of their own and the many-ports row\'s adding up to the plain rows\'', () => {
  const { plain, aggregated } = meterBoth();
  const scanner = '172.16.0.8'; // D08's SYN scan
  const many = aggregated.filter((r) => r.attempts?.ports !== undefined);
  const scan = many.find((r) => r.source === scanner);
  assert.ok(scan, `a many-ports row names the scanner (${many.map((r) => r.source).join(', ')})`);
  assert.deepEqual([scan.protocol, scan.sport, scan.dport, scan.servicePort, flowRow(scan, 1, 'n1', 0).type], [6, 0, 0, undefined, 'tcp/*']);
  assert.equal(JSON.parse(flowRow(scan, 1, 'n1', 0).detail).attempts.ports, scan.attempts!.ports);
  // per slot: the scanner's ports with rows of their own (at most DEFAULT_PORTS_PER_TARGET) and the row's ports are the plain rows' distinct ports
  const own = aggregated.filter((r) => r.source === scanner && r.target === scan.target && r.attempts && r.attempts.ports === undefined && r.attempts.slotStart === scan.attempts!.slotStart);
  assert.ok(own.length <= DEFAULT_PORTS_PER_TARGET);
  const plainPorts = new Set(plain.filter((r) => r.source === scanner && r.target === scan.target && r.protocol === 6).map((r) => r.dport));
  const ownPorts = new Set(own.map((r) => r.dport));
  for (const p of ownPorts) assert.ok(plainPorts.has(p));
  const rowsOfScanner = aggregated.filter((r) => r.source === scanner && r.target === scan.target && r.attempts);
  const allSlots = new Set(rowsOfScanner.map((r) => r.attempts!.slotStart));
  assert.equal(allSlots.size, 1, 'D08 scan ends in one minute');
  assert.equal(ownPorts.size + scan.attempts!.ports!, plainPorts.size, 'every port counted once');
  assert.equal(ownPorts.size, DEFAULT_PORTS_PER_TARGET);
  assert.equal(
    rowsOfScanner.reduce((n, r) => n + r.attempts!.flows, 0),
    plain.filter((r) => r.source === scanner && r.target === scan.target && r.protocol === 6 && r.servicePort === undefined && r.packets <= 3).length,
  );
});

test('what is aggregated: unverified TCP attempts (SYNs, resets, unanswered SYN-ACKs), and one-datagram UDP past a target\'s ports bound; verified sessions, other protocols and longer flows stay rows of their own', () => {
  const { plain, aggregated } = meterBoth();
  const aggregates = aggregated.filter((r) => r.attempts);
  const rows = aggregated.filter((r) => !r.attempts);
  // Every row of its own is a flow of the plain metering, unchanged.
  const key = (r: FlowRecord) => `${r.source}|${r.target}|${r.protocol}|${r.sport}|${r.dport}|${r.firstTs}|${r.packets}|${r.bytes}`;
  const plainKeys = new Set(plain.map(key));
  for (const r of rows) assert.ok(plainKeys.has(key(r)), key(r));
  // D05's SSH session (192.168.1.2 ↔ 192.168.1.3) is verified: its flows are rows with their addresses.
  assert.ok(rows.some((r) => r.source === '192.168.1.2' && r.target === '192.168.1.3' && r.dport === 22));
  for (const a of aggregates) {
    if (a.protocol === 17) {
      // past a target's ports bound (many-ports), or past a port's datagramsPerPort (under its port)
      if (a.attempts!.ports === undefined) assert.ok(a.dport > 0 && a.attempts!.flows >= 1);
      continue;
    }
    assert.equal(a.protocol, 6);
    assert.ok((a.tcpFlags & 0x10) === 0 || (a.tcpFlags & 0x06) !== 0, 'no ACK in an attempt, unless it is a SYN-ACK or a reset');
    // an initiation is counted under the port it went to, a reply under the replier's (its source) port
    const reply = a.attempts!.reason === 'unanswered-replies';
    assert.equal(reply && a.attempts!.ports === undefined, a.servicePort !== undefined);
    if (a.attempts!.ports !== undefined) assert.deepEqual([a.sport, a.dport, a.servicePort], [0, 0, undefined], 'a many-ports row');
    else if (reply) assert.deepEqual([a.dport, a.servicePort], [0, a.sport]);
    else assert.equal(a.sport, 0);
    assert.ok(a.packets <= 3 * a.attempts!.flows);
    assert.ok(a.attempts!.samples.length >= 1 && a.attempts!.samples.length <= 4);
    assert.equal(a.source === '*', a.attempts!.sources > 1 || !a.attempts!.sourcesExact, 'one source: named');
  }
  // The SYN-ACK reflection's unanswered SYN-ACKs and resets are replies, a few rows per slot
  // (per victim and reflector port: 80, 443, 22), standing for thousands of flows; UDP and ICMP never are aggregated.
  const replies = aggregates.filter((a) => a.attempts!.reason === 'unanswered-replies');
  assert.ok(replies.some((a) => (a.tcpFlags & 0x12) === 0x12));
  // (5 rows for 7,666 flows here)
  const replyFlows = replies.reduce((n, a) => n + a.attempts!.flows, 0);
  assert.ok(replyFlows > 7_000 && replies.length < 60, `${replies.length} rows for ${replyFlows} replies`);
  assert.ok(rows.some((r) => r.protocol === 17) && rows.some((r) => r.protocol === 1));
  // The flood: one victim port, tens of thousands of sources, estimated past the exact cap.
  const flood = aggregates.filter((a) => a.attempts!.sources > EXACT_SOURCES);
  assert.ok(flood.length > 0);
  for (const a of flood) assert.equal(a.attempts!.sourcesExact, false);
});

test('the aggregator: sources exact up to the cap then estimated, samples, one row per slot, an aggregate of one source named by it', () => {
  const agg = new AttemptAggregator({ slotS: 60 });
  const out: FlowRecord[] = [];
  const target = parseIpv4('192.0.2.1') | 0;
  // slot [0, 60): 3 flows from 2 sources
  agg.add(parseIpv4('198.51.100.1') | 0, target, 6, 80, false, 1, 1, 1, 1, 60, 0x02, 0, 0, out);
  agg.add(parseIpv4('198.51.100.1') | 0, target, 6, 80, false, 2, 2, 3, 2, 120, 0x02, 0, 0, out);
  agg.add(parseIpv4('198.51.100.2') | 0, target, 6, 80, false, 3, 3, 3, 1, 60, 0x06, 1, 1, out);
  // another port: one source, and an IPv6 target
  agg.add(parseIpv4('203.0.113.9') | 0, target, 6, 443, false, 4, 4, 4, 1, 60, 0x02, 0, 0, out);
  agg.add('2001:db8::7', '2001:db8::1', 6, 22, false, 5, 5, 5, 1, 80, 0x02, 0, 0, out);
  assert.equal(out.length, 0);
  agg.close(59, out);
  assert.equal(out.length, 0, 'the slot has not ended');
  agg.close(60, out);
  assert.equal(out.length, 3);
  const [a80, a443, a22] = [80, 443, 22].map((p) => out.find((r) => r.dport === p)!);
  assert.deepEqual(
    [a80.source, a80.target, a80.packets, a80.bytes, a80.firstTs, a80.lastTs, a80.tcpFlags, a80.anomalous, a80.scored, a80.end],
    ['*', '192.0.2.1', 4, 240, 1, 3, 0x06, 1, 1, 'slot'],
  );
  assert.deepEqual(a80.attempts, { flows: 3, sources: 2, sourcesExact: true, samples: ['198.51.100.1', '198.51.100.2'], slotStart: 0, slotS: 60, reason: 'unverified-attempts' });
  assert.equal(a443.source, '203.0.113.9');
  assert.deepEqual([a22.source, a22.target], ['2001:db8::7', '2001:db8::1']);
  // a later slot: a new row for the same key; past the cap the count is an estimate
  const many = 20_000;
  for (let i = 0; i < many; i++) agg.add((0x0a000000 + i * 7919) | 0, target, 6, 80, false, 61, 61, 61, 1, 60, 0x02, 0, 0, out);
  agg.flushAll(out);
  const big = out[3]!;
  assert.equal(big.attempts!.flows, many);
  assert.equal(big.attempts!.sourcesExact, false);
  assert.equal(big.attempts!.samples.length, 4);
  assert.ok(Math.abs(big.attempts!.sources - many) / many < 0.1, `estimate ${big.attempts!.sources} of ${many}`);
  assert.equal(agg.size, 0);
});

test('unanswered replies: one row per target, replier port and slot, apart from the initiations to that port', () => {
  const agg = new AttemptAggregator({ slotS: 60 });
  const out: FlowRecord[] = [];
  const victim = parseIpv4('192.0.2.1') | 0;
  // SYN-ACKs of two reflectors' port 80 to ports 1111, 2222, 3333 of the victim; a SYN to the victim's port 80
  const flows: Array<[string, boolean, number, number, number, number]> = [
    // source, reply, time, packets, bytes, flags
    ['198.51.100.1', true, 1, 1, 60, 0x12],
    ['198.51.100.2', true, 2, 2, 120, 0x12],
    ['198.51.100.2', true, 3, 1, 54, 0x04],
    ['203.0.113.9', false, 4, 1, 60, 0x02],
  ];
  for (const [source, reply, t, packets, bytes, flags] of flows) agg.add(parseIpv4(source) | 0, victim, 6, 80, reply, t, t, t, packets, bytes, flags, 0, 0, out);
  agg.flushAll(out);
  assert.equal(out.length, 2);
  const r = out.find((x) => x.attempts!.reason === 'unanswered-replies')!;
  assert.deepEqual(
    [r.source, r.target, r.sport, r.dport, r.servicePort, r.packets, r.bytes, r.tcpFlags, r.attempts!.flows, r.attempts!.sources, flowRow(r, 1, 'n1', 0).type],
    ['*', '192.0.2.1', 80, 0, 80, 4, 234, 0x16, 3, 2, 'tcp/80'],
  );
  const i = out.find((x) => x.attempts!.reason === 'unverified-attempts')!;
  assert.deepEqual([i.source, i.sport, i.dport, i.servicePort, flowRow(i, 2, 'n1', 0).type], ['203.0.113.9', 0, 80, undefined, 'tcp/80']);
  assert.equal(JSON.parse(flowRow(r, 1, 'n1', 0).detail).reply, true);
});

test('the ports bound: a target\'s first portsPerTarget ports a slot keep rows, further ones are one many-ports row counting its distinct ports; per kind; anew each slot', () => {
  const agg = new AttemptAggregator({ slotS: 60, portsPerTarget: 4 });
  const out: FlowRecord[] = [];
  const victim = parseIpv4('192.0.2.1') | 0;
  const syn = (source: string, port: number, t: number, reply = false) => agg.add(parseIpv4(source) | 0, victim, 6, port, reply, t, t, t, 1, 60, reply ? 0x12 : 0x02, 0, 0, out);
  for (const port of [1, 2, 3, 4, 5, 6, 7, 1, 5, 8]) syn('198.51.100.7', port, 1);
  syn('198.51.100.8', 9, 2);
  syn('203.0.113.1', 80, 3, true); // replies have a bound of their own
  agg.close(60, out);
  const many = out.filter((r) => r.attempts!.ports !== undefined);
  const own = out.filter((r) => r.attempts!.ports === undefined && r.attempts!.reason === 'unverified-attempts');
  assert.deepEqual(own.map((r) => [r.dport, r.attempts!.flows]).sort((a, b) => a[0]! - b[0]!), [[1, 2], [2, 1], [3, 1], [4, 1]]);
  assert.equal(many.length, 1);
  const m = many[0]!;
  assert.deepEqual(
    [m.source, m.sport, m.dport, m.packets, m.bytes, m.attempts!.flows, m.attempts!.ports, m.attempts!.sources, m.attempts!.samples, flowRow(m, 1, 'n1', 0).type],
    ['*', 0, 0, 6, 360, 6, 5, 2, ['198.51.100.7', '198.51.100.8'], 'tcp/*'],
  );
  assert.equal(out.filter((r) => r.attempts!.reason === 'unanswered-replies').length, 1);
  // a new slot counts anew: port 9 has a row of its own
  out.length = 0;
  syn('198.51.100.7', 9, 61);
  agg.flushAll(out);
  assert.deepEqual(out.map((r) => [r.dport, r.attempts!.ports]), [[9, undefined]]);
});

test('one-datagram UDP flows: rows of their own for a target\'s first ports a slot, its many-ports row past them (udp: false, never)', () => {
  const agg = new AttemptAggregator({ slotS: 60, portsPerTarget: 2 });
  const out: FlowRecord[] = [];
  const victim = parseIpv4('192.0.2.1') | 0;
  const dgram = (port: number) => agg.addDatagram(parseIpv4('198.51.100.1') | 0, victim, port, 1, 1, 1, 100, 0, 0, out);
  assert.deepEqual([1000, 2000, 1000, 3000, 4000, 3000].map(dgram), [false, false, false, true, true, true]);
  // TCP's ports are counted apart from UDP's
  agg.add(parseIpv4('198.51.100.1') | 0, victim, 6, 3000, false, 1, 1, 1, 1, 60, 0x02, 0, 0, out);
  agg.flushAll(out);
  const udp = out.find((r) => r.protocol === 17)!;
  assert.deepEqual([udp.source, udp.packets, udp.bytes, udp.attempts!.flows, udp.attempts!.ports, flowRow(udp, 1, 'n1', 0).type], ['198.51.100.1', 3, 300, 3, 2, 'udp/*']);
  assert.deepEqual(out.filter((r) => r.protocol === 6).map((r) => r.dport), [3000]);
  const off = new AttemptAggregator({ portsPerTarget: 1, udp: false });
  assert.deepEqual([1, 2, 3].map((p) => off.addDatagram(1, 2, p, 1, 1, 1, 40, 0, 0, out)), [false, false, false]);
});

test('the meter: one-datagram UDP flows past the ports bound join the many-ports row; flows of more datagrams, or from a verified source, never', () => {
  const meter = new FlowMeter({ attempts: { slotS: 60, maxPackets: 3, portsPerTarget: 2 } });
  const out: FlowRecord[] = [];
  // one-datagram flows to 5 ports of the victim, a flow of 2 datagrams to a sixth, and a datagram of a verified source to a seventh
  const rows: Array<[number, number]> = [[101, 0], [102, 0], [103, 0], [104, 0], [105, 0], [106, 0], [106, 0], [107, F.SOURCE_SEEN]];
  const b = new PacketBatch(rows.length);
  for (const [port, verified] of rows) {
    const i = b.length++;
    b.flags[i] = F.ETHERNET | F.IPV4 | F.UDP | verified;
    b.ts[i] = 1_700_000_000 + i;
    b.wirelen[i] = b.caplen[i] = 60;
    b.protocol[i] = 17;
    b.ipVersion[i] = 4;
    b.src4[i] = parseIpv4('198.51.100.1');
    b.dst4[i] = parseIpv4('192.0.2.1');
    b.srcPort[i] = 40000;
    b.dstPort[i] = port;
  }
  meter.observe({ shard: 0, packets: b, features: new Float64Array(0), featureCount: 0, geo: null }, null, 0.5, out);
  meter.flushAll(out);
  const many = out.filter((r) => r.attempts);
  assert.deepEqual(many.map((r) => [r.protocol, r.attempts!.flows, r.attempts!.ports, r.packets]), [[17, 3, 3, 3]]);
  assert.deepEqual(out.filter((r) => !r.attempts).map((r) => [r.dport, r.packets]).sort((a, b) => a[0]! - b[0]!), [[101, 1], [102, 1], [106, 2], [107, 1]]);
});

test('a full aggregator emits its least recently used aggregate early: nothing is lost', () => {
  const agg = new AttemptAggregator({ maxKeys: 16 });
  const out: FlowRecord[] = [];
  for (let port = 1; port <= 100; port++) agg.add(1, 2, 6, port, false, 1, 1, 1, 1, 40, 0x02, 0, 0, out);
  assert.ok(out.length >= 84);
  agg.flushAll(out);
  assert.equal(out.length, 100);
  assert.equal(out.reduce((s, r) => s + r.attempts!.flows, 0), 100);
});

test('the store counts an aggregate row as its flows (memory engine), and lists it once', () => {
  const rec: FlowRecord = {
    source: '*', target: '192.0.2.1', protocol: 6, sport: 0, dport: 80, firstTs: 1, lastTs: 3, packets: 7, bytes: 420, tcpFlags: 2, anomalous: 0, scored: 0,
    country: null, asn: null, end: 'slot', attempts: { flows: 5, sources: 5, sourcesExact: true, samples: ['198.51.100.1'], slotStart: 0, slotS: 60, reason: 'unverified-attempts' },
  };
  const one: FlowRecord = { ...rec, source: '198.51.100.9', attempts: undefined, packets: 3, end: 'fin' };
  delete one.attempts;
  const rows = [flowRow(rec, 1, 'n1', 1000), flowRow(one, 2, 'n1', 1001)];
  const q = { kind: 'flow' as const, from: 0, to: 2000, filters: {} };
  assert.deepEqual(evaluateQuery(rows, { ...q, measure: 'count' }).rows, [[6]]);
  assert.deepEqual(evaluateQuery(rows, { ...q, measure: 'top', groupBy: 'source' }).rows, [['*', 5], ['198.51.100.9', 1]]);
  assert.equal(evaluateQuery(rows, { ...q, measure: 'list' }).rows.length, 2);
  assert.equal(JSON.parse(rows[0]!.detail).attempts.flows, 5);
  // one shape for both (the fields in one order), each with the flows it counts as
  assert.deepEqual(Object.keys(rows[1]!), Object.keys(rows[0]!));
  assert.deepEqual(rows.map((r) => r.n), [5, 1]);
});

test('a flow row\'s detail, written by hand, is the text JSON.stringify writes for it: every record of the shared captures, and odd numbers', () => {
  const reference = (f: FlowRecord) => {
    const a = f.attempts;
    return JSON.stringify({
      protocol: f.protocol, sport: f.sport, dport: f.dport, packets: f.packets, bytes: f.bytes,
      start: Math.round(f.firstTs * 1000), durationMs: Math.round((f.lastTs - f.firstTs) * 1000),
      ...(f.protocol === 6 ? { flags: tcpFlagLetters(f.tcpFlags) } : {}),
      ...(f.servicePort !== undefined ? { reply: true } : {}),
      anomalous: f.anomalous, end: f.end,
      ...(a ? { attempts: { flows: a.flows, sources: a.sources, sourcesExact: a.sourcesExact, samples: a.samples, slotStart: Math.round(a.slotStart * 1000), slotS: a.slotS, reason: a.reason, ...(a.ports !== undefined ? { ports: a.ports } : {}) } } : {}),
    });
  };
  const { plain, aggregated } = meterBoth();
  const odd: FlowRecord = { ...plain[0]!, protocol: 6, tcpFlags: 0x1ff, packets: 2 ** 53, bytes: 1e21, firstTs: -0, lastTs: 1e-7, anomalous: NaN };
  const records = [...plain, ...aggregated, odd, { ...odd, anomalous: Infinity, servicePort: 80, end: 'slot' as const }, { ...odd, packets: -1234567, bytes: 0.5, firstTs: 12.5, lastTs: 3, anomalous: -0 }];
  assert.ok(records.some((r) => r.servicePort !== undefined) && records.some((r) => r.attempts?.ports !== undefined) && records.some((r) => r.protocol === 17));
  for (const r of records) assert.equal(flowDetail(r), reference(r));
  assert.equal(tcpFlagLetters(0x12), 'SA');
});
