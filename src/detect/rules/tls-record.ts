// The first bytes of a TLS record, as the rules read them from a segment's 16-byte head:
// whether a connection turned to TLS (login-sessions.ts stops reading there) and whether a
// client opened one with a ClientHello (connection-flood.ts).

/** A TLS record's first byte for a handshake message (RFC 8446 §5.1: ContentType 22). */
const TLS_HANDSHAKE = 0x16;
/** The HandshakeType of a ClientHello (RFC 8446 §4: client_hello(1)). */
const CLIENT_HELLO = 1;

/**
 * Whether `len` bytes at h[o] begin a TLS handshake record: ContentType 22, then a legacy
 * record version 3.0 to 3.4 (RFC 8446 §5.1: TLS 1.3 writes 0x0301 or 0x0303 there; SSL 3.0
 * is 0x0300).
 */
export function tlsHandshakeRecord(h: Uint8Array, o: number, len: number): boolean {
  return len >= 3 && h[o] === TLS_HANDSHAKE && h[o + 1] === 3 && h[o + 2]! <= 4;
}

/** Whether `len` bytes at h[o] begin a TLS record carrying a ClientHello (the record header is 5 bytes, the handshake type the 6th). */
export function tlsClientHello(h: Uint8Array, o: number, len: number): boolean {
  return len >= 6 && tlsHandshakeRecord(h, o, len) && h[o + 5] === CLIENT_HELLO;
}
