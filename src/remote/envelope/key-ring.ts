// AES-256-GCM envelope with key ids, so keys can rotate while messages are in flight.
//
// Frame: version (1 byte) | key id length (1 byte) | key id | IV (12 bytes) | ciphertext | tag (16 bytes).
// The version, length and id are the additional authenticated data: a frame whose id is
// rewritten to another key the receiver holds fails authentication instead of being read
// under the wrong key's name. IVs are random: NIST's bound for random 96-bit IVs is 2^32
// messages per key, far beyond one rotation period of batches.
import { type KeyObject, createCipheriv, createDecipheriv, createSecretKey, randomFillSync } from 'node:crypto';
import type { Sealer } from '../transport/types.ts';
import { type EnvelopeKey, compareKeys, validateKey } from './envelope-key.ts';
import { EnvelopeAuthError, EnvelopeFormatError, EnvelopeKeyError, EnvelopeNoKeyError, EnvelopeUnknownKeyError } from './errors.ts';

export const ENVELOPE_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface Slot {
  id: string;
  /** Version, id length and id: written at the front of every frame and authenticated. */
  header: Buffer;
  secret: KeyObject;
  activatesAt: number;
}

export interface KeyRingOptions {
  /** The clock that decides which key is current (ms since the epoch); tests drive it. */
  now?: () => number;
}

/**
 * The keys a node holds. It opens frames under any of them and seals under the current one:
 * the newest key whose activation time has come. The choice is re-made when the clock passes
 * the next pending activation, checked on each seal, so there is no timer to manage.
 */
export class KeyRing implements Sealer {
  readonly #now: () => number;
  /** In activation order. */
  #slots: Slot[] = [];
  #current: Slot | undefined;
  #nextActivation = Number.POSITIVE_INFINITY;

  constructor(keys: readonly EnvelopeKey[] = [], options: KeyRingOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.setKeys(keys);
  }

  /** Replaces the whole set: what a node does when the key prefix in etcd changes. */
  setKeys(keys: readonly EnvelopeKey[]): void {
    const seen = new Set<string>();
    for (const k of keys) {
      validateKey(k);
      if (seen.has(k.id)) throw new EnvelopeKeyError(`envelope key id ${JSON.stringify(k.id)} appears twice in the key set`);
      seen.add(k.id);
    }
    this.#slots = [...keys].sort(compareKeys).map((k) => ({
      id: k.id,
      header: Buffer.concat([Buffer.of(ENVELOPE_VERSION, k.id.length), Buffer.from(k.id, 'latin1')]),
      secret: createSecretKey(k.key),
      activatesAt: k.activatesAt,
    }));
    this.#choose(this.#now());
  }

  /** The id sealing would use now, if any key is active. */
  currentKeyId(): string | undefined {
    return this.#currentAt(this.#now())?.id;
  }

  keyIds(): string[] {
    return this.#slots.map((s) => s.id);
  }

  seal(plain: Uint8Array): Uint8Array {
    const slot = this.#currentAt(this.#now());
    if (slot === undefined) throw new EnvelopeNoKeyError(this.#slots.length, Number.isFinite(this.#nextActivation) ? this.#nextActivation : undefined);
    const h = slot.header.length;
    const out = Buffer.allocUnsafe(h + IV_BYTES + plain.length + TAG_BYTES);
    slot.header.copy(out, 0);
    randomFillSync(out, h, IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', slot.secret, out.subarray(h, h + IV_BYTES), { authTagLength: TAG_BYTES });
    cipher.setAAD(slot.header);
    // Node has no update-into-a-buffer: the ciphertext chunk is copied once into the frame.
    const body = cipher.update(plain);
    body.copy(out, h + IV_BYTES);
    let at = h + IV_BYTES + body.length;
    const rest = cipher.final(); // GCM is a stream mode: empty, but the API wants the call
    if (rest.length > 0) at += rest.copy(out, at);
    cipher.getAuthTag().copy(out, at);
    return out;
  }

  open(sealed: Uint8Array): Uint8Array {
    if (sealed.length < 2) throw new EnvelopeFormatError(`envelope of ${sealed.length} bytes is shorter than its 2-byte header`);
    if (sealed[0] !== ENVELOPE_VERSION) {
      throw new EnvelopeFormatError(`envelope version ${sealed[0]} is not ${ENVELOPE_VERSION}, the only one this node reads; is the sender running another release?`);
    }
    const idLength = sealed[1]!;
    const h = 2 + idLength;
    if (idLength === 0 || sealed.length < h + IV_BYTES + TAG_BYTES) {
      throw new EnvelopeFormatError(`envelope of ${sealed.length} bytes with a ${idLength}-byte key id is cut short (at least ${h + IV_BYTES + TAG_BYTES} bytes expected)`);
    }
    const slot = this.#find(sealed, idLength);
    if (slot === undefined) throw new EnvelopeUnknownKeyError(Buffer.from(sealed.buffer, sealed.byteOffset + 2, idLength).toString('latin1'), this.keyIds());
    const end = sealed.length - TAG_BYTES;
    const decipher = createDecipheriv('aes-256-gcm', slot.secret, sealed.subarray(h, h + IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(sealed.subarray(0, h));
    decipher.setAuthTag(sealed.subarray(end));
    const plain = decipher.update(sealed.subarray(h + IV_BYTES, end));
    try {
      decipher.final();
    } catch (err) {
      throw new EnvelopeAuthError(slot.id, { cause: err });
    }
    return plain;
  }

  /** By comparing bytes in place: no string is made for the id on the message path. */
  #find(sealed: Uint8Array, idLength: number): Slot | undefined {
    next: for (const s of this.#slots) {
      const hdr = s.header;
      if (hdr[1] !== idLength) continue;
      for (let i = 2; i < 2 + idLength; i++) if (hdr[i] !== sealed[i]) continue next;
      return s;
    }
    return undefined;
  }

  #currentAt(now: number): Slot | undefined {
    if (now >= this.#nextActivation) this.#choose(now);
    return this.#current;
  }

  #choose(now: number): void {
    this.#current = undefined;
    this.#nextActivation = Number.POSITIVE_INFINITY;
    for (const s of this.#slots) {
      if (s.activatesAt <= now) this.#current = s;
      else if (s.activatesAt < this.#nextActivation) this.#nextActivation = s.activatesAt;
    }
  }
}
