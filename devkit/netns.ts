// Two network namespaces joined by a veth pair, for tests that apply real firewall rules
// without touching the host's: a defender (where the backend runs, with a TCP listener) and
// an attacker with TWO source addresses per family, so one can be banned while the other
// still gets through.
//
//   attacker ns  ai-<pid>-<n>-a   eth0  192.0.2.10, 192.0.2.20, 2001:db8::a:1, 2001:db8::b:1
//   defender ns  ai-<pid>-<n>-b   eth0  192.0.2.1, 2001:db8::1, listener on port 7
//
// Reachability is a TCP connect from a chosen source address, made by a small node script
// run inside the attacker namespace (`ip netns exec`: node's net module cannot enter a
// namespace itself). Neighbour entries are static, so IPv6 neighbour discovery — whose
// messages a ban on the source would drop too — plays no part. Needs iproute2 and root.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { runCommand } from '../src/firewall/exec.ts';

export const ATTACKER_MAC = '02:00:00:00:00:0a';
export const DEFENDER_MAC = '02:00:00:00:00:0b';
export const PORT = 7;

export interface NetnsPair {
  attacker: string;
  defender: string;
  defenderV4: string;
  defenderV6: string;
  /** Two sources each: [0] is the one tests ban, [1] the bystander. */
  attackerV4: [string, string];
  attackerV6: [string, string];
  /** Nets holding attackerV4[0] / attackerV6[0] but not [1]. */
  netV4: string;
  netV6: string;
  /**
   * Connects from `src` (an attacker address) to the defender's listener. 'passed' when the
   * listener answered (it echoes the address it saw, which must be `src`); 'dropped' when
   * no answer came within `dropAfterMs` (the SYN and its retransmissions vanished).
   */
  probe(src: string, dropAfterMs?: number): Promise<'passed' | 'dropped'>;
  close(): Promise<void>;
}

let counter = 0;
const live = new Set<{ namespaces: string[]; listener?: ChildProcess }>();

// Cleanup that runs even when a test forgets close() or fails before it: deleting the
// namespaces removes the veth pair with them. Also on SIGINT, SIGTERM and SIGHUP, which end a
// process without its 'exit' event (armed once namespaces exist; the signal is raised again
// afterwards when nothing else listens for it, so the process still ends as it would have).
process.once('exit', () => {
  for (const l of live) cleanupSync(l);
});

let armed = false;
function armSignals(): void {
  if (armed) return;
  armed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const l of live) cleanupSync(l);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/**
 * Namespaces a caller makes itself (the drop-rate bench's labs), deleted like the pairs'
 * however the process ends. Track the names BEFORE `ip netns add`, so none made is ever
 * untracked; call the returned release once they are deleted.
 */
export function trackNamespaces(names: readonly string[]): () => void {
  const state = { namespaces: [...names] };
  live.add(state);
  armSignals();
  return () => void live.delete(state);
}

function cleanupSync(l: { namespaces: string[]; listener?: ChildProcess }): void {
  if (l.listener?.pid !== undefined && l.listener.exitCode === null) {
    try {
      l.listener.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const ns of l.namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  live.delete(l);
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const LISTENER = `
const net = require('net');
const server = net.createServer((s) => { s.on('error', () => {}); s.end(s.remoteAddress.replace(/^::ffff:/, '')); });
server.listen({ host: '::', port: Number(process.argv[1]), ipv6Only: false }, () => console.log('listening'));
`;

const PROBE = `
const net = require('net');
const [host, port, src, ms] = process.argv.slice(1);
const say = (o) => { process.stdout.write(JSON.stringify(o)); process.exit(0); };
setTimeout(() => say({ dropped: true }), Number(ms));
const s = net.connect({ host, port: Number(port), localAddress: src });
let seen = '';
s.on('data', (c) => { seen += c; });
s.on('end', () => say({ seen }));
s.on('error', (e) => say({ error: e.code || e.message }));
`;

async function ipBatch(netns: string | null, lines: string[]): Promise<void> {
  await runCommand('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], { stdin: `${lines.join('\n')}\n` });
}

export async function createNetnsPair(): Promise<NetnsPair> {
  const n = counter++;
  const attacker = `ai-${process.pid}-${n}-a`;
  const defender = `ai-${process.pid}-${n}-b`;
  const state: { namespaces: string[]; listener?: ChildProcess } = { namespaces: [attacker, defender], listener: undefined };
  live.add(state);
  armSignals();
  const pair: NetnsPair = {
    attacker,
    defender,
    defenderV4: '192.0.2.1',
    defenderV6: '2001:db8::1',
    attackerV4: ['192.0.2.10', '192.0.2.20'],
    attackerV6: ['2001:db8::a:1', '2001:db8::b:1'],
    netV4: '192.0.2.8/29',
    netV6: '2001:db8::a:0/112',
    probe: (src, dropAfterMs = 2000) => probe(pair, src, dropAfterMs),
    close: async () => cleanupSync(state),
  };
  try {
    for (const ns of [attacker, defender]) await runCommand('ip', ['netns', 'add', ns]);
    await runCommand('ip', ['link', 'add', 'eth0', 'netns', attacker, 'address', ATTACKER_MAC, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', defender, 'address', DEFENDER_MAC]);
    await ipBatch(attacker, [
      'link set lo up',
      ...pair.attackerV4.map((a) => `addr add ${a}/24 dev eth0`),
      ...pair.attackerV6.map((a) => `addr add ${a}/64 dev eth0 nodad`),
      'link set eth0 up',
      `neigh replace ${pair.defenderV4} lladdr ${DEFENDER_MAC} dev eth0 nud permanent`,
      `neigh replace ${pair.defenderV6} lladdr ${DEFENDER_MAC} dev eth0 nud permanent`,
    ]);
    await ipBatch(defender, [
      'link set lo up',
      `addr add ${pair.defenderV4}/24 dev eth0`,
      `addr add ${pair.defenderV6}/64 dev eth0 nodad`,
      'link set eth0 up',
      ...[...pair.attackerV4, ...pair.attackerV6].map((a) => `neigh replace ${a} lladdr ${ATTACKER_MAC} dev eth0 nud permanent`),
    ]);
    state.listener = await startListener(defender);
  } catch (err) {
    cleanupSync(state);
    throw err;
  }
  return pair;
}

/**
 * A test's body with a fresh pair, closed however the body ends. Without root the test is
 * skipped with "needs root: " and `needs` (what the test does that takes root).
 */
export async function withNetnsPair(t: TestContext, needs: string, body: (pair: NetnsPair) => Promise<void>): Promise<void> {
  if (!isRoot()) {
    t.skip(`needs root: ${needs}`);
    return;
  }
  const pair = await createNetnsPair();
  try {
    await body(pair);
  } finally {
    await pair.close();
  }
}

function startListener(netns: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', LISTENER, String(PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The listener must not keep the test process alive; close() and the exit hook kill it.
    child.unref();
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('listening')) {
        (child.stdout as unknown as { unref?: () => void }).unref?.();
        (child.stderr as unknown as { unref?: () => void }).unref?.();
        resolve(child);
      }
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`listener in ${netns} exited with ${code}: ${err}`)));
  });
}

async function probe(pair: NetnsPair, src: string, dropAfterMs: number): Promise<'passed' | 'dropped'> {
  const dst = src.includes(':') ? pair.defenderV6 : pair.defenderV4;
  // The command's own time limit is a hang guard well past the probe's.
  const { stdout } = await runCommand(process.execPath, ['-e', PROBE, dst, String(PORT), src, String(dropAfterMs)], {
    netns: pair.attacker,
    timeoutMs: dropAfterMs + 30_000,
  });
  const r = JSON.parse(stdout) as { dropped?: true; seen?: string; error?: string };
  if (r.dropped) return 'dropped';
  if (r.error !== undefined) throw new Error(`probe from ${src} to ${dst} failed with ${r.error} (neither passed nor dropped)`);
  if (r.seen !== src) throw new Error(`probe from ${src}: the listener saw ${JSON.stringify(r.seen)}`);
  return 'passed';
}
