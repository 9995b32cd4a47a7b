// The `feeds` section: each feed with its defaults filled in, checked as a whole (a name once,
// a url or a file but not both). The defaults and their reasons:
// - refreshS 3600: FireHOL's and abuse.ch's lists change a few times an hour to a day, and
//   Spamhaus asks that DROP be fetched no more than once an hour;
// - ttlS 3 × refreshS: an entry outlives two failed refreshes in a row (the list's server
//   down), and one the list stops naming, in a feed removed from the configuration, lapses
//   on its own; entries still listed are extended once past half their time;
// - timeoutS 30: a list server that has not answered in 30 s is down, and the next refresh
//   tries again;
// - format "auto": detected from the content (feed-formats.ts).

import { ConfigError } from '../errors.ts';
import { FEED_FORMATS, type FeedFormat } from './feed-formats.ts';
import { FEED_NAME } from './feed-import.ts';

export interface FeedSetting {
  name: string;
  url?: string;
  file?: string;
  format?: FeedFormat | 'auto';
  refreshS?: number;
  ttlS?: number;
  timeoutS?: number;
}

export interface FeedSpec {
  name: string;
  url: string | null;
  file: string | null;
  format: FeedFormat | 'auto';
  refreshS: number;
  ttlS: number;
  timeoutS: number;
}

export const DEFAULT_REFRESH_S = 3600;
export const DEFAULT_TIMEOUT_S = 30;
/** The largest list a feed may be (a full FireHOL level 4 is about 2 MB; 256 MiB is far past any real one). */
export const MAX_FEED_BYTES = 256 * 2 ** 20;

/** The feeds with defaults filled in; ConfigError names the first bad one. */
export function feedSpecs(settings: readonly FeedSetting[]): FeedSpec[] {
  const seen = new Set<string>();
  return settings.map((f, i) => {
    const where = `feeds[${i}]`;
    if (!FEED_NAME.test(f.name)) throw new ConfigError(`${where}.name ${JSON.stringify(f.name)}: a letter or digit, then up to 62 letters, digits, "_", "." or "-"`);
    if (seen.has(f.name)) throw new ConfigError(`${where}.name ${JSON.stringify(f.name)} is used by two feeds: give each its own name (it is the bans' origin, feed:<name>)`);
    seen.add(f.name);
    if ((f.url === undefined) === (f.file === undefined)) throw new ConfigError(`${where} (${f.name}) needs exactly one of "url" (fetched) or "file" (read from disk), got ${f.url === undefined ? 'neither' : 'both'}`);
    if (f.format !== undefined && f.format !== 'auto' && !FEED_FORMATS.includes(f.format)) throw new ConfigError(`${where}.format ${JSON.stringify(f.format)}: expected auto or one of ${FEED_FORMATS.join(', ')}`);
    const refreshS = f.refreshS ?? DEFAULT_REFRESH_S;
    const ttlS = f.ttlS ?? 3 * refreshS;
    if (ttlS < refreshS) throw new ConfigError(`${where}.ttlS ${ttlS} is shorter than its refreshS ${refreshS}: every entry would lapse between two refreshes; make ttlS at least refreshS (default 3 × refreshS)`);
    return { name: f.name, url: f.url ?? null, file: f.file ?? null, format: f.format ?? 'auto', refreshS, ttlS, timeoutS: f.timeoutS ?? DEFAULT_TIMEOUT_S };
  });
}
