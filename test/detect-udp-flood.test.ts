// UDP floods the rules missed or misjudged (lane detect9): one source flooding one host:port
// with datagrams nothing answers (the per-source udp-flood rule, unanswered-udp.ts, on the
// UDP exchange tracker's marks, udp-exchanges.ts), what it must leave alone (answered
// exchanges, modest one-way streams), how forged sources fare before the responder, and the
// victim rule's credit: only the victim's answers cancel a flood, not its own requests.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { ACK, SYN, batchOf, type Pkt } from '../devkit/packets.ts';
import { runSharded } from '../devkit/sharded-rules.ts';
import { resolveRulesConfig, type RulesConfig } from '../src/detect/rules/rules-config.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { PacketFlags } from '../src/net/packet-batch.ts';
import { AllowList } from '../src/respond/allow-list.ts';
import { ResponderPolicy } from '../src/respond/policy.ts';
import { DEFAULT_RESPONDER } from '../src/respond/responder-config.ts';
import { ManualClock } from '../src/util/clock.ts';

const VICTIM = '10.20.0.10';
const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** A verifier marks each batch, then two shards split by source and one VictimRules: as a node runs them. */
const run = (config: RulesConfig, batches: Pkt[][]): Alert[] => runSharded(config, batches).out;

const chunks = <T>(xs: T[], n: number) => range(Math.ceil(xs.length / n)).map((k) => xs.slice(k * n, (k + 1) * n));
const byTime = (pkts: Pkt[]) => [...pkts].sort((a, b) => a.ts - b.ts);
const describeAlert = (a: Alert) => `${a.type} ${a.source}→${a.target} blockable=${a.blockable} ${JSON.stringify(a.evidence)}`;

/** `n` datagrams from `src` to VICTIM:dp, `rate` a second from t0, the source port counting up (hping3's). */
function flood(src: string, n: number, rate: number, t0 = 1, dp = 53, over: Partial<Pkt> = {}): Pkt[] {
  return range(n).map((k) => ({ ts: t0 + k / rate, src, dst: VICTIM, proto: 'udp', sp: 2000 + (k % 60000), dp, payload: 0, ...over }));
}

describe('UDP exchange tracker', () => {
  test('a query is neither answered nor an answer; its answer is a reply; the next query to that port is answered; another port is not', () => {
    const v = new SessionVerifier();
    const b = batchOf([
      { ts: 1, src: '10.0.0.1', dst: '10.0.0.53', proto: 'udp', sp: 40001, dp: 53, payload: 30 },
      { ts: 1.01, src: '10.0.0.53', dst: '10.0.0.1', proto: 'udp', sp: 53, dp: 40001, payload: 90 },
      { ts: 2, src: '10.0.0.1', dst: '10.0.0.53', proto: 'udp', sp: 40002, dp: 53, payload: 30 },
      { ts: 2, src: '10.0.0.1', dst: '10.0.0.53', proto: 'udp', sp: 40003, dp: 9999, payload: 30 },
      // 31 s after the last answer: the exchange has gone quiet
      { ts: 32.02, src: '10.0.0.1', dst: '10.0.0.53', proto: 'udp', sp: 40004, dp: 53, payload: 30 },
    ]);
    v.mark(b);
    const marks = range(b.length).map((i) => (b.flags[i]! & PacketFlags.UDP_ANSWERED ? 'A' : '') + (b.flags[i]! & PacketFlags.UDP_REPLY ? 'R' : '') || '-');
    assert.deepEqual(marks, ['-', 'R', 'A', '-', '-']);
  });
});

describe('per-source udp-flood: one source, one host:port, nothing answers', () => {
  const cfg = resolveRulesConfig();

  test('large datagrams sprayed over random ports from ephemeral ones (LOIC, booters\' UDP floods) count per host: a udp-flood alert on ports "any"; a reflector\'s from its service port does not', () => {
    const spray = (src: string, sp: (k: number) => number, payload: number) => range(8000).map((k): Pkt => ({ ts: 1 + k / 8000, src, dst: VICTIM, proto: 'udp', sp: sp(k), dp: 1 + ((k * 7919) % 65000), payload }));
    const out = run(cfg, chunks(spray('203.0.113.113', (k) => 32768 + ((k * 31) % 28000), 1400), 256)).filter((a) => a.type === 'udp-flood' && a.blockable);
    assert.deepEqual(out.map((a) => `${a.source} ${a.evidence.ports}`), ['203.0.113.113 any']);
    // an open resolver's or memcached's answers to the victim's random ports (a reflection): never the reflector's flood
    for (const port of [53, 11211]) {
      const reflected = run(cfg, chunks(spray('192.0.2.53', () => port, 1400), 256)).filter((a) => a.type === 'udp-flood' && a.blockable);
      assert.deepEqual(reflected.map(describeAlert), [], `from ${port}`);
    }
  });

  test('a one-way stream of large datagrams from an ephemeral port to one port under the leak (800 a second for 10 s, a video camera) is no flood', () => {
    const out = run(cfg, chunks(range(8000).map((k): Pkt => ({ ts: 1 + k / 800, src: '10.20.0.66', dst: VICTIM, proto: 'udp', sp: 40000, dp: 5004, payload: 1300 })), 256));
    assert.deepEqual(out.filter((a) => a.blockable).map(describeAlert), []);
  });

  test('hping3 --udp -p 53 at 5,000/s: a blockable udp-flood alert naming the flooder and the port, graded forgeable, within half a second', () => {
    const out = run(cfg, chunks(flood('203.0.113.112', 5000, 5000), 256));
    const alerts = out.filter((a) => a.blockable);
    assert.equal(alerts.length, 1, out.map(describeAlert).join('; '));
    const a = alerts[0]!;
    assert.equal(a.type, 'udp-flood');
    assert.equal(a.source, '203.0.113.112');
    assert.equal(a.target, VICTIM);
    assert.equal(a.evidence.port, 53);
    assert.equal(a.grade, 'forgeable');
    assert.equal(a.sourceSeen, false);
    // 2000 beyond a leak of 1000/s at 5000/s: 0.5 s
    assert.ok(a.ts - 1 <= 0.51, `alerted ${a.ts - 1} s in`);
  });

  test('over IPv6 the same: the flooder alerted, an answered client not', () => {
    const victim6 = '2001:db8::10', flooder6 = '2001:db8:1::112', client6 = '2001:db8:2::7';
    const floodIn = flood(flooder6, 5000, 5000).map((p) => ({ ...p, dst: victim6 }));
    const queries = flood(client6, 5000, 5000).map((p) => ({ ...p, dst: victim6, sp: 10000 + ((p.sp! * 7) % 50000) }));
    const answers = queries.map((q): Pkt => ({ ts: q.ts + 0.002, src: victim6, dst: client6, proto: 'udp', sp: 53, dp: q.sp, payload: 120 }));
    const out = run(cfg, chunks(byTime([...floodIn, ...queries, ...answers]), 256));
    assert.deepEqual(out.filter((a) => a.blockable).map((a) => [a.type, a.source, a.target]), [['udp-flood', flooder6, victim6]]);
  });

  test('answered, the same rate is no flood (a DNS forwarder, a QUIC upload): answers keep the source\'s datagrams out', () => {
    const client = '10.20.3.7';
    const queries = flood(client, 5000, 5000);
    const answers = queries.filter((_, k) => k % 2 === 0).map((q): Pkt => ({ ts: q.ts + 0.002, src: VICTIM, dst: client, proto: 'udp', sp: 53, dp: q.sp, payload: 120 }));
    assert.deepEqual(run(cfg, chunks(byTime([...queries, ...answers]), 256)).map(describeAlert), []);
  });

  test('the host answering on one port does not cover a flood of another', () => {
    const client = '10.20.3.7';
    const queries = range(100).map((k): Pkt => ({ ts: 1 + k * 0.05, src: client, dst: VICTIM, proto: 'udp', sp: 30000 + k, dp: 53, payload: 30 }));
    const answers = queries.map((q): Pkt => ({ ts: q.ts + 0.002, src: VICTIM, dst: client, proto: 'udp', sp: 53, dp: q.sp, payload: 120 }));
    const out = run(cfg, chunks(byTime([...queries, ...answers, ...flood(client, 5000, 5000, 1, 9999)]), 256));
    assert.deepEqual(out.filter((a) => a.blockable).map((a) => [a.source, a.evidence.port]), [[client, 9999]]);
  });

  test('forged "answers" (hop count off from the victim\'s learnt one) do not keep a flooder\'s datagrams answered', () => {
    // The victim is known: it answered a client's SYN (its hop count learnt, TTL 64).
    const learnt: Pkt[] = [
      { ts: 0.5, src: '10.20.3.5', dst: VICTIM, sp: 40000, dp: 22, flags: SYN, seq: 100 },
      { ts: 0.5005, src: VICTIM, dst: '10.20.3.5', sp: 22, dp: 40000, flags: SYN | ACK, seq: 900, ack: 101, ttl: 64 },
    ];
    const flooder = '203.0.113.112';
    const floodIn = flood(flooder, 5000, 5000);
    // Every 0.1 s a datagram "from" VICTIM:53 to the flooder's current port, sent from 44 hops further away.
    const forged = range(10).map((k): Pkt => ({ ts: 1 + k * 0.1 + 0.0001, src: VICTIM, dst: flooder, proto: 'udp', sp: 53, dp: floodIn[k * 500]!.sp, payload: 60, ttl: 20 }));
    const out = run(cfg, chunks(byTime([...learnt, ...floodIn, ...forged]), 256));
    assert.deepEqual(out.filter((a) => a.type === 'udp-flood' && a.blockable).map((a) => a.source), [flooder], out.map(describeAlert).join('; '));
  });

  test('a steady one-way stream at the leak rate (an exporter at 1,000 datagrams/s for a minute) is no flood', () => {
    const exporter = range(60_000).map((k): Pkt => ({ ts: 1 + k / 1000, src: '10.20.0.1', dst: VICTIM, proto: 'udp', sp: 50000, dp: 2055, payload: 1400 }));
    assert.deepEqual(run(cfg, chunks(exporter, 1024)).map(describeAlert), []);
  });

  test('spread over many ports (hping3 --udp -p ++1) it is no one port\'s flood but a vertical scan', () => {
    const pkts = flood('203.0.113.112', 5000, 5000).map((p, k) => ({ ...p, dp: 1 + k }));
    const out = run(cfg, chunks(pkts, 256));
    assert.deepEqual(out.filter((a) => a.type === 'udp-flood').map(describeAlert), []);
    assert.ok(out.some((a) => a.type === 'port-scan-vertical' && a.source === '203.0.113.112'), out.map(describeAlert).join('; '));
  });
});

describe('forged sources before the responder', () => {
  const cfg = resolveRulesConfig();
  const CLIENT = '10.20.3.9';

  /** The client's verified SSH session with the victim (SYN, SYN-ACK, ACK with the right numbers), then `after`. */
  function withSession(after: Pkt[]): Pkt[][] {
    const session: Pkt[] = [
      { ts: 0.1, src: CLIENT, dst: VICTIM, sp: 50022, dp: 22, flags: SYN, seq: 1000 },
      { ts: 0.1005, src: VICTIM, dst: CLIENT, sp: 22, dp: 50022, flags: SYN | ACK, seq: 5000, ack: 1001 },
      { ts: 0.101, src: CLIENT, dst: VICTIM, sp: 50022, dp: 22, flags: ACK, seq: 1001, ack: 5001 },
    ];
    return [session, ...chunks(after, 256)];
  }

  test('a flood forged in the name of a client with a verified session is graded forgeable, its source seen: the responder spares it', () => {
    const out = run(cfg, withSession(flood(CLIENT, 5000, 5000)));
    const a = out.find((x) => x.type === 'udp-flood' && x.blockable);
    assert.ok(a, out.map(describeAlert).join('; '));
    assert.equal(a.grade, 'forgeable', 'UDP proves nothing of its source, whatever sessions the source has');
    assert.equal(a.sourceSeen, true);
    const policy = new ResponderPolicy({ ...DEFAULT_RESPONDER }, new AllowList(), new ManualClock());
    const outcome = policy.onAlert(a);
    assert.ok('skipped' in outcome && outcome.skipped === 'forgeable-evidence', JSON.stringify(outcome));
  });

  test('a source never seen in a real session is banned briefly, without escalation; the protected set never', () => {
    const a = run(cfg, chunks(flood('203.0.113.112', 5000, 5000), 256)).find((x) => x.type === 'udp-flood')!;
    const policy = new ResponderPolicy({ ...DEFAULT_RESPONDER }, new AllowList(), new ManualClock());
    const outcome = policy.onAlert(a);
    assert.ok('decision' in outcome, JSON.stringify(outcome));
    assert.equal(outcome.decision.ttl, DEFAULT_RESPONDER.forgeableBanTtlS);
    assert.equal(outcome.decision.evidence, 'forgeable');
    const guarded = new ResponderPolicy({ ...DEFAULT_RESPONDER }, new AllowList({ configured: ['203.0.113.0/24'] }), new ManualClock());
    const refused = guarded.onAlert(a);
    assert.ok('skipped' in refused && refused.skipped === 'allow-listed', JSON.stringify(refused));
  });
});

describe('victim udp-flood: only what answers the flood is credit', () => {
  const cfg = resolveRulesConfig({ udpFlood: { threshold: 500, leakPerS: 100, minSources: 10 }, unansweredUdp: { enabled: false } });
  const spoofed = (k: number) => `${(k % 200) + 11}.${(k * 7) % 250}.${(k * 13) % 250}.${(k % 250) + 1}`;

  test('a busy UDP client\'s own requests (large answers) do not hide a flood of small datagrams to other ports', () => {
    const requests = range(3000).map((k): Pkt => ({ ts: 1 + k / 3000, src: VICTIM, dst: '10.20.0.54', proto: 'udp', sp: 20000 + k, dp: 53, payload: 40 }));
    const answers = requests.map((q): Pkt => ({ ts: q.ts + 0.005, src: '10.20.0.54', dst: VICTIM, proto: 'udp', sp: 53, dp: q.sp, payload: 300 }));
    const floodIn = range(1500).map((k): Pkt => ({ ts: 1.2 + k / 3000, src: spoofed(k), dst: VICTIM, proto: 'udp', sp: 1024 + k, dp: (k * 7919) % 65000 + 1, payload: 0 }));
    const out = run(cfg, chunks(byTime([...requests, ...answers, ...floodIn]), 256));
    const a = out.find((x) => x.type === 'udp-flood' && x.target === VICTIM);
    assert.ok(a, `no alert: ${out.map(describeAlert).join('; ')}`);
    assert.equal(a.blockable, false);
    assert.equal(a.evidence.answered, 0);
  });

  test('a server answering a burst of small queries from many clients is no victim, and its answers are the credit', () => {
    const queries = range(3000).map((k): Pkt => ({ ts: 1 + k / 3000, src: spoofed(k), dst: VICTIM, proto: 'udp', sp: 30000 + k, dp: 53, payload: 40 }));
    const answers = queries.map((q): Pkt => ({ ts: q.ts + 0.0002, src: VICTIM, dst: q.src, proto: 'udp', sp: 53, dp: q.sp, payload: 90 }));
    assert.deepEqual(run(cfg, chunks(byTime([...queries, ...answers]), 256)).map(describeAlert), []);
  });

  test('small answers to the victim\'s own queries are not a flood of it', () => {
    const requests = range(3000).map((k): Pkt => ({ ts: 1 + k / 3000, src: VICTIM, dst: spoofed(k), proto: 'udp', sp: 20000 + k, dp: 123, payload: 48 }));
    const answers = requests.map((q): Pkt => ({ ts: q.ts + 0.005, src: q.dst, dst: VICTIM, proto: 'udp', sp: 123, dp: q.sp, payload: 48 }));
    assert.deepEqual(run(cfg, chunks(byTime([...requests, ...answers]), 256)).map(describeAlert), []);
  });
});
