// A network lab for the chaos monkey: each cluster node in its own network namespace, all
// joined by veth to a bridge in a "hub" namespace (where etcd and the chaos runner live), so
// the link between two nodes can be cut and healed without touching the host's network.
//
//   hub   <prefix>-hub    br0 10.77.0.254/24, ports p-<id> (one per node)
//   node  <prefix>-<id>   eth0 10.77.0.<i>/24 (i = 1-based place of the id)
//
// Every veth is created with both ends already inside lab namespaces, so no interface ever
// appears in the host namespace. A cut is an nftables set in each of the two nodes'
// namespaces (table inet chaos, set "cut"): packets from a peer in the set are dropped on
// input, packets to it on output. partition/heal only add or delete set elements, so two
// processes holding the same lab (the creator and the runner re-executed in the hub) never
// overwrite each other's cuts. Nodes get no IPv6 address on eth0 (addrgenmode none): the
// lab is IPv4 only, so the IPv4 rules cover every IP path between two nodes.

import { spawnSync } from 'node:child_process';
import { runCommand } from '../src/firewall/exec.ts';
import { ConfigError } from '../src/errors.ts';

export interface LabNode {
  id: string;
  ns: string;
  ip: string;
}

export interface LabDescription {
  prefix: string;
  hub: string;
  hubIp: string;
  nodes: LabNode[];
}

export interface NetLab extends LabDescription {
  /** argv prefix that runs a program inside a node's namespace: ['ip','netns','exec',ns] */
  exec(id: string): string[];
  /** Drops every IP packet between nodes a and b, both ways (silently: no reject), leaving their traffic with everyone else (other nodes, the hub) alone. Idempotent. */
  partition(a: string, b: string): Promise<void>;
  /** Undoes partition(a, b) (only that pair). Idempotent. */
  heal(a: string, b: string): Promise<void>;
  /** Pairs cut right now through this object, as "a|b" with a<b. */
  cuts(): string[];
  /** Deletes every namespace it made (which removes the veths). Idempotent. */
  destroy(): Promise<void>;
}

const SUBNET = '10.77.0';
const HUB_IP = `${SUBNET}.254`;
const MAX_NODES = 253;
/** Linux IFNAMSIZ - 1; namespace names are kept as short for safety. */
const MAX_NAME = 15;
const NAME = /^[A-Za-z0-9_-]+$/;

/** Namespaces of the labs this process created and has not destroyed, by prefix: deleted at exit. */
const live = new Map<string, string[]>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // A run that throws or forgets destroy() must not leave namespaces behind. (A process
  // killed by a signal runs no exit hook; the next createNetLab with the prefix clears it.)
  process.once('exit', () => {
    for (const namespaces of live.values()) deleteNamespacesSync(namespaces);
  });
}

function deleteNamespacesSync(namespaces: readonly string[]): void {
  for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

/** null when this process can build a lab (root, `ip` and `nft` present), else why not in one sentence naming what is missing. */
export function labUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root (uid 0)';
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['nft', 'nftables'],
  ] as const) {
    const r = spawnSync(tool, ['-V'], { stdio: 'ignore' });
    if (r.error || r.status !== 0) return `the ${tool} command is missing (install ${pkg})`;
  }
  return null;
}

function checkName(what: string, name: string): void {
  if (!NAME.test(name)) throw new ConfigError(`${what} ${JSON.stringify(name)} is not acceptable: use letters, digits, "_" and "-"`);
  if (name.length > MAX_NAME) throw new ConfigError(`${what} ${JSON.stringify(name)} is longer than ${MAX_NAME} characters (a Linux interface/namespace name limit); use shorter node ids or prefix`);
}

function describeLab(ids: readonly string[], prefix: string): LabDescription {
  if (ids.length === 0) throw new ConfigError('a network lab needs at least one node id');
  if (ids.length > MAX_NODES) throw new ConfigError(`a network lab holds at most ${MAX_NODES} nodes (one /24), got ${ids.length}`);
  if (new Set(ids).size !== ids.length) throw new ConfigError(`node ids ${JSON.stringify(ids)} repeat one; give each node its own id`);
  checkName('lab prefix', `${prefix}-hub`);
  const nodes = ids.map((id, i) => {
    if (id === 'hub') throw new ConfigError('node id "hub" is taken by the hub namespace; choose another');
    checkName('node namespace', `${prefix}-${id}`);
    checkName('hub port', `p-${id}`);
    return { id, ns: `${prefix}-${id}`, ip: `${SUBNET}.${i + 1}` };
  });
  return { prefix, hub: `${prefix}-hub`, hubIp: HUB_IP, nodes };
}

async function ipBatch(netns: string, lines: string[]): Promise<void> {
  await runCommand('ip', ['-n', netns, '-batch', '-'], { stdin: `${lines.join('\n')}\n` });
}

async function nft(netns: string, script: string): Promise<void> {
  await runCommand('nft', ['-f', '-'], { netns, stdin: script });
}

/** Namespaces named `<prefix>-…`: what a crashed run with this prefix left. */
async function leftovers(prefix: string): Promise<string[]> {
  const { stdout } = await runCommand('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${prefix}-`));
}

// Drops are at the filter hooks of the node's own namespace; priority -150 puts them before
// any filter chain the node's own firewall may add there (a drop is final whatever order).
const CHAOS_TABLE = `table inet chaos {
  set cut { type ipv4_addr; }
  chain input { type filter hook input priority -150; policy accept; ip saddr @cut drop; }
  chain output { type filter hook output priority -150; policy accept; ip daddr @cut drop; }
}
`;

export async function createNetLab(ids: string[], options: { prefix?: string } = {}): Promise<NetLab> {
  const d = describeLab(ids, options.prefix ?? `aic${process.pid % 100_000}`);
  // Clearing leftovers by prefix would tear down this process's own live lab.
  if (live.has(d.prefix)) throw new ConfigError(`a lab with prefix ${d.prefix} is already live in this process; destroy it first or give another prefix`);
  for (const ns of await leftovers(d.prefix)) await runCommand('ip', ['netns', 'del', ns]);
  const made: string[] = [];
  hookExit();
  live.set(d.prefix, made);
  try {
    await runCommand('ip', ['netns', 'add', d.hub]);
    made.push(d.hub);
    await ipBatch(d.hub, [
      'link set lo up',
      'link add br0 type bridge',
      'link set br0 addrgenmode none',
      `addr add ${d.hubIp}/24 dev br0`,
      'link set br0 up',
    ]);
    for (const n of d.nodes) {
      await runCommand('ip', ['netns', 'add', n.ns]);
      made.push(n.ns);
      // Both ends are born in lab namespaces: the hub end here, the peer moved on creation.
      await ipBatch(d.hub, [
        `link add p-${n.id} type veth peer name eth0 netns ${n.ns}`,
        `link set p-${n.id} addrgenmode none`,
        `link set p-${n.id} master br0`,
        `link set p-${n.id} up`,
      ]);
      await ipBatch(n.ns, ['link set lo up', 'link set eth0 addrgenmode none', `addr add ${n.ip}/24 dev eth0`, 'link set eth0 up']);
      await nft(n.ns, CHAOS_TABLE);
    }
  } catch (err) {
    deleteNamespacesSync(made);
    live.delete(d.prefix);
    throw err;
  }
  const lab = attachNetLab(d);
  // Processes still running inside a namespace (etcd, a node) keep it alive unnamed after
  // this; the caller stops them first.
  lab.destroy = async () => {
    if (live.get(d.prefix) !== made) return;
    deleteNamespacesSync(made);
    live.delete(d.prefix);
  };
  return lab;
}

/** A lab made by another process (the parent that re-executes the runner in the hub): the same partition/heal/exec, from its description (JSON-serialisable); destroy() is left to the creator and is a no-op here. */
export function attachNetLab(d: LabDescription): NetLab {
  const byId = new Map(d.nodes.map((n) => [n.id, n]));
  const cut = new Set<string>();
  const node = (id: string): LabNode => {
    const n = byId.get(id);
    if (!n) throw new ConfigError(`node ${JSON.stringify(id)} is not in lab ${d.prefix}; its nodes are ${d.nodes.map((x) => x.id).join(', ')}`);
    return n;
  };
  const pair = (a: string, b: string): [LabNode, LabNode, string] => {
    const na = node(a);
    const nb = node(b);
    if (a === b) throw new ConfigError(`cannot cut node ${JSON.stringify(a)} from itself; give two different nodes`);
    return [na, nb, a < b ? `${a}|${b}` : `${b}|${a}`];
  };
  // `add element` is a no-op for one present; add-then-delete in one transaction makes the
  // delete one too. Each command list is applied atomically by nft.
  const setPeer = async (on: LabNode, peer: LabNode, present: boolean): Promise<void> => {
    const add = `add element inet chaos cut { ${peer.ip} }\n`;
    await nft(on.ns, present ? add : `${add}delete element inet chaos cut { ${peer.ip} }\n`);
  };
  return {
    prefix: d.prefix,
    hub: d.hub,
    hubIp: d.hubIp,
    nodes: d.nodes.map((n) => ({ ...n })),
    exec: (id) => ['ip', 'netns', 'exec', node(id).ns],
    partition: async (a, b) => {
      const [na, nb, key] = pair(a, b);
      await Promise.all([setPeer(na, nb, true), setPeer(nb, na, true)]);
      cut.add(key);
    },
    heal: async (a, b) => {
      const [na, nb, key] = pair(a, b);
      await Promise.all([setPeer(na, nb, false), setPeer(nb, na, false)]);
      cut.delete(key);
    },
    cuts: () => [...cut].sort(),
    destroy: async () => {},
  };
}
