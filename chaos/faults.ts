// Injecting one planned fault into the fleet, and healing it when its time is up. Each
// returns what it did in words and how to tell that the system has recovered from it.

import type { Fleet } from './fleet.ts';
import type { PlannedFault } from './types.ts';

interface TreeNode {
  path: string;
  type: string;
  status: string;
  restarts: number;
  incarnation: number;
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

function workers(t: TreeNode, out: TreeNode[] = []): TreeNode[] {
  if (t.type === 'worker') out.push(t);
  for (const c of t.children ?? []) workers(c, out);
  return out;
}

function find(t: TreeNode, path: string): TreeNode | undefined {
  if (t.path === path) return t;
  for (const c of t.children ?? []) {
    const f = find(c, path);
    if (f) return f;
  }
  return undefined;
}

export async function inject(f: PlannedFault, fleet: Fleet): Promise<Injected> {
  switch (f.kind) {
    case 'crash': {
      const [nodeId, index] = f.target.split(':');
      // The planned node may be down right now: take the next live one.
      const live = fleet.live();
      const node = live.find((n) => n.id === nodeId) ?? live[Number(index) % live.length];
      if (!node) return { detail: 'no live node to crash an actor on', back: async () => true };
      const actors = workers(await tree(node.url)).filter((w) => w.status === 'running');
      const victim = actors[Number(index) % actors.length]!;
      const r = await fetch(`${node.url}/api/crash`, { method: 'POST', headers: { authorization: `Bearer ${fleet.token(node.id)}`, 'content-type': 'application/json' }, body: JSON.stringify({ path: victim.path }) });
      const detail = `crashed ${node.id}:${victim.path} (HTTP ${r.status})`;
      return {
        detail,
        back: async () => {
          if (!fleet.live().includes(node)) return true; // the node went away meanwhile: nothing left to recover here
          const now = find(await tree(node.url), victim.path);
          // A placed actor may have moved away (a rebalance): then it is back elsewhere.
          return !now || (now.status === 'running' && (now.restarts > victim.restarts || now.incarnation > victim.incarnation));
        },
      };
    }
    case 'kill-node': {
      const n = fleet.nodes.get(f.target)!;
      fleet.expectedDown.add(n.id);
      await n.kill('SIGKILL');
      return {
        detail: `SIGKILL ${n.id} (pid ${n.child.pid}), restarted after ${f.durationMs} ms`,
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
    case 'partition':
    case 'load-spike':
      throw new Error(`fault kind ${f.kind} is not built yet`);
  }
}
