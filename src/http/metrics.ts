// /metrics in the Prometheus text format (prom-client), one registry per node (several
// nodes may share a process in tests). Totals are read off the actor tree and the cluster
// counters at scrape time; alerts, decisions and firewall changes are counted as they happen.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BanRegistry } from '../respond/ban-registry.ts';
import type { ClusterHealth } from '../cluster/cluster-member.ts';
import type { Alert } from '../detect/alert.ts';
import type { Decision } from '../respond/decision.ts';
import type { ActorSystem } from '../supervisors/actor-system.ts';
import type { TreeSnapshot } from '../supervisors/cell.ts';
import { tableOfCounter } from '../detect/table-report.ts';

export interface MetricsParts {
  system: ActorSystem;
  desk?: { onAlert(fn: (a: Alert) => void): void; onDecision(fn: (d: Decision) => void): void };
  registry?: BanRegistry;
  firewall?: { onApplied: ((seconds: number, kind: 'apply' | 'reconcile') => void) | undefined };
  cluster?: () => ClusterHealth;
}

function walk(t: TreeSnapshot, fn: (t: TreeSnapshot) => void): void {
  fn(t);
  for (const c of t.children ?? []) walk(c, fn);
}

/** Sets a counter to a total read elsewhere (prom-client counters only go up by inc). */
function setTotal(c: Counter<string>, labels: Record<string, string>, value: number): void {
  c.remove(labels);
  c.inc(labels, value);
}

export function createMetrics(parts: MetricsParts): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: parts.system.nodeId });
  collectDefaultMetrics({ register: registry, prefix: 'autoimmune_' });

  const packets = new Counter({
    name: 'autoimmune_packets_total',
    help: 'Packets taken in by each capture actor (live interface or replay)',
    labelNames: ['capture'],
    registers: [registry],
    collect() {
      walk(parts.system.snapshot().tree, (t) => {
        if (t.type === 'worker' && t.kind === 'capture') setTotal(packets, { capture: t.id }, t.stats?.packets ?? 0);
      });
    },
  });
  const drops = new Counter({
    name: 'autoimmune_drops_total',
    help: 'Packets or messages dropped, by where: kernel (capture ring), interface, shed (read from the ring but discarded by an overloaded capture), lost (shards refused or shed a batch), mailbox (shed or rejected by a full mailbox)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const d = { kernel: 0, interface: 0, shed: 0, lost: 0, mailbox: 0 };
      walk(parts.system.snapshot().tree, (t) => {
        if (t.type !== 'worker') return;
        d.kernel += t.stats?.kernelDrops ?? 0;
        d.interface += t.stats?.interfaceDrops ?? 0;
        if (t.kind === 'capture') {
          d.lost += t.stats?.lost ?? 0;
          d.shed += t.stats?.shed ?? 0;
        }
        d.mailbox += t.dropped + t.rejected;
      });
      for (const [kind, v] of Object.entries(d)) setTotal(drops, { kind }, v);
    },
  });
  const late = new Counter({
    name: 'autoimmune_late_packets_total',
    help: 'Packets of live batches their shard took late (the node behind its capture by more than capture.lateMs): the rules saw them; their features, model scores and flow records were skipped',
    registers: [registry],
    collect() {
      let n = 0;
      walk(parts.system.snapshot().tree, (t) => {
        if (t.type === 'worker' && (t.kind === 'detector' || t.kind === 'shard-thread')) n += t.stats?.late ?? 0;
      });
      setTotal(late, {}, n);
    },
  });
  const depth = new Gauge({
    name: 'autoimmune_mailbox_depth',
    help: 'Messages waiting in each actor mailbox',
    labelNames: ['path'],
    registers: [registry],
    collect() {
      depth.reset();
      walk(parts.system.snapshot().tree, (t) => {
        if (t.type === 'worker') depth.set({ path: t.path }, t.mailboxDepth);
      });
    },
  });
  const restarts = new Counter({
    name: 'autoimmune_actor_restarts_total',
    help: 'Restarts of each actor (for placed actors, across the cluster)',
    labelNames: ['path'],
    registers: [registry],
    collect() {
      walk(parts.system.snapshot().tree, (t) => {
        if (t.path !== '/') setTotal(restarts, { path: t.path }, t.restarts);
      });
    },
  });
  // The shards' bounded tables (table-report.ts): entries now, and the bound from the config.
  // One collect sets both; the bound is registered after the entries, so both are read then.
  const tableBound = new Gauge({
    name: 'autoimmune_table_bound',
    help: 'The bound of each bounded table of each shard, from the config: past it the least recently seen entry is evicted',
    labelNames: ['path', 'table'],
    registers: [],
  });
  const tableEntries = new Gauge({
    name: 'autoimmune_table_entries',
    help: 'Entries in each bounded table of each shard (flow features, rules, flow meter)',
    labelNames: ['path', 'table'],
    registers: [registry],
    collect() {
      tableEntries.reset();
      tableBound.reset();
      walk(parts.system.snapshot().tree, (t) => {
        if (t.type !== 'worker' || !t.stats) return;
        for (const [key, v] of Object.entries(t.stats)) {
          const of = tableOfCounter(key);
          if (of) (of.bound ? tableBound : tableEntries).set({ path: t.path, table: of.table }, v);
        }
      });
    },
  });
  registry.registerMetric(tableBound);
  const alerts = new Counter({ name: 'autoimmune_alerts_total', help: 'Alerts from the detectors, by type', labelNames: ['type'], registers: [registry] });
  const decisions = new Counter({ name: 'autoimmune_decisions_total', help: 'Ban and unban decisions, by who decided', labelNames: ['action', 'by'], registers: [registry] });
  const latency = new Histogram({
    name: 'autoimmune_decision_latency_seconds',
    help: 'Capture time of the packet behind an alert to the ban decision (live capture; replays of old captures are left out)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const fwApply = new Histogram({
    name: 'autoimmune_firewall_apply_seconds',
    help: 'Time the firewall backend took for one batched change or reconcile',
    labelNames: ['kind'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'autoimmune_bans_active',
    help: 'Bans in force in the registry (the cluster\u2019s, in etcd mode)',
    registers: [registry],
    async collect() {
      if (parts.registry) this.set((await parts.registry.list()).length);
    },
  });
  /** The responder's own stats in the tree (actors/responder.ts), summed (one responder a node). */
  const responderStat = (key: string): number => {
    let n = 0;
    walk(parts.system.snapshot().tree, (t) => {
      if (t.type === 'worker' && t.kind === 'responder') n += t.stats?.[key] ?? 0;
    });
    return n;
  };
  new Gauge({
    name: 'autoimmune_bans_held_back',
    help: 'Automatic bans the rate limit holds back until a token frees (responder.rateLimit.deferS)',
    registers: [registry],
    collect() {
      this.set(responderStat('heldBack'));
    },
  });
  const madeLate = new Counter({
    name: 'autoimmune_bans_made_late_total',
    help: 'Automatic bans made after the rate limit held them back',
    registers: [registry],
    collect() {
      setTotal(madeLate, {}, responderStat('madeLate'));
    },
  });
  if (parts.cluster) {
    const transport = new Counter({
      name: 'autoimmune_transport_messages_total',
      help: 'Messages of the cluster transport, by what happened to them (forged: frames from a node posing as another, dropped)',
      labelNames: ['what'],
      registers: [registry],
      collect() {
        const t = parts.cluster!().transport;
        for (const [what, v] of Object.entries({ sent: t.sent, received: t.received, duplicates: t.duplicates, retransmits: t.retransmits, shed: t.shed, forged: t.forged ?? 0 })) setTotal(transport, { what }, v);
      },
    });
    const rejected = new Counter({
      name: 'autoimmune_etcd_rejected_total',
      help: 'Values read from etcd and skipped (not JSON, wrong shape, a registration not signed with the join secret), by key prefix; each stored value once',
      labelNames: ['prefix'],
      registers: [registry],
      collect() {
        for (const [prefix, v] of Object.entries(parts.cluster!().etcdRejected)) setTotal(rejected, { prefix }, v);
      },
    });
    new Gauge({
      name: 'autoimmune_cluster_lease_held',
      help: '1 while this node holds its membership lease',
      registers: [registry],
      collect() {
        this.set(parts.cluster!().lease === 'held' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'autoimmune_cluster_is_leader',
      help: '1 while this node leads the cluster',
      registers: [registry],
      collect() {
        this.set(parts.cluster!().isLeader ? 1 : 0);
      },
    });
  }
  parts.desk?.onAlert((a) => alerts.inc({ type: a.type }));
  parts.desk?.onDecision((d) => {
    decisions.inc({ action: d.action, by: d.detector === 'operator' ? 'operator' : 'detector' });
    if (d.captureTs !== undefined) {
      const s = d.at / 1000 - d.captureTs;
      if (s >= 0 && s < 60) latency.observe(s);
    }
  });
  if (parts.firewall) parts.firewall.onApplied = (seconds, kind) => fwApply.observe({ kind }, seconds);
  return registry;
}
