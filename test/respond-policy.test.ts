import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ban } from '../src/respond/ban-registry.ts';
import type { Alert } from '../src/detect/alert.ts';
import { AllowList, describeAllowEntry } from '../src/respond/allow-list.ts';
import type { Decision } from '../src/respond/decision.ts';
import { DecisionLog } from '../src/respond/decision-log.ts';
import { AllowListedError, BadTtlError } from '../src/respond/errors.ts';
import { ResponderPolicy, type PolicyOutcome } from '../src/respond/policy.ts';
import { checkResponderConfig, DEFAULT_RESPONDER, type ResponderConfig } from '../src/respond/responder-config.ts';
import { ManualClock } from '../src/util/clock.ts';

const IFACES = {
  lo: [{ address: '127.0.0.1' }, { address: '::1' }],
  eth0: [{ address: '10.0.0.5' }, { address: 'fe80::1' }, { address: '2001:db8:5::5' }],
};

function alert(source: string, over: Partial<Alert> = {}): Alert {
  return {
    type: 'ssh-brute-force',
    source,
    target: '10.0.0.5',
    score: 0.9,
    ts: 1_700_000_000,
    firstTs: 1_699_999_990,
    detector: 'rules',
    blockable: true,
    evidence: { attempts: 12, windowS: 10 },
    ...over,
  };
}

function config(over: Partial<ResponderConfig> = {}): ResponderConfig {
  return {
    ...DEFAULT_RESPONDER,
    banTtlS: 60,
    escalation: { factor: 2, maxTtlS: 300, memoryS: 1000 },
    rateLimit: { bans: 1000, perS: 1 },
    allow: ['192.168.0.0/16'],
    ...over,
  };
}

function setup(over: Partial<ResponderConfig> = {}) {
  const clock = new ManualClock();
  const cfg = config(over);
  const allow = new AllowList({ interfaces: IFACES, configured: cfg.allow });
  return { clock, policy: new ResponderPolicy(cfg, allow, clock) };
}

function decided(o: PolicyOutcome): Decision {
  assert.ok('decision' in o, `expected a decision, got ${JSON.stringify(o)}`);
  return o.decision;
}

function skippedAs(o: PolicyOutcome, reason: string): string {
  assert.ok('skipped' in o, `expected a skip, got ${JSON.stringify(o)}`);
  assert.equal(o.skipped, reason, o.detail);
  return o.detail;
}

/** The ban the registry would hold for a decision. */
function banOf(d: Decision): Ban {
  return { address: d.address, ttl: d.ttl, expiresAt: d.at + d.ttl * 1000, reason: d.reason, detector: d.detector, score: d.score, at: d.at, offence: d.offence ?? 1 };
}

describe('AllowList', () => {
  const list = new AllowList({ interfaces: IFACES, configured: ['192.168.0.0/16', '2001:db8:aaaa::/48'], extra: [{ net: '198.51.100.9', why: 'cluster node b' }] });

  it('says which entry protects an address, the most specific first', () => {
    const why = (a: string) => {
      const e = list.allows(a);
      return e && describeAllowEntry(e);
    };
    assert.equal(why('127.0.0.1'), '127.0.0.0/8 (loopback)', "lo's 127.0.0.1 stays under loopback");
    assert.equal(why('127.9.9.9'), '127.0.0.0/8 (loopback)');
    assert.equal(why('::1'), '::1 (loopback)');
    assert.equal(why('::ffff:127.0.0.1'), '127.0.0.0/8 (loopback)');
    assert.equal(why('10.0.0.5'), "10.0.0.5 (this node's address on eth0)");
    assert.equal(why('fe80::1'), "fe80::1 (this node's address on eth0)");
    assert.equal(why('192.168.77.1'), '192.168.0.0/16 (configured)');
    assert.equal(why('2001:db8:aaaa::1'), '2001:db8:aaaa::/48 (configured)');
    assert.equal(why('198.51.100.9'), '198.51.100.9 (cluster node b)');
    assert.equal(why('10.0.0.6'), null, "the node's subnet is not protected, only its address");
    assert.equal(why('203.0.113.7'), null);
    assert.equal(why('2001:db8:5::6'), null);
  });

  it('refuses a net that overlaps a protected one, either way round', () => {
    assert.equal(describeAllowEntry(list.allows('10.0.0.0/8')!), "10.0.0.5 (this node's address on eth0)");
    assert.equal(describeAllowEntry(list.allows('0.0.0.0/0')!), '127.0.0.0/8 (loopback)');
    assert.equal(describeAllowEntry(list.allows('192.168.1.0/24')!), '192.168.0.0/16 (configured)');
    assert.equal(describeAllowEntry(list.allows('2001:db8::/32')!), "2001:db8:5::5 (this node's address on eth0)");
    assert.equal(list.allows('10.0.1.0/24'), null);
  });

  it('matches an IPv4 uint32 without parsing', () => {
    assert.equal(list.allowsIpv4(0x7f000001)?.why, 'loopback');
    assert.equal(list.allowsIpv4(0x0a000005)?.net, '10.0.0.5');
    assert.equal(list.allowsIpv4(0xcb007107), null);
  });

  it('lists its entries; loopback is there with nothing configured', () => {
    assert.deepEqual(new AllowList().entries(), [
      { net: '127.0.0.0/8', why: 'loopback' },
      { net: '::1', why: 'loopback' },
    ]);
    assert.deepEqual(
      list.entries().map(describeAllowEntry),
      [
        '127.0.0.0/8 (loopback)',
        '::1 (loopback)',
        "10.0.0.5 (this node's address on eth0)",
        "fe80::1 (this node's address on eth0)",
        "2001:db8:5::5 (this node's address on eth0)",
        '192.168.0.0/16 (configured)',
        '2001:db8:aaaa::/48 (configured)',
        '198.51.100.9 (cluster node b)',
      ],
      "lo's addresses are not repeated: loopback covers them",
    );
  });

  it('refuses a bad configured entry with the address error', () => {
    assert.throws(() => new AllowList({ configured: ['10.0.0.1/8'] }), { code: 'AI_ERR_BAD_ADDRESS', message: /"10\.0\.0\.1\/8": host bits/ });
  });
});

describe('ResponderPolicy.onAlert', () => {
  it('records but does not act on an alert below the minimum score', () => {
    const { policy } = setup({ minScore: 0.7 });
    const detail = skippedAs(policy.onAlert(alert('203.0.113.7', { score: 0.69 })), 'below-min-score');
    assert.match(detail, /ssh-brute-force from 203\.0\.113\.7 scored 0\.69, below the minimum 0\.7/);
    decided(policy.onAlert(alert('203.0.113.7', { score: 0.7 })));
    skippedAs(policy.onAlert(alert('203.0.113.8', { score: Number.NaN })), 'below-min-score');
  });

  it('never bans the sources of a flood that is not blockable', () => {
    const { policy } = setup();
    const detail = skippedAs(policy.onAlert(alert('203.0.113.7', { type: 'syn-flood', blockable: false, score: 1, target: '10.0.0.5' })), 'not-blockable');
    assert.match(detail, /syn-flood against 10\.0\.0\.5: its sources are spoofed/);
  });

  it('skips a source that is not an address instead of failing', () => {
    const { policy } = setup();
    assert.match(skippedAs(policy.onAlert(alert('not-an-ip')), 'not-blockable'), /not an address to ban/);
  });

  it('never bans loopback, its own addresses or configured nets, and says which entry', () => {
    const { policy } = setup();
    assert.match(skippedAs(policy.onAlert(alert('127.0.0.1')), 'allow-listed'), /127\.0\.0\.1 is allow-listed by 127\.0\.0\.0\/8 \(loopback\)/);
    assert.match(skippedAs(policy.onAlert(alert('::1')), 'allow-listed'), /::1 \(loopback\)/);
    assert.match(skippedAs(policy.onAlert(alert('10.0.0.5')), 'allow-listed'), /10\.0\.0\.5 \(this node's address on eth0\)/);
    assert.match(skippedAs(policy.onAlert(alert('::ffff:10.0.0.5')), 'allow-listed'), /10\.0\.0\.5 is allow-listed/);
    assert.match(skippedAs(policy.onAlert(alert('192.168.3.4')), 'allow-listed'), /192\.168\.0\.0\/16 \(configured\)/);
  });

  it('bans with a reason, the canonical address, the alert type as detector and the capture time', () => {
    const { clock, policy } = setup();
    clock.advance(5_000);
    const d = decided(policy.onAlert(alert('::ffff:203.0.113.7')));
    assert.deepEqual({ ...d, reason: undefined }, {
      address: '203.0.113.7',
      action: 'ban',
      ttl: 60,
      reason: undefined,
      detector: 'ssh-brute-force',
      score: 0.9,
      at: 5_000,
      captureTs: 1_700_000_000,
      offence: 1,
    });
    assert.match(d.reason, /ssh-brute-force from 203\.0\.113\.7 scored 0\.9 \(>= 0\.5; attempts=12, windowS=10\): first offence, banned 60 s/);
    const k = decided(policy.onAlert(alert('2001:DB8::7', { detector: 'model', type: 'anomaly' })));
    assert.equal(k.detector, 'model');
    assert.equal(k.address, '2001:db8::7');
  });

  it('escalates repeat offences by the factor up to the cap, while remembered', () => {
    const { clock, policy } = setup(); // 60 s × 2^(n-1), cap 300 s, memory 1000 s after a ban ends
    const ttls: number[] = [];
    const offences: number[] = [];
    for (let n = 0; n < 6; n++) {
      const d = decided(policy.onAlert(alert('203.0.113.7')));
      ttls.push(d.ttl);
      offences.push(d.offence!);
      clock.advance(d.ttl * 1000 + 999_000); // the ban ends; reoffend 1 s before it is forgotten
    }
    assert.deepEqual(ttls, [60, 120, 240, 300, 300, 300]);
    assert.deepEqual(offences, [1, 2, 3, 4, 5, 6]);
    assert.equal(policy.offencesOf('203.0.113.7'), 6);
  });

  it('says in the reason how the ban was escalated and when it was capped', () => {
    const { clock, policy } = setup();
    const reasons: string[] = [];
    for (let n = 0; n < 4; n++) {
      const d = decided(policy.onAlert(alert('203.0.113.7')));
      reasons.push(d.reason);
      clock.advance(d.ttl * 1000);
    }
    assert.match(reasons[1], /offence 2 within 1000 s of the last ban, banned 60 s × 2\^1 = 120 s/);
    assert.match(reasons[3], /offence 4 .* 60 s × 2\^3 capped at 300 s/);
  });

  it('forgets offences memoryS after the last ban ends', () => {
    const { clock, policy } = setup();
    const first = decided(policy.onAlert(alert('203.0.113.7')));
    clock.advance(first.ttl * 1000 + 1_000_000); // exactly memoryS after the ban ended
    assert.equal(policy.offencesOf('203.0.113.7'), 0);
    const again = decided(policy.onAlert(alert('203.0.113.7')));
    assert.equal(again.offence, 1);
    assert.equal(again.ttl, 60);
    // Other addresses have their own count.
    assert.equal(decided(policy.onAlert(alert('203.0.113.8'))).offence, 1);
  });

  it('skips an alert about an address already banned for at least as long: no new offence', () => {
    const { clock, policy } = setup();
    const d = decided(policy.onAlert(alert('203.0.113.7')));
    const active = banOf(d);
    clock.advance(1_000);
    const detail = skippedAs(policy.onAlert(alert('203.0.113.7'), active), 'already-banned');
    assert.match(detail, /203\.0\.113\.7 is already banned \(59 s left of 60 s, offence 1, by ssh-brute-force\)/);
    // Even with little left: alerts during a ban are the packets the firewall drops.
    clock.advance(58_500);
    skippedAs(policy.onAlert(alert('203.0.113.7'), active), 'already-banned');
    assert.equal(policy.offencesOf('203.0.113.7'), 1, 'no new offence');
    // Once it has ended the next alert is the second offence.
    clock.advance(500);
    const second = decided(policy.onAlert(alert('203.0.113.7'), active));
    assert.equal(second.offence, 2);
    assert.equal(second.ttl, 120);
  });

  it('extends a ban shorter than the offence warrants (an operator\'s brief one), without a new offence', () => {
    const { clock, policy } = setup({ manualTtl: { minS: 10, maxS: 3600, defaultS: 30 } });
    const manual = policy.manualBlock('203.0.113.7', 10);
    clock.advance(4_000);
    const d = decided(policy.onAlert(alert('203.0.113.7'), banOf(manual)));
    assert.equal(d.ttl, 60);
    assert.equal(d.offence, 1);
    assert.match(d.reason, /the ban in force \(6 s left of 10 s\) is shorter than the 60 s offence 1 warrants; extended/);
    // A long manual ban is left alone.
    const long = policy.manualBlock('203.0.113.9', 3600);
    skippedAs(policy.onAlert(alert('203.0.113.9'), banOf(long)), 'already-banned');
  });

  it('rate-limits automatic bans with a token bucket on the clock and says when a slot frees', () => {
    const { clock, policy } = setup({ rateLimit: { bans: 2, perS: 10 } }); // 1 token per 5 s
    decided(policy.onAlert(alert('203.0.113.1')));
    decided(policy.onAlert(alert('203.0.113.2')));
    const detail = skippedAs(policy.onAlert(alert('203.0.113.3')), 'rate-limited');
    assert.match(detail, /would ban 203\.0\.113\.3 for ssh-brute-force, but automatic bans are limited to 2 per 10 s and none is free; the next frees in 5 s/);
    clock.advance(2_000);
    assert.match(skippedAs(policy.onAlert(alert('203.0.113.3')), 'rate-limited'), /the next frees in 3 s/);
    assert.equal(policy.offencesOf('203.0.113.3'), 0, 'a rate-limited alert is no offence');
    // Operator bans are not limited and take no token.
    policy.manualBlock('198.51.100.1');
    clock.advance(3_000);
    decided(policy.onAlert(alert('203.0.113.3')));
    skippedAs(policy.onAlert(alert('203.0.113.4')), 'rate-limited');
    clock.advance(10_000);
    decided(policy.onAlert(alert('203.0.113.4')));
    decided(policy.onAlert(alert('203.0.113.5')));
    skippedAs(policy.onAlert(alert('203.0.113.6')), 'rate-limited');
    assert.equal(policy.stats().skipped['rate-limited'], 4);
  });

  it('counts every outcome in stats()', () => {
    const { policy } = setup({ rateLimit: { bans: 1, perS: 60 } });
    policy.onAlert(alert('203.0.113.1', { score: 0.1 }));
    policy.onAlert(alert('203.0.113.1', { blockable: false }));
    policy.onAlert(alert('127.0.0.1'));
    policy.onAlert(alert('203.0.113.1'));
    policy.onAlert(alert('203.0.113.2'));
    policy.manualBlock('203.0.113.3');
    policy.manualUnblock('203.0.113.3');
    assert.deepEqual(policy.stats(), {
      alerts: 5,
      bans: 1,
      manualBans: 1,
      manualUnbans: 1,
      skipped: { 'below-min-score': 1, 'not-blockable': 1, 'allow-listed': 1, 'forgeable-evidence': 0, 'already-banned': 0, 'rate-limited': 1 },
      remembered: 1,
      bansAvailable: 0,
    });
  });
});

describe('ResponderPolicy: operator decisions', () => {
  it('bans by hand with the default TTL, the operator\'s reason and canonical text', () => {
    const { clock, policy } = setup({ manualTtl: { minS: 10, maxS: 86_400, defaultS: 3600 } });
    clock.advance(1_000);
    assert.deepEqual(policy.manualBlock(' 2001:DB8:BEEF::/48 ', undefined, ' seen in the logs '), {
      address: '2001:db8:beef::/48',
      action: 'ban',
      ttl: 3600,
      reason: 'seen in the logs',
      detector: 'operator',
      score: 1,
      at: 1_000,
      offence: 1,
      evidence: 'operator',
    });
    assert.equal(policy.manualBlock('203.0.113.7', 10).reason, 'banned by an operator');
    assert.equal(policy.manualBlock('203.0.113.7', 86_400).offence, 2, 'manual bans count as offences');
  });

  it('refuses a TTL outside the configured range, naming the value and the range', () => {
    const { policy } = setup({ manualTtl: { minS: 10, maxS: 86_400, defaultS: 3600 } });
    for (const bad of [9, 86_401, 0, -5, 1.5, Number.NaN, Infinity]) {
      assert.throws(
        () => policy.manualBlock('203.0.113.7', bad),
        (err: unknown) => {
          assert.ok(err instanceof BadTtlError);
          assert.equal(err.code, 'AI_ERR_BAD_TTL');
          assert.match(err.message, /expected a whole number of seconds from 10 to 86400/);
          assert.ok(err.message.startsWith(`bad ban TTL ${bad}: `), err.message);
          return true;
        },
      );
    }
    assert.throws(() => policy.manualBlock('203.0.113.7', '60' as unknown as number), { code: 'AI_ERR_BAD_TTL', message: /bad ban TTL "60"/ });
    assert.equal(policy.offencesOf('203.0.113.7'), 0, 'a refused ban is no offence');
  });

  it('refuses to ban an allow-listed address or a net overlapping one, naming the entry', () => {
    const { policy } = setup();
    assert.throws(() => policy.manualBlock('127.0.0.1'), (err: unknown) => {
      assert.ok(err instanceof AllowListedError);
      assert.equal(err.code, 'AI_ERR_ALLOW_LISTED');
      assert.equal(err.protectedBy, '127.0.0.0/8 (loopback)');
      assert.match(err.message, /refusing to ban 127\.0\.0\.1: it is allow-listed by 127\.0\.0\.0\/8 \(loopback\)/);
      return true;
    });
    assert.throws(() => policy.manualBlock('10.0.0.0/8'), { code: 'AI_ERR_ALLOW_LISTED', message: /refusing to ban 10\.0\.0\.0\/8: it is allow-listed by 10\.0\.0\.5 \(this node's address on eth0\)/ });
    assert.throws(() => policy.manualBlock('::/0'), { code: 'AI_ERR_ALLOW_LISTED', message: /::1 \(loopback\)/ });
    assert.throws(() => policy.manualBlock('192.168.10.0/24'), { code: 'AI_ERR_ALLOW_LISTED', message: /192\.168\.0\.0\/16 \(configured\)/ });
    assert.equal(policy.manualBlock('10.0.1.0/24').address, '10.0.1.0/24', 'a net beside the node is fine');
  });

  it('refuses bad address text', () => {
    const { policy } = setup();
    assert.throws(() => policy.manualBlock('1.2.3.4 ; rm -rf'), { code: 'AI_ERR_BAD_ADDRESS', message: /"1\.2\.3\.4 ; rm -rf"/ });
    assert.throws(() => policy.manualUnblock('10.0.0.256'), { code: 'AI_ERR_BAD_ADDRESS', message: /256 is over 255/ });
  });

  it('unblocks an address it knows nothing of: an unban decision (whether a ban existed is the registry\'s to say)', () => {
    const { clock, policy } = setup();
    clock.advance(7_000);
    assert.deepEqual(policy.manualUnblock('::FFFF:198.51.100.200'), {
      address: '198.51.100.200',
      action: 'unban',
      ttl: 0,
      reason: 'lifted by an operator (no offences remembered)',
      detector: 'operator',
      score: 1,
      at: 7_000,
    });
  });

  it('an unblock forgets the offences, so the next ban starts over', () => {
    const { clock, policy } = setup();
    decided(policy.onAlert(alert('203.0.113.7')));
    clock.advance(60_000);
    decided(policy.onAlert(alert('203.0.113.7')));
    assert.equal(policy.manualUnblock('203.0.113.7').reason, 'lifted by an operator; 2 remembered offences forgotten');
    const d = decided(policy.onAlert(alert('203.0.113.7')));
    assert.equal(d.offence, 1);
    assert.equal(d.ttl, 60);
  });
});

describe('responder config', () => {
  it('the defaults pass the checks', () => {
    checkResponderConfig(DEFAULT_RESPONDER);
  });

  it('refuses values that depend on each other wrongly, naming the field', () => {
    const bad = (over: Partial<ResponderConfig>, field: RegExp) =>
      assert.throws(() => new ResponderPolicy({ ...DEFAULT_RESPONDER, ...over }, new AllowList(), new ManualClock()), { code: 'AI_ERR_CONFIG', message: field });
    bad({ minScore: 1.5 }, /responder: minScore must be a number from 0 to 1, got 1\.5/);
    bad({ escalation: { factor: 0.5, maxTtlS: 100_000, memoryS: 10 } }, /escalation\.factor must be a number >= 1/);
    bad({ banTtlS: 600, escalation: { factor: 2, maxTtlS: 300, memoryS: 10 } }, /escalation\.maxTtlS must be at least banTtlS \(600\), got 300/);
    bad({ rateLimit: { bans: 0, perS: 60 } }, /rateLimit\.bans/);
    bad({ manualTtl: { minS: 10, maxS: 100, defaultS: 1000 } }, /manualTtl\.defaultS must be a whole number of seconds from 10 to 100, got 1000/);
  });

  it('is plain JSON', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(DEFAULT_RESPONDER)), DEFAULT_RESPONDER);
  });
});

describe('DecisionLog', () => {
  const d = (address: string, action: 'ban' | 'unban', detector: string, at: number): Decision => ({ address, action, ttl: action === 'ban' ? 60 : 0, reason: 'r', detector, score: 1, at });

  it('keeps the last N, newest first', () => {
    const log = new DecisionLog(3);
    assert.deepEqual(log.recent(), []);
    for (let i = 1; i <= 5; i++) log.add(d(`203.0.113.${i}`, 'ban', 'ssh-brute-force', i));
    assert.equal(log.size, 3);
    assert.deepEqual(log.recent().map((e) => e.kind === 'decision' && e.address), ['203.0.113.5', '203.0.113.4', '203.0.113.3']);
    assert.deepEqual(log.recent(2).map((e) => e.at), [5, 4]);
    assert.deepEqual(log.recent(0), []);
  });

  it('keeps skipped alerts with the reason, and counts by action and detector since start', () => {
    const { clock, policy } = setup();
    const log = new DecisionLog(100);
    const a1 = alert('203.0.113.7');
    const a2 = alert('127.0.0.1', { type: 'port-scan-vertical' });
    const a3 = alert('203.0.113.9', { detector: 'model', type: 'anomaly', score: 0.2 });
    for (const a of [a1, a2, a3]) log.record(policy.onAlert(a), a, clock.now());
    log.add(policy.manualUnblock('203.0.113.7'));
    const [unban, low, allowed, ban] = log.recent();
    assert.equal(unban.kind === 'decision' && unban.action, 'unban');
    assert.deepEqual({ ...low, detail: undefined }, { kind: 'skipped', skipped: 'below-min-score', detail: undefined, address: '203.0.113.9', detector: 'model', score: 0.2, at: 0, captureTs: 1_700_000_000 });
    assert.equal(allowed.kind === 'skipped' && allowed.detail, '127.0.0.1 is allow-listed by 127.0.0.0/8 (loopback): never banned');
    assert.equal(ban.kind === 'decision' && ban.address, '203.0.113.7');
    assert.deepEqual(log.counts(), {
      byAction: { ban: 1, unban: 1, skipped: 2 },
      byDetector: {
        'ssh-brute-force': { ban: 1, unban: 0, skipped: 0 },
        'port-scan-vertical': { ban: 0, unban: 0, skipped: 1 },
        model: { ban: 0, unban: 0, skipped: 1 },
        operator: { ban: 0, unban: 1, skipped: 0 },
      },
      bySkipReason: { 'allow-listed': 1, 'below-min-score': 1 },
    });
  });

  it('counts survive the ring overwriting entries', () => {
    const log = new DecisionLog(2);
    for (let i = 0; i < 10; i++) log.add(d('203.0.113.1', i % 2 ? 'unban' : 'ban', 'operator', i));
    assert.equal(log.size, 2);
    assert.deepEqual(log.counts().byAction, { ban: 5, unban: 5, skipped: 0 });
  });

  it('refuses a capacity that is not a whole number >= 1', () => {
    assert.throws(() => new DecisionLog(0), RangeError);
  });
});
