// HTTP floods and slow HTTP (http-flood.ts): the rules' configuration, and the rules on
// hand-built client sides of HTTP connections, as the client's shard sees them. The crafted
// captures of the class (Hulk, GoldenEye, LOIC, a keep-alive flood, slowloris, slowhttptest's
// slow body, and the look-alikes) are in detect-rules-captures.test.ts.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { ACK, FIN, PSH, SYN, batchOf, type Pkt } from '../devkit/packets.ts';
import { EvidenceGrader } from '../src/detect/evidence-grade.ts';
import { DEFAULT_RULES, RulesConfigError, resolveRulesConfig, type RulesOverrides } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';

describe('httpFlood and slowHttp configuration', () => {
  const bad: Array<[string, RulesOverrides]> = [
    ['httpFlood.threshold', { httpFlood: { threshold: 0 } }],
    ['httpFlood.leakPerS', { httpFlood: { leakPerS: 0 } }],
    ['httpFlood.connectionThreshold', { httpFlood: { connectionThreshold: 2.5 } }],
    ['httpFlood.connectionLeakPerS', { httpFlood: { connectionLeakPerS: -1 } }],
    ['httpFlood.enabled', { httpFlood: { enabled: 'yes' as unknown as boolean } }],
    ['httpFlood.burst', { httpFlood: { burst: 10 } as never }],
    ['slowHttp.threshold', { slowHttp: { threshold: 0 } }],
    ['slowHttp.windowS', { slowHttp: { windowS: 0 } }],
    ['slowHttp.gapS', { slowHttp: { gapS: -5 } }],
    ['slowHttp.minRateBps', { slowHttp: { minRateBps: Number.NaN } }],
  ];
  for (const [field, overrides] of bad) {
    test(`refuses ${JSON.stringify(overrides)} naming ${field}`, () => {
      assert.throws(() => resolveRulesConfig(overrides), (err: unknown) => err instanceof RulesConfigError && err.field === field && err.message.includes(field));
    });
  }
});

const SRV = '10.0.0.80';
const CLIENT = '203.0.113.5';
const GET = 'GET /?a=1 HTTP/1.1';

/**
 * The client's side of one connection from port `cp` at `t`: SYN, the handshake's ACK, then
 * one segment per [seconds after t, head, bytes], a FIN after the last. `verified` (default
 * true): the session verifier saw the handshake complete.
 */
function conn(cp: number, t: number, segs: Array<[number, string, number?]>, opts: { client?: string; server?: string; verified?: boolean; fin?: boolean } = {}): Pkt[] {
  const client = opts.client ?? CLIENT, server = opts.server ?? SRV, verified = opts.verified ?? true;
  const pkts: Pkt[] = [{ ts: t, src: client, dst: server, sp: cp, dp: 80, flags: SYN, seq: 1000 }];
  pkts.push({ ts: t + 0.001, src: client, dst: server, sp: cp, dp: 80, flags: ACK, seq: 1001, verified });
  let seq = 1001;
  let last = 0.001;
  for (const [dt, head, len] of segs) {
    const n = len ?? Math.max(head.length, 200);
    pkts.push({ ts: t + dt, src: client, dst: server, sp: cp, dp: 80, flags: ACK | PSH, seq, payload: n, head, verified });
    seq += n;
    last = dt;
  }
  if (opts.fin ?? true) pkts.push({ ts: t + last + 0.001, src: client, dst: server, sp: cp, dp: 80, flags: FIN | ACK, seq, verified });
  return pkts;
}

/** `n` connections of one request each, `every` s apart (Hulk, LOIC). */
const oneEach = (n: number, t = 1, every = 0.001, opts: { client?: string; server?: string; verified?: boolean } = {}) =>
  Array.from({ length: n }, (_, k) => conn(20000 + k, t + k * every, [[0.002, GET]], opts)).flat().sort((a, b) => a.ts - b.ts);

function run(sr: SourceRules, pkts: Pkt[]): Alert[] {
  const out: Alert[] = [];
  sr.scan(batchOf(pkts.sort((a, b) => a.ts - b.ts)), out);
  return out;
}

const floods = (out: Alert[]) => out.filter((a) => a.type === 'http-flood');
const slows = (out: Alert[]) => out.filter((a) => a.type === 'slow-http');
const D = DEFAULT_RULES.httpFlood;

describe('http-flood rule: connections', () => {
  test(`${D.connectionThreshold} request-carrying connections within a leak interval fire at the last, naming the client and the server, blockable; one fewer does not`, () => {
    // all inside the first leak interval (1/50 s), so nothing leaks before the threshold
    const few = run(new SourceRules(DEFAULT_RULES), oneEach(D.connectionThreshold - 1, 1, 0.00005));
    assert.deepEqual(floods(few), []);
    const out = run(new SourceRules(DEFAULT_RULES), oneEach(D.connectionThreshold, 1, 0.00005));
    const f = floods(out);
    assert.equal(f.length, 1);
    assert.equal(f[0]!.source, CLIENT);
    assert.equal(f[0]!.target, SRV);
    assert.equal(f[0]!.blockable, true);
    assert.equal(f[0]!.evidence.by, 'connections');
    assert.equal(f[0]!.evidence.connections, D.connectionThreshold);
    assert.equal(f[0]!.evidence.method, 'GET');
    assert.equal(f[0]!.evidence.port, 80);
  });

  test('a client opening fewer connections a second than the leak never fires, however long', () => {
    // 40 a second for 30 s: 1200 connections
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), oneEach(1200, 1, 1 / 40))), []);
  });

  test('connections the session verifier did not see completed count nothing (a forged handshake in the client\'s name)', () => {
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), oneEach(1000, 1, 0.0001, { verified: false }))), []);
  });

  test('connections that carry no HTTP request line (TLS, another protocol) count nothing', () => {
    const tls = Array.from({ length: 600 }, (_, k) => conn(20000 + k, 1 + k * 0.0001, [[0.002, '\x16\x03\x01\x02\x00\x01\x00\x01'], [0.003, GET]])).flat();
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), tls)), []);
  });

  test('counted per server: the same connections spread over two servers stay below the threshold at each', () => {
    const half = D.connectionThreshold - 10;
    const pkts = [...oneEach(half, 1, 0.00005, { server: '10.0.0.80' }), ...oneEach(half, 1, 0.00005, { server: '10.0.0.81' }).map((p) => ({ ...p, sp: p.sp! + 10000 }))];
    assert.deepEqual(floods(run(new SourceRules(DEFAULT_RULES), pkts)), []);
  });

  test('after an alert the pair stays quiet for the cooldown', () => {
    const out = run(new SourceRules(DEFAULT_RULES), oneEach(3 * D.connectionThreshold, 1, 0.00005));
    assert.equal(floods(out).length, 1);
  });

  test('disabled: nothing', () => {
    const sr = new SourceRules(resolveRulesConfig({ httpFlood: { enabled: false } }));
    assert.deepEqual(floods(run(sr, oneEach(1000, 1, 0.0001))), []);
  });

  test('the alert\'s evidence grades established: the client\'s own verified connections stand behind it', () => {
    const grader = new EvidenceGrader();
    const out = floods(run(new SourceRules(DEFAULT_RULES, {}, grader), oneEach(D.connectionThreshold, 1, 0.00005)));
    assert.equal(out[0]!.grade, 'established');
  });
});

describe('http-flood rule: requests on kept connections', () => {
  const cfg = resolveRulesConfig({ httpFlood: { threshold: 100, leakPerS: 10 } });

  test('100 requests on 2 keep-alive connections within a leak interval fire by requests; 99 do not', () => {
    const ka = (n: number) => [0, 1].flatMap((c) => conn(30000 + c, 1, Array.from({ length: n / 2 }, (_, k): [number, string] => [0.002 + k * 0.001 + c * 0.0005, GET])));
    assert.deepEqual(floods(run(new SourceRules(cfg), ka(98))), []);
    const out = floods(run(new SourceRules(cfg), ka(100)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.by, 'requests');
    assert.equal(out[0]!.evidence.requests, 100);
    assert.equal(out[0]!.evidence.connections, 2);
  });

  test('the rest of a request (headers, a body: no request line) is no request', () => {
    const body = conn(30000, 1, Array.from({ length: 300 }, (_, k): [number, string] => [0.002 + k * 0.001, k === 0 ? 'POST /up HTTP/1.1' : 'aaaaaaaaaaaaaaaa']));
    assert.deepEqual(floods(run(new SourceRules(cfg), body)), []);
  });

  test('a retransmitted request (the same sequence number again) counts once', () => {
    const c = conn(30000, 1, [[0.002, GET]]);
    const seg = c[2]!;
    const again = Array.from({ length: 150 }, (_, k) => ({ ...seg, ts: seg.ts + 0.0001 * (k + 1) }));
    assert.deepEqual(floods(run(new SourceRules(cfg), [...c.slice(0, 3), ...again])), []);
  });
});

describe('slow-http rule', () => {
  const S = DEFAULT_RULES.slowHttp;
  /** `n` slowloris connections: the request line, then `pieces` header lines `gap` s apart. */
  const loris = (n: number, gap = 15, pieces = 1, piece = 'X-a: 4242\r\n', len?: number) =>
    Array.from({ length: n }, (_, k) => conn(40000 + k, 1 + k * 0.01, [[0.002, 'GET /?7 HTTP/1.1\r\n', 19], ...Array.from({ length: pieces }, (_, j): [number, string, number?] => [0.002 + gap * (j + 1), piece, len ?? piece.length])], { fin: false })).flat();

  test(`${S.threshold} connections each trickling a header line 15 s after its request line fire at the last, naming the client and the server; one fewer does not`, () => {
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), loris(S.threshold - 1))), []);
    const out = slows(run(new SourceRules(DEFAULT_RULES), loris(S.threshold)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.source, CLIENT);
    assert.equal(out[0]!.target, SRV);
    assert.equal(out[0]!.blockable, true);
    assert.equal(out[0]!.evidence.connections, S.threshold);
    assert.equal(out[0]!.evidence.lastGapS, 15);
  });

  test('one connection trickling many times counts once per window: a few connections never fire', () => {
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), loris(S.threshold - 1, 6, 40))), []);
  });

  test(`a piece sooner than ${S.gapS} s after the previous one is no trickle`, () => {
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), loris(50, S.gapS * 0.8, 3))), []);
  });

  test('a late segment carrying more than the minimum rate over its pause is no trickle (a slow but real upload)', () => {
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), loris(50, 15, 1, 'aaaaaaaaaaaaaaaa', S.minRateBps * 15 + 100))), []);
  });

  test('WebSocket frames (binary, masked) and new requests on kept connections are no trickles', () => {
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), loris(50, 25, 3, '\x89\x80\x12\x34\x56\x78', 6))), []);
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), loris(50, 30, 3, 'GET /poll HTTP/1.1\r\n', 300))), []);
  });

  test('unverified connections count nothing', () => {
    const pkts = loris(50).map((p) => ({ ...p, verified: false }));
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), pkts)), []);
  });
});

describe('slow-http rule: slow read', () => {
  const S = DEFAULT_RULES.slowHttp;
  /** `n` connections: a request, then the client's ACKs advertising `win` (scaled by `shift`) every second for `secs` s. */
  const readers = (n: number, win: number, secs = 8) =>
    Array.from({ length: n }, (_, k) => {
      const cp = 45000 + k, t = 1 + k * 0.01;
      const c = conn(cp, t, [[0.002, 'GET /big HTTP/1.1\r\n']], { fin: false });
      for (let j = 1; j <= secs; j++) c.push({ ts: t + j, src: CLIENT, dst: SRV, sp: cp, dp: 80, flags: ACK, seq: 2000, win, verified: true });
      return c;
    }).flat();
  /** Scan with the SYNs offering window shift `shift` (RFC 7323). */
  const runShifted = (pkts: Pkt[], shift: number) => {
    const b = batchOf(pkts.sort((a, c) => a.ts - c.ts));
    for (let i = 0; i < b.length; i++) if (b.tcpFlags[i] === SYN) b.tcpWscale[i] = shift;
    const out: Alert[] = [];
    new SourceRules(DEFAULT_RULES).scan(b, out);
    return slows(out);
  };

  test(`${S.threshold} connections whose client holds a window of 256 bytes for 5 s after its request fire (slowhttptest -X); one fewer does not`, () => {
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), readers(S.threshold - 1, 256))), []);
    const out = slows(run(new SourceRules(DEFAULT_RULES), readers(S.threshold, 256)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.last, 'window');
    assert.equal(out[0]!.source, CLIENT);
    assert.equal(out[0]!.target, SRV);
  });

  test('the window is read with the shift the client\'s SYN offered: 22 × 2^7 = 2816 bytes is small, 23 × 2^7 = 2944 is not', () => {
    assert.equal(runShifted(readers(S.threshold, 22), 7).length, 1);
    assert.deepEqual(runShifted(readers(S.threshold, 23), 7), []);
  });

  test('a window held small for less than gapS, or opening again in between, is no slow read', () => {
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), readers(50, 256, Math.floor(S.gapS) - 1))), []);
    const flapping = readers(50, 256).map((p, k) => (p.flags === ACK && p.win === 256 && k % 2 === 0 ? { ...p, win: 64240 } : p));
    assert.deepEqual(slows(run(new SourceRules(DEFAULT_RULES), flapping)), []);
  });

  test('off with minWindowBytes 0', () => {
    const sr = new SourceRules(resolveRulesConfig({ slowHttp: { minWindowBytes: 0 } }));
    assert.deepEqual(slows(run(sr, readers(50, 0))), []);
  });
});
