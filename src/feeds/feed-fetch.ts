// A remote feed fetched over HTTP(S) with a time limit and a size limit, and kept in the state
// directory (`<stateDir>/feeds/<name>.list` with its validators in `<name>.json`), so a node
// restarts with its lists without the network and asks the server only for a newer copy
// (If-None-Match / If-Modified-Since: a 304 costs the server nothing).

import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { join } from 'node:path';
import { AutoimmuneError } from '../errors.ts';

export class FeedFetchError extends AutoimmuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AI_ERR_FEED_FETCH', message, options);
  }
}

export interface CachedFeed {
  text: string;
  /** When it was fetched (ms since the epoch). */
  fetchedAt: number;
  etag: string | null;
  lastModified: string | null;
}

export class FeedCache {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'feeds');
  }

  private paths(name: string) {
    return { list: join(this.dir, `${name}.list`), meta: join(this.dir, `${name}.json`) };
  }

  read(name: string): CachedFeed | null {
    const p = this.paths(name);
    try {
      const text = readFileSync(p.list, 'utf8');
      let meta: Partial<CachedFeed> = {};
      try {
        meta = JSON.parse(readFileSync(p.meta, 'utf8')) as Partial<CachedFeed>;
      } catch {
        // validators lost: the next fetch is a full one
      }
      return { text, fetchedAt: typeof meta.fetchedAt === 'number' ? meta.fetchedAt : statSync(p.list).mtimeMs, etag: meta.etag ?? null, lastModified: meta.lastModified ?? null };
    } catch {
      return null;
    }
  }

  /** Written whole or not at all (a temporary file renamed over the old one). */
  write(name: string, feed: CachedFeed): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const p = this.paths(name);
    writeFileAtomic(p.list, feed.text);
    writeFileSync(p.meta, JSON.stringify({ fetchedAt: feed.fetchedAt, etag: feed.etag, lastModified: feed.lastModified }), { mode: 0o600 });
  }

  touch(name: string, fetchedAt: number): void {
    const c = this.read(name);
    if (c) writeFileSync(this.paths(name).meta, JSON.stringify({ fetchedAt, etag: c.etag, lastModified: c.lastModified }), { mode: 0o600 });
  }
}

/**
 * Fetches `url`; null when the server says the cached copy is current (304). Throws
 * FeedFetchError naming the URL and what went wrong (time limit, status, size).
 */
export async function fetchFeed(url: string, o: { timeoutS: number; maxBytes: number; cached: CachedFeed | null; signal?: AbortSignal; now?: number }): Promise<CachedFeed | null> {
  const headers: Record<string, string> = { 'user-agent': 'autoimmune-feeds' };
  if (o.cached?.etag) headers['if-none-match'] = o.cached.etag;
  if (o.cached?.lastModified) headers['if-modified-since'] = o.cached.lastModified;
  const timeout = AbortSignal.timeout(o.timeoutS * 1000);
  const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal, redirect: 'follow' });
  } catch (err) {
    const why = timeout.aborted ? `no answer within ${o.timeoutS} s (timeoutS)` : String((err as Error).cause ?? (err as Error).message);
    throw new FeedFetchError(`cannot fetch ${url}: ${why}`, { cause: err });
  }
  if (res.status === 304 && o.cached) return null;
  if (!res.ok) {
    await res.body?.cancel();
    throw new FeedFetchError(`cannot fetch ${url}: the server answered ${res.status} ${res.statusText}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > o.maxBytes) throw new FeedFetchError(`cannot fetch ${url}: larger than ${o.maxBytes} bytes, far past any real list`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof FeedFetchError) throw err;
    throw new FeedFetchError(`cannot fetch ${url}: ${timeout.aborted ? `not complete within ${o.timeoutS} s (timeoutS)` : (err as Error).message}`, { cause: err });
  }
  return { text: Buffer.concat(chunks).toString('utf8'), fetchedAt: o.now ?? Date.now(), etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
}
