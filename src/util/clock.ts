// Time as a dependency, so backoff and intensity can be tested on an injected clock
// instead of with wall-time thresholds.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds, monotonic within one clock. */
  now(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    if (ms <= 0) {
      const h = setImmediate(fn);
      return { cancel: () => clearImmediate(h) };
    }
    const h = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(h) };
  },
};

/**
 * The same timers on wall-clock time (ms since the epoch): for what other processes must
 * agree on, such as when a ban expires. Not monotonic: an NTP step moves it.
 */
export const wallClock: Clock = {
  now: () => Date.now(),
  setTimer: systemClock.setTimer,
};

/** A clock that only moves when told to: `advance(ms)` fires the timers that fall due. */
export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return {
      cancel: () => {
        const i = this.timers.indexOf(timer);
        if (i >= 0) this.timers.splice(i, 1);
      },
    };
  }

  /** Timers waiting to fire, soonest first (for assertions). */
  pending(): number[] {
    return this.timers.map((t) => t.at - this.t).sort((a, b) => a - b);
  }

  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      let next: (typeof this.timers)[number] | undefined;
      for (const t of this.timers) {
        if (t.at <= until && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = next.at;
      next.fn();
    }
    this.t = until;
  }
}
