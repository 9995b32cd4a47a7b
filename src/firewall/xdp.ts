// The XDP backend: banned single addresses are dropped in the driver, before the kernel
// allocates anything for the packet, by Debian's xdp-tools `xdp-filter` (loaded on each
// interface, its maps written in batches with `bpftool batch`). Nets, and single addresses
// past the maps' fixed size (10,000 per family, compiled into xdp-filter), are kept in the
// backend's own nftables table (nftables.ts), since xdp-filter matches exact addresses only.
//
// xdp-filter's maps have no timeouts: this backend remembers each element's expiry
// (`expires` is false), lists what is left of it, and the firewall actor removes an element
// when its ban runs out (actors/firewall.ts). Elements found in the maps with no known
// expiry (written by an earlier process) list with an infinite timeout until a reconcile
// sets or removes them. Stopping the node leaves them in the maps; the next start's
// reconcile lifts those whose bans ended meanwhile.
//
// Its pins live in a bpf filesystem of its own, mounted at /run/autoimmune/bpf/<netns>-<table>
// when not already there, so one node's filter stays apart from another's. xdp-filter takes
// no directory: it pins into /sys/fs/bpf if that is a bpf filesystem, else into the first one
// it finds in /proc/mounts (anyone's), and serialises on /run/xdp-filter.lck. So each
// xdp-filter command runs in a mount namespace of its own (unshare) where our filesystem is
// bound at /sys/fs/bpf and /run is a private tmpfs; nothing of that is seen outside it.

import { mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FirewallBackend, FirewallEntry, ReconcileResult } from './backend.ts';
import { checkBatch, reconcileByApply } from './entries.ts';
import { runCommand } from './exec.ts';
import { FirewallCommandError, FirewallStateError, FirewallToolMissingError } from './errors.ts';
import { NftablesBackend } from './nftables.ts';
import { batchScript, parseMapDump } from './xdp-maps.ts';
import type { Cidr } from '../respond/cidr.ts';
import { ConfigError } from '../errors.ts';
import type { Clock } from '../util/clock.ts';
import { wallClock } from '../util/clock.ts';

export type XdpMode = 'auto' | 'native' | 'skb';

export interface XdpOptions {
  /** Names the bpf filesystem and the nftables table for nets; default 'autoimmune'. */
  table?: string;
  /** Network namespace to work in (`ip netns exec`); default: the process's own. */
  netns?: string;
  /** Interfaces to attach to; empty or absent: every interface that is up, loopback aside. */
  interfaces?: readonly string[];
  /** 'native' (in the driver), 'skb' (generic, any interface), 'auto': native, else skb. */
  mode?: XdpMode;
  /** Time limit per command; default 60 s. */
  commandTimeoutMs?: number;
  /** Where its bpf filesystems are mounted; default /run/autoimmune/bpf. */
  bpffsRoot?: string;
  /** Wall-clock ms, as ban expiries are. */
  clock?: Pick<Clock, 'now'>;
}

const IFACE = /^[A-Za-z0-9_.:@-]{1,15}$/;

export class XdpBackend implements FirewallBackend {
  readonly name = 'xdp';
  /** The maps' elements do not time out: the firewall actor removes them at expiry. */
  readonly expires = false;
  readonly table: string;
  readonly netns: string | undefined;
  /** Where the bpf filesystem is mounted (xdp-filter's LIBXDP_BPFFS). */
  readonly bpffs: string;
  /** The interfaces it attached to at the last setup, with the mode that worked. */
  readonly attached = new Map<string, 'native' | 'skb'>();
  private readonly nft: NftablesBackend;
  private readonly maps: { 4: string; 6: string };
  private readonly mode: XdpMode;
  private readonly interfaces: readonly string[];
  private readonly timeoutMs: number | undefined;
  private readonly clock: Pick<Clock, 'now'>;
  /** What the maps hold: address → expiry (clock ms; Infinity when unknown). Null: read them first. */
  private held: Map<string, number> | null = null;
  /** Single addresses kept in nftables because their map was full. */
  private readonly overflow = new Set<string>();
  private readonly capacity = { 4: 10_000, 6: 10_000 };

  constructor(options: XdpOptions = {}) {
    this.table = options.table ?? 'autoimmune';
    this.nft = new NftablesBackend({ table: this.table, netns: options.netns, commandTimeoutMs: options.commandTimeoutMs });
    this.netns = options.netns;
    this.mode = options.mode ?? 'auto';
    if (!['auto', 'native', 'skb'].includes(this.mode)) throw new ConfigError(`firewall.xdp.mode ${JSON.stringify(this.mode)} is not one of auto, native, skb`);
    this.interfaces = options.interfaces ?? [];
    for (const i of this.interfaces) if (!IFACE.test(i)) throw new ConfigError(`firewall.xdp.interfaces: ${JSON.stringify(i)} is not an interface name`);
    this.timeoutMs = options.commandTimeoutMs;
    this.clock = options.clock ?? wallClock;
    const where = this.netns ?? `netns${statSync('/proc/self/ns/net').ino}`;
    this.bpffs = join(options.bpffsRoot ?? '/run/autoimmune/bpf', `${where}-${this.table}`);
    this.maps = { 4: join(this.bpffs, 'xdp-filter', 'filter_ipv4'), 6: join(this.bpffs, 'xdp-filter', 'filter_ipv6') };
  }

  async setup(): Promise<void> {
    await this.mountBpffs();
    const loaded = await this.loadedOn();
    for (const iface of await this.targets()) {
      if (loaded.has(iface)) {
        this.attached.set(iface, loaded.get(iface)!);
        continue;
      }
      this.attached.set(iface, await this.attach(iface));
    }
    for (const f of [4, 6] as const) {
      const info = JSON.parse((await this.run('bpftool', ['-j', 'map', 'show', 'pinned', this.maps[f]])).stdout) as { max_entries?: unknown };
      if (typeof info.max_entries === 'number') this.capacity[f] = info.max_entries;
    }
    await this.nft.setup();
    await this.readMaps();
  }

  async apply(add: readonly FirewallEntry[], remove: readonly string[]): Promise<void> {
    const batch = checkBatch(add, remove);
    if (batch.add.length === 0 && batch.remove.length === 0) return;
    const held = this.held ?? (await this.readMaps());
    const now = this.clock.now();
    const xdpAdd: Cidr[] = [];
    const xdpDel: Cidr[] = [];
    const nftAdd: FirewallEntry[] = [];
    const nftDel: string[] = [];
    const count = { 4: 0, 6: 0 };
    for (const a of held.keys()) count[a.includes(':') ? 6 : 4]++;
    for (const c of batch.remove) {
      if (!isHost(c)) nftDel.push(c.text);
      else {
        if (held.has(c.text)) {
          xdpDel.push(c);
          count[c.family]--;
        }
        if (this.overflow.has(c.text)) nftDel.push(c.text);
      }
    }
    const expiry = new Map<string, number>();
    for (const e of batch.add) {
      const c = e.cidr;
      expiry.set(c.text, now + e.timeoutS * 1000);
      if (!isHost(c) || this.overflow.has(c.text)) nftAdd.push({ address: c.text, timeoutS: e.timeoutS });
      else if (held.has(c.text)) continue; // a refresh: only the expiry changes (the hit counter stays)
      else if (count[c.family] < this.capacity[c.family]) {
        xdpAdd.push(c);
        count[c.family]++;
      } else nftAdd.push({ address: c.text, timeoutS: e.timeoutS });
    }
    const script = batchScript(this.maps, xdpAdd, xdpDel);
    if (script !== '') {
      try {
        await this.run('bpftool', ['batch', 'file', '-'], script);
      } catch (err) {
        this.held = null; // part of the batch may have happened: read the maps again next time
        throw err;
      }
    }
    for (const c of xdpDel) held.delete(c.text);
    for (const c of xdpAdd) held.set(c.text, expiry.get(c.text)!);
    for (const [a, at] of expiry) if (held.has(a)) held.set(a, at);
    if (nftAdd.length + nftDel.length > 0) {
      await this.nft.apply(nftAdd, nftDel);
      for (const a of nftDel) this.overflow.delete(a);
      for (const e of nftAdd) if (!e.address.includes('/')) this.overflow.add(e.address);
    }
  }

  async list(): Promise<FirewallEntry[]> {
    const held = await this.readMaps();
    const now = this.clock.now();
    const out: FirewallEntry[] = [];
    for (const [address, at] of held) out.push({ address, timeoutS: at === Number.POSITIVE_INFINITY ? at : Math.max(0, Math.floor((at - now) / 1000)) });
    const fromNft = await this.nft.list();
    this.overflow.clear();
    for (const e of fromNft) if (!e.address.includes('/')) this.overflow.add(e.address);
    return [...out, ...fromNft];
  }

  reconcile(desired: readonly FirewallEntry[]): Promise<ReconcileResult> {
    return reconcileByApply(this, desired);
  }

  async flush(): Promise<void> {
    this.held = null;
    this.overflow.clear();
    this.attached.clear();
    if (this.isMounted()) {
      // Detaches xdp-filter from every interface it is on and removes its maps.
      await this.xdpFilter(['unload', '--all']);
      await runCommand('umount', [this.bpffs], { timeoutMs: this.timeoutMs });
      try {
        rmdirSync(this.bpffs);
      } catch {
        // someone else's file in it, or already gone: the mount is what mattered
      }
    }
    await this.nft.flush();
    this.held = new Map();
  }

  /** Packets each banned address had dropped in the driver, by address (summed over CPUs). */
  async hits(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const f of [4, 6] as const) for (const e of parseMapDump((await this.run('bpftool', ['-j', 'map', 'dump', 'pinned', this.maps[f]])).stdout, f)) out.set(e.address, e.hits);
    return out;
  }

  /** Reads both maps into `held`, keeping the expiries it knows. */
  private async readMaps(): Promise<Map<string, number>> {
    if (!this.isMounted() || !this.pinned()) {
      this.held = new Map();
      return this.held;
    }
    const before = this.held ?? new Map<string, number>();
    const held = new Map<string, number>();
    for (const f of [4, 6] as const) {
      const dump = (await this.run('bpftool', ['-j', 'map', 'dump', 'pinned', this.maps[f]])).stdout;
      for (const e of parseMapDump(dump, f)) {
        if ((e.flags & 1) === 0) throw new FirewallStateError(`xdp-filter's IPv${f} map holds ${e.address} without the src flag: it was written by something else (xdp-filter ip --mode dst?); remove it, or give this node its own firewall.table`);
        held.set(e.address, before.get(e.address) ?? Number.POSITIVE_INFINITY);
      }
    }
    this.held = held;
    return held;
  }

  private pinned(): boolean {
    try {
      statSync(this.maps[4]);
      statSync(this.maps[6]);
      return true;
    } catch {
      return false;
    }
  }

  /** Whether a bpf filesystem is mounted at `bpffs` (in this process's mount namespace). */
  private isMounted(): boolean {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      const dash = f.indexOf('-');
      if (dash > 0 && f[4] === this.bpffs && f[dash + 1] === 'bpf') return true;
    }
    return false;
  }

  private async mountBpffs(): Promise<void> {
    if (this.isMounted()) return;
    mkdirSync(this.bpffs, { recursive: true, mode: 0o700 });
    await runCommand('mount', ['-t', 'bpf', '-o', 'mode=0700', 'bpf', this.bpffs], { timeoutMs: this.timeoutMs });
  }

  private async targets(): Promise<string[]> {
    if (this.interfaces.length > 0) return [...this.interfaces];
    const links = JSON.parse((await this.run('ip', ['-j', 'link', 'show', 'up'])).stdout) as Array<{ ifname?: string; flags?: string[] }>;
    const names = links.filter((l) => l.ifname && !(l.flags ?? []).includes('LOOPBACK')).map((l) => l.ifname!);
    if (names.length === 0) throw new FirewallStateError(`no interface is up${this.netns ? ` in network namespace ${this.netns}` : ''} for XDP to attach to: bring one up, or name them in firewall.xdp.interfaces`);
    return names;
  }

  /** Interfaces xdp-filter is loaded on (from its status), with their mode. */
  private async loadedOn(): Promise<Map<string, 'native' | 'skb'>> {
    const out = new Map<string, 'native' | 'skb'>();
    let text: string;
    try {
      text = (await this.xdpFilter(['status'])).stdout;
    } catch (err) {
      // Nothing loaded yet: it cannot find its statistics map.
      if (err instanceof FirewallCommandError && /Couldn't find stats map|not loaded/i.test(err.stderr)) return out;
      throw err;
    }
    for (const m of text.matchAll(/^\s+(\S+) \((native|skb) mode\)/gm)) out.set(m[1]!, m[2] as 'native' | 'skb');
    return out;
  }

  private async attach(iface: string): Promise<'native' | 'skb'> {
    const load = (mode: 'native' | 'skb') => this.xdpFilter(['load', '--mode', mode, '--features', 'ipv4,ipv6', iface]);
    if (this.mode === 'skb') {
      await load('skb');
      return 'skb';
    }
    try {
      await load('native');
      return 'native';
    } catch (err) {
      if (this.mode === 'native') throw err;
      await load('skb');
      return 'skb';
    }
  }

  private run(file: string, args: string[], stdin?: string) {
    return runCommand(file, args, { stdin, netns: this.netns, timeoutMs: this.timeoutMs });
  }

  /** xdp-filter with our bpf filesystem at /sys/fs/bpf and a /run of its own (see the top). */
  private async xdpFilter(args: string[]) {
    const script = 'mount --bind "$0" /sys/fs/bpf && mount -t tmpfs -o size=64k,mode=0700 xdp-filter-run /run && exec xdp-filter "$@"';
    try {
      return await runCommand('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, this.bpffs, ...args], {
        netns: this.netns,
        timeoutMs: this.timeoutMs,
        env: { LIBXDP_BPFFS: '/sys/fs/bpf' },
      });
    } catch (err) {
      if (err instanceof FirewallCommandError && err.exitCode === 127 && /xdp-filter: not found/.test(err.stderr)) throw new FirewallToolMissingError('xdp-filter', 'xdp-tools', { cause: err });
      throw err;
    }
  }
}

function isHost(c: Cidr): boolean {
  return c.prefix === (c.family === 4 ? 32 : 128);
}
