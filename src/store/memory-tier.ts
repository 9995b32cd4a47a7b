// The event store's memory tier as columns: the last minutes of rows, oldest first, held as
// one Float64Array for the numbers (id, at, score, n, asn), one Uint32Array of codes for the
// repeated words (type, country, node, detector: each distinct one held once), and a dense
// array for each of source, target and detail, not as an EventRow object each. A row costs
// its values: 40 bytes of numbers, 17 of codes and kind, three references and its own
// strings (a run's rows: 346 bytes where an object each was 434, bench/node/
// memory-tier-bytes.ts). Rows are made again only for a query, and only those of its kind and
// time range.

import { EVENT_KINDS, type EventKind } from './event-query.ts';
import type { EventRow } from './event-row.ts';

/** Numbers per row: id, at, score, n, asn (NaN: none). */
const NUM = 5;
/** Word codes per row: type, country (0: null), node, detector. */
const WORDS = 4;
const FIRST_CAPACITY = 1024;

const KIND_CODES = new Map<EventKind, number>(EVENT_KINDS.map((k, i) => [k, i]));

/**
 * The distinct words of the word columns, each with its code, kept for the tier's life: they
 * are bounded by what they name (services: a protocol and a port, alert types, actions,
 * countries, the cluster's nodes, the detectors), a few thousand in practice.
 */
class Words {
  private readonly codes = new Map<string | null, number>([[null, 0]]);
  readonly words: (string | null)[] = [null];
  code(s: string | null): number {
    let c = this.codes.get(s);
    if (c === undefined) {
      c = this.words.length;
      this.codes.set(s, c);
      this.words.push(s);
    }
    return c;
  }
}

export class MemoryTier {
  private num = new Float64Array(FIRST_CAPACITY * NUM);
  private code = new Uint32Array(FIRST_CAPACITY * WORDS);
  private kind = new Uint8Array(FIRST_CAPACITY);
  private source: string[] = [];
  private target: string[] = [];
  private detail: string[] = [];
  /** Alerts' vectors by row id (few rows have one). */
  private readonly features = new Map<number, Float32Array>();
  private readonly words = new Words();
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
    const w = i * WORDS;
    this.code[w] = this.words.code(r.type);
    this.code[w + 1] = this.words.code(r.country);
    this.code[w + 2] = this.words.code(r.node);
    this.code[w + 3] = this.words.code(r.detector);
    this.kind[i] = KIND_CODES.get(r.kind)!;
    this.source[i] = r.source;
    this.target[i] = r.target;
    this.detail[i] = r.detail;
    if (r.features) this.features.set(r.id, r.features);
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
    if (this.features.size > 0) this.features.delete(this.num[i * NUM]!);
  }

  /** Moves the rows held to the front, or doubles the columns when they are more than half full. */
  private makeRoom(): void {
    const held = this.size;
    const capacity = this.kind.length;
    if (held * 2 > capacity) {
      const num = new Float64Array(capacity * 2 * NUM);
      num.set(this.num.subarray(this.head * NUM, this.end * NUM));
      this.num = num;
      const code = new Uint32Array(capacity * 2 * WORDS);
      code.set(this.code.subarray(this.head * WORDS, this.end * WORDS));
      this.code = code;
      const kind = new Uint8Array(capacity * 2);
      kind.set(this.kind.subarray(this.head, this.end));
      this.kind = kind;
    } else {
      this.num.copyWithin(0, this.head * NUM, this.end * NUM);
      this.code.copyWithin(0, this.head * WORDS, this.end * WORDS);
      this.kind.copyWithin(0, this.head, this.end);
    }
    for (const col of [this.source, this.target, this.detail]) col.splice(0, this.head);
    this.head = 0;
    this.end = held;
  }

  /** Row i (head ≤ i < end) as an EventRow, as it was pushed (`n` only when not 1). */
  private row(i: number): EventRow {
    const o = i * NUM;
    const w = i * WORDS;
    const words = this.words.words;
    const asn = this.num[o + 4]!;
    const r: EventRow = {
      id: this.num[o]!, kind: EVENT_KINDS[this.kind[i]!]!, at: this.num[o + 1]!, type: words[this.code[w]!]!, source: this.source[i]!,
      target: this.target[i]!, country: words[this.code[w + 1]!]!, asn: Number.isNaN(asn) ? null : asn, score: this.num[o + 2]!,
      node: words[this.code[w + 2]!]!, detector: words[this.code[w + 3]!]!, detail: this.detail[i]!,
    };
    if (this.num[o + 3] !== 1) r.n = this.num[o + 3]!;
    const f = this.features.size > 0 ? this.features.get(r.id) : undefined;
    if (f) r.features = f;
    return r;
  }

  /** The alerts held whose id is in `ids`, oldest first: only those rows are made. */
  *alertsById(ids: ReadonlySet<number>): Iterable<EventRow> {
    const code = KIND_CODES.get('alert')!;
    for (let i = this.head; i < this.end; i++) {
      if (this.kind[i] === code && ids.has(this.num[i * NUM]!)) yield this.row(i);
    }
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
