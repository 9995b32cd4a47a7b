// One node's membership of an etcd cluster, put together: the lease (join, renew, fence,
// rejoin), the election, the leader's placer, the reconciler that runs what placement gives
// this node, and the router and transport that carry messages to actors elsewhere.

import type { ActorSystem } from '../supervisors/actor-system.ts';
import { ClusterRouter, type RouterStats } from '../remote/cluster-router.ts';
import type { Coordinator } from './coordinator.ts';
import { LeaderElection } from './election.ts';
import type { EtcdValues } from './etcd-values.ts';
import { nodeSignatureProblem, signNode } from './join-secret.ts';
import { keys } from './keys.ts';
import { NodeLease, type LeaseState } from './node-lease.ts';
import { Placer, parsePlacements, readNodes, type NodeRecord } from './placement/placer.ts';
import { Reconciler, type LocalActor } from './placement/reconciler.ts';
import type { ClusterShape, PlacementLayout } from './placement/specs.ts';
import { PrefixMirror } from './prefix-mirror.ts';
import { RestartLedger } from './restart-ledger.ts';
import { KeyDistribution } from '../remote/envelope/key-distribution.ts';
import type { KeyRing } from '../remote/envelope/key-ring.ts';
import type { Transport, TransportHandlers, TransportStats } from '../remote/transport/types.ts';

export interface ClusterMemberOptions {
  cluster: string;
  leaseTtlMs: number;
  shape: ClusterShape;
  /** The application's actor tree: what is placed and where it lives (src/node/placement-layout.ts, from src/actors/tree-layout.ts). */
  layout: PlacementLayout;
  system: ActorSystem;
  coordinator: Coordinator;
  /** Starts this node's transport with the router's handlers. */
  transport: (handlers: TransportHandlers) => Promise<Transport>;
  /** The registration without the transport's address and key and the signature (added here). */
  record: Omit<NodeRecord, 'address' | 'publicKey' | 'mac'>;
  /** The cluster's join secret: this node signs its registration with it and admits only registrations it signed. */
  joinSecret: Buffer;
  /** The node's reader of etcd values (schemas; skipped values counted and logged). */
  values: EtcdValues;
  /** What this node runs for a placed actor id, placed as `kind`; undefined: nothing here. */
  catalogue: (actorId: string, kind: string | undefined) => LocalActor | undefined;
  notice: (line: string) => void;
  /** The host to publish instead of the bound one (a wildcard bind is not an address to connect to). */
  advertiseHost?: string;
  /** The AES-GCM envelope: the ring the transport seals with, fed and rotated through etcd. */
  envelope?: { ring: KeyRing; rotateEveryMs: number };
}

/**
 * A new envelope key is handed out this long before anyone seals with it (above a watch's
 * propagation on a loaded host); a replaced one is kept this long, past the transport's
 * longest retransmission (ack timeout 2 s doubling up to 16×).
 */
const ENVELOPE_ACTIVATE_AFTER_MS = 2_000;
const ENVELOPE_MAX_MESSAGE_AGE_MS = 60_000;

/** The transport's bound address with its host replaced by the advertised one. */
export function advertisedAddress(bound: string, host: string | undefined): string {
  if (!host) return bound;
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(bound);
  return m ? `tcp://${host.includes(':') ? `[${host}]` : host}:${m[2]}` : bound;
}

export interface ClusterHealth {
  mode: 'etcd';
  node: string;
  lease: LeaseState;
  leaseId: number | null;
  leader: string | null;
  isLeader: boolean;
  /** Highest placement revision seen: the newest epoch this node knows. */
  epoch: number;
  owned: string[];
  members: string[];
  fences: number;
  /** Peers whose send window is above 80 % (value 80 or 90). */
  alarms: Record<string, number>;
  router: RouterStats;
  transport: TransportStats;
  /** Values read from etcd and skipped (malformed, or a registration not signed with the join secret), by prefix. */
  etcdRejected: Record<string, number>;
}

function load(): Record<string, number> {
  const m = process.memoryUsage();
  return { rssMb: Math.round(m.rss / 1048576), uptimeS: Math.round(process.uptime()) };
}

export class ClusterMember {
  private constructor(
    private readonly o: ClusterMemberOptions,
    readonly router: ClusterRouter,
    readonly transport: Transport,
    private readonly nodes: PrefixMirror,
    private readonly placements: PrefixMirror,
    readonly reconciler: Reconciler,
    readonly election: LeaderElection,
    readonly placer: Placer,
    readonly lease: NodeLease,
    private readonly unfollow: () => void,
    private readonly keyDistribution: KeyDistribution | undefined,
    /** The registrations admitted now: well formed and signed with the join secret. */
    private readonly admitted: () => NodeRecord[],
  ) {}

  static async start(o: ClusterMemberOptions): Promise<ClusterMember> {
    const id = o.system.nodeId;
    const say = (line: string) => o.notice(`autoimmune[${id}]: ${line}`);
    const quiet = (what: string) => {
      let last = 0;
      return (err: unknown) => {
        // One line per 5 s at most: a down etcd would otherwise print at every retry.
        if (Date.now() - last < 5000) return;
        last = Date.now();
        say(`${what}: ${(err as Error).message}`);
      };
    };
    const router = new ClusterRouter(o.system, o.layout);
    o.system.remoteRouter = router;
    const transport = await o.transport(router);
    router.transport = transport;
    const nodes = new PrefixMirror(o.coordinator, keys.nodes(o.cluster), quiet('listing members'));
    const placements = new PrefixMirror(o.coordinator, keys.placements(o.cluster), quiet('listing placement'));
    const ledger = new RestartLedger(o.coordinator, o.cluster, o.system, quiet('recording a restart'), o.values, o.layout);
    const admitted = () => readNodes(nodes, o.values, (r) => nodeSignatureProblem(o.joinSecret, o.cluster, r));
    const reconciler = new Reconciler(o.system, o.catalogue, router, (actor, err) => say(`could not start or stop ${actor}: ${(err as Error).message}`), (id) => ledger.history(id), o.layout);
    const unfollow = ledger.follow((id) => reconciler.running.has(id));
    router.onAlarmEvent = (a) => say(`transport to ${a.peer}: ${a.level ? `${a.level} % of its send window in use (${a.used}/${a.capacity})` : 'back below 80 % of its send window'}`);
    let placer: Placer | undefined;
    let keyDistribution: KeyDistribution | undefined;
    const election = new LeaderElection(
      o.coordinator,
      keys.leader(o.cluster),
      id,
      (leader, me) => {
        say(me ? 'leads the cluster' : `leader is ${leader ?? 'nobody (election under way)'}`);
        placer?.schedule();
        if (me) void keyDistribution?.tick().catch(quiet('rotating envelope keys'));
      },
      quiet('watching the leader'),
      o.values,
    );
    placer = new Placer({ coordinator: o.coordinator, cluster: o.cluster, election, members: admitted, placements, values: o.values, shape: o.shape, layout: o.layout, onError: quiet('placing actors') });
    const lease = new NodeLease({
      coordinator: o.coordinator,
      key: keys.node(o.cluster, id),
      ttlMs: o.leaseTtlMs,
      value: () => {
        const signed = { id, http: o.record.http, address: advertisedAddress(transport.address, o.advertiseHost), publicKey: transport.publicKey };
        return JSON.stringify({ ...o.record, ...signed, load: load(), mac: signNode(o.joinSecret, o.cluster, signed) } satisfies NodeRecord);
      },
    });
    if (o.envelope) {
      keyDistribution = new KeyDistribution({
        coordinator: o.coordinator,
        cluster: o.cluster,
        ring: o.envelope.ring,
        leaderGuard: () => election.guard(),
        rotateEveryMs: o.envelope.rotateEveryMs,
        activateAfterMs: ENVELOPE_ACTIVATE_AFTER_MS,
        maxMessageAgeMs: ENVELOPE_MAX_MESSAGE_AGE_MS,
        onError: quiet('envelope keys'),
        values: o.values,
      });
    }
    const member = new ClusterMember(o, router, transport, nodes, placements, reconciler, election, placer, lease, unfollow, keyDistribution, admitted);
    nodes.on(() => {
      transport.setPeers(admitted().filter((n) => n.id !== id).map((n) => ({ id: n.id, address: n.address, publicKey: n.publicKey })));
      router.peersChanged();
      placer!.schedule();
    });
    placements.on(() => {
      void reconciler.update(parsePlacements(o.values, placements));
      // The leader puts back a placement someone else changed or broke (a value it cannot read counts as none).
      placer!.schedule();
    });
    lease.on('error', quiet('renewing the lease'));
    lease.on('state', (state, why) => {
      say(`lease ${state}: ${why}`);
      if (state === 'held') {
        void reconciler.unfence();
        void election.campaign(lease.lease!).catch(quiet('campaigning'));
      } else if (state === 'fenced') {
        election.suspend();
        void reconciler.fence();
      }
    });
    await Promise.all([nodes.start(), placements.start(), election.start(), keyDistribution?.start()]);
    lease.start();
    return member;
  }

  health(): ClusterHealth {
    return {
      mode: 'etcd',
      node: this.o.system.nodeId,
      lease: this.lease.state,
      leaseId: this.lease.lease ?? null,
      leader: this.election.leader ?? null,
      isLeader: this.election.isLeader,
      epoch: this.placements.revision,
      owned: [...this.reconciler.running.keys()].sort(),
      members: this.admitted().map((n) => n.id),
      fences: this.lease.fences,
      alarms: Object.fromEntries(this.router.alarms),
      router: this.router.counts,
      transport: this.transport.stats(),
      etcdRejected: this.o.values.counts(),
    };
  }

  /** The members' registrations (this node's included): ids, HTTP addresses, captures. */
  members(): NodeRecord[] {
    return this.admitted();
  }

  /** Leaves gracefully: gives up leadership and the lease, so the others take over at once. */
  async leave(): Promise<void> {
    await this.election.resign();
    await this.lease.stop();
  }

  /** After the actor system stopped: closes the watches and the transport. */
  async close(): Promise<void> {
    this.unfollow();
    this.keyDistribution?.close();
    this.placer.close();
    this.election.close();
    this.nodes.close();
    this.placements.close();
    this.reconciler.close();
    this.router.close();
    await this.transport.close();
  }
}
