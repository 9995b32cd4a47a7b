// A firewall backend that remembers when each address was last applied: what the cluster
// benchmark reads to time a ban from its decision on one node to its rule on every node,
// and what /api/firewall shows. Bounded: the oldest entries go first.

import type { FirewallBackend, FirewallEntry, ReconcileResult } from './backend.ts';

const KEEP = 100_000;

export class JournaledBackend implements FirewallBackend {
  /** When (ms since the epoch) and with which timeout (s) each address was last applied. */
  readonly applied = new Map<string, { at: number; timeoutS: number }>();
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
    this.note(desired, [...this.applied.keys()].filter((a) => !keep.has(a)));
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
    for (const a of remove) this.applied.delete(a);
    for (const e of add) {
      this.applied.delete(e.address);
      this.applied.set(e.address, { at: now, timeoutS: e.timeoutS });
    }
    while (this.applied.size > KEEP) this.applied.delete(this.applied.keys().next().value!);
  }
}
