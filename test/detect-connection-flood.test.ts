// Connection floods (connection-flood.ts): the rule's configuration, the TLS reader, and the
// rule on hand-built client sides of connections, as the client's shard sees them. The
// crafted captures (an HTTPS Hulk, a TLS handshake flood, a connect flood, an SSH connection
// flood, and the look-alikes) are in detect-rules-captures.test.ts.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { ACK, FIN, PSH, RST, SYN, batchOf, type Pkt } from '../devkit/packets.ts';
import { EvidenceGrader } from '../src/detect/evidence-grade.ts';
import { DEFAULT_RULES, RulesConfigError, resolveRulesConfig, type RulesOverrides } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';
import { tlsClientHello, tlsHandshakeRecord } from '../src/detect/rules/tls-record.ts';
import { ftpPassiveCommand } from '../src/detect/rules/connection-flood.ts';

describe('connectionFlood configuration', () => {
  const bad: Array<[string, RulesOverrides]> = [
    ['connectionFlood.threshold', { connectionFlood: { threshold: 0 } }],
    ['connectionFlood.leakPerS', { connectionFlood: { leakPerS: 0 } }],
    ['connectionFlood.enabled', { connectionFlood: { enabled: 1 as unknown as boolean } }],
    ['connectionFlood.burst', { connectionFlood: { burst: 3 } as never }],
  ];
  for (const [field, overrides] of bad) {
    test(`refuses ${JSON.stringify(overrides)} naming ${field}`, () => {
      assert.throws(() => resolveRulesConfig(overrides), (err: unknown) => err instanceof RulesConfigError && err.field === field && err.message.includes(field));
    });
  }
});

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HELLO = '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03abcde';

describe('TLS record reader', () => {
  test('a ClientHello of TLS 1.0-1.3 records (legacy versions 3.1 and 3.3) and SSL 3.0', () => {
    for (const v of ['\x01', '\x03', '\x00']) assert.equal(tlsClientHello(bytes(`\x16\x03${v}\x00\x40\x01`), 0, 6), true, `version 3.${v.charCodeAt(0)}`);
  });
  test('a ServerHello, an alert, application data, a record cut before its type, HTTP: no ClientHello', () => {
    assert.equal(tlsClientHello(bytes('\x16\x03\x03\x00\x7a\x02'), 0, 6), false);
    assert.equal(tlsHandshakeRecord(bytes('\x16\x03\x03\x00\x7a\x02'), 0, 6), true);
    assert.equal(tlsClientHello(bytes('\x15\x03\x03\x00\x02\x02'), 0, 6), false);
    assert.equal(tlsClientHello(bytes('\x17\x03\x03\x01\x00\x01'), 0, 6), false);
    assert.equal(tlsClientHello(bytes('\x16\x03\x01\x02\x00'), 0, 5), false);
    assert.equal(tlsClientHello(bytes('GET / HTTP/1.1\r\n'), 0, 16), false);
    assert.equal(tlsHandshakeRecord(bytes('\x16\x03\x05\x00\x10\x01'), 0, 6), false, 'no record version 3.5');
  });
  test('read at its offset within a batch\'s heads', () => {
    const h = new Uint8Array(32);
    h.set(bytes(HELLO), 16);
    assert.equal(tlsClientHello(h, 16, 16), true);
    assert.equal(tlsClientHello(h, 0, 16), false);
  });
});

describe('FTP passive commands', () => {
  test('PASV and EPSV in any case, alone or with an argument; not PASS (the password), PORT, EPRT, PASVX', () => {
    const yes = (t: string) => ftpPassiveCommand(bytes(t), 0, t.length);
    for (const t of ['PASV\r\n', 'pasv\r\n', 'EPSV\r\n', 'EPSV 2\r\n', 'epsv ALL\r\n', 'PASV']) assert.equal(yes(t), true, t);
    for (const t of ['PASS hunter2\r\n', 'PORT 10,0,0,1,4,1\r\n', 'EPRT |1|10.0.0.1|1025|\r\n', 'PASVX\r\n', 'PAS', 'EPS\r\n']) assert.equal(yes(t), false, t);
  });
});

const SRV = '10.0.0.80';
const CLIENT = '203.0.113.5';

/**
 * The client's side of one connection from port `cp` at `t` to port `dp`: SYN, the
 * handshake's ACK, `first` as its first segment (none: an empty connection), then a FIN (or
 * an RST). `verified` (default true): the session verifier saw the handshake complete.
 */
function conn(cp: number, t: number, first: string | null, opts: { client?: string; server?: string; dp?: number; verified?: boolean; close?: 'fin' | 'rst' | 'none' } = {}): Pkt[] {
  const client = opts.client ?? CLIENT, server = opts.server ?? SRV, verified = opts.verified ?? true, dp = opts.dp ?? 443;
  const pkts: Pkt[] = [{ ts: t, src: client, dst: server, sp: cp, dp, flags: SYN, seq: 1000 }];
  pkts.push({ ts: t + 0.001, src: client, dst: server, sp: cp, dp, flags: ACK, seq: 1001, verified });
  let seq = 1001;
  if (first !== null) {
    pkts.push({ ts: t + 0.002, src: client, dst: server, sp: cp, dp, flags: ACK | PSH, seq, payload: 517, head: first, verified });
    seq += 517;
  }
  const close = opts.close ?? 'fin';
  if (close !== 'none') pkts.push({ ts: t + 0.003, src: client, dst: server, sp: cp, dp, flags: close === 'fin' ? FIN | ACK : RST | ACK, seq, verified });
  return pkts;
}

const many = (n: number, first: string | null, every = 0.00005, opts: Parameters<typeof conn>[3] = {}) =>
  Array.from({ length: n }, (_, k) => conn(20000 + k, 1 + k * every, first, opts)).flat();

function run(sr: SourceRules, pkts: Pkt[]): Alert[] {
  const out: Alert[] = [];
  sr.scan(batchOf(pkts.sort((a, b) => a.ts - b.ts)), out);
  return out;
}

const floods = (out: Alert[]) => out.filter((a) => a.type === 'connection-flood');
const D = DEFAULT_RULES.connectionFlood;

describe('connection-flood rule', () => {
  test(`${D.threshold} TLS handshakes within a leak interval fire at the last, naming the client and the server, blockable; one fewer does not`, () => {
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), many(D.threshold - 1, HELLO))), []);
    const f = floods(run(new SourceRules(DEFAULT_RULES), many(D.threshold, HELLO)));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.source, CLIENT);
    assert.equal(f[0]!.target, SRV);
    assert.equal(f[0]!.blockable, true);
    assert.equal(f[0]!.evidence.connections, D.threshold);
    assert.equal(f[0]!.evidence.tls, D.threshold);
    assert.equal(f[0]!.evidence.empty, 0);
    assert.equal(f[0]!.evidence.port, 443);
  });

  test('connections closed without a byte count, by FIN or by RST, on any port (a connect flood, an SSH server\'s slots)', () => {
    for (const close of ['fin', 'rst'] as const) {
      const f = floods(run(new SourceRules(DEFAULT_RULES), many(D.threshold, null, 0.00005, { dp: 22, close })));
      assert.equal(f.length, 1, close);
      assert.equal(f[0]!.evidence.empty, D.threshold);
      assert.equal(f[0]!.evidence.port, 22);
    }
  });

  test('over IPv6 as over IPv4', () => {
    const f = floods(run(new SourceRules(DEFAULT_RULES), many(D.threshold, HELLO, 0.00005, { client: '2001:db8::5', server: '2001:db8::80' })));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.source, '2001:db8::5');
    assert.equal(f[0]!.target, '2001:db8::80');
  });

  test('TLS handshakes and empty connections fill one bucket', () => {
    const half = D.threshold / 2;
    const pkts = [...many(half, HELLO), ...many(half, null, 0.00005).map((p) => ({ ...p, sp: p.sp! + 10000 }))];
    const f = floods(run(new SourceRules(DEFAULT_RULES), pkts));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.evidence.tls, half);
    assert.equal(f[0]!.evidence.empty, half);
  });

  test('connections carrying anything but a ClientHello count nothing: a database\'s or a mail server\'s clients, plain HTTP (http-flood\'s), TLS application data', () => {
    for (const first of ['GET / HTTP/1.1\r\n', '\x00\x00\x00\x08\x04\xd2\x16\x2f', 'EHLO mail.examp', '\x17\x03\x03\x01\x00abc']) {
      assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), many(1000, first))), [], JSON.stringify(first));
    }
  });

  test('a connection still open is not empty yet; the client closing one after the handshake it never completed is none of this rule\'s', () => {
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), many(1000, null, 0.00005, { close: 'none' }))), []);
    const halfOpen = Array.from({ length: 1000 }, (_, k): Pkt[] => [
      { ts: 1 + k * 0.00005, src: CLIENT, dst: SRV, sp: 20000 + k, dp: 443, flags: SYN, seq: 1000 },
      { ts: 1 + k * 0.00005 + 0.001, src: CLIENT, dst: SRV, sp: 20000 + k, dp: 443, flags: RST, seq: 1001 },
    ]).flat();
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), halfOpen)), []);
  });

  test('connections the session verifier did not see completed count nothing (handshakes forged in the client\'s name)', () => {
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), many(1000, HELLO, 0.00005, { verified: false }))), []);
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), many(1000, null, 0.00005, { verified: false }))), []);
  });

  test('a client opening fewer connections a second than the leak never fires, however long', () => {
    // 40 a second for 30 s
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), many(1200, HELLO, 1 / 40))), []);
  });

  test('counted per server: the same connections spread over two servers stay below the threshold at each', () => {
    const n = D.threshold - 10;
    const pkts = [...many(n, HELLO, 0.00005, { server: '10.0.0.80' }), ...many(n, HELLO, 0.00005, { server: '10.0.0.81' }).map((p) => ({ ...p, sp: p.sp! + 10000 }))];
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), pkts)), []);
  });

  test('after an alert the pair stays quiet for the cooldown; disabled, nothing', () => {
    assert.equal(floods(run(new SourceRules(DEFAULT_RULES), many(3 * D.threshold, HELLO))).length, 1);
    assert.deepEqual(floods(run(new SourceRules(resolveRulesConfig({ connectionFlood: { enabled: false } })), many(1000, HELLO))), []);
  });

  test('an FTP client\'s passive data connections (after PASV or EPSV to that server) are no flood: a mirror fetching 1,000 small files; the same without PASV is', () => {
    const control = (cmd: string): Pkt[] => [
      { ts: 0.5, src: CLIENT, dst: SRV, sp: 19999, dp: 21, flags: SYN, seq: 1 },
      { ts: 0.501, src: CLIENT, dst: SRV, sp: 19999, dp: 21, flags: ACK, seq: 2, verified: true },
      { ts: 0.502, src: CLIENT, dst: SRV, sp: 19999, dp: 21, flags: ACK | PSH, seq: 2, payload: cmd.length, head: cmd, verified: true },
    ];
    const data = many(1000, null, 0.002, { dp: 30000 });
    for (const cmd of ['PASV\r\n', 'EPSV\r\n', 'epsv 2\r\n']) assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), [...control(cmd), ...data])), [], cmd);
    assert.equal(floods(run(new SourceRules(DEFAULT_RULES), [...control('NOOP\r\n'), ...data])).length, 1);
    // to a privileged port (a connect flood on 443 by a client that also speaks FTP) it still counts
    assert.equal(floods(run(new SourceRules(DEFAULT_RULES), [...control('PASV\r\n'), ...many(1000, null, 0.002, { dp: 443 })])).length, 1);
  });

  test('the alert\'s evidence grades established: the client\'s own verified connections stand behind it', () => {
    const out = floods(run(new SourceRules(DEFAULT_RULES, {}, new EvidenceGrader()), many(D.threshold, HELLO)));
    assert.equal(out[0]!.grade, 'established');
  });
});
