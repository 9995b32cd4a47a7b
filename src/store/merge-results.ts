// One answer from many nodes' answers to the same query (scatter-gather across a cluster):
// counts add up, groups and buckets add up by value, lists interleave newest first, and the
// result is ordered and cut as one engine would (evaluate-query.ts). Exact for count, trend
// and list; for top-N and grouped counts exact as long as no node has more distinct values
// than it returned (each node is asked for MAX_LIMIT groups) — `partial` says when one did.

import type { EventQuery } from './event-query.ts';
import type { QueryResult } from './event-row.ts';
import { compareValues, limitOf, MAX_LIMIT, trendRows, type TrendCell } from './evaluate-query.ts';

type Value = string | number | null;

/** The query each node runs: grouped answers uncut, so the merged top N is right. */
export function perNodeQuery(q: EventQuery): EventQuery {
  return q.groupBy && q.measure !== 'list' ? { ...q, limit: MAX_LIMIT } : q;
}

export function mergeResults(q: EventQuery, parts: readonly QueryResult[]): { result: QueryResult; partial: boolean } {
  const merged = mergeRows(q, parts);
  const narrowed = mergeNarrowed(parts);
  if (narrowed) merged.result.narrowed = narrowed;
  return merged;
}

/**
 * Where any node took the range to whole hours (its older events are kept per hour), the
 * merged answer says so, with the narrowest range any node used: every node counted at least
 * that range, and the answer must not claim more.
 */
function mergeNarrowed(parts: readonly QueryResult[]): QueryResult['narrowed'] {
  let out: QueryResult['narrowed'];
  for (const p of parts) {
    const n = p.narrowed;
    if (!n) continue;
    out = out ? { from: Math.max(out.from, n.from), to: Math.min(out.to, n.to), reason: out.reason } : { ...n };
  }
  if (out && out.to < out.from) out.to = out.from;
  return out;
}

function mergeRows(q: EventQuery, parts: readonly QueryResult[]): { result: QueryResult; partial: boolean } {
  const first = parts[0];
  if (!first) throw new RangeError('mergeResults needs at least one answer');
  const columns = first.columns;
  switch (q.measure) {
    case 'count':
    case 'top': {
      if (q.measure === 'count' && !q.groupBy) return { result: { columns, rows: [[parts.reduce((n, p) => n + Number(p.rows[0]?.[0] ?? 0), 0)]] }, partial: false };
      // A grouped count merges as a top list does.
      const m = new Map<Value, number>();
      let partial = false;
      for (const p of parts) {
        if (p.rows.length >= MAX_LIMIT) partial = true;
        for (const [v, n] of p.rows) m.set(v ?? null, (m.get(v ?? null) ?? 0) + Number(n));
      }
      const rows = [...m].sort((a, b) => b[1] - a[1] || compareValues(a[0], b[0])).slice(0, limitOf(q));
      return { result: { columns, rows }, partial };
    }
    case 'trend': {
      const grouped = columns.length === 3;
      const m = new Map<string, TrendCell>();
      let partial = false;
      for (const p of parts) {
        if (grouped && p.rows.length > 0 && new Set(p.rows.map((r) => r[1])).size >= MAX_LIMIT) partial = true;
        for (const row of p.rows) {
          const bucket = String(row[0]);
          const value = grouped ? (row[1] ?? null) : null;
          const key = `${bucket}\u0000${value}`;
          const n = Number(row[row.length - 1]);
          const e = m.get(key);
          if (e) e.count += n;
          else m.set(key, { bucket, value, count: n });
        }
      }
      const cells = [...m.values()];
      const rows = grouped ? trendRows(cells, limitOf(q)) : cells.sort((a, b) => compareValues(a.bucket, b.bucket)).map((c) => [c.bucket, c.count]);
      return { result: { columns, rows }, partial };
    }
    case 'list': {
      const at = columns.indexOf('at');
      const id = columns.indexOf('id');
      const rows = parts
        .flatMap((p) => p.rows)
        .sort((a, b) => Number(b[at]) - Number(a[at]) || Number(b[id]) - Number(a[id]))
        .slice(0, limitOf(q));
      return { result: { columns, rows }, partial: false };
    }
  }
}
