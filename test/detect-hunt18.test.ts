// Session 18 (lane hunt): the operator's own infrastructure and other tools' shapes
// (craft_classes.py group hunt18). Two causes of false bans of the operator's own hosts fixed here:
// - the horizontal rule's slow bucket (Zeek's 25 failed hosts in 5 min) banned Prometheus
//   scraping 200 exporters with 30 down, Ansible over 300 hosts with 36 unreachable and an
//   outbound mail relay meeting dead MX hosts:
//   a first contact that went through (the source spoke on it) now sets one failed attempt
//   back (horizontalScan.exchangeCredit, the threshold random walk's step);
// - the 401 bucket banned a terminal server whose users open an NTLM-authenticated IIS
//   intranet, and Ansible over WinRM: every connection draws one or two 401s before its 200
//   (RFC 4559), now taken back when the connection's next answer is a 2xx/3xx.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { DEFAULT_RULES, resolveRulesConfig, type RulesConfig } from '../src/detect/rules/rules-config.ts';
import { ScanKeys, SLOW_OVER, CREDITED } from '../src/detect/rules/scan-keys.ts';
import { runShardedCapture } from '../devkit/sharded-rules.ts';

const CLASSES = new URL('./fixtures/captures/classes/', import.meta.url).pathname;

const alertsOf = (file: string, config: RulesConfig = DEFAULT_RULES): Alert[] => runShardedCapture(config, join(CLASSES, file)).out;
const blocked = (alerts: Alert[]): string[] => [...new Set(alerts.filter((a) => a.blockable).map((a) => `${a.type} ${a.source}`))].sort();

describe('monitors and automation that reach many hosts, some of them down', () => {
  for (const file of ['classes_benign_prometheus_scrape.pcap', 'classes_benign_ansible_fanout.pcap', 'classes_benign_mta_outbound.pcap']) {
    test(`${file}: nobody banned`, () => {
      assert.deepEqual(blocked(alertsOf(file)), []);
    });
  }

  test('exchangeCredit 0: Prometheus and Ansible are banned by the slow horizontal bucket again', () => {
    const off = resolveRulesConfig({ horizontalScan: { exchangeCredit: 0 } });
    for (const [file, who] of [['classes_benign_prometheus_scrape.pcap', '10.20.0.9'], ['classes_benign_ansible_fanout.pcap', '10.20.0.7']] as const) {
      const a = alertsOf(file, off).filter((x) => x.blockable);
      assert.deepEqual(a.map((x) => `${x.type} ${x.source} ${x.evidence.threshold}`), [`port-scan-horizontal ${who} 25`], file);
    }
  });

  test('sweeps that never speak keep every unit: nc -z at one host a second, zmap, nmap -T2', () => {
    for (const [file, who] of [['classes_scan_slow_horizontal.pcap', '203.0.113.77'], ['classes_scan_syn_sweep_zmap.pcap', null], ['classes_scan_slow_t2_syn.pcap', null]] as const) {
      const a = alertsOf(file).filter((x) => x.blockable && x.type.startsWith('port-scan'));
      assert.ok(a.length > 0, file);
      if (who) assert.ok(a.some((x) => x.source === who && x.type === 'port-scan-horizontal'), file);
    }
  });

  test('ScanKeys credit: earned by exchanges (to the cap), spent only by the attempt that fills the bucket', () => {
    const k = new ScanKeys(16, { threshold: 1000, leakPerS: 1 }, { threshold: 3, leakPerS: 1e-9, credit: 2 }, 60);
    const s = k.slot(1, 0, 22);
    let t = 0;
    // 5 first contacts that went through: each its own unit back (the handshake), then earn
    for (let h = 1; h <= 5; h++) {
      assert.equal(k.add(s, t++, h, true) & (SLOW_OVER | CREDITED), 0);
      k.takeBack(s, t, false, true);
      k.earn(s, t);
    }
    // failed attempts: 2 below the threshold, then 2 spend the banked credit (cap 2, not 5), then it fills
    const r = [6, 7, 8, 9, 10].map((h) => k.add(s, t++, h, true) & (SLOW_OVER | CREDITED));
    assert.deepEqual(r, [0, 0, CREDITED, CREDITED, SLOW_OVER]);
  });

  test('an exchange while failures are outstanding takes one back (the random walk\'s step)', () => {
    const k = new ScanKeys(16, { threshold: 1000, leakPerS: 1 }, { threshold: 3, leakPerS: 1e-9, credit: 25 }, 60);
    const s = k.slot(1, 0, 9100);
    k.add(s, 0, 1, true); // down
    k.add(s, 1, 2, true); // down
    assert.equal(k.add(s, 2, 3, true) & CREDITED, 0); // up: completes...
    k.takeBack(s, 2.1, false, true);
    k.earn(s, 2.2); // ...and speaks: one of the two failures set back
    assert.equal(k.slow!.levelOf(s), 1);
    assert.equal(k.add(s, 3, 4, true) & SLOW_OVER, 0);
    assert.equal(k.add(s, 4, 5, true) & SLOW_OVER, SLOW_OVER);
  });
});

describe('NTLM over plain HTTP: a connection\'s challenges before its 200 are no refusals', () => {
  for (const file of ['classes_benign_http_ntlm_rds.pcap', 'classes_benign_winrm_ansible.pcap']) {
    test(`${file}: nobody banned`, () => {
      assert.deepEqual(blocked(alertsOf(file)), []);
    });
  }

  test('NetExec winrm spraying (NEGOTIATE 401, AUTHENTICATE 401, no 200): still banned by the 401 bucket', () => {
    const a = alertsOf('classes_brute_winrm_ntlm_spray.pcap').filter((x) => x.blockable);
    assert.deepEqual(blocked(a), ['brute-force 203.0.113.181']);
    assert.equal(a[0]!.evidence.service, 'http');
    assert.equal(a[0]!.evidence.denied, 20);
  });

  test('the recorded hydra http-get and the crafted keep-alive guesser: still banned', () => {
    for (const [file, who] of [['../recorded_brute_hydra-http-get.pcap', '198.18.0.2'], ['classes_brute_http_keepalive.pcap', null]] as const) {
      const a = alertsOf(file).filter((x) => x.blockable && x.type === 'brute-force');
      assert.ok(a.length > 0, file);
      if (who) assert.equal(a[0]!.source, who);
    }
  });
});

describe('other tools\' shapes already handled (session 18 checked them, these hold them)', () => {
  test('CVE-2018-15473 SSH user enumeration: banned as sessions with no outcome (ssh-slow-bf\'s bucket)', () => {
    const a = alertsOf('classes_brute_ssh_user_enum.pcap').filter((x) => x.blockable);
    assert.deepEqual(blocked(a), ['ssh-brute-force 203.0.113.187']);
    assert.equal(a[0]!.evidence.undecidedSessions, 10);
  });

  test('ffuf -rate 2 and gobuster --delay 1s: banned by http-probing; a /64 low sweep by scan-probe', () => {
    assert.deepEqual(blocked(alertsOf('classes_scan_web_ffuf_slow.pcap')), ['http-probing 203.0.113.185']);
    assert.deepEqual(blocked(alertsOf('classes_scan_web_gobuster_delay.pcap')), ['http-probing 203.0.113.186']);
    assert.ok(blocked(alertsOf('classes_scan_ipv6_low_sweep.pcap')).every((x) => x.endsWith(' 2001:db8:ffff::66')));
  });

  for (const file of ['classes_flood_dns_water_torture.pcap', 'classes_benign_smtp_inbound.pcap', 'classes_benign_traceroute_mtr.pcap', 'classes_benign_dht.pcap']) {
    test(`${file}: nobody banned (water torture's resolvers are innocent)`, () => {
      assert.deepEqual(blocked(alertsOf(file)), []);
    });
  }
});
