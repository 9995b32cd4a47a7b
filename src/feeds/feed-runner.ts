// The node's threat-intel feeds: the configured ones, each applied from its copy on disk at
// start, then fetched (or read) and applied again on its cadence; and one-off imports
// (`autoimmune feeds import FILE`, POST /api/feeds/import). One feed change at a time, so two
// differences are never computed against the same registry state. A fetch that fails keeps
// the entries in force (they outlive a few refreshes: feed-config.ts) and is reported.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { BanRegistry } from '../respond/ban-registry.ts';
import { describeError } from '../errors.ts';
import { parseFeed, type FeedFormat } from './feed-formats.ts';
import { FeedCache, fetchFeed } from './feed-fetch.ts';
import { MAX_FEED_BYTES, type FeedSpec } from './feed-config.ts';
import { applyFeed, feedOrigin, type FeedGuard, type FeedReport } from './feed-import.ts';

export interface FeedStatus {
  name: string;
  /** URL or file of a configured feed; the imported file's name for a one-off import. */
  source: string;
  configured: boolean;
  format: string;
  refreshS: number | null;
  ttlS: number;
  /** Bans of this feed in force now. */
  bans: number;
  last: FeedReport | null;
  lastRefreshAt: number | null;
  lastError: string | null;
  nextRefreshAt: number | null;
}

export interface FeedRunnerOptions {
  feeds: readonly FeedSpec[];
  registry: BanRegistry;
  guard: FeedGuard;
  stateDir: string;
  notice: (line: string) => void;
  now?: () => number;
  /**
   * In a cluster, whether this node leads: only the leader fetches and applies the configured
   * feeds (the registry is the cluster's), so N nodes do not fetch the same list N times. A
   * node that becomes leader applies them at its next refresh; entries outlive a few.
   */
  leads?: () => boolean;
}

export interface ImportRequest {
  name: string;
  text: string;
  format: FeedFormat | 'auto';
  ttlS: number;
  /** The file it came from, for naming bad lines. */
  source: string;
}

const plural = (n: number, one: string) => `${n.toLocaleString('en')} ${n === 1 ? one : one.endsWith('y') ? `${one.slice(0, -1)}ies` : `${one}s`}`;

/** One line for the node's log. */
export function describeReport(r: FeedReport): string {
  const parts = [`${plural(r.entries, 'entry')} (${r.format})`, `+${r.added} −${r.removed}`, `${r.extended} extended`, `${r.unchanged} unchanged`];
  if (r.heldByOthers) parts.push(`${r.heldByOthers} banned already by others`);
  const named = (what: string, l: { count: number; first: string[] }) => (l.count > 0 ? `; ${plural(l.count, what)}${l.first[0] ? `, first: ${l.first[0]}` : ''}` : '');
  return `feed ${r.feed}: ${parts.join(', ')} in ${r.ms} ms${named('bad line', r.bad)}${named('refused entry', r.refused)}${named('skipped entry', r.skipped)}`;
}

export class FeedRunner {
  private readonly status = new Map<string, FeedStatus>();
  private readonly specs = new Map<string, FeedSpec>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly cache: FeedCache;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly abort = new AbortController();
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: FeedRunnerOptions) {
    this.cache = new FeedCache(o.stateDir);
    this.now = o.now ?? Date.now;
    for (const f of o.feeds) {
      this.specs.set(f.name, f);
      this.status.set(f.name, { name: f.name, source: f.url ?? f.file!, configured: true, format: f.format, refreshS: f.refreshS, ttlS: f.ttlS, bans: 0, last: null, lastRefreshAt: null, lastError: null, nextRefreshAt: null });
    }
  }

  /** Applies each remote feed's copy on disk, then starts the refresh cadence (a stale copy is refreshed at once). */
  async start(): Promise<void> {
    for (const f of this.specs.values()) {
      let dueIn = 0;
      if (f.url && this.leads()) {
        const cached = this.cache.read(f.name);
        if (cached) {
          await this.run(f.name, () => this.apply(f, cached.text, `${f.url} (copy of ${new Date(cached.fetchedAt).toISOString()})`));
          dueIn = Math.max(0, cached.fetchedAt + f.refreshS * 1000 - this.now());
        }
      }
      this.schedule(f.name, dueIn);
    }
  }

  /** Refreshes a configured feed now (GET it, or read its file); resolves with what was applied. */
  refresh(name: string): Promise<FeedReport | null> {
    const f = this.specs.get(name);
    if (!f) return Promise.reject(new Error(`no configured feed ${JSON.stringify(name)} (configured: ${[...this.specs.keys()].join(', ') || 'none'})`));
    return this.run(name, () => this.refreshNow(f));
  }

  /** A one-off import (the CLI's `feeds import`): the difference with the feed's earlier import. */
  importText(req: ImportRequest): Promise<FeedReport> {
    const t0 = performance.now();
    return this.run(req.name, async () => {
      const parsed = parseFeed(req.text, req.format, req.source);
      await new Promise<void>((r) => setImmediate(r));
      const report = await applyFeed({ name: req.name, source: basename(req.source), parsed, ttlS: req.ttlS, registry: this.o.registry, guard: this.o.guard, now: this.now, startedAt: t0 });
      const s = this.status.get(req.name);
      this.status.set(req.name, { ...(s ?? { name: req.name, configured: false, refreshS: null, nextRefreshAt: null }), source: req.source, format: parsed.format, ttlS: req.ttlS, bans: 0, last: report, lastRefreshAt: this.now(), lastError: null });
      this.o.notice(`autoimmune: ${describeReport(report)}`);
      return report;
    });
  }

  /** Every feed's state, with how many of its bans are in force. */
  async list(): Promise<FeedStatus[]> {
    const counts = new Map<string, number>();
    for (const b of await this.o.registry.list()) if (b.detector.startsWith('feed:')) counts.set(b.detector, (counts.get(b.detector) ?? 0) + 1);
    return [...this.status.values()].map((s) => ({ ...s, bans: counts.get(feedOrigin(s.name)) ?? 0 }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.queue.catch(() => {});
  }

  /** Runs one feed change after the ones before it. */
  private run<T>(name: string, job: () => Promise<T>): Promise<T> {
    const p = this.queue.then(job);
    this.queue = p.catch((err) => {
      const s = this.status.get(name);
      if (s) s.lastError = describeError(err);
    });
    return p;
  }

  private schedule(name: string, inMs: number): void {
    if (this.stopped) return;
    const s = this.status.get(name)!;
    s.nextRefreshAt = this.now() + inMs;
    clearTimeout(this.timers.get(name));
    const t = setTimeout(() => {
      this.run(name, () => this.refreshNow(this.specs.get(name)!)).catch(() => {
        // reported in the status and the log by refreshNow
      });
    }, inMs);
    t.unref();
    this.timers.set(name, t);
  }

  private leads(): boolean {
    return this.o.leads?.() ?? true;
  }

  private async refreshNow(f: FeedSpec): Promise<FeedReport | null> {
    if (this.stopped) return null;
    if (!this.leads()) {
      this.schedule(f.name, f.refreshS * 1000);
      return null;
    }
    const s = this.status.get(f.name)!;
    try {
      let text: string;
      let source: string;
      if (f.url) {
        const cached = this.cache.read(f.name);
        const got = await fetchFeed(f.url, { timeoutS: f.timeoutS, maxBytes: MAX_FEED_BYTES, cached, signal: this.abort.signal, now: this.now() });
        if (got) this.cache.write(f.name, got);
        else this.cache.touch(f.name, this.now());
        text = got ? got.text : cached!.text;
        source = f.url;
      } else {
        text = readFileSync(f.file!, 'utf8');
        source = f.file!;
      }
      const report = await this.apply(f, text, source);
      s.lastError = null;
      return report;
    } catch (err) {
      s.lastError = describeError(err);
      this.o.notice(`autoimmune: feed ${f.name}: ${(err as Error).message}; its bans stay in force, next try in ${f.refreshS} s`);
      throw err;
    } finally {
      this.schedule(f.name, f.refreshS * 1000);
    }
  }

  private async apply(f: FeedSpec, text: string, source: string): Promise<FeedReport> {
    const t0 = performance.now();
    const parsed = parseFeed(text, f.format, f.file ?? f.url ?? '');
    await new Promise<void>((r) => setImmediate(r));
    const report = await applyFeed({ name: f.name, source: f.file ? basename(f.file) : source, parsed, ttlS: f.ttlS, registry: this.o.registry, guard: this.o.guard, now: this.now, startedAt: t0 });
    const s = this.status.get(f.name)!;
    s.last = report;
    s.format = parsed.format;
    s.lastRefreshAt = this.now();
    this.o.notice(`autoimmune: ${describeReport(report)}`);
    return report;
  }
}
