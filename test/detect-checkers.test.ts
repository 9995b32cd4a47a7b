// The operator's own health checkers (craft_classes.py `checker`, session 15) against the
// rules as a node runs them: none is blockable, while nmap's connect probes of the shared
// captures still are. A checker opens one check at a time and repeats the same (host, port)
// set round after round; a scanner keeps its probes in flight together (rules-config.ts,
// scanProbe.connectAbortOverlap).

import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { DEFAULT_RULES, resolveRulesConfig } from '../src/detect/rules/rules-config.ts';
import { runShardedCapture } from '../devkit/sharded-rules.ts';

const CLASSES = new URL('./fixtures/captures/classes/', import.meta.url).pathname;
const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;

const describeAlert = (a: Alert) => `${a.type} ${a.source} -> ${a.target} ${JSON.stringify(a.evidence)}`;
const blockable = (file: string, config = DEFAULT_RULES): Alert[] => runShardedCapture(config, file).out.filter((a) => a.blockable);

describe('health checkers are not scanners', () => {
  const checkers = [
    'classes_benign_haproxy_ports.pcap', // connect + RST, 3-6 ports a server, inter 2 s
    'classes_benign_haproxy_fast.pcap', // connect + RST, 3 ports a server, inter 500ms
    'classes_benign_haproxy_fin.pcap',
    'classes_benign_keepalived.pcap', // connect + RST of 80 and 443
    'classes_benign_blackbox_ports.pcap',
    'classes_benign_nagios_tcp.pcap',
    'classes_benign_kubelet_probes.pcap',
    'classes_benign_lb_health.pcap',
    'classes_benign_health_checks.pcap',
  ];
  for (const file of checkers) {
    test(`${file}: nothing blockable`, () => {
      assert.deepEqual(blockable(join(CLASSES, file)).map(describeAlert), []);
    });
  }

  test('the checkers that reset their checks are connect probes two a second on one host: counted when overlap is not asked for', () => {
    const loose = resolveRulesConfig({ scanProbe: { connectAbortOverlap: false } });
    for (const [file, checker] of [['classes_benign_haproxy_ports.pcap', '10.20.0.2'], ['classes_benign_haproxy_fast.pcap', '10.20.0.2'], ['classes_benign_keepalived.pcap', '10.20.0.3']]) {
      const alerts = blockable(join(CLASSES, file!), loose);
      assert.ok(alerts.some((a) => a.type === 'scan-probe' && a.source === checker && a.evidence.kinds === 'connect-abort'), `${file}: ${alerts.map(describeAlert).join('; ')}`);
    }
  });
});

describe('nmap\'s connect probes stay scan probes', () => {
  test('classes_scan_connect_open_ports.pcap: an unprivileged nmap of 3 open ports (no burst of 5) is banned by its connect probes, in flight together', () => {
    const alerts = blockable(join(CLASSES, 'classes_scan_connect_open_ports.pcap'));
    assert.deepEqual(alerts.map((a) => [a.type, a.source, a.evidence.kinds]), [['scan-probe', '203.0.113.180', 'connect-abort']]);
  });
});

describe('nmap\'s connect probes in the shared captures', { skip: !existsSync(PCAP_DIR) && 'no shared captures' }, () => {
  // D06: connect() to 80 and 443 at once (its discovery), then 80 again; D07 resets the 443
  // handshake unfinished while its 80 probe is in flight, then probes 80 again 54 ms later
  for (const file of ['D06_scan_nmap_80_all.pcap', 'D07_scan_nmap_80_w_service_detection.pcap']) {
    test(`${file}: the scanner's connect probes raise a blockable scan-probe alert, alone`, () => {
      const alerts = blockable(join(PCAP_DIR, file));
      assert.deepEqual(alerts.map((a) => [a.type, a.source, a.evidence.kinds]), [['scan-probe', '10.87.1.10', 'connect-abort']]);
    });
  }
});
