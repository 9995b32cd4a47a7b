// Bans the rate limit refuses wait and are made as tokens free (rateLimit.deferS), on a
// ManualClock: the real desk, policy and in-memory registry.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { AllowList } from '../src/respond/allow-list.ts';
import { BanDesk } from '../src/respond/ban-desk.ts';
import type { Decision } from '../src/respond/decision.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import { ResponderPolicy } from '../src/respond/policy.ts';
import { DEFAULT_RESPONDER, type ResponderConfig } from '../src/respond/responder-config.ts';
import { ManualClock } from '../src/util/clock.ts';

const T0 = 1_760_000_000_000;

function alert(source: string, ts = T0 / 1000): Alert {
  return { type: 'port-scan-vertical', detector: 'rules', source, target: '192.0.2.1', score: 0.9, ts, blockable: true, evidence: { ports: 30 } } as unknown as Alert;
}

/** A desk whose rate limit frees one ban every 5 s (2 per 10 s). */
async function setup(rateLimit: ResponderConfig['rateLimit'], deferMax?: number) {
  const clock = new ManualClock();
  clock.advance(T0);
  const registry = new MemoryBanRegistry(clock);
  const policy = new ResponderPolicy({ ...DEFAULT_RESPONDER, rateLimit }, new AllowList(), clock);
  const desk = new BanDesk(registry, policy, { clock, ...(deferMax ? { deferMax } : {}) });
  await desk.start();
  const decisions: Decision[] = [];
  desk.onDecision((d) => decisions.push(d));
  /** Moves the clock and lets the released turn finish. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
  };
  return { clock, registry, policy, desk, decisions, advance };
}

const sources = Array.from({ length: 5 }, (_, k) => `203.0.113.${10 + k}`);

test('refused bans wait and are made oldest first, one as each token frees; each says how long it waited, and its capture time moves by as much', async () => {
  const { desk, decisions, advance, policy } = await setup({ bans: 2, perS: 10, deferS: 60 });
  await desk.handleAlerts(sources.map((s) => alert(s)));
  assert.deepEqual(decisions.map((d) => d.address), sources.slice(0, 2));
  assert.deepEqual(desk.deferred(), { waiting: 3, made: 0, settled: 0, expired: 0, dropped: 0 });
  await advance(4999);
  assert.equal(decisions.length, 2, 'not before the token frees');
  await advance(1);
  assert.deepEqual(decisions.map((d) => d.address), sources.slice(0, 3));
  const late = decisions[2]!;
  assert.match(late.reason, /held 5 s by the rate limit/);
  assert.equal(late.captureTs, T0 / 1000 + 5);
  await advance(10_000);
  assert.deepEqual(decisions.map((d) => d.address), sources);
  assert.deepEqual(desk.deferred(), { waiting: 0, made: 3, settled: 0, expired: 0, dropped: 0 });
  assert.equal(policy.stats().alerts, 5, 'each alert counted once');
  assert.equal(policy.stats().bans, 5);
  const records = desk.alertRecords(10);
  assert.ok(records.every((r) => r.outcome && 'decision' in r.outcome), 'every alert\'s record ends with its ban');
  assert.equal((await desk.bans()).length, 5);
  desk.close();
});

test('a ban that waited longer than rateLimit.deferS is dropped', async () => {
  const { desk, decisions, advance } = await setup({ bans: 2, perS: 10, deferS: 7 });
  await desk.handleAlerts(sources.map((s) => alert(s)));
  await advance(5000);
  assert.equal(decisions.length, 3);
  await advance(5000);
  assert.equal(decisions.length, 3, 'the two left waited 10 s, more than 7');
  assert.deepEqual(desk.deferred(), { waiting: 0, made: 1, settled: 0, expired: 2, dropped: 0 });
  desk.close();
});

test('a waiting source banned meanwhile by an operator is settled, not banned twice; a newer alert of a waiting source keeps its place', async () => {
  const { desk, decisions, advance } = await setup({ bans: 1, perS: 5, deferS: 60 });
  await desk.handleAlerts([alert(sources[0]!), alert(sources[1]!), alert(sources[2]!)]);
  await desk.handleAlerts([alert(sources[1]!, T0 / 1000 + 1)]);
  await desk.block(sources[1]!, 3600, 'seen in the logs');
  assert.equal(decisions.length, 2);
  await advance(5000);
  assert.deepEqual(decisions.map((d) => d.address), [sources[0], sources[1], sources[2]], 'the operator\'s ban of 1 stands; 2 is made');
  assert.deepEqual(desk.deferred(), { waiting: 0, made: 1, settled: 1, expired: 0, dropped: 0 });
  desk.close();
});

test('at most deferMax wait: the oldest is dropped for a newer one; rateLimit.deferS 0 holds nothing', async () => {
  const a = await setup({ bans: 1, perS: 60, deferS: 600 }, 2);
  await a.desk.handleAlerts(sources.map((s) => alert(s)));
  assert.deepEqual(a.desk.deferred(), { waiting: 2, made: 0, settled: 0, expired: 0, dropped: 2 });
  await a.advance(60_000);
  await a.advance(60_000);
  assert.deepEqual(a.decisions.map((d) => d.address), [sources[0], sources[3], sources[4]]);
  a.desk.close();
  const b = await setup({ bans: 1, perS: 60, deferS: 0 });
  await b.desk.handleAlerts(sources.map((s) => alert(s)));
  assert.deepEqual(b.desk.deferred(), { waiting: 0, made: 0, settled: 0, expired: 0, dropped: 0 });
  await b.advance(60_000);
  await b.advance(60_000);
  assert.equal(b.decisions.length, 1, 'the refused are not made later');
  b.desk.close();
});

test('rateLimit.deferS out of range is refused naming it', () => {
  for (const deferS of [-1, 86_401, Number.NaN]) {
    assert.throws(() => new ResponderPolicy({ ...DEFAULT_RESPONDER, rateLimit: { bans: 30, perS: 60, deferS } }, new AllowList(), new ManualClock()), /rateLimit\.deferS/);
  }
});
