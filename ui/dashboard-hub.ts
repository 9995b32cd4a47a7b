// The dashboard's live state on one node and its WebSocket clients. It follows the node
// (tree samples, lifecycle events, alerts, bans from the registry's watch) and, in a
// cluster, polls the other members' APIs once a second (their trees, membership and new
// alerts), so any node's page shows the whole cluster. Clients get a snapshot when they
// connect, then one delta per PUSH_EVERY_MS at most, with only what changed; a client
// whose socket is backed up is skipped and resynchronised with a snapshot once it drains.

import type { WebSocket } from 'ws';
import type { Ban, BanRegistry } from '../src/respond/ban-registry.ts';
import type { ClusterHealth } from '../src/cluster/cluster-member.ts';
import type { Alert } from '../src/detect/alert.ts';
import type { ActorSystem } from '../src/supervisors/actor-system.ts';
import type { TreeSnapshot } from '../src/supervisors/cell.ts';
import type { LifecycleEvent } from '../src/supervisors/events.ts';
import { ALERTS_KEPT, PUSH_EVERY_MS, type AlertView, type ChaosEventView, type Delta, type LifecycleView, type NodeView, type Snapshot } from './dashboard-protocol.ts';
import { CounterTracker, alertView, banView, peerAlertViews, treeTotals } from './dashboard-views.ts';

export interface HubParts {
  system: ActorSystem;
  desk?: { alerts(limit: number): Alert[]; readonly alertsSeen: number; onAlert(fn: (a: Alert) => void): void };
  registry?: BanRegistry;
  cluster?: () => ClusterHealth;
  /** The other members to show (cluster mode): id and HTTP base URL. */
  peers?: () => Array<{ id: string; http: string }>;
  /** This node's own HTTP base URL. */
  http: string;
}

interface Peer {
  id: string;
  http: string;
  tree?: TreeSnapshot;
  treeJson?: string;
  view?: NodeView;
  alertsAfter: number | undefined;
  reachable: boolean;
}

const LIFECYCLE_KEPT = 300;
const CHAOS_KEPT = 300;
/** A client further behind than this is skipped until it drains (then gets a snapshot). */
const BACKLOG_BYTES = 1 << 20;

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { signal: AbortSignal.timeout(800) });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

export class DashboardHub {
  private readonly clients = new Map<WebSocket, { stale: boolean }>();
  private readonly alerts: AlertView[] = [];
  private alertsTotal = 0;
  private readonly bans = new Map<string, Ban>();
  private readonly lifecycle: LifecycleView[] = [];
  private readonly chaos: ChaosEventView[] = [];
  private chaosActive = false;
  private tree: TreeSnapshot;
  private treeJson = '';
  private readonly peers = new Map<string, Peer>();
  private readonly counters = new CounterTracker();
  private pending: Delta = { type: 'delta', at: 0 };
  private dirty = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private unwatch: (() => void) | undefined;
  private readonly onLifecycle = (e: LifecycleEvent) => {
    const v: LifecycleView = { at: e.at, node: e.node, type: e.type, path: e.path, ...(e.restarts !== undefined ? { restarts: e.restarts } : {}), ...(e.error ? { error: e.error } : {}) };
    this.lifecycle.push(v);
    if (this.lifecycle.length > LIFECYCLE_KEPT) this.lifecycle.shift();
    (this.pending.lifecycle ??= []).push(v);
    this.dirty = true;
    // A crash or restart shows at once, not at the next tree sample.
    if (e.type !== 'started') this.sampleTree();
  };

  constructor(private readonly parts: HubParts) {
    this.tree = parts.system.snapshot().tree;
    this.treeJson = JSON.stringify(this.tree);
    parts.system.lifecycle.on('lifecycle', this.onLifecycle);
    parts.desk?.onAlert((a) => this.addAlerts([alertView(a, parts.system.nodeId, parts.desk!.alertsSeen)], 1));
    if (parts.registry) {
      this.unwatch = parts.registry.watch((e) => {
        const address = e.type === 'put' ? e.ban.address : e.address;
        const was = this.bans.get(address);
        if (e.type === 'put') this.bans.set(address, e.ban);
        else this.bans.delete(address);
        // A feed's entries are not in the live list (banViews): their changes send nothing.
        if ((!was || isFeedBan(was)) && (e.type === 'delete' || isFeedBan(e.ban))) return;
        this.pending.bans = [];
        this.dirty = true;
      });
      void parts.registry.list().then((list) => {
        for (const b of list) if (!this.bans.has(b.address)) this.bans.set(b.address, b);
        this.pending.bans = [];
        this.dirty = true;
      });
    }
    this.timers.push(setInterval(() => this.push(), PUSH_EVERY_MS));
    this.timers.push(setInterval(() => this.sampleTree(), 500));
    if (parts.peers) this.timers.push(setInterval(() => void this.pollPeers(), 1000));
    for (const t of this.timers) t.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  addClient(ws: WebSocket): void {
    this.clients.set(ws, { stale: false });
    ws.on('close', () => this.clients.delete(ws));
    ws.on('error', () => this.clients.delete(ws));
    ws.send(JSON.stringify(this.snapshot()));
  }

  /** A chaos run's event (the chaos monkey reports here); shown in the chaos feed. */
  chaosEvent(e: ChaosEventView): void {
    this.chaos.push(e);
    if (this.chaos.length > CHAOS_KEPT) this.chaos.shift();
    (this.pending.chaos ??= []).push(e);
    this.dirty = true;
  }

  setChaosActive(active: boolean): void {
    this.chaosActive = active;
    this.pending.chaosActive = active;
    this.dirty = true;
  }

  snapshot(): Snapshot {
    return {
      type: 'snapshot',
      at: Date.now(),
      node: this.parts.system.nodeId,
      nodes: this.nodeViews(),
      trees: this.trees(),
      alerts: [...this.alerts],
      alertsTotal: this.alertsTotal,
      bans: this.banViews(),
      counters: this.counters.current,
      lifecycle: [...this.lifecycle],
      chaos: [...this.chaos],
      chaosActive: this.chaosActive,
    };
  }

  private addAlerts(views: AlertView[], total: number): void {
    for (const v of views) this.alerts.push(v);
    if (this.alerts.length > ALERTS_KEPT) this.alerts.splice(0, this.alerts.length - ALERTS_KEPT);
    this.alertsTotal += total;
    const p = (this.pending.alerts ??= []);
    for (const v of views) p.push(v);
    // A burst between two pushes sends at most what the page keeps.
    if (p.length > ALERTS_KEPT) p.splice(0, p.length - ALERTS_KEPT);
    this.pending.alertsTotal = this.alertsTotal;
    this.dirty = true;
  }

  private banViews() {
    // Feeds' entries (a list can hold 100,000s) stay out of the live list, which is sent whole
    // on every change: `autoimmune feeds list` and GET /api/feeds count them.
    const now = Date.now();
    return [...this.bans.values()].filter((b) => b.expiresAt > now && !isFeedBan(b)).map(banView);
  }

  private trees(): Record<string, TreeSnapshot> {
    const out: Record<string, TreeSnapshot> = { [this.parts.system.nodeId]: this.tree };
    for (const p of this.peers.values()) if (p.tree) out[p.id] = p.tree;
    return out;
  }

  private selfView(): NodeView {
    const c = this.parts.cluster?.();
    const id = this.parts.system.nodeId;
    if (!c) return { id, http: this.parts.http, lease: 'held', leader: id, isLeader: true, epoch: 0, owned: [], reachable: true };
    return { id, http: this.parts.http, lease: c.lease, leader: c.leader, isLeader: c.isLeader, epoch: c.epoch, owned: c.owned, reachable: true };
  }

  private nodeViews(): NodeView[] {
    const out = [this.selfView()];
    for (const p of this.peers.values()) out.push(p.view ?? { id: p.id, http: p.http, lease: 'unknown', leader: null, isLeader: false, epoch: 0, owned: [], reachable: p.reachable });
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private sampleTree(): void {
    const tree = this.parts.system.snapshot().tree;
    const json = JSON.stringify(tree);
    if (json !== this.treeJson) {
      this.tree = tree;
      this.treeJson = json;
      (this.pending.trees ??= {})[this.parts.system.nodeId] = tree;
      this.dirty = true;
    }
    let packets = 0;
    let drops = 0;
    for (const t of Object.values(this.trees())) {
      const s = treeTotals(t);
      packets += s.packets;
      drops += s.drops;
    }
    this.pending.counters = this.counters.update(Date.now(), packets, drops, this.alertsTotal, this.bans.size);
    this.pending.nodes = this.nodeViews();
    this.dirty = true;
  }

  private polling = false;
  private async pollPeers(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const listed = this.parts.peers!().filter((p) => p.id !== this.parts.system.nodeId);
      for (const id of [...this.peers.keys()]) {
        if (!listed.some((p) => p.id === id)) {
          this.peers.delete(id);
          this.pending.nodes = this.nodeViews();
          this.dirty = true;
        }
      }
      await Promise.all(listed.map((l) => this.pollPeer(l)));
    } finally {
      this.polling = false;
    }
  }

  private async pollPeer(l: { id: string; http: string }): Promise<void> {
    let p = this.peers.get(l.id);
    if (!p) this.peers.set(l.id, (p = { id: l.id, http: l.http, alertsAfter: undefined, reachable: true }));
    p.http = l.http;
    try {
      const [snap, c] = await Promise.all([getJson<{ tree: TreeSnapshot }>(`${l.http}/api/tree`), getJson<ClusterHealth | { mode: 'embedded' }>(`${l.http}/api/cluster`)]);
      const json = JSON.stringify(snap.tree);
      if (json !== p.treeJson) {
        p.tree = snap.tree;
        p.treeJson = json;
        (this.pending.trees ??= {})[l.id] = snap.tree;
      }
      if ('lease' in c) p.view = { id: l.id, http: l.http, lease: c.lease, leader: c.leader, isLeader: c.isLeader, epoch: c.epoch, owned: c.owned, reachable: true };
      p.reachable = true;
      // The first poll only learns where the peer's alert sequence is; after it, new ones.
      const after = p.alertsAfter ?? -1;
      const got = await getJson<{ total: number; alerts: Alert[] }>(`${l.http}/api/alerts?after=${Math.max(0, after)}&limit=${ALERTS_KEPT}`);
      if (after >= 0 && got.total > after) this.addAlerts(peerAlertViews(got, l.id), got.total - after);
      p.alertsAfter = got.total;
    } catch {
      p.reachable = false;
      if (p.view) p.view = { ...p.view, reachable: false };
    }
    this.dirty = true;
  }

  private push(): void {
    if (!this.dirty || this.clients.size === 0) {
      if (this.clients.size === 0) this.pending = { type: 'delta', at: 0 };
      return;
    }
    const delta = this.pending;
    this.pending = { type: 'delta', at: 0 };
    this.dirty = false;
    delta.at = Date.now();
    if (delta.bans) delta.bans = this.banViews();
    const text = JSON.stringify(delta);
    let snapshotText: string | undefined;
    for (const [ws, state] of this.clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (ws.bufferedAmount > BACKLOG_BYTES) {
        state.stale = true;
        continue;
      }
      if (state.stale) {
        state.stale = false;
        ws.send((snapshotText ??= JSON.stringify(this.snapshot())));
      } else {
        ws.send(text);
      }
    }
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.parts.system.lifecycle.off('lifecycle', this.onLifecycle);
    this.unwatch?.();
    for (const ws of this.clients.keys()) ws.close(1001, 'node stopping');
    this.clients.clear();
  }
}

/** A threat-intel feed's ban (detector feed:<name>). */
function isFeedBan(b: Ban): boolean {
  return b.detector.startsWith('feed:');
}
