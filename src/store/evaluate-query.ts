// An EventQuery run over rows in memory: the memory tier's engine (the last minutes), and the
// reference the database backends are checked against in the tests. Ordering is part of the
// answer, so every engine orders alike: counts largest first, ties by value (text order,
// nulls last); trends by bucket, then largest first (a grouped trend keeps its `limit` most
// frequent values); lists newest first (time, then id).

import { contains, parseCidr, type Cidr } from '../respond/cidr.ts';
import { BUCKET_MS, DEFAULT_LIMIT, MAX_LIMIT, checkQuery, type AddressValue, type CheckedQuery } from './check-query.ts';
import type { EventField, EventQuery } from './event-query.ts';
import { isFloodAlertType } from '../detect/alert.ts';
import { NOT_BLOCKABLE_DETAIL, ROW_COLUMNS, type EventRow, type QueryResult } from './event-row.ts';

export { MAX_LIMIT } from './check-query.ts';

/** The start of `at`'s bucket as ISO text (UTC). */
export function bucketOf(at: number, bucket: keyof typeof BUCKET_MS): string {
  return new Date(Math.floor(at / BUCKET_MS[bucket]) * BUCKET_MS[bucket]).toISOString();
}

export function limitOf(q: EventQuery): number {
  return Math.min(MAX_LIMIT, Math.max(1, q.limit ?? DEFAULT_LIMIT));
}

/** Whether a stored address (or text, '*') is among an address filter's values. */
function addressMatcher(values: AddressValue[] | undefined): ((address: string) => boolean) | undefined {
  if (!values || values.length === 0) return undefined;
  const nets = values.filter((v): v is Cidr => typeof v !== 'string');
  const texts = new Set(values.filter((v): v is string => typeof v === 'string'));
  return (address) => {
    if (texts.has(address)) return true;
    if (nets.length === 0) return false;
    let c: Cidr;
    try {
      c = parseCidr(address);
    } catch {
      return false;
    }
    return nets.some((n) => contains(n, c));
  };
}

/** Whether a stored alert was marked not blockable (an alert stored before the mark counts as blockable). */
function notBlockable(r: EventRow): boolean {
  return r.detail.includes(NOT_BLOCKABLE_DETAIL);
}

/** A predicate for the query's kind, time range and filters. */
export function matcher(c: CheckedQuery): (r: EventRow) => boolean {
  const { q } = c;
  const f = q.filters;
  const sources = addressMatcher(c.sources);
  const targets = addressMatcher(c.targets);
  // An empty list constrains nothing, as in the databases.
  const set = <T>(list: T[] | undefined) => (list && list.length > 0 ? new Set(list) : undefined);
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
    (!f.blockable || !notBlockable(r)) &&
    (!f.realSource || !(isFloodAlertType(r.type) && notBlockable(r))) &&
    (!sources || sources(r.source)) &&
    (!targets || targets(r.target));
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
    m.set(k, (m.get(k) ?? 0) + (r.n ?? 1));
  }
  return [...m];
}

export interface TrendCell {
  bucket: string;
  value: Value;
  count: number;
}

/**
 * A grouped trend's rows: only the `limit` values with the most events over the whole range
 * (ties by value), per bucket in time order, largest count first.
 */
export function trendRows(cells: readonly TrendCell[], limit: number): Array<[string, Value, number]> {
  const totals = new Map<Value, number>();
  for (const c of cells) totals.set(c.value, (totals.get(c.value) ?? 0) + c.count);
  const kept = new Set(
    [...totals]
      .sort((a, b) => b[1] - a[1] || compareValues(a[0], b[0]))
      .slice(0, limit)
      .map(([v]) => v),
  );
  return cells
    .filter((c) => kept.has(c.value))
    .sort((a, b) => compareValues(a.bucket, b.bucket) || b.count - a.count || compareValues(a.value, b.value))
    .map((c) => [c.bucket, c.value, c.count]);
}

/** Runs a query over `all`; throws StoreQueryError for a query no engine would run (checkQuery). */
export function evaluateQuery(all: Iterable<EventRow>, query: EventQuery): QueryResult {
  const c = checkQuery(query);
  const { q } = c;
  const match = matcher(c);
  const rows: EventRow[] = [];
  for (const r of all) if (match(r)) rows.push(r);
  const field = (g: EventField) => (r: EventRow): Value => r[g];
  switch (q.measure) {
    case 'count':
    case 'top': {
      // top always has a groupBy (checkQuery); a grouped count is the same list.
      if (!q.groupBy) return { columns: ['count'], rows: [[rows.reduce((s, r) => s + (r.n ?? 1), 0)]] };
      const groups = countBy(rows, field(q.groupBy)).sort((a, b) => b[1] - a[1] || compareValues(a[0], b[0]));
      return { columns: [q.groupBy, 'count'], rows: groups.slice(0, c.limit) };
    }
    case 'trend': {
      const bucket = q.bucket ?? 'hour';
      const g = q.groupBy;
      const cells: TrendCell[] = [];
      const m = new Map<string, TrendCell>();
      for (const r of rows) {
        const b = bucketOf(r.at, bucket);
        const value = g ? r[g] : null;
        const k = `${b}\u0000${value}`;
        const e = m.get(k);
        if (e) e.count += r.n ?? 1;
        else {
          const c = { bucket: b, value, count: r.n ?? 1 };
          m.set(k, c);
          cells.push(c);
        }
      }
      if (!g) return { columns: ['bucket', 'count'], rows: cells.sort((a, b) => compareValues(a.bucket, b.bucket)).map((e) => [e.bucket, e.count]) };
      return { columns: ['bucket', g, 'count'], rows: trendRows(cells, c.limit) };
    }
    case 'list': {
      rows.sort((a, b) => b.at - a.at || b.id - a.id);
      return { columns: [...ROW_COLUMNS], rows: rows.slice(0, c.limit).map((r) => ROW_COLUMNS.map((col) => r[col])) };
    }
  }
}
