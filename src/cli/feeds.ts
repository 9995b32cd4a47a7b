// `autoimmune feeds import FILE | list | refresh NAME`: a threat-intel list into the running
// node's bans (the node parses it, applies only the difference with the feed's earlier import,
// and names bad lines as FILE:LINE), and the feeds' state.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.ts';
import { FEED_FORMATS } from '../feeds/feed-formats.ts';
import type { FeedReport } from '../feeds/feed-import.ts';
import type { FeedStatus } from '../feeds/feed-runner.ts';
import { parseTtl } from './durations.ts';
import { utcTime } from './durations.ts';
import { callApi, nodeTarget, parseSub, refused, TARGET_HELP, TARGET_OPTIONS } from './node-target.ts';

export const FEEDS_HELP = `Usage:
  autoimmune feeds import FILE [--name NAME] [--format F] [--ttl 24h] [--json]
      Ban every address of a threat-intel list on the running node, as bans of origin
      feed:NAME. Importing the same NAME again applies only the difference: new entries
      are banned, entries gone from the list are lifted. The allow-list and the protected
      set always win; bad lines are counted and named (FILE:LINE), never fatal.
  autoimmune feeds list [--json]
      The feeds (configured and imported), their bans in force and last refresh.
  autoimmune feeds refresh NAME
      Fetch (or read) a configured feed now and apply the difference.

Options:
  --name NAME      the feed's name (default: the file name without its extension)
  --format F       auto (default: from the content) or one of
                   ${FEED_FORMATS.join(', ')}
  --ttl D          ban length of entries without their own: 600, 10m, 2h, 1d (default 24h)
  --json           print the node's JSON answer
${TARGET_HELP}`;

function nameOf(file: string): string {
  const n = basename(file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return n.slice(0, 63) || 'feed';
}

function reportText(r: FeedReport): string {
  const lines = [
    `feed ${r.feed} (${r.format}): ${r.entries.toLocaleString('en')} entries; ${r.added.toLocaleString('en')} banned, ${r.removed.toLocaleString('en')} lifted, ${r.extended.toLocaleString('en')} extended, ${r.unchanged.toLocaleString('en')} unchanged in ${r.ms} ms`,
  ];
  if (r.heldByOthers) lines.push(`  ${r.heldByOthers} banned already by an operator, a detector or another feed: left as they are`);
  if (r.duplicates) lines.push(`  ${r.duplicates} listed more than once`);
  const problems = (what: string, l: { count: number; first: string[] }) => {
    if (l.count === 0) return;
    lines.push(`  ${l.count} ${what}:`);
    for (const p of l.first.slice(0, 10)) lines.push(`    ${p}`);
    if (l.count > 10) lines.push(`    … and ${l.count - 10} more (--json lists ${l.first.length})`);
  };
  problems('bad lines, not banned', r.bad);
  problems('refused by the guard (protected, or wider than responder.minPrefix)', r.refused);
  problems('skipped (not a ban of an address)', r.skipped);
  return lines.join('\n');
}

export async function runFeeds(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseSub(rest, { ...TARGET_OPTIONS, name: { type: 'string' }, format: { type: 'string' }, ttl: { type: 'string' }, json: { type: 'boolean' } }, 'feeds');
  if (sub === undefined) {
    process.stderr.write(FEEDS_HELP);
    return 2;
  }
  const t = nodeTarget(values);
  if (sub === 'import') {
    if (positionals.length !== 1) throw new UsageError(`feeds import takes one file, e.g. 'autoimmune feeds import firehol_level1.netset'; got ${positionals.length}`);
    const file = positionals[0]!;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const format = values.format ?? 'auto';
    if (format !== 'auto' && !(FEED_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be auto or one of ${FEED_FORMATS.join(', ')}; got ${JSON.stringify(format)}`);
    const ttl = parseTtl(values.ttl);
    const q = new URLSearchParams({ name: values.name ?? nameOf(file), format, source: basename(file), ...(ttl !== undefined ? { ttl: String(ttl) } : {}) });
    const { status, json } = await callApi(t, 'POST', `/api/feeds/import?${q}`, text, 'text/plain; charset=utf-8');
    if (status !== 200) refused(status, json, t);
    process.stdout.write(`${values.json ? JSON.stringify(json, null, 2) : reportText(json as FeedReport)}\n`);
    return 0;
  }
  if (sub === 'list') {
    if (positionals.length > 0) throw new UsageError(`feeds list takes no arguments, got ${positionals.join(' ')}`);
    const { status, json } = await callApi(t, 'GET', '/api/feeds');
    if (status !== 200) refused(status, json, t);
    const feeds = json as FeedStatus[];
    if (values.json) process.stdout.write(`${JSON.stringify(feeds, null, 2)}\n`);
    else if (feeds.length === 0) process.stdout.write("no feeds: add some to the config's \"feeds\", or import one with 'autoimmune feeds import FILE'\n");
    else {
      const w = Math.max(4, ...feeds.map((f) => f.name.length));
      const rows = feeds.map((f) => `${f.name.padEnd(w)}  ${String(f.bans).padStart(8)}  ${(f.last?.format ?? f.format).padEnd(18)}  ${utcTime(f.lastRefreshAt).padEnd(20)}  ${f.lastError ? `error: ${f.lastError}` : f.source}`);
      process.stdout.write(`${['NAME'.padEnd(w) + '      BANS  FORMAT              LAST REFRESH          SOURCE', ...rows].join('\n')}\n`);
    }
    return 0;
  }
  if (sub === 'refresh') {
    if (positionals.length !== 1) throw new UsageError("feeds refresh takes one configured feed's name");
    const { status, json } = await callApi(t, 'POST', `/api/feeds/${encodeURIComponent(positionals[0]!)}/refresh`);
    if (status !== 200) refused(status, json, t);
    process.stdout.write(`${values.json ? JSON.stringify(json, null, 2) : json ? reportText(json as FeedReport) : 'nothing applied: in a cluster only the leader applies the configured feeds (or the node is stopping)'}\n`);
    return 0;
  }
  throw new UsageError(`unknown feeds command ${JSON.stringify(sub)}: import, list or refresh. See 'autoimmune feeds --help'.`);
}
