// A network lab for the chaos monkey: each cluster node in its own network namespace, all
// joined by veth to a bridge in a "hub" namespace (where etcd and the chaos runner live), so
// the link between two nodes can be cut and healed without touching the host's network.
//
//   hub   <prefix>-hub    br0 10.77.0.254/24, ports p-<id> (one per node)   (lab/bridge-lab.ts)
//   node  <prefix>-<id>   eth0 10.77.0.<i>/24 (i = 1-based place of the id)
//
// Every veth is created with both ends already inside lab namespaces, so no interface ever
// appears in the host namespace. A cut is an nftables set in each of the two nodes'
// namespaces (table inet chaos, set "cut"): packets from a peer in the set are dropped on
// input, packets to it on output. partition/heal only add or delete set elements, so two
// processes holding the same lab (the creator and the runner re-executed in the hub) never
// overwrite each other's cuts. Nodes get no IPv6 address on eth0 (addrgenmode none): the
// lab is IPv4 only, so the IPv4 rules cover every IP path between two nodes.

import { ConfigError } from '../src/errors.ts';
import { createBridgeLab, labUnavailable, nft, type LabDescription, type LabNode } from '../lab/bridge-lab.ts';

export { labUnavailable, type LabDescription, type LabNode };

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

// Drops are at the filter hooks of the node's own namespace; priority -150 puts them before
// any filter chain the node's own firewall may add there (a drop is final whatever order).
const CHAOS_TABLE = `table inet chaos {
  set cut { type ipv4_addr; }
  chain input { type filter hook input priority -150; policy accept; ip saddr @cut drop; }
  chain output { type filter hook output priority -150; policy accept; ip daddr @cut drop; }
}
`;

export async function createNetLab(ids: string[], options: { prefix?: string } = {}): Promise<NetLab> {
  const made = await createBridgeLab(ids, {
    prefix: options.prefix ?? `aic${process.pid % 100_000}`,
    subnet: SUBNET,
    setupNode: (n) => nft(n.ns, CHAOS_TABLE),
  });
  const lab = attachNetLab(made.description);
  lab.destroy = made.destroy;
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
