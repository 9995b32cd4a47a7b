// A fixed-size ring of the most recent items: O(1) push, the oldest overwritten.

export class Ring<T> {
  private readonly items: Array<T | undefined>;
  private next = 0;
  private filled = 0;
  /** Items ever pushed. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a whole number >= 1, got ${capacity}`);
    this.items = new Array(capacity);
  }

  get size(): number {
    return this.filled;
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
    this.total++;
  }

  /** Up to `limit` items, newest first. */
  recent(limit = this.capacity): T[] {
    const n = Math.min(Math.max(0, Math.floor(limit)), this.filled);
    const out = new Array<T>(n);
    for (let k = 0; k < n; k++) out[k] = this.items[(this.next - 1 - k + this.capacity) % this.capacity]!;
    return out;
  }

  /** Item number `seq` in push order (1 for the first ever pushed), or undefined when overwritten or not pushed yet. */
  at(seq: number): T | undefined {
    if (!Number.isInteger(seq) || seq < 1 || seq > this.total || seq <= this.total - this.filled) return undefined;
    return this.items[(this.next - 1 - (this.total - seq) + this.capacity) % this.capacity];
  }
}
