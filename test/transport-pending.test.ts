// The sender's hold (PendingStore), its send order (SendQueue) and buffer alarms (AlarmTracker).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlarmTracker } from '../src/remote/transport/alarm-tracker.ts';
import { newEntry, PendingStore, toPending } from '../src/remote/transport/pending-store.ts';
import { SendQueue } from '../src/remote/transport/send-queue.ts';
import { uniform } from '../devkit/prng.ts';

const to = { path: '/user/x', epoch: 1 };
const entry = (seq: number, priority: number) => newEntry(seq, 'B', to, { seq }, new Uint8Array(0), priority, 256);

test('the store keeps send order across removals and drains in it', () => {
  const s = new PendingStore();
  for (let seq = 1; seq <= 6; seq++) s.add(entry(seq, seq % 2));
  assert.equal(s.size, 6);
  assert.equal(s.take(3)?.seq, 3);
  assert.equal(s.take(3), undefined, 'a repeated outcome finds nothing');
  assert.equal(s.lowestSeq(99), 1);
  s.take(1);
  assert.equal(s.lowestSeq(99), 2);
  const drained = s.drain();
  assert.deepEqual(drained.map((e) => e.seq), [2, 4, 5, 6]);
  assert.ok(drained.every((e) => !e.live));
  assert.equal(s.size, 0);
  assert.equal(s.lowestSeq(99), 99);
});

test('the victim is the newest entry of the lowest priority below the newcomer', () => {
  const s = new PendingStore();
  s.add(entry(1, 2));
  s.add(entry(2, 0));
  s.add(entry(3, 1));
  s.add(entry(4, 0));
  s.add(entry(5, 1));
  assert.equal(s.victimBelow(0), undefined, 'nothing is below priority 0');
  assert.equal(s.victimBelow(1)?.seq, 4);
  assert.equal(s.victimBelow(5)?.seq, 4);
  s.take(4);
  assert.equal(s.victimBelow(1)?.seq, 2);
  s.take(2);
  assert.equal(s.victimBelow(1), undefined, 'equal priority is never evicted');
  assert.equal(s.victimBelow(2)?.seq, 5);
});

test('the store agrees with a simple model under random operations', () => {
  const rnd = uniform(7);
  const s = new PendingStore();
  const model: { seq: number; priority: number }[] = [];
  let next = 1;
  for (let i = 0; i < 5000; i++) {
    const r = rnd();
    if (r < 0.5 || model.length === 0) {
      const p = Math.floor(rnd() * 4);
      s.add(entry(next, p));
      model.push({ seq: next++, priority: p });
    } else if (r < 0.8) {
      const k = Math.floor(rnd() * model.length);
      assert.equal(s.take(model[k]!.seq)?.seq, model[k]!.seq);
      model.splice(k, 1);
    } else {
      const p = Math.floor(rnd() * 5);
      const below = model.filter((m) => m.priority < p);
      const lowest = Math.min(...below.map((m) => m.priority));
      const want = below.filter((m) => m.priority === lowest).at(-1);
      assert.equal(s.victimBelow(p)?.seq, want?.seq);
    }
    assert.equal(s.size, model.length);
  }
  assert.deepEqual([...s.values()].map((e) => e.seq), model.map((m) => m.seq));
});

test('toPending copies what the layer above may see, without the links', () => {
  const e = entry(9, 3);
  e.attempts = 2;
  assert.deepEqual(toPending(e), { seq: 9, peer: 'B', to, msg: { seq: 9 }, priority: 3, events: 256, attempts: 2 });
});

test('the send queue serves higher priorities first, in order within one', () => {
  const q = new SendQueue<{ priority: number; id: string }>();
  for (const [priority, id] of [[0, 'a'], [5, 'b'], [0, 'c'], [2, 'd'], [5, 'e']] as const) q.push({ priority, id });
  assert.equal(q.length, 5);
  const out: string[] = [];
  for (let x = q.shift(); x; x = q.shift()) out.push(x.id);
  assert.deepEqual(out, ['b', 'e', 'd', 'a', 'c']);
  assert.equal(q.length, 0);
  for (let i = 0; i < 3000; i++) q.push({ priority: 1, id: String(i) });
  for (let i = 0; i < 3000; i++) assert.equal(q.shift()?.id, String(i), 'compaction keeps FIFO order');
});

test('alarms fire at 80 and 90 on the way up and 0 below 80, once each', () => {
  const a = new AlarmTracker(10);
  const fired: number[] = [];
  for (const used of [1, 7, 8, 8, 9, 10, 9, 8, 9, 10, 7, 3, 0, 9, 0]) {
    const level = a.update(used);
    if (level !== null) fired.push(level);
  }
  assert.deepEqual(fired, [80, 90, 0, 90, 0]);
});
