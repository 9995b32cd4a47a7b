// The dry-run backend: keeps in memory what the kernel's sets would hold (each element
// expiring on the injected clock, as the kernel's would) and a log of every operation, and
// changes no rules. The default where the process may not change the packet filter. It
// checks its input exactly as the real backends do, so a batch they would refuse is refused
// here too.

import type { FirewallBackend, FirewallEntry, ReconcileResult } from './backend.ts';
import type { Clock } from '../util/clock.ts';
import { wallClock } from '../util/clock.ts';
import { checkBatch, planReconcile } from './entries.ts';

export interface DryRunOperation {
  /** Clock time of the operation (ms). */
  at: number;
  op: 'setup' | 'apply' | 'reconcile' | 'flush';
  /** What was (re)added, canonical addresses; for reconcile the whole desired set. */
  add: FirewallEntry[];
  /** What was removed (or asked to be). */
  remove: string[];
}

export interface DryRunOptions {
  /** Time in ms; default wall-clock time. */
  clock?: Pick<Clock, 'now'>;
  /** Newest operations kept in the log; default 10,000. */
  logCapacity?: number;
}

export class DryRunBackend implements FirewallBackend {
  readonly name = 'dry-run';
  private readonly clock: Pick<Clock, 'now'>;
  private readonly capacity: number;
  /** Canonical address → expiry (clock ms). */
  private readonly elements = new Map<string, number>();
  private readonly ops: DryRunOperation[] = [];

  constructor(options: DryRunOptions = {}) {
    this.clock = options.clock ?? wallClock;
    this.capacity = options.logCapacity ?? 10_000;
  }

  /** The operations so far, oldest first (at most logCapacity of the newest). */
  get log(): readonly DryRunOperation[] {
    return this.ops;
  }

  async setup(): Promise<void> {
    this.record('setup', [], []);
  }

  async apply(add: readonly FirewallEntry[], remove: readonly string[]): Promise<void> {
    const batch = checkBatch(add, remove);
    this.change(batch.add.map((e) => ({ address: e.cidr.text, timeoutS: e.timeoutS })), batch.remove.map((c) => c.text), 'apply');
  }

  async list(): Promise<FirewallEntry[]> {
    this.expire();
    const now = this.clock.now();
    // Whole seconds left, rounded down, as nft and ipset print them.
    return [...this.elements].map(([address, at]) => ({ address, timeoutS: Math.floor((at - now) / 1000) }));
  }

  async reconcile(desired: readonly FirewallEntry[]): Promise<ReconcileResult> {
    const plan = planReconcile(await this.list(), desired);
    this.change(plan.add, plan.remove, 'reconcile');
    return plan.result;
  }

  async flush(): Promise<void> {
    const all = [...this.elements.keys()];
    this.elements.clear();
    this.record('flush', [], all);
  }

  private change(add: FirewallEntry[], remove: string[], op: 'apply' | 'reconcile'): void {
    const now = this.clock.now();
    for (const a of remove) this.elements.delete(a);
    for (const e of add) this.elements.set(e.address, now + e.timeoutS * 1000);
    this.record(op, add, remove);
  }

  private expire(): void {
    const now = this.clock.now();
    for (const [a, at] of this.elements) if (at <= now) this.elements.delete(a);
  }

  private record(op: DryRunOperation['op'], add: FirewallEntry[], remove: string[]): void {
    this.ops.push({ at: this.clock.now(), op, add, remove });
    if (this.ops.length > this.capacity) this.ops.splice(0, this.ops.length - this.capacity);
  }
}
