// Leader election on the coordinator: the leader key is created only if absent, under the
// candidate's lease, so it disappears with the leader. Everyone watches the key; when it is
// deleted, members holding a lease campaign again. The leader's writes are fenced on the
// key's exact value (node id and lease id), so a deposed leader's late write is refused.
// A leader key that does not hold a valid value (not JSON, wrong shape) names nobody; since it
// would keep every candidate out for ever, a candidate deletes it (fenced on its exact value)
// and campaigns again.

import type { Coordinator, KeyValue } from './coordinator.ts';
import type { EtcdValues, LeaderValue } from './etcd-values.ts';
import { PrefixMirror } from './prefix-mirror.ts';

export class LeaderElection {
  leader: string | undefined;
  private value: string | undefined;
  private lease: number | undefined;
  private readonly mirror: PrefixMirror;
  private campaigning = false;
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly coordinator: Coordinator,
    private readonly key: string,
    private readonly nodeId: string,
    private readonly onChange: (leader: string | undefined, me: boolean) => void,
    onError: (err: unknown) => void,
    private readonly values: EtcdValues,
  ) {
    this.mirror = new PrefixMirror(coordinator, key, onError);
    this.onError = onError;
    this.mirror.on((items) => {
      const kv = items.get(this.key);
      const v = kv ? (this.values.leader(kv) ?? undefined) : undefined;
      const before = this.leader;
      this.leader = v?.node;
      if (!v && this.lease !== undefined) this.campaign(this.lease).catch(this.onError);
      if (before !== this.leader) this.onChange(this.leader, this.isLeader);
    });
  }

  async start(): Promise<void> {
    await this.mirror.start();
  }

  get isLeader(): boolean {
    return this.value !== undefined && this.leader === this.nodeId;
  }

  /** The guard for a leader's fenced transaction. */
  guard(): { key: string; value: string } | undefined {
    return this.isLeader ? { key: this.key, value: this.value! } : undefined;
  }

  /** Stands as a candidate with this lease (again after a rejoin). */
  async campaign(lease: number): Promise<void> {
    this.lease = lease;
    if (this.campaigning) return;
    this.campaigning = true;
    try {
      const mine = JSON.stringify({ node: this.nodeId, lease } satisfies LeaderValue);
      let r = await this.coordinator.createIfAbsent(this.key, mine, { lease });
      let held = r.created ? undefined : this.values.leader(r.current);
      if (!r.created && !held) {
        // Not a leader value: out of the way (only if it is still exactly that), then try again.
        await this.coordinator.commitIf({ key: this.key, value: r.current.value }, [{ type: 'delete', key: this.key }]);
        r = await this.coordinator.createIfAbsent(this.key, mine, { lease });
        held = r.created ? undefined : this.values.leader(r.current);
      }
      if (r.created) {
        this.value = mine;
      } else {
        // Our own key under a lease we no longer hold (we fenced and rejoined): step down.
        if (held && held.node === this.nodeId && held.lease !== lease) await this.coordinator.commitIf({ key: this.key, value: r.current.value }, [{ type: 'delete', key: this.key }]);
        this.value = undefined;
      }
    } finally {
      this.campaigning = false;
    }
    const before = this.leader;
    this.leader = await this.coordinator
      .get(this.key)
      .then((kv: KeyValue | undefined) => (kv ? this.values.leader(kv)?.node : undefined))
      .catch(() => this.leader);
    if (before !== this.leader || this.isLeader) this.onChange(this.leader, this.isLeader);
  }

  /** Stops acting as leader or candidate (fenced): the lease that backed it may be gone. */
  suspend(): void {
    const was = this.isLeader;
    this.lease = undefined;
    this.value = undefined;
    if (was) this.onChange(this.leader, false);
  }

  /** Gives up leadership at once (graceful stop), so another member takes over without waiting for the lease. */
  async resign(): Promise<void> {
    const g = this.guard();
    this.lease = undefined;
    this.value = undefined;
    if (g) await this.coordinator.commitIf(g, [{ type: 'delete', key: this.key }]).catch(() => {});
  }

  close(): void {
    this.mirror.close();
  }
}
