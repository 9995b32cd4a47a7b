import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { BoundedMailbox, PushResult } from '../src/supervisors/mailbox.ts';

function contents<M>(m: BoundedMailbox<M>): M[] {
  const out: M[] = [];
  m.drain((x) => out.push(x));
  return out;
}

test('reject refuses the newcomer when full', () => {
  const m = new BoundedMailbox<number>({ capacity: 3, overflow: 'reject' });
  for (const x of [1, 2, 3]) assert.equal(m.push(x), PushResult.Queued);
  assert.equal(m.push(4), PushResult.Rejected);
  assert.deepEqual(contents(m), [1, 2, 3]);
});

test('drop-oldest sheds the head and reports it', () => {
  const m = new BoundedMailbox<number>({ capacity: 3, overflow: 'drop-oldest' });
  for (const x of [1, 2, 3]) m.push(x);
  assert.equal(m.push(4), PushResult.QueuedAfterShedding);
  assert.equal(m.lastShed, 1);
  assert.deepEqual(contents(m), [2, 3, 4]);
});

test('drop-lowest-priority sheds the oldest of the lowest priority, or refuses a lower newcomer', () => {
  const m = new BoundedMailbox<string>({ capacity: 3, overflow: 'drop-lowest-priority' });
  m.push('a', 5);
  m.push('b', 1);
  m.push('c', 1);
  assert.equal(m.push('d', 3), PushResult.QueuedAfterShedding);
  assert.equal(m.lastShed, 'b');
  assert.equal(m.push('e', 0), PushResult.Rejected, 'lower than everything queued');
  assert.deepEqual(contents(m), ['a', 'c', 'd'], 'delivery stays FIFO');
});

test('grows on demand, wraps around, unshift restores the front', () => {
  const m = new BoundedMailbox<number>({ capacity: 1000, overflow: 'reject' });
  for (let i = 0; i < 700; i++) m.push(i);
  for (let i = 0; i < 600; i++) assert.equal(m.shift(), i);
  for (let i = 700; i < 1300; i++) m.push(i);
  m.unshift(599);
  assert.equal(m.length, 701);
  const got = contents(m);
  assert.equal(got[0], 599);
  assert.deepEqual(got.slice(1), Array.from({ length: 700 }, (_, k) => 600 + k));
  assert.throws(() => new BoundedMailbox({ capacity: 0, overflow: 'reject' }), /capacity must be an integer ≥ 1, got 0/);
});
