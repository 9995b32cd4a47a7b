// What binds a sender's routing id to its CURVE key. CURVE and ZAP tell a node that a
// connection belongs to *some* admitted key, and the ROUTER tells it the routing id the other
// end chose; neither ties the two together (ZAP's request carries the client's key, but its
// identity frame is the server's own routing id, and zeromq.js exposes no message properties
// such as ZAP's User-Id). So an admitted node could claim another admitted node's id.
//
// Each data frame therefore carries a token only the claimed sender can make: an HMAC, keyed
// with the X25519 secret the two nodes share (one's CURVE secret key with the other's public
// key, as CURVE itself computes), of (sender id, receiver id, the sender's link session). The
// receiver computes it from the claimed sender's registered public key and drops a frame whose
// token differs. A session is fixed for a link's life, so both ends compute a token once per
// link and session, not per frame; and CURVE encrypts frames, so no third party sees a token.

import { createHmac, createPrivateKey, createPublicKey, diffieHellman, timingSafeEqual, type KeyObject } from 'node:crypto';
import { z85Decode } from './z85.ts';

export const TOKEN_BYTES = 16;

function b64url(z85: string): string {
  const raw = z85Decode(z85);
  if (!raw || raw.length !== 32) throw new RangeError('not a 40-character Z85 CURVE key');
  return Buffer.from(raw).toString('base64url');
}

/** A node's CURVE keypair as a Node.js X25519 private key. */
export function curvePrivateKey(keys: { publicKey: string; secretKey: string }): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(keys.secretKey), x: b64url(keys.publicKey) }, format: 'jwk' });
}

/** The key two nodes share (either side computes the same from its secret key and the other's public key). */
export function pairKey(mine: KeyObject, peerPublicKey: string): Buffer {
  const shared = diffieHellman({ privateKey: mine, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(peerPublicKey) }, format: 'jwk' }) });
  return createHmac('sha256', shared).update('autoimmune transport pair key v1').digest();
}

/** The token `from` puts in every data frame of link session `session` to `to`. */
export function sessionToken(pair: Buffer, from: string, to: string, session: number): Buffer {
  return createHmac('sha256', pair).update(JSON.stringify([from, to, session])).digest().subarray(0, TOKEN_BYTES);
}

export function sameToken(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
