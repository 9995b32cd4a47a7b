// Pure supervision decisions: which children a failure restarts, whether a child is
// restarted at all, the restart-intensity window and the backoff between restarts.
// Nothing here knows of nact, timers or actors, so it is tested directly.

export type RestartType = 'permanent' | 'transient' | 'temporary';
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
/** Why an actor stopped: `normal` (it asked to stop) or `crash` (its handler threw). */
export type ExitReason = 'normal' | 'crash';

export const RESTART_TYPES: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
export const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];

/** OTP semantics: permanent always, transient only after a crash, temporary never. */
export function shouldRestart(type: RestartType, reason: ExitReason): boolean {
  if (type === 'permanent') return true;
  if (type === 'transient') return reason === 'crash';
  return false;
}

/**
 * Indexes (in start order) of the children to stop and start again when the child at
 * `failed` exits and is to be restarted. The failed child itself is included.
 */
export function restartSet(strategy: Strategy, childCount: number, failed: number): number[] {
  if (failed < 0 || failed >= childCount) throw new RangeError(`failed child index ${failed} is outside 0..${childCount - 1}`);
  if (strategy === 'one_for_one') return [failed];
  const from = strategy === 'one_for_all' ? 0 : failed;
  const out: number[] = [];
  for (let i = from; i < childCount; i++) out.push(i);
  return out;
}

/** An actor's restarts so far, carried from node to node by the cluster (times on the host clock). */
export interface RestartHistory {
  restarts: number;
  /** The most recent restart times, oldest first. */
  times: number[];
  /**
   * One identity per time (where and when it happened): an actor that moves away and back
   * brings the same restarts again, and each must count once in a supervisor's window.
   */
  keys: string[];
  /** Which happened here: already in this supervisor's window, so they only feed the backoff. */
  local: boolean[];
}

export interface IntensityOptions {
  /** Restarts allowed within `periodMs`; one more and the supervisor gives up. */
  maxRestarts: number;
  periodMs: number;
}

/** Sliding window of restart times (OTP's MaxR in MaxT). */
export class RestartIntensity {
  private times: number[] = [];
  constructor(readonly options: IntensityOptions) {}

  /** Records a restart at `now`; false when that restart would exceed the intensity. */
  record(now: number): boolean {
    const since = now - this.options.periodMs;
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! <= since) drop++;
    if (drop > 0) this.times.splice(0, drop);
    this.times.push(now);
    return this.times.length <= this.options.maxRestarts;
  }

  /** Restarts inside the window ending at `now`. */
  count(now: number): number {
    const since = now - this.options.periodMs;
    return this.times.filter((t) => t > since).length;
  }

  reset(): void {
    this.times = [];
  }
}

export interface BackoffOptions {
  /** Delay before the second consecutive restart; the first one is immediate (as in OTP). */
  baseMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of the delay drawn at random either way: 0.2 means ±20 %. */
  jitter: number;
  /** A child that ran this long since its last restart starts over at an immediate restart. */
  resetAfterMs: number;
}

/**
 * Exponential backoff with jitter for one child. The first restart after a stable period is
 * immediate, so a one-off crash costs no latency; a crash loop backs off.
 */
export class Backoff {
  private consecutive = 0;
  private lastRestartAt = Number.NEGATIVE_INFINITY;
  constructor(
    readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the restart that is due at `now`, and counts it. */
  next(now: number): number {
    if (now - this.lastRestartAt >= this.options.resetAfterMs) this.consecutive = 0;
    this.consecutive++;
    this.lastRestartAt = now;
    return backoffDelay(this.options, this.consecutive, this.random());
  }

  get attempts(): number {
    return this.consecutive;
  }
}

/** Delay for the n-th consecutive restart (n ≥ 1), `r` a uniform draw in [0, 1). */
export function backoffDelay(o: BackoffOptions, n: number, r: number): number {
  if (n <= 1) return 0;
  const raw = Math.min(o.maxMs, o.baseMs * Math.pow(o.factor, n - 2));
  const jittered = raw * (1 + o.jitter * (2 * r - 1));
  return Math.max(0, Math.min(o.maxMs, Math.round(jittered)));
}
