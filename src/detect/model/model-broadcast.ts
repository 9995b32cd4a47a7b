// The anomaly model across the cluster. The trainer is a singleton: it runs on one node,
// trains on samples from every detector shard, and promotes on that node's board. So that
// every node's detectors score with the same model, the trainer's node publishes each
// promoted model under models/promoted (a KitNET model is tens of kB of JSON, well under
// etcd's request limit), and every node loads what appears there into its own board and
// keeps it on disk, so a restart scores at once. A node that starts later loads the
// cluster's model from the key instead of beginning a grace period of its own.
//
// Candidates in shadow are judged on the trainer's node only (its shards' traffic): the
// others see a model once it is promoted.

import type { ModelShelf } from '../model-shelf.ts';
import type { ModelBoard } from '../detector-shard.ts';
import type { Coordinator, KeyValue } from '../../cluster/coordinator.ts';
import type { EtcdValues, PublishedModel } from '../../cluster/etcd-values.ts';
import { clusterPrefix } from '../../cluster/keys.ts';
import { PrefixMirror } from '../../cluster/prefix-mirror.ts';

export function modelKey(cluster: string): string {
  return `${clusterPrefix(cluster)}models/promoted`;
}

export class ModelBroadcast {
  published = 0;
  imported = 0;
  private readonly mirror: PrefixMirror;
  private applied: string | undefined;
  /** The cluster's model in force here: the node that promoted it and its version there. */
  inForce: { origin: string; version: number } | null = null;
  private board: ModelBoard | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly o: { coordinator: Coordinator; cluster: string; nodeId: string; shelf: ModelShelf; onError: (err: unknown) => void; notice: (line: string) => void; values: EtcdValues },
  ) {
    this.mirror = new PrefixMirror(o.coordinator, modelKey(o.cluster), o.onError);
    this.mirror.on((items) => {
      const kv = items.get(modelKey(o.cluster));
      if (kv) this.chain = this.chain.then(() => this.apply(kv)).catch(o.onError);
    });
  }

  /** The shelf with promotion published to the cluster (what the trainer is given). */
  wrap(shelf: ModelShelf): ModelShelf {
    return {
      ...shelf,
      loadPromoted: () => shelf.loadPromoted(),
      train: (rows, count, flowContext) => shelf.train(rows, count, flowContext),
      promote: async (version) => {
        await shelf.promote(version);
        await this.publish(version);
      },
    };
  }

  /** Starts following the key; the board is the node's, which imported models go into. */
  async start(board: ModelBoard): Promise<void> {
    this.board = board;
    await this.mirror.start();
  }

  private async publish(version: number): Promise<void> {
    if (!this.o.shelf.exportModel) return;
    const model = await this.o.shelf.exportModel(version);
    const value: PublishedModel = { origin: this.o.nodeId, version, promotedAt: new Date().toISOString(), model };
    this.applied = `${value.origin}/${version}`;
    this.inForce = { origin: value.origin, version };
    await this.o.coordinator.put(modelKey(this.o.cluster), JSON.stringify(value));
    this.published++;
  }

  private async apply(kv: KeyValue): Promise<void> {
    const board = this.board;
    if (!board || !this.o.shelf.importModel) return;
    const p = this.o.values.model(kv);
    if (!p) return;
    const id = `${p.origin}/${p.version}`;
    if (id === this.applied) return;
    this.applied = id;
    if (p.origin === this.o.nodeId && board.current?.version === p.version) return;
    let scorer;
    try {
      scorer = await this.o.shelf.importModel(p.model, `node ${p.origin} (its version ${p.version})`);
    } catch (err) {
      this.o.values.reject('models', kv, `holds a model that does not load (${(err as Error).message.slice(0, 200)})`);
      return;
    }
    this.inForce = { origin: p.origin, version: p.version };
    board.current = scorer;
    board.candidate = null;
    board.grace = false;
    this.imported++;
    this.o.notice(`autoimmune[${this.o.nodeId}]: scoring with the cluster's model from ${p.origin} (its version ${p.version}, promoted ${p.promotedAt})`);
  }

  close(): void {
    this.mirror.close();
  }
}
