// The sending side towards one peer: a DEALER connected to the peer's ROUTER, the messages held
// until their outcome, the order they go out in, and the alarm on how full the hold is.
//
// One writer per link awaits each zmq send (sendTimeout -1 with ZMQ_IMMEDIATE): while the peer
// is unreachable or its queue is full nothing is encoded, messages wait in the link's own
// priority queue, and the pending hold (highWater) is where overload sheds. Everything queued
// when the writer wakes goes out together, so messages sent in the same tick share a frame.

import * as zmq from 'zeromq';
import { randomInt } from 'node:crypto';
import { AlarmTracker } from './alarm-tracker.ts';
import { COMMON_SOCKET_OPTIONS, readFrame, sealFrame, Yielder, type TransportEnv } from './env.ts';
import { IN_FLIGHT, newEntry, PendingStore, QUEUED, SENDING, toPending, type PendingEntry } from './pending-store.ts';
import { SendQueue } from './send-queue.ts';
import { OUTCOMES } from './wire.ts';
import { pairKey, sessionToken } from './peer-token.ts';
import type { Destination, PeerInfo, SendResult } from './types.ts';

/** Backoff cap: a message unanswered for long is retried at most every 16 ack timeouts. */
const MAX_BACKOFF = 16;

export class PeerLink {
  readonly peer: string;
  /** This link incarnation's id on the wire: a new link's seq 1 is never a duplicate at the receiver. */
  readonly session = randomInt(1, 2 ** 47);
  readonly store = new PendingStore();
  readonly #queue = new SendQueue<PendingEntry>();
  readonly #alarm: AlarmTracker;
  readonly #env: TransportEnv;
  #info: PeerInfo;
  /** What every data frame of this session carries to prove it comes from us (peer-token.ts). */
  #token: Buffer | undefined;
  #dealer: zmq.Dealer;
  /** Consecutive handshakes the peer refused (it did not know our key yet, or never will). */
  #refusals = 0;
  #nextSeq = 1;
  #writing = false;
  #scheduled = false;
  #closed = false;

  constructor(env: TransportEnv, info: PeerInfo) {
    this.#env = env;
    this.peer = info.id;
    this.#info = info;
    this.#token = this.#tokenFor(info);
    this.#alarm = new AlarmTracker(env.highWater);
    this.#dealer = this.#connect(info);
  }

  get info(): PeerInfo {
    return this.#info;
  }

  /** Throws UnencodableMessageError (before anything is queued or shed) when `msg` cannot be encoded. */
  send(to: Destination, msg: unknown, priority: number, events: number): SendResult {
    const env = this.#env;
    const victim = this.store.size >= env.highWater ? this.store.victimBelow(priority) : undefined;
    if (this.store.size >= env.highWater && !victim) {
      env.stats.shed++;
      env.stats.shedEvents += events;
      return 'shed';
    }
    const body = env.codec.encodeMessage(msg, to);
    if (victim) {
      this.store.take(victim.seq);
      env.stats.shed++;
      env.stats.shedEvents += victim.events;
      env.handlers.onShed?.(toPending(victim));
    }
    const e = newEntry(this.#nextSeq++, this.peer, to, msg, body, priority, events);
    this.store.add(e);
    this.#queue.push(e);
    this.#checkAlarm();
    this.#schedule();
    return 'queued';
  }

  /** Applies an outcome frame from the peer. */
  #onOutcomes(frame: Uint8Array): void {
    const env = this.#env;
    const decoded = readFrame(env, frame, (plain) => env.codec.decodeOutcomes(plain));
    if (!decoded) return;
    if (decoded.session !== this.session) return; // answers to an earlier link incarnation
    const { pairs } = decoded;
    for (let i = 0; i < pairs.length; i += 2) {
      const e = this.store.take(pairs[i]!);
      if (!e) continue; // a repeated answer, or shed meanwhile
      const outcome = OUTCOMES[pairs[i + 1]!]!;
      if (outcome === 'handled' || outcome === 'dropped') env.handlers.onSettled?.(toPending(e), outcome);
      else env.handlers.onRefused(toPending(e), outcome);
    }
    this.#checkAlarm();
  }

  /** Queues again what was transmitted but not answered within its (backed-off) ack timeout. */
  checkTimeouts(now: number): void {
    const base = this.#env.ackTimeoutMs;
    let any = false;
    for (const e of this.store.values()) {
      if (e.state === IN_FLIGHT && now - e.sentAt >= base * Math.min(2 ** Math.max(0, e.attempts - 1), MAX_BACKOFF)) {
        e.state = QUEUED;
        this.#queue.push(e);
        any = true;
      }
    }
    if (any) this.#schedule();
  }

  /** The peer moved (new address) or re-registered (new key): a new connection, everything unanswered again. */
  retarget(info: PeerInfo): void {
    if (info.publicKey !== this.#info.publicKey) this.#token = this.#tokenFor(info);
    this.#info = info;
    const old = this.#dealer;
    this.#dealer = this.#connect(info);
    old.close();
    this.#requeueAll();
  }

  /** The peer left: closes the connection and hands back everything held, in send order. */
  orphan(): PendingEntry[] {
    this.close();
    const all = this.store.drain();
    if (this.#alarm.level !== 0) this.#checkAlarm();
    return all;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    this.#dealer.close();
  }

  #tokenFor(info: PeerInfo): Buffer | undefined {
    const env = this.#env;
    return env.privateKey ? sessionToken(pairKey(env.privateKey, info.publicKey), env.nodeId, info.id, this.session) : undefined;
  }

  #connect(info: PeerInfo): zmq.Dealer {
    const env = this.#env;
    const dealer = new zmq.Dealer({
      context: env.context,
      ...COMMON_SOCKET_OPTIONS,
      routingId: env.nodeId,
      immediate: true, // queue only to a completed (authenticated) connection
      sendTimeout: -1,
      sendHighWaterMark: 16, // frames; the real bound is the pending hold
      receiveHighWaterMark: 1024,
      reconnectInterval: 100,
      reconnectMaxInterval: 2000,
      ...(env.curve ? { curveServerKey: info.publicKey, curvePublicKey: env.keys.publicKey, curveSecretKey: env.keys.secretKey } : {}),
    });
    // A new connection may have lost whatever the old one carried: send everything unanswered again.
    let connectedBefore = false;
    dealer.events.on('handshake', () => {
      this.#refusals = 0;
      if (connectedBefore && dealer === this.#dealer) this.#requeueAll();
      connectedBefore = true;
    });
    // libzmq does not reconnect after the peer's ZAP handler said no, and it says no when
    // we connect before it has seen our registration (its etcd watch is a few ms behind
    // ours). So try again on a new socket, backing off, for as long as the peer is listed.
    dealer.events.on('handshake:error:auth', () => {
      const delay = Math.min(2000, 50 * 2 ** this.#refusals++);
      setTimeout(() => {
        if (!this.#closed && dealer === this.#dealer) this.retarget(this.#info);
      }, delay).unref();
    });
    dealer.connect(info.address);
    void this.#readOutcomes(dealer);
    return dealer;
  }

  async #readOutcomes(dealer: zmq.Dealer): Promise<void> {
    const yielder = new Yielder();
    for (;;) {
      await yielder.maybeYield();
      let frame: Buffer | undefined;
      try {
        [frame] = await dealer.receive();
      } catch {
        return; // closed
      }
      if (frame && dealer === this.#dealer) this.#onOutcomes(frame);
    }
  }

  #requeueAll(): void {
    for (const e of this.store.values()) {
      if (e.state === IN_FLIGHT || e.state === SENDING) {
        e.state = QUEUED;
        this.#queue.push(e);
      }
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#writing || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#write();
    });
  }

  /** The link's only writer: frames whatever is queued, one zmq send at a time. */
  async #write(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    const env = this.#env;
    const batch: PendingEntry[] = [];
    const yielder = new Yielder();
    try {
      while (!this.#closed && this.#queue.length > 0) {
        await yielder.maybeYield(); // a long backlog (sealing each frame) must not hold the event loop
        let events = 0;
        batch.length = 0;
        while (batch.length < env.maxFrameMessages && events < env.maxFrameEvents) {
          const e = this.#queue.shift();
          if (!e) break;
          if (!e.live || e.state !== QUEUED) continue;
          e.state = SENDING;
          batch.push(e);
          events += e.events;
        }
        if (batch.length === 0) break;
        let frame: Uint8Array;
        try {
          frame = sealFrame(env, env.codec.encodeData(this.session, this.store.lowestSeq(this.#nextSeq), batch, this.#token));
        } catch {
          // The Sealer could not seal (no usable key yet): as if the frame were lost, the ack
          // timeout sends it again, backing off.
          env.stats.badFrames++;
          const now = performance.now();
          for (const e of batch) {
            e.state = IN_FLIGHT;
            e.sentAt = now;
          }
          continue;
        }
        const dealer = this.#dealer;
        try {
          await dealer.send(frame);
        } catch {
          // Closed under us (peer removed or retargeted): whatever is still ours waits for the next socket.
          for (const e of batch) {
            if (e.live && e.state === SENDING) {
              e.state = QUEUED;
              this.#queue.push(e);
            }
          }
          if (dealer === this.#dealer) return; // the link itself is closed
          continue;
        }
        const now = performance.now();
        for (const e of batch) {
          if (e.state !== SENDING) continue; // requeued meanwhile (reconnect)
          e.state = IN_FLIGHT;
          e.sentAt = now;
          if (++e.attempts === 1) {
            env.stats.sent++;
            env.stats.sentEvents += e.events;
          } else {
            env.stats.retransmits++;
          }
        }
      }
    } finally {
      batch.length = 0;
      this.#writing = false;
    }
    if (!this.#closed && this.#queue.length > 0) this.#schedule();
  }

  #checkAlarm(): void {
    const level = this.#alarm.update(this.store.size);
    if (level !== null) this.#env.handlers.onAlarm?.({ peer: this.peer, level, used: this.store.size, capacity: this.#env.highWater });
  }
}
