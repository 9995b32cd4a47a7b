// Addresses the rules flagged (the source of a rule alert that can be blocked, the victim of
// a flood), so their traffic is never learnt as normal: the detector shards leave out every
// row from or to one of them when they send rows to the trainer, in the grace period and for
// retraining. Bounded: past `capacity` the oldest flag is forgotten. IPv4 addresses are held
// as numbers, so the per-row check allocates nothing for them. Shards in worker threads hold
// copies, kept current with the keys added since they were last sent (since()).

function parseIPv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return null;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export class FlaggedAddresses {
  private readonly v4 = new Set<number>();
  private readonly v6 = new Set<string>();
  /** Insertion order, for forgetting the oldest. */
  private readonly order: Array<number | string> = [];
  private head = 0;
  /** Keys ever added. */
  added = 0;

  constructor(readonly capacity = 65536) {}

  get size(): number {
    return this.v4.size + this.v6.size;
  }

  /** Flags an address given as text (IPv4 dotted quad or IPv6); anything else is ignored. */
  add(text: string): void {
    const a = parseIPv4(text);
    const key: number | string | null = a !== null ? a : text.includes(':') ? text : null;
    if (key !== null) this.addKey(key);
  }

  /** Flags a key as has() takes it (a uint32 IPv4 address, or an IPv6 address's text). */
  addKey(key: number | string): void {
    if (typeof key === 'number') key = key >>> 0;
    if (this.has(key)) return;
    this.added++;
    if (typeof key === 'number') this.v4.add(key);
    else this.v6.add(key);
    this.order.push(key);
    if (this.size > this.capacity) {
      const old = this.order[this.head++]!;
      if (typeof old === 'number') this.v4.delete(old);
      else this.v6.delete(old);
      if (this.head > 4096 && this.head * 2 > this.order.length) {
        this.order.splice(0, this.head);
        this.head = 0;
      }
    }
  }

  /** The keys added after the first `n` ever added (those still held), oldest first. */
  since(n: number): Array<number | string> {
    const held = this.order.length - this.head;
    const skip = Math.max(0, n - (this.added - held));
    return this.order.slice(this.head + skip);
  }

  /** An IPv4 address as a uint32, or an IPv6 address's text (PacketBatch.hostKey). */
  has(key: number | string): boolean {
    return typeof key === 'number' ? this.v4.has(key >>> 0) : this.v6.has(key);
  }
}
