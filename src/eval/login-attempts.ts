// Counts, per client, the login attempts a capture shows, for `autoimmune eval`'s
// attempts-before-ban: the connections the client opened (its SYNs, retransmissions not
// counted) and the failed logins its servers reported, read the same way the detector reads
// them (login-sessions.ts) but with no threshold, no forgiveness and no cooldown (an HTTP
// 401/407 counts as one: against a guesser that is what each guess gets), and the web form
// logins the client sent (its POSTs to the default login paths, form-logins.ts: a failed
// form login is answered 200, so these are the attempts there; a retransmitted segment, the
// same sequence number as the client's last one on its connection, counts once, as the rule,
// http-flood.ts, passes it over). Fed every packet of the run,
// in any order across shards (a server's packets always come in order).

import { FlowTable } from '../detect/flow-table.ts';
import { loginRequestPath, prefixBytes } from '../detect/rules/form-logins.ts';
import { LoginEvent, LoginSessions } from '../detect/rules/login-sessions.ts';
import { DEFAULT_RULES } from '../detect/rules/rules-config.ts';
import { kerberosReply } from '../detect/rules/kerberos-reply.ts';
import { Reply } from '../detect/rules/service-replies.ts';
import { PAYLOAD_HEAD_BYTES, PacketFlags, type PacketBatch } from '../net/packet-batch.ts';

const SYN = 0x02, RST = 0x04, FIN = 0x01, ACK = 0x10;
const OPEN = 1, SERVER = 2;
const KERBEROS_PORT = 88;

export interface ClientAttempts {
  /** Capture times of the client's new connections. */
  connections: number[];
  /** Capture times of the failed logins its servers reported. */
  failures: number[];
  /** Capture times of its web form login requests. */
  loginRequests: number[];
}

export class LoginAttempts {
  private readonly sockets: FlowTable;
  private readonly state: Uint8Array;
  /** The client's last sequence number on the connection (its SYN's, then its last segment's with payload). */
  private readonly lastSeq: Int32Array;
  private readonly sessions: LoginSessions;
  private readonly posts = prefixBytes(DEFAULT_RULES.formLogin.paths);
  private readonly gets = prefixBytes(DEFAULT_RULES.formLogin.getPaths);
  readonly clients = new Map<string, ClientAttempts>();

  constructor(maxSockets = 1 << 18, throttleS = DEFAULT_RULES.bruteForce.throttleS) {
    this.sockets = new FlowTable(maxSockets);
    this.state = new Uint8Array(maxSockets);
    this.lastSeq = new Int32Array(maxSockets);
    this.sessions = new LoginSessions(maxSockets, throttleS);
  }

  scan(b: PacketBatch): void {
    for (let i = 0; i < b.length; i++) {
      const f = b.flags[i];
      // a KDC's refusals over UDP (kerberos-reply.ts; the detector reads only answers to a client's datagram)
      if (f & PacketFlags.UDP && b.srcPort[i] === KERBEROS_PORT && !(f & (PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED))) {
        const r = kerberosReply(b.head, i * PAYLOAD_HEAD_BYTES, b.payloadLen[i], b.headBytes(i), false);
        if (r === Reply.FAILURE || r === Reply.DENIED) this.of(b.formatAddress(i, 'dst')).failures.push(b.ts[i]);
        continue;
      }
      if (!(f & PacketFlags.TCP) || f & (PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED)) continue;
      const tf = b.tcpFlags[i];
      const src = b.hostKey(i, 'src');
      const dst = b.hostKey(i, 'dst');
      const sp = b.srcPort[i], dp = b.dstPort[i];
      if (tf & SYN && !(tf & (RST | FIN))) {
        let s = this.sockets.find(src, dst, sp, dp);
        const want = tf & ACK ? SERVER : OPEN;
        if (s >= 0 && this.state[s] === want) continue; // retransmission
        if (s < 0) s = this.sockets.insert(src, dst, sp, dp);
        this.state[s] = want;
        if (want === SERVER) this.sessions.open(s);
        else {
          this.lastSeq[s] = b.tcpSeq[i] | 0;
          this.of(b.formatAddress(i, 'src')).connections.push(b.ts[i]);
        }
        continue;
      }
      const s = this.sockets.find(src, dst, sp, dp);
      if (s >= 0 && this.state[s] === OPEN && b.payloadLen[i] > 0) {
        const seq = b.tcpSeq[i] | 0;
        const again = seq === this.lastSeq[s];
        this.lastSeq[s] = seq;
        if (!again && loginRequestPath(b, i, this.posts, this.gets) >= 0) this.of(b.formatAddress(i, 'src')).loginRequests.push(b.ts[i]);
      }
      if (s < 0 || this.state[s] !== SERVER) continue;
      let ev: number = LoginEvent.NONE;
      if (b.payloadLen[i] > 0 && this.sessions.following(s)) ev = this.sessions.segment(s, b, i);
      if (tf & (RST | FIN)) {
        const end = this.sessions.close(s, b.ts[i], b.tcpAck[i]);
        if (ev === LoginEvent.NONE) ev = end;
        this.state[s] = 0;
      }
      if (ev === LoginEvent.FAILURE || ev === LoginEvent.DENIED) this.of(b.formatAddress(i, 'dst')).failures.push(b.ts[i]);
    }
  }

  /** How many of the client's connections, failed logins and form login requests came within capture times [from, ts]. */
  between(client: string, from: number, ts: number): { connections: number; failures: number; loginRequests: number } {
    const c = this.clients.get(client);
    if (!c) return { connections: 0, failures: 0, loginRequests: 0 };
    const n = (xs: number[]) => xs.filter((t) => t >= from && t <= ts).length;
    return { connections: n(c.connections), failures: n(c.failures), loginRequests: n(c.loginRequests) };
  }

  private of(client: string): ClientAttempts {
    let c = this.clients.get(client);
    if (!c) this.clients.set(client, (c = { connections: [], failures: [], loginRequests: [] }));
    return c;
  }
}
