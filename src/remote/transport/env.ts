// What the transport's parts share: its identity, settings, codec, counters and handlers.

import type { KeyObject } from 'node:crypto';
import type * as zmq from 'zeromq';
import type { WireCodec } from './wire.ts';
import type { Sealer, TransportHandlers, TransportStats } from './types.ts';

export interface TransportEnv {
  readonly nodeId: string;
  readonly keys: { readonly publicKey: string; readonly secretKey: string };
  readonly curve: boolean;
  /** The CURVE secret key as an X25519 key (peer-token.ts), when curve is on. */
  readonly privateKey: KeyObject | null;
  readonly sealer: Sealer | null;
  readonly context: zmq.Context;
  readonly codec: WireCodec;
  readonly handlers: TransportHandlers;
  readonly stats: Omit<TransportStats, 'outstanding'> & { badFrames: number; forged: number };
  readonly highWater: number;
  readonly ackTimeoutMs: number;
  readonly ackFlushMs: number;
  readonly maxInProgress: number;
  readonly maxFrameMessages: number;
  readonly maxFrameEvents: number;
  readonly closed: () => boolean;
}

/** Seals an encoded frame when the transport has a Sealer. */
export function sealFrame(env: TransportEnv, frame: Uint8Array): Uint8Array {
  return env.sealer ? env.sealer.seal(frame) : frame;
}

/** Opens a received frame; null (counted) when the Sealer refuses it. */
export function openFrame(env: TransportEnv, frame: Uint8Array): Uint8Array | null {
  if (!env.sealer) return frame;
  try {
    return env.sealer.open(frame);
  } catch {
    env.stats.badFrames++;
    return null;
  }
}

/**
 * Opens a received frame and decodes it; null (counted) when the Sealer refuses it or it does
 * not decode.
 */
export function readFrame<T>(env: TransportEnv, frame: Uint8Array, decode: (plain: Uint8Array) => T): T | null {
  const plain = openFrame(env, frame);
  if (!plain) return null;
  try {
    return decode(plain);
  } catch {
    env.stats.badFrames++;
    return null;
  }
}

/**
 * Socket options both ends share: no lingering on close, and a silent dead peer (power cut,
 * partition) noticed by the kernel within seconds: TCP keepalive probes on an idle
 * connection, TCP_USER_TIMEOUT on one with data unacknowledged.
 *
 * Not ZMTP heartbeats: libzmq 4.3.5 aborts the process (`Assertion failed: !_io_error`,
 * stream_engine_base.cpp) when the heartbeat timer fires on a connection whose input is
 * stopped by a full receive queue and whose peer has hung up — a node that was paused
 * (SIGSTOP) for longer than the peers' heartbeat timeout did exactly that under the chaos
 * monkey (libzmq issues 3937, 4364, 4767, open). The heartbeat timer is the only caller that
 * reaches that assertion; without it the stopped engine is torn down cleanly when its input
 * restarts.
 */
export const COMMON_SOCKET_OPTIONS = {
  linger: 0,
  tcpKeepalive: 1,
  tcpKeepaliveIdle: 1,
  tcpKeepaliveInterval: 1,
  tcpKeepaliveCount: 3,
  tcpMaxRetransmitTimeout: 5000,
} as const;

/**
 * A receive loop whose socket always has the next message ready runs on microtasks alone and
 * would starve timers and immediates (the answer flush, the writer) until the queue is empty,
 * turning a stream into stop-and-go. Loops call this after each frame: it yields to the event
 * loop once a millisecond of work has passed.
 */
export class Yielder {
  #since = performance.now();

  async maybeYield(): Promise<void> {
    if (performance.now() - this.#since < 1) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}
