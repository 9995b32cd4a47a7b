// The range's pure parts: when the prober says a source was blocked, the cells and summary
// of the table (misses, false bans, runs that could not run never counted as passed), the
// JSON line's shape, the labels rows, the syslog lines the incumbents parse, and the
// captures shipped from a range run.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLabels, readLabels } from '../src/eval/labels.ts';
import { CaptureFileReader } from '../src/net/pcap-file.ts';
import { labelsTsv } from '../range/labels.ts';
import { BLOCKED_AFTER, blockedAt, probeFilter, type Probe } from '../range/prober.ts';
import { buildReport, cell, summaryLine, table } from '../range/report.ts';
import type { RunResult } from '../range/run.ts';
import { SCENARIOS } from '../range/scenarios.ts';
import { syslogLine } from '../range/services.ts';

const probes = (pattern: string, t0 = 1000): Probe[] => [...pattern].map((c, i) => ({ t: t0 + i * 100, ok: c === '+' }));

test('blockedAt is the first probe of the final silence, only when the silence lasts BLOCKED_AFTER probes', () => {
  const silent = '-'.repeat(BLOCKED_AFTER);
  assert.equal(blockedAt(probes(`+++${silent}`), 0), 1300);
  assert.equal(blockedAt(probes(`+++${silent.slice(1)}`), 0), null, 'too short a silence');
  assert.equal(blockedAt(probes(`++${silent}+`), 0), null, 'answered again at the end: not blocked');
  assert.equal(blockedAt(probes(`-+${silent}`), 0), 1200, 'an earlier failure is not the block');
  assert.equal(blockedAt(probes(`+++${silent}---`), 1600), 1600, 'probes before `from` are left out');
  assert.equal(blockedAt(probes(`+++${silent}`), 1600), null, 'fewer than BLOCKED_AFTER at or after `from`');
  assert.equal(blockedAt([], 0), null);
});

test("probeFilter leaves out the prober's packets both ways, for every prober address", () => {
  const f = probeFilter(['198.51.100.2', '198.51.100.3']);
  assert.match(f, /^not \(tcp and /);
  for (const a of ['198.51.100.2', '198.51.100.3']) {
    assert.ok(f.includes(`src host ${a} and src portrange 20000-20999`));
    assert.ok(f.includes(`dst host ${a} and dst portrange 20000-20999`));
  }
});

const run = (scenario: string, system: RunResult['system'], over: Partial<RunResult> = {}): RunResult => ({
  scenario, system, status: 'ran', source: '198.51.100.2', banned: [], sourceBanned: false, alerted: false, timeToBlockS: null, tool: 'exit 0', packets: 10, pcap: null, durationS: 1, ...over,
});

test('cells judge each run against what the scenario expects', () => {
  assert.equal(cell('ban', run('a', 'autoimmune', { sourceBanned: true, timeToBlockS: 0.84 })), 'blocked 0.8 s');
  assert.equal(cell('ban', run('a', 'fail2ban')), 'MISS');
  assert.equal(cell('ban', run('a', 'autoimmune', { alerted: true })), 'MISS (alert only)');
  assert.equal(cell('ban', run('a', 'crowdsec', { sourceBanned: true })), 'banned, still answered');
  assert.equal(cell('ban', run('a', 'fail2ban', { status: 'could-not-run', reason: 'x', timeToBlockS: 1 })), 'COULD NOT RUN');
  assert.equal(cell('alert', run('f', 'autoimmune', { alerted: true })), 'alert');
  assert.equal(cell('alert', run('f', 'autoimmune')), 'MISS (no alert)');
  assert.equal(cell('nothing', run('b', 'crowdsec', { sourceBanned: true, timeToBlockS: 12.3 })), 'FALSE BAN 12.3 s');
  assert.equal(cell('nothing', run('b', 'autoimmune', { alerted: true })), 'ok (false alert)');
  assert.equal(cell('nothing', run('b', 'fail2ban')), 'ok');
  assert.equal(cell('nothing', undefined), '—');
});

test('the JSON report has the issue\'s shape, null where a system did not run, and says which could not run', () => {
  const scenarios = SCENARIOS.filter((s) => ['hydra-ssh-22', 'hping3-syn-flood', 'ssh-logins'].includes(s.name));
  const results = [
    run('hydra-ssh-22', 'autoimmune', { banned: ['198.51.100.2'], sourceBanned: true, alerted: true, timeToBlockS: 0.6 }),
    run('hydra-ssh-22', 'fail2ban', { sourceBanned: true, timeToBlockS: 6.3 }),
    run('hydra-ssh-22', 'crowdsec', { status: 'could-not-run', reason: 'crowdsec did not start' }),
    run('hping3-syn-flood', 'autoimmune', { alerted: true }),
    run('ssh-logins', 'autoimmune', { source: '198.51.100.3', banned: ['198.51.100.3'], sourceBanned: true, timeToBlockS: 2 }),
    run('ssh-logins', 'fail2ban', { source: '198.51.100.3' }),
  ];
  const report = JSON.parse(JSON.stringify(buildReport(scenarios, results)));
  assert.deepEqual(report.scenarios[0], {
    name: 'hydra-ssh-22', tool: 'hydra ssh', expect: 'ban',
    autoimmune: { banned: ['198.51.100.2'], alerted: true, time_to_block_s: 0.6 },
    fail2ban: { banned: true, time_to_block_s: 6.3 },
    crowdsec: { banned: false, time_to_block_s: null, status: 'could-not-run', reason: 'crowdsec did not start' },
  });
  assert.deepEqual(report.scenarios[1], { name: 'hping3-syn-flood', tool: 'hping3 -S --rand-source', expect: 'alert', autoimmune: { banned: [], alerted: true, time_to_block_s: null }, fail2ban: null, crowdsec: null });
  assert.equal(report.scenarios[2].crowdsec, null);
  assert.equal(summaryLine('autoimmune', scenarios, results), 'autoimmune: blocked 1/1 attacks; median time to block 0.6 s; 1/1 benign clients blocked; 1/1 floods alerted');
  assert.equal(summaryLine('crowdsec', scenarios, results), 'crowdsec: blocked 0/0 attacks; 0/0 benign clients blocked; 1 run(s) could not run');
  const text = table(scenarios, results);
  assert.match(text, /\| hydra-ssh-22 +\| hydra ssh +\| ban +\| blocked 0\.6 s +\| blocked 6\.3 s +\| COULD NOT RUN +\|/);
  assert.match(text, /\| ssh-logins .*\| FALSE BAN 2\.0 s +\| ok +\| — +\|/);
});

test('labels rows read back through the evaluation parser: attackers named, spoofed floods and benign clients not', () => {
  const pick = (n: string) => SCENARIOS.find((s) => s.name === n)!;
  const rows = [
    run('masscan', 'autoimmune', { pcap: '/x/range_scan_masscan.pcap', packets: 2001 }),
    run('hping3-syn-flood', 'autoimmune', { pcap: '/x/range_flood_hping3-syn-flood.pcap' }),
    run('dns-lookups', 'autoimmune', { source: '198.51.100.3', pcap: '/x/range_benign_dns-lookups.pcap' }),
    run('dns-lookups', 'fail2ban', { source: '198.51.100.3' }),
  ];
  const tsv = labelsTsv([pick('masscan'), pick('hping3-syn-flood'), pick('dns-lookups')], rows);
  assert.equal(tsv.split('\n')[0], 'file\tclass\tattackers\tvictims\tpackets\tnote');
  const labels = parseLabels(tsv);
  assert.equal(labels.files.size, 3, 'only runs with a kept capture get a row');
  assert.deepEqual(labels.files.get('range_scan_masscan.pcap')!.attackers, ['198.51.100.2']);
  assert.deepEqual(labels.files.get('range_flood_hping3-syn-flood.pcap')!.attackers, []);
  assert.deepEqual(labels.files.get('range_flood_hping3-syn-flood.pcap')!.victims, ['198.51.100.1']);
  assert.deepEqual(labels.files.get('range_benign_dns-lookups.pcap')!.attackers, []);
  assert.ok(tsv.includes('\t2001\t'));
});

test("syslogLine writes rsyslog's auth.log format, day padded with a space", () => {
  assert.equal(syslogLine(new Date(2026, 11, 5, 7, 2, 9), 'victim', 'sshd', 42, 'Failed password for root from 198.51.100.2 port 4000 ssh2'), 'Dec  5 07:02:09 victim sshd[42]: Failed password for root from 198.51.100.2 port 4000 ssh2');
  assert.match(syslogLine(new Date(2026, 0, 15, 23, 59, 59), 'v', 'sshd', 1, 'x'), /^Jan 15 23:59:59 v sshd\[1\]: x$/);
});

test('the shipped range captures (test/fixtures/range) match their labels.tsv: every file there, with its packet count', () => {
  const dir = new URL('./fixtures/range/', import.meta.url).pathname;
  const labels = readLabels(join(dir, 'labels.tsv'));
  const rows = readFileSync(join(dir, 'labels.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  assert.ok(labels.files.size >= 10);
  assert.deepEqual(new Set(['scan', 'brute', 'flood', 'benign']), new Set([...labels.files.values()].map((f) => f.class)));
  for (const [file, , , , packets] of rows) {
    let frames = 0;
    new CaptureFileReader(join(dir, file!)).forEachFrameSync(() => {
      frames++;
    });
    assert.equal(frames, Number(packets), file);
  }
});
