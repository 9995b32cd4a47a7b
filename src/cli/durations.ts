// Durations on the command line: read (`--ttl 2h`) and written (`1h 59m` left).

import { UsageError } from '../errors.ts';

/** Seconds of `600`, `600s`, `10m`, `2h`, `1d`; undefined stays undefined. */
export function parseTtl(v: string | undefined, flag = '--ttl'): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(s|m|h|d)?$/.exec(v);
  if (!m) throw new UsageError(`${flag} must be a duration such as 600, 600s, 10m, 2h or 1d, got ${JSON.stringify(v)}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's'];
}

/** Seconds as its two largest units: `6d 23h`, `1h 59m`, `9m 5s`, `42s`. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return r > 0 ? `${m}m ${r}s` : `${m}m`;
  return `${r}s`;
}

/** A wall-clock time as `2024-05-01 14:03:07Z` (UTC, as the dashboard and the status page). */
export function utcTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
