// Measures: what to compute over the events (a count, a count by a field, a top N, a trend, a
// list), from words such as "cuántos", "por país", "qué IPs", "top 5", "tendencia por hora",
// "últimos"; the measure chosen when none is asked; and the measure said back.

import { BUCKET_MS, DEFAULT_LIMIT, MAX_LIMIT } from '../store/check-query.ts';
import type { EventField, EventKind, EventQuery } from '../store/event-query.ts';
import { ALT } from './alternations.ts';
import type { Findings, Period } from './findings.ts';
import { SAY } from './parse-say.ts';
import { addOnce, lookup, numberOf, type Scanner } from './scanner.ts';
import * as V from './vocabulary.ts';
import type { Language } from './vocabulary.ts';

const HOUR = BUCKET_MS.hour;
const DAY = BUCKET_MS.day;

/** A field word; the service words are the type of a flow, and say the question is about flows. */
function dimension(f: Findings, phrase: string): EventField | undefined {
  const dim = lookup(V.DIMENSIONS, phrase);
  if (dim === 'type' && V.isServiceWord(phrase)) f.serviceDim = true;
  return dim;
}

/** A field to group on ("por país", "by type"). */
export function scanGroupBy(s: Scanner, f: Findings): void {
  s.take(`(?:${ALT.group})\\s+(${ALT.dimension})`, (m) => {
    const dim = dimension(f, m[1]);
    if (!dim) return false;
    addOnce(f.groups, dim);
  });
}

/** Buckets and trends, counts (of events, or of distinct values), tops, lists, field words, and a number of rows. */
export function scanMeasures(s: Scanner, f: Findings): void {
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
    const dim = dimension(f, m[1]);
    if (!dim) return false;
    f.distinct = dim;
  });
  s.take(ALT.count, () => {
    f.count = true;
  });
  s.take(`(?:${ALT.what})\\s+(${ALT.dimension})`, (m) => {
    const dim = dimension(f, m[1]);
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
    const dim = dimension(f, m[0]);
    if (!dim) return false;
    addOnce(f.dims, dim);
  });
  // A number left is how many rows: "los 5 países", "last 20 alerts".
  s.take(`(\\d{1,7}|${V.alternation(Object.keys(V.NUMBER_WORDS))})`, (m) => {
    f.limits.push({ n: numberOf(m[1]), original: s.original(m) });
  });
}

export interface Plan {
  measure: EventQuery['measure'];
  groupBy?: EventField;
  bucket?: 'minute' | 'hour' | 'day';
  limit?: number;
}

/** How the measure came about: asked for, the default, a distinct count, or a command's selection. */
export type How = 'asked' | 'default' | 'distinct' | 'command';

export interface Measure {
  plan: Plan;
  how: How;
  /** The fields named to group on or count (more than one is a problem). */
  dims: EventField[];
  /** A number of rows asked for ("top 5", "los 10 países"), unless nothing here could use it. */
  limitWord?: { n: number; original: string };
}

/** Which measure, on which field, with how many rows; what cannot be measured goes to `problems`. */
export function measureOf(f: Findings, kind: EventKind, period: Period, lang: Language, problems: string[]): Measure {
  const say = SAY[lang];
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
  return { plan, how, dims, limitWord };
}

export function describeMeasure(p: Plan, kind: EventKind, lang: Language, how: How): string {
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

/** Buckets that give a readable number of points over the range. */
function defaultBucket(p: Period): 'minute' | 'hour' | 'day' {
  const span = p.to - p.from;
  return span <= 2 * HOUR ? 'minute' : span <= 2 * DAY ? 'hour' : 'day';
}
