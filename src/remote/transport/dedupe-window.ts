// A receiver's memory of one sender session's sequence numbers, so a retransmitted message is
// not handled twice: a seq in progress is ignored, a settled one is answered again with the
// outcome it had (the first answer was lost). The sender's every frame says the lowest seq it
// still holds; everything below is final at the sender and forgotten here. Pure.

/** admit(): first sight; deliver it. */
export const NEW = -3;
/** admit(): below the sender's floor: a stale copy of something the sender no longer holds. */
export const FORGOTTEN = -2;
/** admit(): being handled now; its outcome will go out when it settles. */
export const IN_PROGRESS = -1;

export class DedupeWindow {
  /** seq → IN_PROGRESS or the outcome code it settled with; insertion order ≈ seq order. */
  readonly #states = new Map<number, number>();
  #floor = 0;

  /** @param capacity seqs remembered at most: past it the oldest settled ones are forgotten (and would be handled again). */
  constructor(readonly capacity = 65_536) {}

  get size(): number {
    return this.#states.size;
  }

  /** NEW (now marked in progress), FORGOTTEN, IN_PROGRESS, or the outcome code it settled with. */
  admit(seq: number): number {
    if (seq < this.#floor) return FORGOTTEN;
    const state = this.#states.get(seq);
    if (state !== undefined) return state;
    this.#states.set(seq, IN_PROGRESS);
    if (this.#states.size > this.capacity) this.#evict();
    return NEW;
  }

  settle(seq: number, code: number): void {
    if (this.#states.get(seq) === IN_PROGRESS) this.#states.set(seq, code);
  }

  /** The sender holds nothing below `floor` any more. */
  advance(floor: number): void {
    if (floor <= this.#floor) return;
    this.#floor = floor;
    // Entries arrive nearly in seq order, so the ones to drop are at the front; a straggler
    // behind the first kept seq waits for a later advance or for eviction.
    for (const seq of this.#states.keys()) {
      if (seq >= floor) break;
      this.#states.delete(seq);
    }
  }

  #evict(): void {
    for (const [seq, state] of this.#states) {
      if (this.#states.size <= this.capacity) return;
      if (state !== IN_PROGRESS) this.#states.delete(seq);
    }
  }
}
