// The allow-list operators change at run time (`autoimmune allow add|remove|list`, the API's
// /api/allow), beside responder.allow of the configuration. Its entries are kept by an
// AllowStore (allow-store.ts): the state dir on a single node, etcd in a cluster, so an entry
// added on one node is every node's. Each change is durable before it is acknowledged. The
// entries join the protected set (group "operator-allow"), as the store has them: the guard
// refuses any ban that covers them, whoever asks. Allowing an address that is banned lifts the
// ban (in a cluster, on every node: the registry is shared) and says so.

import type { AllowEntry, AllowList } from './allow-list.ts';
import { allowWidthProblem, type AllowedEntry, type AllowStore } from './allow-store.ts';
import type { Ban } from './ban-registry.ts';
import { DEFAULT_MIN_PREFIX, type MinPrefix } from './ban-guard.ts';
import { overlaps, parseCidr } from './cidr.ts';
import { AllowChangeError } from './errors.ts';

export type { AllowedEntry } from './allow-store.ts';
export { AllowChangeError } from './errors.ts';

const GROUP = 'operator-allow';

/** A ban lifted because the address it covers was allowed. */
export interface LiftedBan {
  address: string;
  reason: string;
  detector: string;
  origin: string | null;
  remainingS: number;
}

/** What the allow-list needs of the ban desk: the bans in force, and lifting one with a reason. */
export interface BanLifter {
  bans(): Promise<Ban[]>;
  unblock(address: string, reason?: string): Promise<{ existed: boolean }>;
}

export class OperatorAllowList {
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: AllowStore,
    private readonly protectedSet: AllowList,
    /** responder.allow, canonical: shown by list, never removed here. */
    private readonly configured: readonly string[],
    private readonly desk: BanLifter,
    /** responder.minPrefix: an allow wider than the widest ban would switch the defence off for that much of the internet. */
    private readonly minPrefix: MinPrefix = DEFAULT_MIN_PREFIX,
  ) {
    this.publish();
    this.unsubscribe = store.onChange(() => {
      this.publish();
      for (const l of this.listeners) l();
    });
  }

  /** Where the run-time entries are kept (a file, or etcd's prefix). */
  get where(): string {
    return this.store.where;
  }

  /** Called after the stored list changed (in a cluster: through any node); the protected set has the change by then. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The configured entries (responder.allow), those added at run time (oldest first), and stored values refused. */
  list(): { configured: string[]; runtime: AllowedEntry[]; refused: string[]; where: string } {
    return { configured: [...this.configured], runtime: this.store.entries(), refused: this.store.refused(), where: this.store.where };
  }

  /**
   * Allows `address` (an address or CIDR): durable before it returns; then every ban in force
   * that covers it is lifted. Throws BadAddressError on bad text.
   */
  async add(address: string, note: string | null, now = Date.now()): Promise<{ entry: AllowedEntry; existed: boolean; lifted: LiftedBan[] }> {
    const cidr = parseCidr(address);
    const wide = allowWidthProblem(cidr, this.minPrefix);
    if (wide) throw new AllowChangeError('AI_ERR_ALLOW_TOO_WIDE', `refusing to allow ${cidr.text}: ${wide}; allow narrower nets`, 400);
    const net = cidr.text;
    const existed = this.store.get(net);
    const entry: AllowedEntry = { net, note: note ?? existed?.note ?? null, at: existed?.at ?? now };
    await this.store.put(entry);
    this.publish();
    const lifted: LiftedBan[] = [];
    for (const b of await this.desk.bans()) {
      if (!overlaps(b.address, net)) continue;
      const r = await this.desk.unblock(b.address, `lifted: ${b.address === net ? b.address : `${b.address} covers ${net}, which`} is allowed now${entry.note ? ` (${entry.note})` : ''}`);
      if (r.existed) lifted.push({ address: b.address, reason: b.reason, detector: b.detector, origin: b.origin ?? null, remainingS: Math.max(0, Math.round((b.expiresAt - now) / 1000)) });
    }
    return { entry, existed: existed !== undefined, lifted };
  }

  /** Takes an entry added at run time out of the allow-list (durable before it returns). */
  async remove(address: string): Promise<AllowedEntry> {
    const net = parseCidr(address).text;
    const entry = this.store.get(net);
    // The store's word, not this node's view: another node may have added it a moment ago,
    // and a refused value under the net's key is taken out too.
    if (!(await this.store.delete(net))) {
      if (this.configured.includes(net)) throw new AllowChangeError('AI_ERR_ALLOW_CONFIGURED', `${net} is allowed by responder.allow in the configuration, not at run time: take it out there and restart the node`, 409);
      throw new AllowChangeError('AI_ERR_NOT_ALLOWED', `${net} is not on the run-time allow-list (autoimmune allow list shows it)`, 404);
    }
    this.publish();
    return entry ?? { net, note: null, at: 0 };
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
    this.store.close();
  }

  private publish(): void {
    const group: AllowEntry[] = this.store.entries().map((e) => ({ net: e.net, why: `allowed by an operator${e.note ? `: ${e.note}` : ''}` }));
    this.protectedSet.setGroup(GROUP, group);
  }
}
