// What the dashboard's WebSocket (/ws) carries, server → browser. The first message is a
// snapshot; after it, deltas at most every 100 ms (10 per second per client). Actions go
// through the HTTP API with the bearer token in a header (never a cookie): POST /api/bans
// {address, ttl?, reason?} to block, DELETE /api/bans/:address to unblock.

import type { TreeSnapshot } from '../src/supervisors/cell.ts';

export interface NodeView {
  id: string;
  /** Its HTTP base URL (its own dashboard). */
  http: string;
  /** 'held' | 'joining' | 'fenced' | 'stopped' (embedded mode: 'held'). */
  lease: string;
  leader: string | null;
  isLeader: boolean;
  /** Newest placement epoch it knows (0 in embedded mode). */
  epoch: number;
  /** Placed actors it runs. */
  owned: string[];
  /** False when its tree could not be read lately (shown as unreachable). */
  reachable: boolean;
}

export interface AlertView {
  /** Unique per alert on the page (node + sequence). */
  id: string;
  node: string;
  /** When the node saw it (its desk's wall clock), ms since the epoch: what the page shows. */
  at: number;
  /** Capture time of the packet that made it, ms: a replayed capture's recorded clock. */
  capturedAt: number;
  type: string;
  /** The source address; for a victim-keyed flood only the most frequent of many (see spread). */
  source: string;
  target: string;
  score: number;
  detector: string;
  blockable: boolean;
  /**
   * A flood whose sources are many and not the attacker's own (victim-keyed, blockable false):
   * 'spoofed' forged source addresses, or 'reflected' real servers abused as reflectors; with
   * their estimated number from the evidence (null when it names none).
   */
  spread: { kind: 'spoofed' | 'reflected'; sources: number | null } | null;
  country: string | null;
  asn: number | null;
  asnOrg: string | null;
  latitude: number | null;
  longitude: number | null;
  /** The detector's evidence as it gave it (the page rounds the numbers). */
  evidence: Record<string, number | string>;
}

export interface BanView {
  address: string;
  reason: string;
  /** 'operator' or the detector that asked for it. */
  decidedBy: string;
  score: number;
  /** ms since the epoch. */
  at: number;
  expiresAt: number;
  ttl: number;
}

export interface Counters {
  /** Packets per second entering the node's (or cluster's) captures. */
  pps: number;
  /** Packets dropped per second (kernel + mailbox sheds + transport sheds). */
  dropsPerS: number;
  alertsPerS: number;
  bans: number;
  /** Totals since start. */
  packets: number;
  alerts: number;
}

export interface ChaosEventView {
  at: number;
  kind: string;
  target: string;
  detail: string;
}

export interface LifecycleView {
  at: number;
  node: string;
  type: string;
  path: string;
  restarts?: number;
  error?: string;
}

export interface Snapshot {
  type: 'snapshot';
  at: number;
  /** The node serving this page. */
  node: string;
  nodes: NodeView[];
  trees: Record<string, TreeSnapshot>;
  /** Newest last; at most ALERTS_KEPT. */
  alerts: AlertView[];
  alertsTotal: number;
  bans: BanView[];
  counters: Counters;
  lifecycle: LifecycleView[];
  chaos: ChaosEventView[];
  /** Whether a chaos run is going. */
  chaosActive: boolean;
}

export interface Delta {
  type: 'delta';
  at: number;
  nodes?: NodeView[];
  /** Only the nodes whose tree changed, whole. */
  trees?: Record<string, TreeSnapshot>;
  /** New alerts since the last message, newest last. */
  alerts?: AlertView[];
  alertsTotal?: number;
  /** The whole list when it changed. */
  bans?: BanView[];
  counters?: Counters;
  lifecycle?: LifecycleView[];
  chaos?: ChaosEventView[];
  chaosActive?: boolean;
}

export type DashboardMessage = Snapshot | Delta;

/** Alerts a snapshot carries and the page keeps (older ones are counted, not listed). */
export const ALERTS_KEPT = 500;
/** Least time between two messages to one client. */
export const PUSH_EVERY_MS = 100;
