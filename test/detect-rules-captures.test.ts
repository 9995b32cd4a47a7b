// The rule detectors on real captures, run as a node runs them: two detector shards
// (packets split by source hash), each with its own SourceRules and a tally per batch, and
// one VictimRules adding both shards' tallies. First the shared captures, then the classes
// of issue 16 on captures recorded on the range's lab and crafted with scapy
// (test/fixtures/captures/README.md).

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { DEFAULT_RULES, resolveRulesConfig, type RulesConfig } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';
import { VictimRules } from '../src/detect/rules/victim-rules.ts';
import { clearVictimTally, newVictimTally } from '../src/detect/rules/victim-tally.ts';
import { readLabels, type FileLabel } from '../src/eval/labels.ts';
import { LoginAttempts } from '../src/eval/login-attempts.ts';
import { PacketBatch } from '../src/net/packet-batch.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { ACK, PSH, type Pkt } from '../devkit/packets.ts';
import { runSharded } from '../devkit/sharded-rules.ts';

/** Session 16's crafted XMPP and NNTP guessers: the failed logins eval reads before the first alert. */
const XMPP_NNTP_BEFORE: Record<string, number> = {
  'classes_brute_xmpp_hydra.pcap': 17,
  'classes_brute_xmpp_one_at_a_time.pcap': 5,
  'classes_brute_nntp_hydra.pcap': 3,
  'classes_brute_nntp_one_at_a_time.pcap': 8,
};

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/captures/', import.meta.url).pathname;

interface Label extends FileLabel {
  cls: 'benign' | 'scan' | 'brute' | 'flood';
}

/** A labels.tsv (file, class, attackers, victims, packets, note), read as eval reads it. */
function readLabelsTsv(path: string): Label[] {
  return [...readLabels(path).files.values()].map((l) => ({ ...l, cls: l.class as Label['cls'] }));
}

const labels = readLabelsTsv(join(PCAP_DIR, 'labels.tsv'));

const batchCache = new Map<string, PacketBatch[]>();
function batchesOf(file: string): PacketBatch[] {
  let b = batchCache.get(file);
  if (!b) {
    b = [];
    const list = b;
    readCaptureSync(file.startsWith('/') ? file : join(PCAP_DIR, file), (batch) => {
      // the reader reuses its batch: keep a copy
      const copy = new PacketBatch(batch.capacity, batch.buffer.slice(0));
      copy.length = batch.length;
      list.push(copy);
    });
    batchCache.set(file, b);
  }
  return b;
}

const v4 = (text: string) => text.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;

interface Detection {
  alert: Alert;
  /** For alerts on the watched address: its earliest packet and the capture clock (its latest packet) when the alert was made. */
  firstTs?: number;
  clock?: number;
}

/** Two shards and the victim rules, fed batch by batch, marked first by a session verifier (and its UDP exchange tracker) as a capture marks them. */
class TwoShardNode {
  readonly verifier = new SessionVerifier();
  readonly shards: SourceRules[];
  readonly victims: VictimRules;
  readonly detections: Detection[] = [];
  private readonly tallies = [newVictimTally(), newVictimTally()];
  private readonly parts = [new PacketBatch(1024), new PacketBatch(1024)];
  private readonly watched: number | null;
  private watchMin = Infinity;
  private watchMax = -Infinity;
  private readonly out: Alert[] = [];

  constructor(watch?: string, config: RulesConfig = DEFAULT_RULES) {
    this.watched = watch ? v4(watch) : null;
    this.shards = [new SourceRules(config), new SourceRules(config)];
    this.victims = new VictimRules(config);
  }

  feed(cached: PacketBatch, shift = 0): void {
    const [p0, p1] = this.parts as [PacketBatch, PacketBatch];
    p0.clear();
    p1.clear();
    // cached batches are shared by the tests: each node marks its own copy
    const batch = new PacketBatch(cached.capacity, cached.buffer.slice(0));
    batch.length = cached.length;
    for (let i = 0; i < batch.length; i++) batch.ts[i] += shift;
    this.verifier.mark(batch);
    for (let i = 0; i < batch.length; i++) {
      const part = batch.srcHash(i) % 2 === 0 ? p0 : p1;
      part.appendRow(batch, i);
    }
    for (let k = 0; k < 2; k++) {
      const part = this.parts[k]!;
      const tally = this.tallies[k]!;
      clearVictimTally(tally);
      this.shards[k]!.scan(part, this.out, tally);
      this.collect(part);
      this.victims.add(tally, this.out);
      this.collect(null);
    }
  }

  /**
   * Record new alerts. For one on the watched address, find the packet that made it (the
   * first of the watched address's rows with the alert's timestamp) and take the watched
   * address's earliest and latest capture times up to it: the capture clock may run
   * backwards within a file (D15, D17), so the alert's own timestamp is not "when".
   */
  private collect(part: PacketBatch | null): void {
    const w = this.watched;
    for (const alert of this.out) {
      const d: Detection = { alert };
      if (part && w !== null && alert.source !== '' && v4(alert.source) === w) {
        let min = this.watchMin;
        let max = this.watchMax;
        for (let i = 0; i < part.length; i++) {
          if (part.src4[i] !== w) continue;
          min = Math.min(min, part.ts[i]);
          max = Math.max(max, part.ts[i]);
          if (part.ts[i] === alert.ts) break;
        }
        d.firstTs = min;
        d.clock = max;
      }
      this.detections.push(d);
    }
    this.out.length = 0;
    if (part && w !== null) {
      for (let i = 0; i < part.length; i++) {
        if (part.src4[i] !== w) continue;
        this.watchMin = Math.min(this.watchMin, part.ts[i]);
        this.watchMax = Math.max(this.watchMax, part.ts[i]);
      }
    }
  }

  get alerts(): Alert[] {
    return this.detections.map((d) => d.alert);
  }
}

function runFiles(files: string[], watch?: string, config?: RulesConfig): TwoShardNode {
  const node = new TwoShardNode(watch, config);
  for (const f of files) for (const b of batchesOf(f)) node.feed(b);
  return node;
}

function firstTs(file: string): number {
  let t = Infinity;
  for (const b of batchesOf(file)) for (let i = 0; i < b.length; i++) t = Math.min(t, b.ts[i]);
  return t;
}

function lastTs(file: string): number {
  let t = -Infinity;
  for (const b of batchesOf(file)) for (let i = 0; i < b.length; i++) t = Math.max(t, b.ts[i]);
  return t;
}

const describeAlert = (a: Alert) => `${a.type} ${a.source}→${a.target} blockable=${a.blockable} ${JSON.stringify(a.evidence)}`;

const report: Array<{ file: string; cls: string; first: string; ttdMs: string; alerts: number }> = [];
after(() => {
  report.sort((a, b) => a.file.localeCompare(b.file));
  console.log('\ntime to detect (capture time, first packet of the attacker, or of the flood, to its first alert):');
  console.table(report);
});

/**
 * `path` (reported as `file`): the attacker gets a blockable alert within `withinS` of its
 * first packet (capture time); no alert names a victim as its source, none but the attacker
 * is blockable.
 */
function expectScanner(file: string, path: string, attacker: string, victims: readonly string[], withinS: number, cls = 'scan'): void {
  const node = runFiles([path], attacker);
  const first = node.detections.find((d) => d.alert.blockable && d.alert.source === attacker);
  assert.ok(first, `no blockable alert for ${attacker}; alerts: ${node.alerts.map(describeAlert).join('; ')}`);
  for (const a of node.alerts) {
    assert.ok(!victims.includes(a.source), `alert on the victim: ${describeAlert(a)}`);
    if (a.blockable) assert.equal(a.source, attacker, `blockable alert on someone else: ${describeAlert(a)}`);
  }
  const ttd = first.clock! - first.firstTs!;
  report.push({ file, cls, first: first.alert.type, ttdMs: (ttd * 1000).toFixed(1), alerts: node.alerts.length });
  assert.ok(ttd >= 0 && ttd < withinS, `time to detect ${ttd} s`);
}

describe('rules on the shared captures', () => {
  for (const label of labels.filter((l) => l.cls === 'brute')) {
    test(`${label.file}: the attacker is flagged by its 5th failed login at the latest, the victim never`, () => {
      const attacker = label.attackers[0]!;
      const node = runFiles([label.file], attacker);
      const attempts = new LoginAttempts();
      for (const b of batchesOf(label.file)) attempts.scan(b);
      const alerts = node.alerts;
      const first = alerts.find((a) => a.blockable && a.source === attacker);
      assert.ok(first, `no blockable alert for ${attacker}; alerts: ${alerts.map(describeAlert).join('; ')}`);
      for (const a of alerts) {
        assert.ok(!label.victims.includes(a.source), `alert on the victim: ${describeAlert(a)}`);
        if (a.blockable) assert.equal(a.source, attacker, `blockable alert on someone else: ${describeAlert(a)}`);
      }
      assert.equal(first.type, 'ssh-brute-force');
      const before = attempts.between(attacker, -Infinity, first.ts);
      assert.ok(before.failures >= 1 && before.failures <= 5, `${before.failures} failed logins before the alert`);
      const ttd = first.ts - firstTs(label.file);
      report.push({ file: label.file, cls: label.cls, first: `${first.type} after ${before.failures} failures`, ttdMs: (ttd * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  for (const label of labels.filter((l) => l.cls === 'scan')) {
    test(`${label.file}: the attacker gets a blockable alert within 1 s of capture time, the victim none`, () => {
      expectScanner(label.file, label.file, label.attackers[0]!, label.victims, 1);
    });
  }

  for (const label of labels.filter((l) => l.cls === 'benign')) {
    test(`${label.file}: no alert`, () => {
      const alerts = runFiles([label.file]).alerts;
      assert.deepEqual(alerts.map(describeAlert), []);
      report.push({ file: label.file, cls: 'benign', first: '-', ttdMs: '-', alerts: 0 });
    });
  }

  test('all benign captures one after another: no alert', () => {
    const files = labels.filter((l) => l.cls === 'benign').map((l) => l.file);
    assert.ok(files.length >= 5);
    const node = runFiles(files);
    assert.deepEqual(node.alerts.map(describeAlert), []);
    assert.ok(node.shards.every((s) => s.stats().packets! > 0));
  });

  test('D05 (a normal SSH login) followed by D18 (hydra, same hosts) on one timeline flags 192.168.1.2', () => {
    const d05 = 'D05_benign_kali-normal-ssh.pcap';
    const d18 = 'D18_brute_kali-password-attack_hydra.pcap';
    const node = new TwoShardNode('192.168.1.2');
    for (const b of batchesOf(d05)) node.feed(b);
    assert.deepEqual(node.alerts.map(describeAlert), [], 'D05 alone');
    const shift = lastTs(d05) + 5 - firstTs(d18);
    for (const b of batchesOf(d18)) node.feed(b, shift);
    const flagged = node.alerts.filter((a) => a.blockable);
    assert.ok(flagged.length > 0, 'no alert after D18');
    for (const a of flagged) assert.equal(a.source, '192.168.1.2', describeAlert(a));
    assert.equal(flagged[0]!.type, 'ssh-brute-force');
    assert.ok(flagged[0]!.ts > lastTs(d05), 'the alert comes with D18, not before');
  });

  const floods: Array<[string, Alert['type']]> = [
    ['D12_flood_pkt.TCP.synflood.spoofed.pcap', 'syn-flood'],
    ['D13_flood_amp.UDP.isakmp.pcap', 'udp-amplification'],
    ['D14_flood_amp.TCP.reflection.SYNACK.pcap', 'tcp-reflection'],
  ];
  for (const [file, type] of floods) {
    test(`${file}: a non-blockable ${type} alert naming 10.10.10.10, and nothing blockable`, () => {
      const alerts = runFiles([file]).alerts;
      assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
      const flood = alerts.find((a) => a.type === type && a.target === '10.10.10.10');
      assert.ok(flood, `no ${type} alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(flood.blockable, false);
      assert.ok(flood.score > 0.5 && flood.score <= 1);
      assert.ok((flood.evidence.sources as number) >= 20, 'many sources');
      const ttd = flood.ts - firstTs(file);
      report.push({ file, cls: 'flood', first: type, ttdMs: (ttd * 1000).toFixed(1), alerts: alerts.length });
    });
  }
});

describe('rules on recorded and crafted captures: the classes of issue 16', () => {
  const fixture = (name: string) => join(FIXTURES, name);
  const ATTACKER = '198.51.100.2', VICTIM = '198.51.100.1', CLIENT = '198.51.100.3';

  for (const name of ['recorded_benign_ssh-admin-typo.pcap', 'recorded_benign_ssh-typo-same-connection.pcap', 'recorded_benign_ssh-keys-then-typo.pcap']) {
    test(`${name}: an admin who mistypes (and whose agent's keys are refused) and then logs in is never flagged`, () => {
      const file = fixture(name);
      const attempts = new LoginAttempts();
      for (const b of batchesOf(file)) attempts.scan(b);
      const c = attempts.clients.get(CLIENT);
      assert.ok(c && c.failures.length >= 1, 'the capture holds failed logins');
      assert.deepEqual(runFiles([file]).alerts.map(describeAlert), []);
    });
  }

  test('the three admin captures on one timeline: still nothing', () => {
    const node = new TwoShardNode();
    let end = 0;
    for (const name of ['recorded_benign_ssh-admin-typo.pcap', 'recorded_benign_ssh-typo-same-connection.pcap', 'recorded_benign_ssh-keys-then-typo.pcap']) {
      const file = fixture(name);
      const shift = end === 0 ? 0 : end + 5 - firstTs(file);
      for (const b of batchesOf(file)) node.feed(b, shift);
      end = lastTs(file) + shift;
    }
    assert.deepEqual(node.alerts.map(describeAlert), []);
  });

  for (const [name, type, service, port] of [
    ['recorded_brute_hydra-ssh-2222.pcap', 'ssh-brute-force', 'ssh', 2222],
    ['recorded_brute_hydra-ftp.pcap', 'brute-force', 'ftp', 21],
  ] as const) {
    test(`${name}: ${service} on port ${port}, known by what the server says: flagged by the 5th failed login at the latest`, () => {
      const file = fixture(name);
      const alerts = runFiles([file]).alerts;
      const attempts = new LoginAttempts();
      for (const b of batchesOf(file)) attempts.scan(b);
      const first = alerts.find((a) => a.blockable && a.source === ATTACKER);
      assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(first.type, type);
      assert.equal(first.target, VICTIM);
      assert.equal(first.evidence.service, service);
      assert.equal(first.evidence.port, port);
      for (const a of alerts) if (a.blockable) assert.equal(a.source, ATTACKER, describeAlert(a));
      const before = attempts.between(ATTACKER, -Infinity, first.ts);
      assert.ok(before.failures >= 3 && before.failures <= 5, `${before.failures} failed logins before the alert`);
      report.push({ file: name, cls: 'brute', first: `${first.type} after ${before.failures} failures`, ttdMs: ((first.ts - firstTs(file)) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  test('fragmented amplification from ports on no list: alerted on its victim within 1 s; fragments counted, never read as ports', () => {
    const file = fixture('crafted_flood_fragmented_amplification.pcap');
    const victim = '203.0.113.10';
    const alerts = runFiles([file]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), [], 'no reflector is flagged (a fragment read as ports would look like a scan)');
    const flood = alerts.find((a) => a.target === victim);
    assert.ok(flood, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
    assert.equal(flood.type, 'udp-amplification');
    assert.equal(alerts.length, 1, 'the solicited answers and the peer-to-peer exchange before the flood are no flood');
    // the flood is the first unsolicited answer: a datagram from a reflector (100.64/16)
    let start = Infinity, datagrams = 0, fragments = 0;
    for (const b of batchesOf(file)) {
      for (let i = 0; i < b.length; i++) {
        if (b.src4[i] >>> 16 !== ((100 << 8) | 64)) continue;
        start = Math.min(start, b.ts[i]);
        if (b.ts[i] > flood.ts) continue;
        if (b.fragOffset[i] !== 0) {
          fragments++;
          assert.equal(b.srcPort[i] + b.dstPort[i], 0, 'a later fragment has no ports');
        } else datagrams++;
      }
    }
    assert.ok(flood.ts - start < 1, `alerted ${flood.ts - start} s after the flood began`);
    assert.ok((flood.evidence.responses as number) > datagrams, `${flood.evidence.responses} counted of ${datagrams} datagrams and ${fragments} later fragments: the fragments count`);
    report.push({ file: 'crafted_flood_fragmented_amplification.pcap', cls: 'flood', first: flood.type, ttdMs: ((flood.ts - start) * 1000).toFixed(1), alerts: alerts.length });
  });

  test('SYN flood with ECN/CWR flags (and PSH, URG): alerted on its victim within 1 s of its first packet', () => {
    const file = fixture('crafted_flood_syn_ecn.pcap');
    const alerts = runFiles([file]).alerts;
    const flood = alerts.find((a) => a.type === 'syn-flood' && a.target === '203.0.113.10');
    assert.ok(flood, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
    assert.equal(flood.blockable, false);
    let start = Infinity;
    for (const b of batchesOf(file)) for (let i = 0; i < b.length; i++) if (b.tcpFlags[i] & 0xc0) start = Math.min(start, b.ts[i]);
    assert.ok(flood.ts - start >= 0 && flood.ts - start < 1, `alerted ${flood.ts - start} s after the flood began`);
    report.push({ file: 'crafted_flood_syn_ecn.pcap', cls: 'flood', first: flood.type, ttdMs: ((flood.ts - start) * 1000).toFixed(1), alerts: alerts.length });
  });
});

describe('rules on crafted classes nobody tuned to (test/fixtures/captures/classes, craft_classes.py)', () => {
  const dir = join(FIXTURES, 'classes');
  const classLabels = readLabelsTsv(join(dir, 'labels.tsv'));
  const label = (file: string) => classLabels.find((l) => l.file === file)!;

  // nmap's scan types (FIN, NULL, Xmas, ACK, Maimon, window, IP protocol, UDP) and a sweep
  // of one port across a /24 at one host a second from an ordinary stack.
  const scans: Array<[string, number]> = [
    ['classes_scan_fin.pcap', 1],
    ['classes_scan_null.pcap', 1],
    ['classes_scan_xmas.pcap', 1],
    ['classes_scan_ack.pcap', 1],
    ['classes_scan_maimon.pcap', 1],
    ['classes_scan_window.pcap', 1],
    ['classes_scan_ipproto.pcap', 1],
    ['classes_scan_udp_closed.pcap', 1],
    ['classes_scan_slow_horizontal.pcap', 60],
    // session 8: sweeps, slow and randomised scans, a UDP flood from one address
    ['classes_scan_ping_sweep_nmap.pcap', 1],
    ['classes_scan_ping_sweep_fping.pcap', 5],
    ['classes_scan_syn_sweep_zmap.pcap', 1],
    ['classes_scan_slow_t2_syn.pcap', 1],
    ['classes_scan_slow_t1_connect.pcap', 1200],
    ['classes_scan_masscan_rand_sport.pcap', 1],
    ['classes_flood_udp_one_source.pcap', 1],
    // session 9: one source flooding one port, to a closed port and to a DNS server that answers others
    ['classes_flood_udp_one_port.pcap', 1],
    ['classes_flood_udp_one_port_fixed.pcap', 1],
    // session 10: web scanners, seen by the error answers they draw (http-errors.ts): nikto at
    // ~54 errors a second fills 200 beyond a 1/s leak in about 4 s; gobuster at ~500 in well
    // under 1. The alert comes from the server's packets, in the server's shard, so the clock
    // measured here is the scanner's latest packet in the batches fed so far (up to a batch
    // past the alert: 5.6 s for nikto, whose alert is 3.7 s after its first packet)
    ['classes_scan_web_nikto.pcap', 10],
    ['classes_scan_web_gobuster.pcap', 1],
    // session 13: a UDP scan from source port 53 (nmap -sU -g 53, a firewall evasion)
    ['classes_scan_udp_source_port_53.pcap', 1],
    ['classes_scan_udp_sweep_source_port_53.pcap', 1],
  ];
  for (const [file, within] of scans) {
    test(`${file}: the scanner gets a blockable alert within ${within} s of its first packet, nobody else does`, () => {
      const { attackers, victims } = label(file);
      expectScanner(file, join(dir, file), attackers[0]!, victims, within);
    });
  }

  for (const file of ['classes_scan_web_nikto.pcap', 'classes_scan_web_gobuster.pcap']) {
    test(`${file}: the scanner's alert is http-probing, names the web server, and counts its error answers`, () => {
      const { attackers, victims } = label(file);
      const alerts = runFiles([join(dir, file)]).alerts.filter((a) => a.blockable);
      assert.deepEqual(alerts.map((a) => `${a.type} ${a.source}→${a.target}`), [`http-probing ${attackers[0]}→${victims[0]}`]);
      const e = alerts[0]!.evidence;
      assert.ok((e.errors as number) >= 200 && (e.errors as number) > (e.hits as number), describeAlert(alerts[0]!));
      assert.ok(String(e.statuses).includes('404'), describeAlert(alerts[0]!));
    });
  }

  test('a web scanner behind the benign web look-alikes on one timeline: the scanner alone is flagged', () => {
    const files = ['classes_benign_web_proxy_nat.pcap', 'classes_benign_web_broken_images.pcap', 'classes_scan_web_nikto.pcap'].map((f) => join(dir, f));
    const alerts = runFiles(files).alerts.filter((a) => a.blockable);
    assert.deepEqual([...new Set(alerts.map((a) => a.source))], ['203.0.113.80']);
  });

  test('classes_scan_syn_decoys.pcap: the real scanner is flagged; its decoys send the very same packets and are flagged too', () => {
    const file = 'classes_scan_syn_decoys.pcap';
    const { attackers, victims } = label(file);
    const node = runFiles([join(dir, file)], attackers[0]);
    const flagged = new Set(node.alerts.filter((a) => a.blockable).map((a) => a.source));
    assert.ok(flagged.has(attackers[0]!), `the scanner is not flagged: ${[...flagged]}`);
    for (const v of victims) assert.ok(!flagged.has(v), 'the victim is flagged');
    // nmap -D: same ports, same TTL, same window from every address; only the decoys' number tells them apart
    assert.deepEqual([...flagged].sort(), ['198.51.100.23', '198.51.100.7', '198.51.100.99', attackers[0]!].sort());
  });

  for (const file of ['classes_flood_dns_reflection.pcap', 'classes_flood_ntp_monlist.pcap']) {
    test(`${file}: a non-blockable udp-amplification alert naming the victim within 1 s of the flood, nothing blockable`, () => {
      const victim = label(file).victims[0]!;
      const alerts = runFiles([join(dir, file)]).alerts;
      assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
      const flood = alerts.find((a) => a.target === victim);
      assert.ok(flood, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(flood.type, 'udp-amplification');
      // the flood: the first datagram from a source that is not the victim's resolver
      let start = Infinity;
      for (const b of batchesOf(join(dir, file))) {
        for (let i = 0; i < b.length; i++) if (b.dst4[i] === v4(victim) && b.src4[i] !== v4('10.20.0.53')) start = Math.min(start, b.ts[i]);
      }
      assert.ok(flood.ts - start >= 0 && flood.ts - start < 1, `alerted ${flood.ts - start} s after the flood began`);
      report.push({ file, cls: 'flood', first: flood.type, ttdMs: ((flood.ts - start) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  for (const [file, type] of [['classes_flood_ack_spoofed.pcap', 'tcp-flood'], ['classes_flood_rst_spoofed.pcap', 'tcp-flood'], ['classes_flood_udp_spoofed.pcap', 'udp-flood']] as const) {
    test(`${file}: from forged sources: a non-blockable ${type} alert naming the victim within 1 s, nothing blockable`, () => {
      const victim = label(file).victims[0]!;
      const alerts = runFiles([join(dir, file)]).alerts;
      assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
      const flood = alerts.find((a) => a.target === victim);
      assert.ok(flood, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(flood.type, type);
      assert.equal(alerts.length, 1, 'the clients before the flood are no flood');
      // the flood: the first packet from outside the clients' 192.0.2.0/24
      let start = Infinity;
      for (const b of batchesOf(join(dir, file))) {
        for (let i = 0; i < b.length; i++) if (b.dst4[i] === v4(victim) && b.src4[i] >>> 8 !== v4('192.0.2.0') >>> 8) start = Math.min(start, b.ts[i]);
      }
      assert.ok(flood.ts - start >= 0 && flood.ts - start < 1, `alerted ${flood.ts - start} s after the flood began`);
      report.push({ file, cls: 'flood', first: flood.type, ttdMs: ((flood.ts - start) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  for (const file of ['classes_scan_ipv6_syn.pcap']) {
    test(`${file}: over IPv6, the scanner gets a blockable alert, nobody else does`, () => {
      const { attackers, victims } = label(file);
      const alerts = runFiles([join(dir, file)]).alerts;
      const first = alerts.find((a) => a.blockable && a.source === attackers[0]);
      assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      for (const a of alerts) {
        assert.ok(!victims.includes(a.source), `alert on the victim: ${describeAlert(a)}`);
        if (a.blockable) assert.equal(a.source, attackers[0], describeAlert(a));
      }
      report.push({ file, cls: 'scan', first: first.type, ttdMs: ((first.ts - firstTs(join(dir, file))) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  // brute force over IPv6, SSH on a port nobody lists, FTP as medusa and ncrack guess
  for (const [file, type] of [
    ['classes_brute_ipv6_ssh.pcap', 'ssh-brute-force'],
    ['classes_brute_ssh_port_40022.pcap', 'ssh-brute-force'],
    ['classes_brute_ftp_medusa.pcap', 'brute-force'],
    ['classes_brute_ftp_ncrack.pcap', 'brute-force'],
  ] as const) {
    test(`${file}: the guesser is flagged (${type}) by its 5th failed login at the latest, nobody else`, () => {
      const path = join(dir, file);
      const { attackers: [attacker], victims: [victim] } = label(file);
      const alerts = runFiles([path]).alerts;
      const attempts = new LoginAttempts();
      for (const b of batchesOf(path)) attempts.scan(b);
      const first = alerts.find((a) => a.blockable && a.source === attacker);
      assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(first.type, type);
      assert.equal(first.target, victim);
      for (const a of alerts) if (a.blockable) assert.equal(a.source, attacker, describeAlert(a));
      const before = attempts.between(attacker!, -Infinity, first.ts);
      assert.ok(before.failures >= 3 && before.failures <= 5, `${before.failures} failed logins before the alert`);
      report.push({ file, cls: 'brute', first: `${first.type} after ${before.failures} failures`, ttdMs: ((first.ts - firstTs(path)) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  // session 10: MySQL/MariaDB and VNC failed logins (fail2ban's count), HTTP 401s (a rate: login-rules.ts)
  for (const [file, service, counted, allRead] of [
    ['classes_brute_mysql_hydra.pcap', 'mysql', 5],
    ['classes_brute_mysql_caching_sha2.pcap', 'mysql', 5],
    ['classes_brute_vnc_hydra.pcap', 'vnc', 5],
    ['classes_brute_http_keepalive.pcap', 'http', 20],
    ['classes_brute_http_medusa.pcap', 'http', 20],
    // session 11 (lane login11): SMB's NT statuses, PostgreSQL's ErrorResponse after a password
    // request, Redis's -WRONGPASS; every guess read as a failure (at least 30 in each)
    ['classes_brute_smb2_netexec.pcap', 'smb', 5, 30],
    ['classes_brute_smb1_hydra.pcap', 'smb', 5, 30],
    ['classes_brute_postgres_hydra.pcap', 'postgresql', 5, 30],
    ['classes_brute_postgres_msf.pcap', 'postgresql', 5, 30],
    ['classes_brute_redis_hydra.pcap', 'redis', 5, 30],
    ['classes_brute_redis_old.pcap', 'redis', 5, 30],
    // session 12: SQL Server's ERROR 18456 answering a login (with and without PRELOGIN)
    ['classes_brute_mssql_msf.pcap', 'mssql', 5, 30],
    ['classes_brute_mssql_hydra.pcap', 'mssql', 5, 30],
    // session 14: an RTSP camera's 401s (RTSP/1.0 status lines are HTTP's: http-status.ts)
    ['classes_brute_rtsp_hydra.pcap', 'http', 20],
    // session 14: MQTT's CONNACK refusing the credentials (4, 5; 5.0's 0x86, 0x87)
    ['classes_brute_mqtt_ncrack.pcap', 'mqtt', 5, 30],
    ['classes_brute_mqtt_sequential.pcap', 'mqtt', 5, 30],
    ['classes_brute_mqtt5.pcap', 'mqtt', 5, 30],
    // session 14: LDAP's BindResponse 49, invalidCredentials (fail2ban's slapd filter)
    ['classes_brute_ldap_hydra.pcap', 'ldap', 5, 30],
    ['classes_brute_ldap_rebind.pcap', 'ldap', 5, 30],
    // session 16: Active Directory's BindResponse (4-byte lengths: the code at byte 17, read in
    // the 32 bytes a row keeps); a sprayer's one password over many accounts
    ['classes_brute_ldap_ad_hydra.pcap', 'ldap', 5, 30],
    ['classes_brute_ldap_ad_spray.pcap', 'ldap', 5, 30],
  ] as Array<readonly [string, string, number, number?]>) {
    test(`${file}: the guesser is flagged (brute-force, ${service}) by its ${counted === 5 ? '5th failed login at the latest' : '20th 401'}, nobody else`, () => {
      const path = join(dir, file);
      const { attackers: [attacker], victims: [victim] } = label(file);
      const alerts = runFiles([path]).alerts;
      const first = alerts.find((a) => a.blockable && a.source === attacker);
      assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(first.type, 'brute-force');
      assert.equal(first.target, victim);
      assert.equal(first.evidence.service, service);
      for (const a of alerts) assert.equal(a.source, attacker, describeAlert(a));
      const attempts = new LoginAttempts();
      for (const b of batchesOf(path)) attempts.scan(b);
      if (allRead !== undefined) assert.ok(attempts.between(attacker!, -Infinity, Infinity).failures >= allRead, 'every guess read as a failure');
      const before = attempts.between(attacker!, -Infinity, first.ts).failures;
      if (counted === 5) assert.ok(before >= 3 && before <= 5, `${before} failed logins before the alert`);
      else assert.equal(before, counted);
      report.push({ file, cls: 'brute', first: `${first.type} after ${before} ${service === 'http' ? '401s' : 'failures'}`, ttdMs: ((first.ts - firstTs(path)) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  // A guesser whose refusals are counted by credential length (login-rules.ts): flagged by the
  // brute-force rule of `service` at fail2ban's maxretry, after `before` of its `total` refusals
  // read, and nobody else flagged
  const lengthCounted = (file: string, service: string, total: number, before: number, why: string) => {
    const path = join(dir, file);
    const { attackers: [attacker], victims: [victim] } = label(file);
    const alerts = runFiles([path]).alerts;
    const first = alerts.find((a) => a.blockable && a.source === attacker);
    assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
    assert.equal(first.type, 'brute-force');
    assert.equal(first.target, victim);
    assert.equal(first.evidence.service, service);
    assert.equal(first.evidence.maxretry, 5);
    for (const a of alerts) assert.equal(a.source, attacker, describeAlert(a));
    const attempts = new LoginAttempts();
    for (const b of batchesOf(path)) attempts.scan(b);
    assert.equal(attempts.between(attacker!, -Infinity, Infinity).failures, total);
    assert.equal(attempts.between(attacker!, -Infinity, first.ts).failures, before, why);
    report.push({ file, cls: 'brute', first: `${first.type} after ${before} failures`, ttdMs: ((first.ts - firstTs(path)) * 1000).toFixed(1), alerts: alerts.length });
  };

  // Look-alikes whose refusals are read (`failures` by client address) and nothing alerted
  const quietLookalikes = (file: string, failures: ReadonlyArray<readonly [string, number]>) => {
    const path = join(dir, file);
    const attempts = new LoginAttempts();
    for (const b of batchesOf(path)) attempts.scan(b);
    for (const [client, n] of failures) assert.equal(attempts.between(client, -Infinity, Infinity).failures, n, client);
    const alerts = runFiles([path]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
    report.push({ file, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
  };

  // session 16: LDAP binds to Active Directory counted by their BindRequest's length
  // (login-rules.ts): a bind of the length of the client's previous refused one counts only as
  // parallel guessing, so a stale password binding once a minute is never banned and a slow
  // sprayer is, at its 5th refusal of another length than the one before
  test('classes_brute_ldap_ad_slowspray.pcap: every refusal read; one account every 30 s is flagged (brute-force, ldap) at the 5th refusal whose length differs from the one before (the 7th), nobody else', () => {
    lengthCounted('classes_brute_ldap_ad_slowspray.pcap', 'ldap', 40, 7, 'binds of 49, 49, 49, 50, 48, 49 and 50 bytes: the 7th is the 5th that differs from the one before');
  });
  test('classes_benign_ldap_ad.pcap: a stale service-account password refused 30 times (once a minute) and five typos read, nothing alerted', () => {
    quietLookalikes('classes_benign_ldap_ad.pcap', [['10.20.0.41', 30], ...[0, 1, 2, 3, 4].map((k) => [`10.20.4.${10 + k}`, 1] as const)]);
  });

  // session 15 (lane socks15): Asterisk's AMI, a refused Login read from the error the server
  // hangs up after; counted once per Login length (login-rules.ts), so the guesser fires at its
  // 5th new length, the 11th of hydra's refusals here, and a stale secret never does
  test('classes_brute_ami_hydra.pcap: every refusal read; the guesser is flagged (brute-force, ami) at its 5th new Login length, nobody else', () => {
    lengthCounted('classes_brute_ami_hydra.pcap', 'ami', 48, 11, 'secrets of 6, 5, 8, 5, 6, 8, 6, 7, 6, 7 and 4 characters: the 11th is the 5th length');
  });
  test('classes_benign_ami.pcap: a stale secret refused 120 times and a typo read (a monitor\'s Ping without a login, which it closes first, not), nothing alerted', () => {
    quietLookalikes('classes_benign_ami.pcap', [['10.20.0.70', 120], ['10.20.3.80', 1], ['10.20.0.5', 0]]);
  });

  // session 15 (lane logins15): memcached's SASL, a refused SASL_AUTH read from its status
  // 0x0020; counted once per request length (login-rules.ts), as SOCKS5's
  test('classes_brute_memcached_hydra.pcap: every refusal read; hydra\'s 4 tasks are flagged (brute-force, memcached) at their 3rd refusal, side by side, nobody else', () => {
    const path = join(dir, 'classes_brute_memcached_hydra.pcap');
    const { attackers: [attacker], victims: [victim] } = label('classes_brute_memcached_hydra.pcap');
    const alerts = runFiles([path]).alerts;
    const first = alerts.find((a) => a.blockable && a.source === attacker);
    assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
    assert.equal(first.type, 'brute-force');
    assert.equal(first.target, victim);
    assert.equal(first.evidence.service, 'memcached');
    for (const a of alerts) assert.equal(a.source, attacker, describeAlert(a));
    const attempts = new LoginAttempts();
    for (const b of batchesOf(path)) attempts.scan(b);
    assert.equal(attempts.between(attacker!, -Infinity, Infinity).failures, 48);
    const before = attempts.between(attacker!, -Infinity, first.ts).failures;
    assert.equal(before, 3, 'passwords of 6, 8 and 5 characters answered within the burst window');
    report.push({ file: 'classes_brute_memcached_hydra.pcap', cls: 'brute', first: `${first.type} after ${before} failures`, ttdMs: ((first.ts - firstTs(path)) * 1000).toFixed(1), alerts: alerts.length });
  });
  test('classes_brute_memcached_one_at_a_time.pcap: a guess every 2 s on one connection is flagged at its 5th new length (its 8th refusal), nobody else', () => {
    lengthCounted('classes_brute_memcached_one_at_a_time.pcap', 'memcached', 32, 8, 'passwords of 6, 8, 5, 8, 9, 6, 6 and 7 characters: the 8th is the 5th length');
  });
  test('classes_benign_memcached.pcap: a stale password refused 800 times, a typo and five behind a NAT read (GETs refused before authenticating, not), nothing alerted', () => {
    quietLookalikes('classes_benign_memcached.pcap', [['10.20.0.71', 800], ['10.20.3.81', 1], ['198.51.100.40', 5], ['10.20.0.6', 0]]);
  });

  // session 16 (lane xmpp16): XMPP's SASL <failure/> and NNTP's 481 read, counted by the
  // credential's length and again when a length is refused twice on one stream (login-rules.ts)
  for (const [file, service, blurb] of [
    ['classes_brute_xmpp_hydra.pcap', 'xmpp', "hydra xmpp's 16 tasks (base64 folds the 48 passwords into 2 lengths) are flagged by the parallel test once their second guesses repeat a length on their streams"],
    ['classes_brute_xmpp_one_at_a_time.pcap', 'xmpp', 'a guess every 2 s on one stream is flagged at its 5th refusal (2 lengths, then each repeated on the stream)'],
    ['classes_brute_nntp_hydra.pcap', 'nntp', "hydra nntp's 4 tasks are flagged at their 3rd refusal (passwords of 6, 8 and 5 characters), side by side"],
    ['classes_brute_nntp_one_at_a_time.pcap', 'nntp', 'a connection a guess every 2 s is flagged at its 5th new length (its 8th refusal)'],
  ] as const) {
    test(`${file}: every refusal read; ${blurb}, nobody else`, () => {
      const path = join(dir, file);
      const { attackers: [attacker], victims: [victim] } = label(file);
      const alerts = runFiles([path]).alerts;
      const first = alerts.find((a) => a.blockable && a.source === attacker);
      assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(first.type, 'brute-force');
      assert.equal(first.target, victim);
      assert.equal(first.evidence.service, service);
      for (const a of alerts) assert.equal(a.source, attacker, describeAlert(a));
      const attempts = new LoginAttempts();
      for (const b of batchesOf(path)) attempts.scan(b);
      assert.equal(attempts.between(attacker!, -Infinity, Infinity).failures, file.includes('hydra') ? 48 : 32);
      const before = attempts.between(attacker!, -Infinity, first.ts).failures;
      assert.equal(before, XMPP_NNTP_BEFORE[file]);
      report.push({ file, cls: 'brute', first: `${first.type} after ${before} failures`, ttdMs: ((first.ts - firstTs(path)) * 1000).toFixed(1), alerts: alerts.length });
    });
  }
  for (const [file, reads, blurb] of [
    ['classes_benign_xmpp.pcap', [['10.20.0.72', 720], ['10.20.0.73', 240], ['10.20.3.82', 1], ['198.51.100.44', 5]], 'a stale bot refused 720 times, a SCRAM-then-PLAIN library 240, a typo, five behind a NAT'],
    ['classes_benign_nntp.pcap', [['10.20.0.74', 720], ['10.20.0.75', 60], ['10.20.3.83', 1], ['198.51.100.45', 5]], 'a stale reader refused 720 times, a fetcher 60, a typo, five behind a NAT'],
  ] as const) {
    test(`${file}: ${blurb}: read, nothing alerted`, () => {
      const path = join(dir, file);
      const attempts = new LoginAttempts();
      for (const b of batchesOf(path)) attempts.scan(b);
      for (const [client, n] of reads) assert.equal(attempts.between(client, -Infinity, Infinity).failures, n, client);
      const alerts = runFiles([path]).alerts;
      assert.deepEqual(alerts.map(describeAlert), []);
      report.push({ file, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
    });
  }

  // session 14: Cameradar guesses a camera's stream paths (404s, the web-probing rule) before its credentials (401s)
  test('classes_brute_rtsp_cameradar.pcap: the path guessing is flagged (http-probing) before the credentials are, and the credential guessing (brute-force) after, nobody else', () => {
    const path = join(dir, 'classes_brute_rtsp_cameradar.pcap');
    const { attackers: [attacker], victims: [victim] } = label('classes_brute_rtsp_cameradar.pcap');
    const alerts = runFiles([path]).alerts.filter((a) => a.blockable);
    assert.deepEqual(alerts.map((a) => [a.type, a.source, a.target]), [['http-probing', attacker, victim], ['brute-force', attacker, victim]], alerts.map(describeAlert).join('; '));
    report.push({ file: 'classes_brute_rtsp_cameradar.pcap', cls: 'brute', first: alerts[0]!.type, ttdMs: ((alerts[0]!.ts - firstTs(path)) * 1000).toFixed(1), alerts: alerts.length });
  });

  for (const file of ['classes_benign_mysql_pool.pcap', 'classes_benign_http_auth.pcap', 'classes_benign_vnc.pcap', 'classes_benign_rtsp_nvr.pcap', 'classes_benign_mqtt.pcap', 'classes_benign_ldap_apps.pcap']) {
    test(`${file}: the failed logins and 401s in it are read, and nothing is alerted`, () => {
      const path = join(dir, file);
      const attempts = new LoginAttempts();
      for (const b of batchesOf(path)) attempts.scan(b);
      let failures = 0;
      for (const c of attempts.clients.values()) failures += c.failures.length;
      assert.ok(failures >= 1, 'the capture holds failed logins or 401s');
      const alerts = runFiles([path]).alerts;
      assert.deepEqual(alerts.map(describeAlert), []);
      report.push({ file, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
    });
  }

  // RDP with NLA: no reply code, so sessions that end before any desktop go into the undecided bucket (10)
  for (const file of ['classes_brute_rdp_hydra.pcap', 'classes_brute_rdp_slow.pcap']) {
    test(`${file}: the guesser is flagged (brute-force, rdp) at its 10th NLA session that ended before a desktop, nobody else`, () => {
      const path = join(dir, file);
      const { attackers: [attacker], victims: [victim] } = label(file);
      const alerts = runFiles([path]).alerts;
      const first = alerts.find((a) => a.blockable && a.source === attacker);
      assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(first.type, 'brute-force');
      assert.equal(first.target, victim);
      assert.equal(first.evidence.service, 'rdp');
      assert.equal(first.evidence.undecidedSessions, DEFAULT_RULES.bruteForce.undecidedThreshold);
      for (const a of alerts) assert.equal(a.source, attacker, describeAlert(a));
      report.push({ file, cls: 'brute', first: `${first.type} after ${first.evidence.undecidedSessions} sessions`, ttdMs: ((first.ts - firstTs(path)) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  test('classes_benign_rdp.pcap: a certificate prompt, a typo and reconnects, 12 users redirected by a broker, a certificate monitor every 5 min, rdp-ntlm-info: no alert', () => {
    const alerts = runFiles([join(dir, 'classes_benign_rdp.pcap')]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
    report.push({ file: 'classes_benign_rdp.pcap', cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
  });

  for (const [file, failures] of [['classes_benign_smb.pcap', 5], ['classes_benign_postgres_pool.pcap', 1], ['classes_benign_redis.pcap', 1], ['classes_benign_mssql.pcap', 2]] as const) {
    test(`${file}: its ${failures} failed logins are read (and nothing else: not a challenge, a refusal before authentication, an error after it, -NOAUTH), and nothing is alerted`, () => {
      const path = join(dir, file);
      const attempts = new LoginAttempts();
      for (const b of batchesOf(path)) attempts.scan(b);
      let read = 0;
      for (const c of attempts.clients.values()) read += c.failures.length;
      assert.equal(read, failures);
      const alerts = runFiles([path]).alerts;
      assert.deepEqual(alerts.map(describeAlert), []);
      report.push({ file, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
    });
  }

  // session 11 (lane form11): brute force against web login forms, read from the guesser's
  // own requests (form-logins.ts); the servers answer 200, so no failed login is read
  for (const file of ['classes_brute_form_hydra_4.pcap', 'classes_brute_form_hydra_16.pcap', 'classes_brute_form_burp_intruder.pcap', 'classes_brute_form_slow_keepalive.pcap',
    'classes_brute_form_wpscan_wp_login.pcap', 'classes_brute_form_wpscan_xmlrpc.pcap']) {
    test(`${file}: the guesser is flagged (brute-force, http-form) by its 20th login request at the latest, nobody else`, () => {
      const path = join(dir, file);
      const { attackers: [attacker], victims: [victim] } = label(file);
      const alerts = runFiles([path]).alerts;
      const first = alerts.find((a) => a.blockable && a.source === attacker);
      assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(first.type, 'brute-force');
      assert.equal(first.target, victim);
      assert.equal(first.evidence.service, 'http-form');
      const attempts = first.evidence.attempts as number;
      assert.ok(attempts >= 10 && attempts <= 20, `${attempts} login requests before the alert`);
      for (const a of alerts) assert.equal(a.source, attacker, describeAlert(a));
      // eval's attempts before the ban read the same requests (login-attempts.ts)
      const counted = new LoginAttempts();
      for (const b of batchesOf(path)) counted.scan(b);
      assert.equal(counted.between(attacker!, -Infinity, first.ts).loginRequests, attempts);
      report.push({ file, cls: 'brute', first: `${first.type} after ${attempts} login requests`, ttdMs: ((first.ts - firstTs(path)) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  test("classes_benign_form_logins.pcap: an author's typos and Heartbeat, a NAT's 150 users logging in, an SPA's refreshes, an API client, Jetpack: no alert; without the other requests' credit the NAT is alerted", () => {
    const path = join(dir, 'classes_benign_form_logins.pcap');
    const alerts = runFiles([path]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
    const without = runFiles([path], undefined, resolveRulesConfig({ formLogin: { otherRequestCredit: 0 } })).alerts;
    assert.deepEqual([...new Set(without.map((a) => `${a.type} ${a.source} ${a.evidence.service}`))], ['brute-force 10.20.0.1 http-form']);
    report.push({ file: 'classes_benign_form_logins.pcap', cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
  });

  // session 9: UDP one-way by design (syslog, NetFlow/IPFIX) and heavy answered UDP (QUIC, WireGuard, RTP)
  for (const file of ['classes_benign_netflow.pcap', 'classes_benign_udp_answered.pcap', 'classes_benign_syslog.pcap']) {
    test(`${file}: no alert at all`, () => {
      const alerts = runFiles([join(dir, file)]).alerts;
      assert.deepEqual(alerts.map(describeAlert), []);
      report.push({ file, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
    });
  }

  // session 10: one-way UDP at collector scale (craft_one_way.py), and the reflections shaped most like it
  for (const file of ['classes_benign_syslog_collector.pcap', 'classes_benign_flow_export.pcap', 'classes_benign_snmp_traps.pcap', 'classes_benign_gelf_statsd.pcap']) {
    test(`${file}: reports from clients' ephemeral ports to the collector's port (some IP-fragmented): no alert at all`, () => {
      const alerts = runFiles([join(dir, file)]).alerts;
      assert.deepEqual(alerts.map(describeAlert), []);
      report.push({ file, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
    });
  }

  for (const file of ['classes_flood_reflection_to_syslog_port.pcap', 'classes_flood_reflection_to_port_53.pcap', 'classes_flood_reflection_high_ports.pcap', 'classes_flood_dns_reflection_busy_resolver.pcap']) {
    test(`${file}: a non-blockable udp-amplification alert naming the victim within 1 s of the flood, nothing blockable`, () => {
      const victim = label(file).victims[0]!;
      const alerts = runFiles([join(dir, file)]).alerts;
      assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
      const flood = alerts.find((a) => a.target === victim);
      assert.ok(flood, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(flood.type, 'udp-amplification');
      assert.equal(alerts.length, 1, 'the victim\'s clients, senders and resolver are no flood');
      // the flood: the first packet toward the victim from outside the operator's 10.20.0.0/16
      let start = Infinity;
      for (const b of batchesOf(join(dir, file))) {
        for (let i = 0; i < b.length; i++) if (b.dst4[i] === v4(victim) && b.src4[i] >>> 16 !== v4('10.20.0.0') >>> 16) start = Math.min(start, b.ts[i]);
      }
      assert.ok(flood.ts - start >= 0 && flood.ts - start < 1, `alerted ${flood.ts - start} s after the flood began`);
      report.push({ file, cls: 'flood', first: flood.type, ttdMs: ((flood.ts - start) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  test('classes_flood_udp_spoofed_busy_client.pcap: a forged flood at a DNS forwarder busy with its own answered queries: a non-blockable udp-flood alert naming it within 1.5 s, nothing blockable', () => {
    const file = 'classes_flood_udp_spoofed_busy_client.pcap';
    const victim = label(file).victims[0]!;
    const alerts = runFiles([join(dir, file)]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
    const flood = alerts.find((a) => a.target === victim);
    assert.ok(flood, `no alert (its own requests hid the flood); alerts: ${alerts.map(describeAlert).join('; ')}`);
    assert.equal(flood.type, 'udp-flood');
    assert.equal(flood.evidence.answered, 0);
    // the flood: the first datagram toward the forwarder not from its upstream resolver
    let start = Infinity;
    for (const b of batchesOf(join(dir, file))) {
      for (let i = 0; i < b.length; i++) if (b.dst4[i] === v4(victim) && b.src4[i] !== v4('10.20.0.54')) start = Math.min(start, b.ts[i]);
    }
    // 2000 beyond a leak of 1000/s, filled at 3000/s: 1 s
    assert.ok(flood.ts - start >= 0 && flood.ts - start < 1.5, `alerted ${flood.ts - start} s after the flood began`);
    report.push({ file, cls: 'flood', first: flood.type, ttdMs: ((flood.ts - start) * 1000).toFixed(1), alerts: alerts.length });
  });

  test('classes_benign_admin_scan.pcap: an admin\'s nmap -sS of its own server is a scan (allow-list admin hosts): flagged, and only the admin', () => {
    const alerts = runFiles([join(dir, 'classes_benign_admin_scan.pcap')]).alerts;
    const flagged = new Set(alerts.filter((a) => a.blockable).map((a) => a.source));
    assert.deepEqual([...flagged], ['10.20.0.9']);
  });

  for (const file of ['classes_benign_dns_resolver.pcap', 'classes_benign_p2p.pcap', 'classes_benign_nat_gateway.pcap', 'classes_benign_monitoring.pcap', 'classes_benign_lb_health.pcap', 'classes_benign_browser.pcap', 'classes_benign_ntp.pcap', 'classes_benign_ipv6_ssh_admin_typo.pcap',
    'classes_benign_web_broken_images.pcap', 'classes_benign_web_crawler.pcap', 'classes_benign_web_proxy_nat.pcap', 'classes_benign_web_api_poller.pcap']) {
    test(`${file}: nothing blockable`, () => {
      const alerts = runFiles([join(dir, file)]).alerts;
      assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
      report.push({ file, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
    });
  }
});

describe('ARP sweeps: real nmap 7.93 -sn and arp-scan 1.10 on a bridge of four namespaces, and a LAN\'s ordinary ARP', () => {
  // recorded on 198.18.1.1's interface: the scanner 198.18.1.2 sweeps 198.18.1.0/24, three hosts answer
  for (const file of ['recorded_scan_nmap-sn-arp.pcap', 'recorded_scan_arp-scan.pcap']) {
    test(`${file}: the sweeping host gets a blockable horizontal-scan alert over ARP within 1 s, nobody else any`, () => {
      expectScanner(file, join(FIXTURES, file), '198.18.1.2', ['198.18.1.1', '198.18.1.3', '198.18.1.10', '198.18.1.20'], 1);
      const alerts = runFiles([join(FIXTURES, file)]).alerts;
      assert.ok(alerts.some((a) => a.type === 'port-scan-horizontal' && a.evidence.proto === 'arp'), alerts.map(describeAlert).join('; '));
    });
  }
  test('classes_benign_arp_lan.pcap: a router revalidating 250 clients, keepalived\'s announcements, DHCP probes: no alert', () => {
    const alerts = runFiles([join(FIXTURES, 'classes', 'classes_benign_arp_lan.pcap')]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
  });
});

describe('SCTP scans: real nmap 7.93 -sY and -sZ (a veth pair); SCTP signalling and tunnels', () => {
  for (const file of ['recorded_scan_nmap-sY.pcap', 'recorded_scan_nmap-sZ.pcap']) {
    test(`${file}: the scanner gets a blockable vertical-scan alert over SCTP ports within 1 s, nobody else any`, () => {
      expectScanner(file, join(FIXTURES, file), '198.18.0.2', ['198.18.0.1'], 1);
      const alerts = runFiles([join(FIXTURES, file)]).alerts;
      assert.ok(alerts.some((a) => a.type === 'port-scan-vertical' && a.evidence.proto === 'sctp'), alerts.map(describeAlert).join('; '));
    });
  }
  test('recorded_benign_traceroute.pcap: Linux traceroute over two routers (UDP, then -N 1, ICMP and TCP to port 80): no alert', () => {
    const alerts = runFiles([join(FIXTURES, 'recorded_benign_traceroute.pcap')]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
  });
  // SIP over UDP: 403s are failed logins, 401s and 404s a challenge's bucket (login-rules.ts sipAnswer)
  for (const file of ['classes_brute_sip_svcrack.pcap', 'classes_brute_sip_pjsip.pcap', 'classes_brute_sip_svwar.pcap']) {
    test(`${file}: the guesser gets a blockable brute-force alert (service sip) within 1 s, nobody else any`, () => {
      const path = join(FIXTURES, 'classes', file);
      const attacker = readLabelsTsv(join(FIXTURES, 'classes', 'labels.tsv')).find((l) => l.file === file)!.attackers[0]!;
      const alerts = runFiles([path]).alerts;
      const first = alerts.find((a) => a.blockable && a.source === attacker);
      assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.equal(first.type, 'brute-force');
      assert.equal(first.evidence.service, 'sip');
      for (const a of alerts) assert.equal(a.source, attacker, describeAlert(a));
      assert.ok(first.ts - firstTs(path) < 1, `alerted ${first.ts - firstTs(path)} s after the first guess`);
      report.push({ file, cls: 'brute', first: first.type, ttdMs: ((first.ts - firstTs(path)) * 1000).toFixed(1), alerts: alerts.length });
    });
  }
  // The client of a SIP answer is its destination, so an answer must answer something: a host
  // sending "SIP/2.0 403" datagrams nobody asked for, from its own address, had their
  // destination banned as a SIP guesser (a forgeable-graded ban of a host never seen before).
  test('unsolicited SIP 403s toward a host that sent no SIP: no alert naming it', () => {
    const pkts: Pkt[] = [];
    for (let k = 0; k < 200; k++) {
      pkts.push({ ts: 1000 + k * 0.01, src: '198.51.100.7', dst: '192.0.2.10', proto: 'udp', sp: 5060, dp: 5060 + (k % 50), payload: 300, head: 'SIP/2.0 403 Forbidden\r\n' });
    }
    const alerts = runSharded(DEFAULT_RULES, [pkts]).out;
    assert.deepEqual(alerts.filter((a) => a.source === '192.0.2.10').map(describeAlert), []);
  });
  // An answer must answer a SIP request: a host that asked a DNS server something, answered,
  // then got "SIP/2.0 403" datagrams forged from the server's address and port (UDP_REPLY,
  // the port was asked within the window) was banned as a SIP guesser.
  test('SIP 403s forged from a DNS server a host asked: no alert naming the host', () => {
    const pkts: Pkt[] = [];
    for (let k = 0; k < 3; k++) {
      pkts.push({ ts: 1000 + k, src: '192.0.2.10', dst: '198.51.100.53', proto: 'udp', sp: 40000, dp: 53, payload: 40, head: [0x12, 0x34 + k, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 0x65, 0x78, 0x61] });
      pkts.push({ ts: 1000 + k + 0.01, src: '198.51.100.53', dst: '192.0.2.10', proto: 'udp', sp: 53, dp: 40000, payload: 56, head: [0x12, 0x34 + k, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 7, 0x65, 0x78, 0x61] });
    }
    for (let k = 0; k < 200; k++) {
      pkts.push({ ts: 1004 + k * 0.01, src: '198.51.100.53', dst: '192.0.2.10', proto: 'udp', sp: 53, dp: 40000, payload: 300, head: 'SIP/2.0 403 Forbidden\r\n' });
    }
    const alerts = runSharded(DEFAULT_RULES, [pkts]).out;
    assert.deepEqual(alerts.filter((a) => a.source === '192.0.2.10').map(describeAlert), []);
  });
  test('SIP 403s answering REGISTERs the host sent to that port: the host is the guesser', () => {
    const pkts: Pkt[] = [];
    for (let k = 0; k < 20; k++) {
      pkts.push({ ts: 1000 + k * 0.05, src: '192.0.2.10', dst: '198.51.100.80', proto: 'udp', sp: 5060, dp: 5060, payload: 400, head: 'REGISTER sip:198.5' });
      pkts.push({ ts: 1000 + k * 0.05 + 0.01, src: '198.51.100.80', dst: '192.0.2.10', proto: 'udp', sp: 5060, dp: 5060, payload: 300, head: 'SIP/2.0 403 Forbidden\r\n' });
    }
    const alerts = runSharded(DEFAULT_RULES, [pkts]).out;
    assert.ok(alerts.some((a) => a.source === '192.0.2.10' && a.type === 'brute-force' && a.evidence.service === 'sip'), alerts.map(describeAlert).join('; '));
  });
  test('classes_benign_sip_pbx.pcap: 40 phones re-registering (one mistypes twice), OPTIONS, a trunk\'s calls challenged 407: no alert', () => {
    const alerts = runFiles([join(FIXTURES, 'classes', 'classes_benign_sip_pbx.pcap')]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
  });
  test('classes_benign_network_monitor.pcap: pings and SNMP polls of 300 live hosts a minute, all answered: no alert', () => {
    const alerts = runFiles([join(FIXTURES, 'classes', 'classes_benign_network_monitor.pcap')]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
  });
  test('classes_benign_tunnels.pcap: a VPN hub taking ESP from 30 spokes, a GRE tunnel, both far more in than out: no alert', () => {
    const alerts = runFiles([join(FIXTURES, 'classes', 'classes_benign_tunnels.pcap')]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
  });
  test('classes_benign_sctp_signalling.pcap: S1AP, Diameter and M3UA associations, INIT retransmissions, reconnections: no alert', () => {
    const alerts = runFiles([join(FIXTURES, 'classes', 'classes_benign_sctp_signalling.pcap')]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
  });
});

describe('rules on recordings of real nmap 7.93 and hping3 (a veth pair between two network namespaces)', () => {
  const SCANNER = '198.18.0.2', TARGET = '198.18.0.1';
  // session 11: -f (8-byte fragments: the first holds no TCP flags) and --ip-options R (40
  // bytes of IP options, so -s 96 cut the SYN's TCP options) were read as malformed and missed
  for (const s of ['sA', 'sM', 'sW', 'sO', 'f', 'ip-options']) {
    const file = `recorded_scan_nmap-${s}.pcap`;
    test(`${file}: the scanner gets a blockable alert within 1 s, nobody else does`, () => {
      expectScanner(file, join(FIXTURES, file), SCANNER, [TARGET], 1);
    });
  }
  test('recorded_scan_nmap-6-sS.pcap: nmap -6 -sS, the scanner gets a blockable alert at its first probes, nobody else does', () => {
    const file = join(FIXTURES, 'recorded_scan_nmap-6-sS.pcap');
    const alerts = runFiles([file]).alerts;
    const first = alerts.find((a) => a.blockable && a.source === 'fd00:d8::2');
    assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
    for (const a of alerts) assert.equal(a.source, 'fd00:d8::2', describeAlert(a));
    assert.ok(first.ts - firstTs(file) < 1);
    report.push({ file: 'recorded_scan_nmap-6-sS.pcap', cls: 'scan', first: first.type, ttdMs: ((first.ts - firstTs(file)) * 1000).toFixed(1), alerts: alerts.length });
  });

  test('recorded_flood_hping3-udp-rand-source.pcap: a non-blockable udp-flood alert naming the target within 1.5 s, nothing blockable', () => {
    const file = join(FIXTURES, 'recorded_flood_hping3-udp-rand-source.pcap');
    const alerts = runFiles([file]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
    const flood = alerts.find((a) => a.type === 'udp-flood' && a.target === TARGET);
    assert.ok(flood, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
    assert.ok(flood.ts - firstTs(file) < 1.5, `alerted ${flood.ts - firstTs(file)} s after the flood began`);
    report.push({ file: 'recorded_flood_hping3-udp-rand-source.pcap', cls: 'flood', first: flood.type, ttdMs: ((flood.ts - firstTs(file)) * 1000).toFixed(1), alerts: alerts.length });
  });

  // session 11: two floods that went wrong before. hping3's LAND (-S -a TARGET -s 80 -k -p 80
  // TARGET, 10,000/s): every SYN "from" its own destination; the half-open rule banned the
  // target itself. Every flag at once (-F -S -R -P -A -U -X -Y --rand-source -p 80): a SYN-ACK
  // with RST and FIN, counted toward nothing, raised nothing.
  for (const [name, type, blurb] of [
    ['recorded_flood_hping3-land.pcap', 'syn-flood', 'LAND, the target as source'],
    ['recorded_flood_hping3-all-flags-rand-source.pcap', 'tcp-flood', 'every TCP flag, random sources'],
    ['recorded_flood_hping3-rawip-rand-source.pcap', 'ip-flood', 'raw IP protocol 255, random sources'],
  ] as const) {
    test(`${name}: ${blurb}: a non-blockable ${type} alert naming the target within 1 s, nothing blockable`, () => {
      const file = join(FIXTURES, name);
      const alerts = runFiles([file]).alerts;
      assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
      const flood = alerts.find((a) => a.type === type && a.target === TARGET);
      assert.ok(flood, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.ok(flood.ts - firstTs(file) < 1, `alerted ${flood.ts - firstTs(file)} s after the flood began`);
      report.push({ file: name, cls: 'flood', first: flood.type, ttdMs: ((flood.ts - firstTs(file)) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  // A host talking to itself on lo (the default capture interface) is not LAND: every segment
  // of one busy local connection (src = dst = 127.0.0.1, or ::1) was counted toward a tcp-flood
  // of 127.0.0.1, each as a source of its own.
  for (const addr of ['127.0.0.1', '::1']) {
    test(`one busy connection over loopback (${addr}, 2,000 segments/s for 3 s) raises nothing`, () => {
      const batches: Pkt[][] = [];
      let ts = 1000;
      for (let b = 0; b < 30; b++) {
        const pkts: Pkt[] = [];
        for (let k = 0; k < 100; k++) {
          ts += 0.001;
          pkts.push({ ts, src: addr, dst: addr, sp: 40000, dp: 5432, flags: ACK | PSH, payload: 100, seq: b * 100 + k, ack: 1 });
          pkts.push({ ts, src: addr, dst: addr, sp: 5432, dp: 40000, flags: ACK | PSH, payload: 200, seq: b * 100 + k, ack: 1 });
        }
        batches.push(pkts);
      }
      assert.deepEqual(runSharded(DEFAULT_RULES, batches).out.map(describeAlert), []);
    });
  }

  test('recorded_flood_hping3-udp-one-port.pcap: hping3 --udp -p 53 from one address: a blockable udp-flood alert within 1 s, nobody else flagged', () => {
    expectScanner('recorded_flood_hping3-udp-one-port.pcap', join(FIXTURES, 'recorded_flood_hping3-udp-one-port.pcap'), SCANNER, [TARGET], 1);
    const alerts = runFiles([join(FIXTURES, 'recorded_flood_hping3-udp-one-port.pcap')]).alerts;
    assert.deepEqual(alerts.map((a) => [a.type, a.source, a.evidence.port]), [['udp-flood', SCANNER, 53]]);
  });

  test('recorded_flood_hping3-udp-one-source.pcap: hping3 --udp -p ++1 from its own address is a vertical scan of UDP ports: blockable within 1 s', () => {
    expectScanner('recorded_flood_hping3-udp-one-source.pcap', join(FIXTURES, 'recorded_flood_hping3-udp-one-source.pcap'), SCANNER, [TARGET], 1);
  });

  // session 12: floods from the attacker's own address, recorded (hping3 3.0.0, nping 0.7.93)
  for (const [file, type, within] of [
    ['recorded_flood_hping3-ack-one-source.pcap', 'tcp-flood', 1],
    ['recorded_flood_hping3-icmp-one-source.pcap', 'icmp-flood', 1],
    ['recorded_flood_hping3-blacknurse-one-source.pcap', 'icmp-flood', 1],
    ['recorded_flood_nping-tcp-connect.pcap', 'connection-flood', 10],
  ] as const) {
    test(`${file}: a blockable ${type} alert naming the attacker within ${within} s, nobody else flagged`, () => {
      expectScanner(file, join(FIXTURES, file), SCANNER, [TARGET], within, 'flood');
      const alerts = runFiles([join(FIXTURES, file)]).alerts.filter((a) => a.blockable);
      assert.ok(alerts.some((a) => a.type === type && a.source === SCANNER && a.target === TARGET), alerts.map(describeAlert).join('; '));
    });
  }

  for (const file of ['recorded_flood_hping3-ack-rand-source.pcap', 'recorded_flood_hping3-rst-rand-source.pcap']) {
    test(`${file}: a non-blockable tcp-flood alert naming the target within 1 s, nothing blockable`, () => {
      const alerts = runFiles([join(FIXTURES, file)]).alerts;
      assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
      const flood = alerts.find((a) => a.type === 'tcp-flood' && a.target === TARGET);
      assert.ok(flood, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      const start = firstTs(join(FIXTURES, file));
      assert.ok(flood.ts - start < 1, `alerted ${flood.ts - start} s after the flood began`);
      report.push({ file, cls: 'flood', first: flood.type, ttdMs: ((flood.ts - start) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  // session 10 (lane login10): Debian's hydra 9.4 against MariaDB 10.11 and against a Python
  // Basic-auth server (HTTP/1.1), and the benign clients of both, recorded between two namespaces
  /** The guesser's first blockable alert: a brute-force alert for `service` on `port`, and only the guesser alerted; with the failed logins eval reads in the file, in all and before the alert. */
  const recordedGuesser = (name: string, service: string, port: number) => {
    const file = join(FIXTURES, name);
    const alerts = runFiles([file]).alerts;
    const first = alerts.find((a) => a.blockable && a.source === SCANNER);
    assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
    assert.equal(first.type, 'brute-force');
    assert.equal(first.target, TARGET);
    assert.equal(first.evidence.service, service);
    assert.equal(first.evidence.port, port);
    for (const a of alerts) assert.equal(a.source, SCANNER, describeAlert(a));
    const failures = loginFailures(file);
    return { first, alerts, start: firstTs(file), all: failures(Infinity), before: failures(first.ts) };
  };
  /** The failed logins eval reads in a file from SCANNER, up to a time. */
  const loginFailures = (file: string) => {
    const attempts = new LoginAttempts();
    for (const b of batchesOf(file)) attempts.scan(b);
    return (until: number) => attempts.between(SCANNER, -Infinity, until).failures;
  };
  /** A benign recording: `failures` failed logins read, no alert at all. */
  const recordedBenign = (name: string, failures: number) => {
    const file = join(FIXTURES, name);
    assert.equal(loginFailures(file)(Infinity), failures);
    const alerts = runFiles([file]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
    report.push({ file: name, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
  };

  // every guess read as a failure, the alert by the 5th: hydra 9.4 against MariaDB 10.11 (-t 4
  // mysql, every answer a 1045); session 11 (lane login11) against PostgreSQL 15 (SCRAM-SHA-256,
  // ssl off: libpq's SSLRequest answered 'N'; 28P01), Redis 7.0 (requirepass; hydra's first
  // probe, answered -NOAUTH, is no guess) and Samba 4.17 (SMB1 allowed; hydra smb runs one task)
  for (const [name, service, port, blurb] of [
    ['recorded_brute_hydra-mysql.pcap', 'mysql', 3306, 'hydra -t 4 mysql (100 passwords) against MariaDB 10.11, every answer a 1045'],
    ['recorded_brute_hydra-postgres.pcap', 'postgresql', 5432, 'hydra -t 4 postgres (100 passwords) against PostgreSQL 15, every answer a 28P01'],
    ['recorded_brute_hydra-redis.pcap', 'redis', 6379, 'hydra -t 4 redis (100 passwords) against Redis 7.0, every answer a -WRONGPASS'],
    ['recorded_brute_hydra-smb.pcap', 'smb', 445, 'hydra smb (SMB1, 100 passwords) against Samba 4.17, every answer a LOGON_FAILURE'],
  ] as const) {
    test(`${name}: ${blurb}: a blockable brute-force alert (${service}) by the 5th failure, nobody else`, () => {
      const { first, alerts, start, all, before } = recordedGuesser(name, service, port);
      assert.equal(all, 100, 'every guess read as a failed login');
      assert.ok(before >= 3 && before <= 5, `${before} failed logins before the alert`);
      report.push({ file: name, cls: 'brute', first: `${first.type} after ${before} failures`, ttdMs: ((first.ts - start) * 1000).toFixed(1), alerts: alerts.length });
    });
  }

  test('recorded_benign_mysql-typo-pool.pcap: the mariadb client mistyped twice then logged in, then 20 connections at once three times: 2 failures read, no alert', () => {
    recordedBenign('recorded_benign_mysql-typo-pool.pcap', 2);
  });

  test('recorded_benign_http-auth-typo-token-monitor.pcap: curl as a person (challenge, two typos, login), 10 parallel requests with expired credentials, a monitor polling every second for a minute: 73 401s read, no alert', () => {
    recordedBenign('recorded_benign_http-auth-typo-token-monitor.pcap', 73);
  });

  // session 11 (lane form11): Debian's hydra 9.4 against a Python login form (http.server,
  // HTTP/1.1: a wrong password is answered 200 with the form again, the right one 302)
  test('recorded_brute_hydra-http-post-form.pcap: hydra -t 16 http-post-form (150 passwords, a GET of the page and the POST per guess): a blockable brute-force alert (http-form) within 1 s, by the 20th POST, nobody else', () => {
    const { first, alerts, start, all } = recordedGuesser('recorded_brute_hydra-http-post-form.pcap', 'http-form', 80);
    assert.equal(all, 0, 'no failed login the server side tells: every answer is a 200');
    const attempts = first.evidence.attempts as number;
    assert.ok(attempts >= 10 && attempts <= 20, `${attempts} login requests before the alert`);
    assert.equal(first.evidence.paths, '/login');
    assert.ok(first.ts - start < 1, `alerted ${first.ts - start} s after the first connection`);
    report.push({ file: 'recorded_brute_hydra-http-post-form.pcap', cls: 'brute', first: `${first.type} after ${attempts} POSTs`, ttdMs: ((first.ts - start) * 1000).toFixed(1), alerts: alerts.length });
  });

  test('recorded_brute_hydra-http-get-form.pcap: hydra -t 4 http-get-form (100 passwords): nothing by default (GET forms are not read), a brute-force alert (http-form, GET) once its path is in formLogin.getPaths', () => {
    const file = join(FIXTURES, 'recorded_brute_hydra-http-get-form.pcap');
    assert.deepEqual(runFiles([file]).alerts.map(describeAlert), []);
    const alerts = runFiles([file], undefined, resolveRulesConfig({ formLogin: { getPaths: ['/login.php'] } })).alerts;
    assert.deepEqual(alerts.map((a) => `${a.type} ${a.source} ${a.target} ${a.evidence.service} ${a.evidence.method}`), [`brute-force ${SCANNER} ${TARGET} http-form GET`]);
    const attempts = alerts[0]!.evidence.attempts as number;
    assert.ok(attempts >= 10 && attempts <= 20, `${attempts} login requests before the alert`);
  });

  test('recorded_benign_form-login-typo-nat.pcap: curl as a person (the form, two typos, the login), 40 users of one address logging in within 20 s, an API client POSTing 10 a second: no alert', () => {
    recordedBenign('recorded_benign_form-login-typo-nat.pcap', 0);
  });

  test('recorded_brute_hydra-http-get.pcap: hydra -l u -P (300 passwords) http-get: the guesser gets a blockable brute-force alert (http) at its 20th 401 within 1 s, nobody else', () => {
    const { first, alerts, start, all, before } = recordedGuesser('recorded_brute_hydra-http-get.pcap', 'http', 80);
    assert.ok(all >= 300, 'every guess was answered 401');
    assert.equal(before, 20);
    assert.ok(first.ts - start < 1, `alerted ${first.ts - start} s after the first connection`);
    report.push({ file: 'recorded_brute_hydra-http-get.pcap', cls: 'brute', first: `${first.type} after 20 401s`, ttdMs: ((first.ts - start) * 1000).toFixed(1), alerts: alerts.length });
  });

  // session 11 (lane login11): the benign clients of PostgreSQL 15, Samba 4.17 and Redis 7.0
  test('recorded_benign_postgres-typo-pool.pcap: psql without a password (closed when asked), two typos, the login, 30 connections at once three times, a database that does not exist: 2 failures read, no alert', () => {
    recordedBenign('recorded_benign_postgres-typo-pool.pcap', 2);
  });

  test('recorded_benign_smb-typo-clients.pcap: smbclient (SMB 3.1.1) mistyping twice, then listing and fetching files (one not found), 10 clients at once three times: 2 failures read, no alert', () => {
    recordedBenign('recorded_benign_smb-typo-clients.pcap', 2);
  });

  test('recorded_benign_redis-typo-pool.pcap: redis-cli PING before AUTH (-NOAUTH), a typo then the login in one connection, 10 clients AUTHing at once three times: 1 failure read, no alert', () => {
    recordedBenign('recorded_benign_redis-typo-pool.pcap', 1);
  });

  // session 15 (lane socks15, record_socks5.sh): SOCKS5 username/password against Dante 1.4.2,
  // which answers a wrong password with 01 01 at once and closes. The guessers are banned by
  // the parallel test (3 new credential lengths refused within 2 s); the benign clients
  // (198.18.0.3) are read failing as often as they did, and nobody is alerted
  for (const [name, failures, blurb] of [
    ['recorded_brute_hydra-socks5.pcap', 53, 'hydra 9.4 -t 4 socks5 (nmap\'s first 100 passwords; hydra stops after 53, its CONNECT check after each 01 01 reset)'],
    ['recorded_brute_nmap-socks-brute.pcap', 102, 'nmap 7.93 socks-brute (the same passwords)'],
    ['recorded_brute_socks5-one-at-a-time.pcap', 40, 'curl through the proxy with the next password as soon as the last failed'],
  ] as const) {
    test(`${name}: ${blurb}: every 01 01 read as a failed login, a blockable brute-force alert (socks5) within 1 s by the 5th, nobody else`, () => {
      const { first, alerts, start, all, before } = recordedGuesser(name, 'socks5', 1080);
      assert.equal(all, failures, 'every refusal read');
      assert.ok(before >= 3 && before <= 5, `${before} failed logins before the alert`);
      assert.ok(first.ts - start < 1, `${first.ts - start} s`);
      report.push({ file: name, cls: 'brute', first: `${first.type} after ${before} failures`, ttdMs: ((first.ts - start) * 1000).toFixed(1), alerts: alerts.length });
    });
  }
  for (const [name, failures, blurb] of [
    ['recorded_benign_socks5-typo-then-login.pcap', 1, 'curl as a person: a mistyped proxy password, the login, then pages two at a time'],
    ['recorded_benign_socks5-stale-password-pool.pcap', 320, 'an application with a stale proxy password: 8 connections at once, again every 3 s, 40 times'],
    ['recorded_benign_socks5-nat-clients.pcap', 5, '50 clients behind one address for 2 minutes each, five of them mistyping once (five lengths) before their login'],
  ] as const) {
    test(`${name}: ${blurb}: ${failures} refusals read, no alert`, () => {
      const file = join(FIXTURES, name);
      const attempts = new LoginAttempts();
      for (const b of batchesOf(file)) attempts.scan(b);
      assert.equal(attempts.between('198.18.0.3', -Infinity, Infinity).failures, failures);
      const alerts = runFiles([file]).alerts;
      assert.deepEqual(alerts.map(describeAlert), []);
      report.push({ file: name, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
    });
  }

  // session 15 (lane logins15, record_memcached.sh): memcached 1.6.18 -S (SASL PLAIN), which
  // answers a wrong password with status 0x0020 at once and keeps the connection; libmemcached
  // (hydra's module, memcstat) opens one a guess
  test('recorded_brute_hydra-memcached.pcap: hydra 9.4 -t 4 memcached (each task sends one guess: its module marks a refused pair skipped and its child exits): the 4 refusals read, a blockable brute-force alert (memcached) at the 3rd, side by side', () => {
    const { first, alerts, start, all, before } = recordedGuesser('recorded_brute_hydra-memcached.pcap', 'memcached', 11211);
    assert.equal(all, 4);
    assert.equal(before, 3);
    report.push({ file: 'recorded_brute_hydra-memcached.pcap', cls: 'brute', first: `${first.type} after ${before} failures`, ttdMs: ((first.ts - start) * 1000).toFixed(1), alerts: alerts.length });
  });
  test('recorded_brute_memcached-one-at-a-time.pcap: memcstat with the next of 30 passwords every 0.5 s: every refusal read, a blockable brute-force alert (memcached) by the 5th (memcached has no fail delay: three new lengths refused within 2 s are the parallel test\'s)', () => {
    const { first, alerts, start, all, before } = recordedGuesser('recorded_brute_memcached-one-at-a-time.pcap', 'memcached', 11211);
    assert.equal(all, 30);
    assert.ok(before >= 3 && before <= 5, `${before} failed logins before the alert`);
    report.push({ file: 'recorded_brute_memcached-one-at-a-time.pcap', cls: 'brute', first: `${first.type} after ${before} failures`, ttdMs: ((first.ts - start) * 1000).toFixed(1), alerts: alerts.length });
  });
  for (const [name, failures, blurb] of [
    ['recorded_benign_memcached-typo-then-login.pcap', 1, 'memcstat as a person: a mistyped password, then the login and its stats'],
    ['recorded_benign_memcached-stale-password-pool.pcap', 160, 'an application with a stale password: 8 connections at once, again every 3 s, 20 times'],
  ] as const) {
    test(`${name}: ${blurb}: ${failures} refusals read, no alert`, () => recordedBenign(name, failures));
  }

  // session 16 (lane xmpp16, record_xmpp.sh): XMPP against Debian's prosody 0.12.3 (plain SASL
  // allowed for the recording), which answers a wrong password <failure/> at once and keeps the
  // stream; PLAIN with its initial response (xmpp_client.py, as nmap's xmpp-brute sends it)
  for (const [name, failures, before5, blurb] of [
    ['recorded_brute_xmpp-list-one-stream.pcap', 39, true, 'the list\'s 39 passwords on one stream, each as soon as the last was refused: a blockable brute-force alert (xmpp) by the 5th refusal'],
    ['recorded_brute_xmpp-one-at-a-time.pcap', 32, false, 'a stream a guess every 0.5 s, 4 users and 8 passwords: a blockable brute-force alert (xmpp) at the 13th refusal, the 5th length of <auth/> (a stream a guess repeats no length on a stream; base64 folds the rest)'],
  ] as const) {
    test(`${name}: every <failure/> read; ${blurb}, nobody else`, () => {
      const { first, alerts, start, all, before } = recordedGuesser(name, 'xmpp', 5222);
      assert.equal(all, failures, 'every refusal read');
      if (before5) assert.ok(before >= 3 && before <= 5, `${before} failed logins before the alert`);
      else {
        assert.equal(before, 13);
        assert.equal(first.evidence.maxretry, 5);
      }
      report.push({ file: name, cls: 'brute', first: `${first.type} after ${before} failures`, ttdMs: ((first.ts - start) * 1000).toFixed(1), alerts: alerts.length });
    });
  }
  for (const [name, failures, blurb] of [
    ['recorded_benign_xmpp-typo-then-login.pcap', 2, 'a mistyped password alone, then the typo again and the login on one stream'],
    ['recorded_benign_xmpp-stale-password.pcap', 60, 'a bot with a stale password reconnecting every 2 s, 60 times'],
  ] as const) {
    test(`${name}: ${blurb}: ${failures} refusals read, no alert`, () => recordedBenign(name, failures));
  }
});

// The live range's own captures (test/fixtures/range, npm run range --out): each holds one
// tool's traffic up to the ban (or to its end), recorded as the node saw it live.
describe("rules on the live range's captures (test/fixtures/range)", () => {
  const RANGE = new URL('./fixtures/range/', import.meta.url).pathname;
  const rows = readLabelsTsv(join(RANGE, 'labels.tsv'));

  for (const { file, attackers, note } of rows.filter((r) => r.cls === 'benign')) {
    test(`${file}: ${note}: no alert`, () => {
      assert.deepEqual(attackers, []);
      assert.deepEqual(runFiles([join(RANGE, file)]).alerts.map(describeAlert), []);
    });
  }

  for (const { file, attackers: [attacker], victims: [victim], note } of rows.filter((r) => r.cls === 'brute')) {
    test(`${file}: ${note}: the attacker is flagged by a login rule by its 5th failed login, nothing else is`, () => {
      const path = join(RANGE, file);
      const alerts = runFiles([path]).alerts;
      const attempts = new LoginAttempts();
      for (const b of batchesOf(path)) attempts.scan(b);
      const first = alerts.find((a) => a.blockable && a.source === attacker);
      assert.ok(first, `no alert; alerts: ${alerts.map(describeAlert).join('; ')}`);
      assert.match(first.type, /^(ssh-)?brute-force$/);
      assert.equal(first.target, victim);
      for (const a of alerts) if (a.blockable) assert.equal(a.source, attacker, describeAlert(a));
      const before = attempts.between(attacker!, -Infinity, first.ts);
      assert.ok(before.failures >= 3 && before.failures <= 5, `${before.failures} failed logins before the alert`);
    });
  }
});

// session 11 (lane dos11): HTTP floods and slow HTTP from one real address (http-flood.ts),
// read from the client's own verified connections, and the web traffic shaped most like them
describe('rules on crafted HTTP floods and slow HTTP (craft_classes.py DIR dos)', () => {
  const dir = join(FIXTURES, 'classes');
  const classLabels = readLabelsTsv(join(dir, 'labels.tsv'));
  const label = (file: string) => classLabels.find((l) => l.file === file)!;

  // [file, alert type, counted by, seconds from the attacker's first packet]: the connection
  // floods fill 250 beyond 50/s at 200 (Hulk) to thousands (GoldenEye) a second; the
  // keep-alive flood 2500 requests beyond 500/s at 2500 a second; slowloris' and
  // slowhttptest's connections trickle their first piece 15 and 10 s after they open
  const floods: Array<[string, string, string, number]> = [
    ['classes_flood_http_hulk.pcap', 'http-flood', 'connections', 3],
    ['classes_flood_http_goldeneye.pcap', 'http-flood', 'connections', 1],
    ['classes_flood_http_loic.pcap', 'http-flood', 'connections', 1],
    ['classes_flood_http_keepalive.pcap', 'http-flood', 'requests', 1.5],
    ['classes_flood_http_slowloris.pcap', 'slow-http', '', 17],
    ['classes_flood_http_slow_body.pcap', 'slow-http', '', 12],
    // slowhttptest -X: windows held below 536 bytes from the first ACK, 5 s each
    ['classes_flood_http_slow_read.pcap', 'slow-http', '', 6],
  ];
  for (const [file, type, by, within] of floods) {
    test(`${file}: the client gets a blockable ${type} alert naming the server within ${within} s of its first packet, nobody else does`, () => {
      const { attackers, victims } = label(file);
      expectScanner(file, join(dir, file), attackers[0]!, victims, within, 'flood');
      const alerts = runFiles([join(dir, file)]).alerts.filter((a) => a.blockable);
      assert.equal(alerts[0]!.type, type, describeAlert(alerts[0]!));
      assert.equal(alerts[0]!.target, victims[0]);
      if (by) assert.equal(alerts[0]!.evidence.by, by, describeAlert(alerts[0]!));
      else assert.ok((alerts[0]!.evidence.connections as number) >= DEFAULT_RULES.slowHttp.threshold, describeAlert(alerts[0]!));
    });
  }

  for (const file of ['classes_benign_web_heavy_page.pcap', 'classes_benign_web_nat_200.pcap', 'classes_benign_web_crawler_aggressive.pcap', 'classes_benign_web_api_client.pcap',
    'classes_benign_web_health_checks.pcap', 'classes_benign_web_download_manager.pcap', 'classes_benign_web_websocket_longpoll.pcap', 'classes_benign_web_stalled_readers.pcap']) {
    test(`${file}: no HTTP flood, nothing blockable`, () => {
      const alerts = runFiles([join(dir, file)]).alerts;
      assert.deepEqual(alerts.filter((a) => a.blockable || a.type === 'http-flood' || a.type === 'slow-http').map(describeAlert), []);
      report.push({ file, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
    });
  }

  test('classes_benign_web_reverse_proxy.pcap: a LAN reverse proxy opening 2,000 backend connections a second is the flood\'s shape (allow-list own proxies): flagged, and only the proxy', () => {
    const alerts = runFiles([join(dir, 'classes_benign_web_reverse_proxy.pcap')]).alerts;
    assert.deepEqual([...new Set(alerts.filter((a) => a.blockable).map((a) => `${a.type} ${a.source}→${a.target}`))], ['http-flood 10.20.0.2→10.20.0.21']);
  });

  test('the floods behind the benign look-alikes on one timeline: the flooders alone are flagged', () => {
    const files = ['classes_benign_web_nat_200.pcap', 'classes_benign_web_heavy_page.pcap', 'classes_flood_http_hulk.pcap', 'classes_benign_web_api_client.pcap', 'classes_flood_http_slowloris.pcap'].map((f) => join(dir, f));
    const alerts = runFiles(files).alerts.filter((a) => a.blockable);
    assert.deepEqual([...new Set(alerts.map((a) => a.source))].sort(), ['198.51.100.41', '198.51.100.45']);
  });
});

// session 12: connection floods the HTTP rules cannot read (connection-flood.ts), and the
// checkers and clients shaped most like them; the checkers also against the scan rules (a
// sweep's host that completes a verified handshake answered it: kubelet, blackbox, HAProxy
// were banned as horizontal scans before)
describe('rules on crafted connection floods and connect checkers (craft_classes.py DIR conn)', () => {
  const dir = join(FIXTURES, 'classes');
  const classLabels = readLabelsTsv(join(dir, 'labels.tsv'));
  const label = (file: string) => classLabels.find((l) => l.file === file)!;

  // [file, seconds from the attacker's first packet, TLS handshakes in the alert]: 250 beyond
  // 50/s filled at 200 (the HTTPS Hulk, after 30 browsers' 0.9 s), 300 (SSH) and 500 a second
  const floods: Array<[string, number, boolean]> = [
    ['classes_flood_https_hulk.pcap', 3, true],
    ['classes_flood_tls_handshakes.pcap', 1, true],
    ['classes_flood_connect_443.pcap', 1, false],
    ['classes_flood_ssh_connections.pcap', 1.5, false],
  ];
  for (const [file, within, tls] of floods) {
    test(`${file}: the client gets a blockable connection-flood alert naming the server within ${within} s of its first packet, nobody else does`, () => {
      const { attackers, victims } = label(file);
      expectScanner(file, join(dir, file), attackers[0]!, victims, within, 'flood');
      const alerts = runFiles([join(dir, file)]).alerts.filter((a) => a.blockable);
      assert.equal(alerts[0]!.type, 'connection-flood', describeAlert(alerts[0]!));
      assert.equal(alerts[0]!.target, victims[0]);
      assert.equal(alerts[0]!.evidence.tls === alerts[0]!.evidence.connections, tls, describeAlert(alerts[0]!));
    });
  }

  for (const file of ['classes_benign_https_nat.pcap', 'classes_benign_health_checks.pcap', 'classes_benign_https_api_client.pcap', 'classes_benign_lb_health.pcap', 'classes_benign_monitoring.pcap']) {
    test(`${file}: nothing blockable, no connection flood`, () => {
      const alerts = runFiles([join(dir, file)]).alerts;
      assert.deepEqual(alerts.filter((a) => a.blockable || a.type === 'connection-flood').map(describeAlert), []);
      report.push({ file, cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
    });
  }

  test('the floods behind the look-alikes on one timeline: the flooders alone are flagged', () => {
    const files = ['classes_benign_https_nat.pcap', 'classes_flood_https_hulk.pcap', 'classes_benign_health_checks.pcap', 'classes_flood_ssh_connections.pcap'].map((f) => join(dir, f));
    const alerts = runFiles(files).alerts.filter((a) => a.blockable);
    assert.deepEqual([...new Set(alerts.map((a) => a.source))].sort(), ['198.51.100.61', '198.51.100.64']);
  });
});

// session 12: a ping flood and an ACK flood from one real address (pair-flood.ts), and what looks like them
describe('rules on crafted floods from one real address (craft_classes.py DIR oneflood)', () => {
  const dir = join(FIXTURES, 'classes');
  const classLabels = readLabelsTsv(join(dir, 'labels.tsv'));

  // [file, alert type, what it is read from]: each within 0.5 s of the flooder's first packet
  for (const [file, type, from] of [
    ['classes_flood_ping_one_source.pcap', 'icmp-flood', 'its echo requests'],
    ['classes_flood_blacknurse_one_source.pcap', 'icmp-flood', 'its port unreachables'],
    ['classes_flood_ack_one_source.pcap', 'tcp-flood', 'the host\'s RSTs'],
    // session 13: its bare RSTs, which refuse nothing (before, the host they were sent to was named)
    ['classes_flood_rst_one_source.pcap', 'tcp-flood', 'its RSTs'],
  ] as const) {
    test(`${file}: the source gets a blockable ${type} alert (forgeable evidence) naming the host within 0.5 s, read from ${from}, nobody else does`, () => {
      const { attackers, victims } = classLabels.find((l) => l.file === file)!;
      expectScanner(file, join(dir, file), attackers[0]!, victims, 0.5, 'flood');
      const alerts = runFiles([join(dir, file)]).alerts.filter((a) => a.blockable);
      assert.equal(alerts[0]!.type, type, describeAlert(alerts[0]!));
      assert.equal(alerts[0]!.target, victims[0]);
      assert.equal(alerts[0]!.grade, 'forgeable');
    });
  }

  // session 14: the fragments of its echo requests count as packets (craft_classes.py DIR frag)
  test('classes_flood_ping_fragmented_one_source.pcap (ping -s 8000 -f, six fragments a request): the source gets a blockable icmp-flood alert within 1.5 s, counted in packets; the host answering with fragmented replies is not named', () => {
    const file = 'classes_flood_ping_fragmented_one_source.pcap';
    const { attackers, victims } = classLabels.find((l) => l.file === file)!;
    expectScanner(file, join(dir, file), attackers[0]!, victims, 1.5, 'flood');
    const alerts = runFiles([join(dir, file)]).alerts.filter((a) => a.blockable);
    assert.equal(alerts[0]!.type, 'icmp-flood', describeAlert(alerts[0]!));
    assert.equal(alerts[0]!.target, victims[0]);
    assert.ok(Number(alerts[0]!.evidence.packets) > 2000, describeAlert(alerts[0]!));
  });
  test('classes_benign_ping_fragmented.pcap: 8 kB pings once a second and their answers: nothing blockable', () => {
    const alerts = runFiles([join(dir, 'classes_benign_ping_fragmented.pcap')]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
  });

  test('classes_benign_stale_connections.pcap: a restarted server refusing a NAT\'s 3,000 connections, keepalives refused after a firewall timeout: nothing', () => {
    const alerts = runFiles([join(dir, 'classes_benign_stale_connections.pcap')]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
    report.push({ file: 'classes_benign_stale_connections.pcap', cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
  });

  test('classes_benign_rst_refusals_one_way.pcap: a restarted server refusing a NAT\'s stale connections seen one way, a host aborting as many: nothing', () => {
    const alerts = runFiles([join(dir, 'classes_benign_rst_refusals_one_way.pcap')]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
    report.push({ file: 'classes_benign_rst_refusals_one_way.pcap', cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
  });

  test('classes_benign_pings.pcap: ping -i 0.2, fping at 10/s, SmokePing, a 1400-byte ping: nothing', () => {
    const alerts = runFiles([join(dir, 'classes_benign_pings.pcap')]).alerts;
    assert.deepEqual(alerts.filter((a) => a.type !== 'anomaly').map(describeAlert), []);
    report.push({ file: 'classes_benign_pings.pcap', cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
  });
});

// session 12: SNMP community guessing (unanswered-udp.ts snmpRequest), and a manager's polling
describe('rules on crafted SNMP community guessing (craft_classes.py DIR snmp)', () => {
  const dir = join(FIXTURES, 'classes');
  const classLabels = readLabelsTsv(join(dir, 'labels.tsv'));
  for (const [file, within] of [['classes_brute_snmp_hydra.pcap', 0.5], ['classes_brute_snmp_onesixtyone.pcap', 1.5]] as const) {
    test(`${file}: the guesser gets a blockable brute-force alert (service snmp, forgeable evidence) within ${within} s, nobody else`, () => {
      const { attackers, victims } = classLabels.find((l) => l.file === file)!;
      expectScanner(file, join(dir, file), attackers[0]!, victims, within, 'brute');
      const alerts = runFiles([join(dir, file)]).alerts.filter((a) => a.blockable);
      assert.equal(alerts[0]!.type, 'brute-force', describeAlert(alerts[0]!));
      assert.equal(alerts[0]!.evidence.service, 'snmp');
      assert.equal(alerts[0]!.grade, 'forgeable');
    });
  }
  test('classes_benign_udp_system_ports.pcap: DNS answers seen one way, NTP and syslog peers, DHCP offers to 200 hosts: nothing blockable', () => {
    const alerts = runFiles([join(dir, 'classes_benign_udp_system_ports.pcap')]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
    report.push({ file: 'classes_benign_udp_system_ports.pcap', cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
  });
  test('classes_benign_snmp_polling.pcap: a manager polling 20 agents, one down, one with a mistyped community: nothing blockable', () => {
    const alerts = runFiles([join(dir, 'classes_benign_snmp_polling.pcap')]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
    report.push({ file: 'classes_benign_snmp_polling.pcap', cls: 'benign', first: '-', ttdMs: '-', alerts: alerts.length });
  });
});

// session 14: key exchanges left hanging until sshd's LoginGraceTime closes them (craft_classes.py DIR sshstall)
describe('rules on SSH key exchanges the server times out (regreSSHion, CVE-2024-6387)', () => {
  const dir = join(FIXTURES, 'classes');
  const classLabels = readLabelsTsv(join(dir, 'labels.tsv'));
  test('classes_brute_ssh_kex_timeouts.pcap: the source is flagged (ssh-brute-force) once about ten of its connections were timed out, not before the first were; nobody else', () => {
    const file = 'classes_brute_ssh_kex_timeouts.pcap';
    const { attackers, victims } = classLabels.find((l) => l.file === file)!;
    const path = join(dir, file);
    const alerts = runFiles([path]).alerts.filter((a) => a.blockable);
    assert.ok(alerts.length > 0, 'no alert');
    for (const a of alerts) assert.equal(a.source, attackers[0], describeAlert(a));
    assert.equal(alerts[0]!.type, 'ssh-brute-force');
    assert.equal(alerts[0]!.target, victims[0]);
    const after = alerts[0]!.ts - firstTs(path);
    assert.ok(after > 120 && after < 150, `flagged ${after} s after the first connection (the first timeout comes at 120 s)`);
  });
  test('classes_benign_ssh_banner_checks.pcap: a banner check every 5 s and a client stalling 25 s five times: nothing blockable', () => {
    const alerts = runFiles([join(dir, 'classes_benign_ssh_banner_checks.pcap')]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
  });
});

// session 15: QUIC Initial floods (craft_classes.py DIR quic)
describe('rules on QUIC Initial floods (quic-initial.ts)', () => {
  const dir = join(FIXTURES, 'classes');
  const classLabels = readLabelsTsv(join(dir, 'labels.tsv'));
  for (const file of ['classes_flood_quic_initial_one.pcap', 'classes_flood_quic_initial_slow.pcap']) {
    test(`${file}: the address sending the Initials is flagged (connection-flood, forgeable), within 2 s; the server never`, () => {
      const { attackers, victims } = classLabels.find((l) => l.file === file)!;
      expectScanner(file, join(dir, file), attackers[0]!, victims, 2, 'flood');
      const alerts = runFiles([join(dir, file)]).alerts.filter((a) => a.blockable);
      assert.equal(alerts[0]!.type, 'connection-flood');
      assert.equal(alerts[0]!.grade, 'forgeable');
      assert.equal(alerts[0]!.target, victims[0]);
    });
  }
  test('classes_flood_quic_initial_spoofed.pcap: forged sources alert the server as the victim of a UDP flood (nothing blockable), among real clients', () => {
    const file = 'classes_flood_quic_initial_spoofed.pcap';
    const { victims } = classLabels.find((l) => l.file === file)!;
    const alerts = runFiles([join(dir, file)]).alerts;
    assert.deepEqual(alerts.filter((a) => a.blockable).map(describeAlert), []);
    const flood = alerts.find((a) => a.type === 'udp-flood' && a.target === victims[0]);
    assert.ok(flood, `no victim alert: ${alerts.map(describeAlert).join('; ')}`);
    assert.ok(Number(flood.evidence.quicInitials) > Number(flood.evidence.continued), describeAlert(flood));
  });
  test("classes_benign_quic_peak.pcap: 3,000 HTTP/3 connections in 3 s and a NAT's 300 users: no alert", () => {
    const alerts = runFiles([join(dir, 'classes_benign_quic_peak.pcap')]).alerts;
    assert.deepEqual(alerts.map(describeAlert), []);
  });
});
