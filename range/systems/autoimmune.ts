// autoimmune as a user runs it: the installed command, compiled (`node bin/autoimmune.js start
// --config FILE --state-dir DIR`: dist/, no TypeScript loader; range/cli.ts builds dist/ first
// when a source is newer) inside the victim namespace, capturing live on the victim's eth0 and
// enforcing with nftables there. Its settings are the defaults except what the range must set: the
// interface, the nftables backend (never dry-run), its own state dir per run, and a capture
// filter that leaves out the prober's own packets. Read through its HTTP API on the
// victim's loopback (curl inside the namespace: the runner is not in the lab's network).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDistIfStale } from '../../devkit/build-dist.ts';
import { runIn, sleep, startDaemon } from '../procs.ts';
import type { DefenceSystem, RunningSystem, SystemContext, Verdict } from '../types.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const API_PORT = 8000;
const READY_TIMEOUT_MS = 90_000;

export async function apiGet(ns: string, path: string): Promise<{ status: number; body: string }> {
  const r = await runIn(ns, ['curl', '-s', '-m', '5', '-w', '\n%{http_code}', `http://127.0.0.1:${API_PORT}${path}`], 10_000);
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)) || 0, body: r.stdout.slice(0, Math.max(0, i)) };
}

export function nodeConfig(ctx: SystemContext): Record<string, unknown> {
  return {
    http: { host: '127.0.0.1', port: API_PORT },
    capture: { interfaces: ['eth0'], filter: ctx.probeFilter },
    firewall: { backend: 'nftables' },
  };
}

export const autoimmune: DefenceSystem = {
  name: 'autoimmune',
  async start(ctx: SystemContext): Promise<RunningSystem> {
    buildDistIfStale(); // (done by range/cli.ts already; a test starting runs itself needs it)
    const ns = ctx.lab.victim.ns;
    const config = join(ctx.runDir, 'autoimmune.json');
    writeFileSync(config, JSON.stringify(nodeConfig(ctx), null, 2));
    const node = startDaemon('autoimmune', ns, [process.execPath, 'bin/autoimmune.js', 'start', '--config', config, '--state-dir', join(ctx.runDir, 'state')], {
      cwd: REPO,
      logFile: join(ctx.runDir, 'autoimmune.log'),
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let last = '';
    for (;;) {
      if (node.child.exitCode !== null || node.child.signalCode !== null) throw new Error(`autoimmune exited before it was ready (see ${join(ctx.runDir, 'autoimmune.log')})`);
      const health = await apiGet(ns, '/health');
      last = `${health.status} ${health.body.slice(0, 200)}`;
      if (health.status === 200) {
        const tree = await apiGet(ns, '/api/tree');
        if (tree.status === 200 && tree.body.includes('capture-eth0')) break;
        last = `tree: ${tree.status}`;
      }
      if (Date.now() > deadline) {
        await node.stop();
        throw new Error(`autoimmune was not ready after ${READY_TIMEOUT_MS / 1000} s (last answer: ${last})`);
      }
      await sleep(300);
    }
    return {
      verdict: async (): Promise<Verdict> => {
        const bans = await apiGet(ns, '/api/bans');
        const alerts = await apiGet(ns, '/api/alerts?limit=1000');
        if (bans.status !== 200 || alerts.status !== 200) throw new Error(`autoimmune's API answered ${bans.status} to /api/bans and ${alerts.status} to /api/alerts`);
        const b = JSON.parse(bans.body) as { address: string }[];
        const a = JSON.parse(alerts.body) as { source: string; target: string; type: string }[];
        return { banned: [...new Set(b.map((x) => x.address))].sort(), alerts: a.map(({ source, target, type }) => ({ source, target, type })) };
      },
      stop: () => node.stop(8000),
    };
  },
};
