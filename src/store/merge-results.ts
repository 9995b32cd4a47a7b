// One answer from many nodes' answers to the same query (scatter-gather across a cluster):
// counts add up, groups and buckets add up by value, lists interleave newest first, and the
// result is ordered and cut as one engine would (evaluate-query.ts). Exact for count, trend
// and list; for top-N and grouped counts exact as long as no node has more distinct values
// than it returned (each node is asked for MAX_LIMIT groups) — `partial` says when one did.

import type { EventQuery } from './event-query.ts';
import type { QueryResult } from './event-row.ts';
import { compareValues, limitOf, MAX_LIMIT } from './evaluate-query.ts';

type Value = string | number | null;

/** The query each node runs: grouped answers uncut, so the merged top N is right. */
export function perNodeQuery(q: EventQuery): EventQuery {
  return q.measure === 'top' || (q.measure === 'count' && q.groupBy) ? { ...q, limit: MAX_LIMIT } : q;
}

export function mergeResults(q: EventQuery, parts: readonly QueryResult[]): { result: QueryResult; partial: boolean } {
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
      const m = new Map<string, Array<Value>>();
      for (const p of parts) {
        for (const row of p.rows) {
          const key = grouped ? `${row[0]}\u0000${row[1]}` : String(row[0]);
          const e = m.get(key);
          const n = Number(row[row.length - 1]);
          if (e) e[e.length - 1] = Number(e[e.length - 1]) + n;
          else m.set(key, [...row]);
        }
      }
      const rows = [...m.values()].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : grouped ? compareValues(a[1]!, b[1]!) : 0));
      return { result: { columns, rows }, partial: false };
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
