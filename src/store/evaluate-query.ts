// An EventQuery run over rows in memory: the memory tier's engine (the last minutes), and the
// reference the database backends are checked against in the tests. Ordering is part of the
// answer, so every engine orders alike: counts largest first, ties by value (text order,
// nulls last); trends by bucket, then value; lists newest first (time, then id).

import { contains, parseCidr, type Cidr } from '../respond/cidr.ts';
import type { EventField, EventQuery } from './event-query.ts';
import { ROW_COLUMNS, type EventRow, type QueryResult } from './event-row.ts';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;

const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** The start of `at`'s bucket as ISO text (UTC). */
export function bucketOf(at: number, bucket: keyof typeof BUCKET_MS): string {
  return new Date(Math.floor(at / BUCKET_MS[bucket]) * BUCKET_MS[bucket]).toISOString();
}

export function limitOf(q: EventQuery): number {
  return Math.min(MAX_LIMIT, Math.max(1, q.limit ?? DEFAULT_LIMIT));
}

/** A predicate for the query's kind, time range and filters. */
export function matcher(q: EventQuery): (r: EventRow) => boolean {
  const f = q.filters;
  const nets = (list: string[] | undefined): Cidr[] | undefined => list?.map((x) => parseCidr(x));
  const sources = nets(f.source);
  const targets = nets(f.target);
  const inAny = (list: Cidr[], address: string) => {
    let c: Cidr;
    try {
      c = parseCidr(address);
    } catch {
      return false; // '*' (no single target) and the like
    }
    return list.some((n) => contains(n, c));
  };
  const set = <T>(list: T[] | undefined) => (list ? new Set(list) : undefined);
  const types = set(f.type);
  const countries = set(f.country);
  const asns = set(f.asn);
  const nodes = set(f.node);
  const detectors = set(f.detector);
  return (r) =>
    r.kind === q.kind &&
    r.at >= q.from &&
    r.at < q.to &&
    (!types || types.has(r.type)) &&
    (!countries || (r.country !== null && countries.has(r.country))) &&
    (!asns || (r.asn !== null && asns.has(r.asn))) &&
    (!nodes || nodes.has(r.node)) &&
    (!detectors || detectors.has(r.detector)) &&
    (f.minScore === undefined || r.score >= f.minScore) &&
    (!sources || inAny(sources, r.source)) &&
    (!targets || inAny(targets, r.target));
}

type Value = string | number | null;

/** Text order with nulls last: the order every engine uses to break ties. */
export function compareValues(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

function countBy(rows: EventRow[], key: (r: EventRow) => Value): Array<[Value, number]> {
  const m = new Map<Value, number>();
  for (const r of rows) {
    const k = key(r);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m];
}

export function evaluateQuery(all: Iterable<EventRow>, q: EventQuery): QueryResult {
  const match = matcher(q);
  const rows: EventRow[] = [];
  for (const r of all) if (match(r)) rows.push(r);
  const field = (g: EventField) => (r: EventRow): Value => r[g];
  switch (q.measure) {
    case 'count': {
      if (!q.groupBy) return { columns: ['count'], rows: [[rows.length]] };
      const groups = countBy(rows, field(q.groupBy)).sort((a, b) => b[1] - a[1] || compareValues(a[0], b[0]));
      return { columns: [q.groupBy, 'count'], rows: groups.slice(0, limitOf(q)) };
    }
    case 'top': {
      const g = q.groupBy ?? 'source';
      const groups = countBy(rows, field(g)).sort((a, b) => b[1] - a[1] || compareValues(a[0], b[0]));
      return { columns: [g, 'count'], rows: groups.slice(0, limitOf(q)) };
    }
    case 'trend': {
      const bucket = q.bucket ?? 'hour';
      const g = q.groupBy;
      const m = new Map<string, { bucket: string; value: Value; count: number }>();
      for (const r of rows) {
        const b = bucketOf(r.at, bucket);
        const value = g ? r[g] : null;
        const k = `${b}\u0000${value}`;
        const e = m.get(k);
        if (e) e.count++;
        else m.set(k, { bucket: b, value, count: 1 });
      }
      const list = [...m.values()].sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : compareValues(a.value, b.value)));
      return g ? { columns: ['bucket', g, 'count'], rows: list.map((e) => [e.bucket, e.value, e.count]) } : { columns: ['bucket', 'count'], rows: list.map((e) => [e.bucket, e.count]) };
    }
    case 'list': {
      rows.sort((a, b) => b.at - a.at || b.id - a.id);
      return { columns: [...ROW_COLUMNS], rows: rows.slice(0, limitOf(q)).map((r) => ROW_COLUMNS.map((c) => r[c])) };
    }
  }
}
