// Network namespaces on a bridge, shared by the chaos monkey's lab (chaos/netns.ts) and the
// live-fire range (range/lab.ts): each member in its own namespace, all joined by veth to a
// bridge in a "hub" namespace, without touching the host's network.
//
//   hub     <prefix>-hub    br0 <subnet>.254/24, ports p-<id> (one per member)
//   member  <prefix>-<id>   eth0 <subnet>.<i>/24 (i = 1-based place of the id)
//
// Every veth is created with both ends already inside lab namespaces, so no interface ever
// appears in the host namespace, and no namespace gets a default route: nothing sent in the
// lab, forged sources included, can leave it. Members get no IPv6 address on eth0
// (addrgenmode none): the lab is IPv4 only.

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

export interface BridgeLab {
  description: LabDescription;
  /** Deletes every namespace it made (which removes the veths). Idempotent. */
  destroy(): Promise<void>;
}

const MAX_NODES = 253;
/** Linux IFNAMSIZ - 1; namespace names are kept as short for safety. */
const MAX_NAME = 15;
const NAME = /^[A-Za-z0-9_-]+$/;
const SUBNET = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Namespaces of the labs this process created and has not destroyed, by prefix: deleted at exit. */
const live = new Map<string, string[]>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // A run that throws or forgets destroy() must not leave namespaces behind. (A process
  // killed by a signal runs no exit hook; the next createBridgeLab with the prefix clears it.)
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

export function describeLab(ids: readonly string[], prefix: string, subnet: string): LabDescription {
  const m = SUBNET.exec(subnet);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new ConfigError(`lab subnet ${JSON.stringify(subnet)} is not the first three octets of an IPv4 /24 (e.g. "10.77.0")`);
  if (ids.length === 0) throw new ConfigError('a network lab needs at least one node id');
  if (ids.length > MAX_NODES) throw new ConfigError(`a network lab holds at most ${MAX_NODES} nodes (one /24), got ${ids.length}`);
  if (new Set(ids).size !== ids.length) throw new ConfigError(`node ids ${JSON.stringify(ids)} repeat one; give each node its own id`);
  checkName('lab prefix', `${prefix}-hub`);
  const nodes = ids.map((id, i) => {
    if (id === 'hub') throw new ConfigError('node id "hub" is taken by the hub namespace; choose another');
    checkName('node namespace', `${prefix}-${id}`);
    checkName('hub port', `p-${id}`);
    return { id, ns: `${prefix}-${id}`, ip: `${subnet}.${i + 1}` };
  });
  return { prefix, hub: `${prefix}-hub`, hubIp: `${subnet}.254`, nodes };
}

export async function ipBatch(netns: string, lines: string[]): Promise<void> {
  await runCommand('ip', ['-n', netns, '-batch', '-'], { stdin: `${lines.join('\n')}\n` });
}

export async function nft(netns: string, script: string): Promise<void> {
  await runCommand('nft', ['-f', '-'], { netns, stdin: script });
}

/** Namespaces named `<prefix>-…`: what a crashed run with this prefix left. */
export async function leftovers(prefix: string): Promise<string[]> {
  const { stdout } = await runCommand('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(`${prefix}-`));
}

/**
 * Builds the hub with its bridge and one namespace per id, clearing what a crashed run with
 * the same prefix left. `setupNode` runs in order for each member once its eth0 is up (the
 * chaos lab adds its cut table there). On failure everything made so far is deleted.
 */
export async function createBridgeLab(
  ids: readonly string[],
  options: { prefix: string; subnet: string; setupNode?: (node: LabNode) => Promise<void> },
): Promise<BridgeLab> {
  const d = describeLab(ids, options.prefix, options.subnet);
  // Clearing leftovers by prefix would tear down this process's own live lab.
  if (live.has(d.prefix)) throw new ConfigError(`a lab with prefix ${d.prefix} is already live in this process; destroy it first or give another prefix`);
  for (const ns of await leftovers(d.prefix)) await runCommand('ip', ['netns', 'del', ns]);
  const made: string[] = [];
  hookExit();
  live.set(d.prefix, made);
  try {
    await runCommand('ip', ['netns', 'add', d.hub]);
    made.push(d.hub);
    await ipBatch(d.hub, ['link set lo up', 'link add br0 type bridge', 'link set br0 addrgenmode none', `addr add ${d.hubIp}/24 dev br0`, 'link set br0 up']);
    for (const n of d.nodes) {
      await runCommand('ip', ['netns', 'add', n.ns]);
      made.push(n.ns);
      // Both ends are born in lab namespaces: the hub end here, the peer moved on creation.
      await ipBatch(d.hub, [`link add p-${n.id} type veth peer name eth0 netns ${n.ns}`, `link set p-${n.id} addrgenmode none`, `link set p-${n.id} master br0`, `link set p-${n.id} up`]);
      await ipBatch(n.ns, ['link set lo up', 'link set eth0 addrgenmode none', `addr add ${n.ip}/24 dev eth0`, 'link set eth0 up']);
      await options.setupNode?.(n);
    }
  } catch (err) {
    deleteNamespacesSync(made);
    live.delete(d.prefix);
    throw err;
  }
  return {
    description: d,
    // Processes still running inside a namespace keep it alive unnamed after this; the
    // caller stops them first.
    destroy: async () => {
      if (live.get(d.prefix) !== made) return;
      deleteNamespacesSync(made);
      live.delete(d.prefix);
    },
  };
}
