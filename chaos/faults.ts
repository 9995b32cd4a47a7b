// Injecting one planned fault into the fleet, and healing it when its time is up. Each
// returns what it did in words and how to tell that the system has recovered from it.

import { runCommand } from '../src/firewall/exec.ts';
import { eachNode, findNode } from '../devkit/tree.ts';
import { FIREWALL_TABLE, type Fleet } from './fleet.ts';
import type { PlannedFault } from './types.ts';

export interface TreeNode {
  id: string;
  path: string;
  stats?: Record<string, number>;
  type: string;
  status: string;
  restarts: number;
  incarnation: number;
  /** When its running incarnation started (ms since the epoch; workers). */
  startedAt?: number;
  children?: TreeNode[];
}

export interface Injected {
  detail: string;
  /** Whether the fault's own effect is over (the crashed actor back, the node back…). */
  back: () => Promise<boolean>;
  /** Undoes the fault (restart, SIGCONT, …); called durationMs after the injection. */
  heal?: () => Promise<void>;
}

async function tree(url: string): Promise<TreeNode> {
  const r = await fetch(`${url}/api/tree`, { signal: AbortSignal.timeout(1000) });
  return ((await r.json()) as { tree: TreeNode }).tree;
}

function workers(t: TreeNode): TreeNode[] {
  const out: TreeNode[] = [];
  eachNode(t, (n) => n.type === 'worker' && out.push(n));
  return out;
}

/**
 * Whether a crashed actor is back: it runs an incarnation other than the one crashed. A placed
 * actor may have moved away (a rebalance): then it is back elsewhere. One placed on its node
 * again (a pinned capture, after the node's lease lapsed) is a new cell whose incarnations
 * count from 1 again, so the incarnation's start time tells it apart, not its number.
 */
export function crashedIsBack(victim: TreeNode, now: TreeNode | undefined): boolean {
  if (!now) return true;
  if (now.status !== 'running') return false;
  if (victim.startedAt !== undefined && now.startedAt !== undefined) return now.startedAt !== victim.startedAt;
  return now.restarts > victim.restarts || now.incarnation > victim.incarnation;
}

export async function inject(f: PlannedFault, fleet: Fleet): Promise<Injected> {
  switch (f.kind) {
    case 'crash': {
      const [nodeId, index] = f.target.split(':');
      // The planned node may be down right now: take the next live one.
      const live = fleet.live();
      const node = live.find((n) => n.id === nodeId) ?? live[Number(index) % live.length];
      if (!node) return { detail: 'no live node to crash an actor on', back: async () => true };
      // A placed actor can move away between reading the tree and the crash (a rebalance):
      // the node then answers 404 and nothing crashed, so the tree is read again and a
      // running actor chosen again, a few times.
      let victim: TreeNode;
      let r: Response;
      let tries = 0;
      do {
        const actors = workers(await tree(node.url)).filter((w) => w.status === 'running');
        if (actors.length === 0) return { detail: `no running actor on ${node.id} to crash`, back: async () => true };
        victim = actors[(Number(index) + tries) % actors.length]!;
        r = await fetch(`${node.url}/api/crash`, { method: 'POST', headers: { authorization: `Bearer ${fleet.token(node.id)}`, 'content-type': 'application/json' }, body: JSON.stringify({ path: victim.path }) });
      } while (r.status === 404 && ++tries < 3);
      const detail = `crashed ${node.id}:${victim.path} (HTTP ${r.status})`;
      // Still not there: no crash landed, so there is nothing to recover.
      if (r.status === 404) return { detail: `${detail}: the actor moved away each time before the crash landed`, back: async () => true };
      // Not running as the crash landed (stopping, restarting): nothing crashed either.
      if (r.ok && ((await r.json().catch(() => ({}))) as { crashed?: boolean }).crashed === false) return { detail: `${detail}: it was not running as the crash landed`, back: async () => true };
      return { detail, back: async () => (fleet.live().includes(node) ? crashedIsBack(victim, findNode(await tree(node.url), (n) => n.path === victim.path)) : true) };
    }
    case 'kill-node': {
      const n = fleet.nodes.get(f.target)!;
      fleet.expectedDown.add(n.id);
      await n.kill('SIGKILL');
      // In the lab a node has a kernel of its own: the kill is a power cut, and the packet
      // filter comes back empty, as after a reboot (the node must rebuild it from etcd).
      const lab = fleet.o.lab;
      if (lab) {
        const [ip, ...inNamespace] = lab.exec(n.id);
        await runCommand(ip!, [...inNamespace, 'nft', '-f', '-'], { stdin: `add table inet ${FIREWALL_TABLE}\ndelete table inet ${FIREWALL_TABLE}\n` });
      }
      return {
        detail: `SIGKILL ${n.id} (pid ${n.child.pid})${lab ? ' and its firewall emptied, as by a reboot' : ''}, restarted after ${f.durationMs} ms`,
        back: async () => fleet.live().some((x) => x.id === f.target),
        heal: async () => {
          await fleet.startNode(f.target);
        },
      };
    }
    case 'etcd-member': {
      const m = fleet.etcd.members.find((x) => x.name === f.target)!;
      await m.kill();
      let restarted = false;
      return {
        detail: `SIGKILL etcd member ${m.name}, restarted after ${f.durationMs} ms`,
        back: async () => restarted,
        heal: async () => {
          await m.restart();
          restarted = true;
        },
      };
    }
    case 'slow-node': {
      const n = fleet.nodes.get(f.target)!;
      n.child.kill('SIGSTOP');
      let resumed = false;
      return {
        detail: `SIGSTOP ${n.id} for ${f.durationMs} ms, then SIGCONT`,
        back: async () => resumed,
        heal: async () => {
          n.child.kill('SIGCONT');
          resumed = true;
        },
      };
    }
    case 'partition': {
      const lab = fleet.o.lab;
      if (!lab) throw new Error('a partition needs the nodes in network namespaces (run as root with ip and nft)');
      const [a, b] = f.target.split('|') as [string, string];
      await lab.partition(a, b);
      let drained: (() => Promise<boolean>) | undefined;
      return {
        detail: `cut the network between ${a} and ${b} (nftables drop in both namespaces) for ${f.durationMs} ms`,
        back: async () => (drained ? drained() : false),
        heal: async () => {
          await lab.heal(a, b);
          drained = await drainedSince(fleet);
        },
      };
    }
    case 'load-spike': {
      const node = fleet.nodes.get(f.target)!;
      const factor = 10;
      const set = async (factor: number) => {
        const r = await fetch(`${node.url}/api/replay`, { method: 'POST', headers: { authorization: `Bearer ${fleet.token(node.id)}`, 'content-type': 'application/json' }, body: JSON.stringify({ factor }), signal: AbortSignal.timeout(2000) });
        if (!r.ok) throw new Error(`POST ${node.url}/api/replay: HTTP ${r.status} ${await r.text()}`);
        return ((await r.json()) as { pps: number }).pps;
      };
      const pps = await set(factor);
      let drained: (() => Promise<boolean>) | undefined;
      return {
        detail: `replay on ${node.id} at ${factor}× (${pps} packets/s) for ${f.durationMs} ms`,
        back: async () => (drained ? drained() : false),
        heal: async () => {
          // The node may have been killed and restarted meanwhile: then it is back at 1× already.
          if (fleet.live().includes(node)) await set(1);
          drained = await drainedSince(fleet);
        },
      };
    }
  }
}

/** The traffic node's replay counters (offered, confirmed handled, lost), or undefined if it does not answer. */
export async function replayStats(fleet: Fleet): Promise<{ pid: number | undefined; packets: number; confirmed: number; lost: number; unroutable: number; resent: number } | undefined> {
  const node = fleet.nodes.get(fleet.trafficNode);
  if (!node || !fleet.live().includes(node)) return undefined;
  try {
    const s = findNode(await tree(node.url), (n) => n.id === 'replay' && n.type === 'worker')?.stats ?? {};
    return { pid: node.child.pid, packets: s.packets ?? 0, confirmed: s.confirmed ?? 0, lost: s.lost ?? 0, unroutable: s.unroutable ?? 0, resent: s.resent ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * "Traffic has caught up": every packet offered before now has been confirmed handled (or
 * counted lost). What recovery means after a partition or a load spike, whose damage is a
 * backlog, not a dead actor. A traffic node restarted meanwhile counts afresh: caught up.
 */
async function drainedSince(fleet: Fleet): Promise<() => Promise<boolean>> {
  const at = await replayStats(fleet);
  return async () => {
    if (!at) return true;
    const now = await replayStats(fleet);
    if (!now) return false;
    return now.pid !== at.pid || now.confirmed + now.lost + now.unroutable >= at.packets;
  };
}
