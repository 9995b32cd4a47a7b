// Errors of the message envelope. The transport catches EnvelopeError as a whole (counts and
// drops the frame); the subclasses say why, for counters and tests.
import { AutoimmuneError } from '../../errors.ts';

export class EnvelopeError extends AutoimmuneError {}

/** The frame is not an envelope this version can read: wrong version byte, or cut short. */
export class EnvelopeFormatError extends EnvelopeError {
  constructor(message: string) {
    super('AI_ERR_ENVELOPE_FORMAT', message);
  }
}

/** The frame names a key this node does not hold: retired already, or not received yet. */
export class EnvelopeUnknownKeyError extends EnvelopeError {
  readonly keyId: string;
  constructor(keyId: string, known: readonly string[]) {
    super(
      'AI_ERR_ENVELOPE_UNKNOWN_KEY',
      `envelope sealed with key ${JSON.stringify(keyId)}, which this node does not hold (it holds ${known.length === 0 ? 'none' : known.map((k) => JSON.stringify(k)).join(', ')}); ` +
        `the sender is behind or ahead of the key rotation by more than the rotation allows, or the frame is forged`,
    );
    this.keyId = keyId;
  }
}

/** The frame failed authentication: altered in transit, or sealed with other key material under that id. */
export class EnvelopeAuthError extends EnvelopeError {
  readonly keyId: string;
  constructor(keyId: string, options?: { cause?: unknown }) {
    super('AI_ERR_ENVELOPE_AUTH', `envelope sealed with key ${JSON.stringify(keyId)} failed authentication: the frame was altered or the key material differs between nodes`, options);
    this.keyId = keyId;
  }
}

/** There is no active key to seal with yet: the first key is still waiting for its activation time. */
export class EnvelopeNoKeyError extends EnvelopeError {
  constructor(held: number, nextActivation: number | undefined) {
    super(
      'AI_ERR_ENVELOPE_NO_KEY',
      `no envelope key is active: ${held} held` +
        (nextActivation === undefined ? ', none pending; the leader creates the first one' : `, the next activates at ${new Date(nextActivation).toISOString()}`),
    );
  }
}

/** An envelope key, or its stored form, is malformed. */
export class EnvelopeKeyError extends EnvelopeError {
  constructor(message: string) {
    super('AI_ERR_ENVELOPE_KEY', message);
  }
}
