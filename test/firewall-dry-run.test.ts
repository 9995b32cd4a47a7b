// The dry-run backend: the sets it would hold (expiring on an injected clock), the log of
// what it would do, and the same input checks and reconcile counts as the real backends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DryRunBackend } from '../src/firewall/dry-run.ts';
import { FirewallEntryError } from '../src/firewall/errors.ts';
import { ManualClock } from '../src/util/clock.ts';

function make(logCapacity?: number) {
  const clock = new ManualClock();
  clock.advance(1_000_000);
  return { clock, fw: new DryRunBackend({ clock, logCapacity }) };
}

test('dry-run: elements expire by their own timeouts on the clock, listed with whole seconds left', async () => {
  const { clock, fw } = make();
  await fw.setup();
  await fw.apply(
    [
      { address: '203.0.113.7', timeoutS: 10 },
      { address: '2001:db8::/32', timeoutS: 30 },
    ],
    [],
  );
  assert.deepEqual(await fw.list(), [
    { address: '203.0.113.7', timeoutS: 10 },
    { address: '2001:db8::/32', timeoutS: 30 },
  ]);
  clock.advance(9_500);
  assert.deepEqual(await fw.list(), [
    { address: '203.0.113.7', timeoutS: 0 },
    { address: '2001:db8::/32', timeoutS: 20 },
  ]);
  clock.advance(500);
  assert.deepEqual(await fw.list(), [{ address: '2001:db8::/32', timeoutS: 20 }]);
  await fw.apply([{ address: '2001:db8::/32', timeoutS: 5 }], ['203.0.113.7']);
  assert.deepEqual(await fw.list(), [{ address: '2001:db8::/32', timeoutS: 5 }], 'a re-add replaces the timeout; removing an expired element is fine');
});

test('dry-run: the log records each operation with its clock time and canonical entries', async () => {
  const { clock, fw } = make();
  const t0 = clock.now();
  await fw.setup();
  clock.advance(1000);
  await fw.apply([{ address: '192.0.2.1', timeoutS: 60 }], ['192.0.2.2']);
  clock.advance(1000);
  await fw.flush();
  assert.deepEqual(fw.log, [
    { at: t0, op: 'setup', add: [], remove: [] },
    { at: t0 + 1000, op: 'apply', add: [{ address: '192.0.2.1', timeoutS: 60 }], remove: ['192.0.2.2'] },
    { at: t0 + 2000, op: 'flush', add: [], remove: ['192.0.2.1'] },
  ]);
  assert.deepEqual(await fw.list(), []);
});

test('dry-run: reconcile makes the set exactly the desired one and counts as the real backends do', async () => {
  const { clock, fw } = make();
  await fw.apply(
    [
      { address: '198.51.100.7', timeoutS: 100 },
      { address: '198.51.100.8', timeoutS: 100 },
    ],
    [],
  );
  clock.advance(50_000);
  const result = await fw.reconcile([
    { address: '198.51.100.7', timeoutS: 300 },
    { address: '10.0.0.0/8', timeoutS: 300 },
  ]);
  assert.deepEqual(result, { added: 1, removed: 1, kept: 1 });
  assert.deepEqual(await fw.list(), [
    { address: '198.51.100.7', timeoutS: 300 },
    { address: '10.0.0.0/8', timeoutS: 300 },
  ]);
  const last = fw.log.at(-1)!;
  assert.equal(last.op, 'reconcile');
  assert.deepEqual(last.remove, ['198.51.100.8']);
  // A fresh dry-run (a restart) starts empty: everything desired is added.
  assert.deepEqual(await new DryRunBackend({ clock }).reconcile([{ address: '10.0.0.0/8', timeoutS: 1 }]), { added: 1, removed: 0, kept: 0 });
});

test('dry-run: refuses exactly what the real backends refuse, and applies nothing of a refused batch', async () => {
  const { fw } = make();
  const bad: unknown[] = ['1.2.3.4 ', '1.2.3.4/32', '10.0.0.5/8', '::FFFF:1.2.3.4', '2001:0db8::1', '0.0.0.0/0', '::/0', 'example.com', 'a}; flush ruleset; {', 42, undefined];
  for (const address of bad) {
    await assert.rejects(fw.apply([{ address: '203.0.113.1', timeoutS: 60 }, { address: address as string, timeoutS: 60 }], []), FirewallEntryError, String(address));
  }
  for (const timeoutS of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '60']) {
    await assert.rejects(fw.apply([{ address: '203.0.113.1', timeoutS: timeoutS as number }], []), FirewallEntryError, String(timeoutS));
  }
  await assert.rejects(fw.reconcile([{ address: '10.0.0.1/8', timeoutS: 1 }]), /host bits/);
  assert.deepEqual(await fw.list(), []);
  assert.deepEqual(fw.log, []);
});

test('dry-run: an address both removed and added in one batch ends up added; the later of two adds wins', async () => {
  const { fw } = make();
  await fw.apply([{ address: '192.0.2.5', timeoutS: 10 }, { address: '192.0.2.5', timeoutS: 20 }], ['192.0.2.5']);
  assert.deepEqual(await fw.list(), [{ address: '192.0.2.5', timeoutS: 20 }]);
});

test('dry-run: the log keeps the newest operations up to its capacity', async () => {
  const { fw } = make(3);
  for (let i = 1; i <= 5; i++) await fw.apply([{ address: `192.0.2.${i}`, timeoutS: 60 }], []);
  assert.deepEqual(
    fw.log.map((o) => o.add[0]!.address),
    ['192.0.2.3', '192.0.2.4', '192.0.2.5'],
  );
  assert.equal((await fw.list()).length, 5, 'the log capacity does not limit the set');
});
