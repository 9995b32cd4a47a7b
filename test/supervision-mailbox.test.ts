import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { DeadLetter } from '../src/supervisors/events.ts';
import type { OverflowPolicy } from '../src/supervisors/mailbox.ts';
import { gate, recorder, testSystem, type Handled } from '../devkit/actors.ts';
import { waitFor } from '../devkit/wait.ts';

// The worker blocks on its first message until the gate opens, so the mailbox fills.
async function overflow(policy: OverflowPolicy, sends: Array<[string, number]>) {
  const log: Handled[] = [];
  const g = gate();
  let first = true;
  const sys = testSystem({
    strategy: 'one_for_one',
    children: [recorder('w', log, { mailbox: { capacity: 3, overflow: policy }, slow: () => (first ? ((first = false), g.wait()) : Promise.resolve()) })],
  });
  const dead: DeadLetter[] = [];
  sys.deadLetters.on('dead-letter', (d) => dead.push(d));
  await sys.start();
  const accepted = sends.map(([m, p]) => sys.send('/w', m, p));
  const depth = sys.snapshot().tree.children![0]!.mailboxDepth;
  g.open();
  const expected = sends.length - dead.length;
  await waitFor(() => log.length === expected, `${expected} handled`);
  const snap = sys.snapshot().tree.children![0]!;
  await sys.stop();
  return { handled: log.map((h) => h.msg), dead: dead.map((d) => [d.reason, d.message]), accepted, depth, snap, counts: sys.deadLetters.counts };
}

const five: Array<[string, number]> = [['m0', 1], ['m1', 0], ['m2', 2], ['m3', 0], ['m4', 1], ['m5', 0]];

test('reject: the newcomer becomes a dead letter and send returns false', async () => {
  const r = await overflow('reject', five);
  // m0 is being handled (blocked); m1..m3 fill the mailbox; m4, m5 are refused.
  assert.deepEqual(r.accepted, [true, true, true, true, false, false]);
  assert.deepEqual(r.dead, [['rejected', 'm4'], ['rejected', 'm5']]);
  assert.deepEqual(r.handled, ['m0', 'm1', 'm2', 'm3']);
  // Sent synchronously: m0 is handed to nact but not started yet, so it still counts as waiting.
  assert.equal(r.depth, 4);
  assert.equal(r.snap.rejected, 2);
  assert.equal(r.counts.rejected, 2);
});

test('drop-oldest: the oldest queued message is shed for the newcomer', async () => {
  const r = await overflow('drop-oldest', five);
  assert.deepEqual(r.accepted, [true, true, true, true, true, true]);
  assert.deepEqual(r.dead, [['dropped', 'm1'], ['dropped', 'm2']]);
  assert.deepEqual(r.handled, ['m0', 'm3', 'm4', 'm5']);
  assert.equal(r.snap.dropped, 2);
});

test('drop-lowest-priority: the oldest lowest-priority message goes first; a lower newcomer is refused', async () => {
  const r = await overflow('drop-lowest-priority', [...five, ['m6', -1]]);
  // Queue m1(0) m2(2) m3(0); m4(1) sheds m1; m5(0) sheds m3; m6(-1) is lower than all: refused.
  assert.deepEqual(r.dead, [['dropped', 'm1'], ['dropped', 'm3'], ['rejected', 'm6']]);
  assert.deepEqual(r.handled, ['m0', 'm2', 'm4', 'm5']);
  assert.deepEqual(r.accepted, [true, true, true, true, true, true, false]);
});

test('dead letters: messages to unknown and stopped actors are counted, not silently lost', async () => {
  const log: Handled[] = [];
  const sys = testSystem({ strategy: 'one_for_one', children: [recorder('w', log)] });
  const dead: DeadLetter[] = [];
  sys.deadLetters.on('dead-letter', (d) => dead.push(d));
  await sys.start();
  assert.equal(sys.send('/missing', 'x'), false);
  await sys.stop();
  assert.equal(sys.send('/w', 'after-stop'), false);
  assert.deepEqual(dead.map((d) => [d.reason, d.to.path, d.message]), [['no-such-actor', '/missing', 'x'], ['stopped', '/w', 'after-stop']]);
  assert.equal(sys.deadLetters.total, 2);
});
