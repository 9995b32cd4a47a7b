// The frames on the wire, msgpackr-encoded. Each frame is one flat array (no per-message
// arrays to allocate on decode):
//   data:     [DATA_V1, session, floor, (seq, path, epoch, priority, events, msg)...]
//   outcomes: [OUTCOMES_V1, session, (seq, outcomeCode)...]
// `session` names the sender's link incarnation (random), so a restarted sender's seq 1 is not
// a duplicate; `floor` is the lowest seq the sender still holds (the receiver forgets below it).
//
// Records (useRecords) are defined inside each frame, where a batch of 256 packet objects pays
// for its keys once. Structures shared across frames would save those few dozen bytes per frame
// again, but a frame that defines one can be lost on a reconnect and every later frame would
// then be undecodable; a frame here carries dozens of batches, so self-describing frames cost
// well under 1 %. moreTypes keeps typed arrays typed (columnar packet batches).

import { Packr, Unpackr } from 'msgpackr';
import { AutoimmuneError } from '../../errors.ts';
import type { Destination, Outcome } from './types.ts';

export const DATA_V1 = 1;
export const OUTCOMES_V1 = 2;
const DATA_FIELDS = 6;

export const OUTCOMES: readonly Outcome[] = ['handled', 'stale', 'early', 'rejected', 'dropped'];
export const OUTCOME_CODE: Readonly<Record<Outcome, number>> = { handled: 0, stale: 1, early: 2, rejected: 3, dropped: 4 };

/** A frame that does not decode to this protocol: counted and dropped by the receiver. */
export class WireFormatError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_TRANSPORT_FRAME', `transport frame rejected: ${message}; the peer runs an incompatible version or the frame was corrupted`);
  }
}

export interface OutgoingMessage {
  readonly seq: number;
  readonly to: Destination;
  readonly priority: number;
  readonly events: number;
  readonly msg: unknown;
}

export interface IncomingMessage {
  seq: number;
  to: Destination;
  priority: number;
  events: number;
  msg: unknown;
}

export interface DataFrame {
  session: number;
  floor: number;
  messages: IncomingMessage[];
}

export interface OutcomeFrame {
  session: number;
  /** seq, outcome code, seq, outcome code... */
  pairs: number[];
}

export class WireCodec {
  readonly #packr = new Packr({ useRecords: true, moreTypes: true });
  readonly #unpackr = new Unpackr({ useRecords: true, moreTypes: true });
  #scratch: unknown[] = [];

  encodeData(session: number, floor: number, messages: readonly OutgoingMessage[]): Uint8Array {
    const a = this.#scratch;
    a.length = 3 + messages.length * DATA_FIELDS;
    a[0] = DATA_V1;
    a[1] = session;
    a[2] = floor;
    let i = 3;
    for (const m of messages) {
      a[i++] = m.seq;
      a[i++] = m.to.path;
      a[i++] = m.to.epoch;
      a[i++] = m.priority;
      a[i++] = m.events;
      a[i++] = m.msg;
    }
    const out = this.#packr.pack(a);
    a.length = 0; // do not keep the messages alive
    return out;
  }

  decodeData(frame: Uint8Array): DataFrame {
    const a = this.#unpack(frame, DATA_V1);
    if ((a.length - 3) % DATA_FIELDS !== 0) throw new WireFormatError(`data frame of ${a.length} fields`);
    const session = a[1];
    const floor = a[2];
    if (!isInt(session) || !isInt(floor)) throw new WireFormatError('data frame header is not numeric');
    const messages: IncomingMessage[] = new Array((a.length - 3) / DATA_FIELDS);
    for (let i = 3, k = 0; i < a.length; i += DATA_FIELDS, k++) {
      const seq = a[i];
      const path = a[i + 1];
      const epoch = a[i + 2];
      const priority = a[i + 3];
      const events = a[i + 4];
      if (!isInt(seq) || typeof path !== 'string' || typeof epoch !== 'number' || typeof priority !== 'number' || typeof events !== 'number') {
        throw new WireFormatError(`message ${k} of a data frame is malformed`);
      }
      messages[k] = { seq, to: { path, epoch }, priority, events, msg: a[i + 5] };
    }
    return { session, floor, messages };
  }

  encodeOutcomes(session: number, pairs: readonly number[]): Uint8Array {
    const a = this.#scratch;
    a.length = 2 + pairs.length;
    a[0] = OUTCOMES_V1;
    a[1] = session;
    for (let i = 0; i < pairs.length; i++) a[2 + i] = pairs[i];
    const out = this.#packr.pack(a);
    a.length = 0;
    return out;
  }

  decodeOutcomes(frame: Uint8Array): OutcomeFrame {
    const a = this.#unpack(frame, OUTCOMES_V1);
    if (a.length % 2 !== 0) throw new WireFormatError(`outcome frame of ${a.length} fields`);
    const session = a[1];
    if (!isInt(session)) throw new WireFormatError('outcome frame header is not numeric');
    const pairs = a.slice(2) as number[];
    for (let i = 0; i < pairs.length; i += 2) {
      const code = pairs[i + 1];
      if (!isInt(pairs[i]) || !isInt(code) || code < 0 || code >= OUTCOMES.length) throw new WireFormatError(`outcome ${i / 2} is malformed`);
    }
    return { session, pairs };
  }

  #unpack(frame: Uint8Array, kind: number): unknown[] {
    let a: unknown;
    try {
      a = this.#unpackr.unpack(frame);
    } catch (err) {
      throw new WireFormatError(`not msgpack (${(err as Error).message})`);
    }
    if (!Array.isArray(a) || a[0] !== kind) throw new WireFormatError(`expected a frame of kind ${kind}`);
    return a;
  }
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}
