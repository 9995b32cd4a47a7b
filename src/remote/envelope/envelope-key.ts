// An envelope key and its stored form in etcd (one JSON value per key under the key prefix).
import { randomBytes } from 'node:crypto';
import { EnvelopeKeyError } from './errors.ts';

export interface EnvelopeKey {
  /** Short and printable (8 hex digits when generated): it travels in every frame. */
  id: string;
  /** 32 bytes of AES-256 key material. */
  key: Buffer;
  /** When the leader made it (ms since the epoch). */
  createdAt: number;
  /**
   * From when nodes seal with it (ms since the epoch). Later than createdAt by at least the
   * time the key set takes to reach every node, so no one seals with a key others cannot open.
   */
  activatesAt: number;
}

export const KEY_BYTES = 32;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Throws EnvelopeKeyError naming the first bad field. */
export function validateKey(k: EnvelopeKey): void {
  if (typeof k.id !== 'string' || !ID.test(k.id)) {
    throw new EnvelopeKeyError(`envelope key id ${JSON.stringify(k.id)} is not 1 to 64 characters of A-Z a-z 0-9 _ -`);
  }
  if (!Buffer.isBuffer(k.key) || k.key.length !== KEY_BYTES) {
    const got = Buffer.isBuffer(k.key) ? `${k.key.length} bytes` : typeof k.key;
    throw new EnvelopeKeyError(`envelope key ${JSON.stringify(k.id)} has ${got} of key material; AES-256 needs exactly ${KEY_BYTES} bytes`);
  }
  for (const field of ['createdAt', 'activatesAt'] as const) {
    const v = k[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new EnvelopeKeyError(`envelope key ${JSON.stringify(k.id)} has ${field} ${JSON.stringify(v)}; it must be a time in ms since the epoch`);
    }
  }
}

/** Activation order: the newest active key is the last active one in this order. */
export function compareKeys(a: EnvelopeKey, b: EnvelopeKey): number {
  return a.activatesAt - b.activatesAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A fresh random key with an id none of `taken` has. */
export function createKey(createdAt: number, activatesAt: number, taken: ReadonlySet<string> = new Set()): EnvelopeKey {
  let id: string;
  do id = randomBytes(4).toString('hex');
  while (taken.has(id));
  return { id, key: randomBytes(KEY_BYTES), createdAt, activatesAt };
}

export function encodeKey(k: EnvelopeKey): string {
  validateKey(k);
  return JSON.stringify({ id: k.id, key: k.key.toString('base64'), createdAt: k.createdAt, activatesAt: k.activatesAt });
}

export function decodeKey(s: string): EnvelopeKey {
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    // Neither the text nor the parser's error (which quotes it): it may hold key material.
    throw new EnvelopeKeyError(`stored envelope key (${s.length} characters) is not JSON; rewrite it with encodeKey`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new EnvelopeKeyError(`stored envelope key is ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}, not a JSON object`);
  const o = v as Record<string, unknown>;
  if (typeof o.key !== 'string' || !BASE64.test(o.key) || o.key.length % 4 !== 0) {
    const what = typeof o.key === 'string' ? `${o.key.length} characters that are not padded base64` : typeof o.key;
    throw new EnvelopeKeyError(`stored envelope key ${JSON.stringify(o.id)} has a key field of ${what}`);
  }
  const k = { id: o.id, key: Buffer.from(o.key, 'base64'), createdAt: o.createdAt, activatesAt: o.activatesAt } as EnvelopeKey;
  validateKey(k);
  return k;
}
