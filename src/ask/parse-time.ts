// Time phrases → the range they name: "hoy", "ayer", "las últimas 2 horas", "hace media hora",
// "since 10:00", "entre las 9 y las 11", "desde el lunes", "this week", "el mes pasado"…
// Clock times and days are read in the question's time zone; weeks and months back are counted
// in days, and said so.

import { BUCKET_MS } from '../store/check-query.ts';
import { ALT } from './alternations.ts';
import type { Ctx, Findings, Period } from './findings.ts';
import { SAY } from './parse-say.ts';
import { lookup, numberOf, type Scanner } from './scanner.ts';
import { hhmm, instantAt } from './time-zone.ts';
import * as V from './vocabulary.ts';
import type { TimeUnit } from './vocabulary.ts';

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

/** Every time phrase in the question; a range named twice is kept once. */
export function scanTime(s: Scanner, f: Findings, ctx: Ctx): void {
  for (const [source, make] of timePatterns(ctx)) {
    s.take(source, (m) => {
      const p = make(m);
      if (!p) return false;
      if (!f.periods.some((q) => q.from === p.from && q.to === p.to)) f.periods.push(p);
    });
  }
}

/**
 * The range asked for (naming two is a problem). Unasked, the last 24 hours; for an unblock,
 * everything stored, as a ban to lift may be old.
 */
export function periodOf(f: Findings, ctx: Ctx, problems: string[]): Period {
  const say = SAY[ctx.lang];
  if (f.periods.length > 1) problems.push(say.twoPeriods(f.periods[0].label, f.periods[1].label));
  return (
    f.periods[0] ??
    (f.command === 'unblock'
      ? { from: 0, to: ctx.now, ...say.allStored } // a ban to lift may be old
      : { from: ctx.now - BUCKET_MS.day, to: ctx.now, label: say.defaultPeriod + say.byDefault, adverb: (ctx.lang === 'es' ? 'en ' : 'in ') + say.defaultPeriod })
  );
}
