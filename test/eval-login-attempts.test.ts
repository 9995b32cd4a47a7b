// eval's attempts-before-ban counts (src/eval/login-attempts.ts): a client's form login
// requests are counted as the rule counts them (form-logins.ts through http-flood.ts), a
// retransmitted request once.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { LoginAttempts } from '../src/eval/login-attempts.ts';
import { ACK, PSH, SYN, batchOf, type Pkt } from '../devkit/packets.ts';

const C = '10.0.0.9', S = '10.0.0.80';
const cli = (ts: number, flags: number, seq: number, head?: string, payload = 0): Pkt => ({ ts, src: C, dst: S, sp: 40000, dp: 80, flags, seq, head, payload });
const srv = (ts: number, flags: number, seq: number, ack: number): Pkt => ({ ts, src: S, dst: C, sp: 80, dp: 40000, flags, seq, ack });

test('a retransmitted POST to a login path (the same sequence number on the same connection) counts once', () => {
  const post = 'POST /login HTTP/1.1\r\n';
  const pkts = [
    cli(1, SYN, 100),
    srv(1.001, SYN | ACK, 5000, 101),
    cli(1.002, ACK, 101),
    cli(1.003, ACK | PSH, 101, post, 300),
    cli(1.3, ACK | PSH, 101, post, 300), // its retransmission
    cli(2, ACK | PSH, 401, post, 300), // the next guess
    cli(2.5, ACK | PSH, 701, 'GET /page HTTP/1.1', 200),
    cli(2.8, ACK | PSH, 701, 'GET /page HTTP/1.1', 200), // a retransmitted other request
    cli(3, ACK | PSH, 901, post, 300), // and a guess after it
  ];
  const attempts = new LoginAttempts(1024);
  attempts.scan(batchOf(pkts));
  assert.deepEqual(attempts.clients.get(C)?.loginRequests, [1.003, 2, 3]);
  assert.deepEqual(attempts.between(C, 0, 10), { connections: 1, failures: 0, loginRequests: 3 });
});
