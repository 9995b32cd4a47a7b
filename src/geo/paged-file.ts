// A read-only file read by pages on demand, keeping at most `maxPages` of them in memory:
// what a memory map would give, without reading the whole file into the heap (Node has no
// mmap). Pages are replaced by the CLOCK algorithm (a "used" bit per slot, a hand that
// clears bits until it finds an unused slot), so a hit costs a map lookup and a store, not
// an LRU reshuffle. The page read last is kept at hand: consecutive bytes of one tree node or
// one record are one comparison each.

import { closeSync, readSync } from 'node:fs';

export interface PagedFileStats {
  /** Page reads served from memory / from the file. */
  hits: number;
  misses: number;
  /** Pages held now, and their bytes. */
  pages: number;
  bytes: number;
  /** Pages held at most (the read cache's bound). */
  maxPages: number;
}

export class PagedFile {
  readonly pageSize: number;
  private readonly shift: number;
  private readonly mask: number;
  private readonly slots: Buffer[] = [];
  private readonly slotPage: number[] = [];
  private readonly used: Uint8Array;
  private readonly where = new Map<number, number>();
  private hand = 0;
  private lastPage = -1;
  private lastBuf: Buffer = Buffer.alloc(0);
  private hits = 0;
  private misses = 0;
  private closed = false;

  /** `pageBits`: log2 of the page size (12: 4 KiB). */
  constructor(
    private readonly fd: number,
    readonly size: number,
    pageBits: number,
    readonly maxPages: number,
  ) {
    this.pageSize = 1 << pageBits;
    this.shift = pageBits;
    this.mask = this.pageSize - 1;
    this.used = new Uint8Array(Math.max(1, maxPages));
  }

  /** The byte at `offset` (the caller keeps offsets inside the file). */
  byte(offset: number): number {
    const p = offset >>> this.shift;
    if (p !== this.lastPage) this.turnTo(p);
    return this.lastBuf[offset & this.mask]!;
  }

  /** `length` bytes from `offset` as a Buffer (a view of the page when they fit in one, else a copy). */
  bytes(offset: number, length: number): Buffer {
    const p = offset >>> this.shift;
    const start = offset & this.mask;
    if (start + length <= this.pageSize) {
      if (p !== this.lastPage) this.turnTo(p);
      return this.lastBuf.subarray(start, start + length);
    }
    const out = Buffer.allocUnsafe(length);
    for (let k = 0; k < length; k++) out[k] = this.byte(offset + k);
    return out;
  }

  stats(): PagedFileStats {
    return { hits: this.hits, misses: this.misses, pages: this.where.size, bytes: this.where.size * this.pageSize, maxPages: this.maxPages };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    this.where.clear();
    this.slots.length = 0;
  }

  private turnTo(page: number): void {
    const slot = this.where.get(page);
    if (slot !== undefined) {
      this.hits++;
      this.used[slot] = 1;
      this.lastPage = page;
      this.lastBuf = this.slots[slot]!;
      return;
    }
    this.misses++;
    let s: number;
    if (this.slots.length < this.maxPages) {
      s = this.slots.length;
      this.slots.push(Buffer.allocUnsafeSlow(this.pageSize));
      this.slotPage.push(-1);
    } else {
      while (this.used[this.hand] === 1) {
        this.used[this.hand] = 0;
        this.hand = (this.hand + 1) % this.maxPages;
      }
      s = this.hand;
      this.hand = (this.hand + 1) % this.maxPages;
      this.where.delete(this.slotPage[s]!);
    }
    const buf = this.slots[s]!;
    const at = page * this.pageSize;
    const want = Math.min(this.pageSize, this.size - at);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, buf, got, want - got, at + got);
      if (n === 0) break;
      got += n;
    }
    // Past the end of the file reads as zeros (callers bound their offsets; this is a backstop).
    if (got < this.pageSize) buf.fill(0, got);
    this.slotPage[s] = page;
    this.where.set(page, s);
    this.used[s] = 1;
    this.lastPage = page;
    this.lastBuf = buf;
  }
}
