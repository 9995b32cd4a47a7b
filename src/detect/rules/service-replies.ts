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
//
//   failed login                  FTP 530, SMTP 535 (RFC 4954 §6), POP3 -ERR, IMAP tagged
//                                 NO, Telnet "Login incorrect" / "Login failed" /
//                                 "Authentication failed" (login(1), BusyBox, Cisco IOS)
//   successful login              FTP 230, SMTP 235. POP3, IMAP and Telnet say "OK" to
//                                 many commands before a login, so their successes are not
//                                 read (a +OK to CAPABILITY would otherwise forgive a guesser).
//
// SSH is encrypted after its key exchange; sshPlain reads the header of a plaintext binary
// packet (RFC 4253 §6: uint32 packet_length, byte padding_length, byte message code) so the
// login tracker can find the end of the key exchange (SSH_MSG_NEWKEYS, 21).

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
} as const;

export const Reply = { NONE: 0, FAILURE: 1, SUCCESS: 2 } as const;

/** Names for evidence, by Service. */
export const SERVICE_NAMES = ['unknown', 'ssh', 'ftp/smtp', 'pop3', 'imap', 'telnet', 'other'] as const;

const SP = 0x20, DASH = 0x2d, CR = 0x0d, LF = 0x0a, IAC = 0xff;

/** The service a server's first payload announces (Service.OTHER when none). */
export function greetingService(h: Uint8Array, o: number, len: number): number {
  if (len < 3) return Service.OTHER;
  const a = h[o], b = h[o + 1], c = h[o + 2], d = h[o + 3];
  if (a === 0x53 && b === 0x53 && c === 0x48 && d === DASH) return Service.SSH; // "SSH-"
  if (a === 0x32 && b === 0x32 && c === 0x30 && (d === SP || d === DASH)) return Service.CODES; // "220"
  if (a === 0x2b && b === 0x4f && c === 0x4b) return Service.POP3; // "+OK"
  if (a === 0x2a && b === SP && ((c === 0x4f && d === 0x4b) || (c === 0x50 && d === 0x52))) return Service.IMAP; // "* OK", "* PR"
  if (a === IAC && b >= 0xfb && b <= 0xfe) return Service.TELNET;
  return Service.OTHER;
}

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

/** Whether a reply of `service` (not SSH) reports a failed or a successful login. */
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
