// The node's bans as CrowdSec decisions, for bouncers (CrowdSec's LAPI, 1.4/1.5): the stream
// a bouncer pulls every few seconds (`GET /v1/decisions/stream`: everything at startup, then
// what changed since its last pull) and the look-up of one address (`GET /v1/decisions?ip=`).
//
// Every ban gets a decision id when it is put; replacing a ban (an extension, a re-ban) is the
// old decision deleted and a new one made, in that order, which is how the firewall bouncer
// then applies them (deleted first, new after), so the kernel takes the new timeout. A journal
// of changes, bounded, lets each bouncer be told what changed since its own last pull; a
// bouncer this node has not seen since it started, or one further behind than the journal
// goes, is sent everything again (adding what it holds already is harmless to a bouncer).
// The guard has the last word here as in the firewall: a protected or too wide ban in the
// registry is never handed to a bouncer.

import type { Ban, BanRegistry } from '../respond/ban-registry.ts';
import { contains, parseCidr, type Cidr } from '../respond/cidr.ts';
import { BadAddressError } from '../respond/errors.ts';
import { formatGoDuration } from '../util/go-duration.ts';

/** A decision as CrowdSec's LAPI serves it (models.Decision). */
export interface LapiDecision {
  id: number;
  origin: string;
  type: 'ban';
  scope: 'Ip' | 'Range';
  value: string;
  /** Time left, as Go prints a Duration ("3h59m58s"; negative once over). */
  duration: string;
  scenario: string;
  simulated: boolean;
}

export interface StreamAnswer {
  new: LapiDecision[];
  deleted: LapiDecision[];
}

/** The filters a bouncer may send (comma-separated lists). */
export interface StreamFilters {
  scopes?: string;
  origins?: string;
  scenarios_containing?: string;
  scenarios_not_containing?: string;
}

export interface DecisionGuard {
  checkText(address: string): unknown;
}

interface Held {
  id: number;
  ban: Ban;
}

interface Change {
  seq: number;
  kind: 'new' | 'deleted';
  id: number;
  ban: Ban;
}

/** Changes kept for bouncers that are behind; past it the oldest half goes. */
const JOURNAL_MAX = 500_000;

/** CrowdSec's origins: `lists` for blocklists, `cscli` for an operator, `crowdsec` for the local detection. */
export function lapiOrigin(ban: Ban): string {
  if (ban.detector.startsWith('feed:') || ban.origin?.startsWith('feed:')) return 'lists';
  return ban.detector === 'operator' ? 'cscli' : 'crowdsec';
}

export function toDecision(id: number, ban: Ban, now: number): LapiDecision {
  const host = !ban.address.includes('/');
  return {
    id,
    origin: lapiOrigin(ban),
    type: 'ban',
    scope: host ? 'Ip' : 'Range',
    value: ban.address,
    duration: formatGoDuration(Math.round((ban.expiresAt - now) / 1000)),
    scenario: `autoimmune/${ban.detector}`,
    simulated: false,
  };
}

const list = (s: string | undefined) =>
  s === undefined || s.trim() === ''
    ? null
    : s
        .split(',')
        .map((x) => x.trim().toLowerCase())
        .filter(Boolean);

/** Whether a decision passes a bouncer's filters. */
export function matches(d: LapiDecision, f: StreamFilters): boolean {
  const scopes = list(f.scopes) ?? ['ip', 'range'];
  if (!scopes.includes(d.scope.toLowerCase())) return false;
  const origins = list(f.origins);
  if (origins && !origins.includes(d.origin.toLowerCase())) return false;
  const scenario = d.scenario.toLowerCase();
  const yes = list(f.scenarios_containing);
  if (yes && !yes.some((s) => scenario.includes(s))) return false;
  const no = list(f.scenarios_not_containing);
  if (no && no.some((s) => scenario.includes(s))) return false;
  return true;
}

export class DecisionStream {
  private readonly held = new Map<string, Held>();
  private journal: Change[] = [];
  private seq = 0;
  private nextId = 1;
  /** Per bouncer: the last change it was sent, and the newest decision id then. */
  private readonly cursors = new Map<string, { seq: number; maxId: number }>();
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly registry: BanRegistry,
    private readonly guard: DecisionGuard,
  ) {}

  /** Follows the registry (watch first, then list, so no change falls between). */
  async start(): Promise<void> {
    this.unwatch = this.registry.watch((e) => {
      if (e.type === 'put') this.put(e.ban);
      else this.drop(e.address);
    });
    for (const b of await this.registry.list()) if (!this.held.has(b.address)) this.put(b, false);
  }

  close(): void {
    this.unwatch?.();
  }

  /** What `bouncer` must apply: everything in force (startup, or a bouncer this node cannot follow), else the changes since its last pull. */
  pull(bouncer: string, startup: boolean, filters: StreamFilters, now = Date.now()): StreamAnswer {
    const cursor = this.cursors.get(bouncer);
    const oldest = this.journal.length > 0 ? this.journal[0]!.seq : this.seq + 1;
    this.cursors.set(bouncer, { seq: this.seq, maxId: this.nextId - 1 });
    const keep = (d: LapiDecision) => matches(d, filters);
    if (startup || cursor === undefined || cursor.seq < oldest - 1) {
      return { new: this.current(now).filter(keep), deleted: [] };
    }
    const out: StreamAnswer = { new: [], deleted: [] };
    // Changes after the cursor: binary search (seq increases along the journal).
    let lo = 0;
    let hi = this.journal.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.journal[mid]!.seq <= cursor.seq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.journal.length; i++) {
      const c = this.journal[i]!;
      if (c.kind === 'deleted') {
        // A decision made after the bouncer's last pull was never sent to it.
        if (c.id <= cursor.maxId) {
          const d = toDecision(c.id, c.ban, now);
          if (keep(d)) out.deleted.push(d);
        }
      } else if (this.held.get(c.ban.address)?.id === c.id && this.allowed(c.ban)) {
        const d = toDecision(c.id, c.ban, now);
        if (keep(d)) out.new.push(d);
      }
    }
    return out;
  }

  /** Decisions in force that cover `ip`, are within `range`, or are exactly `value` (GET /v1/decisions). */
  query(q: { ip?: string; range?: string; value?: string; scope?: string; type?: string }, now = Date.now()): LapiDecision[] {
    if (q.type !== undefined && q.type.toLowerCase() !== 'ban') return [];
    let test: (b: Ban) => boolean = () => true;
    try {
      if (q.ip !== undefined) {
        const ip = parseCidr(q.ip);
        test = (b) => covers(b.address, ip);
      } else if (q.range !== undefined) {
        const r = parseCidr(q.range);
        test = (b) => covers(b.address, r) || contains(r, b.address);
      } else if (q.value !== undefined) {
        const v = parseCidr(q.value).text;
        test = (b) => b.address === v;
      }
    } catch (err) {
      if (err instanceof BadAddressError) return [];
      throw err;
    }
    const scope = q.scope?.toLowerCase();
    return this.current(now).filter((d) => test(this.held.get(d.value)!.ban) && (scope === undefined || d.scope.toLowerCase() === scope));
  }

  get size(): number {
    return this.held.size;
  }

  private current(now: number): LapiDecision[] {
    const out: LapiDecision[] = [];
    for (const { id, ban } of this.held.values()) if (ban.expiresAt > now && this.allowed(ban)) out.push(toDecision(id, ban, now));
    return out;
  }

  private allowed(ban: Ban): boolean {
    return this.guard.checkText(ban.address) === null;
  }

  private record(kind: 'new' | 'deleted', id: number, ban: Ban): void {
    this.journal.push({ seq: ++this.seq, kind, id, ban });
    if (this.journal.length > JOURNAL_MAX) {
      this.journal = this.journal.slice(this.journal.length >> 1);
    }
  }

  private put(ban: Ban, journal = true): void {
    const had = this.held.get(ban.address);
    if (had && journal) this.record('deleted', had.id, had.ban);
    const id = this.nextId++;
    this.held.set(ban.address, { id, ban });
    if (journal) this.record('new', id, ban);
  }

  private drop(address: string): void {
    const had = this.held.get(address);
    if (!had) return;
    this.held.delete(address);
    this.record('deleted', had.id, had.ban);
  }
}

/** Whether the ban `address` (host or net) covers `net`. */
function covers(address: string, net: Cidr): boolean {
  return contains(address, net);
}
