// Per-source floods of forgeable packets (pair-flood.ts): the ping flood on hand-built echo
// requests, as the source's shard sees them, and the ACK flood by the bare RSTs its host
// refuses it with, as the host's shard sees them. The crafted captures (ping -f and hping3 -A
// from one address, and what is no flood) are in detect-rules-captures.test.ts.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { ACK, PSH, RST, batchOf, type Pkt } from '../devkit/packets.ts';
import { DEFAULT_RULES, RulesConfigError, resolveRulesConfig, type RulesOverrides } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { PacketFlags } from '../src/net/packet-batch.ts';

describe('icmpSourceFlood configuration', () => {
  const bad: Array<[string, RulesOverrides]> = [
    ['icmpSourceFlood.threshold', { icmpSourceFlood: { threshold: 0 } }],
    ['icmpSourceFlood.leakPerS', { icmpSourceFlood: { leakPerS: -1 } }],
    ['icmpSourceFlood.enabled', { icmpSourceFlood: { enabled: 'no' as unknown as boolean } }],
    ['refusedFlood.threshold', { refusedFlood: { threshold: 1.5 } }],
    ['refusedFlood.leakPerS', { refusedFlood: { leakPerS: 0 } }],
    ['rstSourceFlood.threshold', { rstSourceFlood: { threshold: 0 } }],
    ['rstSourceFlood.enabled', { rstSourceFlood: { enabled: 'yes' as unknown as boolean } }],
  ];
  for (const [field, overrides] of bad) {
    test(`refuses ${JSON.stringify(overrides)} naming ${field}`, () => {
      assert.throws(() => resolveRulesConfig(overrides), (err: unknown) => err instanceof RulesConfigError && err.field === field && err.message.includes(field));
    });
  }
});

const SRC = '198.51.100.81';
const HOST = '10.0.0.80';
const D = DEFAULT_RULES.icmpSourceFlood;

/** `n` echo requests (ICMPv6 ones when `six`) from `src` to `dst`, `every` s apart from t = 1. */
function pings(n: number, every: number, opts: { src?: string; dst?: string; six?: boolean; type?: number } = {}): Pkt[] {
  const src = opts.src ?? (opts.six ? '2001:db8::81' : SRC), dst = opts.dst ?? (opts.six ? '2001:db8::80' : HOST);
  return Array.from({ length: n }, (_, k): Pkt => ({ ts: 1 + k * every, src, dst, proto: 'icmp', icmpType: opts.type ?? (opts.six ? 128 : 8), payload: 56 }));
}

function run(pkts: Pkt[], config = DEFAULT_RULES): Alert[] {
  const out: Alert[] = [];
  new SourceRules(config).scan(batchOf(pkts.sort((a, b) => a.ts - b.ts)), out);
  return out;
}
const floods = (out: Alert[]) => out.filter((a) => a.type === 'icmp-flood' && a.blockable);

describe('icmp-flood by source (pair-flood.ts)', () => {
  test(`${D.threshold} echo requests within a leak interval fire at the last, naming the source and the host, blockable, forgeable evidence; one fewer does not`, () => {
    assert.deepEqual(floods(run(pings(D.threshold - 1, 1e-7))), []);
    const f = floods(run(pings(D.threshold, 1e-7)));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.source, SRC);
    assert.equal(f[0]!.target, HOST);
    assert.equal(f[0]!.grade, 'forgeable');
    assert.equal(f[0]!.evidence.packets, D.threshold);
  });

  test('ICMPv6 echo requests too', () => {
    assert.equal(floods(run(pings(3 * D.threshold, 1 / 20000, { six: true }))).length, 1);
  });

  test('a pinger under the leak never fires, however long (ping -f at 800 a second for 30 s)', () => {
    assert.deepEqual(floods(run(pings(24000, 1 / 800))), []);
  });

  test('port unreachables (BlackNurse, type 3 code 3) from one source count as well', () => {
    assert.equal(floods(run(pings(3 * D.threshold, 1 / 20000, { type: 3 }))).length, 1);
  });

  test('echo replies, neighbour discovery, and requests spread over hosts each under the threshold, are no flood of the source', () => {
    assert.deepEqual(floods(run(pings(5000, 1 / 20000, { type: 0 }))), []);
    assert.deepEqual(floods(run(pings(5000, 1 / 20000, { six: true, type: 129 }))), []);
    assert.deepEqual(floods(run(pings(5000, 1 / 20000, { six: true, type: 135 }))), []);
    const spread = [0, 1, 2, 3].flatMap((h) => pings(D.threshold - 100, 1 / 20000, { dst: `10.0.0.${90 + h}` }));
    assert.deepEqual(floods(run(spread)), []);
  });

  test('after an alert the pair is quiet for the cooldown; disabled, nothing', () => {
    assert.equal(floods(run(pings(20000, 1 / 20000))).length, 1);
    assert.deepEqual(floods(run(pings(20000, 1 / 20000), resolveRulesConfig({ icmpSourceFlood: { enabled: false } }))), []);
  });
});

const R = DEFAULT_RULES.refusedFlood;
const CLIENT = '198.51.100.82';

/**
 * `client`'s segments with ACK of no connection (hping3 -A: a random acknowledgment number) and
 * the host's bare RST refusing each 0.1 ms later (RFC 9293 §3.10.7.1: its seq is the segment's
 * ack), a new 4-tuple each (`samePorts`: one), `every` s apart from t = 1. `stray: false`: the
 * RSTs alone, as sent to the client by whoever wants it named (hping3 -R at it).
 */
function refusals(n: number, every: number, opts: { client?: string; flags?: number; samePorts?: boolean; stray?: boolean } = {}): Pkt[] {
  const client = opts.client ?? CLIENT;
  return Array.from({ length: n }, (_, k): Pkt[] => {
    const sp = opts.samePorts ? 80 : 1 + (k % 65000), dp = opts.samePorts ? 40000 : 1024 + (k % 60000);
    const ack = (k * 2654435761) >>> 0;
    const rst: Pkt = { ts: 1 + k * every + 1e-4, src: HOST, dst: client, sp, dp, flags: opts.flags ?? RST, seq: ack };
    return opts.stray === false ? [rst] : [{ ts: 1 + k * every, src: client, dst: HOST, sp: dp, dp: sp, flags: ACK, seq: k, ack }, rst];
  }).flat();
}
const acks = (out: Alert[]) => out.filter((a) => a.type === 'tcp-flood' && a.blockable);

/** As the node reads them: the session verifier marks the batch first (its REFUSAL on the host's RSTs), then the rules. */
function runMarked(pkts: Pkt[], config = DEFAULT_RULES): Alert[] {
  const b = batchOf(pkts.sort((a, c) => a.ts - c.ts));
  new SessionVerifier().mark(b);
  const out: Alert[] = [];
  new SourceRules(config).scan(b, out);
  return out;
}

describe('tcp-flood by source: segments its host refuses with a bare RST (pair-flood.ts)', () => {
  test(`${R.threshold} bare RSTs from the host to one client within a leak interval name the CLIENT as the source, the host as the target, forgeable; one fewer does not`, () => {
    assert.deepEqual(acks(runMarked(refusals(R.threshold - 1, 1e-7))), []);
    const f = acks(runMarked(refusals(R.threshold, 1e-7)));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.source, CLIENT);
    assert.equal(f[0]!.target, HOST);
    assert.equal(f[0]!.grade, 'forgeable');
    assert.equal(f[0]!.evidence.refused, R.threshold);
  });

  test('one 4-tuple refused again and again counts each time (hping3 -A -k: a fixed source port)', () => {
    assert.equal(acks(runMarked(refusals(3 * R.threshold, 1 / 20000, { samePorts: true }))).length, 1);
  });

  test('RST+ACK (a closed port refusing SYNs: a scan, the scan rules\' case) and RSTs of followed connections are no ACK flood', () => {
    assert.deepEqual(acks(runMarked(refusals(10000, 1 / 20000, { flags: RST | ACK }))), []);
    // 3000 connections the host serves, each reset by it once: followed (SYN-ACK seen), not refused strays
    const served = Array.from({ length: 3000 }, (_, k): Pkt[] => [
      { ts: 1 + k * 1e-5, src: HOST, dst: CLIENT, sp: 443, dp: 20000 + k, flags: 0x12, seq: 1 },
      { ts: 1.5 + k * 1e-5, src: HOST, dst: CLIENT, sp: 443, dp: 20000 + k, flags: ACK | PSH, seq: 2, payload: 100 },
      { ts: 2 + k * 1e-5, src: HOST, dst: CLIENT, sp: 443, dp: 20000 + k, flags: RST, seq: 102 },
    ]).flat();
    assert.deepEqual(acks(runMarked(served)), []);
  });

  const named = (out: Alert[]) => acks(out).map((a) => `${a.source}→${a.target} ${a.grade} ${a.evidence.refused ?? ''}${a.evidence.resets ?? ''}`);

  test('bare RSTs that refuse nothing the client sent (hping3 -R --flood at it) never name the client: they are their sender\'s RST flood, 2000 beyond 1000/s, forgeable', () => {
    assert.deepEqual(named(runMarked(refusals(R.threshold, 1e-7, { stray: false }))), [`${HOST}→${CLIENT} forgeable ${R.threshold}`]);
    assert.deepEqual(named(runMarked(refusals(R.threshold - 1, 1e-7, { stray: false }))), [], 'one fewer');
    assert.deepEqual(named(runMarked(refusals(10000, 1 / 20000))).map((a) => a.split(' ').slice(0, 2).join(' ')), [`${CLIENT}→${HOST} forgeable`], 'the same RSTs refusing the client\'s strays: the client\'s ACK flood');
    // the client's strays more than REFUSAL_WINDOW_S before: no answer of the host's to them
    const late = refusals(10000, 1 / 20000).map((p) => (p.src === HOST ? { ...p, ts: p.ts + 1.5 } : p));
    assert.ok(!named(runMarked(late)).some((a) => a.startsWith(CLIENT)));
  });

  test('RST+ACK (an abort, a closed port\'s answer to a SYN) and RSTs under the leak are no RST flood; disabled, nothing', () => {
    assert.deepEqual(named(runMarked(refusals(10000, 1 / 20000, { stray: false, flags: RST | ACK }))), []);
    assert.deepEqual(named(runMarked(refusals(4000, 1 / 800, { stray: false }))), []);
    assert.deepEqual(named(runMarked(refusals(10000, 1 / 20000, { stray: false }), resolveRulesConfig({ rstSourceFlood: { enabled: false } }))), []);
  });

  test('refusals under the leak never fire (a restarted server refusing a NAT\'s stale connections, 800 a second for 5 s); disabled, nothing', () => {
    assert.deepEqual(acks(runMarked(refusals(4000, 1 / 800))), []);
    assert.deepEqual(acks(runMarked(refusals(10000, 1 / 20000), resolveRulesConfig({ refusedFlood: { enabled: false } }))), []);
  });
});

describe('SNMP community guessing (unanswered-udp.ts snmpRequest, rules.snmpGuessing)', () => {
  const S = DEFAULT_RULES.snmpGuessing;
  const AGENT = '10.0.0.40';
  /** The first bytes of a v1/v2c GetRequest with a community of `clen` bytes (SEQUENCE, version, OCTET STRING). */
  const get = (version: number, long = false) => (long ? '\x30\x81\x30\x02\x01' : '\x30\x2c\x02\x01') + String.fromCharCode(version) + '\x04\x08comm0001';
  const guesses = (n: number, every: number, head = get(1)): Pkt[] =>
    Array.from({ length: n }, (_, k): Pkt => ({ ts: 1 + k * every, src: SRC, dst: AGENT, sp: 40000 + (k % 16), dp: 161, proto: 'udp', payload: 46, head }));
  const snmp = (out: Alert[]) => out.filter((a) => a.type === 'brute-force' && a.evidence.service === 'snmp');

  test(`${S.threshold} unanswered v1/v2c requests to one agent within a leak interval name the source, forgeable, service snmp; one fewer does not`, () => {
    assert.deepEqual(snmp(run(guesses(S.threshold - 1, 1e-6))), []);
    const f = snmp(run(guesses(S.threshold, 1e-6)));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.source, SRC);
    assert.equal(f[0]!.target, AGENT);
    assert.equal(f[0]!.grade, 'forgeable');
    assert.equal(snmp(run(guesses(3 * S.threshold, 1e-3, get(0, true)))).length, 1, 'v1, a long-form length');
  });

  test('answered requests (a manager whose community the agent knows), v3 messages, other payloads, a poller under the leak: nothing', () => {
    // the exchange tracker marks a source's datagrams of an answered exchange UDP_ANSWERED
    const answered = batchOf(guesses(1000, 1e-4));
    for (let i = 0; i < answered.length; i++) answered.flags[i] |= PacketFlags.UDP_ANSWERED;
    const out: Alert[] = [];
    new SourceRules(DEFAULT_RULES).scan(answered, out);
    assert.deepEqual(snmp(out), []);
    assert.deepEqual(snmp(run(guesses(1000, 1e-4, get(3)))), []);
    assert.deepEqual(snmp(run(guesses(1000, 1e-4, 'GET / HTTP/1.1\r\n'))), []);
    assert.deepEqual(snmp(run(guesses(600, 1 / 8))), [], 'a mistyped community polled 8 times a second');
  });
});

describe('QUIC Initial floods from one source (quic-initial.ts, rules.quicInitialFlood)', () => {
  const Q = DEFAULT_RULES.quicInitialFlood;
  const SERVER = '10.0.0.43';
  /** A long header's first 6 bytes: form+fixed bits and type, version, the DCID's length, then DCID bytes. */
  const initial = (type = 0, version = [0, 0, 0, 1], dcid = 8) => [0xc3 | (type << 4), ...version, dcid, ...Array.from({ length: 10 }, (_, k) => k + 1)];
  /** `n` datagrams from fresh client ports (the first of a connection each), `every` s apart. */
  const opens = (n: number, every: number, head = initial(), payload = 1200): Pkt[] =>
    Array.from({ length: n }, (_, k): Pkt => ({ ts: 1 + k * every, src: SRC, dst: SERVER, sp: 20000 + (k % 40000), dp: 443, proto: 'udp', payload, head }));
  const quic = (out: Alert[]) => out.filter((a) => a.type === 'connection-flood' && a.evidence.quicInitials !== undefined);

  test(`${Q.threshold} client Initials to one server within a leak interval name the source, forgeable; one fewer does not`, () => {
    assert.deepEqual(quic(run(opens(Q.threshold - 1, 1e-6))), []);
    const f = quic(run(opens(Q.threshold, 1e-6)));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.source, SRC);
    assert.equal(f[0]!.target, SERVER);
    assert.equal(f[0]!.grade, 'forgeable');
    assert.equal(f[0]!.blockable, true);
    assert.equal(quic(run(opens(Q.threshold, 1e-6, initial(1, [0x6b, 0x33, 0x43, 0xcf])))).length, 1, 'QUIC version 2 (RFC 9369: Initial is type 1)');
    assert.equal(quic(run(opens(Q.threshold, 1e-6, initial(0, [0xff, 0, 0, 29])))).length, 1, 'draft-29');
  });

  test('what is no opening: datagrams under 1200 bytes, other packet types, short headers, an empty or short DCID (a server\'s Initial), other versions, answers (UDP_REPLY), a client under the leak', () => {
    assert.deepEqual(quic(run(opens(1000, 1e-6, initial(), 1199))), [], 'a server discards an Initial under 1200 bytes (RFC 9000 §14.1)');
    assert.deepEqual(quic(run(opens(1000, 1e-6, initial(2)))), [], 'Handshake packets');
    assert.deepEqual(quic(run(opens(1000, 1e-6, initial(1, [0x6b, 0x33, 0x43, 0xcf]).map((b, k) => (k === 0 ? 0xc3 : b))))), [], 'version 2\'s type 0 is 0-RTT');
    assert.deepEqual(quic(run(opens(1000, 1e-6, [0x43, 0, 0, 0, 1, 8]))), [], 'a short header');
    assert.deepEqual(quic(run(opens(1000, 1e-6, initial(0, [0, 0, 0, 1], 0)))), [], 'a DCID of 0 bytes');
    assert.deepEqual(quic(run(opens(1000, 1e-6, initial(0, [0, 0, 0, 1], 21)))), [], 'a DCID over 20 bytes');
    assert.deepEqual(quic(run(opens(1000, 1e-6, initial(0, [0x51, 0x30, 0x35, 0x30])))), [], "Google QUIC's Q050");
    const replies = batchOf(opens(1000, 1e-6));
    for (let i = 0; i < replies.length; i++) replies.flags[i] |= PacketFlags.UDP_REPLY;
    const out: Alert[] = [];
    new SourceRules(DEFAULT_RULES).scan(replies, out);
    assert.deepEqual(quic(out), [], 'Initials on a port pair the server answered');
    assert.deepEqual(quic(run(opens(3000, 1 / 40))), [], 'a NAT opening 40 connections a second for 75 s');
    assert.deepEqual(quic(run(opens(1000, 1e-6), resolveRulesConfig({ quicInitialFlood: { enabled: false } }))), [], 'disabled');
  });

  for (const [field, overrides] of [
    ['quicInitialFlood.threshold', { quicInitialFlood: { threshold: 0 } }],
    ['quicInitialFlood.leakPerS', { quicInitialFlood: { leakPerS: -1 } }],
  ] as Array<[string, RulesOverrides]>) {
    test(`refuses ${JSON.stringify(overrides)} naming ${field}`, () => {
      assert.throws(() => resolveRulesConfig(overrides), (err: unknown) => err instanceof RulesConfigError && err.field === field);
    });
  }
});
