import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { rocAuc } from '../src/eval/roc-auc.ts';
import { mulberry32 } from '../devkit/prng.ts';

test('ROC AUC: perfect, inverted, all ties, and a brute-force check', () => {
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
  assert.ok(Number.isNaN(rocAuc([1, 2], [1, 1])), 'no negatives: undefined');
  const rand = mulberry32(3);
  const scores = Array.from({ length: 300 }, () => Math.round(rand() * 20) / 20);
  const labels = scores.map((s) => rand() < s);
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!labels[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j]) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  assert.ok(Math.abs(rocAuc(scores, labels) - wins / pairs) < 1e-12);
  assert.throws(() => rocAuc([NaN], [1]), /score 0 is NaN/);
});

import { parseLabels, readLabels } from '../src/eval/labels.ts';
import { firstSeenKey, scoreRun } from '../src/eval/score.ts';

test('labels: the shared labels.tsv and a plain address list', () => {
  const l = readLabels(new URL('../../shared/data/pcap/labels.tsv', import.meta.url).pathname);
  assert.deepEqual(l.files.get('D18_brute_kali-password-attack_hydra.pcap')?.attackers, ['192.168.1.2']);
  assert.deepEqual(l.files.get('D12_flood_pkt.TCP.synflood.spoofed.pcap')?.victims, ['10.10.10.10']);
  assert.deepEqual(l.files.get('D01_benign_example.pcap')?.attackers, []);
  assert.deepEqual([...parseLabels('# attackers\n10.0.0.1\n2001:db8::1  # the v6 one\n').attackers], ['10.0.0.1', '2001:db8::1']);
  assert.throws(() => parseLabels('10.0.0.1 10.0.0.2'), /is not one address/);
  assert.throws(() => parseLabels('# nothing\n'), /names no attackers/);
});

test('scoring a run: precision, recall, false blocks seen in benign traffic, time to detection', () => {
  const ban = (address: string, captureTs: number) => ({ address, action: 'ban' as const, ttl: 60, reason: 'r', detector: 'port-scan-vertical', score: 1, at: 0, captureTs });
  const s = scoreRun({
    files: [
      { file: 'b.pcap', role: 'benign', firstTs: 0, lastTs: 10, packets: 5 },
      { file: 'scan.pcap', role: 'attack', label: { file: 'scan.pcap', class: 'scan', attackers: ['10.0.0.9'], victims: ['10.0.0.1'] }, firstTs: 11, lastTs: 20, packets: 5 },
      { file: 'brute.pcap', role: 'attack', label: { file: 'brute.pcap', class: 'brute', attackers: ['10.0.0.8'], victims: [] }, firstTs: 21, lastTs: 30, packets: 5 },
      { file: 'flood.pcap', role: 'attack', label: { file: 'flood.pcap', class: 'flood', attackers: [], victims: ['10.10.10.10'] }, firstTs: 31, lastTs: 40, packets: 5 },
    ],
    extraAttackers: new Set(),
    firstSeen: new Map([[firstSeenKey('scan.pcap', '10.0.0.9'), 11.5], [firstSeenKey('brute.pcap', '10.0.0.8'), 21]]),
    benignSources: new Set(['192.168.0.7']),
    decisions: [ban('10.0.0.9', 11.75), ban('192.168.0.7', 15)],
    alerts: [{ type: 'syn-flood', source: '1.2.3.4', target: '10.10.10.10', score: 1, ts: 31.5, firstTs: 31, detector: 'rules', blockable: false, evidence: {} }],
  });
  assert.equal(s.blocks.precision, 0.5);
  assert.equal(s.blocks.recall, 0.5);
  assert.deepEqual(s.blocks.missed, ['10.0.0.8']);
  assert.deepEqual(s.blocks.benignBlocked, ['192.168.0.7']);
  assert.equal(s.timeToDetection.byClass.scan!.meanTtdS, 0.25);
  assert.equal(s.timeToDetection.byClass.brute!.detected, 0);
  assert.equal(s.timeToDetection.byClass.flood!.meanTtdS, 0.5);
  assert.equal(s.alertsByType['syn-flood'], 1);
});

test('anomaly alerts: the attackers they named, and the others with the files they were named in', () => {
  const anomaly = (source: string, ts: number) => ({ type: 'anomaly' as const, source, target: '10.0.0.1', score: 0.6, ts, firstTs: ts - 1, detector: 'model' as const, blockable: false, evidence: {} });
  const s = scoreRun({
    files: [
      { file: 'b.pcap', role: 'benign', firstTs: 0, lastTs: 10, packets: 5 },
      { file: 'scan.pcap', role: 'attack', label: { file: 'scan.pcap', class: 'scan', attackers: ['10.0.0.9'], victims: ['10.0.0.1'] }, firstTs: 11, lastTs: 20, packets: 5 },
    ],
    extraAttackers: new Set(),
    firstSeen: new Map(),
    benignSources: new Set(['192.168.0.7']),
    decisions: [],
    // 10.5: after b.pcap's last packet, before scan.pcap's first: still b.pcap's.
    alerts: [anomaly('10.0.0.9', 12), anomaly('10.0.0.9', 13), anomaly('192.168.0.7', 10.5), anomaly('10.0.0.1', 15)],
  });
  assert.deepEqual(s.anomalyAlerts, {
    alerts: 4,
    attackers: ['10.0.0.9'],
    others: [
      { address: '10.0.0.1', seenInBenign: false, files: ['scan.pcap'] },
      { address: '192.168.0.7', seenInBenign: true, files: ['b.pcap'] },
    ],
  });
});

test('a flood is detected at the first alert naming its victim by capture time, whatever order the alerts arrived in', () => {
  const s = scoreRun({
    files: [
      { file: 'b.pcap', role: 'benign', firstTs: 0, lastTs: 10, packets: 5 },
      { file: 'flood.pcap', role: 'attack', label: { file: 'flood.pcap', class: 'flood', attackers: [], victims: ['10.10.10.10'] }, firstTs: 11, lastTs: 20, packets: 5 },
    ],
    extraAttackers: new Set(),
    firstSeen: new Map(),
    benignSources: new Set(),
    decisions: [],
    // The shard's anomaly alert (later in capture time) reached the desk before the flood watch's.
    alerts: [
      { type: 'anomaly', source: '1.2.3.4', target: '10.10.10.10', score: 0.6, ts: 12.5, firstTs: 12, detector: 'model', blockable: false, evidence: {} },
      { type: 'udp-amplification', source: '5.6.7.8', target: '10.10.10.10', score: 0.9, ts: 11.25, firstTs: 11, detector: 'rules', blockable: false, evidence: {} },
    ],
  });
  assert.deepEqual(s.timeToDetection.perFile[0]!.victims, [{ victim: '10.10.10.10', alerted: true, type: 'udp-amplification', ttdS: 0.25 }]);
});
