// Unverified attempts stored as aggregates (src/detect/attempt-aggregates.ts): the counts stay
// true. The shared captures (a real SSH session, a SYN scan, the spoofed SYN flood, the SYN-ACK
// reflection) are marked by the session verifier and metered twice, one row per flow and with
// aggregates; both sets of rows go into a store (SQLite, read back with SQL), whose totals of
// flows, packets and bytes must be equal, while the flood's flows become a few rows.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AttemptAggregator, EXACT_SOURCES } from '../src/detect/attempt-aggregates.ts';
import { FlowMeter } from '../src/detect/flow-meter.ts';
import type { FlowRecord } from '../src/detect/flow-record.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { parseIpv4 } from '../src/net/address.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { flowDetail, flowRow, tcpFlagLetters } from '../src/store/event-row.ts';
import { openSqliteBackend } from '../src/store/sqlite-backend.ts';
import { evaluateQuery } from '../src/store/evaluate-query.ts';

const PCAP = fileURLToPath(new URL('../../shared/data/pcap/', import.meta.url));
const FILES = ['D05_benign_kali-normal-ssh.pcap', 'D08_scan_synscan.pcapng', 'D12_flood_pkt.TCP.synflood.spoofed.pcap', 'D14_flood_amp.TCP.reflection.SYNACK.pcap'];

/** Meters the files on one timeline through one verifier, as rows per flow (`plain`) and with aggregates. */
function meterBoth(): { plain: FlowRecord[]; aggregated: FlowRecord[]; meter: FlowMeter } {
  const verifier = new SessionVerifier();
  const plainMeter = new FlowMeter();
  const meter = new FlowMeter({ attempts: { slotS: 60, maxPackets: 3 } });
  const plain: FlowRecord[] = [];
  const aggregated: FlowRecord[] = [];
  for (const f of FILES) {
    readCaptureSync(join(PCAP, f), (packets) => {
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

test('on the shared captures, aggregates keep the store\'s totals of flows, packets and bytes, per service, in far fewer rows', async () => {
  const { plain, aggregated, meter } = meterBoth();
  const dir = mkdtempSync(join(tmpdir(), 'flow-attempts-'));
  try {
    const totals = async (records: FlowRecord[], file: string) => {
      const path = join(dir, file);
      const store = await openSqliteBackend(path);
      await store.insert(records.map((r, i) => flowRow(r, i + 1, 'n1', 1_000_000 + i)));
      const byService = await store.query({ kind: 'flow', from: 0, to: 2 ** 52, filters: {}, measure: 'count', groupBy: 'type', limit: 1000 });
      await store.close();
      const db = new (createRequire(import.meta.url)('better-sqlite3'))(path, { readonly: true });
      const [rows, flows, packets, bytes] = db
        .prepare("SELECT COUNT(*), SUM(n), SUM(json_extract(detail, '$.packets')), SUM(json_extract(detail, '$.bytes')) FROM events WHERE kind = 'flow'")
        .raw(true)
        .get() as number[];
      db.close();
      return { rows, flows, packets, bytes, byService: byService.rows };
    };
    const before = await totals(plain, 'plain.sqlite');
    const after = await totals(aggregated, 'aggregated.sqlite');
    assert.equal(before.rows, plain.length);
    assert.deepEqual([after.flows, after.packets, after.bytes], [before.flows, before.packets, before.bytes]);
    assert.deepEqual(after.byService, before.byService, 'counts per service too');
    assert.ok(meter.attempts!.attempts > 30_000, `the flood's flows are attempts (${meter.attempts!.attempts})`);
    // D14's reflected SYN-ACKs and resets are counted under the reflectors' ports, aggregated or not.
    const flows = (service: string) => (before.byService.find((r) => r[0] === service)?.[1] as number | undefined) ?? 0;
    assert.ok(flows('tcp/80') > 3_000 && flows('tcp/443') > 500, `tcp/80 ${flows('tcp/80')}, tcp/443 ${flows('tcp/443')}`);
    // 47,512 → 1,190 here: the flood is a few rows, the reflection a few more; the SYN scan is a row per port it tried.
    assert.ok(after.rows * 20 < before.rows, `rows: ${before.rows} → ${after.rows}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what is aggregated: unverified TCP attempts only (SYNs, resets, unanswered SYN-ACKs); verified sessions, other protocols and longer flows stay rows of their own', () => {
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
    assert.equal(a.protocol, 6);
    assert.ok((a.tcpFlags & 0x10) === 0 || (a.tcpFlags & 0x06) !== 0, 'no ACK in an attempt, unless it is a SYN-ACK or a reset');
    // an initiation is counted under the port it went to, a reply under the replier's (its source) port
    const reply = a.attempts!.reason === 'unanswered-replies';
    assert.equal(reply, a.servicePort !== undefined);
    if (reply) assert.deepEqual([a.dport, a.servicePort], [0, a.sport]);
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
      ...(a ? { attempts: { flows: a.flows, sources: a.sources, sourcesExact: a.sourcesExact, samples: a.samples, slotStart: Math.round(a.slotStart * 1000), slotS: a.slotS, reason: a.reason } } : {}),
    });
  };
  const { plain, aggregated } = meterBoth();
  const odd: FlowRecord = { ...plain[0]!, protocol: 6, tcpFlags: 0x1ff, packets: 2 ** 53, bytes: 1e21, firstTs: -0, lastTs: 1e-7, anomalous: NaN };
  const records = [...plain, ...aggregated, odd, { ...odd, anomalous: Infinity, servicePort: 80, end: 'slot' as const }];
  assert.ok(records.some((r) => r.servicePort !== undefined) && records.some((r) => r.attempts) && records.some((r) => r.protocol === 17));
  for (const r of records) assert.equal(flowDetail(r), reference(r));
  assert.equal(tcpFlagLetters(0x12), 'SA');
});
