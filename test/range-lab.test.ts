// The range's parts on a small lab: a victim with one real service (lighttpd), an attacker
// running a real tool (nmap -sS), and the real node capturing on the victim's interface and
// enforcing with nftables there, driven as the range drives it (range/run.ts: the prober,
// the capture, the verdict through the node's HTTP API). The node must ban the scanner and
// its probes must stop being answered; afterwards the lab (namespaces, /etc/netns files,
// temp dir, processes) must be gone. Installs nothing: skips, saying what is missing, when
// the machine lacks root or the tools (scripts/setup.sh installs them for CI).

import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { labUnavailable } from '../lab/bridge-lab.ts';
import { parseLabels } from '../src/eval/labels.ts';
import { createRangeLab, type RangeLab } from '../range/lab.ts';
import { labelsTsv } from '../range/labels.ts';
import { hasCommand, waitListening } from '../range/procs.ts';
import { runOne } from '../range/run.ts';
import { SCENARIOS, writeWordLists } from '../range/scenarios.ts';
import { makeContent, startWebServer } from '../range/services.ts';
import { autoimmune } from '../range/systems/autoimmune.ts';

const PREFIX = `aig${process.pid % 100_000}`;
const TOOLS = ['nmap', 'lighttpd', 'tcpdump', 'curl', 'ss'];
const missing = TOOLS.filter((t) => !hasCommand(t));
const skip = labUnavailable() ?? (missing.length ? `missing tools: ${missing.join(', ')} (scripts/setup.sh installs them as root)` : false);

let lab: RangeLab | undefined;
const out = mkdtempSync(join(tmpdir(), 'autoimmune-range-test-'));
after(async () => {
  await lab?.destroy();
  rmSync(out, { recursive: true, force: true });
});

const namespaces = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${PREFIX}-`));

test('the node bans a real nmap SYN scan of a real service in the lab, and the lab is gone afterwards', { skip, timeout: 240_000 }, async () => {
  lab = await createRangeLab({ prefix: PREFIX, withUsers: false });
  assert.deepEqual(namespaces().sort(), [`${PREFIX}-attack`, `${PREFIX}-client`, `${PREFIX}-hub`, `${PREFIX}-victim`]);
  // No interface of the lab in the host namespace, and no way out of the lab.
  assert.ok(!spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout.includes('p-victim'));
  for (const n of [lab.victim, lab.attacker, lab.client]) {
    assert.equal(spawnSync('ip', ['-n', n.ns, 'route', 'show', 'default'], { encoding: 'utf8' }).stdout.trim(), '', `${n.ns} has a default route`);
  }
  makeContent(lab, false);
  const scenario = SCENARIOS.find((s) => s.name === 'nmap-syn-scan')!;
  const lines: string[] = [];
  const r = await runOne(lab, scenario, autoimmune, writeWordLists(lab), {
    keepPcapIn: out,
    progress: (m) => lines.push(m),
    services: async (l, runDir) => {
      const web = startWebServer(l, runDir);
      await waitListening(l.victim.ns, [{ proto: 'tcp', port: 80 }]);
      return { authLog: join(runDir, 'auth.log'), vsftpdLog: join(runDir, 'vsftpd.log'), stop: () => web.stop() };
    },
  });
  assert.equal(r.status, 'ran', `${r.reason}\n${lines.join('\n')}`);
  assert.deepEqual(r.banned, [lab.attacker.ip], 'the node bans the scanner and nobody else');
  assert.ok(r.sourceBanned && r.alerted);
  assert.notEqual(r.timeToBlockS, null, "the scanner's probes must stop being answered");
  // The capture and its labels row, readable by the evaluation's parser.
  assert.ok(r.pcap && existsSync(r.pcap) && r.packets > 0);
  const labels = parseLabels(labelsTsv([scenario], [r]));
  const row = labels.files.get('range_scan_nmap-syn-scan.pcap');
  assert.deepEqual(row && { class: row.class, attackers: row.attackers, victims: row.victims }, { class: 'scan', attackers: [lab.attacker.ip], victims: [lab.victim.ip] });
  // The run left nothing behind in the victim: no process, an empty firewall.
  assert.equal(spawnSync('ip', ['netns', 'pids', lab.victim.ns], { encoding: 'utf8' }).stdout.trim(), '');
  assert.equal(spawnSync('ip', ['netns', 'exec', lab.victim.ns, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout.trim(), '');

  const { dir, victim } = lab;
  await lab.destroy();
  lab = undefined;
  assert.deepEqual(namespaces(), []);
  assert.ok(!existsSync(dir), 'the temp dir is removed');
  assert.ok(!existsSync(join('/etc/netns', victim.ns)), "the victim's /etc/netns files are removed");
  assert.ok(!readFileSync('/proc/mounts', 'utf8').includes(dir));
});
