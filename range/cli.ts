// npm run range -- [--json] [--only NAME,...] [--systems autoimmune,fail2ban,crowdsec] [--out DIR]
//
// The live-fire range: builds the lab (lab.ts), then runs every scenario against each
// defence system in turn, each run with fresh services and an empty firewall (run.ts), and
// prints the table (and with --json the JSON line) on stdout; progress goes to stderr. The
// lab is removed at the end, on error and on Ctrl-C.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDistIfStale } from '../devkit/build-dist.ts';
import { labUnavailable } from '../lab/bridge-lab.ts';
import { createRangeLab, type RangeLab } from './lab.ts';
import { buildReport, table } from './report.ts';
import { runOne, type RunResult } from './run.ts';
import { SCENARIOS, writeWordLists } from './scenarios.ts';
import { labelsTsv } from './labels.ts';
import { makeContent } from './services.ts';
import { autoimmune } from './systems/autoimmune.ts';
import { crowdsec } from './systems/crowdsec.ts';
import { fail2ban } from './systems/fail2ban.ts';
import { missingTools } from './tools.ts';
import { killNamespaceSync } from './procs.ts';
import { SYSTEMS, type DefenceSystem, type SystemName } from './types.ts';

const HELP = `npm run range -- [--json] [--only NAME,...] [--systems autoimmune,fail2ban,crowdsec] [--out DIR]

The live-fire range, as root: a victim namespace with real services (sshd on 22 and 2222,
vsftpd, lighttpd, dnsmasq), an attacker namespace with real tools (nmap, masscan, hydra,
medusa, ncrack, hping3) and a benign client; each scenario runs against autoimmune, fail2ban
and CrowdSec in turn. The lab has no route out: nothing it sends leaves it.

--json          also print the results as one JSON line (the last line of stdout)
--only LIST     run only these scenarios (comma-separated names, see below)
--systems LIST  defence systems to run (default: all three)
--out DIR       where autoimmune runs' captures and labels.tsv go, and every run's auth.log
                and vsftpd.log under logs/ (default: range-captures)
--help          this text

Scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(20)} ${s.expect.padEnd(8)} ${s.note}`).join('\n')}
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`range: ${message}\n`);
  process.exit(code);
}

let values: { json?: boolean; only?: string; systems?: string; out?: string; help?: boolean };
try {
  values = parseArgs({
    options: { json: { type: 'boolean' }, only: { type: 'string' }, systems: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  }).values;
} catch (err) {
  fail(`${(err as Error).message}; see --help`);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const only = list(values.only);
for (const name of only) if (!SCENARIOS.some((s) => s.name === name)) fail(`--only: no scenario named ${JSON.stringify(name)}; the scenarios are ${SCENARIOS.map((s) => s.name).join(', ')}`);
const scenarios = only.length ? SCENARIOS.filter((s) => only.includes(s.name)) : [...SCENARIOS];
const systemNames = values.systems === undefined ? [...SYSTEMS] : list(values.systems);
for (const s of systemNames) if (!(SYSTEMS as readonly string[]).includes(s)) fail(`--systems: unknown system ${JSON.stringify(s)}; choose from ${SYSTEMS.join(', ')}`);
if (systemNames.length === 0) fail('--systems: name at least one system');
const SYSTEM_OF: Record<SystemName, DefenceSystem> = { autoimmune, fail2ban, crowdsec };
const systems = SYSTEMS.filter((s) => systemNames.includes(s)).map((s) => SYSTEM_OF[s]);

const why = labUnavailable();
if (why) fail(`${why}. The range builds network namespaces and applies real firewall rules: run it as root (sudo npm run range).`);
const missing = missingTools(scenarios, systems.map((s) => s.name));
if (missing.tools.length) {
  fail(`missing tools: ${missing.tools.join(', ')}.\nInstall them (scripts/setup-range.sh does it as root):\n  apt-get update && apt-get install -y --no-install-recommends ${missing.packages.join(' ')}`);
}

// The node runs compiled, as installed (systems/autoimmune.ts): build dist/ now if a source
// is newer, so that no run's start waits for a build.
if (systems.some((s) => s.name === 'autoimmune')) {
  try {
    buildDistIfStale();
  } catch (err) {
    fail(`the range runs autoimmune compiled, and ${(err as Error).message}`);
  }
}

const out = resolve(values.out ?? 'range-captures');
mkdirSync(out, { recursive: true });
const logs = join(out, 'logs');
mkdirSync(logs, { recursive: true });
const progress = (msg: string) => process.stderr.write(`range: ${msg}\n`);

let lab: RangeLab | undefined;
// Ctrl-C or a kill: this exit hook (registered first, so it runs first) kills what runs in the
// lab and removes its files; then those of procs.ts (daemons) and lab/bridge-lab.ts
// (namespaces) run.
process.once('exit', () => {
  if (!lab) return;
  // Before the namespaces go: processes that left their daemon's group (sshd's sessions).
  for (const n of [lab.victim, lab.attacker, lab.client]) killNamespaceSync(n.ns);
  rmSync(join('/etc/netns', lab.victim.ns), { recursive: true, force: true });
  rmSync(lab.dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`range: ${signal}: removing the lab\n`);
    process.exit(130);
  });
}

const startedAt = Date.now();
const results: RunResult[] = [];
try {
  progress('building the lab (victim, attacker, client)');
  lab = await createRangeLab();
  makeContent(lab);
  const files = writeWordLists(lab);
  const runs = scenarios.flatMap((s) => systems.filter((sys) => sys.name === 'autoimmune' || s.incumbents).map((sys) => [s, sys] as const));
  for (const [k, [scenario, system]] of runs.entries()) {
    progress(`[${k + 1}/${runs.length}] ${scenario.name} against ${system.name}`);
    const r = await runOne(lab, scenario, system, files, { keepPcapIn: system.name === 'autoimmune' ? out : null, keepLogsIn: logs, progress });
    results.push(r);
    const outcome = r.status === 'could-not-run' ? `could not run: ${r.reason}` : `banned ${r.banned.join(' ') || 'nobody'}; blocked after ${r.timeToBlockS ?? '-'} s; alerted ${r.alerted}; tool ${r.tool}`;
    progress(`[${k + 1}/${runs.length}] ${scenario.name} against ${system.name}: ${outcome} (${r.durationS.toFixed(0)} s)`);
  }
} catch (err) {
  process.stderr.write(`range: ${(err as Error).stack ?? err}\n`);
  await lab?.destroy();
  process.exit(1);
}
await lab.destroy();
lab = undefined;

const kept = results.filter((r) => r.pcap);
if (kept.length) writeFileSync(join(out, 'labels.tsv'), labelsTsv(scenarios, kept));
const minutes = ((Date.now() - startedAt) / 60_000).toFixed(1);
process.stdout.write(`${table(scenarios, results, systems.map((s) => s.name))}\n\nRan ${results.length} runs in ${minutes} min; captures and labels.tsv in ${out}\n`);
if (values.json) process.stdout.write(`${JSON.stringify(buildReport(scenarios, results))}\n`);
process.exit(results.some((r) => r.status === 'could-not-run') ? 1 : 0);
