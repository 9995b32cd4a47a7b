// Threat-intelligence lists as the incumbents publish them, read into addresses to ban. Pure:
// text in, entries out. A line (or JSON entry) that is not an address is counted and named
// with where it is, never fatal; a decision that is not a ban of an address (a CrowdSec
// captcha, a country scope) is skipped with why.
//
// - firehol: FireHOL .netset/.ipset, one address or CIDR a line, `#` comments;
// - spamhaus-drop: Spamhaus DROP text, "1.10.16.0/20 ; SBL256894", `;` comments;
// - spamhaus-drop-json: Spamhaus DROP JSON, one object a line ({"cidr": …, "sblid": …}) and a
//   closing {"type": "metadata"} line;
// - feodo-txt / feodo-csv / feodo-json: abuse.ch Feodo Tracker's IP blocklist (the CSV's
//   address is the dst_ip column; the JSON is an array of {ip_address, malware, …});
// - crowdsec-csv / crowdsec-json: what `cscli decisions import` reads (columns or keys value,
//   duration, scope, type, reason) and what CrowdSec exports (`cscli decisions list -o raw`
//   or `-o json`, the LAPI's decision stream);
// - plain: one address a line, `#` or `;` comments.

import { parseCidr } from '../respond/cidr.ts';
import { BadAddressError } from '../respond/errors.ts';
import { AutoimmuneError } from '../errors.ts';
import { parseGoDuration } from '../util/go-duration.ts';

export const FEED_FORMATS = ['firehol', 'spamhaus-drop', 'spamhaus-drop-json', 'feodo-txt', 'feodo-csv', 'feodo-json', 'crowdsec-csv', 'crowdsec-json', 'plain'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

export interface FeedEntry {
  /** Canonical address or CIDR. */
  address: string;
  /** Line (text, CSV, NDJSON) or entry number (JSON array), from 1. */
  at: number;
  /** The entry's own ban length (CrowdSec decisions), seconds. */
  ttlS?: number;
  /** What the list says about it (an SBL id, a malware family, a scenario). */
  note?: string;
}

export interface FeedProblem {
  at: number;
  text: string;
  why: string;
}

/** Problems kept by name (all are counted). */
export const PROBLEMS_KEPT = 50;

export interface ParsedFeed {
  format: FeedFormat;
  /** Whether `at` counts lines or JSON array entries. */
  unit: 'line' | 'entry';
  entries: FeedEntry[];
  /** Lines that do not read as an address. */
  bad: { count: number; first: FeedProblem[] };
  /** Entries that are not bans of an address (captcha, a country scope, already over). */
  skipped: { count: number; first: FeedProblem[] };
}

export class FeedFormatError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_FEED_FORMAT', message);
  }
}

class Collector {
  readonly entries: FeedEntry[] = [];
  readonly bad = { count: 0, first: [] as FeedProblem[] };
  readonly skipped = { count: 0, first: [] as FeedProblem[] };

  problem(kind: 'bad' | 'skipped', at: number, text: string, why: string): void {
    const p = this[kind];
    p.count++;
    if (p.first.length < PROBLEMS_KEPT) p.first.push({ at, text: text.length > 120 ? `${text.slice(0, 117)}...` : text, why });
  }

  address(at: number, raw: string, extra: { ttlS?: number; note?: string } = {}): void {
    try {
      const address = parseCidr(raw).text;
      this.entries.push({ address, at, ...(extra.ttlS !== undefined ? { ttlS: extra.ttlS } : {}), ...(extra.note ? { note: extra.note } : {}) });
    } catch (err) {
      if (!(err instanceof BadAddressError)) throw err;
      this.problem('bad', at, raw, err.message);
    }
  }

  done(format: FeedFormat, unit: 'line' | 'entry'): ParsedFeed {
    return { format, unit, entries: this.entries, bad: this.bad, skipped: this.skipped };
  }
}

/** One address a line; `#` and `;` start comments; what follows the address on a line is its note (Spamhaus' SBL id). */
function parseLines(text: string, format: FeedFormat): ParsedFeed {
  const c = new Collector();
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    let body = raw;
    let note = '';
    const cut = body.search(/[#;]/);
    if (cut >= 0) {
      note = body.slice(cut + 1).trim();
      body = body.slice(0, cut);
    }
    body = body.trim();
    if (body === '') continue;
    // "1.2.3.4 some words": the address is the first field.
    const sp = body.search(/\s/);
    c.address(line, sp < 0 ? body : body.slice(0, sp), note && format === 'spamhaus-drop' ? { note } : {});
  }
  return c.done(format, 'line');
}

/** Fields of one CSV line (RFC 4180 quoting, no line breaks inside fields). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          field += line.slice(i);
          i = line.length;
          break;
        }
        field += line.slice(i, q);
        i = q + 1;
        if (line[i] === '"') {
          field += '"';
          i++;
        } else break;
      }
      const comma = line.indexOf(',', i);
      i = comma < 0 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      field = comma < 0 ? line.slice(i) : line.slice(i, comma);
      i = comma < 0 ? line.length + 1 : comma + 1;
    }
    out.push(field.trim());
    if (i > line.length) return out;
  }
}

/** A CrowdSec decision (import or export shape): a ban of an address, or why it is skipped. */
function crowdsecDecision(c: Collector, at: number, d: Record<string, unknown>): void {
  const str = (...keys: string[]) => {
    for (const k of keys) if (typeof d[k] === 'string' && d[k] !== '') return d[k] as string;
    return undefined;
  };
  const value = str('value', 'ip');
  const shown = JSON.stringify(d).slice(0, 200);
  if (value === undefined) return c.problem('bad', at, shown, 'no "value" (the address)');
  const type = (str('type', 'action') ?? 'ban').toLowerCase();
  if (type !== 'ban') return c.problem('skipped', at, value, `type ${type}: only bans are enforced`);
  const scope = (str('scope', 'source') ?? 'ip').toLowerCase();
  // `cscli decisions list -o raw` writes the source as "Ip:1.2.3.4".
  const scopeName = scope.split(':')[0];
  if (scopeName !== 'ip' && scopeName !== 'range') return c.problem('skipped', at, value, `scope ${scope} is not an address or range`);
  const durationText = str('duration', 'expiration');
  let ttlS: number | undefined;
  if (durationText !== undefined) {
    const s = parseGoDuration(durationText);
    if (s === null) return c.problem('bad', at, shown, `duration ${JSON.stringify(durationText)} is not a Go duration such as 4h or 3h59m58s`);
    if (s <= 0) return c.problem('skipped', at, value, `duration ${durationText}: already over`);
    ttlS = Math.max(1, Math.round(s));
  }
  const note = str('reason', 'scenario');
  c.address(at, value, { ...(ttlS !== undefined ? { ttlS } : {}), ...(note ? { note } : {}) });
}

function parseCsv(text: string, format: 'crowdsec-csv' | 'feodo-csv'): ParsedFeed {
  const c = new Collector();
  const lines = text.split('\n');
  let header: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const at = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      // abuse.ch comments out its header line.
      const h = trimmed.replace(/^#\s*/, '');
      if (format === 'feodo-csv' && /dst_ip/.test(h)) header = splitCsv(h).map((x) => x.toLowerCase());
      continue;
    }
    const fields = splitCsv(trimmed);
    if (!header) {
      if (fields.some((f) => /^(value|ip|dst_ip)$/i.test(f))) {
        header = fields.map((x) => x.toLowerCase());
        continue;
      }
      // Feodo's column order when its header is missing.
      header = format === 'feodo-csv' ? ['first_seen_utc', 'dst_ip', 'dst_port', 'c2_status', 'last_online', 'malware'] : ['value'];
    }
    const row: Record<string, unknown> = {};
    header.forEach((h, j) => (row[h] = fields[j] ?? ''));
    if (format === 'feodo-csv') {
      const ip = row.dst_ip;
      if (typeof ip !== 'string' || ip === '') c.problem('bad', at, trimmed, 'no dst_ip column');
      else c.address(at, ip, typeof row.malware === 'string' && row.malware ? { note: row.malware } : {});
    } else {
      crowdsecDecision(c, at, row);
    }
  }
  return c.done(format, 'line');
}

function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FeedFormatError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function parseCrowdsecJson(text: string): ParsedFeed {
  const c = new Collector();
  const doc = parseJsonText(text, 'the CrowdSec JSON');
  // The LAPI stream ({new, deleted}), `cscli decisions list -o json` (alerts with decisions), or what `cscli decisions import` reads.
  const list: unknown[] = isObject(doc) && Array.isArray(doc.new) ? doc.new : Array.isArray(doc) ? doc : doc === null ? [] : [doc];
  list.forEach((item, i) => {
    if (!isObject(item)) return c.problem('bad', i + 1, JSON.stringify(item) ?? String(item), 'not an object');
    if (Array.isArray(item.decisions)) {
      for (const d of item.decisions) if (isObject(d)) crowdsecDecision(c, i + 1, d);
      return;
    }
    crowdsecDecision(c, i + 1, item);
  });
  return c.done('crowdsec-json', 'entry');
}

function parseFeodoJson(text: string): ParsedFeed {
  const c = new Collector();
  const doc = parseJsonText(text, 'the Feodo Tracker JSON');
  if (!Array.isArray(doc)) throw new FeedFormatError('the Feodo Tracker JSON must be an array of {"ip_address": …} objects');
  doc.forEach((item, i) => {
    if (!isObject(item) || typeof item.ip_address !== 'string') return c.problem('bad', i + 1, JSON.stringify(item) ?? String(item), 'no "ip_address"');
    c.address(i + 1, item.ip_address, typeof item.malware === 'string' ? { note: item.malware } : {});
  });
  return c.done('feodo-json', 'entry');
}

function parseSpamhausJson(text: string): ParsedFeed {
  const c = new Collector();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let item: unknown;
    try {
      item = JSON.parse(raw);
    } catch (err) {
      c.problem('bad', i + 1, raw, `not JSON: ${(err as Error).message}`);
      continue;
    }
    if (isObject(item) && item.type === 'metadata') continue;
    if (!isObject(item) || typeof item.cidr !== 'string') {
      c.problem('bad', i + 1, raw, 'no "cidr"');
      continue;
    }
    c.address(i + 1, item.cidr, typeof item.sblid === 'string' ? { note: item.sblid } : {});
  }
  return c.done('spamhaus-drop-json', 'line');
}

/** The first lines that are not blank, as they are. */
function head(text: string, n: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (out.length < n && start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const l = text.slice(start, end).trim();
    if (l !== '') out.push(l);
    start = end + 1;
  }
  return out;
}

/** The format of a list, from its content (and its file name's extension as a hint). */
export function detectFormat(text: string, name = ''): FeedFormat {
  const lines = head(text, 40);
  const first = lines[0] ?? '';
  if (first.startsWith('[')) {
    const sample = text.slice(0, 4096);
    if (/"ip_address"\s*:/.test(sample)) return 'feodo-json';
    return 'crowdsec-json';
  }
  if (first.startsWith('{')) {
    if (/^\{\s*"cidr"\s*:/.test(first) || /"sblid"\s*:/.test(first)) return 'spamhaus-drop-json';
    return 'crowdsec-json';
  }
  const comments = lines.filter((l) => l.startsWith('#') || l.startsWith(';')).join('\n');
  const data = lines.filter((l) => !l.startsWith('#') && !l.startsWith(';'));
  if (/dst_ip/.test(comments) || (data[0] !== undefined && /^"\d{4}-\d\d-\d\d [^"]*","[^"]+","\d+"/.test(data[0]))) return 'feodo-csv';
  if (data[0] !== undefined && /(^|,)\s*"?(value|ip)"?\s*(,|$)/i.test(data[0]) && data[0].includes(',')) return 'crowdsec-csv';
  if (/spamhaus/i.test(comments) || data.some((l) => /^\S+\s*;\s*SBL\d+/.test(l))) return 'spamhaus-drop';
  if (/feodo/i.test(comments)) return 'feodo-txt';
  if (/firehol/i.test(comments) || /\.(netset|ipset)$/.test(name)) return 'firehol';
  return 'plain';
}

/** Reads a list in `format` ('auto': detected from the content). Throws FeedFormatError only when the whole document cannot be read (bad JSON). */
export function parseFeed(text: string, format: FeedFormat | 'auto' = 'auto', name = ''): ParsedFeed {
  // A byte order mark or Windows line ends must not make the first or every line bad.
  const t = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).replace(/\r\n/g, '\n');
  const f = format === 'auto' ? detectFormat(t, name) : format;
  switch (f) {
    case 'crowdsec-json':
      return parseCrowdsecJson(t);
    case 'feodo-json':
      return parseFeodoJson(t);
    case 'spamhaus-drop-json':
      return parseSpamhausJson(t);
    case 'crowdsec-csv':
    case 'feodo-csv':
      return parseCsv(t, f);
    default:
      return parseLines(t, f);
  }
}
