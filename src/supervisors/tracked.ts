// A message whose sender wants to know when it has been dealt with: the cluster transport
// acknowledges a batch from another node only once the target actor has handled it, so a
// batch in flight to a node that dies is re-sent to the new owner (at-least-once).
//
// Tracking follows the work: what an actor sends while handling a tracked message (an
// enricher's enriched batch to its detector, a detector's tally to the flood watch) is
// tracked too, and the original settles only when all of it has settled. So "handled"
// means the whole local chain is done, not just its first hop. Sends to self are not
// tracked (a self-rescheduling actor would keep its message open forever).

export type TrackOutcome = 'handled' | 'rejected' | 'dropped';

export class Tracked {
  private open = 1;
  private result: TrackOutcome = 'handled';
  private own = false;

  constructor(
    readonly msg: unknown,
    private readonly onDone?: (outcome: TrackOutcome) => void,
    private readonly parent?: Tracked,
  ) {}

  /** A message sent while handling this one: this one stays open until that one settles. */
  derive(msg: unknown): Tracked {
    this.open++;
    return new Tracked(msg, undefined, this);
  }

  /**
   * This message's own outcome (once; later calls are ignored). The root reports its own
   * outcome, not its children's: a child refused downstream is that actor's dead letter,
   * and re-sending the root would repeat the work that did happen.
   */
  settle(outcome: TrackOutcome): void {
    if (this.own) return;
    this.own = true;
    this.result = outcome;
    this.release();
  }

  get settled(): boolean {
    return this.own && this.open === 0;
  }

  private release(): void {
    if (--this.open > 0) return;
    if (this.parent) this.parent.release();
    else this.onDone?.(this.result);
  }
}

/** What a dead letter's reason means for a tracked message's sender. */
export function deadLetterOutcome(reason: string): TrackOutcome {
  // Dropped under overload or lost with a crashing handler: do not re-send (a poison message
  // would crash its next owner too). Anything else (mailbox full, actor stopped or moved,
  // unknown here): the sender re-resolves the owner and sends again.
  return reason === 'dropped' || reason === 'crashed' ? 'dropped' : 'rejected';
}
