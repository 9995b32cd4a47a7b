// Time as the captures tell it, for the evaluation's responder: the rate limit on automatic
// bans, their TTLs and the bans it holds back run on the captures' own timeline, as they would
// on a node that saw the traffic live, not on how fast this machine replays it (at replay
// speed an hour of traffic passes in seconds, and a limit of 30 bans a minute of wall time
// would let 30 attackers of the hour be banned, whatever the node would have done).

import { ManualClock, type Clock, type TimerHandle } from '../util/clock.ts';

/** Milliseconds of capture time: forward only, to the newest packet time reached; timers fire as it passes them. */
export class CaptureClock implements Clock {
  private readonly at = new ManualClock();

  now(): number {
    return this.at.now();
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    return this.at.setTimer(fn, ms);
  }

  /** The captures reached `ms` (a packet's time): the clock moves there if it is ahead. */
  reach(ms: number): void {
    const d = ms - this.at.now();
    if (d > 0) this.at.advance(d);
  }
}
