// The frames on the wire, msgpackr-encoded. Each frame is one flat array (no per-message
// arrays to allocate on decode):
//   data:     [DATA_V2, session, floor, token, (seq, path, epoch, priority, events, body)...]
//   outcomes: [OUTCOMES_V1, session, (seq, outcomeCode)...]
// `session` names the sender's link incarnation (random), so a restarted sender's seq 1 is not
// a duplicate; `floor` is the lowest seq the sender still holds (the receiver forgets below it);
// `token` proves the sender holds the CURVE key of the node id it claims (peer-token.ts; empty
// without CURVE).
// `body` is the message encoded on its own when it was sent (encodeMessage): a message that
// cannot be encoded fails in send(), not later in a frame with others, and a retransmission
// reuses the bytes.
//
// Records (useRecords) are defined inside each body, where a batch of 256 packet objects pays
// for its keys once. Structures shared across frames would save those few dozen bytes per
// batch again, but a frame that defines one can be lost on a reconnect and every later frame
// would then be undecodable; at ~11 KB per batch of 256 records, self-describing bodies cost
// well under 1 %. moreTypes keeps typed arrays typed (columnar packet batches).

import { Packr, Unpackr } from 'msgpackr';
import { AutoimmuneError } from '../../errors.ts';
import type { Destination, Outcome } from './types.ts';

export const DATA_V2 = 3;
export const OUTCOMES_V1 = 2;
const DATA_FIELDS = 6;
const DATA_HEADER = 4;
const NO_TOKEN = new Uint8Array(0);

export const OUTCOMES: readonly Outcome[] = ['handled', 'stale', 'early', 'rejected', 'dropped'];
export const OUTCOME_CODE: Readonly<Record<Outcome, number>> = { handled: 0, stale: 1, early: 2, rejected: 3, dropped: 4 };

/** A frame that does not decode to this protocol: counted and dropped by the receiver. */
export class WireFormatError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_TRANSPORT_FRAME', `transport frame rejected: ${message}; the peer runs an incompatible version or the frame was corrupted`);
  }
}

/** A message cannot be sent because it cannot be encoded (a cycle, a value msgpack has no form for). */
export class UnencodableMessageError extends AutoimmuneError {
  constructor(path: string, cause: unknown) {
    super('AI_ERR_TRANSPORT_MESSAGE', `a message for ${JSON.stringify(path)} cannot be encoded (${(cause as Error)?.message ?? String(cause)}); send plain data: objects, arrays, strings, numbers, typed arrays`, { cause });
  }
}

export interface OutgoingMessage {
  readonly seq: number;
  readonly to: Destination;
  readonly priority: number;
  readonly events: number;
  /** The message as encodeMessage returned it. */
  readonly body: Uint8Array;
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
  token: Uint8Array;
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

  /** Encodes one message body; throws UnencodableMessageError. */
  encodeMessage(msg: unknown, to: Destination): Uint8Array {
    try {
      // msgpackr hands out consecutive slices of a slab it never rewrites, so the body stays valid.
      return this.#packr.pack(msg);
    } catch (err) {
      throw new UnencodableMessageError(to.path, err);
    }
  }

  encodeData(session: number, floor: number, messages: readonly OutgoingMessage[], token: Uint8Array = NO_TOKEN): Uint8Array {
    const a = this.#scratch;
    a.length = DATA_HEADER + messages.length * DATA_FIELDS;
    a[0] = DATA_V2;
    a[1] = session;
    a[2] = floor;
    a[3] = token;
    let i = DATA_HEADER;
    for (const m of messages) {
      a[i++] = m.seq;
      a[i++] = m.to.path;
      a[i++] = m.to.epoch;
      a[i++] = m.priority;
      a[i++] = m.events;
      a[i++] = m.body;
    }
    const out = this.#packr.pack(a);
    a.length = 0; // do not keep the messages alive
    return out;
  }

  decodeData(frame: Uint8Array): DataFrame {
    const a = this.#unpack(frame, DATA_V2);
    if ((a.length - DATA_HEADER) % DATA_FIELDS !== 0) throw new WireFormatError(`data frame of ${a.length} fields`);
    const session = a[1];
    const floor = a[2];
    const token = a[3];
    if (!isInt(session) || !isInt(floor)) throw new WireFormatError('data frame header is not numeric');
    if (!(token instanceof Uint8Array)) throw new WireFormatError('data frame has no token');
    const messages: IncomingMessage[] = new Array((a.length - DATA_HEADER) / DATA_FIELDS);
    for (let i = DATA_HEADER, k = 0; i < a.length; i += DATA_FIELDS, k++) {
      const seq = a[i];
      const path = a[i + 1];
      const epoch = a[i + 2];
      const priority = a[i + 3];
      const events = a[i + 4];
      const body = a[i + 5];
      if (!isInt(seq) || typeof path !== 'string' || typeof epoch !== 'number' || typeof priority !== 'number' || typeof events !== 'number' || !(body instanceof Uint8Array)) {
        throw new WireFormatError(`message ${k} of a data frame is malformed`);
      }
      let msg: unknown;
      try {
        msg = this.#unpackr.unpack(body);
      } catch (err) {
        throw new WireFormatError(`message ${k} of a data frame does not decode (${(err as Error).message})`);
      }
      messages[k] = { seq, to: { path, epoch }, priority, events, msg };
    }
    return { session, floor, token, messages };
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
