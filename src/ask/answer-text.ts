// The answer to a parsed question, in its language, written only from the rows the store
// returned: every count in the text is a cell of a row, a sum of the count column, or how
// many rows there are. Nothing is estimated, and an empty result says so, as does a range the
// store took to whole hours because older events are kept per hour (QueryResult.narrowed).

import { DEFAULT_LIMIT } from '../store/check-query.ts';
import type { EventField, EventQuery } from '../store/event-query.ts';
import type { QueryResult } from '../store/event-row.ts';
import type { ParsedQuestion } from './parse-question.ts';
import { wallClock } from './time-zone.ts';
import * as V from './vocabulary.ts';
import type { Language } from './vocabulary.ts';

export interface AnswerOptions {
  /** Where the rows come from, said at the end ("all 3 nodes", "nodo n2"). */
  scope?: string;
  /** IANA zone for times in trends and lists; default the process's. */
  timeZone?: string;
}

type Cell = string | number | null;

/** Items shown in one sentence at most; the rest is "…" (a top-1000 reads badly whole). */
const MAX_ITEMS = 20;
const MAX_BUCKETS = 48;

const SAY = {
  es: {
    understood: 'Entendí',
    scope: 'Ámbito',
    unknown: 'desconocido',
    none: (what: string) => `No hay ${what}`,
    distinct: (n: number, dim: [string, string]) => `${n} ${n === 1 ? `${dim[0]} distinto` : `${dim[1]} distintos`} con`,
    top: (n: number, dim: [string, string]) => `Top ${n} ${dim[1]} con`,
    by: (dim: string) => `, por ${dim}`,
    byTop: (dim: string, n: number) => `, por ${dim} (los ${n} con más)`,
    per: (bucket: string) => `, por ${bucket}`,
    peak: 'Pico',
    latest: 'los más recientes',
    act: { block: 'bloquear', unblock: 'desbloquear' },
    toAct: (verb: string) => `Direcciones a ${verb} (falta confirmar), con`,
    nothingToAct: (what: string, verb: string) => `Ninguna dirección coincide con ${what}: no hay nada que ${verb}.`,
    risk: 'riesgo',
    from: 'desde', against: 'contra', or: 'o', onNode: (n: string[]) => `en ${n.length > 1 ? 'los nodos' : 'el nodo'} ${n.join(' o ')}`,
    between: (a: string, b: string) => `entre ${a} y ${b}`,
    operator: 'el operador',
    to: 'hacia', on: 'en', packets: 'paquetes',
    unverified: 'orígenes no verificados (quizá falsificados)',
    attempts: (flows: number, sources: number, exact: boolean) =>
      `${flows} ${flows === 1 ? 'flujo' : 'flujos'} de orígenes no verificados (quizá falsificados): ${exact ? '' : 'unos '}${sources} ${sources === 1 ? 'distinto' : 'distintos'}`,
    replies: (port: number) => `respuestas sin contestar desde el puerto ${port}, contadas bajo ese puerto de origen`,
    ports: (n: number) => `${n} ${n === 1 ? 'puerto' : 'puertos'} además de los que tienen fila propia`,
    narrowed: (a: string, b: string) => `(los eventos antiguos se guardan por horas: se cuenta de ${a} a ${b})`,
    noWholeHour: '(los eventos antiguos se guardan por horas y este periodo no abarca ninguna hora entera)',
  },
  en: {
    understood: 'I understood',
    scope: 'Scope',
    unknown: 'unknown',
    none: (what: string) => `No ${what}`,
    distinct: (n: number, dim: [string, string]) => `${n} distinct ${n === 1 ? dim[0] : dim[1]} with`,
    top: (n: number, dim: [string, string]) => `Top ${n} ${dim[1]} with`,
    by: (dim: string) => ` by ${dim}`,
    byTop: (dim: string, n: number) => ` by ${dim} (top ${n})`,
    per: (bucket: string) => ` per ${bucket}`,
    peak: 'Peak',
    latest: 'latest first',
    act: { block: 'block', unblock: 'unblock' },
    toAct: (verb: string) => `Addresses to ${verb} (awaiting confirmation), with`,
    nothingToAct: (what: string, verb: string) => `No address matches ${what}: nothing to ${verb}.`,
    risk: 'risk',
    from: 'from', against: 'against', or: 'or', onNode: (n: string[]) => `on ${n.length > 1 ? 'nodes' : 'node'} ${n.join(' or ')}`,
    between: (a: string, b: string) => `between ${a} and ${b}`,
    operator: 'the operator',
    to: 'to', on: 'on', packets: 'packets',
    unverified: 'spoofed/unverified sources',
    attempts: (flows: number, sources: number, exact: boolean) =>
      `${flows} ${flows === 1 ? 'flow' : 'flows'} from spoofed/unverified sources: ${exact ? '' : 'about '}${sources} distinct`,
    replies: (port: number) => `unanswered replies from port ${port}, counted under that source port`,
    ports: (n: number) => `${n} ${n === 1 ? 'port' : 'ports'} besides those with rows of their own`,
    narrowed: (a: string, b: string) => `(older events are kept per hour: counted from ${a} to ${b})`,
    noWholeHour: '(older events are kept per hour, and this range holds no whole hour)',
  },
} as const;

/** A question it could not map: what was missing, then what it did understand. */
export function refusalText(parsed: Extract<ParsedQuestion, { ok: false }>): string {
  const { understood } = parsed;
  return understood.length > 0 ? `${parsed.missing} ${SAY[parsed.language].understood}: ${understood.join('; ')}.` : parsed.missing;
}

export function answerText(parsed: ParsedQuestion, result: QueryResult, options: AnswerOptions = {}): string {
  if (!parsed.ok) return refusalText(parsed);
  const say = SAY[parsed.language];
  const timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const q = parsed.query;
  const text = new Answer(parsed.language, q, result, timeZone, parsed.period);
  const body = parsed.intent === 'ask' ? text.ask() : text.command(parsed.intent);
  if (!options.scope) return body;
  return `${body}${body.includes('\n') ? '\n' : ' '}${say.scope}: ${options.scope}.`;
}

class Answer {
  private readonly say: (typeof SAY)[Language];
  private readonly count: number;
  /** Whether the range lies within one day of the zone's clock: times in it then need no date. */
  private readonly oneDay: boolean;
  constructor(
    private readonly lang: Language,
    private readonly q: EventQuery,
    private readonly result: QueryResult,
    private readonly timeZone: string,
    private readonly period: string | undefined,
  ) {
    this.say = SAY[lang];
    this.count = countColumn(result);
    const [a, b] = [wallClock(q.from, timeZone), wallClock(q.to - 1, timeZone)];
    this.oneDay = a.year === b.year && a.month === b.month && a.day === b.day;
  }

  ask(): string {
    const rows = this.result.rows;
    switch (this.q.measure) {
      case 'count': {
        if (!this.q.groupBy) {
          const n = rows.length > 0 ? num(rows[0][this.count]) : 0;
          return n === 0 ? this.none() : `${n} ${this.selection(n)}.`;
        }
        if (rows.length === 0) return this.none();
        return this.grouped();
      }
      case 'top': {
        if (rows.length === 0) return this.none();
        const dim = V.dimensionName(this.q.groupBy ?? 'source', this.q.kind, this.lang);
        const lead = rows.length < this.limit() ? this.say.distinct(rows.length, dim) : this.say.top(this.limit(), dim);
        return `${lead} ${this.selection(2)}: ${this.items(this.q.groupBy ?? 'source')}.`;
      }
      case 'trend':
        return rows.length === 0 ? this.none() : this.trend();
      case 'list':
        return rows.length === 0 ? this.none() : this.list();
    }
  }

  command(intent: 'block' | 'unblock'): string {
    const verb = this.say.act[intent];
    if (this.result.rows.length === 0) return this.say.nothingToAct(this.selection(2), verb);
    return `${this.say.toAct(verb)} ${this.selection(2)}: ${this.items('source')}.`;
  }

  private limit(): number {
    return this.q.limit ?? DEFAULT_LIMIT;
  }

  private none(): string {
    return `${this.say.none(this.selection(0))}.`;
  }

  /** "23 fuerza bruta SSH, 15 escaneo…" after the total, or per value when the list may be cut. */
  private grouped(): string {
    const field = this.q.groupBy ?? 'type';
    const dim = V.dimensionName(field, this.q.kind, this.lang)[0];
    const rows = this.result.rows;
    if (rows.length >= this.limit()) {
      // Values past the limit are not in the rows: their sum would not be the total.
      return `${capitalise(this.selection(2))}${this.say.byTop(dim, this.limit())}: ${this.items(field)}.`;
    }
    const total = rows.reduce((sum, r) => sum + num(r[this.count]), 0);
    // One type (or service) asked and one found: the breakdown would only repeat the total.
    if (field === 'type' && rows.length === 1 && this.q.kind !== 'decision' && this.q.filters.type?.length === 1) {
      return `${total} ${this.selection(total)}.`;
    }
    const by = field === 'type' ? '' : this.say.by(dim);
    return `${total} ${this.selection(total)}${by}: ${this.items(field)}.`;
  }

  private items(field: EventField): string {
    const g = valueColumn(this.result.columns, field, this.count);
    const shown = this.result.rows.slice(0, MAX_ITEMS).map((r) => this.item(field, r[g], num(r[this.count])));
    if (this.result.rows.length > MAX_ITEMS) shown.push('…');
    return shown.join(field === 'type' ? ', ' : '; ');
  }

  private item(field: EventField, value: Cell, n: number): string {
    return field === 'type' ? `${n} ${this.value(field, value)}` : `${this.value(field, value)}: ${n}`;
  }

  private value(field: EventField, v: Cell): string {
    if (v === null || v === '') return this.say.unknown;
    switch (field) {
      case 'country':
        return V.countryLabel(String(v), this.lang);
      case 'asn':
        return `AS${v}`;
      case 'type':
        return V.typeLabel(String(v), this.lang);
      case 'source':
        // An aggregate of unverified attempts from several sources is stored under '*'.
        return this.q.kind === 'flow' && v === '*' ? this.say.unverified : String(v);
      default:
        return String(v);
    }
  }

  private trend(): string {
    const { columns, rows } = this.result;
    const bucket = bucketColumn(columns);
    const group = this.q.groupBy ? valueColumn(columns, this.q.groupBy, this.count, bucket) : -1;
    const total = rows.reduce((sum, r) => sum + num(r[this.count]), 0);
    // Rows of one bucket together, in the order the store gave them.
    const byBucket = new Map<string, Array<Array<Cell>>>();
    for (const r of rows) {
      const key = this.time(r[bucket], this.q.bucket === 'day');
      const list = byBucket.get(key) ?? [];
      list.push(r);
      byBucket.set(key, list);
    }
    const parts = [...byBucket].slice(0, MAX_BUCKETS).map(([time, rs]) =>
      group < 0
        ? `${time}: ${rs.reduce((s, r) => s + num(r[this.count]), 0)}`
        : `${time}: ${rs.map((r) => this.item(this.q.groupBy ?? 'type', r[group], num(r[this.count]))).join(', ')}`,
    );
    if (byBucket.size > MAX_BUCKETS) parts.push('…');
    let text = `${total} ${this.selection(total)}${this.say.per(V.UNIT_NAMES[this.q.bucket ?? 'hour'][this.lang][0])}: ${parts.join('; ')}.`;
    if (group < 0 && rows.length > 1) {
      const peak = rows.reduce((best, r) => (num(r[this.count]) > num(best[this.count]) ? r : best));
      text += ` ${this.say.peak}: ${num(peak[this.count])} (${this.time(peak[bucket], this.q.bucket === 'day')}).`;
    }
    return text;
  }

  private list(): string {
    const { columns, rows } = this.result;
    const col = (...names: string[]): number => columns.findIndex((c) => names.includes(c.toLowerCase()));
    const at = col('ts', 'at', 'time', 'timestamp');
    const type = col('type', 'action');
    const src = col('source', 'address', 'src');
    const dst = col('target', 'dst');
    const country = col('country');
    const asn = col('asn');
    const score = col('score');
    const kind = col('kind');
    const detail = col('detail');
    const known = new Set([at, type, src, dst, country, asn, score]);
    const lines = rows.slice(0, MAX_ITEMS).map((r) => {
      const head: string[] = [];
      if (at >= 0 && r[at] !== null) head.push(this.time(r[at], false));
      if (type >= 0 && r[type] !== null) head.push(V.typeLabel(String(r[type]), this.lang));
      const from = src >= 0 && r[src] !== null ? (kind >= 0 && r[kind] === 'flow' ? this.value('source', r[src]) : String(r[src])) : null;
      if (from !== null) head.push(dst >= 0 && r[dst] !== null ? `${from} → ${r[dst]}` : from);
      else if (dst >= 0 && r[dst] !== null) head.push(`→ ${r[dst]}`);
      const extra: string[] = [];
      if (country >= 0 && r[country] !== null) extra.push(String(r[country]));
      if (asn >= 0 && r[asn] !== null) extra.push(`AS${r[asn]}`);
      if (kind >= 0 && detail >= 0 && r[kind] === 'flow') extra.push(...this.flowCounts(r[detail]));
      if (score >= 0 && r[score] !== null) extra.push(`${this.say.risk} ${r[score]}`);
      columns.forEach((c, i) => {
        if (!known.has(i) && !UNSHOWN.has(c.toLowerCase()) && r[i] !== null && r[i] !== '') extra.push(`${c}: ${r[i]}`);
      });
      return `- ${head.join(' ')}${extra.length ? ` (${extra.join(', ')})` : ''}`;
    });
    if (rows.length > MAX_ITEMS) lines.push('- …');
    return `${capitalise(this.selection(2))}, ${this.say.latest}:\n${lines.join('\n')}`;
  }

  /**
   * A flow's size from its detail ("12 packets", "3400 bytes"), for an aggregate of
   * unverified attempts how many flows and sources it stands for (a many-ports row: and how
   * many ports), and for unanswered replies
   * the port they are counted under; nothing when the detail says none.
   */
  private flowCounts(detail: Cell): string[] {
    let d: { packets?: unknown; bytes?: unknown; sport?: unknown; reply?: unknown; attempts?: { flows?: unknown; sources?: unknown; sourcesExact?: unknown; samples?: unknown; ports?: unknown } };
    try {
      d = JSON.parse(String(detail)) as typeof d;
    } catch {
      return [];
    }
    const out: string[] = [];
    const a = d.attempts;
    if (a && typeof a.flows === 'number' && typeof a.sources === 'number') {
      out.push(this.say.attempts(a.flows, a.sources, a.sourcesExact === true));
      if (Array.isArray(a.samples) && a.sources > 1) out.push(`${this.lang === 'es' ? 'p. ej.' : 'e.g.'} ${a.samples.slice(0, 3).join(' ')}`);
      // a target's many-ports row (tcp/*): how many ports it stands for
      if (typeof a.ports === 'number') out.push(this.say.ports(a.ports));
    }
    // an unanswered reply (a reflection's SYN-ACK) is counted under its source port, not where it went
    if (d.reply === true && typeof d.sport === 'number') out.push(this.say.replies(d.sport));
    if (typeof d.packets === 'number') out.push(`${d.packets} ${this.say.packets}`);
    if (typeof d.bytes === 'number') out.push(`${d.bytes} bytes`);
    return out;
  }

  /** "eventos de fuerza bruta SSH de alto riesgo desde China hoy" for n events (plural unless n is 1). */
  private selection(n: number): string {
    const es = this.lang === 'es';
    const f = this.q.filters;
    const [one, many] = this.noun();
    const noun = n === 1 ? one : many;
    let what: string;
    const reasons = this.reasons();
    const high = f.minScore === V.HIGH_RISK_SCORE;
    const risk = f.minScore === undefined ? '' : high ? '' : ` ${es ? 'con riesgo' : 'with risk'} ≥ ${f.minScore}`;
    const flow = this.q.kind === 'flow';
    // A flow's services follow the noun: "flows on port 22", "flujos en tcp/22 o udp/53".
    const services = flow && f.type?.length ? ` ${this.say.on} ${V.servicesLabel(f.type, this.lang)}` : '';
    if (es) {
      what = `${noun}${services}${reasons ? ` ${this.q.kind === 'alert' ? 'de' : 'por'} ${reasons}` : ''}${high ? ' de alto riesgo' : ''}${risk}`;
    } else {
      what = this.q.kind === 'alert'
        ? `${high ? 'high-risk ' : ''}${reasons ? `${reasons} ` : ''}${noun}${risk}`
        : `${high ? 'high-risk ' : ''}${noun}${services}${reasons ? ` for ${reasons}` : ''}${risk}`;
    }
    const origin = [
      (f.country ?? []).map((c) => countryName(c, this.lang)),
      (f.asn ?? []).map((a) => `AS${a}`),
      f.source ?? [],
    ].filter((l) => l.length > 0).map((l) => l.join(` ${this.say.or} `));
    const where: string[] = [];
    if (origin.length) where.push(`${this.say.from} ${origin.join(', ')}`);
    if (f.target?.length) where.push(`${flow ? this.say.to : this.say.against} ${f.target.join(` ${this.say.or} `)}`);
    if (f.node?.length) where.push(this.say.onNode(f.node));
    if (this.q.kind === 'alert' && f.detector?.length) where.push(`(detector ${f.detector.join(` ${this.say.or} `)})`);
    const period = this.period ?? this.range();
    if (period) where.push(period);
    const narrowed = this.narrowed();
    if (narrowed) where.push(narrowed);
    return [what, ...where].join(' ');
  }

  /**
   * When the store answered from hourly rollups, the range it counted, said right after the
   * period it narrows: an hour kept only as a rollup is counted whole or not at all, so the
   * numbers are for whole hours and the answer must not claim the question's own edges.
   */
  private narrowed(): string {
    const n = this.result.narrowed;
    if (!n) return '';
    return n.from < n.to ? this.say.narrowed(this.time(n.from, false), this.time(n.to, false)) : this.say.noWholeHour;
  }

  private noun(): [string, string] {
    const es = this.lang === 'es';
    if (this.q.kind === 'alert') return es ? ['evento', 'eventos'] : ['event', 'events'];
    if (this.q.kind === 'flow') return es ? ['flujo', 'flujos'] : ['flow', 'flows'];
    const action = this.q.filters.type?.length === 1 ? this.q.filters.type[0] : undefined;
    if (action === 'ban') return es ? ['bloqueo', 'bloqueos'] : ['ban', 'bans'];
    if (action === 'unban') return es ? ['desbloqueo', 'desbloqueos'] : ['unban', 'unbans'];
    return es ? ['decisión', 'decisiones'] : ['decision', 'decisions'];
  }

  /** Alert types, or what asked for a decision (its detector: a rule's alert type, the model, the operator). */
  private reasons(): string {
    const f = this.q.filters;
    if (this.q.kind === 'alert') return f.type?.length ? V.typesLabel(f.type, this.lang) : '';
    if (this.q.kind === 'flow') return ''; // a flow's type is its service, said after the noun
    const detectors = f.detector ?? [];
    const types = detectors.filter((d) => V.KNOWN_ALERT_TYPES.has(d));
    const others = detectors.filter((d) => !V.KNOWN_ALERT_TYPES.has(d)).map((d) => (d === 'operator' ? this.say.operator : d));
    return [types.length ? V.typesLabel(types, this.lang) : '', ...others].filter((s) => s !== '').join(', ');
  }

  /** The range in words when the question's own words for it are not at hand. */
  private range(): string {
    if (this.q.from <= 0) return '';
    return this.say.between(this.time(this.q.from, false), this.time(this.q.to, false));
  }

  /** A time cell (ms, seconds as captures keep them, or an ISO instant as trend buckets come) on the zone's clock. */
  private time(v: Cell, dateOnly: boolean): string {
    if (v === null) return this.say.unknown;
    const ms = typeof v === 'number' ? (v < 1e11 ? v * 1000 : v) : ISO_INSTANT.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(ms)) return String(v);
    const w = wallClock(ms, this.timeZone);
    const date = `${w.year}-${pad(w.month)}-${pad(w.day)}`;
    if (dateOnly) return date;
    const time = `${pad(w.hour)}:${pad(w.minute)}`;
    return this.oneDay ? time : `${date} ${time}`;
  }
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Columns a list line leaves out: the store's own bookkeeping, and the detail JSON (too long for a line). */
const UNSHOWN = new Set(['id', 'kind', 'detail']);

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function countryName(code: string, lang: Language): string {
  const label = V.countryLabel(code, lang);
  return label.endsWith(` (${code})`) ? label.slice(0, -code.length - 3) : label;
}

function num(v: Cell | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return 0;
}

/** The column holding the counts: "count" by name, else the last one holding numbers. */
function countColumn(r: QueryResult): number {
  const named = r.columns.findIndex((c) => ['count', 'n', 'events', 'total'].includes(c.toLowerCase()));
  if (named >= 0) return named;
  for (let i = r.columns.length - 1; i >= 0; i--) if (r.rows.every((row) => typeof row[i] === 'number')) return i;
  return r.columns.length - 1;
}

/** The column holding the grouped values: the field's name, else the first that is not the count (or bucket). */
function valueColumn(columns: string[], field: EventField, count: number, bucket = -1): number {
  const named = columns.indexOf(field);
  if (named >= 0) return named;
  const i = columns.findIndex((_, j) => j !== count && j !== bucket);
  return i >= 0 ? i : 0;
}

function bucketColumn(columns: string[]): number {
  const i = columns.findIndex((c) => ['bucket', 'time', 'ts', 't', 'at'].includes(c.toLowerCase()));
  return i >= 0 ? i : 0;
}
