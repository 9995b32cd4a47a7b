import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { evaluate } from '../src/eval/harness.ts';
import { readLabels } from '../src/eval/labels.ts';
import { testConfig } from '../devkit/node-config.ts';

const P = new URL('../../shared/data/pcap/', import.meta.url).pathname;
const labels = readLabels(`${P}labels.tsv`);

test('eval, rules only: D05 then D18 blocks the hydra source and nothing else; a flood alert names its victim', async () => {
  const r = await evaluate({
    benign: [`${P}D01_benign_example.pcap`, `${P}D05_benign_kali-normal-ssh.pcap`],
    attack: [`${P}D18_brute_kali-password-attack_hydra.pcap`, `${P}D12_flood_pkt.TCP.synflood.spoofed.pcap`],
    labels,
    config: testConfig(),
    models: null,
  });
  assert.equal(r.packets, 4631 + 586 + 189 + 37841);
  assert.deepEqual(r.blocks.blocked, ['192.168.1.2']);
  assert.equal(r.blocks.precision, 1);
  assert.equal(r.blocks.recall, 1);
  assert.deepEqual(r.blocks.benignBlocked, []);
  const flood = r.timeToDetection.perFile.find((f) => f.file.startsWith('D12'))!;
  assert.equal(flood.victims![0]!.alerted, true);
  assert.equal(flood.victims![0]!.type, 'syn-flood');
  const brute = r.timeToDetection.perFile.find((f) => f.file.startsWith('D18'))!;
  const hydra = brute.attackers![0]!;
  assert.equal(hydra.by, 'ssh-brute-force');
  // hydra's 6 parallel guesses are refused together 2.5 s in (the server's fail delay)
  assert.ok(hydra.ttdS! >= 2 && hydra.ttdS! < 3, `capture time from the first hydra packet to the ban: ${hydra.ttdS}`);
  assert.ok('attemptsBeforeBan' in hydra);
  assert.deepEqual(hydra.attemptsBeforeBan, { failedLogins: 3, connections: 7, formLogins: 0 }, 'banned at the 3rd of the failed logins answered together, after its 7 connections');
  assert.deepEqual(r.timeToDetection.byClass.brute!.attemptsBeforeBan, { meanFailedLogins: 3, maxFailedLogins: 3, meanConnections: 7, maxConnections: 7, meanFormLogins: 0, maxFormLogins: 0 });
  assert.equal(r.model, null);
});

test('eval with the model: trained on the first benign packets, every later packet scored, AUC reported', async () => {
  const r = await evaluate({
    benign: [`${P}D05_benign_kali-normal-ssh.pcap`, `${P}D04_benign_http_espn.pcapng`],
    attack: [`${P}D10_scan_XMAS_TREE_SCAN.pcap`],
    labels,
    config: testConfig({ model: { enabled: true, epochs: 2 } }),
  });
  const m = r.model!;
  assert.equal(m.trainedOnPackets, Math.floor(((586 + 956) * 2) / 3));
  assert.equal(m.heldOutBenignPackets, 586 + 956 - m.trainedOnPackets);
  assert.equal(m.attackPackets, 2000);
  assert.equal(m.scoredPackets, m.heldOutBenignPackets + m.attackPackets, 'every packet after the grace period is scored once');
  assert.ok(m.rocAuc !== null && m.rocAuc >= 0 && m.rocAuc <= 1);
  assert.deepEqual(r.blocks.blocked, ['192.168.1.10']);
});

test('eval with the model: the same model numbers however the replay\'s batches and the shards\' work interleave', async () => {
  // The replay's batch size and high-water mark change which rows each shard's batch holds and
  // how far one shard runs ahead of the other: the shards' own flow scores move with that (and
  // the model moved with the order its rows reached the trainer), the reported numbers must not.
  const run = async (pipeline: { batchSize?: number; highWater?: number }) => {
    const config = testConfig({ model: { enabled: true } });
    Object.assign(config.pipeline, pipeline);
    const r = await evaluate({ benign: [`${P}D05_benign_kali-normal-ssh.pcap`, `${P}D04_benign_http_espn.pcapng`], attack: [`${P}D10_scan_XMAS_TREE_SCAN.pcap`], labels, config });
    const { rocAuc, threshold, atThreshold, atOnePercentFpr, perPacket, scoredPackets } = r.model!;
    return { rocAuc, threshold, atThreshold, atOnePercentFpr, perPacket, scoredPackets };
  };
  const base = await run({});
  assert.ok(base.rocAuc !== null && base.rocAuc > 0.5, `the scan's packets stand out: ${base.rocAuc}`);
  assert.deepEqual(await run({ batchSize: 64 }), base);
  assert.deepEqual(await run({ highWater: 1 }), base);
});

test('eval command: --help says the flags repeat; missing inputs are usage errors', () => {
  const run = (...a: string[]) => spawnSync(process.execPath, ['bin/autoimmune.js', 'eval', ...a], { encoding: 'utf8' });
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--benign FILE \[--benign FILE\]\.\.\. --attack FILE \[--attack FILE\]\.\.\./);
  assert.match(help.stdout, /repeat the flag for each file/);
  const none = run('--benign', `${P}D01_benign_example.pcap`);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /eval needs --benign FILE .* --attack FILE .* --attackers FILE/);
  const missing = run('--benign', '/nonexistent.pcap', '--attack', `${P}D09_scan_TCP_CONNECT_SCAN.pcap`, '--attackers', `${P}labels.tsv`);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read capture \/nonexistent\.pcap: ENOENT/);
});

test('eval on the captures\' own time: a scan split over 40 sources in 10 s, more than the 30 bans a minute the rate limit makes at once, is banned whole (the rest as tokens free, after the last packet too)', async () => {
  const C = new URL('./fixtures/captures/classes/', import.meta.url).pathname;
  const r = await evaluate({
    benign: [`${P}D01_benign_example.pcap`],
    attack: [`${C}classes_scan_distributed_40.pcap`],
    labels: readLabels(`${C}labels.tsv`),
    config: testConfig({ responder: { rateLimit: { bans: 30, perS: 60, deferS: 600 } } }),
    models: null,
  });
  assert.equal(r.blocks.recall, 1, JSON.stringify(r.blocks.missed));
  assert.equal(r.blocks.precision, 1);
  assert.equal(r.blocks.blocked.length, 40);
  const ttd = r.timeToDetection.perFile[0]!.attackers!.map((a) => a.ttdS!).sort((a, b) => a - b);
  // 30 at once; the other 10 one every 2 s of capture time (60 s / 30 bans), the last ones after the capture ends
  assert.ok(ttd[29]! < 1, `the first 30 within a second of their scans: ${ttd}`);
  assert.ok(ttd[39]! > 10, `the last held back by the limit: ${ttd}`);
  assert.ok((r.skipped['rate-limited'] ?? 0) >= 10);
  // what became of the refusals: some made late, none lost, none still waiting after the drain
  assert.ok(r.rateLimit.made >= 1, JSON.stringify(r.rateLimit));
  assert.equal(r.rateLimit.expired + r.rateLimit.dropped + r.rateLimit.waiting, 0, JSON.stringify(r.rateLimit));
});
