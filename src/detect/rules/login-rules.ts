// Brute force as repeated failed logins, per client, from the server's side of its
// sessions (login-sessions.ts). The shard that sees a server's packets holds this state, so
// it is keyed by the CLIENT address (the destination of those packets) and its alerts name
// the client as their source.
//
//   failed logins   fail2ban's test: `maxretry` failures within `findtimeS` fire; a
//                   successful login of the client forgives the failures before it (an
//                   admin who mistypes and then logs in is never banned).
//   parallel        `burstMaxretry` failed logins answered within `burstFindtimeS`: each
//                   is answered after the server's fail delay, so only sessions guessing
//                   side by side (a tool's tasks) make them; a person types one at a time.
//   undecided       SSH sessions that got past the key exchange and ended with no outcome
//                   the sizes could tell (a server or client the size heuristic does not
//                   fit): a CrowdSec-style bucket, with a threshold a person reconnecting a
//                   few times never reaches.
//   HTTP denied     401 and 407 answers, in a bucket of their own (`httpDeniedThreshold`
//                   leaking `httpDeniedLeakPerS`): the same answer challenges a browser
//                   before it sends credentials, an API client whose token expired on
//                   every request it has in flight, and a monitor polling a protected URL,
//                   so none of them is a failed login and no 200 forgives (any public page
//                   answers 200); what no benign client makes is a sustained stream of them.
//                   SIP's 401 and 404 pour into the same bucket, its 403 is a failed login
//                   (service-replies.ts sipReply), over TCP as a session's answers and over
//                   UDP as datagrams (sipAnswer: SIPVicious svcrack and svwar, hydra sip).
//   SOCKS5          a refused username/password (RFC 1929) is a failed login when its
//                   credentials' length (login-sessions.ts credentialBytesOf) is new for the
//                   client, and counts nothing when the client already failed with one of that
//                   length: an application with a stale proxy password sends the same
//                   credentials on every connection it opens, and a SOCKS server answers at
//                   once (Dante has no fail delay), so a pool of 8 connections retrying every
//                   few seconds, a torrent client opening dozens a second, would fill any
//                   count or rate of failures; what it never does is try another password. A
//                   guesser's list does (the first 100 of nmap's passwords.lst have 6
//                   lengths, its usernames.lst 8): its 5th new length makes fail2ban's 5th
//                   failure. A failure whose length is unknown (the client sent its
//                   credentials with its offer, before the server chose) goes to the 401
//                   bucket, by rate. Not seen: a guesser whose credentials all have one length
//                   (hydra -x 6:6), which reading the client's bytes (its own shard) would tell.
//   AMI             Asterisk's refused Login (login-sessions.ts: an error the server hangs up
//                   after) is counted the same way, by its Login action's length: a dialer or
//                   CRM whose manager secret went stale reconnects with it for as long as it
//                   runs (fail2ban's asterisk filter counts each), a guesser's secrets vary.
//                   An unknown length is a failed login (manager.c delays each refusal 1 s).
//   Memcached       a refused SASL_AUTH or SASL_STEP is counted as SOCKS5's, by its request's
//                   length: a web application whose memcached password went stale sends it
//                   on every connection it opens (libmemcached's pools reconnect at once:
//                   memcached has no fail delay); hydra's libmemcached opens one connection a
//                   guess. An unknown length (the connection's first answer) goes to the 401
//                   bucket, by rate.
//   LDAP            a BindResponse of 49 (invalidCredentials) is a failed login when its
//                   BindRequest's length (login-sessions.ts credentialBytesOf: the DN and
//                   the password) differs from the client's previous refused bind; one of the
//                   same length counts toward the parallel test only (3 answered within
//                   2 s), not fail2ban's 5 in 10 minutes: a service account whose password
//                   went stale binds with it again and again, once a minute (Active Directory
//                   does not even count a bind with one of the account's two previous
//                   passwords toward its lockout: badPwdCount's password-history check),
//                   while a guesser of one length (hydra's passwords of -x 8:8, ldap3's
//                   rebind loop) guesses many times a second. A sprayer's one password over
//                   many accounts changes length with the names; fail2ban's slapd filter and
//                   Windows' event 4625 at a domain controller count each refusal. Not
//                   seen: a slow guesser whose binds all have one length.
//   XMPP, NNTP      a refused SASL authentication (XMPP's <failure/>) or AUTHINFO (NNTP's 481)
//                   is counted by its credential's length as SOCKS5's, and also when it repeats
//                   a length refused before on the same stream (login-sessions.ts
//                   refusedAgainOf): a bot or a news fetcher with a stale password sends it
//                   once a connection and reconnects (a library falling back from SCRAM-SHA-1
//                   to PLAIN sends a new length each time), while a guesser's tasks keep one
//                   stream each and send guess after guess on it (hydra xmpp and nntp, nmap
//                   xmpp-brute), where base64 folds PLAIN's lengths into steps of 4 and SCRAM's
//                   proof has one length whatever the password. fail2ban's ejabberd-auth
//                   jail counts every "Failed authentication" on 5222 (maxretry 5 within
//                   10 minutes, its defaults); prosody 0.12 logs no refusal (it fires an
//                   authentication-failure event for a module to log) and fail2ban ships no
//                   filter for it; none for an NNTP server. An unknown length goes to the
//                   401 bucket, by rate.
//   Kerberos        a KDC's KRB-ERROR of 24 (PREAUTH_FAILED: a wrong password, Windows' event
//                   4771, what the domain's lockout counts) is a failed login, 6 (no such
//                   account: kerbrute userenum) and 18 (locked or disabled) go to the 401 bucket,
//                   25 (every Windows logon's first answer) counts nothing, an AS-REP forgives
//                   (kerberos-reply.ts). Over UDP (kerberosAnswer) as SIP's answers, over TCP as a
//                   session's. A 24 counts as SOCKS5's, by its AS-REQ's length (over UDP the
//                   request's datagram the exchange tracker pairs the answer with, over TCP
//                   credentialBytesOf without the record mark): a sprayer's one password over
//                   many accounts changes the length with the principal's name, a refusal an
//                   account; a workstation or service holding a stale password after a change
//                   (a mapped drive, a scheduled task, a phone's mail client: the lockout storms
//                   admins trace with event 4771) retries one account, one length, for as long
//                   as it runs, and a repeated or unknown length goes to the 401 bucket, where a
//                   fast bruteuser (one account, many passwords) still overflows it.
//                   fail2ban's count only (no fail delay). Not seen: a sprayer whose names all
//                   have one length, slower than the bucket's leak.
//
// Bounded like the source rules: one address-keyed table (LRU, evictions counted), typed
// arrays per slot.

import type { Alert } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import { PAYLOAD_HEAD_BYTES, type PacketBatch } from '../../net/packet-batch.ts';
import { BucketTable, CLOCK_STEP_S, WindowCounter, riskScore } from './leaky-bucket.ts';
import { COUNTED_BY_LENGTH, LoginEvent, LoginSessions } from './login-sessions.ts';
import { ruleAlert, seconds } from './rule-alert.ts';
import type { RulesConfig } from './rules-config.ts';
import { kerberosReply } from './kerberos-reply.ts';
import { Reply, SERVICE_NAMES, Service, sipReply } from './service-replies.ts';
import { DistinctSet } from './distinct-set.ts';

export class LoginRules {
  readonly sessions: LoginSessions;
  private readonly clients: FlowTable;
  private readonly failures: WindowCounter;
  private readonly burst: WindowCounter;
  private readonly undecided: BucketTable;
  private readonly httpDenied: BucketTable;
  private readonly tripped: Float64Array;
  private readonly failCount: Int32Array;
  private readonly sessionCount: Int32Array;
  /** HTTP 401/407 answers in the client's current episode of the httpDenied bucket. */
  private readonly deniedCount: Int32Array;
  /** Bit per Service the client's counted events came from. */
  private readonly services: Uint32Array;
  /** SOCKS5, AMI, memcached, XMPP, NNTP, Kerberos: the lengths of the credentials the client failed with since its last login or alert. */
  private readonly credentials: DistinctSet;
  /** LDAP: the length of the client's last refused BindRequest (0: none since its last login). */
  private readonly lastBind: Int32Array;
  private readonly cfg: RulesConfig['bruteForce'];
  private readonly cooldownS: number;
  alerts = 0;
  suppressed = 0;

  constructor(config: RulesConfig, maxClients: number, maxSessions: number) {
    this.cfg = config.bruteForce;
    this.cooldownS = config.cooldownS;
    this.sessions = new LoginSessions(maxSessions, this.cfg.throttleS);
    this.clients = new FlowTable(maxClients);
    this.failures = new WindowCounter(maxClients, this.cfg.maxretry, this.cfg.findtimeS);
    this.burst = new WindowCounter(maxClients, this.cfg.burstMaxretry, this.cfg.burstFindtimeS);
    this.undecided = new BucketTable(maxClients, this.cfg.undecidedThreshold, this.cfg.undecidedLeakPerS, this.cooldownS);
    this.httpDenied = new BucketTable(maxClients, this.cfg.httpDeniedThreshold, this.cfg.httpDeniedLeakPerS, this.cooldownS);
    this.tripped = new Float64Array(maxClients);
    this.failCount = new Int32Array(maxClients);
    this.sessionCount = new Int32Array(maxClients);
    this.deniedCount = new Int32Array(maxClients);
    this.services = new Uint32Array(maxClients);
    this.credentials = new DistinctSet(maxClients);
    this.lastBind = new Int32Array(maxClients);
  }

  /** The clients' table: its size and evictions for the stats, its bound for the report (table-report.ts). */
  get clientTable(): FlowTable {
    return this.clients;
  }

  /** A server accepted a connection from `client` (its SYN-ACK acknowledges `ack`, the client's first byte's number). */
  open(slot: number, ack = 0): void {
    this.sessions.open(slot, ack);
  }

  /** A server's side first seen mid-connection, its service told by its reply at row i (midstream-service.ts). */
  openMidstream(slot: number, service: number, dialect: number, batch: PacketBatch, i: number): void {
    this.sessions.openMidstream(slot, service, dialect, batch, i);
  }

  /** A segment with payload from the server's side of session `slot` (row i, sent to `client`). */
  segment(slot: number, batch: PacketBatch, i: number, client: AddressKey, out: Alert[]): void {
    const ev = this.sessions.segment(slot, batch, i);
    if (ev === LoginEvent.AUTHENTICATED) this.authenticated(client, batch.ts[i], this.sessions.legsOf);
    else if (ev !== LoginEvent.NONE) this.count(ev, this.sessions.serviceOf(slot), this.sessions.nameOf(slot), batch, i, client, out, true, this.sessions.credentialBytesOf(slot), this.sessions.refusedAgainOf(slot));
  }

  /**
   * A SIP server's UDP datagram (row i, sent to `client`) whose status line is a failed
   * registration (403) or a challenge (401, 407, 404): counted as a TCP session's answers
   * are (service-replies.ts `sipReply`). UDP has no handshake: the client's address could be
   * forged into the server's answers, so the alert is graded forgeable by the responder's
   * evidence grader, as every UDP-based alert.
   */
  sipAnswer(batch: PacketBatch, i: number, client: AddressKey, out: Alert[]): void {
    const r = sipReply(batch.head, i * PAYLOAD_HEAD_BYTES, batch.headBytes(i));
    if (r === Reply.FAILURE) this.count(LoginEvent.FAILURE, Service.SIP, 'sip', batch, i, client, out, true);
    else if (r === Reply.DENIED) this.count(LoginEvent.DENIED, Service.SIP, 'sip', batch, i, client, out, true);
  }

  /**
   * A KDC's UDP datagram (row i, from port 88, sent to `client`, answering a datagram the
   * client sent it: UDP_REPLY) read as kerberos-reply.ts does: a KRB-ERROR of 24 is a failed
   * login when its AS-REQ's length is new for the client (as SOCKS5's), else and of 6 or 18 a
   * refusal counted by rate, an AS-REP a login. Forgeable as sipAnswer's.
   */
  kerberosAnswer(batch: PacketBatch, i: number, client: AddressKey, out: Alert[]): void {
    const r = kerberosReply(batch.head, i * PAYLOAD_HEAD_BYTES, batch.payloadLen[i], batch.headBytes(i), false);
    // the AS-REQ's length: the exchange tracker's, of the datagram this answers (udp-exchanges.ts)
    if (r !== Reply.NONE) this.count(r === Reply.FAILURE ? LoginEvent.FAILURE : r === Reply.SUCCESS ? LoginEvent.SUCCESS : LoginEvent.DENIED, Service.KERBEROS, 'kerberos', batch, i, client, out, true, batch.tcpAck[i]);
  }

  /** The server's side of session `slot` ended (row i is its FIN or RST). */
  close(slot: number, batch: PacketBatch, i: number, client: AddressKey, out: Alert[]): void {
    const ev = this.sessions.close(slot, batch.ts[i], batch.tcpAck[i]);
    if (ev !== LoginEvent.NONE) this.count(ev, this.sessions.serviceOf(slot), this.sessions.nameOf(slot), batch, i, client, out, false, this.sessions.credentialBytesOf(slot));
  }

  /** `answered`: the event is a server's reply (not a session's end): only those count as parallel. `credential`: the length of SOCKS5's credentials or AMI's Login action (login-sessions.ts credentialBytesOf), 0 unknown; `again`: XMPP, NNTP: that length was refused on the same connection before. */
  private count(ev: number, service: number, name: string, batch: PacketBatch, i: number, client: AddressKey, out: Alert[], answered: boolean, credential = 0, again = false): void {
    const cfg = this.cfg;
    if (!cfg.enabled) return;
    const ts = batch.ts[i];
    const c = this.clientSlot(client);
    this.services[c] |= 1 << service;
    if (ev === LoginEvent.SUCCESS) {
      if (cfg.successForgives) {
        this.failures.reset(c);
        this.burst.reset(c);
        this.failCount[c] = 0;
        this.undecided.reset(c);
        this.credentials.clear(c);
        this.lastBind[c] = 0;
      }
      return;
    }
    if (ev === LoginEvent.FAILURE && COUNTED_BY_LENGTH[service]) {
      if (credential !== 0) {
        if (!this.credentials.add(c, credential) && !again) return; // the same credentials again (on another connection)
      } else if (service !== Service.AMI) ev = LoginEvent.DENIED; // by rate
    }
    // Kerberos: an AS-REQ of a length new for the client is a failed login; a repeated or
    // unknown one goes to the 401 bucket (a stale password's retries, one account, one length)
    if (ev === LoginEvent.FAILURE && service === Service.KERBEROS && (credential === 0 || !this.credentials.add(c, credential))) ev = LoginEvent.DENIED;
    // Kerberos: a KDC answers at once (no fail delay), and a client retries a refused AS-REQ
    // right away with another etype or over TCP: two or three refusals within a second are
    // one logon, so only fail2ban's test counts them
    if (service === Service.KERBEROS) answered = false;
    // LDAP: a bind of the length of the client's previous refused one counts as parallel guessing only
    let slow = true;
    if (ev === LoginEvent.FAILURE && service === Service.LDAP && credential !== 0) {
      slow = credential !== this.lastBind[c];
      this.lastBind[c] = credential;
    }
    if (ts < this.tripped[c] + this.cooldownS && ts >= this.tripped[c] - CLOCK_STEP_S) {
      this.suppressed++;
      return;
    }
    if (ev === LoginEvent.FAILURE) {
      this.failCount[c]++;
      const fire = (counter: WindowCounter, maxretry: number, findtimeS: number, names: readonly [string, string]): boolean => {
        if (!counter.hit(c, ts)) return false;
        const firstTs = counter.windowStart(c);
        const score = riskScore(maxretry, maxretry, findtimeS, ts - firstTs);
        this.fire(batch, i, c, ts, firstTs, score, service, name, {
          failures: this.failCount[c], [names[0]]: maxretry, [names[1]]: findtimeS, windowS: seconds(ts - firstTs),
        }, out);
        return true;
      };
      if (answered && fire(this.burst, cfg.burstMaxretry, cfg.burstFindtimeS, ['parallel', 'burstFindtimeS'])) return;
      if (slow) fire(this.failures, cfg.maxretry, cfg.findtimeS, ['maxretry', 'findtimeS']);
      return;
    }
    if (ev === LoginEvent.DENIED) this.pourOne(this.httpDenied, this.deniedCount, 'denied', batch, i, c, ts, service, name, out);
    else this.pourOne(this.undecided, this.sessionCount, 'undecidedSessions', batch, i, c, ts, service, name, out); // UNDECIDED
  }

  /**
   * An HTTP connection's authentication went through after `legs` challenges (401/407) on
   * it: those were its steps (login-sessions.ts HTTP_AUTH_LEGS), taken back out of the
   * client's 401 bucket (only what it holds: nothing is banked ahead).
   */
  private authenticated(client: AddressKey, ts: number, legs: number): void {
    if (!this.cfg.enabled) return;
    const c = this.clients.find(client, 0, 0, 0);
    if (c < 0 || this.httpDenied.cooling(c, ts)) return;
    const level = this.httpDenied.leakTo(c, ts);
    if (level <= 0) return;
    this.httpDenied.pour(c, ts, -Math.min(legs, level));
    this.deniedCount[c] = Math.max(0, this.deniedCount[c]! - legs);
  }

  /** One unit into a client's bucket (undecided SSH sessions, HTTP 401/407s); its overflow fires with the episode's count as `countName`. */
  private pourOne(b: BucketTable, counts: Int32Array, countName: string, batch: PacketBatch, i: number, c: number, ts: number, service: number, name: string, out: Alert[]): void {
    if (b.leakTo(c, ts) === 0) counts[c] = 0;
    counts[c]++;
    if (!b.pour(c, ts, 1)) return;
    const firstTs = b.firstTs(c);
    const score = b.overflowScore(c, ts, firstTs);
    b.trip(c, ts);
    this.fire(batch, i, c, ts, firstTs, score, service, name, {
      [countName]: counts[c], threshold: b.threshold, leakPerS: b.leakPerS, windowS: seconds(ts - firstTs),
    }, out);
  }

  private fire(batch: PacketBatch, i: number, c: number, ts: number, firstTs: number, score: number, service: number, name: string, evidence: Record<string, number | string>, out: Alert[]): void {
    this.tripped[c] = ts;
    this.failures.reset(c);
    this.burst.reset(c);
    this.failCount[c] = 0;
    this.credentials.clear(c);
    const names: string[] = [];
    for (let k = 1; k < SERVICE_NAMES.length; k++) if (this.services[c] & (1 << k)) names.push(SERVICE_NAMES[k]!);
    this.alerts++;
    out.push(ruleAlert(service === Service.SSH ? 'ssh-brute-force' : 'brute-force', batch.formatAddress(i, 'dst'), batch.formatAddress(i, 'src'), score, ts, firstTs, true, {
      ...evidence, service: name, services: names.join(','), port: batch.srcPort[i],
    }));
  }

  private clientSlot(client: AddressKey): number {
    let c = this.clients.find(client, 0, 0, 0);
    if (c < 0) {
      c = this.clients.insert(client, 0, 0, 0);
      this.failures.reset(c);
      this.burst.reset(c);
      this.undecided.reset(c);
      this.httpDenied.reset(c);
      this.tripped[c] = -Infinity;
      this.failCount[c] = 0;
      this.sessionCount[c] = 0;
      this.deniedCount[c] = 0;
      this.services[c] = 0;
      this.credentials.clear(c);
      this.lastBind[c] = 0;
    }
    return c;
  }
}
