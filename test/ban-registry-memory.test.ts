import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ban, BanEvent } from '../src/respond/ban-registry.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import { MalformedBanError } from '../src/respond/ban-record.ts';
import { ManualClock, wallClock } from '../src/util/clock.ts';
import { waitFor } from '../devkit/wait.ts';

function ban(address: string, clock: ManualClock, ttl: number, extra: Partial<Ban> = {}): Ban {
  const at = clock.now();
  return { address, ttl, expiresAt: at + ttl * 1000, reason: 'test', detector: 'operator', score: 1, at, offence: 1, ...extra };
}

function setup() {
  const clock = new ManualClock();
  const registry = new MemoryBanRegistry(clock);
  const events: BanEvent[] = [];
  const unwatch = registry.watch((e) => events.push(e));
  return { clock, registry, events, unwatch };
}

const addresses = (bans: Ban[]) => bans.map((b) => b.address).sort();

describe('MemoryBanRegistry', () => {
  it('puts, lists, removes, with a put or delete event for each', async () => {
    const { clock, registry, events } = setup();
    const a = ban('203.0.113.7', clock, 60);
    await registry.put(a);
    await registry.put(ban('10.0.0.0/8', clock, 120));
    assert.deepEqual(addresses(await registry.list()), ['10.0.0.0/8', '203.0.113.7']);
    assert.deepEqual((await registry.list()).find((b) => b.address === '203.0.113.7'), a);
    assert.equal(await registry.remove('203.0.113.7'), true);
    assert.equal(await registry.remove('203.0.113.7'), false, 'nothing left to lift');
    assert.equal(await registry.remove('198.51.100.1'), false);
    assert.deepEqual(addresses(await registry.list()), ['10.0.0.0/8']);
    assert.deepEqual(
      events.map((e) => (e.type === 'put' ? `put ${e.ban.address}` : `delete ${e.address} expired=${e.expired}`)),
      ['put 203.0.113.7', 'put 10.0.0.0/8', 'delete 203.0.113.7 expired=false'],
    );
  });

  it('hands out copies: changing what list() or an event returned changes nothing inside', async () => {
    const { clock, registry, events } = setup();
    const b = ban('203.0.113.7', clock, 60);
    await registry.put(b);
    b.ttl = 1;
    (await registry.list())[0].reason = 'changed';
    (events[0] as { ban: Ban }).ban.address = 'changed';
    const [kept] = await registry.list();
    assert.equal(kept.ttl, 60);
    assert.equal(kept.reason, 'test');
    assert.equal(kept.address, '203.0.113.7');
  });

  it('expires on the clock, in expiry order, with delete expired:true, using one timer', async () => {
    const { clock, registry, events } = setup();
    await registry.put(ban('192.0.2.10', clock, 30));
    await registry.put(ban('192.0.2.11', clock, 10));
    await registry.put(ban('192.0.2.12', clock, 20));
    await registry.put(ban('192.0.2.13', clock, 10)); // same expiry as b: after it, in put order
    assert.deepEqual(clock.pending(), [10_000], 'one timer, for the earliest expiry');
    events.length = 0;

    clock.advance(9_999);
    assert.equal(events.length, 0);
    assert.equal((await registry.list()).length, 4);
    clock.advance(1);
    assert.deepEqual(events, [
      { type: 'delete', address: '192.0.2.11', expired: true },
      { type: 'delete', address: '192.0.2.13', expired: true },
    ]);
    assert.deepEqual(addresses(await registry.list()), ['192.0.2.10', '192.0.2.12']);
    assert.deepEqual(clock.pending(), [10_000], 're-armed for the next');
    clock.advance(25_000);
    assert.deepEqual(
      events.map((e) => e.type === 'delete' && e.address),
      ['192.0.2.11', '192.0.2.13', '192.0.2.12', '192.0.2.10'],
    );
    assert.deepEqual(await registry.list(), []);
    assert.deepEqual(clock.pending(), [], 'no timer with nothing to expire');
  });

  it('replaces a ban: the new expiry holds, the old one fires nothing', async () => {
    const { clock, registry, events } = setup();
    await registry.put(ban('203.0.113.7', clock, 10));
    clock.advance(5_000);
    await registry.put(ban('203.0.113.7', clock, 60, { offence: 2 }));
    assert.deepEqual(
      events.map((e) => e.type),
      ['put', 'put'],
    );
    clock.advance(10_000); // past the first expiry
    assert.equal(events.length, 2, 'the replaced ban does not expire');
    const [b] = await registry.list();
    assert.equal(b.offence, 2);
    assert.equal(b.expiresAt, 65_000);
    clock.advance(50_000);
    assert.deepEqual(events[2], { type: 'delete', address: '203.0.113.7', expired: true });

    // Shortening works too: the timer moves earlier.
    await registry.put(ban('198.51.100.1', clock, 100));
    await registry.put(ban('198.51.100.1', clock, 1));
    assert.deepEqual(clock.pending()[0], 1_000);
    clock.advance(1_000);
    assert.deepEqual(events.at(-1), { type: 'delete', address: '198.51.100.1', expired: true });
    assert.deepEqual(await registry.list(), []);
  });

  it('at the moment of expiry, before its timer has run: list() leaves it out, remove() reports it expired', async () => {
    const { clock, registry, events } = setup();
    // A timer set before the put runs first at the same instant: the ban is due, its timer not yet run.
    let listed: Promise<Ban[]> | undefined;
    let removed: Promise<boolean> | undefined;
    clock.setTimer(() => {
      listed = registry.list();
      removed = registry.remove('192.0.2.10');
    }, 10_000);
    await registry.put(ban('192.0.2.10', clock, 10));
    await registry.put(ban('192.0.2.11', clock, 20));
    clock.advance(10_000);
    assert.deepEqual(addresses(await listed!), ['192.0.2.11']);
    assert.equal(await removed!, true);
    assert.deepEqual(events.slice(2), [{ type: 'delete', address: '192.0.2.10', expired: true }], 'one delete: the timer finds nothing left');
  });

  it('a put that is already over removes the ban it replaces, as expired', async () => {
    const { clock, registry, events } = setup();
    clock.advance(100_000);
    await registry.put(ban('192.0.2.10', clock, 10));
    events.length = 0;
    await registry.put({ ...ban('192.0.2.10', clock, 10), expiresAt: clock.now() });
    assert.deepEqual(events, [{ type: 'delete', address: '192.0.2.10', expired: true }]);
    assert.deepEqual(await registry.list(), []);
    await registry.put({ ...ban('192.0.2.11', clock, 10), expiresAt: clock.now() - 1 });
    assert.equal(events.length, 1, 'nothing to replace: no event');
    await assert.rejects(registry.put({ ...ban('192.0.2.12', clock, 10), expiresAt: Number.NaN }), MalformedBanError);
  });

  it('watch: unsubscribe stops delivery; every subscription gets every event in order', async () => {
    const { clock, registry, events, unwatch } = setup();
    const second: BanEvent[] = [];
    const stop2 = registry.watch((e) => second.push(e));
    await registry.put(ban('192.0.2.10', clock, 10));
    unwatch();
    await registry.put(ban('192.0.2.11', clock, 10));
    clock.advance(10_000);
    assert.deepEqual(events.map((e) => e.type), ['put']);
    assert.deepEqual(
      second.map((e) => (e.type === 'put' ? `put ${e.ban.address}` : `delete ${e.address}`)),
      ['put 192.0.2.10', 'put 192.0.2.11', 'delete 192.0.2.10', 'delete 192.0.2.11'],
    );
    stop2();
    stop2(); // twice is harmless
    await registry.put(ban('192.0.2.12', clock, 10));
    assert.equal(second.length, 4);
  });

  it('a listener that throws does not keep the others from the event', async () => {
    const { clock, registry, events } = setup();
    registry.watch(() => {
      throw new Error('listener bug');
    });
    const after: BanEvent[] = [];
    registry.watch((e) => after.push(e));
    await assert.rejects(registry.put(ban('192.0.2.10', clock, 10)), /listener bug/);
    assert.equal(events.length, 1);
    assert.equal(after.length, 1);
    assert.deepEqual(addresses(await registry.list()), ['192.0.2.10'], 'the change is made');
  });

  it('re-arms a ban longer than setTimeout can wait (24.8 days) instead of firing early', async () => {
    const { clock, registry, events } = setup();
    const days40 = 40 * 86_400;
    await registry.put(ban('192.0.2.10', clock, days40));
    assert.deepEqual(clock.pending(), [2 ** 31 - 1]);
    clock.advance(2 ** 31 - 1);
    assert.equal(events.length, 1, 'woke early, nothing expired');
    assert.deepEqual(addresses(await registry.list()), ['192.0.2.10']);
    assert.deepEqual(clock.pending(), [days40 * 1000 - (2 ** 31 - 1)]);
    clock.advance(days40 * 1000);
    assert.deepEqual(events.at(-1), { type: 'delete', address: '192.0.2.10', expired: true });
  });

  it('keeps its heap bounded when one address is re-banned many times', async () => {
    const { clock, registry } = setup();
    for (let i = 0; i < 10_000; i++) await registry.put(ban('192.0.2.10', clock, 60 + (i % 7)));
    const heap = (registry as unknown as { heap: unknown[] }).heap;
    assert.ok(heap.length <= 64, `heap holds ${heap.length} entries for one ban`);
    assert.equal((await registry.list()).length, 1);
  });

  it('close stops the timer, the listeners and further changes', async () => {
    const { clock, registry, events } = setup();
    await registry.put(ban('192.0.2.10', clock, 10));
    await registry.close();
    assert.deepEqual(clock.pending(), []);
    clock.advance(20_000);
    assert.equal(events.length, 1);
    await assert.rejects(registry.put(ban('192.0.2.11', clock, 10)), { code: 'AI_ERR_REGISTRY_CLOSED' });
    await assert.rejects(registry.remove('192.0.2.10'), { code: 'AI_ERR_REGISTRY_CLOSED' });
  });

  it('expires on the real wall clock too (the default clock)', async () => {
    const registry = new MemoryBanRegistry();
    const events: BanEvent[] = [];
    registry.watch((e) => events.push(e));
    const now = wallClock.now();
    await registry.put({ address: '192.0.2.10', ttl: 0.03, expiresAt: now + 30, reason: 'test', detector: 'operator', score: 1, at: now, offence: 1 });
    await waitFor(() => events.length === 2, 'the ban to expire');
    assert.deepEqual(events[1], { type: 'delete', address: '192.0.2.10', expired: true });
    assert.deepEqual(await registry.list(), []);
    await registry.close();
  });
});
