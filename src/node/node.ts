// One autoimmune node: the coordinator (embedded unless etcd endpoints are configured), the
// supervised actor tree and the HTTP server for /health, the status page and the JSON API.

import { shardsInThreads } from '../net/shard-count.ts';
import type { Coordinator } from '../cluster/coordinator.ts';
import { EmbeddedCoordinator } from '../cluster/embedded-coordinator.ts';
import type { Config } from '../config/schema.ts';
import { FileSource, type LoopPass } from '../net/file-source.ts';
import type { ReplayPace } from '../http/replay-api.ts';
import { membershipSpec } from '../cluster/membership-actor.ts';
import { ActorSystem, type ActorSystemOptions } from '../supervisors/actor-system.ts';
import { LiveCapture } from '../net/live-capture.ts';
import { buildPipeline, type PipelineSource } from './pipeline.ts';
import { setPacketPathNice } from './packet-path-priority.ts';
import { setSessionGroupNice } from './session-group-nice.ts';
import { startHttpServer, type HttpServer } from '../http/server.ts';
import type { BanRegistry } from '../respond/ban-registry.ts';
import { assembleDefence, type Defence } from './defence.ts';
import type { ModelShelf } from '../detect/model-shelf.ts';
import { featureCount } from '../detect/flow-features.ts';
import { chooseFirewallBackend } from '../firewall/choose-backend.ts';
import type { FirewallBackend } from '../firewall/backend.ts';
import { clearNodeUrl, loadOrCreateToken, writeNodeUrl } from './state-dir.ts';
import { liveOptions, preflight, type Checked } from './preflight.ts';
import { wallClock } from '../util/clock.ts';
import type { EtcdCoordinator } from '../cluster/etcd-coordinator.ts';
import { EtcdBanRegistry } from '../respond/etcd-ban-registry.ts';
import { EtcdValues } from '../cluster/etcd-values.ts';
import { joinSecretPath, resolveJoinSecret } from '../cluster/join-secret.ts';
import type { ClusterMember } from '../cluster/cluster-member.ts';
import { startMember } from './cluster.ts';
import { openNodeStore, type NodeStore } from './store.ts';
import { warmPacketPath } from './warm-up.ts';
import { ModelBroadcast } from '../detect/model/model-broadcast.ts';
import { JournaledBackend } from '../firewall/journal.ts';
import { lockFirewallTable, type TableLock } from '../firewall/table-lock.ts';
import { DurableBanRegistry, BANS_FILE } from '../respond/durable-ban-registry.ts';
import { EtcdOffenceBook } from '../respond/etcd-offence-book.ts';
import { ClusterBanBudget } from '../respond/ban-budget.ts';
import type { PolicyState } from '../respond/policy.ts';
import { responderOf } from '../config/load-config.ts';
import { FIREWALL_RECONCILE } from '../actors/firewall.ts';
import { keepProtectedSetCurrent } from './protected-set.ts';
import { startOperatorServices } from './operator-services.ts';
import { CaptureUploads } from './capture-uploads.ts';
import { OperatorAllowList } from '../respond/operator-allow.ts';
import { openAllowStore } from './open-allow-store.ts';
import { parseCidr } from '../respond/cidr.ts';
import { join } from 'node:path';
import { holdPrivateUmask } from '../util/private-files.ts';
import { FIREWALL_PATH, TRAINER_ID, detectorPath } from '../actors/tree-layout.ts';

export interface RunningNode {
  config: Config;
  /** Interfaces captured live (empty without root or when none are configured). */
  interfaces: string[];
  system: ActorSystem;
  coordinator: Coordinator;
  http: HttpServer;
  defence: Defence;
  registry: BanRegistry;
  firewall: JournaledBackend;
  stateDir: string;
  /** This node's cluster membership (etcd mode only). */
  cluster: ClusterMember | undefined;
  /** The event store with its questions and tools (null when store.enabled is false). */
  events: NodeStore | null;
  /** The base URL the HTTP server listens on. */
  url: string;
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  onRootGaveUp?: ActorSystemOptions['onRootGaveUp'];
  /** Where one-line notices go (default stderr). */
  notice?: (line: string) => void;
  /** Instead of the configured backend (tests). */
  firewall?: FirewallBackend;
  /** Instead of the node's model shelf (tests; null: rules only). */
  models?: ModelShelf | null;
  /** Instead of live capture on the configured interfaces (tests, replays). */
  sources?: PipelineSource[];
  /** How long to keep trying an etcd that does not answer at start (default: for ever). */
  etcdRetryForMs?: number;
}

/**
 * The configured replay as one more capture source, resuming after what it delivered. A
 * count-paced replay's rate lives in `pace`, which outlives the source's incarnations and
 * which POST /api/replay changes (a load spike, a throttle).
 */
function replaySources(config: Config, pace: ReplayPace | undefined): PipelineSource[] {
  const r = config.capture.replay;
  if (r.files.length === 0) return [];
  const options = pace ? { pace } : { speed: 1 };
  // Measured by the first incarnation that completes a pass; a restart passes over whole passes by it.
  const passes: LoopPass = {};
  return [{ id: 'replay', restart: 'transient', open: (skip) => new FileSource(r.files, { ...options, skip, loop: r.loop, passes, batchSize: config.pipeline.batchSize }) }];
}

export async function startNode(config: Config, options: StartNodeOptions = {}): Promise<RunningNode> {
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clustered = config.cluster.etcd.length > 0;
  // Every problem the configuration has on this machine, all reported at once, before anything starts.
  const checked = await preflight(config, { notice, sources: options.sources !== undefined });
  const { interfaces, geo, stateDir } = checked;
  for (const f of checked.failpoints) notice(`autoimmune: FAIL POINT ON, this build is broken on purpose: ${f}`);
  // Every file the node writes from here on is owner-only (database, its WAL, index, models).
  const releaseUmask = holdPrivateUmask();
  const token = loadOrCreateToken(stateDir, config.http.token);
  // The port next: one in use is said in one line before any actor, lock or connection exists.
  let http: HttpServer;
  try {
    http = await startHttpServer({ ...config.http, token: token.token }, { log: notice });
  } catch (err) {
    releaseUmask();
    throw err;
  }
  writeNodeUrl(stateDir, http.url);
  try {
    return await startRest(config, options, { notice, clustered, interfaces, geo, stateDir, etcdSecurity: checked.etcdSecurity, http, releaseUmask });
  } catch (err) {
    clearNodeUrl(stateDir, http.url);
    await http.close().catch(() => {});
    releaseUmask();
    throw err;
  }
}

interface Started {
  notice: (line: string) => void;
  clustered: boolean;
  interfaces: string[];
  geo: Checked['geo'];
  stateDir: string;
  etcdSecurity: Checked['etcdSecurity'];
  http: HttpServer;
  releaseUmask: () => void;
}

async function startRest(config: Config, options: StartNodeOptions, started: Started): Promise<RunningNode> {
  const { notice, clustered, interfaces, geo, stateDir, http, releaseUmask } = started;
  // First after the port, so a cluster node with no etcd says so (and retries) before anything else starts.
  let etcd: EtcdCoordinator | undefined;
  // Every value read from etcd goes through this (schemas; what it skips is counted and logged).
  const values = new EtcdValues(config.cluster.name, { notice: (line) => notice(`autoimmune[${config.node.id}]: ${line}`) });
  if (clustered) {
    const { connectEtcd } = await import('../cluster/etcd-coordinator.ts');
    etcd = await connectEtcd(config.cluster.etcd, {
      security: started.etcdSecurity ?? {},
      ...(options.etcdRetryForMs !== undefined ? { retryForMs: options.etcdRetryForMs } : {}),
      onRetry: (_attempt: number, err: unknown) => notice(`autoimmune: ${(err as Error).message}`),
    });
  }
  const joinSecret = etcd
    ? await resolveJoinSecret({ coordinator: etcd, cluster: config.cluster.name, nodeId: config.node.id, file: joinSecretPath(stateDir, config.cluster.joinSecretFile), values, notice }).catch(async (err: unknown) => {
        await etcd!.close();
        throw err;
      })
    : undefined;
  let chosenFirewall = options.firewall;
  let tableLock: TableLock | undefined;
  if (!chosenFirewall) {
    const chosen = await chooseFirewallBackend(config.firewall.backend, { table: config.firewall.table, xdp: config.firewall.xdp });
    chosenFirewall = chosen.backend;
    // One owner per table: a second node here would reconcile the first one's bans away.
    if (chosenFirewall.name !== 'dry-run') tableLock = lockFirewallTable({ backend: chosenFirewall.name, table: config.firewall.table, node: config.node.id, stateDir });
    notice(`autoimmune: firewall ${chosen.why}`);
  }
  const firewall = new JournaledBackend(chosenFirewall);
  let models = options.models;
  if (models === undefined && config.model.enabled) {
    // Loaded only when the model is on: tfjs takes a while to load.
    const { openModelShelf } = await import('../detect/model-shelf.ts');
    models = await openModelShelf(stateDir, config.model);
    notice(`autoimmune: anomaly model on tfjs backend ${models.backend}`);
  }
  // In a cluster the trainer's node publishes each promoted model and every node loads it.
  let broadcast: ModelBroadcast | undefined;
  if (etcd && models) {
    broadcast = new ModelBroadcast({ coordinator: etcd, cluster: config.cluster.name, nodeId: config.node.id, shelf: models, notice, values, onError: (err) => notice(`autoimmune: model broadcast: ${(err as Error).message}`) });
    models = broadcast.wrap(models);
  }
  // Bans and offences outlive the process: in etcd for a cluster, in the state dir alone.
  let registry: BanRegistry;
  let policyState: PolicyState;
  let offenceBook: EtcdOffenceBook | undefined;
  if (etcd) {
    registry = new EtcdBanRegistry(etcd.client, config.cluster.name, wallClock, etcd, values);
    offenceBook = new EtcdOffenceBook(etcd, config.cluster.name, wallClock, (err) => notice(`autoimmune: offence history: ${(err as Error).message}`), (kv) => values.offence(kv));
    await offenceBook.start();
    // The automatic-ban rate limit counts every node's automatic bans.
    const budget = new ClusterBanBudget(responderOf(config).rateLimit);
    registry.watch((e) => budget.observe(e, wallClock.now()));
    policyState = { offences: offenceBook, budget };
  } else {
    const durable = DurableBanRegistry.open(join(stateDir, BANS_FILE), wallClock);
    const r = durable.report;
    if (r.loaded + r.expired + r.corrupt > 0) notice(`autoimmune: bans: ${r.loaded} in force loaded from ${durable.file}, ${r.expired} expired while stopped${r.corrupt ? `, ${r.corrupt} unreadable rows dropped` : ''}; ${r.offences} offence records`);
    registry = durable;
    policyState = { offences: durable.offences };
  }
  const defence = await assembleDefence({
    config,
    registry,
    firewall,
    models: models ?? null,
    featureCount: featureCount(),
    placed: clustered,
    policyState,
    // The firewall reports each ban once (again only if why changes).
    onFirewallSetAside: (address, why) => notice(`autoimmune: firewall: ban of ${address} set aside, not applied: ${why}`),
  });
  // The allow-list changed at run time joins the protected set before any ban is enforced
  // (in a cluster, read from etcd before the firewall's first reconcile).
  const responder = responderOf(config);
  const allow = new OperatorAllowList(await openAllowStore(etcd, config, { stateDir, values, notice }), defence.protectedSet, responder.allow.map((a) => parseCidr(a).text), defence.desk, responder.minPrefix);
  await broadcast?.start(defence.board);
  const events = await openNodeStore(config, { stateDir, desk: defence.desk, notice });
  warmPacketPath(config, defence, geo, notice);
  const replayPace: ReplayPace | undefined = config.capture.replay.files.length > 0 && config.capture.replay.pps > 0 ? { pps: config.capture.replay.pps, configuredPps: config.capture.replay.pps } : undefined;
  const sources: PipelineSource[] = options.sources ?? [
    ...interfaces.map((iface, i) => ({ id: `capture-${iface.replace(/[^A-Za-z0-9_-]/g, '_')}`, restart: 'permanent' as const, highWater: config.capture.queueBatches, lateMs: config.capture.lateMs, open: () => LiveCapture.open(liveOptions(config, iface, i)) })),
    ...replaySources(config, replayPace),
  ];
  const pipeline = buildPipeline({
    sources,
    placed: clustered,
    shards: config.pipeline.shards,
    batchSize: config.pipeline.batchSize,
    highWater: config.pipeline.highWater,
    features: config.features,
    geo,
    shardMailbox: config.pipeline.shardMailbox,
    next: (shard) => detectorPath(shard),
    ...(shardsInThreads(config.pipeline.workers) ? { shardSpec: defence.workerShard } : {}),
  });
  const coordinator: Coordinator = etcd ?? new EmbeddedCoordinator();
  const system = new ActorSystem({
    nodeId: config.node.id,
    defaults: config.supervision,
    ...(options.onRootGaveUp ? { onRootGaveUp: options.onRootGaveUp } : {}),
    root: {
      strategy: 'one_for_one',
      intensity: config.supervision.intensity,
      children: [
        // In a cluster, membership is the cluster member's lease (below), not an actor.
        ...(clustered
          ? []
          : [
              {
                type: 'supervisor' as const,
                id: 'cluster',
                kind: 'cluster',
                strategy: 'one_for_one' as const,
                children: [membershipSpec(coordinator, config.cluster.name, { id: config.node.id, http: http.url, pid: process.pid, startedAt: new Date().toISOString() }, config.cluster.leaseTtlMs)],
              },
            ]),
        // Consumers before producers: the event store, response, then detection, then the packet path.
        ...(events ? [events.spec] : []),
        defence.detection.response,
        defence.detection.detection,
        pipeline.spec,
      ],
    },
  });
  await system.start();
  // Once every thread so far has started (the event store's keeps its own priority).
  // The threads' values order them within the node's session; the session group's (when the
  // node leads it) is its share against other sessions (src/node/session-group-nice.ts).
  const releaseThreadNice = setPacketPathNice(config.pipeline.nice, notice);
  const releaseGroupNice = setSessionGroupNice(config.pipeline.nice, notice);
  const releaseNice = (): void => {
    releaseThreadNice?.();
    releaseGroupNice?.();
  };
  let member: ClusterMember | undefined;
  if (clustered) {
    try {
      member = await startMember(config, system, coordinator, { interfaces, pipeline, detection: defence.detection, sources, stateDir, http: http.url, notice, joinSecret: joinSecret!, values, workers: shardsInThreads(config.pipeline.workers), shardThread: (shard) => defence.workerShard(shard, false) });
    } catch (err) {
      await system.stop();
      releaseNice();
      await events?.close();
      defence.close();
      allow.close();
      await http.close();
      await coordinator.close();
      throw err;
    }
  }
  events?.attach(system, member);
  const protection = keepProtectedSetCurrent({
    protectedSet: defence.protectedSet,
    guard: defence.desk.policy.guard,
    registry,
    etcd: config.cluster.etcd,
    ...(member ? { members: () => member.members() } : {}),
    reconcileFirewall: () => system.send(FIREWALL_PATH, FIREWALL_RECONCILE),
  });
  await protection.ready;
  // The cluster's allow-list changed (through any node, or straight in etcd): the firewall
  // reconciles, so a ban in force it now covers leaves the kernel and one it no longer covers
  // is enforced again.
  allow.onChange(() => system.send(FIREWALL_PATH, FIREWALL_RECONCILE));
  const operator = await startOperatorServices({ config, registry, guard: defence.desk.policy.guard, desk: defence.desk, stateDir, notice, ...(member ? { leads: () => member.health().isLeader } : {}) });
  const captures = new CaptureUploads({
    system,
    pipeline,
    dir: join(stateDir, 'captures'),
    batchSize: config.pipeline.batchSize,
    highWater: config.pipeline.highWater,
    maxBytes: config.http.captureUploadMb * 2 ** 20,
    counts: () => ({ alerts: defence.desk.alertsSeen, bans: defence.desk.log.counts().byAction.ban }),
  });
  http.attach({
    system,
    coordinator,
    config,
    response: defence.desk,
    desk: defence.desk,
    alertRecords: defence.desk,
    allow,
    captures,
    geo: (address) => geo.lookup(address),
    registry,
    firewall,
    ...(replayPace ? { replay: replayPace } : {}),
    ...(events ? { events } : {}),
    operator,
    ...(defence.trainer
      ? {
          model: () => {
            // In a cluster the trainer runs on one node: its state is that node's to tell.
            const trainerHere = !member || member.health().owned.includes(TRAINER_ID);
            return {
              kind: config.model.kind,
              flowScoring: config.model.flowScoring,
              grace: defence.board.grace,
              rowsCollected: defence.trainer!.rows,
              graceRows: config.model.graceRows,
              version: defence.board.current?.version ?? null,
              threshold: defence.board.current?.threshold ?? null,
              candidate: defence.board.candidate?.version ?? null,
              cluster: broadcast?.inForce ?? null,
              trainerHere,
              // phase, grace progress, the model in force, alert rate, flagged addresses, candidate in shadow, last event
              state: trainerHere ? defence.trainer!.state() : null,
            };
          },
        }
      : {}),
    protection: { entries: () => defence.protectedSet.entries(), setAside: () => defence.detection.firewall.setAside },
    ...(member ? { cluster: () => member.health(), peers: () => member.members().map((m) => ({ id: m.id, http: m.http })) } : {}),
  });
  let stopped = false;
  return {
    config,
    interfaces,
    system,
    coordinator,
    http,
    defence,
    registry,
    firewall,
    stateDir,
    url: http.url,
    cluster: member,
    events,
    async stop() {
      if (stopped) return;
      stopped = true;
      protection.stop();
      await captures.close();
      await operator.stop();
      await member?.leave();
      // The kernel's rules stay: they carry their own timeouts, and the next start reconciles
      // them to the registry, so a restart or an upgrade opens no window.
      await system.stop();
      await events?.close();
      await member?.close();
      broadcast?.close();
      defence.close();
      allow.close();
      offenceBook?.close();
      await registry.close();
      tableLock?.release();
      clearNodeUrl(stateDir, http.url);
      await http.close();
      await coordinator.close();
      releaseNice();
      releaseUmask();
    },
  };
}
