// The bouncers allowed to read this node's decisions (CrowdSec's `cscli bouncers add`): a name
// and an API key each, the key kept only as its SHA-256 in `<stateDir>/bouncers.json` (mode
// 0600), so the file alone lets no one pose as a bouncer. The key is shown once, when made.
// A bouncer's last pull, address and user agent are remembered for `autoimmune bouncers list`.

import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AutoimmuneError } from '../errors.ts';
import { readJsonFile, writeFileAtomic } from '../util/atomic-file.ts';

export const BOUNCERS_FILE = 'bouncers.json';
export const BOUNCER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/;

export class BouncerError extends AutoimmuneError {}

export interface BouncerRecord {
  name: string;
  /** SHA-256 of the API key, hex. */
  keyHash: string;
  createdAt: number;
  lastPull: number | null;
  ip: string | null;
  /** The bouncer's User-Agent (its name and version). */
  version: string | null;
}

/** Written at most this often for pulls alone (a bouncer pulls every few seconds). */
const PULL_WRITE_MS = 60_000;

const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

export class BouncerKeys {
  readonly file: string;
  private readonly byName = new Map<string, BouncerRecord>();
  private readonly byHash = new Map<string, BouncerRecord>();
  private writtenAt = 0;
  private dirty = false;

  constructor(stateDir: string) {
    this.file = join(stateDir, BOUNCERS_FILE);
    const list = readJsonFile(this.file, [], (why) => {
      throw new BouncerError('AI_ERR_BOUNCERS_FILE', `cannot read ${this.file}: ${why}; fix or remove it (its bouncers must then be added again)`);
    });
    for (const r of Array.isArray(list) ? (list as BouncerRecord[]) : []) {
      if (typeof r?.name === 'string' && typeof r.keyHash === 'string' && /^[0-9a-f]{64}$/.test(r.keyHash)) {
        const rec = { name: r.name, keyHash: r.keyHash, createdAt: r.createdAt ?? 0, lastPull: r.lastPull ?? null, ip: r.ip ?? null, version: r.version ?? null };
        this.byName.set(rec.name, rec);
        this.byHash.set(rec.keyHash, rec);
      }
    }
  }

  /** Registers a bouncer; returns its API key (shown once, never stored). */
  add(name: string, now = Date.now()): string {
    if (!BOUNCER_NAME.test(name)) throw new BouncerError('AI_ERR_BAD_BOUNCER_NAME', `bouncer name ${JSON.stringify(name)}: a letter or digit, then up to 62 letters, digits, "_", ".", "@" or "-"`);
    if (this.byName.has(name)) throw new BouncerError('AI_ERR_BOUNCER_EXISTS', `a bouncer named ${JSON.stringify(name)} exists already: delete it first (autoimmune bouncers delete ${name}) or choose another name`);
    const key = randomBytes(24).toString('base64url');
    const rec: BouncerRecord = { name, keyHash: hashOf(key), createdAt: now, lastPull: null, ip: null, version: null };
    this.byName.set(name, rec);
    this.byHash.set(rec.keyHash, rec);
    this.write(now);
    return key;
  }

  delete(name: string, now = Date.now()): boolean {
    const rec = this.byName.get(name);
    if (!rec) return false;
    this.byName.delete(name);
    this.byHash.delete(rec.keyHash);
    this.write(now);
    return true;
  }

  list(): BouncerRecord[] {
    return [...this.byName.values()].map((r) => ({ ...r }));
  }

  /** The bouncer whose key this is, or null; a pull is recorded. */
  authenticate(key: string | undefined, seen: { ip: string; version: string | undefined }, now = Date.now()): BouncerRecord | null {
    if (!key) return null;
    const rec = this.byHash.get(hashOf(key));
    if (!rec) return null;
    rec.lastPull = now;
    rec.ip = seen.ip;
    rec.version = seen.version ?? null;
    this.dirty = true;
    if (now - this.writtenAt >= PULL_WRITE_MS) this.write(now);
    return rec;
  }

  /** Writes what changed since the last write (pull times). */
  flush(now = Date.now()): void {
    if (this.dirty) this.write(now);
  }

  private write(now: number): void {
    writeFileAtomic(this.file, `${JSON.stringify([...this.byName.values()], null, 1)}\n`);
    this.writtenAt = now;
    this.dirty = false;
  }
}
