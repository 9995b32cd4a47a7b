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
//   0, length, 0xFE "SMB" / 0xFF "SMB"   SMB2/3 and SMB1 (MS-SMB2 2.1, 2.2.1: a 4-byte
//                                 session header, then the SMB header; the client speaks
//                                 first, so this is the answer to its NEGOTIATE)
//   'R', length, type             PostgreSQL (its Message Flow: the client speaks first,
//                                 the server answers the StartupMessage with an
//                                 Authentication request; AuthenticationOk 0 for trust)
//   "-WRONGPASS" / "-NOAUTH" /    Redis (RESP errors; the client speaks first, and these
//   "-ERR invalid password"       answers are specific to its AUTH; a bare "+OK" or a
//                                 value is any command's answer, so it names nothing)
//
//   04, status, length, SPID,     Microsoft SQL Server (MS-TDS 2.2.3.1: a TDS packet of type
//   packet id, window, token      4, tabular result, answering the client's PRELOGIN or its
//                                 login; its first token a PRELOGIN option 0, or ERROR 0xAA,
//                                 LOGINACK 0xAD, ENVCHANGE 0xE3, INFO 0xAB answering a login)
//
//   0x20, length, flags, code     MQTT (OASIS MQTT 3.1.1 §3.2, 5.0 §3.2: the CONNACK
//                                 answering the client's CONNECT, alone in its segment:
//                                 remaining length 2, or in 5.0 2 + its properties)
//
//   0x30, length, INTEGER, 0x61   LDAP (RFC 4511 §4.2.2: an LDAPMessage whose protocolOp is a
//                                 BindResponse, [APPLICATION 1]; the client speaks first, so
//                                 the server's first words answer its bind)
//
//   03 00, length, LI, 0xD0       RDP (RFC 1006's TPKT, then the X.224 Connection Confirm
//                                 answering the client's Connection Request, MS-RDPBCGR
//                                 2.2.1.2, alone in its segment; its RDP_NEG_RSP says which
//                                 security the server chose)
//
//   05 02, alone in its segment   SOCKS5 choosing username/password authentication (RFC
//                                 1928 §3: the METHOD selection message answering the
//                                 client's offer, VER 5, METHOD 2, RFC 1929). Its other
//                                 choices (00 no authentication, 01 GSSAPI, FF none
//                                 acceptable) open no login that can be read: not followed
//
//   "Asterisk Call Manager/"      Asterisk's manager interface, AMI (main/manager.c: the
//                                 greeting with its version, "Asterisk Call Manager/5.0.2")
//
//   0x81, opcode, ..., status     Memcached's binary protocol (its protocol_binary.h: a
//                                 24-byte response header, magic 0x81, opcode, key length,
//                                 extras length, data type 0, status, body length), a whole
//                                 response filling the segment; the client speaks first, so
//                                 this answers its SASL_LIST_MECHS or SASL_AUTH
//
//   "<?xml " / "<stream:stream"   XMPP (RFC 6120 §4.2: the client opens its stream first, the
//                                 server answers with its own stream header, an XML
//                                 declaration first when it sends one, §11.5)
//
//   "200 " / "201 "               NNTP (RFC 3977 §5.1.1: the greeting, posting allowed or not;
//                                 FTP's and SMTP's is 220, read as CODES)
//
//   before the greeting           PostgreSQL's 'N' refusing an SSLRequest or GSSENCRequest
//                                 (one byte), NetBIOS's positive session response on port
//                                 139 (RFC 1002 §4.3.3: 0x82 0 0 0) come before the words
//                                 that name the service: the greeting is the next payload
//
//   failed login                  FTP 530, SMTP 535 (RFC 4954 §6), POP3 -ERR, IMAP tagged
//                                 NO, Telnet "Login incorrect" / "Login failed" /
//                                 "Authentication failed" (login(1), BusyBox, Cisco IOS)
//                                 MySQL an ERR packet (0xff) of error 1045,
//                                 ER_ACCESS_DENIED_ERROR; VNC a SecurityResult of 1 (RFC
//                                 6143 §7.1.3) after the 16-byte VNC-authentication challenge
//                                 SMB: a reply whose NT status (MS-ERREF 2.3) is
//                                 STATUS_LOGON_FAILURE (a wrong user or password: Windows
//                                 answers both with it), STATUS_WRONG_PASSWORD,
//                                 STATUS_NO_SUCH_USER or STATUS_ACCOUNT_LOCKED_OUT (sent
//                                 whatever the password once the account is locked, and
//                                 logged as event 4625, which CrowdSec's windows-bf counts);
//                                 these answer only a SESSION_SETUP (MS-SMB2 3.3.5.5.3: the
//                                 authentication's error), so the command, past the 16
//                                 bytes kept in SMB2, is not needed; SMB1's command byte is
//                                 kept and must be SESSION_SETUP_ANDX (0x73), its status an
//                                 NT status or the DOS error ERRSRV/ERRbadpw
//                                 PostgreSQL: an ErrorResponse after the server asked for a
//                                 password (login-sessions.ts keeps that phase)
//                                 Redis: "-WRONGPASS" (6.0+, ACL) or "-ERR invalid password"
//                                 (before 6.0) answering AUTH
//                                 SQL Server: a tabular result whose first token is an ERROR
//                                 (MS-TDS 2.2.7.10) of number 18456 ("Login failed for user",
//                                 what fail2ban's mssql-auth and CrowdSec's mssql-bf read
//                                 from the log) or 18486 (the account locked out); its
//                                 number is bytes 3-6 of the token, within the 16 kept
//                                 MQTT: a CONNACK refusing the CONNECT's credentials: 4 "bad
//                                 user name or password" or 5 "not authorized" (3.1.1
//                                 §3.2.2.3: Mosquitto answers a wrong password with 5),
//                                 0x86 or 0x87 in 5.0 (§3.2.2.2); a broker closes the
//                                 connection after it, so a guesser connects again for each
//                                 LDAP: a BindResponse whose resultCode is 49,
//                                 invalidCredentials (RFC 4511 §4.1.9: a wrong password or
//                                 an unknown DN alike), what fail2ban's slapd filter counts
//                                 ("RESULT tag=97 err=49"); read where the encoding's lengths
//                                 are short (OpenLDAP, 389 Directory Server, the code at
//                                 byte 9) and where they are 4 bytes long (Active Directory,
//                                 the code at byte 17; 21 with a 4-byte messageID), within
//                                 the 32 bytes kept
//                                 SOCKS5: RFC 1929 §2's status, VER 1 and a STATUS other
//                                 than 0, alone in its segment ("the server MUST close the
//                                 connection": one attempt a connection); Dante answers
//                                 01 01 and closes (what fail2ban's dante filter counts,
//                                 "system password authentication failed for user")
//                                 AMI: "Response: Error" (astman_send_error) that the server
//                                 closes the connection after: a Login refused
//                                 ("Authentication failed", sent 1 s late, then the session
//                                 ends: manager.c action_login returns -1; what fail2ban's
//                                 asterisk filter counts, "failed to authenticate as"); its
//                                 other errors ("Authentication Required" to an action before
//                                 a login, a failed action after it) leave it open
//                                 (login-sessions.ts reads the close)
//                                 Memcached: the answer to SASL_AUTH (0x21) or SASL_STEP
//                                 (0x22) with status 0x0020, "Auth failure." (memcached's
//                                 proto_bin.c process_bin_complete_sasl_auth); the same
//                                 status answering any other opcode is a command sent before
//                                 authenticating ("Auth failure." too), no guess. The
//                                 connection stays open (hydra's libmemcached opens one a guess)
//                                 XMPP: a SASL <failure xmlns=...> (RFC 6120 §6.4.5, §6.5:
//                                 not-authorized, or another condition, which lies past the
//                                 32 bytes kept: any counts, login-rules.ts counts a repeated
//                                 credential once); the same 32 bytes start STARTTLS's
//                                 failure (§5.4.2.2), which is told by its length (50 bytes,
//                                 66 with the stream's close; a SASL one 70 or more). The stream stays
//                                 open for retries (prosody's mod_saslauth: no delay, no limit)
//                                 NNTP: 481 (RFC 4643 §2.3.2, §2.4: AUTHINFO USER/PASS or SASL
//                                 rejected); 482 (out of sequence) and 483 (TLS required) are
//                                 no guesses
//   refused, maybe no guess       HTTP 401 and 407 (RFC 9110 §15.5.2, §15.5.8): the same
//                                 answer challenges a client that sent no credentials yet, so
//                                 it is a rate's unit (login-rules.ts), never a failed login
//   successful login              MySQL an OK packet (0x00), VNC a SecurityResult of 0.
//                                 HTTP's 200 proves nothing (any public page answers it).
//                                 FTP 230, SMTP 235. POP3, IMAP and Telnet say "OK" to
//                                 many commands before a login, so their successes are not
//                                 read (a +OK to CAPABILITY would otherwise forgive a guesser).
//                                 PostgreSQL's AuthenticationOk after a password request, or
//                                 its SASLFinal (sent only when the client's SCRAM proof
//                                 verified). SMB's STATUS_SUCCESS is not read: Samba's "map
//                                 to guest = bad user" (Debian's smb.conf) answers an
//                                 unknown user's guess with a guest session, STATUS_SUCCESS
//                                 too, and the guest flag lies past the 32 bytes. Redis's
//                                 "+OK" answers QUIT and SET as well as AUTH: not read.
//                                 SQL Server's answer to a right login begins with ENVCHANGE
//                                 (the database, language, packet size) or LOGINACK.
//                                 LDAP's BindResponse with resultCode 0 (an anonymous bind
//                                 too: a guesser binding anonymously between guesses is
//                                 forgiven, as an FTP server's anonymous login forgives).
//                                 MQTT's CONNACK with code 0 (a broker that lets anonymous
//                                 clients in answers 0 too: nothing was guessed, nothing lost).
//                                 SOCKS5's status 01 00 (RFC 1929 §2). Memcached's
//                                 status 0 answering SASL_AUTH or SASL_STEP ("Authenticated").
//                                 XMPP's SASL <success> (§6.4.6), NNTP's 281.
//   not a guess                   SMB's STATUS_ACCOUNT_DISABLED, _ACCOUNT_EXPIRED,
//                                 _PASSWORD_EXPIRED, _PASSWORD_MUST_CHANGE, logon hours and
//                                 workstation restrictions: Windows checks the password
//                                 first, so they answer a right one (NetExec keeps them
//                                 apart from failed logins: its smb_error_status). STATUS_ACCESS_DENIED answers any
//                                 command. Redis's "-NOAUTH" answers a command sent before
//                                 AUTH; PostgreSQL's errors before any password request
//                                 ("too many clients", no pg_hba.conf entry, the server
//                                 starting up) and after AuthenticationOk (a database that
//                                 does not exist, a role's connection limit: checked once
//                                 the client is authenticated, src/backend/utils/init/postinit.c)
//
// SSH is encrypted after its key exchange; sshPlain reads the header of a plaintext binary
// packet (RFC 4253 §6: uint32 packet_length, byte padding_length, byte message code) so the
// login tracker can find the end of the key exchange (SSH_MSG_NEWKEYS, 21).

import { httpStatus, sipStatus } from './http-status.ts';
import { isKerberosTcpAnswer, kerberosReply } from './kerberos-reply.ts';

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
  SMB: 10,
  POSTGRES: 11,
  REDIS: 12,
  RDP: 13,
  /** SIP over TCP (its UDP answers are read by the source rules, login-rules.ts `sipAnswer`). */
  SIP: 14,
  MSSQL: 15,
  MQTT: 16,
  LDAP: 17,
  /** SOCKS5 with username/password authentication (RFC 1928, RFC 1929). */
  SOCKS5: 18,
  /** Asterisk's manager interface (AMI). */
  AMI: 19,
  /** Memcached's binary protocol (SASL authentication). */
  MEMCACHED: 20,
  /** XMPP's client-to-server streams (RFC 6120), SASL authentication. */
  XMPP: 21,
  /** NNTP (RFC 3977), AUTHINFO (RFC 4643). */
  NNTP: 22,
  /** Kerberos' KDC over TCP 88 (kerberos-reply.ts; its UDP answers are read by the source rules, login-rules.ts `kerberosAnswer`). */
  KERBEROS: 23,
} as const;

/** DENIED: an HTTP 401 or 407, a refusal that may come before any credentials were sent. */
export const Reply = { NONE: 0, FAILURE: 1, SUCCESS: 2, DENIED: 3 } as const;

/** Names for evidence, by Service. */
export const SERVICE_NAMES = ['unknown', 'ssh', 'ftp/smtp', 'pop3', 'imap', 'telnet', 'other', 'mysql', 'http', 'vnc', 'smb', 'postgresql', 'redis', 'rdp', 'sip', 'mssql', 'mqtt', 'ldap', 'socks5', 'ami', 'memcached', 'xmpp', 'nntp', 'kerberos'] as const;

const SP = 0x20, DASH = 0x2d, CR = 0x0d, LF = 0x0a, IAC = 0xff;

/** The service a server's first payload announces (Service.OTHER when none): `len` bytes of payload, the first `headBytes` of them at h[o]. */
export function greetingService(h: Uint8Array, o: number, len: number, headBytes: number): number {
  const avail = Math.min(len, headBytes);
  if (avail < 3) return len === 2 && avail === 2 && h[o] === SOCKS5_VERSION && h[o + 1] === SOCKS5_USERNAME_PASSWORD ? Service.SOCKS5 : Service.OTHER;
  const a = h[o], b = h[o + 1], c = h[o + 2], d = avail > 3 ? h[o + 3] : -1;
  if (a === 0x53 && b === 0x53 && c === 0x48 && d === DASH) return Service.SSH; // "SSH-"
  if (a === 0x32 && b === 0x32 && c === 0x30 && (d === SP || d === DASH)) return Service.CODES; // "220"
  if (a === 0x32 && b === 0x30 && (c === 0x30 || c === 0x31) && d === SP) return Service.NNTP; // "200 ", "201 "
  if (a === LT && (startsWith(h, o, avail, XML_DECLARATION, XML_DECLARATION.length) || startsWith(h, o, avail, XMPP_STREAM, XMPP_STREAM.length))) return Service.XMPP;
  if (a === 0x2b && b === 0x4f && c === 0x4b) return Service.POP3; // "+OK"
  if (a === 0x2a && b === SP && ((c === 0x4f && d === 0x4b) || (c === 0x50 && d === 0x52))) return Service.IMAP; // "* OK", "* PR"
  if (a === IAC && b >= 0xfb && b <= 0xfe) return Service.TELNET;
  if (isMysqlGreeting(h, o, len, avail)) return Service.MYSQL;
  if (httpStatus(h, o, avail) !== 0) return Service.HTTP;
  if (sipStatus(h, o, avail) !== 0) return Service.SIP;
  if (avail >= 8 && a === 0x52 && b === 0x46 && c === 0x42 && d === SP && h[o + 4] === 0x30 && h[o + 5] === 0x30 && h[o + 6] === 0x33 && h[o + 7] === 0x2e) return Service.VNC; // "RFB 003."
  if (smbVersion(h, o, len, avail) !== 0) return Service.SMB;
  if (rdpConfirm(h, o, len, avail) >= 0) return Service.RDP;
  if (pgAuthRequest(h, o, len, avail) >= 0) return Service.POSTGRES;
  if (tdsToken(h, o, avail) >= 0) return Service.MSSQL;
  if (mqttConnack(h, o, len, avail) >= 0) return Service.MQTT;
  if (ldapBindResult(h, o, avail) !== LDAP_NOT_BIND) return Service.LDAP;
  if (a === MEMCACHED_RESPONSE && memcachedResponse(h, o, len, avail) >= 0) return Service.MEMCACHED;
  if (a === 0x41 && startsWith(h, o, avail, AMI_GREETING, AMI_GREETING.length)) return Service.AMI;
  if (a === DASH && (startsWith(h, o, avail, '-WRONGPASS ', 11) || startsWith(h, o, avail, '-NOAUTH ', 8) || startsWith(h, o, avail, REDIS_OLD_WRONG, 16))) return Service.REDIS;
  if (a === 0 && isKerberosTcpAnswer(h, o, len, headBytes)) return Service.KERBEROS;
  return Service.OTHER;
}

/**
 * A payload that comes before the words naming the service, alone in its segment:
 * PostgreSQL's 'N' refusing an SSLRequest or a GSSENCRequest (the StartupMessage follows in
 * the clear), NetBIOS's positive session response (RFC 1002 §4.3.3, SMB on port 139).
 */
export function isPreamble(h: Uint8Array, o: number, len: number): boolean {
  if (len === 1) return h[o] === 0x4e; // 'N'
  return len === 4 && h[o] === 0x82 && h[o + 1] === 0 && h[o + 2] === 0 && h[o + 3] === 0;
}

/** RDP_NEG_RSP's selectedProtocol (MS-RDPBCGR 2.2.1.2.1): its low byte, the only one any value sets. */
export const RdpProtocol = { RDP: 0, SSL: 1, HYBRID: 2, RDSTLS: 4, HYBRID_EX: 8 } as const;
const TPKT_VERSION = 3, X224_CONNECTION_CONFIRM = 0xd0, RDP_NEG_RSP = 0x02;
/** TPKT (4) + X.224 Connection Confirm (7) + RDP_NEG_RSP (8): what every server since Windows Server 2003 SP1 answers. */
const RDP_CONFIRM_WITH_NEG = 19;

/**
 * An X.224 Connection Confirm in a TPKT filling the segment (the server's answer to an RDP
 * client's Connection Request): the security protocol its RDP_NEG_RSP selected (RdpProtocol),
 * RdpProtocol.RDP when it carries none (a server of before 2003 SP1), -1 when it is no such
 * message (an RDP_NEG_FAILURE is -1 too: no session follows).
 */
export function rdpConfirm(h: Uint8Array, o: number, len: number, avail: number): number {
  if (avail < 11 || h[o] !== TPKT_VERSION || h[o + 1] !== 0 || ((h[o + 2] << 8) | h[o + 3]) !== len) return -1;
  if (h[o + 4] !== len - 5 || h[o + 5] !== X224_CONNECTION_CONFIRM) return -1; // LI: the X.224 header's length after itself
  if (len === 11) return RdpProtocol.RDP;
  if (len !== RDP_CONFIRM_WITH_NEG || avail < 16 || h[o + 11] !== RDP_NEG_RSP) return -1;
  return h[o + 15];
}

/** MS-TDS 2.2.3.1.1: packet type 4, a tabular result (every answer of the server); its 8-byte header. */
const TDS_TABULAR_RESULT = 4, TDS_HEADER = 8;
/** MS-TDS 2.2.7: the tokens a server's answer to a PRELOGIN (option VERSION, 0) or a login may begin with. */
const TDS_PRELOGIN_VERSION = 0x00, TDS_ERROR = 0xaa, TDS_INFO = 0xab, TDS_LOGINACK = 0xad, TDS_ENVCHANGE = 0xe3;
/** SQL Server's error numbers for a refused login: 18456 "Login failed for user", 18486 the account locked out. */
const MSSQL_LOGIN_FAILED = 18456, MSSQL_LOCKED_OUT = 18486;

/**
 * The first token of a TDS tabular-result packet the segment starts with (MS-TDS 2.2.3.1:
 * type 4, a status of 0 or 1 (end of message), a big-endian length of at least the header,
 * SPID, packet id, window 0), when it is one a server's answer to a PRELOGIN or a login
 * begins with; -1 otherwise.
 */
export function tdsToken(h: Uint8Array, o: number, avail: number): number {
  if (avail < TDS_HEADER + 1 || h[o] !== TDS_TABULAR_RESULT || h[o + 1] > 1 || h[o + 7] !== 0) return -1;
  if (((h[o + 2] << 8) | h[o + 3]) <= TDS_HEADER) return -1;
  const t = h[o + TDS_HEADER];
  return t === TDS_PRELOGIN_VERSION || t === TDS_ERROR || t === TDS_INFO || t === TDS_LOGINACK || t === TDS_ENVCHANGE ? t : -1;
}

/** A SQL Server answer: a refused login (an ERROR token of number 18456 or 18486 first), a login accepted (ENVCHANGE or LOGINACK first). */
function mssqlReply(h: Uint8Array, o: number, avail: number): number {
  const t = tdsToken(h, o, avail);
  if (t === TDS_ENVCHANGE || t === TDS_LOGINACK) return Reply.SUCCESS;
  if (t !== TDS_ERROR || avail < TDS_HEADER + 7) return Reply.NONE;
  // ERROR: token, a 2-byte length, then the error number, a little-endian LONG (MS-TDS 2.2.7.10)
  const at = o + TDS_HEADER + 3;
  const n = h[at] | (h[at + 1] << 8) | (h[at + 2] << 16) | (h[at + 3] << 24);
  return n === MSSQL_LOGIN_FAILED || n === MSSQL_LOCKED_OUT ? Reply.FAILURE : Reply.NONE;
}

/** SMB2's header size (MS-SMB2 2.2.1: StructureSize 64) and SMB1's (MS-CIFS 2.2.3.1: 32 bytes). */
const SMB2_HEADER = 64, SMB1_HEADER = 32;

/**
 * The SMB header a segment starts with, behind the 4-byte session header (RFC 1002's
 * session message, type 0, or Direct TCP's, MS-SMB2 2.1: a zero byte and a 24-bit length):
 * 2 for SMB2/3 (0xFE "SMB", StructureSize 64), 1 for SMB1 (0xFF "SMB"), 0 when none.
 */
export function smbVersion(h: Uint8Array, o: number, len: number, avail: number): number {
  if (avail < 10 || h[o] !== 0 || h[o + 5] !== 0x53 || h[o + 6] !== 0x4d || h[o + 7] !== 0x42) return 0; // "SMB"
  const mlen = (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  const p = h[o + 4];
  if (p === 0xfe) return mlen >= SMB2_HEADER && len >= 4 + SMB2_HEADER && h[o + 8] === SMB2_HEADER && h[o + 9] === 0 ? 2 : 0;
  if (p === 0xff) return mlen >= SMB1_HEADER && len >= 4 + SMB1_HEADER ? 1 : 0;
  return 0;
}

/** NT status codes (MS-ERREF 2.3.1) that answer a guess. */
export const NtStatus = {
  SUCCESS: 0x00000000,
  MORE_PROCESSING_REQUIRED: 0xc0000016,
  NO_SUCH_USER: 0xc0000064,
  WRONG_PASSWORD: 0xc000006a,
  LOGON_FAILURE: 0xc000006d,
  ACCOUNT_LOCKED_OUT: 0xc0000234,
  /** Answers to a right password on an account that may not log in now (not counted). */
  PASSWORD_EXPIRED: 0xc0000071,
  ACCOUNT_DISABLED: 0xc0000072,
  ACCOUNT_EXPIRED: 0xc0000193,
  PASSWORD_MUST_CHANGE: 0xc0000224,
  ACCESS_DENIED: 0xc0000022,
} as const;

const SMB1_SESSION_SETUP_ANDX = 0x73;
/** SMB1's FLAGS2_NT_STATUS (MS-CIFS 2.2.3.1): the status is an NT status, not a DOS error class and code. */
const SMB1_FLAGS2_NT_STATUS = 0x4000;
/** SMB1's DOS error for a bad password (MS-CIFS 2.2.2.4: class ERRSRV 0x02, code ERRbadpw 0x0002). */
const DOS_ERRSRV = 0x02, DOS_ERRBADPW = 0x0002;

/** Whether an SMB reply (its header at h[o], behind the session header) reports a failed login: Reply.FAILURE or Reply.NONE. */
export function smbReply(h: Uint8Array, o: number, len: number, headBytes: number): number {
  const avail = Math.min(len, headBytes);
  const v = smbVersion(h, o, len, avail);
  if (v === 2) {
    if (avail < 16) return Reply.NONE;
    const status = (h[o + 12] | (h[o + 13] << 8) | (h[o + 14] << 16) | (h[o + 15] << 24)) >>> 0;
    return isGuessStatus(status) ? Reply.FAILURE : Reply.NONE;
  }
  if (v !== 1 || avail < 16 || h[o + 8] !== SMB1_SESSION_SETUP_ANDX) return Reply.NONE;
  if ((h[o + 14] | (h[o + 15] << 8)) & SMB1_FLAGS2_NT_STATUS) {
    const status = (h[o + 9] | (h[o + 10] << 8) | (h[o + 11] << 16) | (h[o + 12] << 24)) >>> 0;
    return isGuessStatus(status) ? Reply.FAILURE : Reply.NONE;
  }
  return h[o + 9] === DOS_ERRSRV && h[o + 10] === 0 && (h[o + 11] | (h[o + 12] << 8)) === DOS_ERRBADPW ? Reply.FAILURE : Reply.NONE;
}

function isGuessStatus(s: number): boolean {
  return s === NtStatus.LOGON_FAILURE || s === NtStatus.WRONG_PASSWORD || s === NtStatus.NO_SUCH_USER || s === NtStatus.ACCOUNT_LOCKED_OUT;
}

/** PostgreSQL's Authentication request types (protocol 3.0, "Message Formats": AuthenticationOk ... AuthenticationSASLFinal). */
export const PgAuth = { OK: 0, KERBEROS_V5: 2, CLEARTEXT: 3, MD5: 5, GSS: 7, GSS_CONTINUE: 8, SSPI: 9, SASL: 10, SASL_CONTINUE: 11, SASL_FINAL: 12 } as const;
/** A bound on an Authentication message's length: SASL's mechanism list and SCRAM's server messages are some tens of bytes, GSS tokens a few kB. */
const PG_AUTH_MAX = 65536;

/**
 * The Authentication request ('R', int32 length, int32 type) a segment starts with: its type,
 * or -1. The fixed ones are of their exact length (Ok, Kerberos, cleartext, GSS, SSPI: 8; MD5:
 * 12, its salt); the rest carry data (SASL's mechanisms, SCRAM's messages, GSS tokens).
 */
export function pgAuthRequest(h: Uint8Array, o: number, len: number, avail: number): number {
  if (avail < 9 || h[o] !== 0x52 || h[o + 1] !== 0 || h[o + 5] !== 0 || h[o + 6] !== 0 || h[o + 7] !== 0) return -1;
  const mlen = ((h[o + 1] << 24) | (h[o + 2] << 16) | (h[o + 3] << 8) | h[o + 4]) >>> 0;
  const type = h[o + 8];
  if (mlen + 1 > len || mlen > PG_AUTH_MAX) return -1;
  switch (type) {
    case PgAuth.OK: case PgAuth.KERBEROS_V5: case PgAuth.CLEARTEXT: case PgAuth.GSS: case PgAuth.SSPI:
      return mlen === 8 ? type : -1;
    case PgAuth.MD5:
      return mlen === 12 ? type : -1;
    case PgAuth.SASL: case PgAuth.SASL_CONTINUE: case PgAuth.SASL_FINAL: case PgAuth.GSS_CONTINUE:
      return mlen > 8 ? type : -1;
    default:
      return -1;
  }
}

/** An ErrorResponse ('E', int32 length, then its fields: the first is 'S', the severity) starting the segment. */
export function isPgError(h: Uint8Array, o: number, len: number, avail: number): boolean {
  if (avail < 6 || h[o] !== 0x45 || h[o + 1] !== 0) return false;
  const mlen = ((h[o + 1] << 24) | (h[o + 2] << 16) | (h[o + 3] << 8) | h[o + 4]) >>> 0;
  return mlen >= 6 && mlen + 1 <= len && h[o + 5] === 0x53;
}

/** Redis before 6.0 answers a wrong AUTH "-ERR invalid password" (its first 16 bytes). */
const REDIS_OLD_WRONG = '-ERR invalid pas';

/** Whether a Redis reply reports a wrong AUTH: "-WRONGPASS" (6.0+), "-ERR invalid password" (before). */
export function redisReply(h: Uint8Array, o: number, len: number, headBytes: number): number {
  const avail = Math.min(len, headBytes);
  if (avail < 11 || h[o] !== DASH) return Reply.NONE;
  return startsWith(h, o, avail, '-WRONGPASS ', 11) || startsWith(h, o, avail, REDIS_OLD_WRONG, 16) ? Reply.FAILURE : Reply.NONE;
}

// RESP framing (the Redis serialization protocol, RESP2 and RESP3: redis.io/docs/latest/
// develop/reference/protocol-spec): every value starts with its type byte. A line type ends
// at its CR LF: simple strings, errors, integers, RESP3's null, double, boolean and big
// number, and the aggregates' headers (array, map, set, push, attribute), whose elements
// follow as values of their own. A length type is "$len\r\n", len bytes, "\r\n": bulk
// strings, RESP3's blob errors and verbatim strings; "$-1\r\n" is RESP2's null.
const RESP_LINE = new Uint8Array(256);
for (const c of '+-:_,#(*%~>|') RESP_LINE[c.charCodeAt(0)] = 1;
const RESP_LENGTH = new Uint8Array(256);
for (const c of '$!=') RESP_LENGTH[c.charCodeAt(0)] = 1;
/** Above Redis's largest bulk string (proto-max-bulk-len, 512 MB by default): held in an Int32Array. */
const RESP_MAX_LENGTH = 0x7fff0000;

/**
 * Where a Redis server's next value starts, counted from the end of this segment: `at` is
 * where the segment's first whole value starts (0 at a reply boundary; more when a length
 * value begun in earlier segments goes on into this one), `len` the segment's payload, the
 * first `avail` of its bytes kept at h[o]. 0: the segment ends where a value ends; n > 0: n
 * more bytes of a length value come in later segments; -1: it cannot tell (a value ends past
 * the kept bytes but inside the segment, a header cut, a byte that starts no value, a line
 * going on into the next segment). A line that starts the segment and goes past the kept bytes
 * is taken to end with it: a server writes each reply whole ("-WRONGPASS invalid
 * username-password pair or user is disabled." is 66 bytes); a value pipelined behind such a
 * line in the same segment is not seen. Pure, no allocation.
 */
export function respFrame(h: Uint8Array, o: number, len: number, avail: number, at: number): number {
  while (at < len) {
    if (at >= avail) return -1;
    const t = h[o + at]!;
    let e = at + 1;
    while (e + 1 < avail && !(h[o + e] === CR && h[o + e + 1] === LF)) e++;
    const ended = e + 1 < avail;
    if (RESP_LINE[t]) {
      if (!ended) return at === 0 && len > avail ? 0 : -1;
      at = e + 2;
    } else if (RESP_LENGTH[t] && ended) {
      if (t === 0x24 && e === at + 3 && h[o + at + 1] === DASH && h[o + at + 2] === 0x31) {
        at = e + 2; // $-1: null
        continue;
      }
      let n = 0;
      for (let k = at + 1; k < e; k++) {
        const d = h[o + k]! - 0x30;
        if (d < 0 || d > 9) return -1;
        n = n * 10 + d;
      }
      if (e === at + 1 || n > RESP_MAX_LENGTH) return -1;
      at = e + 2 + n + 2;
    } else return -1;
  }
  return at - len;
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

/** POP3's negative status indicator, "-ERR" (RFC 1939 §3), in any case. */
export function isPop3Err(h: Uint8Array, o: number, avail: number): boolean {
  return avail >= 4 && h[o] === DASH && (h[o + 1] | 0x20) === 0x65 && (h[o + 2] | 0x20) === 0x72 && (h[o + 3] | 0x20) === 0x72;
}

/** Whether a reply of `service` (not SSH, not VNC, not PostgreSQL: login-sessions.ts reads its result after its challenge) reports a failed or a successful login. */
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
      return isPop3Err(h, o, avail) ? Reply.FAILURE : Reply.NONE;
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
    case Service.SMB:
      return smbReply(h, o, len, headBytes);
    case Service.REDIS:
      return redisReply(h, o, len, headBytes);
    case Service.HTTP: {
      const code = httpStatus(h, o, avail);
      return code === 401 || code === 407 ? Reply.DENIED : Reply.NONE;
    }
    case Service.SIP:
      return sipReply(h, o, avail);
    case Service.MSSQL:
      return mssqlReply(h, o, avail);
    case Service.LDAP: {
      const code = ldapBindResult(h, o, avail);
      return code === LDAP_SUCCESS ? Reply.SUCCESS : code === LDAP_INVALID_CREDENTIALS ? Reply.FAILURE : Reply.NONE;
    }
    case Service.SOCKS5:
      return socks5AuthStatus(h, o, len, avail);
    case Service.MEMCACHED:
      return memcachedAuthReply(h, o, len, avail);
    case Service.XMPP:
      return xmppSaslReply(h, o, len, avail);
    case Service.KERBEROS:
      return kerberosReply(h, o, len, headBytes, true);
    case Service.NNTP: {
      const code = replyCode(h, o, avail);
      return code === NNTP_REJECTED ? Reply.FAILURE : code === NNTP_ACCEPTED ? Reply.SUCCESS : Reply.NONE;
    }
    case Service.MQTT: {
      const code = mqttConnack(h, o, len, avail);
      if (code === 0) return Reply.SUCCESS;
      return code === MQTT_BAD_CREDENTIALS || code === MQTT_NOT_AUTHORIZED || code === MQTT5_BAD_CREDENTIALS || code === MQTT5_NOT_AUTHORIZED ? Reply.FAILURE : Reply.NONE;
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

/** RFC 4511: an LDAPMessage (SEQUENCE), its messageID (INTEGER), a BindResponse ([APPLICATION 1], constructed), its resultCode (ENUMERATED). */
const BER_SEQUENCE = 0x30, BER_INTEGER = 0x02, LDAP_BIND_RESPONSE = 0x61, BER_ENUMERATED = 0x0a;
const LDAP_SUCCESS = 0, LDAP_INVALID_CREDENTIALS = 49;
/** ldapBindResult: no BindResponse starts here. */
export const LDAP_NOT_BIND = -2;
/** ldapBindResult: a BindResponse whose resultCode lies past the bytes kept (Active Directory's 4-byte lengths where a snap length kept fewer than 18 bytes). */
export const LDAP_CODE_UNSEEN = -1;

/** Where the BER element whose length octets start at h[o + k] ends its length (the content's offset from o), or -1 past `avail` or malformed. */
function berContent(h: Uint8Array, o: number, k: number, avail: number): number {
  if (k >= avail) return -1;
  const l = h[o + k];
  if (l < 0x80) return k + 1;
  const n = l & 0x7f;
  return n >= 1 && n <= 4 ? k + 1 + n : -1;
}

/**
 * The resultCode of the LDAP BindResponse the segment starts with: 0..127 (one-byte codes;
 * RFC 4511's go to 123), LDAP_CODE_UNSEEN when the message is one but its code lies past the
 * `avail` bytes kept, LDAP_NOT_BIND when it is none. A messageID of 1 to 4 bytes; lengths in
 * short or long form (the long form's value is not checked: only where the code lies).
 */
export function ldapBindResult(h: Uint8Array, o: number, avail: number): number {
  if (avail < 7 || h[o] !== BER_SEQUENCE) return LDAP_NOT_BIND;
  let k = berContent(h, o, 1, avail);
  if (k < 0 || k + 2 > avail || h[o + k] !== BER_INTEGER) return LDAP_NOT_BIND;
  const idLen = h[o + k + 1];
  if (idLen < 1 || idLen > 4) return LDAP_NOT_BIND;
  k += 2 + idLen;
  if (k >= avail) return LDAP_NOT_BIND;
  if (h[o + k] !== LDAP_BIND_RESPONSE) return LDAP_NOT_BIND;
  k = berContent(h, o, k + 1, avail);
  if (k < 0 || k + 3 > avail) return LDAP_CODE_UNSEEN;
  if (h[o + k] !== BER_ENUMERATED || h[o + k + 1] !== 1) return LDAP_NOT_BIND;
  return h[o + k + 2] & 0x7f;
}

/** MQTT's CONNACK (packet type 2, no flags) and the codes refusing credentials: 3.1.1's return codes (§3.2.2.3), 5.0's reason codes (§3.2.2.2). */
const MQTT_CONNACK = 0x20, MQTT_BAD_CREDENTIALS = 4, MQTT_NOT_AUTHORIZED = 5, MQTT5_BAD_CREDENTIALS = 0x86, MQTT5_NOT_AUTHORIZED = 0x87;

/**
 * The return or reason code of the MQTT CONNACK that fills this segment; -1 when it is none.
 * 3.1 and 3.1.1: 0x20, remaining length 2, acknowledge flags 0 or 1 (session present), a
 * return code of 0 to 5. 5.0: 0x20, a remaining length of 3 to 127 (one byte of the variable
 * length), the flags, a reason code of 0 or 0x80 and up, then a property length (one byte)
 * that accounts for the rest. Alone in its segment: a broker sends nothing before it
 * answers, and a refused client gets nothing after it.
 */
export function mqttConnack(h: Uint8Array, o: number, len: number, avail: number): number {
  if (avail < 4 || h[o] !== MQTT_CONNACK) return -1;
  const rl = h[o + 1];
  if (rl < 2 || rl > 127 || len !== rl + 2 || h[o + 2] > 1) return -1;
  const code = h[o + 3];
  if (rl === 2) return code <= 5 ? code : -1;
  if (code !== 0 && code < 0x80) return -1;
  return avail >= 5 && h[o + 4] === rl - 3 ? code : -1;
}

/** RFC 1928 §3: the protocol version and the METHOD of username/password (RFC 1929). */
const SOCKS5_VERSION = 5, SOCKS5_USERNAME_PASSWORD = 2;
/** RFC 1929 §2: the version of the username/password subnegotiation, which its status reply repeats. */
const SOCKS5_UNAME_VERSION = 1;

/**
 * The status reply of SOCKS5's username/password subnegotiation (RFC 1929 §2: VER 1, STATUS),
 * alone in its segment (the server sends nothing else before the client's request): 0 is a
 * success, any other status a failure, after which the server closes the connection.
 */
export function socks5AuthStatus(h: Uint8Array, o: number, len: number, avail: number): number {
  if (len !== 2 || avail < 2 || h[o] !== SOCKS5_UNAME_VERSION) return Reply.NONE;
  return h[o + 1] === 0 ? Reply.SUCCESS : Reply.FAILURE;
}

/** Memcached's binary protocol (protocol_binary.h): the response magic, the header's size, data type raw bytes (the only one defined). */
const MEMCACHED_RESPONSE = 0x81, MEMCACHED_HEADER = 24, MEMCACHED_RAW = 0;
/** The SASL opcodes that carry a credential (SASL_AUTH, SASL_STEP; 0x20 SASL_LIST_MECHS names the mechanisms), and the status of a refused one (PROTOCOL_BINARY_RESPONSE_AUTH_ERROR). */
const MEMCACHED_SASL_AUTH = 0x21, MEMCACHED_SASL_STEP = 0x22, MEMCACHED_AUTH_ERROR = 0x20;

/**
 * The opcode of the memcached binary response that fills this segment (magic 0x81, data type
 * 0, a body length that is the rest of the segment and holds its key and extras), -1 when it
 * is none. memcached writes each SASL answer as one response (proto_bin.c write_bin_response,
 * write_bin_error); the 16 bytes kept hold the status (bytes 6-7) and the body length (8-11).
 */
export function memcachedResponse(h: Uint8Array, o: number, len: number, avail: number): number {
  if (avail < 12 || h[o] !== MEMCACHED_RESPONSE || h[o + 5] !== MEMCACHED_RAW) return -1;
  const body = ((h[o + 8] << 24) | (h[o + 9] << 16) | (h[o + 10] << 8) | h[o + 11]) >>> 0;
  if (MEMCACHED_HEADER + body !== len || ((h[o + 2] << 8) | h[o + 3]) + h[o + 4] > body) return -1;
  return h[o + 1];
}

/** A memcached answer to SASL_AUTH or SASL_STEP: status 0 a login, AUTH_ERROR a refused one; any other answer none. */
export function memcachedAuthReply(h: Uint8Array, o: number, len: number, avail: number): number {
  const op = memcachedResponse(h, o, len, avail);
  if (op !== MEMCACHED_SASL_AUTH && op !== MEMCACHED_SASL_STEP) return Reply.NONE;
  const status = (h[o + 6] << 8) | h[o + 7];
  return status === 0 ? Reply.SUCCESS : status === MEMCACHED_AUTH_ERROR ? Reply.FAILURE : Reply.NONE;
}

/** AMI's greeting (main/manager.c: "Asterisk Call Manager/%s\r\n"), the 16 bytes a capture keeps of it. */
const AMI_GREETING = 'Asterisk Call Ma';
/** AMI's error answer (astman_send_error: "Response: Error\r\n", then the message), the 16 bytes kept. */
const AMI_ERROR = 'Response: Error\r';

/** Whether an AMI segment starts with an error answer (the server's close after it tells a refused login). */
export function isAmiError(h: Uint8Array, o: number, avail: number): boolean {
  return startsWith(h, o, avail, AMI_ERROR, AMI_ERROR.length);
}

const LT = 0x3c;
/** XMPP's server stream header (RFC 6120 §4.2, §11.5: an XML declaration, then <stream:stream>; the "stream" prefix is every server's). */
const XML_DECLARATION = '<?xml ', XMPP_STREAM = '<stream:stream';
/** A SASL outcome (RFC 6120 §6.4.5, §6.4.6); STARTTLS's failure (§5.4.2.2) starts as a SASL failure does. */
const XMPP_FAILURE = '<failure xmlns=', XMPP_SUCCESS = '<success';
/**
 * The shortest SASL failure, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>"
 * (§6.5: a condition is required, "aborted" the shortest); STARTTLS's failure is 50 bytes,
 * 66 with the "</stream:stream>" that closes the stream after it (§5.4.2.2) in the same segment.
 */
const XMPP_SASL_FAILURE_MIN = 70;
/** RFC 4643 §2.3.2, §2.4: authentication accepted (281) and rejected (481). */
const NNTP_ACCEPTED = 281, NNTP_REJECTED = 481;

/**
 * An XMPP server's SASL outcome at the segment's start: <failure xmlns=...> of
 * XMPP_SASL_FAILURE_MIN bytes or more (STARTTLS's is shorter) is a refused authentication (any
 * condition: it lies past the bytes kept), <success> (followed by a space, '/' or '>') a login.
 */
export function xmppSaslReply(h: Uint8Array, o: number, len: number, avail: number): number {
  if (avail < 9 || h[o] !== LT) return Reply.NONE;
  if (startsWith(h, o, avail, XMPP_FAILURE, XMPP_FAILURE.length)) return len >= XMPP_SASL_FAILURE_MIN ? Reply.FAILURE : Reply.NONE;
  if (!startsWith(h, o, avail, XMPP_SUCCESS, XMPP_SUCCESS.length)) return Reply.NONE;
  const e = h[o + XMPP_SUCCESS.length];
  return e === SP || e === 0x2f || e === 0x3e ? Reply.SUCCESS : Reply.NONE;
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

/** The start of the identification string (RFC 4253 §4.2) Dropbear sends, "SSH-2.0-dropbear_2022.83". */
const DROPBEAR_ID = 'SSH-2.0-dropbear';

/**
 * Whether an SSH server's first words name Dropbear (its softwareversion starts "dropbear"),
 * whose failed logins are paced and padded its own way (login-sessions.ts). The 16 bytes compared are
 * all a capture kept before session 16 (rows keep 32 now).
 */
export function isDropbearGreeting(h: Uint8Array, o: number, avail: number): boolean {
  return startsWith(h, o, avail, DROPBEAR_ID, DROPBEAR_ID.length);
}

/**
 * A SIP answer (RFC 3261 §21), over UDP or TCP: 403 Forbidden is a failed registration or
 * call (Asterisk's "Wrong password", an ACL's refusal: what fail2ban's asterisk filter
 * counts); 401 challenges every REGISTER before its credentials, as HTTP's does, and 404
 * answers an unknown user (svwar's enumeration) or a misdialled number, so those two are a
 * rate's unit (DENIED), never a failed login. 407 is a proxy's challenge to every call a
 * trunk places (RFC 3261 §22.3), as many a second as the trunk carries: not counted. A 200
 * answers OPTIONS as well as a REGISTER, so it forgives nothing.
 */
export function sipReply(h: Uint8Array, o: number, avail: number): number {
  const code = sipStatus(h, o, avail);
  if (code === 403) return Reply.FAILURE;
  return code === 401 || code === 404 ? Reply.DENIED : Reply.NONE;
}
