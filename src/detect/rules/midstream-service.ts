// The service of a server's side first seen mid-connection: its SYN-ACK and greeting are
// before the capture began (a sensor restarted, tcpdump started late, a rotated file, a tap
// added) or lost with the SYN-ACK (a loaded sensor). Its greeting cannot be read, so the
// service is decided from the reply itself, as IDS engines do for the connections they pick
// up mid-stream (Suricata's `stream.midstream`, Zeek's partial connections):
// - a reply that names its protocol wherever it comes from: an HTTP or RTSP status line, a
//   SIP one, an SMB header, an LDAP BindResponse, a whole memcached binary response, Redis's
//   answers to AUTH. These are the words service-replies.ts greetingService already reads on
//   any port (the client speaks first in each, so their first words are replies too): what
//   Suricata's port-independent patterns do ("HTTP/1." for a response), on any port;
// - the line protocols whose failure line names nothing (FTP's "530", SMTP's "535", POP3's
//   "-ERR", an IMAP tagged "NO": any text may start so, an HTTP body or a chat line) only on
//   their own ports (FTP 21, SMTP 25 and 587, POP3 110, IMAP 143: IANA's, the ports Zeek's
//   analyzers register for with Analyzer::register_for_ports and Suricata's probing parsers
//   run on), and only for a segment shaped as that protocol's reply. NNTP's codes (481, 281)
//   likewise only on NNTP's port 119 and NNSP's 433 (IANA's; RFC 3977 §3.1); its TLS port
//   563 carries no code in the clear;
// - XMPP's SASL elements, which name their namespace (RFC 6120 §6.4: <challenge>, <failure>,
//   <success> in 'urn:ietf:params:xml:ns:xmpp-sasl'), on any port (its own 5222, or a
//   server's other): an XML document names that namespace only to negotiate SASL in XMPP,
//   and STARTTLS's <failure> is in xmpp-tls's, not read.
// - SSH's key exchange, when the capture holds it: the server's KEXINIT (RFC 4253 §7.1: a
//   plaintext binary packet of message 20, a 16-byte cookie, then the kex_algorithms
//   name-list, names such as "curve25519-sha256" or "sntrup761x25519-sha512@openssh.com"), on
//   any port; its sizes are learnt from there on as from a banner (login-sessions.ts). Its
//   banner, which names Dropbear, came before the client's acknowledgment that verified the
//   connection and was not read: read as OpenSSH's, a Dropbear server's quicker failures
//   are not counted (a miss, never a false count). A rekeying's KEXINIT is encrypted.
// Left out: the services with one login a connection read against the start of it
// (PostgreSQL's request, MySQL's and SQL Server's handshakes, MQTT's CONNACK, SOCKS5's method
// selection, VNC's challenge, RDP's Connection Confirm): a connection picked up mid-stream is
// past its login; SSH past its key exchange (encrypted: its sizes are learnt from the key
// exchange, which was not seen); Telnet (echoed characters, its prompt unrecognisable mid-stream); AMI (its failure is
// an error followed by the close, whose Login action is told by the greeting's context).

import { Service, SshMsg, greetingService, isPop3Err, replyCode, sshPlain } from './service-replies.ts';
import { portTable } from './udp-port-roles.ts';

/** FTP (1) or SMTP (2), as codesDialect numbers them: the dialect a CODES port implies. */
const FTP = 1, SMTP = 2;

/** The dialect of a port's line protocol (FTP 21; SMTP 25 and its submission port 587, RFC 6409), 0 for none. */
function codesPort(port: number): number {
  return port === 21 ? FTP : port === 25 || port === 587 ? SMTP : 0;
}

const POP3_PORT = 110, IMAP_PORT = 143;
/** NNTP's port and NNSP's (server to server), IANA's; RFC 3977 §3.1. */
const NNTP_PORT = 119, NNSP_PORT = 433;

/** The services picked up mid-stream from a reply that names them (greetingService's reading). */
const SELF_NAMED = new Uint8Array(32);
for (const svc of [Service.HTTP, Service.SIP, Service.SMB, Service.REDIS, Service.LDAP, Service.MEMCACHED]) SELF_NAMED[svc] = 1;

/** The dialect midstreamService found, in the bits above its Service: `(r >> 8)`. */
export const DIALECT_SHIFT = 8;

/**
 * The service of a server segment (`len` bytes of payload, `headBytes` of them at h[o]) sent
 * from `port`, first seen mid-connection: a Service, with FTP's or SMTP's dialect (1, 2)
 * DIALECT_SHIFT bits up for CODES; Service.OTHER when it is not picked up. (An LDAP message
 * is picked up at a BindResponse only, greetingService's reading: a search result's entries
 * hold any text.)
 */
export function midstreamService(h: Uint8Array, o: number, len: number, headBytes: number, port: number): number {
  const avail = Math.min(len, headBytes);
  const svc = greetingService(h, o, len, headBytes);
  if (SELF_NAMED[svc] === 1) return svc;
  const d = codesPort(port);
  if (d !== 0 && replyCode(h, o, avail) !== 0) return Service.CODES | (d << DIALECT_SHIFT);
  if (port === POP3_PORT && (svc === Service.POP3 || isPop3Err(h, o, avail))) return Service.POP3; // "+OK" (greetingService's reading), "-ERR"
  if (port === IMAP_PORT && imapReply(h, o, avail)) return Service.IMAP;
  if ((port === NNTP_PORT || port === NNSP_PORT) && replyCode(h, o, avail) !== 0) return Service.NNTP;
  if (xmppSaslElement(h, o, avail)) return Service.XMPP;
  if (sshKexinit(h, o, avail)) return Service.SSH;
  return Service.OTHER;
}

/** Where a KEXINIT's kex_algorithms name-list starts (length, padding length, message, cookie), and the fewest of its names' bytes read. */
const KEX_NAMES_AT = 4 + 1 + 1 + 16, KEX_NAMES_MIN = 8;

/** Whether the segment starts with an SSH KEXINIT in the clear: a binary packet of message 20 whose first name-list holds algorithm names (RFC 4251 §6: US-ASCII, comma-separated). */
function sshKexinit(h: Uint8Array, o: number, avail: number): boolean {
  if (avail < KEX_NAMES_AT + 4 + KEX_NAMES_MIN) return false;
  const p = sshPlain(h, o, avail);
  if (p < 0 || p % 256 !== SshMsg.KEXINIT) return false;
  const at = o + KEX_NAMES_AT;
  const n = ((h[at]! << 24) | (h[at + 1]! << 16) | (h[at + 2]! << 8) | h[at + 3]!) >>> 0;
  if (n < KEX_NAMES_MIN || n > (p - SshMsg.KEXINIT) / 256) return false;
  const end = Math.min(o + avail, at + 4 + n);
  for (let k = at + 4; k < end; k++) if (!isAlgorithmChar(h[k]!)) return false;
  return true;
}

/** A byte of an algorithm name-list: lower-case letters, digits, '-', '.', '@', '_', ','. */
function isAlgorithmChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x40 || c === 0x5f || c === 0x2c;
}

/** The SASL elements a server sends (RFC 6120 §6.4.3, §6.4.5, §6.4.6), and their namespace. */
const SASL_ELEMENTS = ['<challenge', '<failure', '<success'].map((e) => Buffer.from(e, 'latin1'));
const SASL_NS = Buffer.from(" xmlns='urn:ietf:params:xml:ns:xmpp-sasl'", 'latin1');
/**
 * Where the quotes are in SASL_NS (either quote, as XML allows), and how much of it must be
 * kept: to "urn:ietf:", the IETF's URN namespace (RFC 2648; its "params" registry, RFC 3553,
 * holds XMPP's): tcpdump -s 96 keeps 30 bytes of a segment with TCP timestamps (Linux's
 * default), "<failure xmlns='urn:ietf:param".
 */
const OPEN_QUOTE = 7, CLOSE_QUOTE = SASL_NS.length - 1, NS_MIN = OPEN_QUOTE + 1 + 'urn:ietf:'.length;

/**
 * Whether the segment starts with a server's SASL element in XMPP's SASL namespace, as far as
 * the bytes kept hold it (a snap length may cut the namespace past "urn:ietf:": among the
 * IETF's XML protocols only XMPP's stream carries a <challenge>, <failure> or <success> at
 * the top; a STARTTLS <failure> so picked up is told by its length, service-replies.ts
 * xmppSaslReply).
 */
function xmppSaslElement(h: Uint8Array, o: number, avail: number): boolean {
  if (avail < 9 || h[o] !== 0x3c) return false;
  for (const e of SASL_ELEMENTS) {
    const n = Math.min(SASL_NS.length, avail - e.length);
    if (n < NS_MIN || !bytesAt(h, o, e)) continue;
    const at = o + e.length, q = h[at + OPEN_QUOTE];
    if (q !== 0x27 && q !== 0x22) return false;
    for (let k = 0; k < n; k++) {
      const c = k === OPEN_QUOTE || k === CLOSE_QUOTE ? q : SASL_NS[k];
      if (h[at + k] !== c) return false;
    }
    return true;
  }
  return false;
}

function bytesAt(h: Uint8Array, o: number, word: Uint8Array): boolean {
  for (let k = 0; k < word.length; k++) if (h[o + k] !== word[k]) return false;
  return true;
}

/** An IMAP server line: untagged ("* ", "+ ") or a tag of letters, digits and dots, then OK, NO or BAD (RFC 9051 §7.1). */
function imapReply(h: Uint8Array, o: number, avail: number): boolean {
  if (avail < 4) return false;
  if ((h[o] === 0x2a || h[o] === 0x2b) && h[o + 1] === 0x20) return true;
  let k = 0;
  while (k < avail && k < 32 && isTagChar(h[o + k]!)) k++;
  if (k === 0 || k + 3 > avail || h[o + k] !== 0x20) return false;
  const a = h[o + k + 1]! | 0x20, b = h[o + k + 2]! | 0x20;
  return (a === 0x6f && b === 0x6b) || (a === 0x6e && b === 0x6f) || (a === 0x62 && b === 0x61); // ok, no, ba(d)
}

function isTagChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2e || c === 0x5f || c === 0x2d;
}

/**
 * The ports Zeek's HTTP analyzer registers for (base/protocols/http/main.zeek `ports`): where
 * a client's header field line picked up mid-stream is taken for HTTP's.
 */
const HTTP_PORTS = portTable([80, 81, 631, 1080, 3128, 8000, 8080, 8888]);
/** The longest field name read (RFC 9110 §5.1 sets none; the registered ones are under 64). */
const FIELD_NAME_MAX = 64;

/**
 * Whether a client segment (its first `avail` bytes at h[o]) sent to `port`, first seen
 * mid-connection, starts with an HTTP header field line, "name: value" (RFC 9110 §5.1, §5.5:
 * a token, then a colon): on HTTP's ports only, since any text may start so. What slowloris
 * sends, a header line every few seconds, on connections it opened long before; the HTTP
 * flood rule reads the connection from there on (http-flood.ts openMidstream), its trickles
 * as on a connection seen whole. A request line picks a client up on any port (httpMethod).
 */
export function httpFieldLine(h: Uint8Array, o: number, avail: number, port: number): boolean {
  if (HTTP_PORTS[port] !== 1) return false;
  let k = 0;
  while (k < avail && k < FIELD_NAME_MAX && isTokenChar(h[o + k]!)) k++;
  return k > 0 && k < avail && h[o + k] === 0x3a;
}

/** RFC 9110 §5.6.2 tchar: letters, digits and !#$%&'*+-.^_`|~. */
function isTokenChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || (c >= 0x23 && c <= 0x27) || c === 0x21 || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
}
