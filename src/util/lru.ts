// Bounded least-recently-used structures, O(1) per operation.
//
// Recency is an intrusive doubly linked list over slot numbers kept in typed arrays, so a
// touch is four integer writes and never reorders the Map (a Map delete + set per hit
// costs more and churns its hash table). Slots are stable small integers: owners of
// parallel typed arrays (the flow tables) index their own per-entry state by them.

import { AutoimmuneError } from '../errors.ts';

export class LruCapacityError extends AutoimmuneError {
  constructor(capacity: unknown) {
    super(
      'AI_ERR_LRU_CAPACITY',
      `LRU capacity must be an integer between 1 and ${MAX_CAPACITY}, got ${String(capacity)}: ` +
        'set a positive entry limit in the configuration',
      { statusCode: 400 },
    );
  }
}

// Slots are int32 and a pair of them must fit the typed arrays comfortably.
const MAX_CAPACITY = 2 ** 30;
const NONE = -1;

export function checkCapacity(capacity: unknown): number {
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
    throw new LruCapacityError(capacity);
  }
  return capacity;
}

/**
 * Recency order over slots 0..capacity-1. The newest slot is at the head, the least
 * recently used at the tail. A slot's two links sit side by side in one Int32Array (one
 * cache line per touch of a slot), which grows on demand up to `capacity`; or, with
 * `LruOrder.within`, inside an owner's own fixed-width int32 records.
 */
export class LruOrder {
  readonly capacity: number;
  private links: Int32Array;
  private readonly stride: number;
  /** Offset of the previous-slot link in a slot's record; the next-slot link follows it. */
  private readonly at: number;
  private readonly owned: boolean;
  private headSlot = NONE;
  private tailSlot = NONE;

  constructor(capacity: number, initialSize = Math.min(capacity, 1024), records?: { links: Int32Array; stride: number; offset: number }) {
    this.capacity = checkCapacity(capacity);
    if (records) {
      const { links, stride, offset } = records;
      if (links.length < capacity * stride || offset < 0 || offset + 2 > stride) {
        throw new RangeError(`LruOrder: ${links.length} int32s cannot hold ${capacity} records of ${stride} with links at ${offset}`);
      }
      this.links = links;
      this.stride = stride;
      this.at = offset;
      this.owned = false;
    } else {
      this.links = new Int32Array(2 * Math.max(1, Math.min(initialSize, capacity)));
      this.stride = 2;
      this.at = 0;
      this.owned = true;
    }
  }

  /**
   * An order whose links live in `links` (slot s's at s·stride + offset and the int32 after
   * it), allocated by the owner for every slot: an owner that reads its record anyway
   * finds the links on the same cache line.
   */
  static within(links: Int32Array, stride: number, offset: number, capacity: number): LruOrder {
    return new LruOrder(capacity, 0, { links, stride, offset });
  }

  /** The least recently used slot, or -1 when empty. */
  get oldest(): number {
    return this.tailSlot;
  }

  /** The most recently used slot, or -1 when empty. */
  get newest(): number {
    return this.headSlot;
  }

  /** Make room for slots below `size` (never shrinks, never beyond capacity). */
  reserve(size: number): void {
    if (!this.owned || 2 * size <= this.links.length) return;
    const n = Math.min(this.capacity, Math.max(size, this.links.length));
    const links = new Int32Array(2 * n);
    links.set(this.links);
    this.links = links;
  }

  /** Insert a slot that is not in the list as the newest. */
  pushNewest(slot: number): void {
    if (this.owned && 2 * slot + 1 >= this.links.length) this.reserve(slot + 1);
    const l = this.links;
    const st = this.stride;
    const i = slot * st + this.at;
    l[i] = NONE;
    l[i + 1] = this.headSlot;
    if (this.headSlot !== NONE) l[this.headSlot * st + this.at] = slot;
    else this.tailSlot = slot;
    this.headSlot = slot;
  }

  /** Mark a slot that is in the list as the newest. */
  touch(slot: number): void {
    if (slot === this.headSlot) return;
    this.remove(slot);
    this.pushNewest(slot);
  }

  /** Take a slot that is in the list out of it. */
  remove(slot: number): void {
    const l = this.links;
    const st = this.stride;
    const at = this.at;
    const i = slot * st + at;
    const p = l[i]!;
    const n = l[i + 1]!;
    if (p !== NONE) l[p * st + at + 1] = n;
    else this.headSlot = n;
    if (n !== NONE) l[n * st + at] = p;
    else this.tailSlot = p;
  }

  /** The slot after `slot` towards the oldest, or -1. */
  older(slot: number): number {
    return this.links[slot * this.stride + this.at + 1]!;
  }

  clear(): void {
    this.headSlot = NONE;
    this.tailSlot = NONE;
  }
}

export interface LruMapOptions<K, V> {
  /** Called when an entry is pushed out to make room (not on delete or clear). */
  onEvict?: (key: K, value: V) => void;
}

/**
 * A Map bounded to `capacity` entries: inserting into a full map evicts the least
 * recently used entry (get and set count as use; peek and has do not).
 */
export class LruMap<K, V> {
  readonly capacity: number;
  private readonly index = new Map<K, number>();
  private readonly keyAt: K[] = [];
  private readonly valueAt: V[] = [];
  private readonly order: LruOrder;
  private readonly freeSlots: number[] = [];
  private readonly onEvict: ((key: K, value: V) => void) | undefined;
  private nextSlot = 0;
  private evicted = 0;

  constructor(capacity: number, options: LruMapOptions<K, V> = {}) {
    this.capacity = checkCapacity(capacity);
    this.order = new LruOrder(capacity);
    this.onEvict = options.onEvict;
  }

  get size(): number {
    return this.index.size;
  }

  /** Entries pushed out because the map was full, since creation. */
  get evictions(): number {
    return this.evicted;
  }

  get(key: K): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    this.order.touch(slot);
    return this.valueAt[slot];
  }

  /** Read without counting as use. */
  peek(key: K): V | undefined {
    const slot = this.index.get(key);
    return slot === undefined ? undefined : this.valueAt[slot];
  }

  has(key: K): boolean {
    return this.index.has(key);
  }

  set(key: K, value: V): this {
    const slot = this.index.get(key);
    if (slot !== undefined) {
      this.valueAt[slot] = value;
      this.order.touch(slot);
    } else {
      this.insert(key, value);
    }
    return this;
  }

  /**
   * The slot of `key` (marking it used), or -1. Slots are stable while the entry lives
   * and lie in 0..capacity-1.
   */
  slotOf(key: K): number {
    const slot = this.index.get(key);
    if (slot === undefined) return NONE;
    this.order.touch(slot);
    return slot;
  }

  /** Add an absent key and return its slot, evicting the least recently used if full. */
  insert(key: K, value: V): number {
    let slot: number;
    if (this.freeSlots.length > 0) {
      slot = this.freeSlots.pop()!;
    } else if (this.nextSlot < this.capacity) {
      slot = this.nextSlot++;
    } else {
      slot = this.order.oldest;
      const oldKey = this.keyAt[slot];
      const oldValue = this.valueAt[slot];
      this.order.remove(slot);
      this.index.delete(oldKey);
      this.evicted++;
      this.onEvict?.(oldKey, oldValue);
    }
    this.keyAt[slot] = key;
    this.valueAt[slot] = value;
    this.index.set(key, slot);
    this.order.pushNewest(slot);
    return slot;
  }

  delete(key: K): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.index.delete(key);
    this.order.remove(slot);
    // drop references so deleted values can be collected
    this.keyAt[slot] = undefined as K;
    this.valueAt[slot] = undefined as V;
    this.freeSlots.push(slot);
    return true;
  }

  clear(): void {
    this.index.clear();
    this.order.clear();
    this.keyAt.length = 0;
    this.valueAt.length = 0;
    this.freeSlots.length = 0;
    this.nextSlot = 0;
  }

  /** Keys from the most to the least recently used. */
  *keys(): IterableIterator<K> {
    for (let s = this.order.newest; s !== NONE; s = this.order.older(s)) yield this.keyAt[s];
  }

  /** Entries from the most to the least recently used. */
  *entries(): IterableIterator<[K, V]> {
    for (let s = this.order.newest; s !== NONE; s = this.order.older(s)) yield [this.keyAt[s], this.valueAt[s]];
  }
}
