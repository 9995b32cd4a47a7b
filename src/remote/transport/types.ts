// The contract between the cluster's node-to-node transport and the layer above it (the
// remote router). The transport moves opaque messages reliably between nodes; the router
// decides where they go (placement), what an epoch means and when to re-send elsewhere.

/** A node as the transport knows it: from its registration in etcd. */
export interface PeerInfo {
  id: string;
  /** Where its socket is bound, e.g. tcp://127.0.0.1:41234. */
  address: string;
  /** Its CURVE public key, Z85 (40 characters). */
  publicKey: string;
}

/** Where a message goes inside the receiving node, and the placement epoch the sender knew. */
export interface Destination {
  path: string;
  epoch: number;
}

/**
 * What became of a message at the receiver:
 * - handled: the target actor finished handling it (the sender forgets it);
 * - stale: the receiver knows a newer epoch for that actor, or no longer owns it;
 * - early: the receiver does not run the actor yet (its placement watch is behind);
 * - rejected: the actor's mailbox refused it (full) or the actor is not there;
 * - dropped: the receiver shed it under overload (counted there).
 * The sender's router re-resolves and re-sends on stale/early/rejected.
 */
export type Outcome = 'handled' | 'stale' | 'early' | 'rejected' | 'dropped';

/** A message the sender still holds because it has no final outcome yet. */
export interface Pending {
  /** The sender's sequence number on the stream to `peer` (unique per sender session and peer). */
  seq: number;
  peer: string;
  to: Destination;
  msg: unknown;
  priority: number;
  /** How many events the message carries (a batch of 256 packets: 256); for counters and alarms. */
  events: number;
  /** Times it was transmitted (1 on first send). */
  attempts: number;
}

export type SendResult = 'queued' | 'shed' | 'unknown-peer';

export interface AlarmEvent {
  peer: string;
  /** 80 or 90 when use crossed that share of the high-water mark going up; 0 when it fell back below 80 %. */
  level: 0 | 80 | 90;
  used: number;
  capacity: number;
}

/** Incoming message handler: deliver to the local actor, then call `settle` once with the outcome. */
export type Deliver = (from: string, to: Destination, msg: unknown, priority: number, settle: (outcome: Outcome) => void) => void;

export interface TransportStats {
  sent: number;
  sentEvents: number;
  received: number;
  receivedEvents: number;
  duplicates: number;
  retransmits: number;
  shed: number;
  shedEvents: number;
  refusedPeers: number;
  outstanding: number;
  /** Frames that failed to open (Sealer) or to decode: dropped. */
  badFrames?: number;
  /** Frames from a routing id whose token its CURVE key did not make (an admitted node posing as another): dropped. */
  forged?: number;
}

export interface Transport {
  readonly nodeId: string;
  /** The address it is bound at (the real port when bound to port 0); what the node advertises. */
  readonly address: string;
  readonly publicKey: string;
  /**
   * The authorised peers: only these may connect (CURVE + ZAP on their public keys) and only
   * these can be sent to. A peer that leaves the list is disconnected and everything still
   * pending to it is handed to `onOrphaned`.
   */
  setPeers(peers: PeerInfo[]): void;
  /**
   * Queues `msg` for `to` on `peer`. Higher `priority` wins under overload: at the high-water
   * mark messages of lower priority are shed (counted) before higher ones wait.
   * Throws (AI_ERR_TRANSPORT_MESSAGE) when `msg` cannot be encoded; nothing is queued then.
   */
  send(peer: string, to: Destination, msg: unknown, priority: number, events?: number): SendResult;
  /** Messages to `peer` without a final outcome yet: what a producer reads to hold back. */
  outstanding(peer: string): number;
  stats(): TransportStats;
  close(): Promise<void>;
}

export interface TransportHandlers {
  deliver: Deliver;
  /** A non-final outcome came back (stale, early, rejected): the router decides where it goes now. */
  onRefused(p: Pending, outcome: Exclude<Outcome, 'handled' | 'dropped'>): void;
  /** The peer left: everything still pending to it, in send order, to re-send to new owners. */
  onOrphaned(peer: string, pending: Pending[]): void;
  onAlarm?(a: AlarmEvent): void;
  /** A final outcome came back (handled, or dropped by the receiver): the message is forgotten. */
  onSettled?(p: Pending, outcome: 'handled' | 'dropped'): void;
  /**
   * A queued message was evicted at the high-water mark by one of higher priority before any
   * outcome came back (counted in stats.shed); a new message shed at once is told by send().
   */
  onShed?(p: Pending): void;
}

/**
 * An application-level envelope around each encoded frame (AES-256-GCM with key ids, see
 * src/remote/envelope/): optional, off by default when CURVE is on. `open` throws on an
 * unknown key id or a failed authentication; the transport counts and drops such frames.
 */
export interface Sealer {
  seal(plain: Uint8Array): Uint8Array;
  open(sealed: Uint8Array): Uint8Array;
}
