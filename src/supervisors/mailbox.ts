// A bounded FIFO mailbox. nact's own mailbox is an unbounded queue; every supervised actor
// keeps at most one message inside nact and the rest here, where the bound and the overflow
// policy apply. Priority only decides what is shed under overload; delivery stays FIFO so
// ordering between two actors is kept.

export type OverflowPolicy = 'reject' | 'drop-oldest' | 'drop-lowest-priority';
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['reject', 'drop-oldest', 'drop-lowest-priority'];

export interface MailboxOptions {
  capacity: number;
  overflow: OverflowPolicy;
}

/** What `push` did: the message was queued, or a message (maybe this one) was shed. */
export const PushResult = {
  Queued: 0,
  /** The incoming message was refused (reject policy, or it had the lowest priority). */
  Rejected: 1,
  /** The incoming message was queued and an older one was shed; see `lastShed`. */
  QueuedAfterShedding: 2,
} as const;
export type PushResult = (typeof PushResult)[keyof typeof PushResult];

export class BoundedMailbox<M> {
  private msgs: Array<M | undefined>;
  private prios: Int32Array;
  private head = 0;
  private size = 0;
  /** The message shed by the last push that returned QueuedAfterShedding. */
  lastShed: M | undefined;
  lastShedPriority = 0;

  constructor(readonly options: MailboxOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new RangeError(`mailbox capacity must be an integer ≥ 1, got ${options.capacity}`);
    }
    // The ring grows on demand up to the capacity, so a large bound costs nothing until used.
    const initial = Math.min(options.capacity, 64);
    this.msgs = new Array(initial);
    this.prios = new Int32Array(initial);
  }

  get length(): number {
    return this.size;
  }

  push(msg: M, priority = 0): PushResult {
    if (this.size < this.options.capacity) {
      this.append(msg, priority);
      return PushResult.Queued;
    }
    switch (this.options.overflow) {
      case 'reject':
        return PushResult.Rejected;
      case 'drop-oldest':
        this.lastShedPriority = this.prios[this.head]!;
        this.lastShed = this.shift();
        this.append(msg, priority);
        return PushResult.QueuedAfterShedding;
      case 'drop-lowest-priority': {
        const victim = this.lowestPriorityIndex();
        const cap = this.msgs.length;
        if (priority < this.prios[(this.head + victim) % cap]!) return PushResult.Rejected;
        this.lastShedPriority = this.prios[(this.head + victim) % cap]!;
        this.lastShed = this.removeAt(victim);
        this.append(msg, priority);
        return PushResult.QueuedAfterShedding;
      }
    }
  }

  /** Puts a message back at the front (a message handed to an incarnation that died unrun). */
  unshift(msg: M, priority = 0): void {
    if (this.size === this.msgs.length) this.grow();
    const cap = this.msgs.length;
    this.head = (this.head - 1 + cap) % cap;
    this.msgs[this.head] = msg;
    this.prios[this.head] = priority;
    this.size++;
  }

  shift(): M | undefined {
    if (this.size === 0) return undefined;
    const m = this.msgs[this.head];
    this.msgs[this.head] = undefined;
    this.head = (this.head + 1) % this.msgs.length;
    this.size--;
    return m;
  }

  peekPriority(): number {
    return this.size === 0 ? 0 : this.prios[this.head]!;
  }

  /** Empties the mailbox, handing each message to `each` (for dead letters). */
  drain(each: (msg: M, priority: number) => void): void {
    while (this.size > 0) {
      const p = this.prios[this.head]!;
      each(this.shift() as M, p);
    }
  }

  private append(msg: M, priority: number): void {
    if (this.size === this.msgs.length) this.grow();
    const i = (this.head + this.size) % this.msgs.length;
    this.msgs[i] = msg;
    this.prios[i] = priority;
    this.size++;
  }

  private grow(): void {
    const cap = this.msgs.length;
    const next = Math.max(1, Math.min(this.options.capacity, cap * 2));
    // unshift may exceed capacity by the one message it restores
    const size = next > cap ? next : cap + 1;
    const msgs = new Array<M | undefined>(size);
    const prios = new Int32Array(size);
    for (let k = 0; k < this.size; k++) {
      msgs[k] = this.msgs[(this.head + k) % cap];
      prios[k] = this.prios[(this.head + k) % cap]!;
    }
    this.msgs = msgs;
    this.prios = prios;
    this.head = 0;
  }

  /** Offset from head of the oldest message with the lowest priority. */
  private lowestPriorityIndex(): number {
    const cap = this.msgs.length;
    let best = 0;
    let bestP = this.prios[this.head]!;
    for (let k = 1; k < this.size; k++) {
      const p = this.prios[(this.head + k) % cap]!;
      if (p < bestP) {
        bestP = p;
        best = k;
      }
    }
    return best;
  }

  private removeAt(offset: number): M | undefined {
    const cap = this.msgs.length;
    const at = (this.head + offset) % cap;
    const m = this.msgs[at];
    for (let k = offset; k < this.size - 1; k++) {
      const a = (this.head + k) % cap;
      const b = (this.head + k + 1) % cap;
      this.msgs[a] = this.msgs[b];
      this.prios[a] = this.prios[b]!;
    }
    this.msgs[(this.head + this.size - 1) % cap] = undefined;
    this.size--;
    return m;
  }
}
