// Keeps the node's protected set current: the network's infrastructure found on this host
// (gateways, resolvers, NTP servers), the etcd endpoints, and the cluster's members as they
// join and leave, besides what the allow-list holds from the start (loopback, this node's
// addresses, responder.allow). When it changes and a ban in force now covers a protected
// address, the firewall is asked to reconcile, so the guard takes that ban out of the kernel.

import type { BanRegistry } from '../respond/ban-registry.ts';
import type { AllowEntry, AllowList } from '../respond/allow-list.ts';
import type { BanGuard } from '../respond/ban-guard.ts';
import { discoverInfrastructure, resolveName } from '../respond/infrastructure.ts';

export interface ProtectionOptions {
  protectedSet: AllowList;
  guard: BanGuard;
  registry: BanRegistry;
  /** etcd endpoint URLs (cluster.etcd). */
  etcd: readonly string[];
  /** The cluster's members now (etcd mode), with their transport and HTTP addresses. */
  members?: () => ReadonlyArray<{ id: string; address: string; http: string }>;
  /** Asks the firewall actor to reconcile. */
  reconcileFirewall: () => void;
  /** How often to look again at the host's infrastructure, ms (default 60 s). */
  refreshMs?: number;
  /** How often to look at the members, ms (default 2 s). */
  membersMs?: number;
  /** Instead of reading this host's files (tests). */
  discover?: () => Promise<AllowEntry[]>;
}

/** The host part of a URL ("tcp://10.0.0.2:5555", "https://[2001:db8::1]:2379"), or null. */
export function hostOf(url: string): string | null {
  const m = /^[a-z]+:\/\/(\[[^\]]+\]|[^:/]+)/i.exec(url);
  return m ? m[1].replace(/^\[|\]$/g, '') : null;
}

async function entriesFor(urls: readonly string[], why: (url: string) => string): Promise<AllowEntry[]> {
  const out: AllowEntry[] = [];
  for (const url of urls) {
    const host = hostOf(url);
    if (!host || host === '0.0.0.0' || host === '::' || host === '*') continue;
    for (const a of await resolveName(host)) out.push({ net: a, why: why(url) });
  }
  return out;
}

export interface Protection {
  /** Resolves once the first discovery is in the set. */
  ready: Promise<void>;
  stop(): void;
}

export function keepProtectedSetCurrent(o: ProtectionOptions): Protection {
  let stopped = false;
  let membersKey = '';
  const changed = async (): Promise<void> => {
    // Only when a ban in force is now refused: the firewall's reconcile takes it out.
    for (const b of await o.registry.list()) {
      if (o.guard.checkText(b.address)) {
        o.reconcileFirewall();
        return;
      }
    }
  };
  const infrastructure = async (): Promise<void> => {
    o.protectedSet.setGroup('infrastructure', await (o.discover ?? discoverInfrastructure)());
  };
  const members = async (): Promise<void> => {
    const list = o.members?.() ?? [];
    const key = list.map((m) => `${m.id}|${m.address}|${m.http}`).sort().join(',');
    if (key === membersKey) return;
    membersKey = key;
    const entries: AllowEntry[] = [];
    for (const m of list) entries.push(...(await entriesFor([m.address, m.http], () => `cluster member ${m.id}`)));
    o.protectedSet.setGroup('cluster-members', entries);
    await changed();
  };
  const ready = (async () => {
    o.protectedSet.setGroup('etcd', await entriesFor(o.etcd, (url) => `etcd endpoint ${url}`));
    await infrastructure();
    await members();
    await changed();
  })();
  const every = (ms: number, fn: () => Promise<void>) => {
    const t = setInterval(() => {
      if (!stopped) fn().catch(() => {});
    }, ms);
    t.unref();
    return t;
  };
  const timers = [every(o.refreshMs ?? 60_000, async () => (await infrastructure(), await changed())), ...(o.members ? [every(o.membersMs ?? 2000, members)] : [])];
  return {
    ready,
    stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
    },
  };
}
