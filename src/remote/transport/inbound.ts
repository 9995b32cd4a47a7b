// The receiving side of a node: its one bound ROUTER. Peers' DEALERs connect here with their
// node id as routing id; data frames come in, outcomes go back to the same routing id over the
// same connection. Duplicates are filtered per sender session, outcomes are gathered for
// ackFlushMs and sent as one frame, and when too many messages are being handled at once the
// socket is not read: its queue fills, TCP pushes back, and the senders' pending holds fill up
// where priorities decide what is shed.

import * as zmq from 'zeromq';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../../errors.ts';
import { DedupeWindow, FORGOTTEN, IN_PROGRESS, NEW } from './dedupe-window.ts';
import { COMMON_SOCKET_OPTIONS, readFrame, sealFrame, Yielder, type TransportEnv } from './env.ts';
import { OUTCOME_CODE } from './wire.ts';
import { pairKey, sameToken, sessionToken } from './peer-token.ts';
import type { Outcome, PeerInfo } from './types.ts';

/** Sessions remembered per sender: the current link incarnation and the one before it. */
const SESSIONS_PER_SENDER = 2;
/** Outcome pairs gathered for a sender before they go out without waiting for ackFlushMs. */
const FLUSH_PAIRS = 2048;

interface Sender {
  readonly id: string;
  /** The routing id frame as received, to address the answers. */
  readonly route: Buffer;
  readonly sessions: Map<number, DedupeWindow>;
  /** The token each of those sessions must carry (peer-token.ts). */
  readonly tokens: Map<number, Buffer>;
  /** The key shared with this sender, for its public key at the time. */
  readonly pair: Buffer | null;
  readonly answers: Map<number, number[]>;
  timer: NodeJS.Timeout | null;
}

export class Inbound {
  readonly #env: TransportEnv;
  readonly #router: zmq.Router;
  readonly #peer: (id: string) => PeerInfo | undefined;
  readonly #senders = new Map<string, Sender>();
  #address = '';
  #inProgress = 0;
  #resume: (() => void) | null = null;
  #loop: Promise<void> = Promise.resolve();

  private constructor(env: TransportEnv, peer: (id: string) => PeerInfo | undefined) {
    this.#env = env;
    this.#peer = peer;
    this.#router = new zmq.Router({
      context: env.context,
      ...COMMON_SOCKET_OPTIONS,
      routingId: env.nodeId,
      mandatory: true, // an answer to a peer that is gone fails instead of vanishing
      // No ROUTER_HANDOVER: together with closing connections it made libzmq 4.3.5 abort the
      // process on a pipe-state assertion (pipe.cpp:305/355) now and then. A restarted peer's
      // old connection is closed by its kernel, or found dead by TCP keepalive (env.ts) in ~4 s;
      // until then its new one is turned away and retried by its DEALER.
      sendTimeout: 0, // answers are never worth blocking the node: a lost one is re-asked
      sendHighWaterMark: 1024,
      receiveHighWaterMark: 64, // frames; beyond this TCP pushes back on the sender
      ...(env.curve ? { curveServer: true, curveSecretKey: env.keys.secretKey, zapDomain: 'autoimmune', zapEnforceDomain: true } : {}),
    });
  }

  static async bind(env: TransportEnv, address: string, peer: (id: string) => PeerInfo | undefined): Promise<Inbound> {
    const inbound = new Inbound(env, peer);
    try {
      await inbound.#router.bind(address);
    } catch (err) {
      inbound.#router.close();
      throw new ConfigError(`the transport cannot bind ${JSON.stringify(address)}: ${(err as Error).message}; choose a free address (port 0 picks one)`, { cause: err });
    }
    inbound.#address = inbound.#router.lastEndpoint ?? address;
    inbound.#loop = inbound.#read();
    return inbound;
  }

  get address(): string {
    return this.#address;
  }

  /** Forgets a peer that left (or came back with another key): its sessions, tokens and unsent answers. */
  forget(id: string): void {
    const s = this.#senders.get(id);
    if (!s) return;
    if (s.timer) clearTimeout(s.timer);
    this.#senders.delete(id);
  }

  async close(): Promise<void> {
    for (const s of this.#senders.values()) if (s.timer) clearTimeout(s.timer);
    this.#senders.clear();
    this.#router.close();
    this.#resume?.();
    await this.#loop;
  }

  async #read(): Promise<void> {
    const env = this.#env;
    const yielder = new Yielder();
    for (;;) {
      await yielder.maybeYield();
      if (this.#inProgress >= env.maxInProgress) {
        await new Promise<void>((resolve) => (this.#resume = resolve));
        this.#resume = null;
      }
      if (env.closed()) return;
      let route: Buffer | undefined;
      let frame: Buffer | undefined;
      try {
        [route, frame] = await this.#router.receive();
      } catch {
        if (env.closed()) return;
        await sleep(10); // not expected on an open socket; do not spin on it
        continue;
      }
      if (route && frame) this.#onFrame(route, frame);
    }
  }

  #onFrame(route: Buffer, frame: Buffer): void {
    const env = this.#env;
    const id = route.toString();
    const peer = this.#peer(id);
    if (!peer) {
      env.stats.refusedPeers++;
      return;
    }
    const data = readFrame(env, frame, (plain) => env.codec.decodeData(plain));
    if (!data) return;
    let sender = this.#senders.get(id);
    if (!sender) {
      const pair = env.privateKey ? pairKey(env.privateKey, peer.publicKey) : null;
      this.#senders.set(id, (sender = { id, route: Buffer.from(route), sessions: new Map(), tokens: new Map(), pair, answers: new Map(), timer: null }));
    }
    const { session } = data;
    // Checked before anything of the frame is kept: a forged one must not even evict a session.
    if (sender.pair) {
      let token = sender.tokens.get(session);
      if (!token) token = sessionToken(sender.pair, id, env.nodeId, session);
      if (!sameToken(data.token, token)) {
        env.stats.forged++;
        return;
      }
      sender.tokens.set(session, token);
    }
    let window = sender.sessions.get(session);
    if (!window) {
      if (sender.sessions.size >= SESSIONS_PER_SENDER) {
        const oldest = sender.sessions.keys().next().value!;
        sender.sessions.delete(oldest);
        sender.tokens.delete(oldest);
      }
      sender.sessions.set(session, (window = new DedupeWindow()));
    }
    window.advance(data.floor);
    for (const m of data.messages) {
      const state = window.admit(m.seq);
      if (state === NEW) {
        env.stats.received++;
        env.stats.receivedEvents += m.events;
        this.#inProgress++;
        this.#deliver(sender, session, window, m.seq, m.to, m.msg, m.priority, m.events);
      } else {
        env.stats.duplicates++;
        // Settled before: its answer was lost, give it again. In progress: it will be answered.
        if (state !== IN_PROGRESS && state !== FORGOTTEN) this.#answer(sender, session, m.seq, state);
      }
    }
  }

  #deliver(sender: Sender, session: number, window: DedupeWindow, seq: number, to: { path: string; epoch: number }, msg: unknown, priority: number, events: number): void {
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      // An outcome outside the contract is answered as a refusal: the sender re-resolves it.
      const code = OUTCOME_CODE[outcome] ?? OUTCOME_CODE.rejected;
      if (code === OUTCOME_CODE.dropped) {
        this.#env.stats.shed++;
        this.#env.stats.shedEvents += events;
      }
      window.settle(seq, code);
      if (this.#senders.get(sender.id) === sender) this.#answer(sender, session, seq, code);
      if (--this.#inProgress < this.#env.maxInProgress) this.#resume?.();
    };
    try {
      this.#env.handlers.deliver(sender.id, to, msg, priority, settle);
    } catch {
      settle('rejected');
    }
  }

  #answer(sender: Sender, session: number, seq: number, code: number): void {
    let pairs = sender.answers.get(session);
    if (!pairs) sender.answers.set(session, (pairs = []));
    pairs.push(seq, code);
    if (pairs.length >= FLUSH_PAIRS) this.#flush(sender);
    else if (!sender.timer) sender.timer = setTimeout(() => this.#flush(sender), this.#env.ackFlushMs);
  }

  #flush(sender: Sender): void {
    if (sender.timer) clearTimeout(sender.timer);
    sender.timer = null;
    const env = this.#env;
    if (env.closed()) return;
    for (const [session, pairs] of sender.answers) {
      if (pairs.length === 0) continue;
      const frame = sealFrame(env, env.codec.encodeOutcomes(session, pairs));
      pairs.length = 0;
      // Unreachable or full: the sender times out and resends, and is answered from the window.
      this.#router.send([sender.route, frame]).catch(() => undefined);
    }
    sender.answers.clear();
  }
}
