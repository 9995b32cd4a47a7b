// What a server says, read from the first bytes of its TCP payload (the batch's `head`
// column, PAYLOAD_HEAD_BYTES per row): which login service it is, by its greeting and not
// by its port, and whether a reply reports a failed or a successful login. Pure functions
// over (bytes, offset, payload length); nothing is allocated.
//
//   greeting                      service
//   "SSH-"                        SSH (RFC 4253 §4.2: the identification string)
//   "220 " / "220-"               FTP or SMTP (RFC 959 §4.2, RFC 5321 §4.2: the reply codes
//                                 say which: 331/530/230 are FTP's, 334/535/235/250 SMTP's)
//   "+OK"                         POP3 (RFC 1939 §4)
//   "* OK" / "* PREAUTH"          IMAP (RFC 9051 §7.1)
//   IAC WILL/WONT/DO/DONT         Telnet (RFC 854: option negotiation comes first)
//   length, 0, 10, version        MySQL/MariaDB (the Initial Handshake packet: a 3-byte
//                                 little-endian length, sequence id 0, protocol version
//                                 10, the server's version string; alone in its segment)
//   "HTTP/1.x NNN "               HTTP (RFC 9112 §4: the client speaks first, so the
//                                 server's first words are a status line)
//   "RFB 003."                    VNC (RFC 6143 §7.1.1: the ProtocolVersion message)
//
//   failed login                  FTP 530, SMTP 535 (RFC 4954 §6), POP3 -ERR, IMAP tagged
//                                 NO, Telnet "Login incorrect" / "Login failed" /
//                                 "Authentication failed" (login(1), BusyBox, Cisco IOS)
//                                 MySQL an ERR packet (0xff) of error 1045,
//                                 ER_ACCESS_DENIED_ERROR; VNC a SecurityResult of 1 (RFC
//                                 6143 §7.1.3) after the 16-byte VNC-authentication challenge
//   refused, maybe no guess       HTTP 401 and 407 (RFC 9110 §15.5.2, §15.5.8): the same
//                                 answer challenges a client that sent no credentials yet, so
//                                 it is a rate's unit (login-rules.ts), never a failed login
//   successful login              MySQL an OK packet (0x00), VNC a SecurityResult of 0.
//                                 HTTP's 200 proves nothing (any public page answers it).
//                                 FTP 230, SMTP 235. POP3, IMAP and Telnet say "OK" to
//                                 many commands before a login, so their successes are not
//                                 read (a +OK to CAPABILITY would otherwise forgive a guesser).
//
// SSH is encrypted after its key exchange; sshPlain reads the header of a plaintext binary
// packet (RFC 4253 §6: uint32 packet_length, byte padding_length, byte message code) so the
// login tracker can find the end of the key exchange (SSH_MSG_NEWKEYS, 21).

import { httpStatus } from './http-status.ts';

export const Service = {
  UNKNOWN: 0,
  SSH: 1,
  /** FTP or SMTP: three-digit reply codes. */
  CODES: 2,
  POP3: 3,
  IMAP: 4,
  TELNET: 5,
  /** The server's first words are none of the above: not followed further. */
  OTHER: 6,
  MYSQL: 7,
  HTTP: 8,
  VNC: 9,
} as const;

/** DENIED: an HTTP 401 or 407, a refusal that may come before any credentials were sent. */
export const Reply = { NONE: 0, FAILURE: 1, SUCCESS: 2, DENIED: 3 } as const;

/** Names for evidence, by Service. */
export const SERVICE_NAMES = ['unknown', 'ssh', 'ftp/smtp', 'pop3', 'imap', 'telnet', 'other', 'mysql', 'http', 'vnc'] as const;

const SP = 0x20, DASH = 0x2d, CR = 0x0d, LF = 0x0a, IAC = 0xff;

/** The service a server's first payload announces (Service.OTHER when none): `len` bytes of payload, the first `headBytes` of them at h[o]. */
export function greetingService(h: Uint8Array, o: number, len: number, headBytes: number): number {
  const avail = Math.min(len, headBytes);
  if (avail < 3) return Service.OTHER;
  const a = h[o], b = h[o + 1], c = h[o + 2], d = avail > 3 ? h[o + 3] : -1;
  if (a === 0x53 && b === 0x53 && c === 0x48 && d === DASH) return Service.SSH; // "SSH-"
  if (a === 0x32 && b === 0x32 && c === 0x30 && (d === SP || d === DASH)) return Service.CODES; // "220"
  if (a === 0x2b && b === 0x4f && c === 0x4b) return Service.POP3; // "+OK"
  if (a === 0x2a && b === SP && ((c === 0x4f && d === 0x4b) || (c === 0x50 && d === 0x52))) return Service.IMAP; // "* OK", "* PR"
  if (a === IAC && b >= 0xfb && b <= 0xfe) return Service.TELNET;
  if (isMysqlGreeting(h, o, len, avail)) return Service.MYSQL;
  if (httpStatus(h, o, avail) !== 0) return Service.HTTP;
  if (avail >= 8 && a === 0x52 && b === 0x46 && c === 0x42 && d === SP && h[o + 4] === 0x30 && h[o + 5] === 0x30 && h[o + 6] === 0x33 && h[o + 7] === 0x2e) return Service.VNC; // "RFB 003."
  return Service.OTHER;
}

/** MySQL's protocol version 10 (every server since 3.21; MariaDB's too). */
const MYSQL_PROTOCOL_10 = 10;
/**
 * The smallest Initial Handshake payload: protocol version, a version string of 5 or more
 * characters and its NUL, connection id (4), auth data (8), filler, capabilities (2) — the
 * pre-4.1 layout; later servers add charset, status, more capabilities and the rest.
 */
const MYSQL_GREETING_MIN = 1 + 6 + 4 + 8 + 1 + 2;

/** A MySQL/MariaDB Initial Handshake packet filling the segment (`len` bytes of payload, `avail` of them kept). */
export function isMysqlGreeting(h: Uint8Array, o: number, len: number, avail: number): boolean {
  if (avail < 6) return false;
  const plen = h[o] | (h[o + 1] << 8) | (h[o + 2] << 16);
  return plen + 4 === len && plen >= MYSQL_GREETING_MIN && h[o + 3] === 0 && h[o + 4] === MYSQL_PROTOCOL_10 && h[o + 5] >= 0x31 && h[o + 5] <= 0x39;
}

/** ER_ACCESS_DENIED_ERROR ("Access denied for user ..."), sent for a wrong user or password. */
export const MYSQL_ACCESS_DENIED = 1045;
const MYSQL_OK = 0x00, MYSQL_AUTH_MORE_DATA = 0x01, MYSQL_ERR = 0xff;
/** An OK packet's smallest payload with CLIENT_PROTOCOL_41: header, two length-encoded integers, status flags, warnings. */
const MYSQL_OK_MIN = 7;

/**
 * How a MySQL server answered a login: an ERR packet of 1045 is a failure, an OK packet a
 * success; anything else (an AuthSwitchRequest 0xfe, another error such as 1040 "Too many
 * connections") is neither. caching_sha2_password's AuthMoreData (0x01: fast_auth_success
 * 0x03, perform_full_authentication 0x04, or the server's RSA key) is skipped to the packet
 * after it when that starts within the bytes kept.
 */
export function mysqlReply(h: Uint8Array, o: number, len: number, headBytes: number): number {
  const avail = Math.min(len, headBytes);
  let at = 0;
  while (at + 5 <= avail) {
    const plen = h[o + at] | (h[o + at + 1] << 8) | (h[o + at + 2] << 16);
    if (plen === 0 || at + 4 + plen > len) return Reply.NONE; // not a whole packet: not a packet boundary
    if (h[o + at + 3] === 0) return Reply.NONE; // a new exchange's first packet, never an answer in the handshake
    const kind = h[o + at + 4];
    if (kind === MYSQL_ERR) {
      if (plen < 3 || at + 7 > avail) return Reply.NONE;
      return (h[o + at + 5] | (h[o + at + 6] << 8)) === MYSQL_ACCESS_DENIED ? Reply.FAILURE : Reply.NONE;
    }
    if (kind === MYSQL_OK) return plen >= MYSQL_OK_MIN ? Reply.SUCCESS : Reply.NONE;
    if (kind !== MYSQL_AUTH_MORE_DATA) return Reply.NONE;
    at += 4 + plen;
  }
  return Reply.NONE;
}

/** RFB's SecurityResult (RFC 6143 §7.1.3): a U32 0 (OK) or 1 (failed), in 3.8 followed by a U32 reason length and the reason. */
export function vncSecurityResult(h: Uint8Array, o: number, len: number, headBytes: number): number {
  const avail = Math.min(len, headBytes);
  if (avail < 4 || h[o] !== 0 || h[o + 1] !== 0 || h[o + 2] !== 0) return Reply.NONE;
  const r = h[o + 3];
  if (len === 4) return r === 0 ? Reply.SUCCESS : r === 1 ? Reply.FAILURE : Reply.NONE;
  if (r !== 1 || avail < 8) return Reply.NONE;
  const reason = ((h[o + 4] << 24) | (h[o + 5] << 16) | (h[o + 6] << 8) | h[o + 7]) >>> 0;
  return reason + 8 === len ? Reply.FAILURE : Reply.NONE;
}

/** The VNC Authentication challenge (RFC 6143 §7.2.2): 16 random bytes. */
export const VNC_CHALLENGE_BYTES = 16;
/** The security type of VNC Authentication (RFC 6143 §7.1.2). */
export const VNC_AUTHENTICATION = 2;

const digit = (x: number) => x >= 0x30 && x <= 0x39;

/** The three-digit reply code at the start of a line (FTP, SMTP), or 0. */
export function replyCode(h: Uint8Array, o: number, len: number): number {
  if (len < 4 || !digit(h[o]) || !digit(h[o + 1]) || !digit(h[o + 2])) return 0;
  const sep = h[o + 3];
  if (sep !== SP && sep !== DASH && sep !== CR) return 0;
  return (h[o] - 0x30) * 100 + (h[o + 1] - 0x30) * 10 + (h[o + 2] - 0x30);
}

/** FTP (1) or SMTP (2) by a reply code only one of them uses; 0 when it does not tell. */
export function codesDialect(code: number): number {
  if (code === 331 || code === 332 || code === 530 || code === 230) return 1;
  if (code === 334 || code === 535 || code === 235 || code === 250) return 2;
  return 0;
}

/** Case-insensitive ASCII prefix test of `word` at h[o]; only what the head holds is compared (at least `min` bytes). */
function startsWith(h: Uint8Array, o: number, avail: number, word: string, min: number): boolean {
  const n = Math.min(word.length, avail);
  if (n < min) return false;
  for (let k = 0; k < n; k++) {
    const x = h[o + k] | 0x20;
    if (x !== (word.charCodeAt(k) | 0x20)) return false;
  }
  return true;
}

/** Whether a reply of `service` (not SSH, not VNC: login-sessions.ts reads its result after its challenge) reports a failed or a successful login. */
export function loginReply(service: number, h: Uint8Array, o: number, len: number, headBytes: number): number {
  const avail = Math.min(len, headBytes);
  switch (service) {
    case Service.CODES: {
      const code = replyCode(h, o, avail);
      if (code === 530 || code === 535) return Reply.FAILURE;
      if (code === 230 || code === 235) return Reply.SUCCESS;
      return Reply.NONE;
    }
    case Service.POP3:
      return avail >= 4 && h[o] === DASH && (h[o + 1] | 0x20) === 0x65 && (h[o + 2] | 0x20) === 0x72 && (h[o + 3] | 0x20) === 0x72 ? Reply.FAILURE : Reply.NONE; // "-ERR"
    case Service.IMAP: {
      // a tagged reply: tag, space, "NO " (untagged "* NO" is a warning, not an answer)
      if (avail < 4 || h[o] === 0x2a || h[o] === 0x2b) return Reply.NONE;
      let k = 0;
      while (k < avail && h[o + k] !== SP) k++;
      if (k === 0 || k + 3 > avail) return Reply.NONE;
      return (h[o + k + 1] | 0x20) === 0x6e && (h[o + k + 2] | 0x20) === 0x6f && (k + 3 === avail || h[o + k + 3] === SP) ? Reply.FAILURE : Reply.NONE;
    }
    case Service.MYSQL:
      return mysqlReply(h, o, len, headBytes);
    case Service.HTTP: {
      const code = httpStatus(h, o, avail);
      return code === 401 || code === 407 ? Reply.DENIED : Reply.NONE;
    }
    case Service.TELNET: {
      let k = 0;
      while (k < avail && (h[o + k] === CR || h[o + k] === LF || h[o + k] === SP || h[o + k] === 0x25)) k++; // CR, LF, ' ', '%'
      const rest = avail - k;
      if (startsWith(h, o + k, rest, 'login incorrect', 9) || startsWith(h, o + k, rest, 'login failed', 9) || startsWith(h, o + k, rest, 'login invalid', 9)) return Reply.FAILURE;
      if (startsWith(h, o + k, rest, 'authentication failed', 12)) return Reply.FAILURE;
      return Reply.NONE;
    }
    default:
      return Reply.NONE;
  }
}

/** Plaintext SSH messages of the key exchange (RFC 4253 §12, RFC 4419, RFC 5656). */
export const SshMsg = { KEXINIT: 20, NEWKEYS: 21, KEX_FIRST: 30, KEX_LAST: 49 } as const;

/**
 * The binary packet that starts this segment, if it looks like a plaintext one: its message
 * code and its whole length on the wire (4 + packet_length), packed as msg + 256 · length;
 * -1 when the bytes are not such a header (RFC 4253 §6: padding of 4 to 255 bytes, packets of
 * at most 35000 bytes).
 */
export function sshPlain(h: Uint8Array, o: number, len: number): number {
  if (len < 6) return -1;
  const plen = ((h[o] << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) >>> 0;
  const pad = h[o + 4];
  const msg = h[o + 5];
  if (plen < 12 || plen > 35000 || pad < 4 || pad >= plen || msg < 1 || msg > 100) return -1;
  return msg + 256 * (plen + 4);
}
