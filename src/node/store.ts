// A node's event store put together from its configuration: the database in the state
// directory, the similarity index beside it, the store actor, the desk's alerts and decisions
// fed to it, and the question and tool machinery (scatter-gather over the cluster when the
// node is a member). node.ts calls openNodeStore and adds `spec` to its tree.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { storeFeeder, storeSpec } from '../actors/store.ts';
import { Confirmations, type ToolContext } from '../ask/tools.ts';
import type { ClusterMember } from '../cluster/cluster-member.ts';
import type { Config } from '../config/schema.ts';
import { featureCount } from '../detect/flow-features.ts';
import type { BanDesk } from '../respond/ban-desk.ts';
import type { EventQuery } from '../store/event-query.ts';
import { EventStore } from '../store/event-store.ts';
import { openBackendInThread } from '../store/backend-thread.ts';
import { ScatterGather, type StoreMessage } from '../store/scatter-gather.ts';
import { SimilarIndex } from '../store/similar-index.ts';
import type { StoreBackend } from '../store/sql-backend.ts';
import type { ActorSystem } from '../supervisors/actor-system.ts';
import type { WorkerSpec } from '../supervisors/child-spec.ts';
import { PRIORITY } from '../supervisors/priorities.ts';
import { makePrivate } from '../util/private-files.ts';
import { STORE_PATH } from '../actors/tree-layout.ts';

export interface NodeStore {
  spec: WorkerSpec;
  store: EventStore;
  gather: ScatterGather;
  tools: ToolContext;
  confirmations: Confirmations;
  /** The actor system (sends to the store actor go through it once it exists). */
  attach(system: ActorSystem, member?: ClusterMember): void;
  close(): Promise<void>;
}

async function openBackend(config: Config, stateDir: string): Promise<StoreBackend | null> {
  switch (config.store.backend) {
    case 'duckdb': {
      const path = join(stateDir, 'events.duckdb');
      const duckdb = { memoryMb: config.store.duckdbMemoryMb, threads: config.store.duckdbThreads };
      return config.store.thread ? openBackendInThread('duckdb', path, duckdb) : (await import('../store/duckdb-backend.ts')).openDuckdbBackend(path, duckdb);
    }
    case 'sqlite': {
      const path = join(stateDir, 'events.sqlite');
      return config.store.thread ? openBackendInThread('sqlite', path) : (await import('../store/sqlite-backend.ts')).openSqliteBackend(path);
    }
    case 'memory':
      return null;
  }
}

export async function openNodeStore(config: Config, o: { stateDir: string; desk: BanDesk; notice: (line: string) => void }): Promise<NodeStore | null> {
  const c = config.store;
  if (!c.enabled) return null;
  const node = config.node.id;
  const backend = await openBackend(config, o.stateDir);
  const indexFile = join(o.stateDir, 'similar.usearch');
  let index: SimilarIndex;
  try {
    makePrivate([indexFile]);
    index = existsSync(indexFile) ? SimilarIndex.load(indexFile) : new SimilarIndex({ dimensions: featureCount() });
  } catch (err) {
    o.notice(`autoimmune: the similarity index in ${indexFile} could not be read (${(err as Error).message}); starting a new one`);
    index = new SimilarIndex({ dimensions: featureCount() });
  }
  const store = new EventStore({
    node,
    backend,
    index,
    memoryMs: c.memoryMinutes * 60_000,
    maxMemoryRows: c.memoryRows,
    maxPending: c.maxPending,
    compactAfterMs: c.compactAfterHours * 3_600_000,
    retentionMs: c.retentionDays * 86_400_000,
  });
  let system: ActorSystem | undefined;
  let member: ClusterMember | undefined;
  const feeder = storeFeeder((msg) => system?.send(STORE_PATH, msg, PRIORITY.alerts));
  // A decision's country and AS are its alert's: the newest alerts' geo, by address.
  const geoOf = new Map<string, { country: string | null; asn: number | null }>();
  o.desk.onAlert((a) => {
    if (a.geo) {
      geoOf.delete(a.source);
      geoOf.set(a.source, { country: a.geo.country, asn: a.geo.asn });
      if (geoOf.size > 10_000) geoOf.delete(geoOf.keys().next().value!);
    }
    feeder.push({ alert: a, at: Date.now() });
  });
  o.desk.onDecision((d) => {
    const geo = geoOf.get(d.address);
    feeder.push(geo ? { decision: d, geo } : { decision: d });
  });
  const gather = new ScatterGather({
    node,
    store,
    send: (to: string, msg: StoreMessage) => member?.router.sendToNode(to, STORE_PATH, msg, PRIORITY.alerts) ?? false,
    members: () => (member ? member.members().map((m) => m.id) : [node]),
    timeoutMs: c.queryTimeoutMs,
    onError: (err, q) => o.notice(`autoimmune: event store: a ${q.measure} query over ${q.kind}s failed: ${(err as Error).stack ?? String(err)}`),
  });
  const tools: ToolContext = {
    run: (q: EventQuery, where: string) => gather.run(q, where),
    similar: async (id, k) => ({ hits: await store.like(id, k) }),
    desk: o.desk,
    now: () => Date.now(),
  };
  const spec = storeSpec({ store, gather, onError: (err) => o.notice(`autoimmune: event store: ${(err as Error).message}`) });
  return {
    spec,
    store,
    gather,
    tools,
    confirmations: new Confirmations(),
    attach(s, m) {
      system = s;
      member = m;
    },
    async close() {
      // The node's actors are stopped by now: what the feeder still held goes to the store directly.
      for (const e of feeder.close()) {
        if ('alert' in e) store.addAlert(e.alert, e.at);
        else store.addDecision(e.decision, e.geo);
      }
      await store.close();
      try {
        index.save(indexFile);
      } catch (err) {
        o.notice(`autoimmune: could not save the similarity index to ${indexFile}: ${(err as Error).message}`);
      }
    },
  };
}
