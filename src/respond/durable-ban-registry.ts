// The ban registry of a node without etcd, kept on disk like fail2ban's SQLite database and
// CrowdSec's decisions: a restart or an upgrade forgets no ban and no offence. Bans live in
// memory (MemoryBanRegistry: expiry on one timer, the watch) and in SQLite in the state
// directory; a put or a remove is committed to disk before it returns, so a ban is durable
// before the API acknowledges it and a SIGKILL mid-write loses nothing acknowledged. WAL
// with synchronous=NORMAL: a commit is an append to the log, which outlives the process at
// once; writes that must outlive a power cut too (every one but an automatic decision's,
// `put(ban, { sync: false })`) are committed with FULL, one fsync of the log that also
// covers every commit before it. The fsync is synchronous (better-sqlite3) and takes 1 to
// 20 ms on this machine's disk: on the packet path's event loop, twice per automatic ban,
// it held every packet and decision behind it. The offences a ban counts are written in the
// ban's own transaction, and the desk puts the bans of one turn together: one commit a turn.
//
// On open, bans that expired while the node was down are dropped and the rest are loaded
// (the firewall actor then reconciles the kernel to them), and so is the offence history that
// repeat-offender escalation reads (SqliteOffenceBook).

import { chmodSync, closeSync, openSync } from 'node:fs';
import type { Ban, BanEvent, BanRegistry, PutOptions } from './ban-registry.ts';
import { MemoryBanRegistry } from './memory-ban-registry.ts';
import { wallClock, type Clock } from '../util/clock.ts';
import { openSqlite, type SqliteDatabase, type SqliteStatement } from '../util/sqlite.ts';
import { parseBan, putWellFormed } from './ban-record.ts';
import type { OffenceBook, OffenceRecord } from './offence-book.ts';

export const BANS_FILE = 'bans.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bans (address TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, ban TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offences (address TEXT PRIMARY KEY, offences INTEGER NOT NULL, forget_at INTEGER NOT NULL) WITHOUT ROWID;
`;

export interface DurableOpenReport {
  /** Bans in force loaded from disk. */
  loaded: number;
  /** Bans that ran out while the node was down. */
  expired: number;
  /** Rows that did not read as bans (skipped, and removed). */
  corrupt: number;
  offences: number;
}

/**
 * Offence history in the same SQLite file: a cache in memory; the changes since the last
 * write go to disk in one transaction, with the registry's next put (the ban they belong
 * to, so the desk's turn is one commit however many bans it decides) or at flush(), which
 * the desk awaits before it acknowledges a ban (synchronous=NORMAL: it outlives the process
 * at once, and a power cut from the registry's next synced write on, which for an
 * operator's decision comes before it is acknowledged).
 */
export class SqliteOffenceBook implements OffenceBook {
  private readonly records = new Map<string, OffenceRecord>();
  /** Changes not yet on disk, by address, in the order made (null: deleted). */
  private readonly unwritten = new Map<string, OffenceRecord | null>();
  private readonly upsert: SqliteStatement;
  private readonly del: SqliteStatement;
  private readonly sweepStmt: SqliteStatement;
  private readonly writeAll: () => void;

  constructor(db: SqliteDatabase, now: number) {
    this.upsert = db.prepare('INSERT INTO offences (address, offences, forget_at) VALUES (?, ?, ?) ON CONFLICT(address) DO UPDATE SET offences = excluded.offences, forget_at = excluded.forget_at');
    this.del = db.prepare('DELETE FROM offences WHERE address = ?');
    this.sweepStmt = db.prepare('DELETE FROM offences WHERE forget_at <= ?');
    this.sweepStmt.run(now);
    for (const row of db.prepare('SELECT address, offences, forget_at FROM offences').raw().all() as Array<[string, number, number]>) {
      const [address, offences, forgetAt] = row;
      if (typeof address === 'string' && Number.isInteger(offences) && offences > 0 && Number.isFinite(forgetAt)) this.records.set(address, { offences, forgetAt });
    }
    this.writeAll = db.transaction(() => this.writeUnwritten());
  }

  get(address: string): OffenceRecord | undefined {
    return this.records.get(address);
  }

  set(address: string, record: OffenceRecord): void {
    this.records.set(address, record);
    this.unwritten.delete(address);
    this.unwritten.set(address, record);
  }

  delete(address: string): void {
    this.records.delete(address);
    this.unwritten.delete(address);
    this.unwritten.set(address, null);
  }

  get size(): number {
    return this.records.size;
  }

  sweep(now: number): void {
    if (this.unwritten.size > 0) this.writeAll();
    this.sweepStmt.run(now);
    for (const [a, r] of this.records) if (r.forgetAt <= now) this.records.delete(a);
  }

  /** Commits the changes not yet on disk (one transaction). */
  async flush(): Promise<void> {
    if (this.unwritten.size > 0) this.writeAll();
  }

  /** The changes not yet on disk, written inside the caller's transaction (the registry's put). */
  writeUnwritten(): void {
    for (const [address, r] of this.unwritten) {
      if (r) this.upsert.run(address, r.offences, Math.round(r.forgetAt));
      else this.del.run(address);
    }
    this.unwritten.clear();
  }
}

export class DurableBanRegistry implements BanRegistry {
  readonly offences: SqliteOffenceBook;
  readonly report: DurableOpenReport;
  private readonly memory: MemoryBanRegistry;
  private readonly upsert: SqliteStatement;
  private readonly del: SqliteStatement;
  private readonly unwatchSelf: () => void;
  private readonly writeBans: (bans: readonly Ban[]) => void;
  private closed = false;

  private constructor(
    private readonly db: SqliteDatabase,
    readonly file: string,
    clock: Clock,
  ) {
    this.memory = new MemoryBanRegistry(clock);
    this.upsert = db.prepare('INSERT INTO bans (address, expires_at, ban) VALUES (?, ?, ?) ON CONFLICT(address) DO UPDATE SET expires_at = excluded.expires_at, ban = excluded.ban');
    this.del = db.prepare('DELETE FROM bans WHERE address = ?');
    const now = clock.now();
    const expired = db.prepare('DELETE FROM bans WHERE expires_at <= ?').run(now).changes;
    let loaded = 0;
    let corrupt = 0;
    for (const [address, text] of db.prepare('SELECT address, ban FROM bans').raw().all() as Array<[string, string]>) {
      const ban = parseBan(text);
      if (!ban || ban.address !== address) {
        corrupt++;
        this.del.run(address);
        continue;
      }
      // Not yet watched by anyone: fills the memory registry (and arms its expiry timer).
      void this.memory.put(ban);
      loaded++;
    }
    this.offences = new SqliteOffenceBook(db, now);
    this.writeBans = db.transaction((bans: readonly Ban[]) => {
      this.offences.writeUnwritten();
      for (const ban of bans) this.upsert.run(ban.address, Math.round(ban.expiresAt), JSON.stringify(ban));
    });
    this.report = { loaded, expired, corrupt, offences: this.offences.size };
    // A ban that runs out leaves the disk too (a late delete is harmless: rows past their
    // expiry are never loaded).
    this.unwatchSelf = this.memory.watch((e) => {
      if (e.type === 'delete' && e.expired && !this.closed) this.del.run(e.address);
    });
  }

  /** Opens (creating) the registry file, owner-only. */
  static open(file: string, clock: Clock = wallClock): DurableBanRegistry {
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    const db = openSqlite(file);
    db.pragma('journal_mode = WAL');
    // NORMAL, and FULL around the writes that must survive a power cut (see synced()).
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    return new DurableBanRegistry(db, file, clock);
  }

  /** The ban and the offences changed since the last write, in one transaction; then into memory and the watch. */
  async put(ban: Ban, options: PutOptions = {}): Promise<void> {
    await this.putChecked([ban], options);
  }

  /**
   * Every ban (and the offences changed since the last write) in ONE SQLite transaction (one
   * fsync unless sync is false), then into memory and the watch. A malformed ban is not
   * written (it would be dropped as corrupt at the next open): see putWellFormed.
   */
  putMany(bans: readonly Ban[], options: PutOptions = {}): Promise<void> {
    return this.putChecked(bans, options);
  }

  private putChecked(bans: readonly Ban[], options: PutOptions): Promise<void> {
    return putWellFormed(bans, async (good) => {
      this.write(good, options);
      await this.memory.putMany(good);
    });
  }

  private write(bans: readonly Ban[], options: PutOptions): void {
    if (options.sync === false) this.writeBans(bans);
    else this.synced(() => this.writeBans(bans));
  }

  async remove(address: string): Promise<boolean> {
    this.synced(() => this.del.run(address));
    return this.memory.remove(address);
  }

  async removeMany(addresses: readonly string[]): Promise<number> {
    this.synced(
      this.db.transaction(() => {
        for (const a of addresses) this.del.run(a);
      }),
    );
    return this.memory.removeMany(addresses);
  }

  /** Runs `write` committed with an fsync of the log (which holds every earlier commit too). */
  private synced(write: () => unknown): void {
    this.db.pragma('synchronous = FULL');
    try {
      write();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  list(): Promise<Ban[]> {
    return this.memory.list();
  }

  watch(listener: (event: BanEvent) => void): () => void {
    return this.memory.watch(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatchSelf();
    await this.memory.close();
    await this.offences.flush();
    this.db.close();
  }
}
