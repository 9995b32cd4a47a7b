// The envelope keys through the coordinator: every node mirrors the key prefix into its
// KeyRing; the leader alone runs planRotation and writes what it gives (the new key and the
// deletions of retired ones) in one transaction fenced on the leadership key, so a deposed
// leader's late rotation is refused and two leaders cannot both rotate.
//
// - Keys are stored without a lease, under their own id: they must outlive the leader that
//   made them, and a retirement deletes them.
// - A new leader with an empty prefix creates the first key. Like every key it activates
//   activateAfterMs after its creation, so for that long no node can seal; the transport
//   counts such a frame as lost and retries sealing it, which is what we want (nothing goes
//   out under a key others may not hold yet).
// - The leader plans from a fresh list, not from its mirror: a mirror that has not yet seen
//   the leader's own last write would make it rotate twice.
// - A malformed stored value is skipped and reported once per revision; it does not stop the
//   other keys from reaching the ring, and the leader leaves it for an operator to delete.
//
// Security: the key material sits in etcd in the clear, so in production etcd must be
// reachable only over TLS by the cluster's nodes (client certificates or RBAC). CURVE, on by
// default, already encrypts and authenticates the transport, which is why the envelope is off
// by default: it is a second layer for deployments that want one.

import { ConfigError } from '../../errors.ts';
import type { Coordinator, KeyValue, TxnOp } from '../../cluster/coordinator.ts';
import type { EtcdValues } from '../../cluster/etcd-values.ts';
import { keyName, keys } from '../../cluster/keys.ts';
import { PrefixMirror } from '../../cluster/prefix-mirror.ts';
import { type EnvelopeKey, decodeKey, encodeKey } from './envelope-key.ts';
import { EnvelopeKeyError } from './errors.ts';
import type { KeyRing } from './key-ring.ts';
import { type RotationOptions, planRotation } from './rotation.ts';

export interface KeyDistributionOptions extends RotationOptions {
  coordinator: Coordinator;
  cluster: string;
  /** The node's ring, fed from the coordinator. */
  ring: KeyRing;
  /** The leader's fencing guard, or undefined when this node does not lead. */
  leaderGuard: () => { key: string; value: string } | undefined;
  /** How often the leader runs the plan (default min(rotateEveryMs / 4, 5 s)). */
  checkEveryMs?: number;
  /** Wall clock in ms since the epoch (default Date.now); give the ring the same one. */
  now?: () => number;
  /** Failed ticks and coordinator errors while listing; malformed stored keys too, without `values`. */
  onError?: (err: unknown) => void;
  /** The node's reader of etcd values: malformed stored keys are counted and logged there. */
  values?: EtcdValues;
}

export class KeyDistribution {
  #rotations = 0;
  #retired = 0;
  readonly #o: KeyDistributionOptions;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  readonly #checkEveryMs: number;
  readonly #mirror: PrefixMirror;
  /** Decoded stored values by etcd key, kept while their revision holds (undefined: malformed, reported). */
  readonly #decoded = new Map<string, { revision: number; key: EnvelopeKey | undefined }>();
  #timer: NodeJS.Timeout | undefined;
  #tail: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #closed = false;

  constructor(o: KeyDistributionOptions) {
    // planRotation checks its options: run it once on nothing so a bad setting fails here,
    // not on every tick of the leader.
    planRotation([], 0, o);
    const checkEveryMs = o.checkEveryMs ?? Math.min(o.rotateEveryMs / 4, 5000);
    if (!Number.isFinite(checkEveryMs) || checkEveryMs <= 0) {
      throw new ConfigError(`envelope key checkEveryMs ${JSON.stringify(o.checkEveryMs)} is not a finite number of ms above 0`);
    }
    this.#o = o;
    this.#checkEveryMs = checkEveryMs;
    this.#prefix = keys.envelopeKeys(o.cluster);
    this.#now = o.now ?? Date.now;
    this.#onError = o.onError ?? (() => {});
    this.#mirror = new PrefixMirror(o.coordinator, this.#prefix, this.#onError);
    this.#mirror.on((items) => this.#feed(items));
  }

  /** Keys this node's leadership created. */
  get rotations(): number {
    return this.#rotations;
  }

  /** Keys this node's leadership deleted. */
  get retired(): number {
    return this.#retired;
  }

  /** Resolves once the ring holds what the first list found; then the leader's timer runs. */
  async start(): Promise<void> {
    await this.#mirror.start();
    if (this.#closed) return;
    this.#timer = setInterval(() => this.tick().catch(this.#onError), this.#checkEveryMs);
    this.#timer.unref();
    this.tick().catch(this.#onError);
  }

  /**
   * Runs the plan now if this node leads; call it on a leadership change too. Resolves after
   * a run that began after the call; rejects when the coordinator fails. A refused guard (no
   * longer leader) is not an error: nothing is written.
   */
  tick(): Promise<void> {
    // A run that has not started yet will read the coordinator afresh: it serves this call too.
    if (this.#queued) return this.#queued;
    const run = this.#tail.then(() => {
      this.#queued = undefined;
      return this.#run();
    });
    this.#queued = run;
    this.#tail = run.catch(() => {});
    return run;
  }

  async #run(): Promise<void> {
    if (this.#closed) return;
    const guard = this.#o.leaderGuard();
    if (!guard) return;
    const { items } = await this.#o.coordinator.list(this.#prefix);
    const held: EnvelopeKey[] = [];
    for (const kv of items) {
      // Malformed values are the mirror's to report; the plan goes on without them.
      const r = this.#read(kv);
      if (typeof r !== 'string') held.push(r);
    }
    const plan = planRotation(held, this.#now(), this.#o);
    const ops: TxnOp[] = plan.retire.map((id) => ({ type: 'delete', key: this.#prefix + id }));
    if (plan.create) ops.push({ type: 'put', key: this.#prefix + plan.create.id, value: encodeKey(plan.create) });
    if (ops.length === 0) return;
    const revision = await this.#o.coordinator.commitIf(guard, ops);
    if (revision === undefined) return;
    if (plan.create) this.#rotations++;
    this.#retired += plan.retire.length;
  }

  #feed(items: ReadonlyMap<string, KeyValue>): void {
    const ring: EnvelopeKey[] = [];
    for (const kv of items.values()) {
      let d = this.#decoded.get(kv.key);
      if (d === undefined || d.revision !== kv.revision) {
        d = { revision: kv.revision, key: undefined };
        const r = this.#read(kv);
        if (typeof r !== 'string') d.key = r;
        else if (this.#o.values) this.#o.values.reject('envelope-keys', kv, r);
        else this.#onError(new EnvelopeKeyError(`skipped ${kv.key}: ${r}`));
        this.#decoded.set(kv.key, d);
      }
      if (d.key) ring.push(d.key);
    }
    for (const k of this.#decoded.keys()) if (!items.has(k)) this.#decoded.delete(k);
    try {
      this.#o.ring.setKeys(ring);
    } catch (err) {
      this.#onError(err);
    }
  }

  /** The stored key, which must sit under its own id (a retirement deletes it by id), or what is wrong with it (without key material). */
  #read(kv: KeyValue): EnvelopeKey | string {
    const name = keyName(this.#prefix, kv.key);
    let k: EnvelopeKey;
    try {
      k = decodeKey(kv.value);
    } catch (err) {
      return `${(err as Error).message}; no node opens or seals with it until it is fixed or deleted`;
    }
    return k.id === name ? k : `it holds key id ${JSON.stringify(k.id)}, but a key is stored under its own id (${this.#prefix}${k.id}); move or delete it`;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#mirror.close();
  }
}
