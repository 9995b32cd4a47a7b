// The chaos monkey in the suite: a real run of about two minutes (three node processes, a
// three-member etcd, a network lab with partitions, every kind of fault at least once) whose
// every invariant must hold; and the same run on a deliberately broken build (the firewall
// actor skips its reconcile: AUTOIMMUNE_FAILPOINTS) which the invariants must catch.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { labUnavailable } from '../chaos/netns.ts';
import { FAULT_KINDS, type ChaosReport, type RecoveryStats } from '../chaos/types.ts';
import { TEST_WORKERS } from '../devkit/node-config.ts';

const CLI = fileURLToPath(new URL('../chaos/cli.ts', import.meta.url));

interface Ran {
  code: number | null;
  report: ChaosReport | undefined;
  stdout: string;
  stderr: string;
}

function chaos(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  // AUTOIMMUNE_TEST_WORKERS=1: the same runs with every shard in a worker thread.
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args, ...(TEST_WORKERS ? ['--workers'] : [])], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      let report: ChaosReport | undefined;
      try {
        report = JSON.parse(stdout) as ChaosReport;
      } catch {
        report = undefined;
      }
      resolve({ code, report, stdout, stderr });
    }),
  );
}

const why = labUnavailable();
const long = { timeout: 10 * 60_000, ...(why ? { skip: `needs a network lab for partitions: ${why}` } : {}) };
/** The run's own account, for an assertion's message. */
const log = (r: Ran) => `\n--- stderr (last 4000 chars) ---\n${r.stderr.slice(-4000)}\n--- stdout ---\n${r.stdout.slice(0, 4000)}`;

test('bad flags are refused with the value named, before anything starts', async () => {
  for (const [args, message] of [
    [['--duration', 'soon'], /--duration must look like 90s, 2m or 10m, got "soon"/],
    [['--duration', '20s'], /at least 30s/],
    [['--nodes', '2'], /--nodes must be 1 or 3, got 2/],
    [['--netns', 'maybe'], /--netns must be auto, on or off, got maybe/],
    [['--duration', '40s'], /too short for one fault of each kind/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ] as Array<[string[], RegExp]>) {
    const r = await chaos(args);
    assert.equal(r.code, 2, `${args.join(' ')}${log(r)}`);
    assert.match(r.stderr, message);
  }
});

test('a two-minute chaos run with every kind of fault: every invariant holds and every fault recovers', long, async () => {
  const r = await chaos(['--duration', '100s', '--seed', '7', '--nodes', '3', '--json']);
  assert.ok(r.report, `no JSON report${log(r)}`);
  for (const [name, inv] of Object.entries(r.report.invariants)) assert.ok(inv.held, `${name} broke: ${inv.evidence}${log(r)}`);
  for (const kind of FAULT_KINDS) {
    const f: RecoveryStats = r.report.faults[kind];
    assert.ok(f.count >= 1, `no ${kind} was injected${log(r)}`);
    assert.equal(f.recovered, f.count, `${kind}: ${f.recovered} of ${f.count} recovered${log(r)}`);
  }
  assert.equal(r.report.ok, true);
  assert.equal(r.code, 0, log(r));
  // The evidence is numbers, not a bare yes: packets flowed and attackers were blocked.
  assert.match(r.report.invariants['no-event-lost']!.evidence, /^[1-9]\d* packets offered, [1-9]\d* confirmed handled, 0 lost/);
  assert.match(r.report.invariants['every-attacker-blocked']!.evidence, /^all [1-9]\d* attackers blocked/);
});

test('the same run on a broken build (firewalls that skip their reconcile) fails, and says which ban a firewall lacked', long, async () => {
  const r = await chaos(['--duration', '100s', '--seed', '7', '--nodes', '3', '--json'], { AUTOIMMUNE_FAILPOINTS: 'firewall.skip-reconcile' });
  assert.ok(r.report, `no JSON report${log(r)}`);
  assert.equal(r.report.ok, false, `the broken build passed${log(r)}`);
  assert.equal(r.code, 1);
  const lost = r.report.invariants['no-ban-lost']!;
  assert.equal(lost.held, false, `no-ban-lost held on the broken build: ${lost.evidence}${log(r)}`);
  // The operator's ban outlives the run: a rebooted node that skips its reconcile never gets it back.
  assert.match(lost.evidence, /n\d lacked 198\.51\.100\.77 for \d+ s while the registry had it/);
  assert.equal(r.report.invariants['firewalls-agree']!.held, false, r.report.invariants['firewalls-agree']!.evidence);
});
