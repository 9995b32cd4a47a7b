// Wall-clock time in an IANA zone: what "hoy", "since 10:00" or "the previous month" mean where
// the operator is, and how answers write an instant back.

import { AutoimmuneError } from '../errors.ts';

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
export function instantAt(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
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

/** Throws BadTimeZoneError unless `timeZone` is an IANA zone name. */
export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new BadTimeZoneError(`time zone ${JSON.stringify(timeZone)} is not an IANA zone name; use one such as "Europe/Madrid" or "UTC"`);
  }
}

/** "09:05". */
export const hhmm = (h: number, m: number): string => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
