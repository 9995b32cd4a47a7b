// Picks the firewall backend for the configured kind. "auto": nftables when running as root
// and nft can talk to the kernel, else iptables + ipset when they can, else dry-run. The
// probes only list (nft list tables, ipset list -n, iptables -S): they change nothing.

import type { FirewallBackend } from './backend.ts';
import type { DryRunOptions } from './dry-run.ts';
import { DryRunBackend } from './dry-run.ts';
import { NftablesBackend } from './nftables.ts';
import { IptablesIpsetBackend } from './iptables-ipset.ts';
import { CAP_NET_ADMIN, hasCapability } from '../util/capabilities.ts';
import { XdpBackend, type XdpMode } from './xdp.ts';
import { runCommand } from './exec.ts';
import { describeError } from '../errors.ts';

export type FirewallBackendKind = 'auto' | 'nftables' | 'iptables-ipset' | 'xdp' | 'dry-run';

export interface ChooseBackendOptions {
  /** nftables table name, and the ipset/iptables name prefix; default 'autoimmune'. */
  table?: string;
  netns?: string;
  commandTimeoutMs?: number;
  /** For the dry-run backend. */
  clock?: DryRunOptions['clock'];
  /** Whether the process is root; default from process.getuid(). */
  isRoot?: boolean;
  /** For the xdp backend: the interfaces to attach to (empty: every one up but loopback) and the mode. */
  xdp?: { interfaces?: readonly string[]; mode?: XdpMode };
}

export interface ChosenBackend {
  backend: FirewallBackend;
  /** One line: what was chosen and why. */
  why: string;
}

export async function chooseFirewallBackend(kind: FirewallBackendKind, options: ChooseBackendOptions = {}): Promise<ChosenBackend> {
  const nft = () => new NftablesBackend({ table: options.table, netns: options.netns, commandTimeoutMs: options.commandTimeoutMs });
  const ipt = () => new IptablesIpsetBackend({ name: options.table, netns: options.netns, commandTimeoutMs: options.commandTimeoutMs });
  const dry = () => new DryRunBackend({ clock: options.clock });
  switch (kind) {
    case 'nftables':
      return { backend: nft(), why: 'nftables: configured' };
    case 'iptables-ipset':
      return { backend: ipt(), why: 'iptables-ipset: configured' };
    case 'xdp':
      // Explicit only: it attaches a program to the interfaces, which auto should not decide.
      return { backend: new XdpBackend({ table: options.table, netns: options.netns, commandTimeoutMs: options.commandTimeoutMs, ...options.xdp }), why: 'xdp: configured (xdp-filter in the driver for addresses, nftables for nets)' };
    case 'dry-run':
      return { backend: dry(), why: 'dry-run: configured' };
    case 'auto':
      break;
    default:
      throw new TypeError(`unknown firewall backend kind ${JSON.stringify(kind)}: expected auto, nftables, iptables-ipset, xdp or dry-run`);
  }
  // Root, or a service user given CAP_NET_ADMIN (`autoimmune install-service`'s unit).
  const root = options.isRoot ?? (process.getuid?.() === 0 || hasCapability(CAP_NET_ADMIN));
  if (!root) return { backend: dry(), why: 'dry-run: not root and no CAP_NET_ADMIN, so the packet filter cannot be changed' };
  const probe = async (file: string, args: string[]): Promise<string | null> => {
    try {
      await runCommand(file, args, { netns: options.netns, timeoutMs: options.commandTimeoutMs ?? 10_000 });
      return null;
    } catch (err) {
      return `${file}: ${describeError(err)}`;
    }
  };
  const nftProblem = await probe('nft', ['list', 'tables']);
  if (nftProblem === null) return { backend: nft(), why: 'nftables: root and nft works' };
  const iptProblems = (
    await Promise.all([
      probe('ipset', ['list', '-n']),
      probe('iptables', ['-w', '-t', 'raw', '-S', 'PREROUTING']),
      probe('ip6tables', ['-w', '-t', 'raw', '-S', 'PREROUTING']),
      probe('iptables-restore', ['--version']),
      probe('ip6tables-restore', ['--version']),
    ])
  ).filter((p): p is string => p !== null);
  if (iptProblems.length === 0) return { backend: ipt(), why: `iptables-ipset: nft does not work (${nftProblem})` };
  return { backend: dry(), why: `dry-run: neither nft (${nftProblem}) nor iptables+ipset (${iptProblems.join('; ')}) works` };
}
