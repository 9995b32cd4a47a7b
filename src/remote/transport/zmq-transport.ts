// The node-to-node transport over ZeroMQ.
//
// Pattern: each node binds one ROUTER at the address it advertises; to talk to peer B a node
// connects a DEALER to B's ROUTER with its own node id as routing id, and B answers (outcomes)
// over that same connection. So every connection has one direction of data and the acks that
// belong to it; the ROUTER sees who is talking (routing id) and can answer exactly that peer
// (ROUTER_MANDATORY: an answer to a departed peer fails instead of vanishing). Alternatives: PUSH/PULL has no way
// back for acks; one DEALER pair per direction would need two bound sockets per node.
//
// Security: with `curve` (default) the ROUTER is a CURVE server with the node's secret key and
// every DEALER authenticates the peer's registered public key, so only the holder of that
// secret key receives anything; a ZAP handler in the transport's own zmq context admits only
// the registered peers' public keys (closed by default: zapEnforceDomain). A peer removed by
// setPeers is refused at its next handshake, and frames still arriving on a connection it
// had open are dropped and counted (zmq cannot close one peer of a ROUTER; closing them all
// by unbinding, with ROUTER_HANDOVER on, made libzmq 4.3.5 abort on a pipe assertion).
// CURVE does not bind the routing id to the key; every data frame carries a token made with
// the key the sender shares with the receiver (peer-token.ts), so a registered node cannot pose
// as another. The optional Sealer adds an application-level envelope on top.
//
// Delivery: at least once per link. Every message is held (PendingStore) until its outcome;
// unanswered ones are resent after ackTimeoutMs (backing off) and after a reconnect; receivers
// drop duplicates per sender session (DedupeWindow). When a peer leaves, what it held goes
// back to the layer above in send order (onOrphaned), which re-sends it to the new owner.
//
// Overload: at most highWater messages held per peer. At the mark a new message evicts the
// newest held message of a lower priority, or is itself shed; both are counted. Alarms fire
// at 80 % and 90 % of the hold and when it falls back below 80 %. Receivers stop reading
// when maxInProgress messages are being handled, so backpressure reaches the senders' holds.

import * as zmq from 'zeromq';
import { ConfigError } from '../../errors.ts';
import type { TransportEnv } from './env.ts';
import { Inbound } from './inbound.ts';
import { toPending } from './pending-store.ts';
import { PeerLink } from './peer-link.ts';
import { WireCodec } from './wire.ts';
import { ZapAuthenticator } from './zap-authenticator.ts';
import { isCurveKey } from './z85.ts';
import { curvePrivateKey } from './peer-token.ts';
import type { Destination, PeerInfo, Sealer, SendResult, Transport, TransportHandlers, TransportStats } from './types.ts';

export interface ZmqTransportOptions {
  nodeId: string;
  /** Where to bind, e.g. 'tcp://127.0.0.1:0' (the real port is then in `transport.address`). */
  bind: string;
  /** The node's CURVE keypair, Z85 (see generateNodeKeys). */
  keys: { publicKey: string; secretKey: string };
  /** CURVE encryption and key authentication (default true). */
  curve?: boolean;
  /** An envelope around every frame; frames that fail to open are counted and dropped. */
  sealer?: Sealer | null;
  /** Messages held per peer until their outcome (default 1024). */
  highWater?: number;
  /** Resend an unanswered message after this long, doubling per attempt up to 16× (default 2000). */
  ackTimeoutMs?: number;
  /** How long a receiver gathers outcomes into one frame (default 2). */
  ackFlushMs?: number;
  /** Messages a receiver handles at once before it stops reading its socket (default 4096). */
  maxInProgress?: number;
  /** Limits of one data frame (defaults 1024 messages, 16384 events). */
  maxFrameMessages?: number;
  maxFrameEvents?: number;
  handlers: TransportHandlers;
}

/** A fresh CURVE keypair for a node, Z85. */
export function generateNodeKeys(): { publicKey: string; secretKey: string } {
  return zmq.curveKeyPair();
}

export async function startZmqTransport(o: ZmqTransportOptions): Promise<Transport> {
  const curve = o.curve ?? true;
  if (typeof o.nodeId !== 'string' || o.nodeId.length === 0 || Buffer.byteLength(o.nodeId) > 255 || o.nodeId.charCodeAt(0) === 0) {
    throw new ConfigError(`transport nodeId ${JSON.stringify(o.nodeId)} must be 1-255 bytes and not start with a zero byte (it is the zmq routing id)`);
  }
  if (curve) {
    if (!zmq.capability.curve) throw new ConfigError('this zeromq build has no CURVE support; install a curve-capable zeromq or set curve: false');
    if (!isCurveKey(o.keys?.publicKey) || !isCurveKey(o.keys?.secretKey)) {
      throw new ConfigError(`transport keys for ${o.nodeId} must be a CURVE keypair in Z85 (40 characters each); make one with generateNodeKeys()`);
    }
  }
  const positive = (name: string, v: number | undefined, dflt: number): number => {
    if (v === undefined) return dflt;
    if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`transport option ${name} = ${v} must be a positive number`);
    return v;
  };
  let closed = false;
  const env: TransportEnv = {
    nodeId: o.nodeId,
    keys: o.keys,
    curve,
    privateKey: curve ? curvePrivateKey(o.keys) : null,
    sealer: o.sealer ?? null,
    context: new zmq.Context({ blocky: false }),
    codec: new WireCodec(),
    handlers: o.handlers,
    stats: { sent: 0, sentEvents: 0, received: 0, receivedEvents: 0, duplicates: 0, retransmits: 0, shed: 0, shedEvents: 0, refusedPeers: 0, badFrames: 0, forged: 0 },
    highWater: Math.floor(positive('highWater', o.highWater, 1024)),
    ackTimeoutMs: positive('ackTimeoutMs', o.ackTimeoutMs, 2000),
    ackFlushMs: positive('ackFlushMs', o.ackFlushMs, 2),
    maxInProgress: positive('maxInProgress', o.maxInProgress, 4096),
    maxFrameMessages: positive('maxFrameMessages', o.maxFrameMessages, 1024),
    maxFrameEvents: positive('maxFrameEvents', o.maxFrameEvents, 16_384),
    closed: () => closed,
  };
  const zap = curve ? await ZapAuthenticator.start(env.context) : null;
  const peers = new Map<string, PeerInfo>();
  let inbound: Inbound;
  try {
    inbound = await Inbound.bind(env, o.bind, (id) => peers.get(id));
  } catch (err) {
    await zap?.close();
    throw err;
  }
  return new ZmqTransport(env, inbound, zap, peers, () => (closed = true));
}

class ZmqTransport implements Transport {
  readonly nodeId: string;
  readonly address: string;
  readonly publicKey: string;
  readonly #env: TransportEnv;
  readonly #inbound: Inbound;
  readonly #zap: ZapAuthenticator | null;
  readonly #peers: Map<string, PeerInfo>;
  readonly #links = new Map<string, PeerLink>();
  readonly #timer: NodeJS.Timeout;
  readonly #markClosed: () => void;

  constructor(env: TransportEnv, inbound: Inbound, zap: ZapAuthenticator | null, peers: Map<string, PeerInfo>, markClosed: () => void) {
    this.#env = env;
    this.nodeId = env.nodeId;
    this.address = inbound.address;
    this.publicKey = env.keys.publicKey;
    this.#inbound = inbound;
    this.#zap = zap;
    this.#peers = peers;
    this.#markClosed = markClosed;
    this.#timer = setInterval(() => {
      const now = performance.now();
      for (const link of this.#links.values()) link.checkTimeouts(now);
    }, Math.max(5, Math.min(250, env.ackTimeoutMs / 4)));
    this.#timer.unref();
  }

  setPeers(list: PeerInfo[]): void {
    const next = new Map<string, PeerInfo>();
    for (const p of list) {
      if (!p || typeof p.id !== 'string' || p.id.length === 0 || typeof p.address !== 'string' || p.address.length === 0) {
        throw new ConfigError(`peer ${JSON.stringify(p)} needs an id and an address`);
      }
      if (this.#env.curve && !isCurveKey(p.publicKey)) {
        throw new ConfigError(`peer ${p.id} has public key ${JSON.stringify(p.publicKey)}, not a 40-character Z85 CURVE key; fix its registration`);
      }
      next.set(p.id, p);
    }
    const removed = [...this.#peers.keys()].filter((id) => !next.has(id));
    // A peer with a new key is a new identity: what the receiver knew of its sessions goes.
    const rekeyed = [...next.values()].filter((p) => this.#peers.has(p.id) && this.#peers.get(p.id)!.publicKey !== p.publicKey);
    for (const p of rekeyed) this.#inbound.forget(p.id);
    this.#peers.clear();
    for (const [id, p] of next) this.#peers.set(id, p);
    this.#zap?.allow([...next.values()].map((p) => p.publicKey));
    for (const [id, p] of next) {
      const link = this.#links.get(id);
      if (!link) this.#links.set(id, new PeerLink(this.#env, p));
      else if (link.info.address !== p.address || link.info.publicKey !== p.publicKey) link.retarget(p);
    }
    if (removed.length === 0) return;
    // ZAP now refuses their handshakes; a connection of theirs that is still open delivers
    // nothing (frames from a routing id that is not a peer are dropped and counted). zmq has
    // no call to close one peer of a ROUTER, and unbinding to close them all crashed libzmq.
    for (const id of removed) this.#inbound.forget(id);
    for (const id of removed) {
      const link = this.#links.get(id);
      if (!link) continue;
      this.#links.delete(id);
      this.#env.handlers.onOrphaned(id, link.orphan().map(toPending));
    }
  }

  send(peer: string, to: Destination, msg: unknown, priority: number, events = 1): SendResult {
    const link = this.#links.get(peer);
    if (!link) return 'unknown-peer';
    return link.send(to, msg, priority, events);
  }

  outstanding(peer: string): number {
    return this.#links.get(peer)?.store.size ?? 0;
  }

  stats(): TransportStats {
    let outstanding = 0;
    for (const link of this.#links.values()) outstanding += link.store.size;
    const s = this.#env.stats;
    return { ...s, refusedPeers: s.refusedPeers + (this.#zap?.denied ?? 0), outstanding };
  }

  async close(): Promise<void> {
    if (this.#env.closed()) return;
    this.#markClosed();
    clearInterval(this.#timer);
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
    await this.#inbound.close();
    await this.#zap?.close();
  }
}
