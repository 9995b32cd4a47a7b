// HTTP probing (http-errors.ts): the status line reader, the rule's configuration, and the
// rule on hand-built server sides of HTTP connections. The crafted captures of the class
// (nikto, gobuster, and the look-alikes) are in detect-rules-captures.test.ts.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { ACK, FIN, PSH, SYN, batchOf, withResent, type Pkt } from '../devkit/packets.ts';
import { EvidenceGrader, sparedAsForgeable } from '../src/detect/evidence-grade.ts';
import { httpStatus } from '../src/detect/rules/http-status.ts';
import { RulesConfigError, resolveRulesConfig, type RulesOverrides } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';

const bytes = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));
const status = (text: string, offset = 0) => {
  const b = bytes(text);
  return httpStatus(b, offset, Math.min(b.length - offset, 16));
};

describe('httpStatus', () => {
  test('reads the code of an HTTP/1.x status line from its first bytes', () => {
    assert.equal(status('HTTP/1.1 404 Not Found\r\n'), 404);
    assert.equal(status('HTTP/1.0 200 OK\r\n'), 200);
    assert.equal(status('HTTP/1.1 403\r\n'), 403, 'no reason phrase');
    assert.equal(status('HTTP/1.1 301'), 0, 'the 12 bytes alone: the space after the code is in the grammar (RFC 9112 §4)');
    assert.equal(status('xxxxHTTP/1.1 405 Method', 4), 405, 'at an offset');
  });

  test('reads RTSP/1.0 and RTSP/2.0 status lines as HTTP\'s (RFC 2326 §7.1, RFC 7826 §8.1: the same grammar and codes)', () => {
    assert.equal(status('RTSP/1.0 401 Unauthorized\r\n'), 401);
    assert.equal(status('RTSP/1.0 404 Not Found\r\n'), 404);
    assert.equal(status('RTSP/2.0 200 OK\r\n'), 200);
    for (const text of ['RTSP/1.1 200 OK\r\n', 'RTSP/3.0 200 OK\r\n', 'RTSP/1.0 2000 x', 'RTSP/1.0  401 x', 'DESCRIBE rtsp://cam/ RTSP/1.0\r\n', '$\x00\x05\x78RTSP/1.0 401 ']) {
      assert.equal(status(text), 0, JSON.stringify(text));
    }
  });

  test('anything else is 0: other protocols, HTTP/2, a short or malformed line, a code out of range', () => {
    for (const text of ['SSH-2.0-OpenSSH_9.2p1', '220 (vsFTPd 3.0.3)', 'HTTP/2 200\r\n', 'HTTP/1.1 40', 'HTTP/1.1 4044 x', 'HTTP/1.1 099 x',
      'HTTP/1.1 600 x', 'HTTP/1.1  404 x', 'http/1.1 404 x', 'HTTP/1.1 4O4 x', 'GET / HTTP/1.1\r\n', '\x16\x03\x01\x02\x00\x01']) {
      assert.equal(status(text), 0, JSON.stringify(text));
    }
  });
});

describe('httpProbing configuration', () => {
  const bad: Array<[string, RulesOverrides]> = [
    ['httpProbing.statuses', { httpProbing: { statuses: [] } }],
    ['httpProbing.statuses', { httpProbing: { statuses: [404, 404] } }],
    ['httpProbing.statuses', { httpProbing: { statuses: [200, 404] } }],
    ['httpProbing.statuses', { httpProbing: { statuses: [404.5] } }],
    ['httpProbing.statuses', { httpProbing: { statuses: Array.from({ length: 17 }, (_, k) => 400 + k) } }],
    ['httpProbing.successCredit', { httpProbing: { successCredit: -1 } }],
    ['httpProbing.threshold', { httpProbing: { threshold: 0 } }],
    ['httpProbing.leakPerS', { httpProbing: { leakPerS: 0 } }],
    ['httpProbing.enabled', { httpProbing: { enabled: 1 as unknown as boolean } }],
    ['httpProbing.paths', { httpProbing: { paths: 10 } as never }],
  ];
  for (const [field, overrides] of bad) {
    test(`refuses ${JSON.stringify(overrides)} naming ${field}`, () => {
      assert.throws(() => resolveRulesConfig(overrides), (err: unknown) => err instanceof RulesConfigError && err.field === field);
    });
  }
});

const SRV = '10.0.0.80';
const CLIENT = '10.0.0.1';
const REASON: Record<number, string> = { 200: 'OK', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many' };

/** The server's side of one connection: SYN-ACK, one answer per status (`gap` s apart), FIN. */
function conn(cp: number, t: number, codes: number[], opts: { client?: string; server?: string; gap?: number; first?: string } = {}): Pkt[] {
  const client = opts.client ?? CLIENT, server = opts.server ?? SRV, gap = opts.gap ?? 0.01;
  const seg = (dt: number, head?: string, flags = ACK | PSH): Pkt => ({ ts: t + dt, src: server, dst: client, sp: 80, dp: cp, flags, payload: head ? 200 : 0, head, verified: flags !== (SYN | ACK) });
  const pkts = [seg(0, undefined, SYN | ACK)];
  if (opts.first) pkts.push(seg(0.001, opts.first));
  codes.forEach((c, k) => {
    pkts.push(seg(0.002 + k * gap, `HTTP/1.1 ${c} ${REASON[c] ?? 'X'}`));
    pkts.push(seg(0.002 + k * gap + 0.0001, '<html><body>the rest of the body'));
  });
  pkts.push(seg(0.003 + codes.length * gap, undefined, FIN | ACK));
  return pkts;
}

/** `n` connections of one answer each, `every` s apart (nikto: one request per connection). */
const oneEach = (n: number, code: number, t = 1, every = 0.01, opts: { client?: string; server?: string } = {}) =>
  Array.from({ length: n }, (_, k) => conn(30000 + k, t + k * every, [code], opts)).flat();

function run(sr: SourceRules, pkts: Pkt[]): Alert[] {
  const out: Alert[] = [];
  sr.scan(batchOf(pkts), out);
  return out;
}

const cfg = (o: RulesOverrides['httpProbing'] = {}) => resolveRulesConfig({ httpProbing: o });

describe('http-probing rule', () => {
  test('a client drawing 200 error answers within a leak interval is alerted at the 200th, naming it as source and the server as target; 199 are not', () => {
    const sr = new SourceRules(cfg());
    assert.deepEqual(run(sr, oneEach(199, 404, 1, 0.004)), []);
    const out = run(sr, conn(40000, 1.8, [403]));
    assert.equal(out.length, 1);
    const a = out[0]!;
    assert.equal(a.type, 'http-probing');
    assert.equal(a.source, CLIENT);
    assert.equal(a.target, SRV);
    assert.equal(a.blockable, true);
    assert.equal(a.evidence.errors, 200);
    assert.equal(a.evidence.connections, 200);
    assert.equal(a.evidence.statuses, '403,404');
    assert.equal(a.evidence.lastStatus, 403);
    assert.equal(a.evidence.port, 80);
    assert.ok(a.score >= 0.5 && a.score <= 1);
  });

  test('keep-alive: many answers on one connection count each (dirb, gobuster)', () => {
    const out = run(new SourceRules(cfg()), conn(40000, 1, Array(250).fill(404), { gap: 0.002 }));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.connections, 1);
    assert.equal(out[0]!.evidence.errors, 200);
  });

  test('a retransmitted answer counts once: 150 404s on a keep-alive connection, each sent twice, stay below 200; 50 more fill it', () => {
    const sr = new SourceRules(cfg());
    const c = conn(40000, 1, Array(200).fill(404), { gap: 0.004 });
    // the connection cut after its 150th answer (301 segments: SYN-ACK, 150 status lines, 150 body segments), each status line resent 0.1 s later
    const first = withResent(c.slice(0, 301), (p) => p.head?.toString().startsWith('HTTP/') === true, 0.1);
    assert.deepEqual(run(sr, first), [], '150, not 300');
    const out = run(sr, c.slice(301));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.errors, 200);
  });

  test('hits take misses back: a client whose answers are half hits never fills it; without the credit it does', () => {
    const mixed = Array.from({ length: 300 }, (_, k) => conn(30000 + k, 1 + k * 0.01, [404, k % 10 === 0 ? 304 : 200])).flat();
    assert.deepEqual(run(new SourceRules(cfg()), mixed), []);
    assert.equal(run(new SourceRules(cfg({ successCredit: 0 })), mixed).length, 1);
  });

  test('the leak: a poller answered 404 once a second for 10 minutes never fills it; twice a second does', () => {
    const poll = (every: number) => conn(40000, 1, Array(Math.round(600 / every)).fill(404), { gap: every });
    assert.deepEqual(run(new SourceRules(cfg()), poll(1)), []);
    assert.equal(run(new SourceRules(cfg()), poll(0.5)).length, 1);
  });

  test('401, 429 and 1xx are neither misses nor hits; only the configured statuses count', () => {
    // (the 401s are the login rules' business: a guesser's bucket, brute-force)
    const probing = (out: Alert[]) => out.filter((a) => a.type === 'http-probing');
    const sr = new SourceRules(cfg());
    assert.deepEqual(probing(run(sr, [...oneEach(300, 401), ...oneEach(300, 429, 5)])), []);
    assert.equal(probing(run(new SourceRules(cfg({ statuses: [401] })), oneEach(300, 401))).length, 1);
  });

  test('a server whose first words are not a status line is not read (an SSH banner, then "HTTP/1.1 404" as data)', () => {
    const pkts = Array.from({ length: 300 }, (_, k) => conn(30000 + k, 1 + k * 0.01, [404], { first: 'SSH-2.0-OpenSSH_9.2' })).flat();
    assert.deepEqual(run(new SourceRules(cfg()), pkts), []);
  });

  test('keyed by client and server (as CrowdSec groups by source and site): 150 misses on each of two servers are not 300', () => {
    const pkts = [...oneEach(150, 404, 1, 0.01, { server: '10.0.0.81' }), ...oneEach(150, 404, 1.001, 0.01, { server: '10.0.0.82' })].sort((a, b) => a.ts - b.ts);
    assert.deepEqual(run(new SourceRules(cfg()), pkts), []);
  });

  test('after an alert the key is quiet for the cooldown (counted as suppressed), then alerts again', () => {
    const sr = new SourceRules(cfg());
    assert.equal(run(sr, oneEach(400, 404, 1, 0.005)).length, 1);
    assert.ok(sr.stats().suppressed! >= 199);
    assert.equal(run(sr, oneEach(400, 404, 400, 0.005)).length, 1, 'past cooldownS (300 s)');
  });

  test('the evidence counts the connections of each episode: one keep-alive connection that errs again after the cooldown is one connection again', () => {
    const sr = new SourceRules(cfg());
    const pkts = conn(40000, 1, [...Array(250).fill(404), ...Array(250).fill(404)], { gap: 0.004 });
    // the second 250 misses come after the cooldown on the same connection
    const late = pkts.map((p, k) => (k > 1 + 2 * 250 ? { ...p, ts: p.ts + 400 } : p));
    const out = run(sr, late);
    assert.equal(out.length, 2);
    assert.deepEqual(out.map((a) => a.evidence.connections), [1, 1]);
  });

  test('answers on connections the session verifier did not see completed are not counted (forged in the server\'s name)', () => {
    const forged = oneEach(400, 404).map((p) => ({ ...p, verified: false }));
    assert.deepEqual(run(new SourceRules(cfg()), forged), []);
  });

  test('the alert\'s evidence grades established: the client\'s verified connection to the server stands behind it', () => {
    const grader = new EvidenceGrader();
    const out = run(new SourceRules(cfg(), {}, grader), oneEach(200, 404, 1, 0.004));
    assert.equal(out.length, 1);
    grader.grade(out[0]!, true);
    assert.equal(out[0]!.grade, 'established');
    assert.equal(sparedAsForgeable(out[0]!), false);
  });

  test('disabled: nothing', () => {
    assert.deepEqual(run(new SourceRules(cfg({ enabled: false })), oneEach(400, 404)), []);
  });
});
