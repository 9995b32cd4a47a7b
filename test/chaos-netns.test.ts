// The chaos network lab over real namespaces: every node reaches every other node and the
// hub over TCP; a partition drops exactly the cut pair, both ways; heal restores it; an
// attached lab (the runner re-executed inside the hub) cuts and heals the same lab; destroy
// leaves neither namespaces nor host interfaces behind, and creation never makes a link in
// the host namespace, not even for a moment.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { attachNetLab, createNetLab, labUnavailable } from '../chaos/netns.ts';
import type { NetLab } from '../chaos/netns.ts';
import { runCommand } from '../src/firewall/exec.ts';
import { waitFor } from '../devkit/wait.ts';

const PORT = 7077;
/** Hang guard for a probe whose SYNs are expected to vanish. */
const DROP_AFTER_MS = 1500;
const PREFIX = `ait${process.pid % 100_000}`;
const unavailable = labUnavailable();

// Echoes the address it saw the connection come from, so a probe proves which namespace it
// left from, not only that something answered.
const LISTENER = `
const server = require('net').createServer((s) => { s.on('error', () => {}); s.end(s.remoteAddress); });
server.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));
`;

const PROBE = `
const [host, port, ms] = process.argv.slice(1);
const say = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
setTimeout(() => say({ dropped: true }), Number(ms));
const s = require('net').connect({ host, port: Number(port) });
let seen = '';
s.on('data', (c) => { seen += c; });
s.on('end', () => say({ seen }));
s.on('error', (e) => say({ error: e.code || e.message }));
`;

function hostLinks(): string {
  const r = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function labNamespaces(prefix: string): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${prefix}-`));
}

function startListener(ns: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', LISTENER, String(PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('listening')) resolve(child);
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`listener in ${ns} exited with ${code}: ${err}`)));
  });
}

describe('chaos network lab', { skip: unavailable ?? false }, () => {
  let lab: NetLab;
  let linksBefore: string;
  const hostEvents: string[] = [];
  let monitor: ChildProcess;
  const listeners: ChildProcess[] = [];
  /** Where a probe can start or end: a node id or 'hub'. */
  const place = (p: string): { ns: string; ip: string } => {
    if (p === 'hub') return { ns: lab.hub, ip: lab.hubIp };
    const n = lab.nodes.find((x) => x.id === p)!;
    return { ns: n.ns, ip: n.ip };
  };

  async function probe(from: string, to: string): Promise<'passed' | 'dropped'> {
    const src = place(from);
    const dst = place(to);
    const { stdout } = await runCommand(process.execPath, ['-e', PROBE, dst.ip, String(PORT), String(DROP_AFTER_MS)], {
      netns: src.ns,
      timeoutMs: DROP_AFTER_MS + 30_000,
    });
    const r = JSON.parse(stdout) as { dropped?: true; seen?: string; error?: string };
    if (r.dropped) return 'dropped';
    if (r.error !== undefined) throw new Error(`probe ${from}→${to} failed with ${r.error} (neither passed nor dropped)`);
    assert.equal(r.seen, src.ip, `probe ${from}→${to}: the listener saw ${r.seen}`);
    return 'passed';
  }

  /** Probes every listed route at once; returns "from→to: outcome" lines to compare whole. */
  async function reach(routes: Array<[string, string]>): Promise<string[]> {
    return Promise.all(routes.map(async ([f, t]) => `${f}→${t}: ${await probe(f, t)}`));
  }

  const ALL: Array<[string, string]> = [];
  for (const f of ['n1', 'n2', 'n3', 'hub']) for (const t of ['n1', 'n2', 'n3', 'hub']) if (f !== t) ALL.push([f, t]);
  const allPass = ALL.map(([f, t]) => `${f}→${t}: passed`);

  before(async () => {
    linksBefore = hostLinks();
    // Link events in the host namespace while the lab is built and torn down: there must be
    // none. The monitor is subscribed once it sleeps holding its netlink socket.
    monitor = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    monitor.stdout!.on('data', (b: Buffer) => hostEvents.push(...b.toString().split('\n').filter(Boolean)));
    const pid = monitor.pid!;
    await waitFor(() => {
      try {
        const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
        const socket = readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:'));
        return state === 'S' && socket;
      } catch {
        return false;
      }
    }, 'ip monitor listening');
    lab = await createNetLab(['n1', 'n2', 'n3'], { prefix: PREFIX });
    for (const ns of [lab.hub, ...lab.nodes.map((n) => n.ns)]) listeners.push(await startListener(ns));
  });

  after(async () => {
    for (const l of listeners) l.kill('SIGKILL');
    monitor?.kill();
    await lab?.destroy();
  });

  test('describes the topology it built', () => {
    assert.deepEqual(
      { prefix: lab.prefix, hub: lab.hub, hubIp: lab.hubIp, nodes: lab.nodes },
      {
        prefix: PREFIX,
        hub: `${PREFIX}-hub`,
        hubIp: '10.77.0.254',
        nodes: [
          { id: 'n1', ns: `${PREFIX}-n1`, ip: '10.77.0.1' },
          { id: 'n2', ns: `${PREFIX}-n2`, ip: '10.77.0.2' },
          { id: 'n3', ns: `${PREFIX}-n3`, ip: '10.77.0.3' },
        ],
      },
    );
    assert.deepEqual(lab.exec('n2'), ['ip', 'netns', 'exec', `${PREFIX}-n2`]);
    assert.deepEqual(lab.cuts(), []);
    assert.throws(() => lab.exec('n9'), { code: 'AI_ERR_CONFIG', message: /"n9".*n1, n2, n3/ });
  });

  test('every node reaches every other node and the hub, and the hub reaches every node', async () => {
    assert.deepEqual(await reach(ALL), allPass);
  });

  test('partition drops the pair both ways and nothing else; heal restores it', async () => {
    await lab.partition('n1', 'n2');
    await lab.partition('n2', 'n1'); // idempotent, either order
    assert.deepEqual(lab.cuts(), ['n1|n2']);
    const cutOff = new Set(['n1→n2: passed', 'n2→n1: passed']);
    assert.deepEqual(
      await reach(ALL),
      allPass.map((l) => (cutOff.has(l) ? l.replace('passed', 'dropped') : l)),
    );
    await lab.heal('n2', 'n1');
    await lab.heal('n1', 'n2'); // idempotent
    assert.deepEqual(lab.cuts(), []);
    assert.deepEqual(await reach(ALL), allPass);
  });

  test('two cuts are independent: healing one leaves the other', async () => {
    await lab.partition('n1', 'n2');
    await lab.partition('n1', 'n3');
    assert.deepEqual(lab.cuts(), ['n1|n2', 'n1|n3']);
    await lab.heal('n1', 'n2');
    assert.deepEqual(lab.cuts(), ['n1|n3']);
    assert.deepEqual(await reach([['n1', 'n2'], ['n1', 'n3'], ['n3', 'n1'], ['n2', 'n3']]), [
      'n1→n2: passed',
      'n1→n3: dropped',
      'n3→n1: dropped',
      'n2→n3: passed',
    ]);
    await lab.heal('n1', 'n3');
    assert.deepEqual(await reach([['n1', 'n3'], ['n3', 'n1']]), ['n1→n3: passed', 'n3→n1: passed']);
  });

  test('a lab attached from its JSON description inside the hub namespace cuts and heals the same nodes', async () => {
    const moduleUrl = new URL('../chaos/netns.ts', import.meta.url).href;
    const script = `
      const { attachNetLab } = await import(${JSON.stringify(moduleUrl)});
      const [d, op, a, b] = process.argv.slice(1);
      const lab = attachNetLab(JSON.parse(d));
      await lab[op](a, b);
      process.stdout.write(JSON.stringify(lab.cuts()));
    `;
    const description = JSON.stringify({ prefix: lab.prefix, hub: lab.hub, hubIp: lab.hubIp, nodes: lab.nodes });
    // The runner's own situation: a process in the hub namespace, knowing only the description.
    const inHub = async (op: string, a: string, b: string): Promise<string[]> => {
      const { stdout } = await runCommand(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, description, op, a, b], {
        netns: lab.hub,
        timeoutMs: 60_000,
      });
      return JSON.parse(stdout) as string[];
    };
    assert.deepEqual(await inHub('partition', 'n3', 'n1'), ['n1|n3']);
    assert.deepEqual(await reach([['n1', 'n3'], ['n3', 'n1'], ['n1', 'n2'], ['n3', 'n2'], ['n3', 'hub'], ['hub', 'n1']]), [
      'n1→n3: dropped',
      'n3→n1: dropped',
      'n1→n2: passed',
      'n3→n2: passed',
      'n3→hub: passed',
      'hub→n1: passed',
    ]);
    // A different attached instance heals it: the cut lives in the kernel, not in the object.
    assert.deepEqual(await inHub('heal', 'n1', 'n3'), []);
    assert.deepEqual(await reach([['n1', 'n3'], ['n3', 'n1']]), ['n1→n3: passed', 'n3→n1: passed']);
    // The creator's view is its own: it cut nothing.
    assert.deepEqual(lab.cuts(), []);
    // An attached lab never deletes what it did not make.
    await attachNetLab(JSON.parse(description)).destroy();
    assert.equal(labNamespaces(PREFIX).length, 4);
  });

  test('a failing command is reported with the command and its stderr', async () => {
    const ghost = attachNetLab({ prefix: 'aighost', hub: 'aighost-hub', hubIp: '10.77.0.254', nodes: [
      { id: 'a', ns: 'aighost-a', ip: '10.77.0.1' },
      { id: 'b', ns: 'aighost-b', ip: '10.77.0.2' },
    ] });
    await assert.rejects(ghost.partition('a', 'b'), { message: /`ip netns exec aighost-[ab] nft -f -`.*aighost-[ab]/s });
    assert.deepEqual(ghost.cuts(), []);
    await assert.rejects(lab.partition('n1', 'n1'), { code: 'AI_ERR_CONFIG' });
  });

  test('destroy removes every namespace and leaves the host links as they were', async () => {
    for (const l of listeners) l.kill('SIGKILL');
    await lab.destroy();
    await lab.destroy(); // idempotent
    assert.deepEqual(labNamespaces(PREFIX), []);
    assert.equal(hostLinks(), linksBefore);
    assert.deepEqual(hostEvents, [], 'link events in the host namespace while the lab existed');
  });
});

describe('chaos network lab setup', { skip: unavailable ?? false }, () => {
  test('refuses names Linux would not take, before making anything', async () => {
    const prefix = `aiu${process.pid % 100_000}`;
    await assert.rejects(createNetLab(['a-very-long-node-id'], { prefix }), { code: 'AI_ERR_CONFIG', message: /longer than 15/ });
    await assert.rejects(createNetLab(['n1', 'n1'], { prefix }), { code: 'AI_ERR_CONFIG', message: /repeat/ });
    await assert.rejects(createNetLab(['n/1'], { prefix }), { code: 'AI_ERR_CONFIG' });
    assert.deepEqual(labNamespaces(prefix), []);
  });

  test('will not build a second lab over a live one with the same prefix', async () => {
    const prefix = `aiw${process.pid % 100_000}`;
    const lab = await createNetLab(['x'], { prefix });
    try {
      await assert.rejects(createNetLab(['y'], { prefix }), { code: 'AI_ERR_CONFIG', message: /already live/ });
      assert.deepEqual(labNamespaces(prefix).sort(), [`${prefix}-hub`, `${prefix}-x`]);
    } finally {
      await lab.destroy();
    }
    assert.deepEqual(labNamespaces(prefix), []);
  });

  test('clears namespaces a crashed run left under the same prefix', async () => {
    const prefix = `aiv${process.pid % 100_000}`;
    await runCommand('ip', ['netns', 'add', `${prefix}-stale`]);
    try {
      const lab = await createNetLab(['x'], { prefix });
      assert.deepEqual(labNamespaces(prefix).sort(), [`${prefix}-hub`, `${prefix}-x`]);
      await lab.destroy();
      assert.deepEqual(labNamespaces(prefix), []);
    } finally {
      spawnSync('ip', ['netns', 'del', `${prefix}-stale`], { stdio: 'ignore' });
    }
  });
});
