// Where the responder remembers offences (fail2ban's bantime.increment history): how many
// times an address was banned, until when that is remembered. The policy reads and writes it
// synchronously; a book with a disk or etcd behind it keeps a cache and writes through, and
// `flush()` says when every change so far is durable (the desk waits for it before a ban is
// acknowledged). In memory here; durable-ban-registry.ts keeps one in SQLite and
// etcd-offence-book.ts one shared by the cluster.

export interface OffenceRecord {
  offences: number;
  /** Wall-clock ms after which the offences are forgotten: memoryS after the last ban ends. */
  forgetAt: number;
}

export interface OffenceBook {
  get(address: string): OffenceRecord | undefined;
  set(address: string, record: OffenceRecord): void;
  delete(address: string): void;
  readonly size: number;
  /** Drops the records forgotten by `now`. */
  sweep(now: number): void;
  /** Resolves once every change made so far is durable. */
  flush(): Promise<void>;
}

export class MemoryOffenceBook implements OffenceBook {
  protected readonly records = new Map<string, OffenceRecord>();

  get(address: string): OffenceRecord | undefined {
    return this.records.get(address);
  }

  set(address: string, record: OffenceRecord): void {
    this.records.set(address, record);
  }

  delete(address: string): void {
    this.records.delete(address);
  }

  get size(): number {
    return this.records.size;
  }

  sweep(now: number): void {
    for (const [a, r] of this.records) if (r.forgetAt <= now) this.records.delete(a);
  }

  async flush(): Promise<void> {}
}
