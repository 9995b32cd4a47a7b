import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { PacketFlags } from '../src/net/packet-batch.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { ACK, FIN, LINUX_OPTS, PSH, RST, SYN, URG, batchOf, v4, withResent, type Pkt } from '../devkit/packets.ts';
import { runSharded } from '../devkit/sharded-rules.ts';
import { DistinctSet } from '../src/detect/rules/distinct-set.ts';
import { mix32 } from '../src/detect/rules/hash.ts';
import { BucketTable, CLOCK_STEP_S, WindowCounter, riskScore } from '../src/detect/rules/leaky-bucket.ts';
import { DEFAULT_RULES, RulesConfigError, resolveRulesConfig, validateRulesConfig, type RulesConfig, type RulesOverrides } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';
import { VictimRules } from '../src/detect/rules/victim-rules.ts';
import { VictimTallyWriter, estimateSources, newVictimTally, type VictimTally } from '../src/detect/rules/victim-tally.ts';

const rules = (o: RulesOverrides = {}): RulesConfig => resolveRulesConfig(o);

/** Scan packets one batch each (as a shard would over time) and collect the alerts. */
const run = (sr: SourceRules, pkts: Pkt[], tally?: VictimTally): Alert[] => runAll(sr, pkts, tally);
function runAll(sr: SourceRules, pkts: Pkt[], tally?: VictimTally): Alert[] {
  const out: Alert[] = [];
  sr.scan(batchOf(pkts), out, tally);
  return out;
}

const range = (n: number) => Array.from({ length: n }, (_, k) => k);

// ---------------------------------------------------------------------------------------

describe('leaky bucket math', () => {
  test('overflows at the threshold, not below, for pours within one leak interval', () => {
    const b = new BucketTable(4, 5, 1, 60);
    b.reset(0);
    for (let k = 1; k < 5; k++) assert.equal(b.add(0, 100 + k * 0.1, 1), false, `pour ${k}`);
    assert.equal(b.add(0, 100.5, 1), true);
    assert.equal(b.levelOf(0), 5);
  });

  test('leaks one whole unit per interval, starting from the first pour', () => {
    const b = new BucketTable(4, 100, 0.5, 60); // one unit every 2 s
    b.reset(0);
    b.add(0, 10, 4);
    assert.equal(b.leakTo(0, 11.99), 4);
    assert.equal(b.leakTo(0, 12), 3);
    assert.equal(b.leakTo(0, 15.9), 2);
    assert.equal(b.leakTo(0, 16), 1);
    assert.equal(b.leakTo(0, 100), 0);
    // a new episode restarts the leak clock
    b.add(0, 200, 2);
    assert.equal(b.firstTs(0), 200);
    assert.equal(b.leakTo(0, 201.9), 2);
    assert.equal(b.leakTo(0, 202), 1);
  });

  test('a steady pour at the leak rate never overflows; slightly faster does', () => {
    const steady = new BucketTable(1, 5, 1, 60);
    steady.reset(0);
    for (let k = 0; k < 1000; k++) assert.equal(steady.add(0, k * 1.0, 1), false);
    const fast = new BucketTable(1, 5, 1, 60);
    fast.reset(0);
    let fired = -1;
    for (let k = 0; k < 1000 && fired < 0; k++) if (fast.add(0, k * 0.75, 1)) fired = k;
    assert.ok(fired > 4 && fired < 30, `fired at pour ${fired}`);
  });

  test('negative pours take units back; the level stays at its floor', () => {
    const b = new BucketTable(1, 10, 1, 60);
    b.reset(0);
    b.add(0, 1, 3);
    b.add(0, 1, -5);
    assert.equal(b.levelOf(0), 0);
    // with a floor below 0, requests seen first are credit for their answers
    b.pour(0, 2, -4, 2, -6);
    assert.equal(b.levelOf(0), -4);
    b.pour(0, 2, -4, 2, -6);
    assert.equal(b.levelOf(0), -6);
    assert.equal(b.pour(0, 2, 6, 2, -6), false);
    assert.equal(b.levelOf(0), 0);
    // credit leaks back towards 0 too
    b.pour(0, 3, -3, 3, -6);
    assert.equal(b.leakTo(0, 5.5), -1);
  });

  test('cooldown: the key stays quiet after a trip, and a large clock step backwards forgets it', () => {
    const b = new BucketTable(1, 2, 1, 300);
    b.reset(0);
    b.add(0, 1000, 2);
    b.trip(0, 1000);
    assert.equal(b.levelOf(0), 0);
    assert.equal(b.cooling(0, 1000), true);
    assert.equal(b.cooling(0, 1299.9), true);
    assert.equal(b.cooling(0, 1300), false);
    b.trip(0, 2000);
    assert.equal(b.cooling(0, 2000 - CLOCK_STEP_S / 2), true, 'small steps back stay in the cooldown');
    assert.equal(b.cooling(0, 2000 - CLOCK_STEP_S - 1), false, 'another timeline');
  });

  test('out-of-order pours move the episode start back', () => {
    const b = new BucketTable(1, 10, 1, 60);
    b.reset(0);
    b.add(0, 10, 1);
    b.add(0, 9.5, 1);
    assert.equal(b.firstTs(0), 9.5);
  });

  test('fail2ban window: maxretry events within findtime, exactly', () => {
    const w = new WindowCounter(2, 3, 1);
    w.reset(0);
    w.reset(1);
    assert.equal(w.hit(0, 0), false);
    assert.equal(w.hit(0, 0.5), false);
    assert.equal(w.hit(0, 1.0), true); // 3 within 1 s
    assert.equal(w.windowStart(0), 0);
    assert.equal(w.hit(1, 0), false);
    assert.equal(w.hit(1, 0.6), false);
    assert.equal(w.hit(1, 1.2), false); // the first fell out
    assert.equal(w.hit(1, 1.3), true); // 0.6, 1.2, 1.3
  });

  test('fail2ban window: events forgotten by reset and unhit do not count, whatever the ring still holds', () => {
    const w = new WindowCounter(1, 3, 1);
    w.reset(0);
    w.hit(0, 10);
    w.hit(0, 10.1);
    assert.equal(w.hit(0, 10.2), true);
    w.reset(0);
    assert.equal(w.hit(0, 10.3), false, 'the ring is empty again: its old times are not events');
    assert.equal(w.hit(0, 10.4), false);
    assert.equal(w.hit(0, 10.5), true);
    assert.equal(w.windowStart(0), 10.3);
    const u = new WindowCounter(1, 3, 1);
    u.reset(0);
    u.hit(0, 0);
    u.hit(0, 0.1);
    u.unhit(0);
    assert.equal(u.hit(0, 0.2), false, 'two events: 0 and 0.2');
    assert.equal(u.hit(0, 0.3), true);
    assert.equal(u.windowStart(0), 0);
  });

  test('cooldown: from a trip at any capture time, 0 included; a slot never tripped, or reset, is not cooling', () => {
    const b = new BucketTable(2, 2, 1, 300);
    assert.equal(b.cooling(0, 0), false, 'never tripped');
    b.trip(0, 0);
    assert.equal(b.cooling(0, 0), true);
    assert.equal(b.cooling(0, 299.9), true);
    assert.equal(b.cooling(0, 300), false);
    b.trip(1, 1000);
    assert.equal(b.cooling(1, 1000 - CLOCK_STEP_S + 1), true, 'out of order by less than a clock step');
    assert.equal(b.cooling(1, 1000 - CLOCK_STEP_S - 1), false, 'another timeline: the slot starts afresh');
    assert.equal(b.cooling(1, 1001), false);
    b.trip(1, 1000);
    b.reset(1);
    assert.equal(b.cooling(1, 1001), false);
  });

  test('risk score: 0.5 at the threshold and tolerated rate, growing with the excess, within [0, 1]', () => {
    assert.equal(riskScore(10, 10, 10, 10), 0.5);
    assert.equal(riskScore(10, 10, 10, 100), 0.5);
    const a = riskScore(10, 10, 10, 1);
    const b = riskScore(10, 10, 10, 0.01);
    const c = riskScore(40, 10, 10, 0.01);
    assert.ok(a > 0.5 && b > a && c > b && c <= 1, `${a} ${b} ${c}`);
    assert.ok(riskScore(1e12, 1, 1e6, 0) <= 1);
  });

  test('distinct set: only new values are new; clear forgets', () => {
    const d = new DistinctSet(2);
    d.clear(0);
    d.clear(1);
    assert.equal(d.add(0, 22), true);
    assert.equal(d.add(0, 22), false);
    assert.equal(d.add(1, 22), true, 'slots are independent');
    let fresh = 0;
    for (const p of range(100)) if (d.add(0, 1000 + p)) fresh++;
    assert.ok(fresh >= 90 && fresh <= 100, `${fresh} of 100 distinct values counted`);
    d.clear(0);
    assert.equal(d.add(0, 22), true);
  });

  test('distinct set: the answers of one 1024-bit bitmap per slot, with a bitmap only for a slot past two values', () => {
    // the reference: each slot's set of 10-bit hashes, as the one-bitmap-per-slot version kept
    const hashOf = (v: number) => mix32(v | 0) >>> 22;
    const slots = 3000;
    const d = new DistinctSet(slots);
    const ref = Array.from({ length: slots }, () => new Set<number>());
    let seed = 12345;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let op = 0; op < 200_000; op++) {
      const s = rand(slots);
      if (rand(50) === 0) {
        d.clear(s);
        ref[s]!.clear();
        continue;
      }
      // mostly few values a slot, some slots many (a scanner's key): collisions included
      const v = s % 7 === 0 ? rand(4000) : rand(3);
      const h = hashOf(v);
      assert.equal(d.add(s, v), !ref[s]!.has(h), `op ${op}: slot ${s} value ${v}`);
      ref[s]!.add(h);
    }
    assert.equal(d.pooled, ref.filter((r) => r.size > 2).length, 'one bitmap for each slot holding more than two hashes');
    // a new table's slots holding one or two values each take no bitmap; a third takes one, clear gives it back
    const e = new DistinctSet(4096);
    for (const s of range(4096)) {
      e.add(s, 80);
      e.add(s, 443);
    }
    assert.equal(e.pooled, 0);
    assert.equal(e.add(7, 8080), true);
    assert.equal(e.pooled, 1);
    assert.equal(e.add(7, 80), false, 'the inline values went into the bitmap');
    e.clear(7);
    assert.equal(e.pooled, 0);
    assert.equal(e.add(7, 8080), true, 'cleared');
  });
});

describe('configuration', () => {
  test('the defaults are valid and resolve merges section by section', () => {
    assert.equal(validateRulesConfig(structuredClone(DEFAULT_RULES)).cooldownS, DEFAULT_RULES.cooldownS);
    const c = resolveRulesConfig({ verticalScan: { threshold: 30 } });
    assert.equal(c.verticalScan.threshold, 30);
    assert.equal(c.verticalScan.leakPerS, DEFAULT_RULES.verticalScan.leakPerS);
    assert.deepEqual(JSON.parse(JSON.stringify(c)), c, 'plain JSON');
  });

  const bad: Array<[string, RulesOverrides, string]> = [
    ['verticalScan.threshold', { verticalScan: { threshold: 0 } }, 'an integer from 2'],
    ['horizontalScan.threshold', { horizontalScan: { threshold: 5000 } }, 'an integer from 2 to 256'],
    ['bruteForce.maxretry', { bruteForce: { maxretry: 0 } }, 'an integer from 1'],
    ['bruteForce.undecidedLeakPerS', { bruteForce: { undecidedLeakPerS: -1 } }, 'a positive number'],
    ['synFlood.threshold', { synFlood: { threshold: '500' as unknown as number } }, 'a positive number'],
    ['udpAmplification.minPayload', { udpAmplification: { minPayload: 70000 } }, 'an integer from 0 to 65535'],
    ['scanProbe.enabled', { scanProbe: { enabled: 'yes' as unknown as boolean } }, 'true or false'],
    ['cooldownS', { cooldownS: NaN }, 'seconds'],
    ['icmpFlood.minSources', { icmpFlood: { minSources: 0 } }, 'an integer from 1'],
    ['verticalScan.treshold', { verticalScan: { treshold: 3 } as never }, 'unknown option'],
    ['scanProbe.osProbeMaxSynWindow', { scanProbe: { osProbeMaxSynWindow: 2048 } }, 'below every window'],
  ];
  for (const [field, overrides, expected] of bad) {
    test(`refuses a bad ${field} with a clear error`, () => {
      assert.throws(
        () => resolveRulesConfig(overrides),
        (err: unknown) => {
          assert.ok(err instanceof RulesConfigError);
          assert.equal(err.code, 'AI_ERR_RULES_CONFIG');
          assert.equal(err.field, field);
          assert.match(err.message, new RegExp(`rules: ${field.replace('.', '\\.')} must be`));
          assert.ok(err.message.includes(expected), err.message);
          return true;
        },
      );
    });
  }

  test('an unknown section and a missing section are refused; the rule classes check their config', () => {
    assert.throws(() => resolveRulesConfig({ portScan: {} } as never), /rules: portScan must be absent/);
    const missing = structuredClone(DEFAULT_RULES) as Partial<RulesConfig>;
    delete missing.icmpFlood;
    assert.throws(() => new VictimRules(missing as RulesConfig), /rules: icmpFlood must be an object, got undefined/);
    assert.throws(() => new SourceRules({ ...DEFAULT_RULES, cooldownS: -1 }), RulesConfigError);
  });
});

describe('vertical port scan', () => {
  // the fast bucket alone (the slow one and the burst have tests of their own)
  const cfg = rules({ verticalScan: { threshold: 6, leakPerS: 0.5, burstMaxretry: 0, unansweredThreshold: 0 } });

  test('fires at the threshold of distinct ports and not below', () => {
    const sr = new SourceRules(cfg);
    const syns = range(6).map((k) => ({ ts: 1 + k * 0.1, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 1000 + k }));
    assert.deepEqual(run(sr, syns.slice(0, 5)), []);
    const out = run(sr, syns.slice(5));
    assert.equal(out.length, 1);
    const a = out[0]!;
    assert.equal(a.type, 'port-scan-vertical');
    assert.equal(a.source, '10.0.0.1');
    assert.equal(a.target, '10.0.0.2');
    assert.equal(a.blockable, true);
    assert.equal(a.detector, 'rules');
    assert.equal(a.ts, 1.5);
    assert.equal(a.firstTs, 1);
    assert.equal(a.evidence.ports, 6);
    assert.equal(a.evidence.threshold, 6);
    assert.equal(a.evidence.windowS, 0.5);
    assert.ok(a.score > 0.5 && a.score <= 1);
  });

  test("a burst of new ports fires though the source keeps reconnecting to a port it already opened (those answers take back nothing)", () => {
    const sr = new SourceRules(rules({ verticalScan: { threshold: 100, burstMaxretry: 5, burstFindtimeS: 0.05 }, horizontalScan: { enabled: false }, scanProbe: { enabled: false }, halfOpen: { enabled: false } }));
    const pkts: Pkt[] = [];
    const connect22 = (t: number, sp: number) => {
      pkts.push({ ts: t, src: '10.0.0.1', dst: '10.0.0.2', sp, dp: 22 });
      pkts.push({ ts: t + 0.001, src: '10.0.0.2', dst: '10.0.0.1', sp: 22, dp: sp, flags: 0x12 });
      pkts.push({ ts: t + 0.002, src: '10.0.0.1', dst: '10.0.0.2', sp, dp: 22, flags: 0x10 });
    };
    connect22(0, 40000); // port 22 opened and answered: it takes back its own hit
    for (const k of range(5)) {
      pkts.push({ ts: 1 + k * 0.008, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 1000 + k });
      connect22(1.003 + k * 0.008, 40001 + k);
    }
    const out = run(sr, pkts);
    assert.deepEqual(out.map((a) => a.type), ['port-scan-vertical']);
    assert.equal(out[0]!.evidence.burstPorts, 5);
  });

  test('counts distinct ports only: the same port again and again is no scan', () => {
    const sr = new SourceRules(cfg);
    const out = run(sr, range(50).map((k) => ({ ts: 1 + k * 0.01, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 443 })));
    assert.deepEqual(out, []);
  });

  test('leaks over time: ports slower than the leak never overflow, faster ones do', () => {
    const slow = new SourceRules(cfg);
    const out = run(slow, range(40).map((k) => ({ ts: k * 2.5, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 1000 + k })));
    assert.deepEqual(out, [], 'one port per 2.5 s against one leaked per 2 s');
    const fast = new SourceRules(cfg);
    const fired = run(fast, range(40).map((k) => ({ ts: k * 1.5, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 1000 + k })));
    assert.equal(fired.length, 1);
    assert.ok((fired[0]!.evidence.ports as number) > 6, 'needed more than the threshold because of the leak');
  });

  test('the slow scan (nmap -T1, a port every 15 s): 15 refused ports beyond a leak of 15 per 5 min fire; completed handshakes never count', () => {
    const slowCfg = rules({ verticalScan: { burstMaxretry: 0 } }); // the defaults: 15 ports, leaking 15 per 300 s
    const refusedPorts = (n: number, start: number) => range(n).flatMap((k): Pkt[] => [
      { ts: start + k * 15, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 1000 + k, flags: SYN },
      { ts: start + k * 15 + 0.001, src: '10.0.0.2', dst: '10.0.0.1', sp: 1000 + k, dp: 50000 + k, flags: RST | ACK },
    ]);
    const fired = run(new SourceRules(slowCfg), refusedPorts(80, 1));
    assert.equal(fired.length, 1, 'one alert');
    assert.equal(fired[0]!.type, 'port-scan-vertical');
    assert.equal(fired[0]!.evidence.threshold, 15);
    assert.ok((fired[0]!.evidence.unanswered as number) >= 15);
    // the fast bucket alone (the slow one off) never fires on it
    assert.deepEqual(run(new SourceRules(rules({ verticalScan: { burstMaxretry: 0, unansweredThreshold: 0 } })), refusedPorts(80, 1)), []);
    // a client whose 80 connections to as many ports complete (FTP passive data ports) never fires
    const completed = range(80).flatMap((k): Pkt[] => [
      { ts: 1 + k * 15, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 30000 + k, flags: SYN },
      { ts: 1 + k * 15 + 0.002, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 30000 + k, flags: ACK },
      { ts: 1 + k * 15 + 0.5, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 30000 + k, flags: FIN | ACK },
    ]);
    assert.deepEqual(run(new SourceRules(slowCfg), completed), []);
  });

  test('replies to a client (SYN-ACK, RST-ACK, ACK to many ephemeral ports) never count', () => {
    const sr = new SourceRules(cfg);
    const replies = range(60).flatMap((k) => [
      { ts: 1 + k * 0.001, src: '10.0.0.2', dst: '10.0.0.1', sp: 80, dp: 40000 + k, flags: SYN | ACK },
      { ts: 1 + k * 0.001, src: '10.0.0.2', dst: '10.0.0.1', sp: 81, dp: 41000 + k, flags: RST | ACK },
      { ts: 1 + k * 0.001, src: '10.0.0.2', dst: '10.0.0.1', sp: 443, dp: 42000 + k, flags: ACK | PSH, payload: 100 },
      { ts: 1 + k * 0.001, src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp' as const, sp: 53, dp: 43000 + k, payload: 80 },
    ]);
    assert.deepEqual(run(sr, replies), []);
  });

  test('UDP probes from a system port (nmap -sU --source-port 53 or 123) are a vertical scan, a sweep of one port from one a horizontal one; answers from one (to ephemeral ports, or to the port asked) and symmetric peers (123 to 123) are not', () => {
    const sr = new SourceRules(cfg);
    const probes = (sp: number, src: string) => range(60).map((k) => ({ ts: 1 + k * 0.01, src, dst: '10.0.0.1', proto: 'udp' as const, sp, dp: k < 20 ? [7, 9, 13, 17, 19, 37, 49, 53, 67, 68, 69, 80, 88, 111, 123, 135, 137, 138, 139, 161][k]! : 200 + k * 7, payload: 0 }));
    const fired = run(sr, probes(53, '10.0.0.7'));
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.type, 'port-scan-vertical');
    assert.equal(fired[0]!.source, '10.0.0.7');
    assert.equal(run(new SourceRules(cfg), probes(123, '10.0.0.8')).length, 1, 'from 123 as well');
    // a sweep of one port so (nmap -sU -p 161 -g 53), past the horizontal rule's 100 hosts
    const sweep = range(150).map((k) => ({ ts: 1 + k * 0.004, src: '10.0.0.9', dst: `10.0.1.${k + 1}`, proto: 'udp' as const, sp: 53, dp: 161, payload: 40 }));
    assert.deepEqual(run(new SourceRules(cfg), sweep).map((a) => `${a.type} ${a.source}`), ['port-scan-horizontal 10.0.0.9']);
    // a DHCP server's offers (67 to 68, BOOTP's 236 bytes and its options) to 150 hosts whose requests were broadcast
    const offers = range(150).map((k) => ({ ts: 1 + k * 0.004, src: '10.0.0.1', dst: `10.0.1.${k + 1}`, proto: 'udp' as const, sp: 67, dp: 68, payload: 300 }));
    assert.deepEqual(run(new SourceRules(cfg), offers), []);
    // a server answering questions asked of it, on their ports (the asker's system ports)
    const asked = range(60).flatMap((k) => [
      { ts: 1 + k * 0.01, src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp' as const, sp: 100 + k * 13, dp: 53, payload: 40 },
      { ts: 1 + k * 0.01 + 0.001, src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp' as const, sp: 53, dp: 100 + k * 13, payload: 80 },
    ]);
    const b = batchOf(asked);
    new SessionVerifier().mark(b); // as the node marks every batch: the answers are UDP_REPLY
    const out: Alert[] = [];
    new SourceRules(cfg).scan(b, out);
    assert.deepEqual(out, []);
    // NTP peers (123 to 123) and syslog relays (514 to 514): one port, whatever the number of datagrams
    const peers = range(60).flatMap((k) => [
      { ts: 1 + k * 0.5, src: '10.0.0.3', dst: '10.0.0.1', proto: 'udp' as const, sp: 123, dp: 123, payload: 48 },
      { ts: 1 + k * 0.5 + 0.1, src: '10.0.0.4', dst: '10.0.0.1', proto: 'udp' as const, sp: 514, dp: 514, payload: 120 },
    ]);
    assert.deepEqual(run(new SourceRules(cfg), peers), []);
  });

  test('UDP probes from port 53 to ports above 1023 alone (nmap -sU -g 53 seen after its system ports: a capture begun late) are a vertical scan when they carry no DNS message; DNS answers whose questions were not seen, and a peer\'s datagrams from 53 to 53, are not', () => {
    // nmap sends an empty datagram to every port it has no payload for; 60 ports from 2000 up
    const probes = (payload: number, sp = 53) => range(60).map((k) => ({ ts: 1 + k * 0.01, src: '10.0.0.7', dst: '10.0.0.1', proto: 'udp' as const, sp, dp: 2000 + k * 37, payload }));
    assert.deepEqual(run(new SourceRules(cfg), probes(0)).map((a) => `${a.type} ${a.source}`), ['port-scan-vertical 10.0.0.7']);
    assert.deepEqual(run(new SourceRules(cfg), probes(0, 123)).map((a) => `${a.type} ${a.source}`), ['port-scan-vertical 10.0.0.7'], 'from 123 as well');
    assert.deepEqual(run(new SourceRules(cfg), probes(8)).map((a) => `${a.type} ${a.source}`), ['port-scan-vertical 10.0.0.7'], 'fewer bytes than a DNS header');
    // a resolver's answers (a header and more) to one client's ever new ports, its questions not captured
    assert.deepEqual(run(new SourceRules(cfg), probes(80)), []);
    // an NTP server's answers from 123 the same way (48 bytes)
    assert.deepEqual(run(new SourceRules(cfg), probes(48, 123)), []);
    // an old BIND querying from 53 to 53 (a DNS query) of 60 servers
    const bind = range(60).map((k) => ({ ts: 1 + k * 0.01, src: '10.0.0.5', dst: `10.0.2.${k + 1}`, proto: 'udp' as const, sp: 53, dp: 53, payload: 30 }));
    assert.deepEqual(run(new SourceRules(cfg), bind), []);
  });

  test('a reflector answering from its service port to many ports of its victim is not scanning it', () => {
    const sr = new SourceRules(cfg);
    const out = run(sr, range(40).map((k) => ({ ts: 1 + k * 0.001, src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp' as const, sp: 4500, dp: 20000 + k * 7, payload: 204 })));
    assert.deepEqual(out, []);
  });

  test('FIN/NULL/Xmas probes and new UDP flows reach ports as SYNs do', () => {
    const sr = new SourceRules(rules({ verticalScan: { threshold: 6, leakPerS: 0.5, burstMaxretry: 0 }, scanProbe: { enabled: false } }));
    const pkts = range(6).map((k) =>
      k < 3
        ? { ts: 1 + k * 0.1, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000, dp: 1000 + k, flags: [FIN, 0, FIN | PSH | URG][k]! }
        : { ts: 1 + k * 0.1, src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp' as const, sp: 50000, dp: 1000 + k },
    );
    const out = run(sr, pkts);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.proto, 'udp');
  });

  test('fail2ban burst: five new ports within 50 ms fire at once; the same spread over 100 ms apart does not', () => {
    const burst = rules({ verticalScan: { threshold: 50, burstMaxretry: 5, burstFindtimeS: 0.05 } });
    const fast = run(new SourceRules(burst), range(5).map((k) => ({ ts: 1 + k * 0.01, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 20 + k })));
    assert.equal(fast.length, 1);
    assert.equal(fast[0]!.evidence.burstPorts, 5);
    assert.equal(fast[0]!.evidence.findtimeS, 0.05);
    const four = run(new SourceRules(burst), range(4).map((k) => ({ ts: 1 + k * 0.01, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 20 + k })));
    assert.deepEqual(four, []);
    const spread = run(new SourceRules(burst), range(10).map((k) => ({ ts: 1 + k * 0.1, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 20 + k })));
    assert.deepEqual(spread, []);
  });

  test('cooldown: no repeat alert for that source and host until it has passed', () => {
    const sr = new SourceRules(rules({ cooldownS: 100, verticalScan: { threshold: 6, leakPerS: 0.5, burstMaxretry: 0 } }));
    const scan = (t0: number, base: number) => range(6).map((k) => ({ ts: t0 + k * 0.01, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: base + k }));
    assert.equal(run(sr, scan(10, 100)).length, 1);
    assert.equal(run(sr, scan(20, 200)).length, 0, 'inside the cooldown');
    assert.equal(run(sr, scan(50, 300)).length, 0, 'inside the cooldown');
    assert.equal(run(sr, scan(10, 400).map((p) => ({ ...p, dst: '10.0.0.3' }))).length, 1, 'another host is another key');
    assert.equal(run(sr, scan(111, 500)).length, 1, 'after the cooldown');
    assert.ok(sr.stats().suppressed! > 0);
  });

  test('IPv6 sources and hosts are keyed by their text', () => {
    const sr = new SourceRules(cfg);
    const out = run(sr, range(6).map((k) => ({ ts: 1 + k * 0.1, src: '2001:db8::1', dst: '2001:db8::2', sp: 50000 + k, dp: 1000 + k })));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.source, '2001:db8::1');
    assert.equal(out[0]!.target, '2001:db8::2');
  });
});

describe('horizontal scan', () => {
  const cfg = rules({ horizontalScan: { threshold: 8, leakPerS: 0.5 } });

  test('fires at the threshold of distinct hosts on one port, naming no single target', () => {
    const sr = new SourceRules(cfg);
    const syns = range(8).map((k) => ({ ts: 1 + k * 0.1, src: '10.0.0.1', dst: `10.1.0.${k + 1}`, sp: 50000 + k, dp: 3389 }));
    assert.deepEqual(run(sr, syns.slice(0, 7)), []);
    const out = run(sr, syns.slice(7));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'port-scan-horizontal');
    assert.equal(out[0]!.target, '*');
    assert.equal(out[0]!.evidence.hosts, 8);
    assert.equal(out[0]!.evidence.port, 3389);
  });

  test('connections that speak to one cooperating host take back only that host: a sweep around them still fires', () => {
    const sr = new SourceRules(cfg);
    const pkts: Pkt[] = [];
    for (const k of range(8)) {
      const t = 1 + k * 0.1;
      pkts.push({ ts: t, src: '10.0.0.1', dst: `10.1.0.${k + 1}`, sp: 50000 + k, dp: 3389 });
      // the same cooperating host again: a full connection that sends data
      const sp = 51000 + k;
      pkts.push({ ts: t + 0.01, src: '10.0.0.1', dst: '10.1.0.100', sp, dp: 3389 });
      pkts.push({ ts: t + 0.02, src: '10.1.0.100', dst: '10.0.0.1', sp: 3389, dp: sp, flags: 0x12 });
      pkts.push({ ts: t + 0.03, src: '10.0.0.1', dst: '10.1.0.100', sp, dp: 3389, flags: 0x10 });
      pkts.push({ ts: t + 0.04, src: '10.0.0.1', dst: '10.1.0.100', sp, dp: 3389, flags: 0x18, payload: 40 });
    }
    const out = run(sr, pkts);
    assert.deepEqual(out.map((a) => a.type), ['port-scan-horizontal']);
    assert.equal(out[0]!.evidence.hosts, 9); // the 8 swept and the cooperating one (seen, taken back once)
  });

  test('ping sweeps count; DNS queries to many resolvers do not', () => {
    const sweep = run(new SourceRules(cfg), range(8).map((k) => ({ ts: 1 + k * 0.1, src: '10.0.0.1', dst: `10.1.0.${k + 1}`, proto: 'icmp' as const, icmpType: 8, payload: 56 })));
    assert.equal(sweep.length, 1);
    assert.equal(sweep[0]!.evidence.proto, 'icmp-echo');
    const dns = run(new SourceRules(cfg), range(30).map((k) => ({ ts: 1 + k * 0.1, src: '10.0.0.1', dst: `10.1.0.${k + 1}`, proto: 'udp' as const, sp: 40000 + k, dp: 53, payload: 40 })));
    assert.deepEqual(dns, []);
  });
});

describe('scan probes', () => {
  const RULES_OFF: RulesOverrides = { verticalScan: { enabled: false }, horizontalScan: { enabled: false }, halfOpen: { enabled: false } };
  const cfg = rules({ ...RULES_OFF, scanProbe: { threshold: 2 } });
  const probe = (over: Partial<Pkt>, k = 0): Pkt => ({ ts: 1 + k * 0.01, src: '10.0.0.1', dst: '10.0.0.2', sp: 50000 + k, dp: 80 + k, ...over });
  const kinds: Array<[string, Partial<Pkt>]> = [
    ['null', { flags: 0 }],
    ['fin', { flags: FIN }],
    ['xmas', { flags: FIN | PSH | URG, win: 1024 }],
    ['syn-fin', { flags: SYN | FIN }],
    ['syn-rst', { flags: SYN | RST }],
    ['no-ack', { flags: PSH }],
    ['nmap-syn', { flags: SYN, win: 1024, opts: PacketFlags.TCP_MSS, df: false }],
    ['os-probe-syn', { flags: SYN, win: 63 }],
    ['icmp-empty-echo', { proto: 'icmp', icmpType: 8, payload: 0 }],
    ['icmp-echo-code', { proto: 'icmp', icmpType: 8, icmpCode: 9, payload: 120 }],
    ['icmp-old-request', { proto: 'icmp', icmpType: 13, payload: 12 }],
  ];
  for (const [name, over] of kinds) {
    test(`${name}: one is tolerated, the second from the same source fires`, () => {
      const sr = new SourceRules(cfg);
      assert.deepEqual(run(sr, [probe(over, 0)]), []);
      const out = run(sr, [probe(over, 1)]);
      assert.equal(out.length, 1, name);
      assert.equal(out[0]!.type, 'scan-probe');
      assert.equal(out[0]!.blockable, true);
      assert.equal(out[0]!.evidence.kinds, name);
      assert.equal(out[0]!.evidence.probes, 2);
    });
  }

  test('ordinary packets are not probes: Linux and Windows SYNs, handshakes, FIN-ACK, RST, pings with data, window-0 flood SYNs', () => {
    const sr = new SourceRules(cfg);
    const normal: Pkt[] = [
      probe({ flags: SYN, win: 64240 }, 0),
      probe({ flags: SYN, win: 1024, opts: LINUX_OPTS, df: false }, 1), // nmap's window, a real stack's options
      probe({ flags: SYN, win: 2048, opts: PacketFlags.TCP_MSS, df: true }, 2), // an embedded stack: MSS only, but DF set
      probe({ flags: SYN | ACK }, 3),
      probe({ flags: ACK | PSH, payload: 100 }, 4),
      probe({ flags: FIN | ACK }, 5),
      probe({ flags: RST }, 6),
      probe({ flags: RST | ACK }, 7),
      probe({ flags: SYN | 0x40 | 0x80 }, 8), // ECN-setup SYN
      probe({ proto: 'icmp', icmpType: 8, payload: 56 }, 9),
      probe({ proto: 'icmp', icmpType: 0, payload: 56 }, 10),
      probe({ proto: 'icmp', icmpType: 3, icmpCode: 3, payload: 28 }, 11),
      probe({ flags: SYN, win: 0, opts: 0, df: false }, 12),
      probe({ flags: SYN, win: 0, opts: 0, df: false, src: '10.9.9.9' }, 13),
    ];
    assert.deepEqual(run(sr, normal), []);
  });

  test('a retransmitted probing SYN counts once', () => {
    const sr = new SourceRules(cfg);
    const syn = probe({ flags: SYN, win: 1024, opts: PacketFlags.TCP_MSS, df: false }, 0);
    assert.deepEqual(run(sr, [syn, { ...syn, ts: syn.ts + 1 }, { ...syn, ts: syn.ts + 3 }]), []);
  });

  const handshake = (sp: number, t: number, end: Pkt['flags'], data = 0, endAfter = 0.001): Pkt[] => [
    { ts: t, src: '10.0.0.1', dst: '10.0.0.2', sp, dp: 80, flags: SYN },
    { ts: t + 0.0005, src: '10.0.0.1', dst: '10.0.0.2', sp, dp: 80, flags: ACK },
    ...(data ? [{ ts: t + 0.0007, src: '10.0.0.1', dst: '10.0.0.2', sp, dp: 80, flags: ACK | PSH, payload: data }] : []),
    { ts: t + endAfter, src: '10.0.0.1', dst: '10.0.0.2', sp, dp: 80, flags: end },
  ];

  const byTime = (pkts: Pkt[]): Pkt[] => pkts.sort((a, b) => a.ts - b.ts);

  test('connect probes: handshakes reset with no data, in flight together, fire at the second', () => {
    const sr = new SourceRules(cfg);
    // the second opened before the first was reset
    const out = run(sr, byTime([...handshake(50001, 1, RST | ACK), ...handshake(50002, 1.0002, RST | ACK)]));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.kinds, 'connect-abort');
    assert.equal(out[0]!.firstTs, 1.001);
  });

  test('connect probes: one at a time within 1 s do not count (a checker\'s); with connectAbortOverlap false they do', () => {
    assert.deepEqual(run(new SourceRules(cfg), [...handshake(50001, 1, RST | ACK), ...handshake(50002, 1.2, RST | ACK)]), []);
    const sr = new SourceRules(rules({ ...RULES_OFF, scanProbe: { threshold: 2, connectAbortOverlap: false } }));
    const out = run(sr, [...handshake(50001, 1, RST | ACK), ...handshake(50002, 1.2, RST | ACK)]);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.firstTs, 1.001);
  });

  test('connect probes: one overlapping a handshake the source reset unfinished counts with the next probe within 1 s (nmap\'s discovery, then its scan)', () => {
    const sr = new SourceRules(cfg);
    // connect() to 80 and 443 at once; 80 answers and is reset, 443's SYN-ACK comes after and
    // is reset without the ACK (its socket closed); 50 ms later a connect probe of 80 again
    const out = run(sr, byTime([
      ...handshake(50001, 1, RST | ACK, 0, 0.02),
      { ts: 1.00001, src: '10.0.0.1', dst: '10.0.0.2', sp: 50002, dp: 443, flags: SYN },
      { ts: 1.025, src: '10.0.0.1', dst: '10.0.0.2', sp: 50002, dp: 443, flags: RST },
      ...handshake(50003, 1.05, RST | ACK, 0, 0.02),
    ]));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.kinds, 'connect-abort');
    assert.equal(out[0]!.firstTs, 1.02);
  });

  test('connect probes are counted once each: three within 1 s are three, not two pairs (four)', () => {
    // with a threshold above the default's 2, so the count shows before the alert
    const at = (threshold: number) => {
      const sr = new SourceRules(rules({ ...RULES_OFF, scanProbe: { threshold, connectAbortOverlap: false } }));
      return [1, 1.3, 1.6, 1.9].map((t, k) => run(sr, handshake(50001 + k, t, RST | ACK)));
    };
    const three = at(3);
    assert.deepEqual([three[0]!.length, three[1]!.length, three[2]!.length], [0, 0, 1]);
    assert.equal(three[2]![0]!.evidence.probes, 3);
    assert.equal(three[2]![0]!.firstTs, 1.001, 'the first probe starts the count');
    const four = at(4);
    assert.deepEqual(four.map((o) => o.length), [0, 0, 0, 1], 'three probes do not reach four');
    assert.equal(four[3]![0]!.evidence.probes, 4);
    // a probe alone (more than 1 s after the previous one) does not count; the next pair counts two
    const sr = new SourceRules(rules({ ...RULES_OFF, scanProbe: { threshold: 7, connectAbortOverlap: false } }));
    const times = [1, 1.5, 4, 4.5, 4.9, 9, 9.2]; // counted: 2, then 0, 2, 1, then 0, 2: 7 at 9.2
    const outs = times.map((t, k) => run(sr, handshake(50101 + k, t, RST | ACK)));
    assert.deepEqual(outs.map((o) => o.length), [0, 0, 0, 0, 0, 0, 1]);
    assert.equal(outs[6]![0]!.evidence.probes, 7);
  });

  test('not connect probes: a health checker resetting one connection per target and interval (HAProxy: 2 s), or one host\'s twice within a second, one at a time', () => {
    const sr = new SourceRules(cfg);
    const checks: Pkt[] = [];
    for (let round = 0; round < 5; round++) {
      for (const host of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) {
        for (const p of handshake(50000 + round * 10 + checks.length, 1 + round * 2, RST | ACK)) checks.push({ ...p, dst: host });
      }
    }
    assert.deepEqual(run(sr, checks), []);
    // one host twice within a second, one at a time (HAProxy's inter 500ms): not counted
    assert.equal(run(sr, handshake(51000, 11, RST | ACK)).length, 0);
    assert.equal(run(sr, handshake(51001, 11.5, RST | ACK)).length, 0);
    // two at once are
    assert.equal(run(sr, byTime([...handshake(51002, 12, RST | ACK), ...handshake(51003, 12.0001, RST | ACK)])).length, 1);
  });

  test('not connect probes: resets after data, closes with FIN, resets long after the SYN', () => {
    const sr = new SourceRules(cfg);
    const out = run(sr, [
      ...handshake(50001, 1, RST | ACK, 200),
      ...handshake(50002, 2, FIN | ACK),
      ...handshake(50003, 3, RST | ACK, 0, 30),
      ...handshake(50004, 40, RST | ACK, 1),
    ]);
    assert.deepEqual(out, []);
  });
});

describe('brute force, read from the server\'s replies', () => {
  // A server's answers count only on connections the session verifier saw established (the
  // node's verifier marks them; here every segment after the SYN-ACK is marked, unless a
  // test says it is forged).
  const run = (sr: SourceRules, pkts: Pkt[], tally?: VictimTally): Alert[] => runAll(sr, pkts.map((p) => (p.verified === false || p.flags === (SYN | ACK) ? p : { ...p, verified: true })), tally);
  const cfg = rules({ halfOpen: { enabled: false }, scanProbe: { enabled: false } });
  const SRV = '10.0.0.22';
  /** An SSH binary packet's plaintext header: length, padding, message code. */
  const plain = (total: number, msg: number) => [(total - 4) >>> 24, ((total - 4) >> 16) & 255, ((total - 4) >> 8) & 255, (total - 4) & 255, 6, msg];
  /**
   * The server's side of one SSH session (what the shard of the server sees): SYN-ACK,
   * banner, KEXINIT, KEX reply + NEWKEYS in one segment, then encrypted segments of the
   * given sizes (S = 44: SERVICE_ACCEPT, 52: USERAUTH_FAILURE, 28: USERAUTH_SUCCESS, as
   * OpenSSH 9.2 sends them with AES-GCM), then the server's FIN. The first two replies come
   * at once (SERVICE_ACCEPT, the methods), later ones 2.5 s apart (PAM's fail delay), or
   * `quick` ones 10 ms apart (refused keys).
   */
  const sshSession = (cp: number, t: number, replies: number[], opts: { client?: string; server?: string; port?: number; close?: boolean; quick?: number } = {}): Pkt[] => {
    const client = opts.client ?? '10.0.0.1', port = opts.port ?? 22, server = opts.server ?? SRV;
    const srv = (dt: number, payload: number, head?: string | number[], flags = ACK | PSH): Pkt => ({ ts: t + dt, src: server, dst: client, sp: port, dp: cp, flags, payload, head });
    const pkts: Pkt[] = [
      srv(0, 0, undefined, SYN | ACK),
      srv(0.01, 41, 'SSH-2.0-OpenSSH_9.2p1 Debian'),
      srv(0.02, 1088, plain(1088, 20)),
      srv(0.1, 1564, plain(1500, 31)),
      ...replies.map((n, k) => srv(k < 2 ? 0.2 + k * 0.01 : k < 2 + (opts.quick ?? 0) ? 0.21 + (k - 1) * 0.01 : 0.3 + (k - 1 - (opts.quick ?? 0)) * 2.5, n)),
    ];
    if (opts.close !== false) pkts.push(srv(0.5 + replies.length * 2.5, 0, undefined, FIN | ACK));
    return pkts;
  };
  /** An FTP session's server side: greeting, then replies 2.5 s apart (vsftpd's and PAM's fail delays). */
  const ftpSession = (cp: number, t: number, replies: string[], client = '10.0.0.1'): Pkt[] => [
    { ts: t, src: SRV, dst: client, sp: 21, dp: cp, flags: SYN | ACK },
    ...['220 (vsFTPd 3.0.3)', ...replies].map((r, k): Pkt => ({ ts: t + 0.01 + k * 2.5, src: SRV, dst: client, sp: 21, dp: cp, flags: ACK | PSH, payload: r.length + 2, head: r })),
  ];

  test('five failed SSH logins fire at the fifth, naming the client; four do not', () => {
    const sr = new SourceRules(cfg);
    // 'none' answered with F (52), then failures of the same size
    assert.deepEqual(run(sr, sshSession(50000, 1, [44, 52, 52, 52], { close: false })), [], 'two failures');
    assert.deepEqual(run(sr, sshSession(50001, 10, [44, 52, 52, 52])), [], 'four');
    const out = run(sr, sshSession(50002, 20, [44, 52, 52]));
    assert.equal(out.length, 1);
    const a = out[0]!;
    assert.equal(a.type, 'ssh-brute-force');
    assert.equal(a.source, '10.0.0.1');
    assert.equal(a.target, SRV);
    assert.equal(a.blockable, true);
    assert.equal(a.evidence.failures, 5);
    assert.equal(a.evidence.service, 'ssh');
    assert.equal(a.evidence.maxretry, 5);
  });

  test('an ACK flood of forged sources does not push a verified SSH session out of the socket table: its guesses still count', () => {
    // 64 sockets; 2,000 forged ACKs to the server, each a closed socket of its own, arrive
    // between the key exchange and the failures
    const session = sshSession(50000, 1, [44, 52, 52, 52, 52, 52, 52]).map((p, k) => ({ ...p, verified: k > 0 }));
    const flood = range(2000).map((k): Pkt => ({ ts: 1.15 + k * 1e-5, src: `198.18.${k >> 8}.${k & 255}`, dst: SRV, sp: 1024 + k, dp: 22, flags: ACK }));
    const split = session.findIndex((p) => p.ts > 1.15);
    const sr = new SourceRules(cfg, { maxSockets: 64 });
    const t = newVictimTally();
    const out = run(sr, [...session.slice(0, split), ...flood, ...session.slice(split)], t);
    assert.equal(out.length, 1, 'the fifth failure fires');
    assert.equal(out[0]!.evidence.failures, 5);
    const s = sr.stats();
    assert.ok(s.socketEvictions! >= 2000 - 64, 'the flood\'s entries pushed out each other');
    assert.equal(s.verifiedSocketEvictions, 0);
    assert.equal(t.stray.reduce((a, b) => a + b, 0), 2000, 'every forged ACK counted toward the flood, once');
    // unverified until the flood, the same session is pushed out like any entry (plain LRU
    // among the rest): its later answers, verified, find no socket to follow
    const blind = new SourceRules(cfg, { maxSockets: 64 });
    const unverified = run(blind, [...session.slice(0, split).map((p) => ({ ...p, verified: false })), ...flood, ...session.slice(split)], newVictimTally());
    assert.deepEqual(unverified, []);
  });

  test('answers forged in the server\'s name (a SYN-ACK, then FTP 530s or HTTP 401s on no verified connection) count nothing', () => {
    const forged = (ps: Pkt[]) => ps.map((p) => ({ ...p, verified: false }));
    assert.deepEqual(run(new SourceRules(cfg), forged(range(6).flatMap((k) => ftpSession(52000 + k, k * 0.1, ['530 Login incorrect.', '530 Login incorrect.'])))), []);
    const http = forged(serverSide(80, 53000, 1, range(40).map((k): [number, number, string] => [0.01 + k * 0.01, 200, 'HTTP/1.1 401 Unauthorized'])));
    assert.deepEqual(run(new SourceRules(cfg), http), []);
    // the same answers on a verified connection fire
    assert.equal(run(new SourceRules(cfg), http.map((p) => ({ ...p, verified: undefined })))[0]?.type, 'brute-force');
  });

  test('SSH is known by its banner on any port; a port-22 server that does not speak SSH is not followed', () => {
    const sr = new SourceRules(cfg);
    const out = run(sr, [...sshSession(50000, 1, [44, 52, 52, 52, 52, 52], { port: 2222 }), ...sshSession(50001, 10, [44, 52, 52], { port: 2222 })]);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.port, 2222);
    const http = new SourceRules(cfg);
    const fake = range(8).flatMap((k) => ftpSession(51000 + k, 30 + k, ['530 Login incorrect.']).map((p) => ({ ...p, sp: 22, head: p.head === '220 (vsFTPd 3.0.3)' ? 'HTTP/1.1 200 OK' : p.head })));
    assert.deepEqual(run(http, fake), [], 'an HTTP server on port 22 says nothing about logins');
  });

  test('a failed then successful login is forgiven: the admin who mistypes is never banned', () => {
    const sr = new SourceRules(cfg);
    for (let day = 0; day < 5; day++) {
      // two mistyped sessions, then one that logs in (28 = S - 16)
      const t = day * 700;
      assert.deepEqual(run(sr, [...sshSession(50000 + day * 3, t, [44, 52, 52]), ...sshSession(50001 + day * 3, t + 5, [44, 52, 52]), ...sshSession(50002 + day * 3, t + 10, [44, 52, 28, 116, 44])]), [], `day ${day}`);
    }
    // a typo and the right password in one session, many times
    assert.deepEqual(run(sr, range(10).flatMap((k) => sshSession(52000 + k, 5000 + k * 20, [44, 52, 52, 28, 116]))), []);
  });

  test('refused keys (answered at once) are not guesses; a first request answered late is one (a password without "none" first)', () => {
    const sr = new SourceRules(cfg);
    // three keys refused, one password mistyped, in each of four sessions; then a login
    for (let k = 0; k < 4; k++) assert.deepEqual(run(sr, sshSession(50000 + k, k * 20, [44, 52, 52, 52, 52, 52], { quick: 3 })), [], `session ${k}`);
    assert.deepEqual(run(sr, sshSession(50010, 100, [44, 52, 52, 52, 52, 28], { quick: 3 })), []);
    // Paramiko-style: the first request is a password; its failure is the first failure-sized answer, 2.5 s after S
    const p = new SourceRules(cfg);
    const direct = (k: number): Pkt[] => sshSession(51000 + k, k * 10, [44]).flatMap((x, j, all) => (j === all.length - 1 ? [{ ...x, ts: x.ts + 3, payload: 52, flags: ACK | PSH }, { ...x, ts: x.ts + 3.1 }] : [x]));
    assert.deepEqual(run(p, range(4).flatMap(direct)), []);
    assert.equal(run(p, direct(4)).length, 1);
  });

  test('sessions with no outcome read (methods asked only, or no failure size) are undecided: a bucket of 10; banner grabs never count', () => {
    const m = new SourceRules(cfg);
    assert.deepEqual(run(m, range(9).flatMap((k) => sshSession(50000 + k, 1 + k * 2, [44, 52]))), [], 'nine methods-only sessions');
    const tenth = run(m, sshSession(50010, 30, [44, 52]));
    assert.equal(tenth.length, 1);
    assert.equal(tenth[0]!.evidence.undecidedSessions, 10);
    // one refused key and nothing else: counted as one failed attempt at the close
    const q = new SourceRules(cfg);
    assert.deepEqual(run(q, range(4).flatMap((k) => sshSession(50000 + k, 1 + k * 20, [44, 52, 52], { quick: 1 }))), []);
    assert.equal(run(q, sshSession(50010, 100, [44, 52, 52], { quick: 1 }))[0]?.evidence.failures, 5);
    // sessions with no outcome at all (no failure size ever): a bucket of 10 at one a minute
    const u = new SourceRules(cfg);
    assert.deepEqual(run(u, range(9).flatMap((k) => sshSession(50000 + k, 1 + k, [44]))), []);
    const out = run(u, sshSession(50020, 20, [44]));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.undecidedSessions, 10);
    // banner grabs (no key exchange) are never counted
    const grab = new SourceRules(cfg);
    const grabs = range(40).flatMap((k): Pkt[] => [
      { ts: k, src: SRV, dst: '10.0.0.9', sp: 22, dp: 40000 + k, flags: SYN | ACK },
      { ts: k + 0.01, src: SRV, dst: '10.0.0.9', sp: 22, dp: 40000 + k, flags: ACK | PSH, payload: 41, head: 'SSH-2.0-OpenSSH_9.2p1' },
      { ts: k + 0.02, src: SRV, dst: '10.0.0.9', sp: 22, dp: 40000 + k, flags: FIN | ACK },
    ]);
    assert.deepEqual(run(grab, grabs), []);
  });

  test('the key exchange is walked across segments: a KEX reply split by the MSS, NEWKEYS alone, EXT_INFO skipped', () => {
    const sr = new SourceRules(cfg);
    const t = 1;
    const srv = (dt: number, payload: number, head?: string | number[], flags = ACK | PSH): Pkt => ({ ts: t + dt, src: SRV, dst: '10.0.0.1', sp: 22, dp: 50000, flags, payload, head });
    const session: Pkt[] = [
      srv(0, 0, undefined, SYN | ACK),
      srv(0.01, 41, 'SSH-2.0-OpenSSH_9.2p1 Debian'),
      srv(0.02, 1088, plain(1088, 20)),
      srv(0.1, 1448, plain(1564, 31)), // the KEX reply, cut by the MSS
      srv(0.11, 116, [1, 2, 3, 4, 5, 6, 7]), // its tail
      srv(0.12, 16, plain(16, 21)), // NEWKEYS alone
      srv(0.13, 300), // EXT_INFO
      ...[44, 52, 52, 52, 52, 52, 52].map((n, k) => srv(0.2 + (k < 2 ? k * 0.01 : k * 2.5), n)),
    ];
    const out = run(sr, session);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.failures, 5);
  });

  test('a retransmitted answer counts once: four FTP 530s or four SSH failures, each sent twice, stay below five; the next failure is the fifth', () => {
    const ftp = new SourceRules(cfg);
    assert.deepEqual(run(ftp, withResent(ftpSession(50100, 1, range(4).map(() => '530 Login incorrect.')), (p) => p.head === '530 Login incorrect.')), [], 'four, not eight');
    const fifth = run(ftp, ftpSession(50101, 20, ['530 Login incorrect.']));
    assert.equal(fifth.length, 1);
    assert.equal(fifth[0]!.evidence.failures, 5);
    const ssh = new SourceRules(cfg);
    assert.deepEqual(run(ssh, withResent(sshSession(50102, 1, [44, 52, 52, 52, 52, 52]), (p) => p.payload === 52 && p.ts > 1.25)), [], 'four, not eight');
    const out = run(ssh, sshSession(50103, 30, [44, 52, 52]));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'ssh-brute-force');
  });

  test('FTP: 530 replies are failures, 230 forgives; SMTP 535; POP3 -ERR; IMAP tagged NO; Telnet "Login incorrect"', () => {
    const ftp = new SourceRules(cfg);
    assert.deepEqual(run(ftp, ftpSession(50000, 1, ['331 Please specify the password.', '530 Login incorrect.', '331 x', '530 Login incorrect.', '331 x', '230 Login successful.'])), []);
    assert.deepEqual(run(ftp, ftpSession(50001, 20, range(4).map(() => '530 Login incorrect.'))), [], 'forgiven, then four');
    const out = run(ftp, ftpSession(50002, 40, ['331 Please specify', '530 Login incorrect.']));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'brute-force');
    assert.equal(out[0]!.evidence.service, 'ftp');
    const greet = (first: string, fail: string, port: number) => {
      const sr = new SourceRules(cfg);
      const pkts = range(5).flatMap((k): Pkt[] => [
        { ts: k * 3, src: SRV, dst: '10.0.0.5', sp: port, dp: 45000 + k, flags: SYN | ACK },
        { ts: k * 3 + 0.1, src: SRV, dst: '10.0.0.5', sp: port, dp: 45000 + k, flags: ACK | PSH, payload: 40, head: first },
        { ts: k * 3 + 1, src: SRV, dst: '10.0.0.5', sp: port, dp: 45000 + k, flags: ACK | PSH, payload: 40, head: fail },
      ]);
      return run(sr, pkts);
    };
    for (const [first, fail, port, name] of [
      ['220 mail.example.org ESMTP', '535 5.7.8 Error: auth', 587, 'smtp'],
      ['+OK Dovecot ready.', '-ERR [AUTH] Authentication failed.', 110, 'pop3'],
      ['* OK [CAPABILITY IMAP4rev1]', 'a002 NO [AUTHENTICATIONFAILED]', 143, 'imap'],
      ['\xff\xfd\x18\xff\xfd\x20', '\r\nLogin incorrect\r\n', 23, 'telnet'],
    ] as const) {
      const got = greet(first, fail, port);
      assert.equal(got.length, 1, name);
      assert.equal(got[0]!.evidence.service, name);
      assert.equal(got[0]!.source, '10.0.0.5');
    }
    assert.deepEqual(greet('* OK ready', '* NO [ALERT] disk almost full', 143), [], 'an untagged NO is no answer to a login');
    assert.deepEqual(greet('+OK ready', '+OK 2 messages', 110), []);
  });

  /** The server's side of one connection: SYN-ACK, then each [dt, payload length, head] segment, then its FIN. */
  const serverSide = (port: number, cp: number, t: number, segs: [number, number, string | number[]][], client = '10.0.0.1'): Pkt[] => [
    { ts: t, src: SRV, dst: client, sp: port, dp: cp, flags: SYN | ACK },
    ...segs.map(([dt, len, head]): Pkt => ({ ts: t + dt, src: SRV, dst: client, sp: port, dp: cp, flags: ACK | PSH, payload: len, head })),
    { ts: t + (segs.at(-1)?.[0] ?? 0) + 0.001, src: SRV, dst: client, sp: port, dp: cp, flags: FIN | ACK },
  ];
  const mysqlPacket = (seq: number, payload: number[]) => [payload.length & 255, (payload.length >> 8) & 255, payload.length >> 16, seq, ...payload];
  const MYSQL_GREETING: [number, number, number[]] = [0.001, 82, [78, 0, 0, 0, 10, ...Buffer.from('8.0.36\0', 'latin1'), 8, 0, 0]];
  const mysqlErr = (code: number) => mysqlPacket(2, [0xff, code & 255, code >> 8, 0x23, 0x32, 0x38, 0x30, 0x30, 0x30]);
  const MYSQL_OK = mysqlPacket(2, [0, 0, 0, 2, 0, 0, 0]);
  /** One MySQL login: the greeting, then the answer 5 ms later (MySQL has no fail delay). */
  const mysqlLogin = (cp: number, t: number, answer: number[], answerLen = answer.length, client = '10.0.0.1') => serverSide(3306, cp, t, [MYSQL_GREETING, [0.005, answerLen, answer]], client);

  test('MySQL: ERR 1045 is a failed login (5 fire, named mysql); an OK forgives; other errors (1040) are not failures', () => {
    const sr = new SourceRules(cfg);
    // a user who mistypes twice in the client, then logs in, every few minutes all day
    for (let k = 0; k < 10; k++) assert.deepEqual(run(sr, [...mysqlLogin(40000 + k * 3, k * 300, mysqlErr(1045), 80), ...mysqlLogin(40001 + k * 3, k * 300 + 5, mysqlErr(1045), 80), ...mysqlLogin(40002 + k * 3, k * 300 + 12, MYSQL_OK)]), [], `round ${k}`);
    // an application pool of 20 reconnecting at once after a restart: logged in, or refused with "Too many connections"
    const pool = new SourceRules(cfg);
    assert.deepEqual(run(pool, range(20).flatMap((k) => mysqlLogin(41000 + k, 1 + k * 0.002, k < 15 ? MYSQL_OK : mysqlErr(1040), k < 15 ? 11 : 32))), []);
    // medusa -M mysql: one password a connection, one at a time, 50 ms apart
    const g = new SourceRules(cfg);
    const out = run(g, range(6).flatMap((k) => mysqlLogin(42000 + k, 1 + k * 3, mysqlErr(1045), 80)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'brute-force');
    assert.equal(out[0]!.evidence.service, 'mysql');
    assert.equal(out[0]!.evidence.failures, 5);
    assert.equal(out[0]!.evidence.port, 3306);
    // a client that switches to TLS (MySQL 8's default): after the server's first TLS record
    // nothing is read, not even bytes that would parse as ERR 1045
    const tls = new SourceRules(cfg);
    const hello = [0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03, 0, 0, 0, 0, 0];
    assert.deepEqual(run(tls, range(6).flatMap((k) => serverSide(3306, 43000 + k, 1 + k * 0.1, [MYSQL_GREETING, [0.005, 1400, hello], [0.01, 80, mysqlErr(1045)]]))), []);
  });

  /** One HTTP exchange on its own connection: the server's status line `dt` after the SYN-ACK. */
  const httpAnswer = (cp: number, t: number, status: string, client = '10.0.0.1', port = 80) => serverSide(port, cp, t, [[0.002, 400, `HTTP/1.1 ${status}\r\n`]], client);

  test('HTTP: a stream of 401s (hydra http-get) fires at the 20th within a second, never counted as failed logins', () => {
    const sr = new SourceRules(cfg);
    // 16 tasks, each answered in 5 ms: 3,200 a second
    const out = run(sr, range(40).flatMap((k) => httpAnswer(43000 + k, 1 + k * 0.0003, '401 Unauthorized')));
    assert.equal(out.length, 1);
    const a = out[0]!;
    assert.equal(a.type, 'brute-force');
    assert.equal(a.blockable, true);
    assert.equal(a.evidence.service, 'http');
    assert.equal(a.evidence.denied, 20);
    assert.equal(a.evidence.threshold, 20);
    assert.equal(a.evidence.failures, undefined, 'the fail2ban window never saw them');
    // 407 from a proxy counts the same
    const proxy = new SourceRules(cfg);
    assert.equal(run(proxy, range(25).flatMap((k) => httpAnswer(44000 + k, 1 + k * 0.01, '407 Proxy Authentication Required', '10.0.0.1', 3128))).length, 1);
    // on one keep-alive connection as well: each segment that starts with a status line is an answer
    const ka = new SourceRules(cfg);
    assert.equal(run(ka, serverSide(80, 45000, 1, range(30).map((k): [number, number, string] => [0.01 + k * 0.01, 300, 'HTTP/1.1 401 Unauthorized\r\n']))).length, 1);
  });

  test('HTTP: a 200 forgives nothing (any public page answers it), and 403, 404 count nothing', () => {
    const sr = new SourceRules(cfg);
    // 25 401s in a second, each followed by a 200: a 200 that emptied the bucket would leave it at 1
    const pkts = range(50).flatMap((k) => httpAnswer(46000 + k, 1 + k * 0.02, k % 2 ? '200 OK' : '401 Unauthorized'));
    const out = run(sr, pkts);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.denied, 20);
    const nf = new SourceRules(cfg);
    assert.deepEqual(run(nf, range(100).flatMap((k) => httpAnswer(48000 + k, 1 + k * 0.01, k % 2 ? '403 Forbidden' : '404 Not Found'))), []);
  });

  test('HTTP: the benign shapes of 401 are never flagged: a browser\'s challenge and typos, an expired token on a pool\'s requests, a monitor polling every second', () => {
    // a browser: the challenge, two mistyped passwords (a person, seconds apart), then the page and its 30 resources with credentials, every 5 minutes
    const browser = new SourceRules(cfg);
    for (let k = 0; k < 12; k++) {
      const t = k * 300;
      const pkts = [...httpAnswer(49000 + k * 40, t, '401 Unauthorized'), ...httpAnswer(49001 + k * 40, t + 4, '401 Unauthorized'), ...httpAnswer(49002 + k * 40, t + 9, '401 Unauthorized'), ...range(30).flatMap((j) => httpAnswer(49003 + k * 40 + j, t + 14 + j * 0.01, '200 OK'))];
      assert.deepEqual(run(browser, pkts), [], `visit ${k}`);
    }
    // an API client whose token expires every 5 minutes with 10 requests in flight (urllib3's pool): 10 401s at once, then 200s
    const api = new SourceRules(cfg);
    for (let k = 0; k < 12; k++) {
      const t = k * 300;
      assert.deepEqual(run(api, [...range(10).flatMap((j) => httpAnswer(50000 + k * 100 + j, t + j * 0.001, '401 Unauthorized')), ...range(50).flatMap((j) => httpAnswer(50020 + k * 100 + j, t + 0.2 + j * 0.1, '200 OK'))]), [], `expiry ${k}`);
    }
    // a monitor polling a protected URL without credentials every second for 10 minutes
    const mon = new SourceRules(cfg);
    const polls = range(600).flatMap((k) => httpAnswer(1024 + k, 1 + k, '401 Unauthorized'));
    assert.deepEqual(run(mon, polls), []);
    // CrowdSec's LePresidente/http-generic-401-bf numbers (5, leaking one per 10 s) would ban that monitor
    const crowdsec = new SourceRules(rules({ halfOpen: { enabled: false }, scanProbe: { enabled: false }, bruteForce: { httpDeniedThreshold: 5, httpDeniedLeakPerS: 0.1 } }));
    assert.equal(run(crowdsec, polls).length >= 1, true);
  });

  /**
   * One SOCKS5 login's server side (Dante's shape): the METHOD selection 05 02 acknowledging
   * the client's 4-byte offer, then RFC 1929's status acknowledging `cred` more bytes (0: sent
   * with the offer, acknowledged by the selection already), then the server's FIN.
   */
  const socksLogin = (cp: number, t: number, cred: number, status = 1, client = '10.0.0.1'): Pkt[] => [
    { ts: t, src: SRV, dst: client, sp: 1080, dp: cp, flags: SYN | ACK },
    { ts: t + 0.001, src: SRV, dst: client, sp: 1080, dp: cp, flags: ACK | PSH, payload: 2, head: [5, 2], ack: cred === 0 ? 20 : 5 },
    { ts: t + 0.004, src: SRV, dst: client, sp: 1080, dp: cp, flags: ACK | PSH, payload: 2, head: [1, status], ack: cred === 0 ? 20 : 5 + cred },
    ...(status === 0 ? [] : [{ ts: t + 0.005, src: SRV, dst: client, sp: 1080, dp: cp, flags: FIN | ACK, ack: 5 + cred }]),
  ];

  test('SOCKS5: refused credentials of a new length are failed logins (a guesser one at a time fires at the 5th); one credential repeated counts nothing (a stale password on a pool of 8, every 3 s for 2 minutes)', () => {
    const sr = new SourceRules(cfg);
    // one guess every 3 s (maxretry's window, not the parallel test), lengths as a list's vary
    const out = run(sr, [10, 11, 10, 13, 12, 14, 15].flatMap((n, k) => socksLogin(40000 + k, 1 + k * 3, n)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'brute-force');
    assert.equal(out[0]!.evidence.service, 'socks5');
    assert.equal(out[0]!.evidence.port, 1080);
    assert.equal(out[0]!.evidence.maxretry, 5);
    assert.equal(out[0]!.ts, 1 + 5 * 3 + 0.004, 'at the 5th new length (the 3rd guess repeated the 1st\'s)');
    // 320 failures of one credential: 8 connections at once, again every 3 s
    const stale = new SourceRules(cfg);
    assert.deepEqual(run(stale, range(40).flatMap((r) => range(8).flatMap((j) => socksLogin(41000 + r * 8 + j, 1 + r * 3 + j * 0.0005, 24)))), []);
    // a person's typo, the login (which forgives it), then four typos of other lengths a minute apart: 4 in the window
    const person = new SourceRules(cfg);
    assert.deepEqual(run(person, [...socksLogin(42000, 1, 22), ...socksLogin(42001, 4, 23, 0), ...range(4).flatMap((k) => socksLogin(42002 + k, 60 + k * 60, 18 + k))]), []);
  });

  test('SOCKS5: credentials sent with the offer (their length unknown) go to the 401 bucket, by rate: 25 in a second fire at the 20th, 8 every 10 s never', () => {
    const fast = new SourceRules(cfg);
    const out = run(fast, range(25).flatMap((k) => socksLogin(43000 + k, 1 + k * 0.04, 0)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.service, 'socks5');
    assert.equal(out[0]!.evidence.denied, 20);
    const pool = new SourceRules(cfg);
    assert.deepEqual(run(pool, range(12).flatMap((r) => range(8).flatMap((j) => socksLogin(44000 + r * 8 + j, 1 + r * 10 + j * 0.001, 0)))), []);
  });

  /**
   * One AMI login's server side (main/manager.c): the greeting, the Login action of `action`
   * bytes refused 1 s later ("Response: Error", then the server's FIN acknowledging nothing
   * more), or accepted (`ok`: the session goes on).
   */
  const amiLogin = (cp: number, t: number, action: number, ok = false, client = '10.0.0.1'): Pkt[] => [
    { ts: t, src: SRV, dst: client, sp: 5038, dp: cp, flags: SYN | ACK },
    { ts: t + 0.001, src: SRV, dst: client, sp: 5038, dp: cp, flags: ACK | PSH, payload: 29, head: 'Asterisk Call Manager/5.0.2\r\n', ack: 1 },
    { ts: t + 1.01, src: SRV, dst: client, sp: 5038, dp: cp, flags: ACK | PSH, payload: ok ? 56 : 52, head: ok ? 'Response: Success\r\n' : 'Response: Error\r\n', ack: 1 + action },
    ...(ok ? [] : [{ ts: t + 1.011, src: SRV, dst: client, sp: 5038, dp: cp, flags: FIN | ACK, ack: 1 + action }]),
  ];

  test('AMI: refused Logins of new lengths are failed logins (hydra asterisk, 4 tasks: the 5th fires); a stale secret reconnecting every 5 s for 10 minutes counts nothing; a typo then the login neither', () => {
    const sr = new SourceRules(cfg);
    // "Action: Login\r\nUsername: admin\r\nSecret: %s\r\n\r\n": 43 bytes and the secret
    const secrets = [6, 6, 5, 9, 8, 6, 7, 8, 6, 10, 6, 7];
    const out = run(sr, secrets.flatMap((n, k) => amiLogin(40000 + k, 1 + Math.floor(k / 4) * 1.02, 43 + n)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.service, 'ami');
    assert.equal(out[0]!.evidence.port, 5038);
    assert.equal(out[0]!.evidence.maxretry, 5);
    const stale = new SourceRules(cfg);
    assert.deepEqual(run(stale, range(120).flatMap((k) => amiLogin(41000 + k, 1 + k * 5, 60))), []);
    const person = new SourceRules(cfg);
    assert.deepEqual(run(person, [...amiLogin(42000, 1, 55), ...amiLogin(42001, 10, 56, true)]), []);
  });

  const rfb = (k: number, t: number, result: number[]) => serverSide(5900, 51000 + k, t, [[0.001, 12, 'RFB 003.008\n'], [0.002, 2, [1, 2]], [0.01, 16, range(16).map((j) => (j * 37 + k) & 255)], [0.02, result.length, result]]);

  test('VNC: a SecurityResult of 1 after the challenge is a failed login; a 3.3 server\'s security type 1 (None) is not', () => {
    const sr = new SourceRules(cfg);
    const fail = [0, 0, 0, 1, 0, 0, 0, 21, ...Buffer.from('Authentication failed', 'latin1')];
    const out = run(sr, range(5).flatMap((k) => rfb(k, 1 + k * 2, fail)));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.service, 'vnc');
    assert.equal(out[0]!.evidence.failures, 5);
    // RFB 3.3 with no authentication: the server's U32 security type 1 comes before any challenge
    const none = new SourceRules(cfg);
    assert.deepEqual(run(none, range(10).flatMap((k) => serverSide(5900, 52000 + k, 1 + k, [[0.001, 12, 'RFB 003.003\n'], [0.002, 4, [0, 0, 0, 1]], [0.05, 1200, [0, 0, 0, 1]]]))), []);
    // RFB 3.3 with VNC Authentication: the U32 security type 2 and the challenge in one segment
    const v33 = new SourceRules(cfg);
    const out33 = run(v33, range(5).flatMap((k) => serverSide(5900, 53000 + k, 1 + k * 2, [[0.001, 12, 'RFB 003.003\n'], [0.002, 20, [0, 0, 0, 2, ...range(12)]], [0.02, 4, [0, 0, 0, 1]]])));
    assert.equal(out33.length, 1);
    assert.equal(out33[0]!.evidence.failures, 5);
    // RFB 3.8 without authentication (security type None, SecurityResult 0), then framebuffer
    // updates: a 16-byte one (a pseudo-rectangle) and a 4-byte header of one rectangle are no
    // challenge and no failed SecurityResult; the session is not read past its handshake
    const update = (at: number): [number, number, number[]][] => [[at, 16, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x11]], [at + 0.001, 4, [0, 0, 0, 1]]];
    const viewer = range(3).flatMap((k) => serverSide(5900, 54000 + k, 1 + k * 2, [[0.001, 12, 'RFB 003.008\n'], [0.002, 2, [1, 1]], [0.003, 4, [0, 0, 0, 0]], [0.004, 24, [4, 0, 3, 0]], ...range(6).flatMap((j) => update(0.1 + j * 0.05))]));
    assert.deepEqual(run(new SourceRules(cfg), viewer), []);
    // a login (result 0) forgives the mistyped passwords before it
    const typo = new SourceRules(cfg);
    for (let d = 0; d < 4; d++) assert.deepEqual(run(typo, [...rfb(d * 3, d * 700, fail), ...rfb(d * 3 + 1, d * 700 + 5, fail), ...rfb(d * 3 + 2, d * 700 + 10, [0, 0, 0, 0])]), [], `day ${d}`);
  });

  test('parallel guessing: three failures answered within 2 s fire at the third; refused keys and session ends do not count there', () => {
    const sr = new SourceRules(cfg);
    const out = run(sr, range(4).flatMap((k) => sshSession(50000 + k, 1 + k * 0.01, [44, 52, 52])));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.evidence.parallel, 3);
    assert.equal(out[0]!.evidence.failures, 3);
    // four sessions that each had a key refused and ended, at once: each is one failure, not parallel ones
    const q = new SourceRules(cfg);
    assert.deepEqual(run(q, range(4).flatMap((k) => sshSession(50000 + k, 1 + k * 0.01, [44, 52, 52], { quick: 1 }))), []);
  });

  test('slow guessing still fires by the fifth failure within findtime; failures further apart do not', () => {
    const sr = new SourceRules(cfg);
    const out = run(sr, range(5).flatMap((k) => ftpSession(50000 + k, k * 100, ['530 Login incorrect.'])));
    assert.equal(out.length, 1, 'one a 100 s: five within 10 minutes');
    const spaced = new SourceRules(cfg);
    assert.deepEqual(run(spaced, range(8).flatMap((k) => ftpSession(50000 + k, k * 200, ['530 Login incorrect.']))), [], 'one every 200 s: never five within 600 s');
  });

  test('a client reached through the server\'s packets only: the server is never named as source', () => {
    const sr = new SourceRules(cfg);
    const out = run(sr, range(6).flatMap((k) => sshSession(50000 + k, k * 5, [44, 52, 52], { client: '2001:db8::7', server: '2001:db8::22' })));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.source, '2001:db8::7');
    assert.equal(out[0]!.target, '2001:db8::22');
  });
});

describe('half-open SYNs from one source', () => {
  const cfg = rules({ halfOpen: { threshold: 10, leakPerS: 1 }, verticalScan: { enabled: false }, horizontalScan: { enabled: false } });
  const syn = (k: number, t: number): Pkt => ({ ts: t, src: '10.0.0.1', dst: '10.0.0.2', sp: 10000 + k, dp: 80 });
  const ack = (k: number, t: number): Pkt => ({ ts: t, src: '10.0.0.1', dst: '10.0.0.2', sp: 10000 + k, dp: 80, flags: ACK });

  test('fires at the threshold of unanswered SYNs, not below', () => {
    const sr = new SourceRules(cfg);
    assert.deepEqual(run(sr, range(9).map((k) => syn(k, 1 + k * 0.001))), []);
    const out = run(sr, [syn(9, 1.01)]);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'syn-flood');
    assert.equal(out[0]!.blockable, true, 'a source that does not spoof can be blocked');
    assert.equal(out[0]!.evidence.syns, 10);
  });

  test('completed handshakes take their SYNs back', () => {
    const sr = new SourceRules(cfg);
    assert.deepEqual(run(sr, range(200).flatMap((k) => [syn(k, 1 + k * 0.001), ack(k, 1 + k * 0.001 + 0.0005)])), []);
  });
});

describe('victim rules', () => {
  const cfg = rules({
    synFlood: { threshold: 100, leakPerS: 10, minSources: 10 },
    udpAmplification: { threshold: 100, leakPerS: 10, minSources: 10 },
    tcpReflection: { threshold: 100, leakPerS: 10, minSources: 10 },
    icmpFlood: { threshold: 100, leakPerS: 10, minSources: 1 },
    halfOpen: { enabled: false },
  });
  const spoofed = (k: number) => `${(k % 200) + 11}.${(k * 7) % 250}.${(k * 13) % 250}.${(k % 250) + 1}`;

  /** Two shards split by source hash, one VictimRules, as a node runs them (devkit/sharded-rules.ts). */
  const sharded = runSharded;
  const chunks = <T>(xs: T[], n: number) => range(Math.ceil(xs.length / n)).map((k) => xs.slice(k * n, (k + 1) * n));

  test('SYN flood of spoofed sources: one non-blockable alert naming the victim, at the threshold', () => {
    const syns = range(100).map((k) => ({ ts: 1 + k * 0.001, src: spoofed(k), dst: '10.10.10.10', sp: 1000 + k, dp: 80, flags: SYN, win: 0, opts: 0 }));
    const below = sharded(cfg, chunks(syns.slice(0, 99), 10));
    assert.deepEqual(below.out, []);
    const { out } = sharded(cfg, chunks(syns, 10));
    assert.equal(out.length, 1);
    const a = out[0]!;
    assert.equal(a.type, 'syn-flood');
    assert.equal(a.target, '10.10.10.10');
    assert.equal(a.blockable, false);
    assert.equal(a.evidence.syns, 100);
    assert.ok((a.evidence.sources as number) >= 10);
    assert.equal(a.evidence.threshold, 100);
  });

  test('a busy server whose clients complete their handshakes is no victim', () => {
    const pkts = range(2000).flatMap((k) => [
      { ts: 1 + k * 0.0005, src: spoofed(k), dst: '10.10.10.10', sp: 1000 + k, dp: 80, flags: SYN },
      { ts: 1 + k * 0.0005 + 0.0002, src: spoofed(k), dst: '10.10.10.10', sp: 1000 + k, dp: 80, flags: ACK },
    ]);
    assert.deepEqual(sharded(cfg, chunks(pkts, 256)).out, []);
  });

  test('one source, however many SYNs, is left to the source rules', () => {
    const pkts = range(500).map((k) => ({ ts: 1 + k * 0.001, src: '10.0.0.1', dst: '10.10.10.10', sp: 1000 + k, dp: 80, flags: SYN }));
    const { out, victims } = sharded(cfg, chunks(pkts, 64));
    assert.deepEqual(out.filter((a) => !a.blockable), []);
    assert.ok(victims.stats().gatedBySources! > 0);
  });

  test('UDP amplification: large responses from a reflector port toward one victim', () => {
    const resp = (k: number, over: Partial<Pkt> = {}): Pkt => ({ ts: 1 + k * 0.001, src: spoofed(k), dst: '10.10.10.10', proto: 'udp', sp: 4500, dp: 20000 + k, payload: 204, wirelen: 246, ...over });
    const { out } = sharded(cfg, chunks(range(100).map((k) => resp(k)), 16));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'udp-amplification');
    assert.equal(out[0]!.target, '10.10.10.10');
    assert.equal(out[0]!.blockable, false);
    assert.equal(out[0]!.evidence.responses, 100);
    assert.equal(out[0]!.evidence.bytes, 24600);
    // small datagrams, symmetric peers (4500↔4500) and multicast groups are not reflections
    assert.deepEqual(sharded(cfg, chunks(range(300).map((k) => resp(k, { payload: 40 })), 16)).out, []);
    assert.deepEqual(sharded(cfg, chunks(range(300).map((k) => resp(k, { dp: 4500 })), 16)).out, []);
    assert.deepEqual(sharded(cfg, chunks(range(300).map((k) => resp(k, { sp: 5353, dst: '224.0.0.251' })), 16)).out, []);
  });

  test('UDP amplification: one-way reports from ephemeral ports to a collector\'s port are no answers; an amplifier\'s answers to a fixed forged port are', () => {
    // 300 syslog senders, each from its own ephemeral socket (Linux 32768-60999, Windows 49152-65535) to 514
    const report = (k: number, over: Partial<Pkt> = {}): Pkt => ({ ts: 1 + k * 0.001, src: spoofed(k), dst: '10.10.10.10', proto: 'udp', sp: 32768 + ((k * 7919) % 32000), dp: 514, payload: 300, ...over });
    assert.deepEqual(sharded(cfg, chunks(range(300).map((k) => report(k)), 16)).out, []);
    // with the port check off, the same reports are the false alarm this avoids
    const off = rules({ udpAmplification: { threshold: 100, leakPerS: 10, minSources: 10, clientPortMin: 65536 }, halfOpen: { enabled: false } });
    assert.equal(sharded(off, chunks(range(300).map((k) => report(k)), 16)).out[0]?.type, 'udp-amplification');
    // forged requests from port 514: DNS answers (53 -> 514), memcached (11211 -> 514), and a DVR's DHDiscover from 37810 (a known amplifier above 32768)
    for (const sp of [53, 11211, 37810]) {
      const { out } = sharded(cfg, chunks(range(300).map((k) => report(k, { sp })), 16));
      assert.equal(out.length, 1, `from ${sp}`);
      assert.equal(out[0]!.type, 'udp-amplification');
      assert.equal(out[0]!.target, '10.10.10.10');
    }
    // both ports ephemeral (peer to peer, or answers to forged ports up there) still count
    assert.equal(sharded(cfg, chunks(range(300).map((k) => report(k, { dp: 40000 + k })), 16)).out.length, 1);
    // from high ports to a port no report goes to: BitTorrent DHT nodes answering from their
    // own random ports, or BACnet (47808) answering, requests forged from port 80
    assert.equal(sharded(cfg, chunks(range(300).map((k) => report(k, { dp: 80 })), 16)).out[0]?.type, 'udp-amplification', 'DHT-like, to port 80');
    assert.equal(sharded(cfg, chunks(range(300).map((k) => report(k, { sp: 47808, dp: 80 })), 16)).out[0]?.type, 'udp-amplification', 'BACnet, to port 80');
    assert.equal(sharded(cfg, chunks(range(300).map((k) => report(k, { sp: 47808 })), 16)).out[0]?.type, 'udp-amplification', 'BACnet, to port 514');
    // below 32768 amplifiers listen (memcached 11211): the setting refuses to go there
    assert.throws(() => rules({ udpAmplification: { clientPortMin: 10000 } }), /clientPortMin/);
    // a collector on another port is told by its port
    const custom = rules({ udpAmplification: { threshold: 100, leakPerS: 10, minSources: 10, reportPorts: [5514] }, halfOpen: { enabled: false } });
    assert.deepEqual(sharded(custom, chunks(range(300).map((k) => report(k, { dp: 5514 })), 16)).out, []);
  });

  test('UDP amplification: later IP fragments follow their first fragment\'s verdict; without one they count', () => {
    // a 3,000-byte datagram: a first fragment with the ports and two later ones without
    const pieces = (k: number, sp: number, dp: number, first = true): Pkt[] => [
      ...(first ? [{ ts: 1 + k * 0.003, src: spoofed(k), dst: '10.10.10.10', proto: 'udp' as const, sp, dp, payload: 1472, fragment: 0 }] : []),
      { ts: 1 + k * 0.003 + 0.0001, src: spoofed(k), dst: '10.10.10.10', proto: 'udp', payload: 1480, fragment: 1480 },
      { ts: 1 + k * 0.003 + 0.0002, src: spoofed(k), dst: '10.10.10.10', proto: 'udp', payload: 48, fragment: 2960 },
    ];
    // GELF chunks of 8 KB from 100 application hosts' ephemeral sockets to 12201: nothing
    assert.deepEqual(sharded(cfg, chunks(range(100).flatMap((k) => pieces(k, 50000 + k, 12201)), 16)).out, []);
    // memcached answers to a forged port: every piece counts (34 datagrams, 102 pieces, at the threshold of 100)
    const { out } = sharded(cfg, chunks(range(34).flatMap((k) => pieces(k, 11211, 20000 + k)), 16));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'udp-amplification');
    assert.ok((out[0]!.evidence.responses as number) >= 100);
    // a reflection forged from the amplifier's own port (11211 -> 11211): its first fragments
    // are set aside as a symmetric peer's, its later ones still count (as before verdicts)
    assert.equal(sharded(cfg, chunks(range(60).flatMap((k) => pieces(k, 11211, 11211)), 16)).out[0]?.type, 'udp-amplification');
    // later fragments whose first fragment never came (lost, or sent alone) count
    assert.equal(sharded(cfg, chunks(range(60).flatMap((k) => pieces(k, 50000 + k, 12201, false)), 16)).out.length, 1);
    // the same over IPv6 (its Fragment header: RFC 8200 §4.5)
    const v6 = (ps: Pkt[]) => ps.map((p) => ({ ...p, src: `2001:db8:7::${p.src.split('.').map(Number).reduce((a, o) => a * 256 + o, 0).toString(16).slice(-4)}`, dst: '2001:db8::10' }));
    assert.deepEqual(sharded(cfg, chunks(v6(range(100).flatMap((k) => pieces(k, 50000 + k, 12201))), 16)).out, []);
    assert.equal(sharded(cfg, chunks(v6(range(34).flatMap((k) => pieces(k, 11211, 20000 + k))), 16)).out[0]?.target, '2001:db8::10');
  });

  test('UDP flood: small datagrams to random ports from spoofed sources, one non-blockable alert naming the victim; a server answering its queries is none', () => {
    const c = rules({ udpFlood: { threshold: 100, leakPerS: 10, minSources: 10 }, halfOpen: { enabled: false } });
    const dgram = (k: number): Pkt => ({ ts: 1 + k * 0.001, src: spoofed(k), dst: '10.10.10.10', proto: 'udp', sp: 1024 + k, dp: (k * 7919) % 65000 + 1, payload: 0 });
    assert.deepEqual(sharded(c, chunks(range(99).map(dgram), 16)).out, []);
    const { out } = sharded(c, chunks(range(100).map(dgram), 16));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'udp-flood');
    assert.equal(out[0]!.target, '10.10.10.10');
    assert.equal(out[0]!.blockable, false);
    assert.equal(out[0]!.evidence.datagrams, 100);
    // a DNS server answering 1,000 queries from 1,000 clients
    const served = range(1000).flatMap((k): Pkt[] => [
      { ts: 1 + k * 0.001, src: spoofed(k), dst: '10.10.10.10', proto: 'udp', sp: 30000 + k, dp: 53, payload: 40 },
      { ts: 1 + k * 0.001 + 0.0002, src: '10.10.10.10', dst: spoofed(k), proto: 'udp', sp: 53, dp: 30000 + k, payload: 90 },
    ]);
    assert.deepEqual(sharded(c, chunks(served, 64)).out, []);
  });

  test('UDP responses the victim asked for cancel out, whichever shard reports first', () => {
    // requests and responses come from different sources, so from different shards
    const requests = range(400).map((k) => ({ ts: 1 + k * 0.001, src: '10.10.10.10', dst: spoofed(k), proto: 'udp' as const, sp: 30000 + k, dp: 53, payload: 40 }));
    const responses = range(400).map((k) => ({ ts: 1 + k * 0.001 + 0.0003, src: spoofed(k), dst: '10.10.10.10', proto: 'udp' as const, sp: 53, dp: 30000 + k, payload: 400 }));
    for (const requestsFirst of [true, false]) {
      const client = new SourceRules(cfg);
      const servers = new SourceRules(cfg);
      const victims = new VictimRules(cfg);
      const out: Alert[] = [];
      // Per batch, fewer responses than the threshold: within one batch the two orders
      // cannot be told apart (see victim-rules.ts), across batches credit carries over.
      for (const k of range(20)) {
        const tq = newVictimTally();
        const tr = newVictimTally();
        client.scan(batchOf(requests.slice(k * 20, k * 20 + 20)), out, tq);
        servers.scan(batchOf(responses.slice(k * 20, k * 20 + 20)), out, tr);
        for (const t of requestsFirst ? [tq, tr] : [tr, tq]) victims.add(t, out);
      }
      assert.deepEqual(out, [], requestsFirst ? 'requests reported first' : 'responses reported first');
    }
  });

  test('a burst of requests is credit for the answers that trickle in over later batches', () => {
    const requests = range(120).map((k) => ({ ts: 1 + k * 0.0001, src: '10.10.10.10', dst: spoofed(k), proto: 'udp' as const, sp: 30000 + k, dp: 123, payload: 48 }));
    const answers = range(120).map((k) => ({ ts: 1.02 + k * 0.001, src: spoofed(k), dst: '10.10.10.10', proto: 'udp' as const, sp: 123, dp: 30000 + k, payload: 400 }));
    const victims = new VictimRules(cfg);
    const out: Alert[] = [];
    const tq = newVictimTally();
    new SourceRules(cfg).scan(batchOf(requests), out, tq);
    victims.add(tq, out);
    const servers = new SourceRules(cfg);
    for (const k of range(6)) {
      const tr = newVictimTally();
      servers.scan(batchOf(answers.slice(k * 20, k * 20 + 20)), out, tr);
      victims.add(tr, out);
    }
    assert.deepEqual(out, []);
  });

  test('TCP reflection: unsolicited SYN-ACKs from many sources; solicited ones cancel out', () => {
    const synAck = (k: number): Pkt => ({ ts: 1 + k * 0.001, src: spoofed(k), dst: '10.10.10.10', sp: 80, dp: 20000 + k, flags: SYN | ACK });
    const { out } = sharded(cfg, chunks(range(100).map(synAck), 16));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'tcp-reflection');
    assert.equal(out[0]!.target, '10.10.10.10');
    assert.equal(out[0]!.blockable, false);
    // the same host as a busy client: its own SYNs and completions, then the SYN-ACKs
    const client = range(300).flatMap((k) => [
      { ts: 1 + k * 0.001, src: '10.10.10.10', dst: spoofed(k), sp: 20000 + k, dp: 80, flags: SYN },
      { ...synAck(k), ts: 1 + k * 0.001 + 0.0002 },
      { ts: 1 + k * 0.001 + 0.0003, src: '10.10.10.10', dst: spoofed(k), sp: 20000 + k, dp: 80, flags: ACK },
    ]);
    const quiet = sharded(rules({ ...cfg, verticalScan: { enabled: false }, horizontalScan: { enabled: false } }), chunks(client, 90));
    assert.deepEqual(quiet.out, []);
  });

  test('ICMP flood: even from one source, named by its victim; neighbour discovery is no flood', () => {
    const { out } = sharded(cfg, chunks(range(100).map((k) => ({ ts: 1 + k * 0.001, src: '10.0.0.9', dst: '10.10.10.10', proto: 'icmp' as const, icmpType: 8, payload: 1400, wirelen: 1442 })), 16));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.type, 'icmp-flood');
    assert.equal(out[0]!.source, '10.0.0.9');
    assert.equal(out[0]!.target, '10.10.10.10');
    assert.equal(out[0]!.blockable, false);
    const nd = range(300).map((k) => ({ ts: 1 + k * 0.001, src: 'fe80::1', dst: 'fe80::2', proto: 'icmp' as const, icmpType: 135, payload: 24 }));
    assert.deepEqual(sharded(cfg, chunks(nd, 16)).out, []);
  });

  test('leaks: a flood below the leak rate never fires; cooldown after an alert', () => {
    const slow = range(600).map((k) => ({ ts: 1 + k * 0.2, src: spoofed(k), dst: '10.10.10.10', sp: 1000 + k, dp: 80, flags: SYN }));
    assert.deepEqual(sharded(cfg, chunks(slow, 16)).out, [], '5 SYNs/s against 10/s leaking');
    const long = range(3000).map((k) => ({ ts: 1 + k * 0.01, src: spoofed(k), dst: '10.10.10.10', sp: 1000 + (k % 60000), dp: 80, flags: SYN }));
    const out = sharded(rules({ ...cfg, cooldownS: 10 }), chunks(long, 32)).out;
    // 100 SYNs/s for 30 s, 10/s leak: fires after ~1.1 s, then once per 10 s cooldown
    assert.ok(out.length >= 2 && out.length <= 4, `${out.length} alerts`);
    for (let k = 1; k < out.length; k++) assert.ok(out[k]!.ts - out[k - 1]!.ts >= 10);
  });

  test('the tally is plain data: a JSON round trip gives the same alerts', () => {
    const syns = range(300).map((k) => ({ ts: 1 + k * 0.001, src: spoofed(k), dst: '10.10.10.10', sp: 1000 + k, dp: 80, flags: SYN }));
    const sr = new SourceRules(cfg);
    const tally = newVictimTally();
    sr.scan(batchOf(syns), [], tally);
    const copy = JSON.parse(JSON.stringify(tally)) as VictimTally;
    assert.deepEqual(copy, tally);
    for (const v of Object.values(tally)) assert.ok(typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number' || typeof x === 'string')));
    const a: Alert[] = [];
    const b: Alert[] = [];
    new VictimRules(cfg).add(tally, a);
    new VictimRules(cfg).add(copy, b);
    assert.equal(a.length, 1);
    assert.deepEqual(b, a);
  });

  test('the distinct-source estimate is close for small counts and saturates for large ones', () => {
    const w = new VictimTallyWriter(8);
    const t = newVictimTally();
    w.attach(t);
    const r = w.row4(v4('10.10.10.10'), 1);
    for (const k of range(30)) {
      const a = v4(spoofed(k));
      w.source(r, Math.imul(a ^ (a >>> 16), 0x85ebca6b) ^ 0x1234567, a, '');
    }
    const est = estimateSources(t.srcSketch, r * 4);
    assert.ok(est >= 24 && est <= 36, `${est} for 30`);
  });
});

describe('memory bounds', () => {
  test('source tables stay within their limits and count evictions', () => {
    const sr = new SourceRules(DEFAULT_RULES, { maxSources: 16, maxScanKeys: 16, maxSockets: 32 });
    const pkts = range(2000).map((k) => ({ ts: 1 + k * 0.001, src: `10.${k >> 8}.${k & 255}.1`, dst: '10.10.10.10', sp: 1000 + k, dp: 22, flags: SYN }));
    run(sr, pkts);
    const s = sr.stats();
    assert.equal(s.packets, 2000);
    assert.ok(s.sources! <= 16 && s.sockets! <= 32 && s.verticalKeys! <= 16 && s.horizontalKeys! <= 16, JSON.stringify(s));
    assert.ok(s.sourceEvictions! > 0 && s.socketEvictions! > 0 && s.verticalEvictions! > 0, JSON.stringify(s));
  });

  test('an evicted key starts afresh; the tables keep working past their limits', () => {
    const sr = new SourceRules(rules({ verticalScan: { threshold: 6, burstMaxretry: 0 } }), { maxSources: 4, maxScanKeys: 4, maxSockets: 8 });
    const out: Alert[] = [];
    for (const k of range(50)) {
      sr.scan(batchOf(range(6).map((p) => ({ ts: 1 + k + p * 0.01, src: `10.0.${k}.1`, dst: '10.10.10.10', sp: 2000 + p, dp: 100 + p }))), out);
    }
    assert.equal(out.length, 50, 'every source scanned six ports and was caught');
  });

  test('victim state and tally rows are bounded', () => {
    const vr = new VictimRules(DEFAULT_RULES, { maxVictims: 8 });
    const sr = new SourceRules(DEFAULT_RULES, { maxTallyRows: 16 });
    const t = newVictimTally();
    sr.scan(batchOf(range(100).map((k) => ({ ts: 1, src: '10.0.0.1', dst: `10.2.0.${k + 1}`, sp: 3000 + k, dp: 443 }))), [], t);
    assert.equal(t.rows, 16);
    assert.ok(t.dropped > 0);
    vr.add(t, []);
    const s = vr.stats();
    assert.equal(s.victims, 8);
    assert.ok(s.victimEvictions! > 0);
    assert.equal(s.droppedRows, t.dropped);
  });
});
