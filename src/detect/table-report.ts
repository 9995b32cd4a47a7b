// The bounded tables of a shard (flow features, rules, flow meter), reported beside the
// actors' counters: each table's entries and its bound, which comes from the config. They
// reach the tree (GET /api/tree, the dashboard) as counters `table.NAME` and
// `table.NAME.bound`, and /metrics as autoimmune_table_entries and autoimmune_table_bound.

/** A table with a fixed bound: entries now (`size`), at most `capacity`. */
export interface BoundedTable {
  readonly size: number;
  readonly capacity: number;
}

const PREFIX = 'table.';
const BOUND = '.bound';

/** Adds `table.NAME` (entries) and `table.NAME.bound` for each table to `out`. */
export function tableCounters(tables: Readonly<Record<string, BoundedTable>>, out: Record<string, number> = {}): Record<string, number> {
  for (const [name, t] of Object.entries(tables)) {
    out[PREFIX + name] = t.size;
    out[PREFIX + name + BOUND] = t.capacity;
  }
  return out;
}

/** The table a counter of tableCounters names, and whether it is the bound; null for other counters. */
export function tableOfCounter(key: string): { table: string; bound: boolean } | null {
  if (!key.startsWith(PREFIX)) return null;
  const bound = key.endsWith(BOUND);
  return { table: key.slice(PREFIX.length, bound ? -BOUND.length : undefined), bound };
}
