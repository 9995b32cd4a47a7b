// A question in plain Spanish or English → the structured EventQuery it asks for. Pure and
// deterministic: word lists and regular expressions, no model. Every piece it maps is taken
// out of the text and said back in `understood`; a word left over that is not filler makes
// the question unmappable, so it answers only what it understood and never guesses a country
// or an attack type it did not find.

import { isIP } from 'node:net';
import { ALERT_TYPES } from '../detect/alert.ts';
import { AutoimmuneError } from '../errors.ts';
import { BUCKET_MS, DEFAULT_LIMIT, MAX_LIMIT } from '../store/check-query.ts';
import type { EventField, EventFilters, EventKind, EventQuery } from '../store/event-query.ts';
import * as V from './vocabulary.ts';
import type { Language, TimeUnit } from './vocabulary.ts';

export type ParsedQuestion =
  | { ok: true; language: Language; intent: 'ask' | 'block' | 'unblock'; query: EventQuery; understood: string[]; period?: string }
  | { ok: false; language: Language; understood: string[]; missing: string };
// `period`: the time range as words to put in a sentence ("hoy", "in the last hour"); answers
// use it, and describe the raw range when it is absent (a query that came from a tool call).

export interface ParseOptions {
  /** IANA zone for "hoy", "since 10:00"…; default the process's. */
  timeZone?: string;
}

const HOUR = BUCKET_MS.hour;
const DAY = BUCKET_MS.day;

// ---------------------------------------------------------------- wall clock in a zone

export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday. */
  weekday: number;
}

const wallFormats = new Map<string, Intl.DateTimeFormat>();

/** The date and time an instant shows on a clock in `timeZone`. */
export function wallClock(ms: number, timeZone: string): Wall {
  let f = wallFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    wallFormats.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return {
    year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute,
    weekday: new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay(),
  };
}

/** The instant a clock in `timeZone` shows this date and time (days may overflow: day 0 is the eve of the 1st). */
function instantAt(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const offset = (t: number): number => {
    const w = wallClock(t, timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(t / 60_000) * 60_000;
  };
  // Twice: the first guess may sit on the other side of a DST change.
  const first = asUtc - offset(asUtc);
  return asUtc - offset(first);
}

/** A time zone that is not an IANA zone name (the caller's input: --tz, or the API's timeZone). */
export class BadTimeZoneError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_BAD_TIME_ZONE', message, { statusCode: 400 });
  }
}

function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new BadTimeZoneError(`time zone ${JSON.stringify(timeZone)} is not an IANA zone name; use one such as "Europe/Madrid" or "UTC"`);
  }
}

const hhmm = (h: number, m: number): string => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;

// ---------------------------------------------------------------- the text, consumed

/** The folded question; each mapped phrase is blanked out so what is left is what was not understood. */
class Scanner {
  private work: string;
  constructor(readonly lower: string, readonly cased: string) {
    this.work = lower;
  }

  /** Each whole-word match of `source` that `accept` does not refuse (return false) is taken out. */
  take(source: string, accept: (m: RegExpMatchArray) => boolean | void = () => true): number {
    const taken: Array<[number, number]> = [];
    for (const m of this.work.matchAll(new RegExp(`(?<!\\S)(?:${source})(?!\\S)`, 'dg'))) {
      if (accept(m) !== false) taken.push([m.index ?? 0, m[0].length]);
    }
    for (const [at, n] of taken) this.work = this.work.slice(0, at) + ' '.repeat(n) + this.work.slice(at + n);
    return taken.length;
  }

  /** The original spelling of a match or of one of its groups (upper case kept). */
  original(m: RegExpMatchArray, group = 0): string {
    const span = m.indices?.[group];
    return span ? this.cased.slice(span[0], span[1]) : '';
  }

  /** The word before a match, or before offset `at`, in the question as asked (taken or not). */
  wordBefore(m: RegExpMatchArray | number): string {
    const at = typeof m === 'number' ? m : m.index ?? 0;
    return /(\S+)\s*$/.exec(this.lower.slice(0, at))?.[1] ?? '';
  }

  /** Words not taken, with their spelling and the word before them in the question. */
  left(): Array<{ word: string; original: string; before: string }> {
    const out: Array<{ word: string; original: string; before: string }> = [];
    for (const m of this.work.matchAll(/\S+/g)) {
      const at = m.index ?? 0;
      out.push({ word: m[0], original: this.cased.slice(at, at + m[0].length), before: this.wordBefore(at) });
    }
    return out;
  }
}

const ALT = {
  polite: V.alternation(V.POLITE_WORDS),
  block: V.alternation(V.BLOCK_VERBS),
  unblock: V.alternation(V.UNBLOCK_VERBS),
  sourceRole: V.alternation(V.SOURCE_ROLE_WORDS),
  targetRole: V.alternation(V.TARGET_ROLE_WORDS),
  addressNoun: V.alternation(V.ADDRESS_NOUNS),
  targetNoun: V.alternation(V.TARGET_NOUNS),
  unit: V.alternation(Object.values(V.TIME_UNITS).flat()),
  number: `(?:\\d{1,4}|${V.alternation([...Object.keys(V.NUMBER_WORDS), ...V.ONE_WORDS])})`,
  weekday: V.alternation(Object.keys(V.WEEKDAYS)),
  highRisk: V.alternation(V.HIGH_RISK_WORDS),
  score: V.alternation(V.SCORE_WORDS),
  atLeast: V.alternation(V.AT_LEAST_WORDS),
  threat: V.alternation(V.THREAT_WORDS),
  attack: V.alternation(V.ATTACKS.flatMap((a) => a.phrases)),
  what: V.alternation(V.WHAT_WORDS),
  group: V.alternation(V.GROUP_WORDS),
  dimension: V.alternation(Object.values(V.DIMENSIONS).flat()),
  count: V.alternation(V.COUNT_WORDS),
  distinct: V.alternation(V.DISTINCT_WORDS),
  top: V.alternation(V.TOP_WORDS),
  trend: V.alternation(V.TREND_WORDS),
  latest: V.alternation(V.LATEST_WORDS),
  show: V.alternation(V.SHOW_WORDS),
  all: V.alternation(V.ALL_WORDS),
  flow: V.alternation(V.FLOW_WORDS),
  serviceName: V.alternation(Object.keys(V.SERVICE_NAMES)),
};

function lookup<T extends string>(table: Record<T, string[]>, phrase: string): T | undefined {
  const key = V.fold(phrase).replace(/\s+/g, ' ');
  for (const [k, words] of Object.entries(table) as Array<[T, string[]]>) if (words.some((w) => V.fold(w) === key)) return k;
  return undefined;
}

function numberOf(word: string): number {
  if (/^\d+$/.test(word)) return Number(word);
  if (V.ONE_WORDS.includes(word)) return 1;
  return V.NUMBER_WORDS[word] ?? NaN;
}

// ---------------------------------------------------------------- time ranges

interface Period {
  from: number;
  to: number;
  /** What was understood ("hoy (desde 00:00)"). */
  label: string;
  /** The same in a sentence ("hoy", "en la última hora"). */
  adverb: string;
}

interface Ctx {
  now: number;
  timeZone: string;
  lang: Language;
  today: Wall;
}

const startOfDay = (ctx: Ctx, daysBack = 0): number =>
  instantAt(ctx.today.year, ctx.today.month, ctx.today.day - daysBack, 0, 0, ctx.timeZone);

function lastPeriod(ctx: Ctx, n: number, unit: TimeUnit): Period {
  // Weeks and months as days, said so: "last month" is ambiguous, "the last 30 days" is not.
  const [count, u] = unit === 'week' ? [n * 7, 'day' as const] : unit === 'month' ? [n * 30, 'day' as const] : [n, unit];
  const [one, many] = V.UNIT_NAMES[u][ctx.lang];
  const feminine = u === 'hour';
  const label =
    ctx.lang === 'es'
      ? count === 1 ? `${feminine ? 'la última' : 'el último'} ${one}` : `${feminine ? 'las últimas' : 'los últimos'} ${count} ${many}`
      : count === 1 ? `the last ${one}` : `the last ${count} ${many}`;
  return { from: ctx.now - count * BUCKET_MS[u], to: ctx.now, label, adverb: `${ctx.lang === 'es' ? 'en' : 'in'} ${label}` };
}

/** "10", "10:30", "10am", "3 pm", "22h" → hours and minutes, or undefined. */
function clockTime(text: string): { h: number; m: number; explicit: boolean } | undefined {
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm|h)?$/.exec(text.trim());
  if (!m) return undefined;
  let h = Number(m[1]);
  const min = m[2] === undefined ? 0 : Number(m[2]);
  if (min > 59) return undefined;
  if (m[3] === 'am' || m[3] === 'pm') {
    if (h < 1 || h > 12) return undefined;
    h = (h % 12) + (m[3] === 'pm' ? 12 : 0);
  }
  if (h > 23) return undefined;
  return { h, m: min, explicit: m[2] !== undefined || m[3] !== undefined };
}

/** Today's instant at h:m, or yesterday's when that is still to come ("since 22:00" asked at 01:00). */
function recentTime(ctx: Ctx, h: number, m: number): { at: number; yesterday: boolean } {
  const t = instantAt(ctx.today.year, ctx.today.month, ctx.today.day, h, m, ctx.timeZone);
  if (t <= ctx.now) return { at: t, yesterday: false };
  return { at: instantAt(ctx.today.year, ctx.today.month, ctx.today.day - 1, h, m, ctx.timeZone), yesterday: true };
}

const TIME = `(\\d{1,2}(?::\\d{2})?(?:\\s*(?:am|pm|h))?)`;

/** Each time phrase: its pattern and the range it means. Order matters: longer phrases first. */
function timePatterns(ctx: Ctx): Array<[string, (m: RegExpMatchArray) => Period | undefined]> {
  const es = ctx.lang === 'es';
  const last = (n: string | undefined, unit: string, whole: string): Period | undefined => {
    const u = lookup(V.TIME_UNITS, unit);
    if (!u) return undefined;
    // Digits may touch their unit ("24h"); a word number must not ("last and" is no "last an d").
    if (n !== undefined && !/^\d/.test(n) && !new RegExp(`(?<!\\S)${n}\\s+${unit}(?!\\S)`).test(whole)) return undefined;
    // "las últimas horas" names no amount: leave it unmapped rather than guess one.
    if (n === undefined && !['minuto', 'minute', 'hora', 'hour', 'dia', 'day', 'semana', 'week', 'mes', 'month'].includes(unit)) return undefined;
    const count = n === undefined ? 1 : numberOf(n);
    return count >= 1 && count <= 10_000 ? lastPeriod(ctx, count, u) : undefined;
  };
  const sinceDay = (from: number, label: string, adverb = label): Period => ({ from, to: ctx.now, label, adverb });
  const weekStart = startOfDay(ctx, (ctx.today.weekday + 6) % 7);
  const monthStart = instantAt(ctx.today.year, ctx.today.month, 1, 0, 0, ctx.timeZone);
  const N = ALT.number;
  const U = ALT.unit;
  return [
    [`(?:(?:en|durante|in|during|over|within|for)\\s+)?(?:(?:la|the)\\s+)?(?:ultima|last|past)\\s+(?:media\\s+hora|half\\s+(?:an\\s+)?hour)|(?:desde\\s+)?hace\\s+media\\s+hora|half\\s+an\\s+hour\\s+ago`,
      () => lastPeriod(ctx, 30, 'minute')],
    [`(?:desde\\s+)?hace\\s+(${N})\\s*(${U})`, (m) => last(m[1], m[2], m[0])],
    [`(?:since\\s+)?(${N})\\s*(${U})\\s+ago`, (m) => last(m[1], m[2], m[0])],
    [`(?:(?:en|durante|de)\\s+)?(?:(?:la|las|el|los)\\s+)?ultim[oa]s?\\s+(?:(${N})\\s*)?(${U})`, (m) => last(m[1], m[2], m[0])],
    [`(?:(?:en|durante|de)\\s+)?(?:las|los)\\s+(${N})\\s+ultim[oa]s\\s+(${U})`, (m) => last(m[1], m[2], m[0])],
    [`(?:(?:in|during|over|within|for|of)\\s+)?(?:the\\s+)?(?:last|past|previous)\\s+(?:(${N})\\s*)?(${U})`, (m) => last(m[1], m[2], m[0])],
    [`(?:(?:entre|de|desde)\\s+(las?\\s+)?${TIME}\\s+(?:y|a|hasta)\\s+(?:las?\\s+)?${TIME})|(?:(?:between|from)\\s+()${TIME}\\s+(?:and|to|until|till)\\s+${TIME})`,
      (m) => {
        const [article, a, b] = m[1] !== undefined || m[2] !== undefined ? [m[1], m[2], m[3]] : [m[4], m[5], m[6]];
        const t1 = clockTime(a);
        const t2 = clockTime(b);
        if (!t1 || !t2 || !(article || t1.explicit || t2.explicit)) return undefined;
        const start = recentTime(ctx, t1.h, t1.m);
        const end = start.at + ((t2.h * 60 + t2.m - (t1.h * 60 + t1.m)) * 60_000);
        if (end <= start.at) return undefined;
        const [x, y] = [hhmm(t1.h, t1.m), hhmm(t2.h, t2.m)];
        const day = start.yesterday ? (es ? 'ayer ' : 'yesterday ') : '';
        return es
          ? { from: start.at, to: end, label: `${day}de ${x} a ${y}`, adverb: `${day}entre las ${x} y las ${y}` }
          : { from: start.at, to: end, label: `${day}${x} to ${y}`, adverb: `${day}between ${x} and ${y}` };
      }],
    // "Right now" is read as the last 15 minutes (the store's hot tier), and said so.
    [`(?:ahora\\s+mismo|en\\s+este\\s+momento|right\\s+now|at\\s+the\\s+moment)`, () => lastPeriod(ctx, 15, 'minute')],
    [`desde\\s+ayer|since\\s+yesterday`, () => sinceDay(startOfDay(ctx, 1), es ? 'desde ayer (00:00)' : 'since yesterday (00:00)', es ? 'desde ayer' : 'since yesterday')],
    [`(?:desde\\s+el|since)\\s+(${ALT.weekday})`, (m) => {
      const wd = V.WEEKDAYS[m[1]];
      const name = V.WEEKDAY_NAMES[ctx.lang][wd];
      return sinceDay(startOfDay(ctx, (ctx.today.weekday - wd + 7) % 7), es ? `desde el ${name}` : `since ${name}`);
    }],
    [`(?:(?:desde|a\\s+partir\\s+de)\\s+(las?\\s+)?${TIME})|(?:(since|after|from)\\s+()${TIME})`, (m) => {
      const [article, text, word] = m[2] !== undefined ? [m[1], m[2], ''] : [m[4], m[5], m[3]];
      const t = clockTime(text);
      if (!t || !(article || t.explicit || word === 'since')) return undefined;
      const { at, yesterday } = recentTime(ctx, t.h, t.m);
      const x = hhmm(t.h, t.m);
      const label = es ? `desde ${yesterday ? 'ayer a ' : ''}${t.h === 1 ? 'la' : 'las'} ${x}` : `since ${x}${yesterday ? ' yesterday' : ''}`;
      return sinceDay(at, label);
    }],
    [`(?:(?:en\\s+)?lo\\s+que\\s+va\\s+de\\s+(?:dia|hoy)|(?:(?:en\\s+el\\s+)?dia\\s+de\\s+|de\\s+|so\\s+far\\s+|for\\s+|during\\s+)?(?:hoy|today)(?:\\s+so\\s+far)?)`,
      () => sinceDay(startOfDay(ctx), es ? 'hoy (desde 00:00)' : 'today (since 00:00)', es ? 'hoy' : 'today')],
    [`(?:de\\s+|durante\\s+|during\\s+)?(?:ayer|yesterday)`,
      () => ({ from: startOfDay(ctx, 1), to: startOfDay(ctx), label: es ? 'ayer' : 'yesterday', adverb: es ? 'ayer' : 'yesterday' })],
    [`(?:en\\s+)?lo\\s+que\\s+va\\s+de\\s+semana|esta\\s+semana|(?:so\\s+far\\s+)?this\\s+week`,
      () => sinceDay(weekStart, es ? 'esta semana (desde el lunes)' : 'this week (since Monday)', es ? 'esta semana' : 'this week')],
    [`(?:la\\s+)?semana\\s+pasada|(?:the\\s+)?previous\\s+week`, () => ({
      from: startOfDay(ctx, (ctx.today.weekday + 6) % 7 + 7), to: weekStart,
      label: es ? 'la semana pasada (de lunes a domingo)' : 'the previous week (Monday to Sunday)',
      adverb: es ? 'la semana pasada' : 'in the previous week',
    })],
    [`(?:en\\s+)?lo\\s+que\\s+va\\s+de\\s+mes|este\\s+mes|(?:so\\s+far\\s+)?this\\s+month`,
      () => sinceDay(monthStart, es ? 'este mes (desde el día 1)' : 'this month (since the 1st)', es ? 'este mes' : 'this month')],
    [`(?:el\\s+)?mes\\s+pasado|(?:the\\s+)?previous\\s+month`, () => ({
      from: instantAt(ctx.today.year, ctx.today.month - 1, 1, 0, 0, ctx.timeZone), to: monthStart,
      label: es ? 'el mes pasado' : 'the previous month', adverb: es ? 'el mes pasado' : 'in the previous month',
    })],
  ];
}

// ---------------------------------------------------------------- what was found

interface Findings {
  command?: 'block' | 'unblock';
  sources: string[];
  targets: string[];
  asns: number[];
  countries: string[];
  types: Set<string>;
  typeLabels: string[];
  threat: boolean;
  whatThreat: boolean;
  decision?: 'ban' | 'unban' | 'any';
  /** A flow word ("conexiones", "flows"). */
  flow: boolean;
  /** Flow services asked for ("port 22", "tcp/22", "ssh" in a question about flows), and how they were said. */
  services: string[];
  serviceLabels: string[];
  /** Port or service numbers out of range ("port 70000"), as written. */
  badServices: string[];
  /** A service word as a field ("top services", "por puerto"). */
  serviceDim: boolean;
  minScore?: { value: number; high: boolean };
  nodes: string[];
  detectors: string[];
  periods: Period[];
  groups: EventField[];
  dims: EventField[];
  distinct?: EventField;
  bucket?: 'minute' | 'hour' | 'day';
  trend: boolean;
  count: boolean;
  top: boolean;
  latest: boolean;
  show: boolean;
  limits: Array<{ n: number; original: string }>;
}

let countryPattern: string | undefined;

const addOnce = <T>(list: T[], v: T): void => {
  if (!list.includes(v)) list.push(v);
};

function scan(s: Scanner, ctx: Ctx): Findings {
  const f: Findings = {
    sources: [], targets: [], asns: [], countries: [], types: new Set(), typeLabels: [], threat: false,
    whatThreat: false, flow: false, services: [], serviceLabels: [], badServices: [], serviceDim: false, nodes: [], detectors: [], periods: [], groups: [], dims: [], trend: false, count: false, top: false,
    latest: false, show: false, limits: [],
  };

  // A command is an imperative at the start ("bloquea…", "please unblock…"); "bloqueos" later is a noun.
  s.take(`^(?:${ALT.polite}\\s+)*(?:(${ALT.unblock})|(${ALT.block}))`, (m) => {
    f.command = m[1] !== undefined ? 'unblock' : 'block';
  });
  s.take(ALT.flow, () => {
    f.flow = true;
  });
  // A field word: the service words are the type of a flow, and say the question is about flows.
  const dimension = (phrase: string): EventField | undefined => {
    const dim = lookup(V.DIMENSIONS, phrase);
    if (dim === 'type' && V.isServiceWord(phrase)) f.serviceDim = true;
    return dim;
  };

  // Addresses, with the word before them saying whether they attack or are attacked.
  let lastRole: 'source' | 'target' = 'source';
  s.take(`(?:(${ALT.sourceRole})\\s+|(${ALT.targetRole})\\s+)?(?:(?:la|el|las|los|the)\\s+)?(?:(${ALT.targetNoun})\\s+|${ALT.addressNoun}\\s+)?((?:\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]*)(?:/\\d{1,3})?)`, (m) => {
    const [addr, prefix] = m[4].split('/');
    const family = isIP(addr);
    if (family === 0 || (prefix !== undefined && Number(prefix) > (family === 4 ? 32 : 128))) return false;
    const role = m[1] !== undefined ? 'source' : m[2] !== undefined || m[3] !== undefined ? 'target' : lastRole;
    lastRole = role;
    addOnce(role === 'source' ? f.sources : f.targets, m[4]);
  });

  s.take(`(?:(?:el|the)\\s+)?asn?\\s?(\\d{1,10})`, (m) => {
    const asn = Number(m[1]);
    if (asn < 1 || asn > 4_294_967_295) return false;
    addOnce(f.asns, asn);
  });

  for (const [source, make] of timePatterns(ctx)) {
    s.take(source, (m) => {
      const p = make(m);
      if (!p) return false;
      if (!f.periods.some((q) => q.from === p.from && q.to === p.to)) f.periods.push(p);
    });
  }

  scanServices(s, f, ctx.lang);

  s.take(ALT.highRisk, () => {
    f.minScore = { value: V.HIGH_RISK_SCORE, high: true };
  });
  s.take(`(?:${ALT.score})\\s+(?:${ALT.atLeast})\\s+(\\d+(?:\\.\\d+)?)`, (m) => {
    const v = Number(m[1]);
    const score = v <= 1 ? v : v <= 100 ? v / 100 : NaN; // "riesgo mayor que 90" is a percentage
    if (Number.isNaN(score)) return false;
    f.minScore = { value: score, high: false };
  });

  for (const action of ['ban', 'unban', 'any'] as const) {
    s.take(V.alternation(V.DECISION_WORDS[action]), () => {
      f.decision = f.decision === undefined || f.decision === action ? action : 'any';
    });
  }

  // "qué amenazas", "what attacks": the threats by type. Only the question word is taken here.
  s.take(`${ALT.what}(?=\\s+(?:${ALT.threat}|${ALT.attack})(?!\\S))`, () => {
    f.whatThreat = true;
  });
  s.take(ALT.attack, (m) => {
    const phrase = m[0].replace(/\s+/g, ' ');
    const entry = V.ATTACKS.find((a) => a.phrases.some((p) => V.fold(p) === phrase));
    if (!entry) return false;
    for (const t of entry.types) f.types.add(t);
    addOnce(f.typeLabels, entry[ctx.lang]);
  });
  s.take(ALT.threat, () => {
    f.threat = true;
  });

  const { byName, codes } = V.countries();
  countryPattern ??= V.alternation(byName.keys());
  s.take(countryPattern, (m) => {
    const code = byName.get(m[0].replace(/\s+/g, ' '));
    if (!code) return false;
    addOnce(f.countries, code);
  });
  // A bare ISO code only in capitals after a place word or another code ("from CN or RU"):
  // in lower case "in", "de", "no", "us" are words.
  const codeLeads = new Set([...V.PLACE_WORDS, 'pais', 'paises', 'country', 'countries', 'o', 'or', 'y', 'and', 'e']);
  s.take(`[a-z]{2}`, (m) => {
    const code = s.original(m);
    const before = s.wordBefore(m);
    if (code !== code.toUpperCase() || !codes.has(code)) return false;
    if (!codeLeads.has(before) && !f.countries.includes(before.toUpperCase())) return false;
    addOnce(f.countries, code);
  });

  s.take(`(?:${ALT.group})\\s+(${ALT.dimension})`, (m) => {
    const dim = dimension(m[1]);
    if (!dim) return false;
    addOnce(f.groups, dim);
  });
  s.take(`(?:(?:el|the)\\s+)?(?:nodo|node)\\s+([a-z0-9][a-z0-9._]*)`, (m) => {
    if (V.FILLER.has(m[1]) || /^\d+$/.test(m[1]) && m[1].length > 3) return false;
    addOnce(f.nodes, s.original(m, 1));
  });
  for (const [detector, words] of Object.entries(V.DETECTOR_WORDS)) {
    s.take(V.alternation(words), () => addOnce(f.detectors, detector));
  }

  for (const [bucket, words] of Object.entries(V.BUCKETS) as Array<['minute' | 'hour' | 'day', string[]]>) {
    s.take(V.alternation(words), () => {
      f.bucket = bucket;
    });
  }
  s.take(ALT.trend, () => {
    f.trend = true;
  });

  // "cuántas IPs", "how many distinct countries": how many different values, not how many events.
  s.take(`(?:${ALT.count})\\s+(?:(?:${ALT.distinct})\\s+)?(${ALT.dimension})(?:\\s+(?:${ALT.distinct}))?`, (m) => {
    const dim = dimension(m[1]);
    if (!dim) return false;
    f.distinct = dim;
  });
  s.take(ALT.count, () => {
    f.count = true;
  });
  s.take(`(?:${ALT.what})\\s+(${ALT.dimension})`, (m) => {
    const dim = dimension(m[1]);
    if (!dim) return false;
    addOnce(f.dims, dim);
    f.top = true;
  });

  s.take(ALT.latest, () => {
    f.latest = true;
  });
  s.take(`top\\s*(\\d{1,7})?`, (m) => {
    f.top = true;
    if (m[1] !== undefined) f.limits.push({ n: Number(m[1]), original: m[1] });
  });
  s.take(ALT.top, () => {
    f.top = true;
  });
  s.take(ALT.show, () => {
    f.show = true;
  });
  s.take(ALT.all); // "todas", "every": no filter by themselves
  s.take(ALT.dimension, (m) => {
    const dim = dimension(m[0]);
    if (!dim) return false;
    addOnce(f.dims, dim);
  });
  // A number left is how many rows: "los 5 países", "last 20 alerts".
  s.take(`(\\d{1,7}|${V.alternation(Object.keys(V.NUMBER_WORDS))})`, (m) => {
    f.limits.push({ n: numberOf(m[1]), original: s.original(m) });
  });
  return f;
}

const PROTOCOL = '(tcp|udp|sctp)';
const PORT_LIST = '(\\d{1,5}(?:\\s+(?:(?:y|e|o|u|and|or)\\s+)?\\d{1,5})*)';
const MAX_NUMBER: Record<string, number> = { tcp: 65_535, udp: 65_535, sctp: 65_535, icmp: 255, icmpv6: 255, ip: 255 };

/**
 * Ports and services, which only flows have (a flow's type is its service, as flowService
 * writes it). A port without a protocol is TCP's and UDP's alike: 53 is DNS over either, 443
 * HTTPS or QUIC, and the question did not say which; "tcp port 22" or "tcp/22" says it.
 * (SCTP ports only when named: they are rare enough that "port 22" meaning sctp/22 too would
 * only lengthen every query.) Service names ("ssh", "dns") are read only in a question that
 * names flows or ports, since elsewhere "ssh" is SSH brute force.
 */
function scanServices(s: Scanner, f: Findings, lang: Language): void {
  const add = (services: string[], label: string): void => {
    for (const x of services) addOnce(f.services, x);
    addOnce(f.serviceLabels, label);
  };
  // Out of range is taken and said ("port 70000" is no port), not left for "port" to become a field and 70000 a limit.
  const valid = (protocol: string, n: number, m: RegExpMatchArray): boolean => {
    if (n <= MAX_NUMBER[protocol]) return true;
    addOnce(f.badServices, s.original(m));
    return false;
  };
  // "tcp/22", "22/udp", "icmp/8": a service as the store writes it.
  s.take(`(tcp|udp|sctp|icmpv6|icmp|ip)/(\\d{1,5})|(\\d{1,5})/${PROTOCOL}`, (m) => {
    const [protocol, n] = m[1] !== undefined ? [m[1], Number(m[2])] : [m[4], Number(m[3])];
    if (valid(protocol, n, m)) add([`${protocol}/${n}`], `${protocol}/${n}`);
  });
  // "port 22", "puertos 22 y 443", "tcp port 22", "puerto 53 udp".
  s.take(`(?:${PROTOCOL}\\s+)?(?:puertos?|ports?)(?:\\s+${PROTOCOL})?\\s+${PORT_LIST}(?:\\s+${PROTOCOL})?`, (m) => {
    const named = [m[1], m[2], m[4]].filter((p) => p !== undefined);
    if (new Set(named).size > 1) return false; // "tcp port 22 udp": say one
    const ports = (m[3].match(/\d+/g) ?? []).map(Number);
    if (!ports.every((n) => valid('tcp', n, m))) return;
    for (const n of ports) {
      if (named[0] !== undefined) add([`${named[0]}/${n}`], `${named[0]}/${n}`);
      else add([`tcp/${n}`, `udp/${n}`], `${lang === 'es' ? 'puerto' : 'port'} ${n} (tcp/${n}, udp/${n})`);
    }
  });
  // "udp 53".
  s.take(`${PROTOCOL}\\s+(\\d{1,5})`, (m) => {
    const n = Number(m[2]);
    if (valid(m[1], n, m)) add([`${m[1]}/${n}`], `${m[1]}/${n}`);
  });
  if (!f.flow && f.services.length === 0) return;
  s.take(ALT.serviceName, (m) => {
    const services = V.SERVICE_NAMES[m[0]];
    if (!services) return false;
    add(services, `${m[0].toUpperCase()} (${services.join(', ')})`);
  });
}

// ---------------------------------------------------------------- words said back

const SAY = {
  es: {
    empty: 'La pregunta está vacía.',
    notUnderstood: (words: string[]) => `No entendí: ${words.map((w) => `«${w}»`).join(', ')}.`,
    unknownPlace: (words: string[]) =>
      `${words.map((w) => `«${w}»`).join(', ')}: no ${words.length > 1 ? 'son países' : 'es un país'} que conozca.`,
    ambiguousPlace: (word: string, options: string[]) => `«${word}» puede ser ${options.join(' o ')}: di cuál.`,
    badAddress: (words: string[]) => `${words.map((w) => `«${w}»`).join(', ')}: no es una dirección IP válida.`,
    badService: (words: string[]) => `${words.map((w) => `«${w}»`).join(', ')}: los puertos van de 0 a 65535 (y los tipos ICMP de 0 a 255).`,
    nothingAsked:
      'No sé qué buscar: nombra amenazas, bloqueos, conexiones, un tipo de ataque, un país, un ASN o una IP (p. ej. «¿cuántos ataques desde China hoy?»).',
    twoPeriods: (a: string, b: string) => `Dos periodos distintos: «${a}» y «${b}»; pregunta por uno.`,
    twoGroups: (a: string, b: string) => `No puedo agrupar por ${a} y por ${b} a la vez.`,
    nothingToAct: (cmd: 'block' | 'unblock') =>
      `No sé qué direcciones ${cmd === 'block' ? 'bloquear' : 'desbloquear'}: nombra IPs, un país, un ASN o un tipo de ataque.`,
    onlySources: (dim: string) => `Un bloqueo actúa sobre direcciones de origen, no sobre ${dim}.`,
    command: { block: 'orden: bloquear', unblock: 'orden: desbloquear' },
    decision: { ban: 'eventos: bloqueos', unban: 'eventos: desbloqueos', any: 'eventos: decisiones' },
    flows: 'eventos: flujos',
    service: 'servicio',
    flowsAndDecisions: (d: 'ban' | 'unban' | 'any') =>
      `Flujos y ${{ ban: 'bloqueos', unban: 'desbloqueos', any: 'decisiones' }[d]} son eventos distintos: pregunta por unos o por otros.`,
    flowsHaveNoType: (labels: string[]) =>
      `Los flujos no tienen tipo de ataque ni detector (${labels.map((l) => `«${l}»`).join(', ')}): pregunta por alertas, o por flujos sin eso.`,
    servicesAreFlows: (kind: 'alert' | 'decision') =>
      `Los puertos y servicios son de los flujos, no de ${kind === 'alert' ? 'las alertas' : 'las decisiones'}: pregunta por flujos (p. ej. «conexiones al puerto 22»).`,
    allThreats: 'tipo: todas las amenazas',
    type: 'tipo',
    reason: 'motivo',
    country: 'país',
    source: 'origen',
    target: 'destino',
    node: 'nodo',
    risk: (v: number, high: boolean) => (high ? `riesgo: alto (≥ ${v})` : `riesgo: ≥ ${v}`),
    period: 'periodo',
    byDefault: ' (por defecto)',
    defaultPeriod: 'las últimas 24 horas',
    allStored: { label: 'todo lo guardado', adverb: '' },
    clamped: `límite: ${MAX_LIMIT} (máximo)`,
    blockableOnly: 'solo orígenes que se pueden bloquear (no los falsificados de las inundaciones)',
  },
  en: {
    empty: 'The question is empty.',
    notUnderstood: (words: string[]) => `I did not understand: ${words.map((w) => `"${w}"`).join(', ')}.`,
    unknownPlace: (words: string[]) => `${words.map((w) => `"${w}"`).join(', ')}: not ${words.length > 1 ? 'countries' : 'a country'} I know.`,
    ambiguousPlace: (word: string, options: string[]) => `"${word}" may be ${options.join(' or ')}: say which.`,
    badAddress: (words: string[]) => `${words.map((w) => `"${w}"`).join(', ')}: not a valid IP address.`,
    badService: (words: string[]) => `${words.map((w) => `"${w}"`).join(', ')}: ports run from 0 to 65535 (ICMP types from 0 to 255).`,
    nothingAsked:
      'I do not know what to look for: name threats, bans, flows, an attack type, a country, an ASN or an address (e.g. "how many attacks from China today?").',
    twoPeriods: (a: string, b: string) => `Two different periods: "${a}" and "${b}"; ask about one.`,
    twoGroups: (a: string, b: string) => `I cannot group by ${a} and by ${b} at once.`,
    nothingToAct: (cmd: 'block' | 'unblock') =>
      `I do not know which addresses to ${cmd}: name addresses, a country, an ASN or an attack type.`,
    onlySources: (dim: string) => `A block acts on source addresses, not on ${dim}.`,
    command: { block: 'command: block', unblock: 'command: unblock' },
    decision: { ban: 'events: bans', unban: 'events: unbans', any: 'events: decisions' },
    flows: 'events: flows',
    service: 'service',
    flowsAndDecisions: (d: 'ban' | 'unban' | 'any') =>
      `Flows and ${{ ban: 'bans', unban: 'unbans', any: 'decisions' }[d]} are different events: ask about one or the other.`,
    flowsHaveNoType: (labels: string[]) =>
      `Flows have no attack type or detector (${labels.map((l) => `"${l}"`).join(', ')}): ask about alerts, or about flows without it.`,
    servicesAreFlows: (kind: 'alert' | 'decision') =>
      `Ports and services belong to flows, not to ${kind === 'alert' ? 'alerts' : 'decisions'}: ask about flows (e.g. "flows to port 22").`,
    allThreats: 'type: all threats',
    type: 'type',
    reason: 'reason',
    country: 'country',
    source: 'source',
    target: 'target',
    node: 'node',
    risk: (v: number, high: boolean) => (high ? `risk: high (≥ ${v})` : `risk: ≥ ${v}`),
    period: 'period',
    byDefault: ' (default)',
    defaultPeriod: 'the last 24 hours',
    allStored: { label: 'everything stored', adverb: '' },
    clamped: `limit: ${MAX_LIMIT} (the most)`,
    blockableOnly: 'only sources that may be banned (not the spoofed sources of floods)',
  },
} as const;

interface Plan {
  measure: EventQuery['measure'];
  groupBy?: EventField;
  bucket?: 'minute' | 'hour' | 'day';
  limit?: number;
}

/** How the measure came about: asked for, the default, a distinct count, or a command's selection. */
type How = 'asked' | 'default' | 'distinct' | 'command';

function describeMeasure(p: Plan, kind: EventKind, lang: Language, how: How): string {
  const es = lang === 'es';
  const dim = (field: EventField, plural: boolean): string => V.dimensionName(field, kind, lang)[plural ? 1 : 0];
  const suffix = how === 'default' ? SAY[lang].byDefault : '';
  if (how === 'command') {
    return p.limit === MAX_LIMIT
      ? es ? `selección: direcciones de origen (hasta ${MAX_LIMIT})` : `selection: source addresses (up to ${MAX_LIMIT})`
      : es ? `selección: las ${p.limit} direcciones de origen con más eventos` : `selection: the ${p.limit} sources with the most events`;
  }
  if (how === 'distinct' && p.groupBy) {
    return es ? `medida: ${dim(p.groupBy, true)} distintos (hasta ${p.limit})` : `measure: distinct ${dim(p.groupBy, true)} (up to ${p.limit})`;
  }
  switch (p.measure) {
    case 'count':
      return (p.groupBy
        ? es ? `medida: cuántos por ${dim(p.groupBy, false)}` : `measure: how many by ${dim(p.groupBy, false)}`
        : es ? 'medida: cuántos' : 'measure: how many') + suffix;
    case 'top':
      return `${es ? 'medida' : 'measure'}: top ${p.limit} ${dim(p.groupBy ?? 'source', true)}${suffix}`;
    case 'trend': {
      const b = V.UNIT_NAMES[p.bucket ?? 'hour'][lang][0];
      const by = p.groupBy ? (es ? ` y ${dim(p.groupBy, false)}` : ` by ${dim(p.groupBy, false)}`) : '';
      return es ? `medida: tendencia por ${b}${by}` : `measure: trend per ${b}${by}`;
    }
    case 'list':
      return es ? `medida: últimos ${p.limit} eventos` : `measure: latest ${p.limit} events`;
  }
}

// ---------------------------------------------------------------- the parser

export function parseQuestion(text: string, now: Date, options: ParseOptions = {}): ParsedQuestion {
  const timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  checkTimeZone(timeZone);
  const cased = V.foldCased(text);
  const lower = cased.toLowerCase();
  const lang = detectLanguage(text, lower);
  const say = SAY[lang];
  if (lower === '') {
    const raw = text.trim();
    return { ok: false, language: lang, understood: [], missing: /[\p{L}\p{N}]/u.test(raw) ? say.notUnderstood([raw]) : say.empty };
  }

  const ctx: Ctx = { now: now.getTime(), timeZone, lang, today: wallClock(now.getTime(), timeZone) };
  const s = new Scanner(lower, cased);
  const f = scan(s, ctx);
  const problems: string[] = [];

  // Unknown words are sorted so the answer says what kind of thing it did not know: an address
  // that is none, a place ("from Atlantis", "en Madrid"), a name of several countries, or a word.
  const unknown = s.left().filter((w) => !V.FILLER.has(w.word));
  const { ambiguous } = V.countries();
  const vague = unknown.filter((w) => ambiguous.has(w.word));
  const rest = unknown.filter((w) => !ambiguous.has(w.word));
  const isAddress = (w: string): boolean => /^[0-9a-f.:/]+$/.test(w) && /\d/.test(w) && /[.:]/.test(w);
  const isPlace = (w: { before: string; original: string }): boolean =>
    V.PLACE_WORDS.includes(w.before) && (['desde', 'from'].includes(w.before) || /^[A-Z]/.test(w.original));
  const addresses = rest.filter((w) => isAddress(w.word)).map((w) => w.original);
  const places = rest.filter((w) => !isAddress(w.word) && isPlace(w)).map((w) => w.original);
  const others = rest.filter((w) => !isAddress(w.word) && !isPlace(w)).map((w) => w.original);
  if (others.length > 0) problems.push(say.notUnderstood(others));
  if (addresses.length > 0) problems.push(say.badAddress(addresses));
  if (f.badServices.length > 0) problems.push(say.badService(f.badServices));
  if (places.length > 0) problems.push(say.unknownPlace(places));
  for (const w of vague) {
    problems.push(say.ambiguousPlace(w.original, (ambiguous.get(w.word) ?? []).map((c) => V.countryLabel(c, lang))));
  }

  const action = f.command === 'unblock' ? 'ban' : f.decision === 'any' ? undefined : f.decision;
  const kind = kindOf(f, lang, problems);

  if (f.periods.length > 1) problems.push(say.twoPeriods(f.periods[0].label, f.periods[1].label));
  const period: Period =
    f.periods[0] ??
    (f.command === 'unblock'
      ? { from: 0, to: ctx.now, ...say.allStored } // a ban to lift may be old
      : { from: ctx.now - DAY, to: ctx.now, label: say.defaultPeriod + say.byDefault, adverb: (lang === 'es' ? 'en ' : 'in ') + say.defaultPeriod });

  const dims = [...new Set([...f.groups, ...f.dims, ...(f.distinct ? [f.distinct] : [])])];
  if (dims.length > 1) {
    const name = (d: EventField): string => V.dimensionName(d, kind, lang)[0];
    problems.push(say.twoGroups(name(dims[0]), name(dims[1])));
  }
  const dim = dims[0];
  let limitWord: { n: number; original: string } | undefined = f.limits[0];
  if (f.limits.length > 1) problems.push(say.notUnderstood(f.limits.slice(1).map((l) => l.original)));

  // Which measure: the strongest word wins (a trend over a top over a count over a list).
  let plan: Plan;
  let how: How = 'asked';
  const rows = (fallback: number): number => Math.min(MAX_LIMIT, limitWord?.n ?? fallback);
  if (f.command) {
    how = 'command';
    if (dim && dim !== 'source') problems.push(say.onlySources(V.dimensionName(dim, kind, lang)[1]));
    plan = { measure: 'top', groupBy: 'source', limit: rows(MAX_LIMIT) };
  } else if (f.trend || f.bucket) {
    plan = { measure: 'trend', groupBy: dim, bucket: f.bucket ?? defaultBucket(period) };
  } else if (f.distinct) {
    how = 'distinct';
    plan = { measure: 'top', groupBy: f.distinct, limit: MAX_LIMIT };
  } else if (f.top || f.dims.length > 0) {
    plan = { measure: 'top', groupBy: dim ?? 'source', limit: rows(DEFAULT_LIMIT) };
  } else if (f.count) {
    plan = dim ? { measure: 'count', groupBy: dim, limit: rows(DEFAULT_LIMIT) } : { measure: 'count' };
  } else if (f.whatThreat || f.groups.length > 0) {
    plan = { measure: 'count', groupBy: dim ?? 'type', limit: rows(DEFAULT_LIMIT) };
  } else if (f.latest || f.show) {
    plan = { measure: 'list', limit: rows(DEFAULT_LIMIT) };
  } else {
    // Unasked, alerts are summed up by type and flows by service (type); decisions by address ("what was blocked today").
    how = 'default';
    plan = { measure: kind === 'decision' ? 'top' : 'count', groupBy: kind === 'decision' ? 'source' : 'type', limit: rows(DEFAULT_LIMIT) };
  }
  if (plan.limit === undefined && limitWord) {
    problems.push(say.notUnderstood([limitWord.original])); // a number nothing here can use
    limitWord = undefined;
  }
  if (limitWord && limitWord.n < 1) problems.push(say.notUnderstood([limitWord.original]));

  const filters: EventFilters = {};
  const types = ALERT_TYPES.filter((t) => f.types.has(t));
  if (kind === 'alert') {
    if (types.length > 0) filters.type = types;
  } else if (kind === 'flow') {
    if (f.services.length > 0) filters.type = f.services;
  } else if (action) {
    filters.type = [action];
  }
  if (f.sources.length) filters.source = f.sources;
  if (f.targets.length) filters.target = f.targets;
  if (f.countries.length) filters.country = f.countries;
  if (f.asns.length) filters.asn = f.asns;
  if (f.nodes.length) filters.node = f.nodes;
  const detectors = kind === 'decision' ? decisionDetectors(types, f.detectors) : f.detectors;
  if (detectors.length) filters.detector = detectors;
  if (f.minScore) filters.minScore = f.minScore.value;
  // A block proposes sources: never those seen only in floods' alerts, whose sources are
  // spoofed or abused reflectors (blockable: false), which the responder would not ban either.
  if (f.command === 'block' && kind === 'alert') filters.blockable = true;

  const anchored =
    f.command !== undefined || f.threat || f.whatThreat || f.types.size > 0 || f.decision !== undefined || f.countries.length > 0 ||
    f.asns.length > 0 || f.sources.length > 0 || f.targets.length > 0 || f.nodes.length > 0 || f.detectors.length > 0 ||
    f.minScore !== undefined || f.count || f.distinct !== undefined || f.top || f.trend || f.bucket !== undefined || f.latest ||
    f.show || dims.length > 0 || f.flow || f.services.length > 0;
  if (!anchored && problems.length === 0) problems.push(say.nothingAsked);
  // A command must say whom: some filter, or an explicit "top 5". "Block everything" is refused.
  // (A decision's type is only the action it was asked about; an alert's or a flow's selects.)
  const selects = Object.keys(filters).some((k) => k !== 'type' || kind !== 'decision') || limitWord !== undefined;
  if (f.command && !selects && problems.length === 0) problems.push(say.nothingToAct(f.command));

  // What was understood, in a fixed order: command, measure, events, filters, period.
  // Defaults are said on success; on failure only what the question itself said is shown.
  const failed = problems.length > 0;
  const understood: string[] = [];
  if (f.command) understood.push(say.command[f.command]);
  if (!(failed && how === 'default')) understood.push(describeMeasure(plan, kind, lang, how));
  if (limitWord && limitWord.n > MAX_LIMIT) understood.push(say.clamped);
  if (kind === 'flow') understood.push(say.flows);
  if (f.decision) understood.push(say.decision[f.decision]);
  else if (f.command === 'unblock') understood.push(say.decision.ban);
  if (f.typeLabels.length) understood.push(`${kind === 'decision' ? say.reason : say.type}: ${f.typeLabels.join(', ')}`);
  else if (f.threat && kind === 'alert') understood.push(say.allThreats);
  if (f.serviceLabels.length) understood.push(`${say.service}: ${f.serviceLabels.join(', ')}`);
  if (f.countries.length) understood.push(`${say.country}: ${f.countries.map((c) => V.countryLabel(c, lang)).join(', ')}`);
  if (f.asns.length) understood.push(`ASN: ${f.asns.map((a) => `AS${a}`).join(', ')}`);
  if (f.sources.length) understood.push(`${say.source}: ${f.sources.join(', ')}`);
  if (f.targets.length) understood.push(`${say.target}: ${f.targets.join(', ')}`);
  if (f.nodes.length) understood.push(`${say.node}: ${f.nodes.join(', ')}`);
  if (f.detectors.length) understood.push(`detector: ${f.detectors.join(', ')}`);
  if (f.minScore) understood.push(say.risk(f.minScore.value, f.minScore.high));
  if (filters.blockable) understood.push(say.blockableOnly);
  if (!(failed && f.periods.length === 0)) understood.push(`${say.period}: ${period.label}`);

  if (failed) return { ok: false, language: lang, understood, missing: problems.join(' ') };

  const query: EventQuery = { kind, from: period.from, to: period.to, filters, measure: plan.measure };
  if (plan.groupBy) query.groupBy = plan.groupBy;
  if (plan.bucket) query.bucket = plan.bucket;
  if (plan.limit !== undefined) query.limit = plan.limit;
  const intent = f.command ?? 'ask';
  return { ok: true, language: lang, intent, query, understood, period: period.adverb };
}

/**
 * Which events the question is about. Flow words ask for flows; ports and services do too, as
 * only flows have them, unless the question also names alerts (threats, an attack type) or
 * decisions: then it is refused, saying ports are for flows, rather than answered for a kind
 * it did not name. Attack types and detectors mean nothing for a flow (its type is a service,
 * its detector the flow meter), so flows with one are refused the same way, never answered
 * for flows with the word silently dropped.
 */
function kindOf(f: Findings, lang: Language, problems: string[]): EventKind {
  const say = SAY[lang];
  const decision = f.decision !== undefined || f.command === 'unblock';
  const flowish = f.services.length > 0 || f.serviceDim;
  if (!f.flow && !flowish) return decision ? 'decision' : 'alert';
  if (!f.flow && (decision || f.threat || f.whatThreat || f.types.size > 0)) {
    problems.push(say.servicesAreFlows(decision ? 'decision' : 'alert'));
    return decision ? 'decision' : 'alert';
  }
  if (decision) problems.push(say.flowsAndDecisions(f.decision ?? 'ban'));
  if (f.types.size > 0 || f.detectors.length > 0) problems.push(say.flowsHaveNoType([...f.typeLabels, ...f.detectors.map((d) => `detector ${d}`)]));
  return 'flow';
}

/**
 * A decision's detector is the alert type behind a rule's ban, 'kitnet' for the model's and
 * 'operator' for a manual one (respond/decision.ts), so "bans for SSH brute force" filters on it.
 */
function decisionDetectors(types: string[], words: string[]): string[] {
  const out = new Set<string>();
  for (const t of types) out.add(t === 'anomaly' ? 'kitnet' : t);
  for (const w of words) {
    if (w === 'rules') {
      for (const t of ALERT_TYPES) if (t !== 'anomaly') out.add(t);
    } else {
      out.add(w);
    }
  }
  return [...out];
}

/** Buckets that give a readable number of points over the range. */
function defaultBucket(p: Period): 'minute' | 'hour' | 'day' {
  const span = p.to - p.from;
  return span <= 2 * HOUR ? 'minute' : span <= 2 * DAY ? 'hour' : 'day';
}

function detectLanguage(raw: string, lower: string): Language {
  let es = /[¿¡ñÑáéíóúÁÉÍÓÚ]/.test(raw) ? 2 : 0;
  let en = 0;
  for (const w of lower.split(' ')) {
    if (V.LANGUAGE_MARKERS.es.has(w)) es++;
    if (V.LANGUAGE_MARKERS.en.has(w)) en++;
  }
  return es > en ? 'es' : 'en';
}
