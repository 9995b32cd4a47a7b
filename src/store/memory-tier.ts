// The event store's memory tier as columns: the last minutes of rows, oldest first, held as
// one Float64Array for the numbers (id, at, score, n, asn) and a dense array per text column,
// not as an EventRow object each. A row object with a dozen fields cost about 150 bytes
// besides its values (the object, its boxed numbers, a fresh 'tcp/443' for each flow row);
// here a row costs its values: 40 bytes of numbers, its strings, and the repeated words
// (kind, type, country, node, detector) held once. Rows are made again only for a query, and
// only those of its kind and time range.

import { EVENT_KINDS, type EventKind } from './event-query.ts';
import type { EventRow } from './event-row.ts';

/** Numbers per row: id, at, score, n, asn (NaN: none). */
const NUM = 5;
const FIRST_CAPACITY = 1024;
/**
 * Distinct words kept once per column: types are services ('tcp/443'), alert types and
 * actions; past this many (a flood of distinct ports) new ones are held as they come.
 */
const MAX_WORDS = 65_536;

const KIND_CODES = new Map<EventKind, number>(EVENT_KINDS.map((k, i) => [k, i]));

/** One string per distinct value, so 35,000 rows of 'tcp/443' hold one. */
class Words {
  private readonly seen = new Map<string, string>();
  get(s: string): string {
    const held = this.seen.get(s);
    if (held !== undefined) return held;
    if (this.seen.size < MAX_WORDS) this.seen.set(s, s);
    return s;
  }
}

export class MemoryTier {
  private num = new Float64Array(FIRST_CAPACITY * NUM);
  private kind = new Uint8Array(FIRST_CAPACITY);
  private type: string[] = [];
  private source: string[] = [];
  private target: string[] = [];
  private country: (string | null)[] = [];
  private node: string[] = [];
  private detector: string[] = [];
  private detail: string[] = [];
  /** An alert's vector, or null (most rows). */
  private features: (Float32Array | null)[] = [];
  private readonly words = { type: new Words(), country: new Words(), node: new Words(), detector: new Words() };
  /** Rows before head are gone; rows head … end - 1 are held. */
  private head = 0;
  private end = 0;

  /** Rows held. */
  get size(): number {
    return this.end - this.head;
  }

  push(r: EventRow): void {
    if (this.end === this.kind.length) this.makeRoom();
    const i = this.end++;
    const o = i * NUM;
    this.num[o] = r.id;
    this.num[o + 1] = r.at;
    this.num[o + 2] = r.score;
    this.num[o + 3] = r.n ?? 1;
    this.num[o + 4] = r.asn ?? Number.NaN;
    this.kind[i] = KIND_CODES.get(r.kind)!;
    this.type[i] = this.words.type.get(r.type);
    this.source[i] = r.source;
    this.target[i] = r.target;
    this.country[i] = r.country === null ? null : this.words.country.get(r.country);
    this.node[i] = this.words.node.get(r.node);
    this.detector[i] = this.words.detector.get(r.detector);
    this.detail[i] = r.detail;
    this.features[i] = r.features ?? null;
  }

  /** The time of the oldest row held (undefined when none). */
  oldestAt(): number | undefined {
    return this.size > 0 ? this.num[this.head * NUM + 1] : undefined;
  }

  /** Lets the oldest rows go: those before `horizon`, then as many as keep at most `maxRows`. */
  evict(horizon: number, maxRows = Infinity): void {
    while (this.head < this.end && this.num[this.head * NUM + 1]! < horizon) this.drop();
    while (this.end - this.head > maxRows) this.drop();
  }

  private drop(): void {
    const i = this.head++;
    // The strings and the vector go with the row (the slots are reused after makeRoom).
    this.source[i] = this.target[i] = this.detail[i] = '';
    this.features[i] = null;
  }

  /** Moves the rows held to the front, or doubles the columns when they are more than half full. */
  private makeRoom(): void {
    const held = this.size;
    const capacity = this.kind.length;
    if (held * 2 > capacity) {
      const num = new Float64Array(capacity * 2 * NUM);
      num.set(this.num.subarray(this.head * NUM, this.end * NUM));
      this.num = num;
      const kind = new Uint8Array(capacity * 2);
      kind.set(this.kind.subarray(this.head, this.end));
      this.kind = kind;
    } else {
      this.num.copyWithin(0, this.head * NUM, this.end * NUM);
      this.kind.copyWithin(0, this.head, this.end);
    }
    for (const col of [this.type, this.source, this.target, this.country, this.node, this.detector, this.detail, this.features] as unknown[][]) {
      col.splice(0, this.head);
    }
    this.head = 0;
    this.end = held;
  }

  /** Row i (head ≤ i < end) as an EventRow, as it was pushed (`n` only when not 1). */
  private row(i: number): EventRow {
    const o = i * NUM;
    const asn = this.num[o + 4]!;
    const r: EventRow = {
      id: this.num[o]!, kind: EVENT_KINDS[this.kind[i]!]!, at: this.num[o + 1]!, type: this.type[i]!, source: this.source[i]!,
      target: this.target[i]!, country: this.country[i]!, asn: Number.isNaN(asn) ? null : asn, score: this.num[o + 2]!,
      node: this.node[i]!, detector: this.detector[i]!, detail: this.detail[i]!,
    };
    if (this.num[o + 3] !== 1) r.n = this.num[o + 3]!;
    const f = this.features[i];
    if (f) r.features = f;
    return r;
  }

  /**
   * The rows held, oldest first, made for the caller; with `kind`, only that kind's, and with
   * `from`/`to`, only those at from ≤ at < to (what a query can match).
   */
  *rows(kind?: EventKind, from = -Infinity, to = Infinity): Iterable<EventRow> {
    const code = kind === undefined ? -1 : KIND_CODES.get(kind)!;
    for (let i = this.head; i < this.end; i++) {
      if (code >= 0 && this.kind[i] !== code) continue;
      const at = this.num[i * NUM + 1]!;
      if (at < from || at >= to) continue;
      yield this.row(i);
    }
  }
}
