// A firewall backend that remembers when each address was last applied: what the cluster
// benchmark reads to time a ban from its decision on one node to its rule on every node,
// and what /api/firewall shows. Bounded: the oldest entries go first.

import type { FirewallBackend, FirewallEntry, ReconcileResult } from './backend.ts';

const KEEP = 100_000;

export class JournaledBackend implements FirewallBackend {
  readonly appliedAt = new Map<string, number>();
  /** The timeout (s) each address was last applied with (beside appliedAt, same bound). */
  readonly appliedTimeoutS = new Map<string, number>();
  /** Called with the seconds each batched change took in the backend (for /metrics). */
  onApplied: ((seconds: number, kind: 'apply' | 'reconcile') => void) | undefined;

  constructor(readonly inner: FirewallBackend) {}

  get name(): FirewallBackend['name'] {
    return this.inner.name;
  }

  setup(): Promise<void> {
    return this.inner.setup();
  }

  async apply(add: readonly FirewallEntry[], remove: readonly string[]): Promise<void> {
    const t0 = performance.now();
    await this.inner.apply(add, remove);
    this.onApplied?.((performance.now() - t0) / 1000, 'apply');
    this.note(add, remove);
  }

  async reconcile(desired: readonly FirewallEntry[]): Promise<ReconcileResult> {
    const t0 = performance.now();
    const r = await this.inner.reconcile(desired);
    this.onApplied?.((performance.now() - t0) / 1000, 'reconcile');
    const keep = new Set(desired.map((e) => e.address));
    this.note(desired, [...this.appliedAt.keys()].filter((a) => !keep.has(a)));
    return r;
  }

  list(): Promise<FirewallEntry[]> {
    return this.inner.list();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  private note(add: readonly FirewallEntry[], remove: readonly string[]): void {
    const now = Date.now();
    for (const a of remove) {
      this.appliedAt.delete(a);
      this.appliedTimeoutS.delete(a);
    }
    for (const e of add) {
      this.appliedAt.delete(e.address);
      this.appliedAt.set(e.address, now);
      this.appliedTimeoutS.delete(e.address);
      this.appliedTimeoutS.set(e.address, e.timeoutS);
    }
    while (this.appliedAt.size > KEEP) {
      const oldest = this.appliedAt.keys().next().value!;
      this.appliedAt.delete(oldest);
      this.appliedTimeoutS.delete(oldest);
    }
  }
}
