// The allow-list operators change at run time (`autoimmune allow add|remove|list`, the API's
// /api/allow), beside responder.allow of the configuration. Kept in `<stateDir>/allow.json`
// (mode 0600), written whole to a temporary file, fsynced and renamed before the change is
// acknowledged, so it is there after a restart or a crash, like the bans. Its entries join the
// protected set (group "operator-allow"): the guard refuses any ban that covers them, whoever
// asks. Allowing an address that is banned lifts the ban (and says so).

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AutoimmuneError } from '../errors.ts';
import type { AllowEntry, AllowList } from './allow-list.ts';
import type { Ban } from './ban-registry.ts';
import { DEFAULT_MIN_PREFIX, type MinPrefix } from './ban-guard.ts';
import { overlaps, parseCidr } from './cidr.ts';

export const ALLOW_FILE = 'allow.json';
const GROUP = 'operator-allow';

export interface AllowedEntry {
  /** Canonical address or CIDR. */
  net: string;
  /** The operator's note ("office NAT"), or null. */
  note: string | null;
  /** Wall-clock ms it was added. */
  at: number;
}

/** A ban lifted because the address it covers was allowed. */
export interface LiftedBan {
  address: string;
  reason: string;
  detector: string;
  origin: string | null;
  remainingS: number;
}

export class AllowChangeError extends AutoimmuneError {
  constructor(code: string, message: string, statusCode: number) {
    super(code, message, { statusCode });
  }
}

/** What the allow-list needs of the ban desk: the bans in force, and lifting one with a reason. */
export interface BanLifter {
  bans(): Promise<Ban[]>;
  unblock(address: string, reason?: string): Promise<{ existed: boolean }>;
}

export class OperatorAllowList {
  readonly file: string;
  private readonly entries = new Map<string, AllowedEntry>();

  constructor(
    stateDir: string,
    private readonly protectedSet: AllowList,
    /** responder.allow, canonical: shown by list, never removed here. */
    private readonly configured: readonly string[],
    private readonly desk: BanLifter,
    /** responder.minPrefix: an allow wider than the widest ban would switch the defence off for that much of the internet. */
    private readonly minPrefix: MinPrefix = DEFAULT_MIN_PREFIX,
  ) {
    this.file = join(stateDir, ALLOW_FILE);
    let list: unknown = [];
    try {
      list = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new AllowChangeError('AI_ERR_ALLOW_FILE', `cannot read ${this.file}: ${(err as Error).message}; fix it, or remove it (its addresses must then be allowed again)`, 500);
    }
    if (!Array.isArray(list)) throw new AllowChangeError('AI_ERR_ALLOW_FILE', `${this.file} does not hold a list of {net, note, at}; fix it, or remove it`, 500);
    for (const e of list as AllowedEntry[]) {
      // An entry that does not parse is skipped: the file is ours, but a hand edit may be wrong.
      try {
        const net = parseCidr(e.net).text;
        this.entries.set(net, { net, note: typeof e.note === 'string' ? e.note : null, at: typeof e.at === 'number' ? e.at : 0 });
      } catch {
        // not an address
      }
    }
    this.publish();
  }

  /** The configured entries (responder.allow) and those added at run time, oldest first. */
  list(): { configured: string[]; runtime: AllowedEntry[] } {
    return { configured: [...this.configured], runtime: [...this.entries.values()] };
  }

  /**
   * Allows `address` (an address or CIDR): durable before it returns; then every ban in force
   * that covers it is lifted. Throws BadAddressError on bad text.
   */
  async add(address: string, note: string | null, now = Date.now()): Promise<{ entry: AllowedEntry; existed: boolean; lifted: LiftedBan[] }> {
    const cidr = parseCidr(address);
    const min = cidr.family === 4 ? this.minPrefix.v4 : this.minPrefix.v6;
    if (cidr.prefix < min) throw new AllowChangeError('AI_ERR_ALLOW_TOO_WIDE', `refusing to allow ${cidr.text}: it is wider than /${min} (responder.minPrefix.v${cidr.family}), and nothing in it could be banned any more; allow narrower nets`, 400);
    const net = cidr.text;
    const existed = this.entries.get(net);
    const entry: AllowedEntry = { net, note: note ?? existed?.note ?? null, at: existed?.at ?? now };
    this.entries.set(net, entry);
    this.save();
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
  remove(address: string): AllowedEntry {
    const net = parseCidr(address).text;
    const entry = this.entries.get(net);
    if (!entry) {
      if (this.configured.includes(net)) throw new AllowChangeError('AI_ERR_ALLOW_CONFIGURED', `${net} is allowed by responder.allow in the configuration, not at run time: take it out there and restart the node`, 409);
      throw new AllowChangeError('AI_ERR_NOT_ALLOWED', `${net} is not on the run-time allow-list (autoimmune allow list shows it)`, 404);
    }
    this.entries.delete(net);
    this.save();
    this.publish();
    return entry;
  }

  private publish(): void {
    const group: AllowEntry[] = [...this.entries.values()].map((e) => ({ net: e.net, why: `allowed by an operator${e.note ? `: ${e.note}` : ''}` }));
    this.protectedSet.setGroup(GROUP, group);
  }

  /** The whole list to a temporary file, fsynced, renamed over the old one, the folder fsynced. */
  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify([...this.entries.values()], null, 1)}\n`, { mode: 0o600 });
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dir = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
