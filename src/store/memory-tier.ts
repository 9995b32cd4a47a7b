// The event store's memory tier as columns (row-columns.ts): the last minutes of rows, oldest first, held as
// one Float64Array for the numbers (id, at, score, n, asn), one Uint32Array of codes for the
// repeated words (type, country, node, detector: each distinct one held once), and a dense
// array for each of source, target and detail, not as an EventRow object each. A row costs
// its values: 40 bytes of numbers, 17 of codes and kind, three references and its own
// strings (a run's rows: 346 bytes where an object each was 434, bench/node/
// memory-tier-bytes.ts). Rows are made again only for a query, and only those of its kind and
// time range.

import type { EventKind } from './event-query.ts';
import type { EventRow } from './event-row.ts';
import { KIND_CODES, NUM_FIELDS as NUM, RowRing, rowAt } from './row-columns.ts';

export class MemoryTier extends RowRing {
  /** Alerts' vectors by row id (few rows have one). */
  private readonly features = new Map<number, Float32Array>();
  /** Called with the id of each row with a vector that goes (a store with no database forgets it in the similarity index). */
  onForget: ((id: number) => void) | null = null;

  push(r: EventRow): void {
    this.append(r);
    if (r.features) this.features.set(r.id, r.features);
  }

  /** The time of the oldest row held (undefined when none). */
  oldestAt(): number | undefined {
    return this.size > 0 ? this.c.num[this.head * NUM + 1] : undefined;
  }

  /** Lets the oldest rows go: those before `horizon`, then as many as keep at most `maxRows`. */
  evict(horizon: number, maxRows = Infinity): void {
    while (this.head < this.end && this.c.num[this.head * NUM + 1]! < horizon) this.drop();
    while (this.end - this.head > maxRows) this.drop();
  }

  private drop(): void {
    const i = this.head++;
    // The strings and the vector go with the row (the slots are reused once the rows held move to the front).
    this.c.source[i] = this.c.target[i] = this.c.detail[i] = '';
    if (this.features.size > 0) {
      const id = this.c.num[i * NUM]!;
      if (this.features.delete(id)) this.onForget?.(id);
    }
  }

  /** Row i (head ≤ i < end) as an EventRow, as it was pushed (`n` only when not 1). */
  private row(i: number): EventRow {
    const id = this.c.num[i * NUM]!;
    return rowAt(this.c, i, this.words.words, this.features.size > 0 ? this.features.get(id) : undefined);
  }

  /** The alerts held whose id is in `ids`, oldest first: only those rows are made. */
  *alertsById(ids: ReadonlySet<number>): Iterable<EventRow> {
    const code = KIND_CODES.get('alert')!;
    for (let i = this.head; i < this.end; i++) {
      if (this.c.kind[i] === code && ids.has(this.c.num[i * NUM]!)) yield this.row(i);
    }
  }

  /**
   * The rows held, oldest first, made for the caller; with `kind`, only that kind's, and with
   * `from`/`to`, only those at from ≤ at < to (what a query can match).
   */
  *rows(kind?: EventKind, from = -Infinity, to = Infinity): Iterable<EventRow> {
    const code = kind === undefined ? -1 : KIND_CODES.get(kind)!;
    for (let i = this.head; i < this.end; i++) {
      if (code >= 0 && this.c.kind[i] !== code) continue;
      const at = this.c.num[i * NUM + 1]!;
      if (at < from || at >= to) continue;
      yield this.row(i);
    }
  }
}
