// Buffer-use alarms with hysteresis: 80 and 90 fire once on the way up, 0 once when use falls
// back below 80 %. Between 80 % and 90 % on the way down nothing fires, so a buffer hovering at
// a threshold does not flood the alarm channel. Pure.

export type AlarmLevel = 0 | 80 | 90;

export class AlarmTracker {
  #level: AlarmLevel = 0;
  readonly #at80: number;
  readonly #at90: number;

  constructor(readonly capacity: number) {
    this.#at80 = capacity * 0.8;
    this.#at90 = capacity * 0.9;
  }

  get level(): AlarmLevel {
    return this.#level;
  }

  /** The level to announce when `used` crosses a threshold, otherwise null. */
  update(used: number): AlarmLevel | null {
    if (used >= this.#at90) {
      if (this.#level === 90) return null;
      return (this.#level = 90);
    }
    if (used >= this.#at80) {
      if (this.#level !== 0) return null;
      return (this.#level = 80);
    }
    if (this.#level === 0) return null;
    return (this.#level = 0);
  }
}
