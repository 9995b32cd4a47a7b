// Plain views of the node's data for the dashboard (what crosses the WebSocket), and the
// counters derived from successive trees. Pure functions.

import type { Ban } from '../src/respond/ban-registry.ts';
import type { Alert } from '../src/detect/alert.ts';
import type { TreeSnapshot } from '../src/supervisors/cell.ts';
import type { AlertView, BanView, Counters } from './dashboard-protocol.ts';

/** Floods whose alert names the target, and what their many sources are. */
const SPREAD: Partial<Record<Alert['type'], 'spoofed' | 'reflected'>> = {
  'syn-flood': 'spoofed',
  'icmp-flood': 'spoofed',
  'tcp-flood': 'spoofed',
  'udp-flood': 'spoofed',
  'ip-flood': 'spoofed',
  'udp-amplification': 'reflected',
  'tcp-reflection': 'reflected',
};

/** An alert for the page; `seenFallback`: when the node saw it, for an alert that does not say (a peer of an older version). */
/**
 * A peer's new alerts (GET /api/alerts?after=N answers the newest first) as views oldest first,
 * numbered in the peer's sequence: the newest is number `total`.
 */
export function peerAlertViews(got: { total: number; alerts: Alert[] }, node: string): AlertView[] {
  const n = got.alerts.length;
  const out: AlertView[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = alertView(got.alerts[n - 1 - k]!, node, got.total - n + 1 + k);
  return out;
}

export function alertView(a: Alert, node: string, seq: number, seenFallback = Date.now()): AlertView {
  const spread = a.blockable ? undefined : SPREAD[a.type];
  const sources = a.evidence.sources;
  return {
    id: `${node}:${seq}`,
    node,
    at: a.seenAt ?? seenFallback,
    capturedAt: Math.round(a.ts * 1000),
    type: a.type,
    source: a.source,
    target: a.target,
    score: a.score,
    detector: a.detector,
    blockable: a.blockable,
    spread: spread ? { kind: spread, sources: typeof sources === 'number' && Number.isFinite(sources) ? Math.round(sources) : null } : null,
    country: a.geo?.country ?? null,
    asn: a.geo?.asn ?? null,
    asnOrg: a.geo?.asnOrg ?? null,
    latitude: a.geo?.latitude ?? null,
    longitude: a.geo?.longitude ?? null,
    evidence: a.evidence,
  };
}

export function banView(b: Ban): BanView {
  return { address: b.address, reason: b.reason, decidedBy: b.detector, score: b.score, at: b.at, expiresAt: b.expiresAt, ttl: b.ttl };
}

/** Totals read off a tree: packets the captures took in, and what was dropped anywhere. */
export function treeTotals(t: TreeSnapshot, out = { packets: 0, drops: 0 }): { packets: number; drops: number } {
  if (t.type === 'worker') {
    if (t.kind === 'capture' && t.stats) out.packets += t.stats.packets ?? 0;
    if (t.stats) out.drops += (t.stats.kernelDrops ?? 0) + (t.stats.interfaceDrops ?? 0) + (t.stats.lost ?? 0);
    out.drops += t.dropped + t.rejected;
  }
  for (const c of t.children ?? []) treeTotals(c, out);
  return out;
}

/** Rates between two readings of the totals. */
export class CounterTracker {
  private last: { at: number; packets: number; drops: number; alerts: number } | undefined;
  current: Counters = { pps: 0, dropsPerS: 0, alertsPerS: 0, bans: 0, packets: 0, alerts: 0 };

  update(at: number, packets: number, drops: number, alerts: number, bans: number): Counters {
    const l = this.last;
    const dt = l ? (at - l.at) / 1000 : 0;
    const rate = (now: number, before: number | undefined) => (dt > 0 && before !== undefined ? Math.max(0, Math.round(((now - before) / dt) * 10) / 10) : 0);
    this.current = { pps: rate(packets, l?.packets), dropsPerS: rate(drops, l?.drops), alertsPerS: rate(alerts, l?.alerts), bans, packets, alerts };
    this.last = { at, packets, drops, alerts };
    return this.current;
  }
}
