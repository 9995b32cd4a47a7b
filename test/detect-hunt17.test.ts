// Session 17 (lane hunt): scans and floods of tools and shapes the class files lacked
// (craft_classes.py group hunt17). Carpet bombing was missed (a per-host rule misses it by
// design) and is alerted by the victim rules' prefix sums now; the other shapes were already
// handled, and these tests hold them so.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { DEFAULT_RULES, resolveRulesConfig, type RulesConfig } from '../src/detect/rules/rules-config.ts';
import { VictimRules } from '../src/detect/rules/victim-rules.ts';
import { VictimTallyWriter, clearVictimTally, newVictimTally } from '../src/detect/rules/victim-tally.ts';
import { mix32 } from '../src/detect/rules/hash.ts';
import { PacketBatch } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { ShardedRules, runShardedCapture } from '../devkit/sharded-rules.ts';

const CLASSES = new URL('./fixtures/captures/classes/', import.meta.url).pathname;

/** The rules over a class file fed in batches of 1 ms, as the node's packet path cuts them. */
function fineAlerts(file: string, config: RulesConfig = DEFAULT_RULES): Alert[] {
  const r = new ShardedRules(config);
  readCaptureSync(join(CLASSES, file), (b) => {
    let part = new PacketBatch(b.length);
    let start = -1;
    for (let i = 0; i < b.length; i++) {
      if (start >= 0 && b.ts[i]! - start > 0.001) {
        r.feed(part);
        part = new PacketBatch(b.length);
        start = -1;
      }
      if (start < 0) start = b.ts[i]!;
      part.appendRow(b, i);
    }
    if (part.length > 0) r.feed(part);
  });
  return r.out;
}

const prefixAlerts = (alerts: Alert[]): Alert[] => alerts.filter((a) => a.target.includes('/'));

describe('carpet bombing: a flood spread over a /24, each address under the per-host thresholds', () => {
  for (const [file, type] of [['classes_flood_carpet_udp.pcap', 'udp-flood'], ['classes_flood_carpet_syn.pcap', 'syn-flood']] as const) {
    test(`${file}: one ${type} alert naming 10.20.1.0/24, not blockable, and no host alerted`, () => {
      const alerts = fineAlerts(file);
      const carpet = prefixAlerts(alerts);
      assert.deepEqual(carpet.map((a) => [a.type, a.target, a.blockable]), [[type, '10.20.1.0/24', false]]);
      assert.ok(Number(carpet[0]!.evidence.hosts) >= 16, `hosts ${carpet[0]!.evidence.hosts}`);
      // the per-host rules see each address's share only: the prefix sum is what finds it
      assert.deepEqual(alerts.filter((a) => !a.target.includes('/')).map((a) => `${a.type} ${a.target}`), []);
      assert.deepEqual(alerts.filter((a) => a.blockable), []);
    });
  }

  test('carpetBombing.enabled false: the carpet goes unseen again', () => {
    const off = resolveRulesConfig({ carpetBombing: { enabled: false } });
    assert.deepEqual(prefixAlerts(fineAlerts('classes_flood_carpet_udp.pcap', off)), []);
  });

  for (const file of ['classes_benign_busy_prefix.pcap', 'classes_benign_ssdp_lan.pcap']) {
    test(`${file}: no alert (what the prefix's hosts asked for cancels, and hosts that asked are not carpet-hit)`, () => {
      assert.deepEqual(fineAlerts(file).map((a) => `${a.type} ${a.target}`), []);
    });
  }

  test('a flood at one host of a busy prefix is that host\'s alert, not its prefix\'s', () => {
    // the spoofed UDP flood at 10.20.0.10, whose /24 holds its clients' servers too
    const alerts = fineAlerts('classes_flood_udp_spoofed.pcap');
    assert.deepEqual(prefixAlerts(alerts), []);
    assert.ok(alerts.some((a) => a.type === 'udp-flood' && a.target === '10.20.0.10'));
  });

  test('IPv6: hosts are summed over their /48', () => {
    const v = new VictimRules(DEFAULT_RULES);
    const out: Alert[] = [];
    const w = new VictimTallyWriter();
    const t = newVictimTally();
    // 40 hosts of 2001:db8:7::/48, each 30 empty datagrams a second from forged sources, 3 s:
    // 1,200 a second to the prefix, beyond udpFlood's 1000/s leak; each host far under it
    let n = 0;
    for (let step = 0; step < 300; step++) {
      clearVictimTally(t);
      w.attach(t);
      const ts = 1000 + step * 0.01;
      for (let h = 0; h < 40; h++) {
        const r = w.row6(`2001:db8:7:${h.toString(16)}::1`, ts);
        t.udpIn[r]! += 1;
        n++;
        w.source(r, mix32(n), 0x0a000000 + n, '');
      }
      v.add(t, out);
    }
    assert.deepEqual(out.map((a) => [a.type, a.target, a.blockable]), [['udp-flood', '2001:db8:7::/48', false]]);
  });
});

describe('shapes already handled (session 17 checked them, these hold them)', () => {
  const alerts = (file: string): Alert[] => runShardedCapture(DEFAULT_RULES, join(CLASSES, file)).out;
  test('nmap -sY and -sZ: the scanner banned by the vertical scan of SCTP ports', () => {
    for (const file of ['classes_scan_sctp_init.pcap', 'classes_scan_sctp_cookie_echo.pcap']) {
      const a = alerts(file).filter((x) => x.blockable);
      assert.deepEqual([...new Set(a.map((x) => x.source))], ['203.0.113.171'], file);
      assert.ok(a.some((x) => x.type === 'port-scan-vertical' && x.target === '10.20.0.61'), file);
    }
  });
  test('nmap -PP and -PM sweeps: the sweeper banned on the old ICMP requests (scan-probe)', () => {
    for (const file of ['classes_scan_icmp_timestamp_sweep.pcap', 'classes_scan_icmp_mask_sweep.pcap']) {
      const a = alerts(file).filter((x) => x.blockable);
      assert.deepEqual(a.map((x) => [x.type, x.source]), [['scan-probe', '203.0.113.172']], file);
    }
  });
  test('reflection off SSDP, CLDAP (fragmented), memcached, chargen and WS-Discovery: udp-amplification naming the victim, nobody banned', () => {
    for (const file of ['ssdp', 'cldap', 'memcached', 'chargen', 'wsd'].map((p) => `classes_flood_${p}_reflection.pcap`)) {
      const a = alerts(file);
      assert.deepEqual(a.map((x) => [x.type, x.target, x.blockable]), [['udp-amplification', '10.20.0.10', false]], file);
    }
  });
  test('hping3 --rand-source with SYN+FIN, every flag, PSH+ACK with data: the victim alerted, nobody banned', () => {
    for (const [file, type] of [['classes_flood_synfin_spoofed.pcap', 'syn-flood'], ['classes_flood_allflags_spoofed.pcap', 'tcp-flood'], ['classes_flood_pshack_spoofed.pcap', 'tcp-flood']]) {
      assert.deepEqual(alerts(file!).map((x) => [x.type, x.target, x.blockable]), [[type, '10.20.0.10', false]], file);
    }
  });
  test('nmap -sI with a printer that served jobs as the zombie: its forged SYNs carry the wrong hop count, nobody is flagged', () => {
    assert.deepEqual(alerts('classes_scan_idle_zombie.pcap').map((x) => `${x.type} ${x.source}`), []);
  });
});
