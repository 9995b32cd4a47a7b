// The server's side of login sessions, one per TCP connection, read from what the server
// sends: its greeting names the service (service-replies.ts), and its replies say how each
// login attempt went. State lives in typed arrays indexed by a slot the caller owns (the
// socket table's slot), so nothing is allocated per packet.
//
// SSH is encrypted after the key exchange, so its outcome is inferred from the sizes of the
// server's segments, as Zeek's SSH analyzer does (src/analyzer/protocol/ssh/SSH.cc,
// ProcessEncrypted; the events ssh_auth_attempted / ssh_auth_successful that
// base/protocols/ssh/main.zeek turns into auth_attempts and auth_success):
//   - the server's first encrypted message is SSH_MSG_SERVICE_ACCEPT: its size S;
//   - the next is the answer to the client's first request (a "none" request that asks
//     which methods are allowed): SSH_MSG_USERAUTH_FAILURE, size F — or, if that already
//     logs in, SSH_MSG_USERAUTH_SUCCESS, size S − 16 (one byte of content instead of 17,
//     padded to the same block);
//   - after that every segment of size F is one more failed attempt, and one of size S − 16
//     is the success;
//   - a reply more than 256 bytes larger than S before the first failure is a pre-login
//     banner (SSH_MSG_USERAUTH_BANNER) and is skipped once.
// Zeek starts counting once the client has sent encrypted data; the server side alone is
// seen here, so the end of the key exchange is read from the server's own plaintext
// packets (SSH_MSG_NEWKEYS, alone or right after the KEX reply in the same segment), and a
// first encrypted segment too large to be a SERVICE_ACCEPT (over 128 bytes) is the
// SSH_MSG_EXT_INFO a server sends right after its NEWKEYS (RFC 8308 §2.4) and is skipped.
//
// A failure is counted only when the server took its time to answer: PAM's pam_unix waits
// 2 s (its default fail delay) before it reports a wrong password, while a refused public
// key is answered at once. fail2ban does not count refused keys either (its sshd filter
// marks "Failed publickey" <F-NOFAIL>), and an admin whose agent offers three keys before
// the password must not look like three guesses. So a failure-sized answer within
// `throttleS` of the server's previous segment is a refused key and is not counted; an
// answer to the very first request that comes that late is a failed password sent without
// asking for the methods first (as Paramiko does), and is.
//
// Dropbear (its identification string names it, service-replies.ts isDropbearGreeting) is
// read with two rules of its own, from its source and measured on Dropbear 2022.83
// (test/fixtures/captures/record_ssh_clients.sh):
//   - it delays a failed password by 250-350 ms from the request's arrival (svr-auth.c
//     send_msg_userauth_failure: mindelay 250 ms plus up to 100 ms at random), and answers
//     "none" and a refused key at once (failure(0, 0): no delay), so its failures come well
//     under `throttleS`. Against Dropbear a failure-sized answer is a failure when it came at
//     least DROPBEAR_DELAY_S later than the server's answer to the client's SERVICE_REQUEST
//     came after the key exchange (that wait is the client's round trip, measured in the same
//     session: a link's latency is no failure; a person answering the host-key prompt makes
//     it long, and that session's failures then count from `throttleS` as on OpenSSH);
//   - it pads every packet to RFC 4253 §6's minimum of 16 bytes counted after the length
//     field (packet.c encrypt_packet, MIN_PACKET_LEN), so under chacha20-poly1305 (8-byte
//     blocks, the length encrypted apart: OpenSSH's default cipher) its USERAUTH_SUCCESS is
//     16 + 4 + a 16-byte tag = 36 bytes, 8 under its 44-byte SERVICE_ACCEPT, not 16.
//
// A session the server closes with no success and no failure counted, after failure-sized
// answers that came at once (refused keys, or a server without a fail delay), counts as one
// failed attempt; one that got past the key exchange and ends with no outcome at all (it
// only asked for the methods, or the sizes fit no pattern) is "undecided" (the caller's
// fallback counts those).
//
// HTTP's 401 and 407 are DENIED events, not failures: a client that has not sent credentials
// yet gets the same answer (login-rules.ts counts them by rate). HTTP is read from the
// server's first payload on, every segment that starts with a status line (keep-alive
// connections answer many requests); a success is never read. VNC's SecurityResult is read
// only right after the 16-byte challenge of VNC Authentication, as the protocol orders it.
// RDP with Network Level Authentication (the X.224 Connection Confirm selecting CredSSP,
// HYBRID or HYBRID_EX) checks the password inside TLS before any graphics are sent, so no
// reply code is visible; what is, is the session's size: a guess that fails ends after the
// TLS handshake and CredSSP's few messages, a login goes on to the desktop's bitmaps. That
// is how NetFlow-based RDP brute-force detection tells them (Vykopal et al., "Flow-based
// detection of RDP brute-force attacks", SPI 2013) and Corelight's RDP inferences (2021)
// infer an authentication's outcome. A session whose server sent fewer than
// RDP_SESSION_BYTES after its Connection Confirm is UNDECIDED, like SSH's: into the
// caller's bucket a person reconnecting a few times never fills (certificate prompts, a
// typo, a Connection Broker's redirection each make one). Security RDP or TLS without NLA
// log in on the graphical logon screen, whose failures look like any session: not read.
//
// PostgreSQL's ErrorResponse is a failed login only after the server asked for a password
// (an Authentication request of cleartext, MD5 or SASL), before AuthenticationOk: one
// attempt a connection (the backend exits after the FATAL error). SMB and Redis are read on
// every reply (a connection may carry many attempts: Metasploit's smb_login, a guesser's
// keep-alive connection to Redis). Redis's replies are read only where one starts: the
// server's values are framed (service-replies.ts respFrame: lines to their CR LF, bulk strings
// by their length) from its first reply on, so a value whose bytes start "-WRONGPASS" at a
// segment's start (a GET of it) is no answer; a session whose framing is lost (a value past
// the kept bytes, a gap in the sequence numbers) reads nothing more. A payload that only comes before the service's first
// words (PostgreSQL's 'N' to an SSLRequest, NetBIOS's session response) leaves the session
// waiting for them, twice at most.
//
// SOCKS5 (its METHOD selection choosing username/password, 05 02) is read for one segment
// after it: RFC 1929's status, one attempt a connection (the server closes after a failure).
// What the client sent in between is its credentials (VER, ULEN, UNAME, PLEN, PASSWD), in the
// client's shard; their length is read here from the server's side, as the difference of the
// acknowledgment numbers of the two answers (RFC 9293 §3.4: each acknowledges every byte the
// client sent before it). login-rules.ts tells by it a client repeating one credential from
// one trying new ones.
//
// Asterisk's AMI answers every failed action "Response: Error"; only a refused Login is
// followed by the server's close (manager.c action_login: 1 s late, then the session ends).
// So an error is a failed login when the server's FIN comes next and acknowledges no byte
// more than the error did: the client had sent nothing since, not its own FIN (a script that
// sent an action without logging in and quit is closed by the client first). Its length is
// the client's bytes between the server's previous answer and the error (the Login action).
//
// Memcached's SASL answers (service-replies.ts memcachedAuthReply) are read on every whole
// response, several attempts a connection where the client keeps it; a refused one's length
// is, as SOCKS5's, the client's bytes between the server's previous answer and it: the
// SASL_AUTH request (24-byte header, the mechanism's name, PLAIN's NUL user NUL password),
// unknown (0) for the connection's first answer (its client's bytes before it are not seen here).
//
// XMPP's SASL outcomes (service-replies.ts xmppSaslReply) and NNTP's AUTHINFO answers (281,
// 481) are read on every segment, several attempts a stream where the client retries (RFC 6120
// §6.4.5: the server SHOULD allow retries; hydra's xmpp and nntp modules and nmap's
// xmpp-brute send all of a task's guesses on one stream). A refused one's length is, as
// memcached's, the client's bytes between the server's previous answer and the refusal: its
// <auth/> or <response/> (base64 of the SASL message: PLAIN's length moves in steps of 4 for
// 3 bytes of user and password) or its AUTHINFO PASS line (the password's own length). Each
// connection remembers the last two lengths refused on it (sizeF, sizeS, unused outside
// SSH): a refusal of one of them again on the same stream is a retry of the same shape, no
// mechanism fallback (a library trying SCRAM-SHA-1, then PLAIN, sends lengths of its own
// each time) and no stale password (sent once a connection): refusedAgainOf tells it.

import { checkCapacity } from '../../util/lru.ts';
import { tlsHandshakeRecord } from './tls-record.ts';
import { PAYLOAD_HEAD_BYTES, type PacketBatch } from '../../net/packet-batch.ts';
import { httpStatus } from './http-status.ts';
import { PgAuth, RdpProtocol, Reply, SERVICE_NAMES, Service, SshMsg, VNC_AUTHENTICATION, VNC_CHALLENGE_BYTES, codesDialect, greetingService, isAmiError, isDropbearGreeting, isPgError, isPreamble, loginReply, pgAuthRequest, rdpConfirm, replyCode, respFrame, sshPlain, vncSecurityResult } from './service-replies.ts';

/** What a server segment or a close told about its session. */
/**
 * DENIED: an HTTP 401/407, which may be a challenge before any credentials (counted by rate,
 * never as a failure). AUTHENTICATED: an HTTP 2xx/3xx right after such challenges on the same
 * connection: they were the steps of an authentication that went through (`legsOf` says how
 * many to take back), not refusals.
 */
export const LoginEvent = { NONE: 0, FAILURE: 1, SUCCESS: 2, UNDECIDED: 3, DENIED: 4, AUTHENTICATED: 5 } as const;

/**
 * The most 401s an authentication that succeeds draws on one connection before its answer:
 * NTLM over HTTP (RFC 4559 §4; MS-NTHT, IIS's Windows authentication, WinRM on 5985) is an
 * anonymous request answered 401 with the schemes offered, the NEGOTIATE message answered 401
 * with the CHALLENGE, then the AUTHENTICATE message answered; Negotiate with Kerberos, Basic
 * (RFC 7617) and Digest (RFC 7616) take one challenge. The authentication belongs to the
 * connection (NTLM's is connection-bound), so each new connection of a browser (6 to a host)
 * or of an automation client draws them again.
 */
export const HTTP_AUTH_LEGS = 2;

// phases
const GREETING = 1; // SYN-ACK seen, waiting for the server's first words
const SSH_PLAIN = 2; // SSH banner seen, key exchange in the clear
const SSH_ENC = 3; // after the server's NEWKEYS, waiting for SERVICE_ACCEPT
const SSH_ACCEPTED = 4; // S known, waiting for the first USERAUTH answer
const SSH_AUTH = 5; // F known: counting
const LINES = 6; // a line protocol, reading reply codes
const DONE = 7; // logged in, or not a login service: nothing more to read
const RDP_NLA = 8; // RDP with NLA: counting the server's bytes until they show a desktop

/** Largest SSH_MSG_SERVICE_ACCEPT: 17 bytes of content in a 32-byte packet, a 64-byte MAC, and some slack. */
const MAX_SERVICE_ACCEPT = 128;
/** Zeek's banner test: a first answer this much larger than S is a USERAUTH_BANNER. */
const BANNER_OVER_S = 256;
/**
 * Seconds of the server's silence in the key exchange after which its close is a timeout, not
 * the end of an exchange: a key exchange takes a few round trips (RFC 4253 §7: the KEXINITs,
 * one key agreement, NEWKEYS), under 3 s at a satellite link's 600 ms; sshd gives up after
 * LoginGraceTime (120 s by default, sshd_config(5); 30-60 s in hardening guides), Dropbear
 * after its auth timeout (300 s).
 */
const KEX_STALLED_S = 20;
/** The size difference of USERAUTH_SUCCESS and SERVICE_ACCEPT. */
const SUCCESS_UNDER_S = 16;
/**
 * SERVICE_ACCEPT under chacha20-poly1305@openssh.com: a 4-byte length, then 1 + 17 bytes
 * padded to its 8-byte blocks (the length is not counted: PROTOCOL.chacha20poly1305) = 24,
 * and the 16-byte Poly1305 tag.
 */
const CHACHA_SERVICE_ACCEPT = 44;
/** Dropbear's USERAUTH_SUCCESS under chacha20-poly1305: 1 + 1 bytes padded up to its 16-byte minimum, the length, the tag. */
const DROPBEAR_CHACHA_SUCCESS = 36;
/**
 * How much later than the session's round trip a Dropbear failure comes at the least: half
 * of its 250 ms minimum delay (svr-auth.c), leaving the other half for the client's own time
 * (a slow client's key exchange makes the round trip look longer than it is).
 */
const DROPBEAR_DELAY_S = 0.125;


/** The services where the client speaks first, so the server's first words already answer it (read as a reply). */
const CLIENT_SPEAKS_FIRST = new Uint8Array(32);
for (const svc of [Service.HTTP, Service.SIP, Service.SMB, Service.POSTGRES, Service.REDIS, Service.MSSQL, Service.MQTT, Service.LDAP, Service.MEMCACHED, Service.KERBEROS]) CLIENT_SPEAKS_FIRST[svc] = 1;

/**
 * The services whose refusals login-rules.ts counts once per credential length (SOCKS5's rule:
 * a stale password resends one length, a word list changes it); their greeting or first answer
 * acknowledges nothing of the credentials yet, so those are measured from it.
 */
export const COUNTED_BY_LENGTH = new Uint8Array(32);
for (const svc of [Service.SOCKS5, Service.AMI, Service.MEMCACHED, Service.XMPP, Service.NNTP]) COUNTED_BY_LENGTH[svc] = 1;

/** The services whose refused request's length credentialBytesOf reports: those, and LDAP's and Kerberos' own rules. */
const CREDENTIAL_READ = COUNTED_BY_LENGTH.slice();
CREDENTIAL_READ[Service.LDAP] = CREDENTIAL_READ[Service.KERBEROS] = 1;

const SKIPPED_BANNER = 1;
const KEX_REPLY_ENDED = 2; // the last plaintext packet was a KEX reply that ended with its segment
const VNC_CHALLENGED = 4; // the server sent VNC Authentication's challenge: its SecurityResult comes next
const PG_ASKED = 8; // a PostgreSQL server asked for a password: an ErrorResponse now is a failed login
const DROPBEAR = 16; // the SSH server is Dropbear: its failures are delayed less, its successes padded more
const AMI_ERROR = 32; // the AMI server's last answer was an error: its close next makes it a refused login
const REFUSED_AGAIN = 64; // XMPP, NNTP: the last refusal's length was refused on this connection before
const UNSEEN_REQUEST = 128; // memcached, XMPP, NNTP picked up mid-stream: the request its first answer read acknowledges was not seen

/**
 * Server bytes after the Connection Confirm past which an RDP session is a login's: a failed
 * NLA attempt sends the TLS handshake (a certificate chain of 1-5 kB) and CredSSP's NTLM
 * challenge and error (under 1 kB), while a logged-in session sends its capabilities and
 * then the logon screen and desktop as bitmaps, tens of kB and more (MS-RDPBCGR 2.2.9.1).
 */
export const RDP_SESSION_BYTES = 16384;

/** RFC 1929 §2: a username/password request is VER, ULEN, UNAME, PLEN, PASSWD, a name and a password of up to 255 bytes each (empty ones are sent too). */
const SOCKS5_CREDENTIALS_MIN = 3, SOCKS5_CREDENTIALS_MAX = 3 + 255 + 255;

/** The longest AMI Login action read as one credential: a name and a secret of a few hundred bytes and its headers (manager.c reads lines of up to 1024). */
const AMI_ACTION_MAX = 4096;

/** The longest memcached SASL request read as one credential: its 24-byte header, a mechanism name of up to 32 bytes (memcached's MAX_SASL_MECH_LEN) and PLAIN's authzid, user and password, hundreds of bytes each at most. */
const MEMCACHED_SASL_MAX = 4096;

/** The longest LDAP BindRequest read as one credential: a DN and a simple password of a few hundred bytes each (a SASL bind's NTLM or Kerberos token is longer: not one). */
const LDAP_BIND_MAX = 4096;
/**
 * The longest AS-REQ read as one credential over TCP, its 4-byte record mark counted: a
 * Windows client's with PA-ENC-TIMESTAMP and its addresses is a few hundred bytes (a
 * PKINIT request's certificate, a few KB, is no password guess); RFC 4120 §7.2.2.
 */
const KERBEROS_AS_REQ_MAX = 4096;
/** The record mark before a Kerberos message over TCP (RFC 4120 §7.2.2): taken off, so a request's length is the datagram's over UDP. */
const KERBEROS_RECORD_MARK = 4;
/** The longest XMPP <auth/> or <response/> read as one credential: the element (about 70 bytes) and the base64 of a SASL message of a few hundred bytes (PLAIN's authzid, user and password; SCRAM's proof; DIGEST-MD5's response). */
const XMPP_SASL_MAX = 4096;
/** The longest NNTP command line (RFC 3977 §3.1: 512 octets with its CRLF): the AUTHINFO PASS line. */
const NNTP_LINE_MAX = 512;

/** Payloads before the greeting (isPreamble) a session waits through: an SSLRequest and a GSSENCRequest refused, or one NetBIOS session response. */
const MAX_PREAMBLES = 2;

export class LoginSessions {
  readonly capacity: number;
  private readonly phase: Uint8Array;
  private readonly service: Uint8Array;
  private readonly bits: Uint8Array;
  /** FTP (1) or SMTP (2), once a reply code tells. */
  private readonly dialect: Uint8Array;
  /** SSH: plaintext bytes of the current packet still to come in later segments, then (from SERVICE_ACCEPT on) the client's round trip in µs; SMB: the current message's; RDP: the server's bytes after its Connection Confirm; Redis: the current value's (respFrame; -1 when lost); SOCKS5: the credentials' bytes its answer acknowledged; AMI: the client's bytes before the last error. */
  private readonly skip: Int32Array;
  private readonly sizeS: Uint16Array;
  private readonly sizeF: Uint16Array;
  private readonly fails: Uint16Array;
  /** SSH: failure-sized answers that came at once (not counted as failures); VNC: segments read before a challenge; before a greeting: its preambles. */
  private readonly quick: Uint16Array;
  /** Capture time of the server's previous segment in the session; Redis (whose replies need no clock): the sequence number its next segment starts at; SOCKS5: its METHOD selection's acknowledgment number; AMI: its last answer's. */
  private readonly lastTs: Float64Array;
  /** The 401/407s the last AUTHENTICATED answer followed (at most HTTP_AUTH_LEGS). */
  private legs = 0;

  constructor(capacity: number, readonly throttleS: number) {
    this.capacity = checkCapacity(capacity);
    const n = capacity;
    this.phase = new Uint8Array(n);
    this.service = new Uint8Array(n);
    this.bits = new Uint8Array(n);
    this.dialect = new Uint8Array(n);
    this.skip = new Int32Array(n);
    this.sizeS = new Uint16Array(n);
    this.sizeF = new Uint16Array(n);
    this.fails = new Uint16Array(n);
    this.quick = new Uint16Array(n);
    this.lastTs = new Float64Array(n);
  }

  /**
   * A server accepted a connection (its SYN-ACK, acknowledging `ack`: the client's first
   * byte's number): follow it from the server's first words.
   */
  open(slot: number, ack = 0): void {
    this.phase[slot] = GREETING;
    this.service[slot] = Service.UNKNOWN;
    this.bits[slot] = 0;
    this.dialect[slot] = 0;
    this.skip[slot] = ack | 0; // until the greeting: where the client's bytes start (LDAP's bind request before its answer)
    this.sizeS[slot] = 0;
    this.sizeF[slot] = 0;
    this.fails[slot] = 0;
    this.quick[slot] = 0;
    this.lastTs[slot] = 0;
  }

  /**
   * A server's side first seen mid-connection (midstream-service.ts: its SYN-ACK and greeting
   * not captured), its service told by the reply at row i, which is read next: follow it from
   * that reply on, as a line protocol's (Redis framed from it, memcached's first answer of
   * unknown length, SMB's message lengths from its header).
   */
  openMidstream(slot: number, service: number, dialect: number, batch: PacketBatch, i: number): void {
    this.open(slot);
    this.phase[slot] = service === Service.SSH ? SSH_PLAIN : LINES; // SSH: from the server's KEXINIT, as after its banner
    this.service[slot] = service;
    this.dialect[slot] = dialect;
    if (service === Service.REDIS) this.lastTs[slot] = batch.tcpSeq[i];
    // memcached, XMPP, NNTP: lengths are measured from this reply's acknowledgment on; the
    // request it answers was not seen
    if (COUNTED_BY_LENGTH[service]) {
      this.lastTs[slot] = batch.tcpAck[i];
      this.bits[slot] |= UNSEEN_REQUEST;
    }
  }

  /** Forget the slot (its socket was evicted or reused for a client's connection). */
  forget(slot: number): void {
    this.phase[slot] = 0;
  }

  /** Whether the slot is a server's side being followed. */
  following(slot: number): boolean {
    const p = this.phase[slot];
    return p !== 0 && p !== DONE;
  }

  serviceOf(slot: number): number {
    return this.service[slot];
  }

  /** The service's name for evidence: ssh, ftp, smtp, ftp/smtp (not told yet), pop3, imap, telnet, mysql, http, vnc, smb, postgresql, redis, rdp, sip, mssql, mqtt, ldap, socks5, ami, memcached, xmpp, nntp. */
  nameOf(slot: number): string {
    const svc = this.service[slot];
    if (svc === Service.CODES && this.dialect[slot] !== 0) return this.dialect[slot] === 1 ? 'ftp' : 'smtp';
    return SERVICE_NAMES[svc]!;
  }

  /**
   * SOCKS5, AMI, memcached: the client's bytes that the server's answer (row i) acknowledges
   * past its previous answer's acknowledgment (kept in lastTs for the next), as a credential's
   * length when from `min` to `max`, else 0 (RFC 9293 §3.4: an acknowledgment covers every byte
   * sent before it).
   */
  private clientBytes(slot: number, batch: PacketBatch, i: number, min: number, max: number): number {
    const ack = batch.tcpAck[i];
    const n = (ack - this.lastTs[slot]) >>> 0;
    this.lastTs[slot] = ack;
    return n >= min && n <= max ? n : 0;
  }

  /**
   * SOCKS5: how many bytes the client sent between the server's METHOD selection and its
   * status (the username/password request: 3 + ULEN + PLEN, RFC 1929 §2), or 0 when they do
   * not fit one (a client that sent its credentials before the selection came, with its
   * offer: the selection acknowledged them already). AMI: between the server's answer before
   * its last error and that error (the Login action), 0 when none or past AMI_ACTION_MAX.
   * Memcached: between the server's previous answer and this one (the SASL request). LDAP:
   * between the server's previous answer (or the connection's start) and this one (the
   * BindRequest a BindResponse answers). Kerberos: the same, the AS-REQ a KDC's answer
   * answers, without its record mark.
   */
  credentialBytesOf(slot: number): number {
    return CREDENTIAL_READ[this.service[slot]] ? this.skip[slot] : 0;
  }

  /** Kerberos over TCP: the AS-REQ the KDC's answer (row i) acknowledges, as its length without the record mark; 0 when unknown or not one. */
  private kerberosRequest(slot: number, batch: PacketBatch, i: number): number {
    const n = this.clientBytes(slot, batch, i, KERBEROS_RECORD_MARK + 1, KERBEROS_AS_REQ_MAX);
    return n === 0 ? 0 : n - KERBEROS_RECORD_MARK;
  }

  /** XMPP, NNTP: whether the last refusal's credential length had been refused on the same connection before (a retry of the same shape). */
  refusedAgainOf(slot: number): boolean {
    return (this.bits[slot] & REFUSED_AGAIN) !== 0;
  }

  /** Failed attempts counted in this session so far. */
  failuresOf(slot: number): number {
    return this.fails[slot];
  }

  /** A segment the server sent with payload (row i of the batch). Returns a LoginEvent. */
  segment(slot: number, batch: PacketBatch, i: number): number {
    const len = batch.payloadLen[i];
    // the head bytes the capture holds (a snap length cuts replies): the readers' `avail`
    const kept = batch.headBytes(i);
    const h = batch.head;
    const o = i * PAYLOAD_HEAD_BYTES;
    const phase = this.phase[slot];
    // the line and packet protocols need no clock; segments that cannot start an answer are
    // passed over at their first byte: HTTP's that start no status line (bodies, most of an
    // HTTP connection's segments; 'R' starts an RTSP server's, whose interleaved media start
    // '$'), SMB's that start no session header, Redis's that start no error (values: most of
    // a pooled connection's replies). SMB's messages say their length:
    // the segments that carry the rest of one (a READ's data, a listing) are passed over
    // whatever their first bytes, which are the share's files, not the server's words (a file
    // holding LOGON_FAILURE answers at every 1448 bytes made one failure a segment of its reader)
    if (phase === LINES) {
      const svc = this.service[slot], first = h[o];
      // picked up mid-stream (memcached, XMPP, NNTP): the first reply read answers a request
      // the capture did not see, its length unknown, and unknown only because the capture
      // began late: a refusal there is not counted (a stale password's pool or bot, one
      // refusal a connection, each connection picked up so when its SYN-ACK is lost, would
      // fill the 401 bucket); from the next on, each refusal's request is measured
      const unseen = (this.bits[slot] & UNSEEN_REQUEST) !== 0;
      this.bits[slot] &= ~UNSEEN_REQUEST;
      if (svc === Service.SMB && this.skip[slot] > 0) {
        this.skip[slot] -= len;
        return LoginEvent.NONE;
      }
      if (svc === Service.REDIS && !this.respStart(slot, batch, i, len, kept)) return LoginEvent.NONE;
      if (svc === Service.AMI) {
        const n = this.clientBytes(slot, batch, i, 1, AMI_ACTION_MAX);
        if (isAmiError(h, o, kept)) {
          this.bits[slot] |= AMI_ERROR;
          this.skip[slot] = n;
        } else this.bits[slot] &= ~AMI_ERROR;
        return LoginEvent.NONE;
      }
      if (svc === Service.MEMCACHED) {
        this.skip[slot] = this.clientBytes(slot, batch, i, 1, MEMCACHED_SASL_MAX);
        if (first !== 0x81) return LoginEvent.NONE;
      }
      if (svc === Service.LDAP) this.skip[slot] = this.clientBytes(slot, batch, i, 1, LDAP_BIND_MAX);
      if (svc === Service.KERBEROS) this.skip[slot] = this.kerberosRequest(slot, batch, i);
      if (svc === Service.XMPP) {
        this.skip[slot] = this.clientBytes(slot, batch, i, 1, XMPP_SASL_MAX);
        if (first !== 0x3c) return LoginEvent.NONE; // '<': not an element's start (the rest of a long one, a whitespace keepalive)
      }
      if (svc === Service.NNTP) {
        this.skip[slot] = this.clientBytes(slot, batch, i, 1, NNTP_LINE_MAX);
        if (first !== 0x32 && first !== 0x34) return LoginEvent.NONE; // '2', '4': the codes read; an article's lines, a listing
      }
      if (svc === Service.SOCKS5) {
        // the one answer read: RFC 1929's status (the server closes after a failure; after a
        // success the connection carries the client's request, then its traffic)
        this.phase[slot] = DONE;
        this.skip[slot] = this.clientBytes(slot, batch, i, SOCKS5_CREDENTIALS_MIN, SOCKS5_CREDENTIALS_MAX);
      }
      if ((svc === Service.HTTP && first !== 0x48 && first !== 0x52) || (svc === Service.LDAP && first !== 0x30) || (svc === Service.SIP && first !== 0x53) || (svc === Service.SMB && first !== 0) || (svc === Service.REDIS && first !== 0x2d)) return LoginEvent.NONE;
      const ev = this.lines(slot, h, o, len, kept);
      return unseen && ev === LoginEvent.FAILURE ? LoginEvent.NONE : ev;
    }
    const ts = batch.ts[i];
    const gap = ts - this.lastTs[slot];
    this.lastTs[slot] = ts;
    switch (phase) {
      case GREETING: {
        if (isPreamble(h, o, len) && this.quick[slot] < MAX_PREAMBLES) {
          this.quick[slot]++;
          return LoginEvent.NONE;
        }
        this.quick[slot] = 0;
        const connStart = this.skip[slot];
        this.skip[slot] = 0;
        const svc = greetingService(h, o, len, kept);
        this.service[slot] = svc;
        this.phase[slot] = svc === Service.SSH ? SSH_PLAIN : svc === Service.OTHER ? DONE : LINES;
        if (svc === Service.SSH && isDropbearGreeting(h, o, Math.min(len, kept))) this.bits[slot] |= DROPBEAR;
        if (svc === Service.RDP) {
          const p = rdpConfirm(h, o, len, kept);
          this.phase[slot] = p === RdpProtocol.HYBRID || p === RdpProtocol.HYBRID_EX ? RDP_NLA : DONE;
          return LoginEvent.NONE;
        }
        // the services where the client speaks first: their first words are already an answer
        if (svc === Service.REDIS) {
          this.lastTs[slot] = batch.tcpSeq[i];
          this.respStart(slot, batch, i, len, kept);
        }
        // MQTT: the CONNACK is the connection's one answer to a login; what follows is messages
        if (svc === Service.MQTT) this.phase[slot] = DONE;
        // SOCKS5: the client's credentials come next, this acknowledges its offer of methods;
        // AMI: its actions come next, the greeting acknowledges nothing of the client's yet
        // Memcached: the client's bytes before this first answer are not seen (its length unknown)
        // XMPP, NNTP: the client's credentials come after this (its stream header, or nothing, acknowledged)
        if (COUNTED_BY_LENGTH[svc]) this.lastTs[slot] = batch.tcpAck[i];
        if (svc === Service.MEMCACHED) this.skip[slot] = 0;
        // LDAP: the client's bytes since its first (the SYN-ACK's acknowledgment) are its first
        // request, the bind this answers; later answers count from this one's acknowledgment
        if (svc === Service.LDAP) {
          this.lastTs[slot] = connStart >>> 0;
          this.skip[slot] = connStart === 0 ? 0 : this.clientBytes(slot, batch, i, 1, LDAP_BIND_MAX);
        }
        // Kerberos: the same, the client's AS-REQ (its record mark taken off)
        if (svc === Service.KERBEROS) {
          this.lastTs[slot] = connStart >>> 0;
          this.skip[slot] = connStart === 0 ? 0 : this.kerberosRequest(slot, batch, i);
        }
        return CLIENT_SPEAKS_FIRST[svc] === 1 ? this.lines(slot, h, o, len, kept) : LoginEvent.NONE;
      }
      case SSH_PLAIN:
        this.plain(slot, h, o, len, kept);
        return LoginEvent.NONE;
      case RDP_NLA:
        this.skip[slot] += len;
        if (this.skip[slot] > RDP_SESSION_BYTES) this.phase[slot] = DONE; // a desktop: logged in (nothing to forgive: no failure was read)
        return LoginEvent.NONE;
      case SSH_ENC:
        if (len <= MAX_SERVICE_ACCEPT) {
          this.sizeS[slot] = len;
          this.phase[slot] = SSH_ACCEPTED;
          this.skip[slot] = Math.min(Math.round(gap * 1e6), 0x7fffffff); // the client's round trip
        }
        return LoginEvent.NONE;
      case SSH_ACCEPTED: {
        const s = this.sizeS[slot];
        if (this.isSuccess(slot, len)) {
          this.phase[slot] = DONE;
          return LoginEvent.SUCCESS;
        }
        if (!(this.bits[slot] & SKIPPED_BANNER) && len - s > BANNER_OVER_S) {
          this.bits[slot] |= SKIPPED_BANNER;
          return LoginEvent.NONE;
        }
        this.sizeF[slot] = len;
        this.phase[slot] = SSH_AUTH;
        if (!this.delayed(slot, gap)) return LoginEvent.NONE; // the answer to "none": the methods
        this.fails[slot]++;
        return LoginEvent.FAILURE;
      }
      case SSH_AUTH:
        if (len === this.sizeF[slot]) {
          if (!this.delayed(slot, gap)) {
            this.quick[slot]++; // a refused key
            return LoginEvent.NONE;
          }
          this.fails[slot]++;
          return LoginEvent.FAILURE;
        }
        if (this.isSuccess(slot, len)) {
          this.phase[slot] = DONE;
          return LoginEvent.SUCCESS;
        }
        return LoginEvent.NONE;
      default:
        return LoginEvent.NONE;
    }
  }

  /** Whether an SSH answer of `len` bytes is USERAUTH_SUCCESS (S − 16; Dropbear's under chacha20-poly1305: 36 after a 44-byte S, never the failure's size). */
  private isSuccess(slot: number, len: number): boolean {
    const s = this.sizeS[slot];
    if (len + SUCCESS_UNDER_S === s) return true;
    return (this.bits[slot] & DROPBEAR) !== 0 && s === CHACHA_SERVICE_ACCEPT && len === DROPBEAR_CHACHA_SUCCESS && len !== this.sizeF[slot];
  }

  /** Whether a failure-sized SSH answer `gap` s after the server's previous segment was held back as a failed password is (PAM's fail delay; Dropbear's, beyond the round trip). */
  private delayed(slot: number, gap: number): boolean {
    if (gap >= this.throttleS) return true;
    return (this.bits[slot] & DROPBEAR) !== 0 && gap * 1e6 - this.skip[slot] >= DROPBEAR_DELAY_S * 1e6;
  }

  /**
   * Whether this Redis server segment starts at a reply boundary (the previous one ended a
   * value), and the framing carried past it. A segment wholly before the next expected
   * sequence number is a retransmission: passed over, not read again. One that overlaps it or
   * leaves a gap loses the framing, as a value it cannot frame does: nothing more is read.
   */
  private respStart(slot: number, batch: PacketBatch, i: number, len: number, kept: number): boolean {
    const seq = batch.tcpSeq[i];
    const next = this.lastTs[slot];
    if (((seq - next) | 0) < 0) {
      if (((seq + len - next) | 0) <= 0) return false;
      this.skip[slot] = -1;
    } else if (seq !== next) this.skip[slot] = -1;
    this.lastTs[slot] = (seq + len) >>> 0;
    const at = this.skip[slot];
    if (at < 0) return false;
    this.skip[slot] = respFrame(batch.head, i * PAYLOAD_HEAD_BYTES, len, kept, at);
    return at === 0;
  }

  /** A reply of a line or packet protocol (FTP, SMTP, POP3, IMAP, Telnet, MySQL, HTTP, VNC, SMB, PostgreSQL, Redis). */
  private lines(slot: number, h: Uint8Array, o: number, len: number, kept: number): number {
    const svc = this.service[slot];
    // an SMB message's bytes past this segment (its session header's 24-bit length)
    if (svc === Service.SMB) this.skip[slot] = kept < 4 ? 0 : Math.max(0, 4 + ((h[o + 1]! << 16) | (h[o + 2]! << 8) | h[o + 3]!) - len);
    if (tlsHandshakeRecord(h, o, kept)) {
      // a TLS record (RFC 8446 §5.1: handshake, version 3.0-3.4): STARTTLS, MySQL's SSL
      // request, VeNCrypt; what follows is encrypted, so nothing more is read here
      this.phase[slot] = DONE;
      return LoginEvent.NONE;
    }
    if (svc === Service.CODES && this.dialect[slot] === 0) this.dialect[slot] = codesDialect(replyCode(h, o, kept));
    let r: number;
    if (svc === Service.VNC) {
      // the challenge alone (RFB 3.7, 3.8: after the client chose VNC Authentication), or right
      // after RFB 3.3's U32 security type 2 in the same segment (3.3: the server decides)
      if (len === VNC_CHALLENGE_BYTES || (len === 4 + VNC_CHALLENGE_BYTES && h[o] === 0 && h[o + 1] === 0 && h[o + 2] === 0 && h[o + 3] === VNC_AUTHENTICATION)) {
        this.bits[slot] |= VNC_CHALLENGED;
        return LoginEvent.NONE;
      }
      if (!(this.bits[slot] & VNC_CHALLENGED)) {
        // past the security types (the 1st segment after the version) and where a challenge
        // would be (the 2nd) with none: no VNC Authentication here (None, VeNCrypt...), and
        // the framebuffer updates that follow are not read (a 16-byte one is no challenge)
        if (++this.quick[slot] >= 3) this.phase[slot] = DONE;
        return LoginEvent.NONE;
      }
      // the one SecurityResult of the connection (RFC 6143 §7.1.3: a failure closes it)
      this.phase[slot] = DONE;
      r = vncSecurityResult(h, o, len, kept);
    } else if (svc === Service.POSTGRES) r = this.postgres(slot, h, o, len, kept);
    else if (svc === Service.HTTP) return this.httpAnswer(slot, h, o, Math.min(len, kept));
    else r = loginReply(svc, h, o, len, kept);
    if (r === Reply.FAILURE) {
      this.fails[slot]++;
      if (svc === Service.XMPP || svc === Service.NNTP) this.refused(slot, this.skip[slot]);
      return LoginEvent.FAILURE;
    }
    if (r === Reply.SUCCESS) {
      this.phase[slot] = DONE;
      return LoginEvent.SUCCESS;
    }
    return r === Reply.DENIED ? LoginEvent.DENIED : LoginEvent.NONE;
  }

  /**
   * An HTTP (or RTSP) status line: a 401/407 is DENIED and counted in `quick` (the
   * connection's challenges since its last other answer); a 2xx or 3xx right after them is
   * AUTHENTICATED (their number, at most HTTP_AUTH_LEGS, in `legsOf`); any other answer ends
   * the run.
   */
  private httpAnswer(slot: number, h: Uint8Array, o: number, avail: number): number {
    const code = httpStatus(h, o, avail);
    if (code === 0) return LoginEvent.NONE;
    if (code === 401 || code === 407) {
      if (this.quick[slot] < HTTP_AUTH_LEGS) this.quick[slot]++;
      return LoginEvent.DENIED;
    }
    const n = this.quick[slot];
    this.quick[slot] = 0;
    if (n === 0 || code < 200 || code >= 400) return LoginEvent.NONE;
    this.legs = n;
    return LoginEvent.AUTHENTICATED;
  }

  /** The challenges the AUTHENTICATED answer just read followed on its connection. */
  get legsOf(): number {
    return this.legs;
  }

  /** XMPP, NNTP: a refusal of a credential of `n` bytes (0 unknown): REFUSED_AGAIN when the connection's last two distinct refused lengths hold it, which then become n and the last. */
  private refused(slot: number, n: number): void {
    const again = n !== 0 && (n === this.sizeF[slot] || n === this.sizeS[slot]);
    if (again) this.bits[slot] |= REFUSED_AGAIN;
    else this.bits[slot] &= ~REFUSED_AGAIN;
    if (n !== 0 && n !== this.sizeF[slot]) {
      this.sizeS[slot] = this.sizeF[slot];
      this.sizeF[slot] = n;
    }
  }

  /**
   * A PostgreSQL server's message (its Message Flow, "Start-up"): a password request (cleartext,
   * MD5, SASL, SASLContinue) opens the attempt; an ErrorResponse then is its failure,
   * AuthenticationOk or SASLFinal (sent only for a verified SCRAM proof) its success.
   * AuthenticationOk with no request before it is trust: no login to read. Either way the
   * session is done (one authentication a connection).
   */
  private postgres(slot: number, h: Uint8Array, o: number, len: number, avail: number): number {
    const asked = (this.bits[slot] & PG_ASKED) !== 0;
    const t = pgAuthRequest(h, o, len, avail);
    if (t === PgAuth.CLEARTEXT || t === PgAuth.MD5 || t === PgAuth.SASL || t === PgAuth.SASL_CONTINUE) {
      this.bits[slot] |= PG_ASKED;
      return Reply.NONE;
    }
    if (t === PgAuth.OK || t === PgAuth.SASL_FINAL) {
      this.phase[slot] = DONE;
      return asked ? Reply.SUCCESS : Reply.NONE;
    }
    if (asked && isPgError(h, o, len, avail)) {
      this.phase[slot] = DONE;
      return Reply.FAILURE;
    }
    return Reply.NONE;
  }

  /** The server ended the connection (FIN or RST; `ack` its acknowledgment number, -1 unknown). Returns a LoginEvent for the session as a whole. */
  close(slot: number, ts: number, ack = -1): number {
    const p = this.phase[slot];
    this.phase[slot] = 0;
    // AMI: the server hung up right after an error, the client silent since: a refused Login
    if (p === LINES && this.service[slot] === Service.AMI && this.bits[slot] & AMI_ERROR && (ack < 0 || ack === this.lastTs[slot])) return LoginEvent.FAILURE;
    // the server gave up on a key exchange the client left hanging: sshd's LoginGraceTime
    // (its grace_alarm_handler logs "Timeout before authentication for ..."), what regreSSHion
    // (CVE-2024-6387, Qualys) provokes by the thousand and a pre-auth slot exhauster by
    // design: a client gets nothing by holding a key exchange open
    if (p === SSH_PLAIN && this.lastTs[slot] > 0 && ts - this.lastTs[slot] >= KEX_STALLED_S) return LoginEvent.UNDECIDED;
    // an NLA session that ended before any desktop: the TLS handshake got through, so it was no port check
    if (p === RDP_NLA) return this.skip[slot] > 0 ? LoginEvent.UNDECIDED : LoginEvent.NONE;
    if (this.service[slot] !== Service.SSH || this.fails[slot] > 0) return LoginEvent.NONE;
    if (p === SSH_AUTH && this.quick[slot] > 0) return LoginEvent.FAILURE;
    if (p === SSH_ENC || p === SSH_ACCEPTED || p === SSH_AUTH) return LoginEvent.UNDECIDED;
    return LoginEvent.NONE;
  }

  /** Walk the key exchange's plaintext packets until the server's NEWKEYS. */
  private plain(slot: number, h: Uint8Array, o: number, len: number, kept: number): void {
    let at = this.skip[slot];
    if (at >= len) {
      this.skip[slot] = at - len;
      return; // the middle of a long packet (a KEXINIT or a post-quantum KEX reply)
    }
    this.skip[slot] = 0;
    if (at + 6 > PAYLOAD_HEAD_BYTES) {
      // the next packet starts past the bytes kept: after a KEX reply that is its NEWKEYS
      if (this.bits[slot] & KEX_REPLY_ENDED) this.phase[slot] = SSH_ENC;
      return;
    }
    const p = sshPlain(h, o + at, Math.min(len, kept) - at); // what the capture holds of it
    if (p < 0) return; // not at a packet boundary: wait for one
    const msg = p % 256;
    const total = (p - msg) / 256;
    if (msg === SshMsg.NEWKEYS) {
      this.phase[slot] = SSH_ENC; // whatever follows it in this segment is encrypted (EXT_INFO)
      return;
    }
    const kexReply = msg >= SshMsg.KEX_FIRST && msg <= SshMsg.KEX_LAST;
    at += total;
    if (at < len) {
      // more after this packet in the same segment: after a KEX reply only NEWKEYS comes
      if (kexReply) this.phase[slot] = SSH_ENC;
      return;
    }
    this.skip[slot] = at - len;
    if (kexReply) this.bits[slot] |= KEX_REPLY_ENDED;
    else this.bits[slot] &= ~KEX_REPLY_ENDED;
  }
}
