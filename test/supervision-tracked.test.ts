import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Deferred, WorkerSpec } from '../src/supervisors/child-spec.ts';
import { Tracked, type TrackOutcome } from '../src/supervisors/tracked.ts';
import { BOOM, recorder, testSystem, type Handled } from '../devkit/actors.ts';
import { waitFor } from '../devkit/wait.ts';

/** Forwards every message to `next` (and re-sends itself a "tick" once, which must not hold the message open). */
function forwarder(id: string, next: string): WorkerSpec {
  return {
    type: 'worker',
    id,
    start: () => ({
      kind: 'forwarder',
      handle(state: null, msg: unknown, ctx) {
        if (msg === 'tick') return state;
        ctx.send(ctx.self, 'tick');
        ctx.send(next, { from: id, msg });
        return state;
      },
    }),
  };
}

function slowRecorder(id: string, log: Handled[], gate: { open: Promise<void> }): WorkerSpec {
  return recorder(id, log, { slow: () => gate.open });
}

test('a tracked message settles "handled" only after what its handler sent on has been handled too', async () => {
  let release!: () => void;
  const gate = { open: new Promise<void>((r) => (release = r)) };
  const log: Handled[] = [];
  const sys = testSystem({ strategy: 'one_for_one', children: [slowRecorder('sink', log, gate), forwarder('fwd', '/sink')] });
  await sys.start();
  const outcomes: TrackOutcome[] = [];
  sys.send('/fwd', new Tracked('batch-1', (o) => outcomes.push(o)));
  await waitFor(() => sys.lookup('/fwd')!.snapshot().processed >= 1, 'forwarder handled it');
  assert.deepEqual(outcomes, [], 'still open while the sink has not handled the forwarded message');
  release();
  await waitFor(() => outcomes.length === 1, 'settled');
  assert.deepEqual(outcomes, ['handled']);
  assert.deepEqual(log.map((h) => h.msg), [{ from: 'fwd', msg: 'batch-1' }], 'the handler sees the message, not the wrapper');
  await sys.stop();
});

test('a tracked message that crashes its handler settles "dropped"; one for an unknown actor settles "rejected"', async () => {
  const log: Handled[] = [];
  const sys = testSystem({ strategy: 'one_for_one', children: [recorder('a', log)] });
  await sys.start();
  const outcomes: TrackOutcome[] = [];
  sys.send('/a', new Tracked(BOOM, (o) => outcomes.push(o)));
  await waitFor(() => outcomes.length === 1, 'crash settled');
  assert.deepEqual(outcomes, ['dropped']);
  assert.equal(sys.send('/nobody', new Tracked('x', (o) => outcomes.push(o))), false);
  assert.deepEqual(outcomes, ['dropped', 'rejected']);
  await sys.stop();
});

test('tracked messages still queued when their actor is stopped for good settle "rejected" (the sender re-resolves)', async () => {
  let release!: () => void;
  const gate = { open: new Promise<void>((r) => (release = r)) };
  const log: Handled[] = [];
  const sys = testSystem({ strategy: 'one_for_one', children: [{ type: 'supervisor', id: 'shards', strategy: 'one_for_one', children: [{ ...slowRecorder('s', log, gate), shutdownMs: 50 }] }] });
  await sys.start();
  const outcomes: TrackOutcome[] = [];
  for (let i = 0; i < 3; i++) sys.send('/shards/s', new Tracked(i, (o) => outcomes.push(o)));
  const stopping = sys.stopChild('/shards', 's');
  await stopping;
  release();
  await waitFor(() => outcomes.length === 3, 'all settled');
  assert.equal(outcomes.filter((o) => o === 'handled').length, 0);
  assert.equal(outcomes.filter((o) => o === 'rejected').length, 3);
  await sys.stop();
});

test('a deferred message stays open after its handler returns, is tracked with what is sent through its handle, and settles as its owner says', async () => {
  let release!: () => void;
  const gate = { open: new Promise<void>((r) => (release = r)) };
  const log: Handled[] = [];
  const held: Array<{ msg: string; h: Deferred }> = [];
  const spec: WorkerSpec = {
    type: 'worker',
    id: 'def',
    start: () => ({
      kind: 'deferring',
      handle(state: null, msg: unknown, ctx) {
        if (msg === 'settle-handled') {
          const p = held.shift()!;
          p.h.send('/sink', { from: 'def', msg: p.msg });
          p.h.done('handled');
        } else if (msg === 'settle-dropped') held.shift()!.h.done('dropped');
        else held.push({ msg: msg as string, h: ctx.defer() });
        return state;
      },
    }),
  };
  const sys = testSystem({ strategy: 'one_for_one', children: [slowRecorder('sink', log, gate), spec] });
  await sys.start();
  const outcomes: Array<[string, TrackOutcome]> = [];
  sys.send('/def', new Tracked('a', (o) => outcomes.push(['a', o])));
  sys.send('/def', new Tracked('b', (o) => outcomes.push(['b', o])));
  await waitFor(() => sys.lookup('/def')!.snapshot().processed >= 2, 'both handled by the deferring actor');
  assert.deepEqual(outcomes, [], 'both open after their handlers returned');
  sys.send('/def', 'settle-handled');
  await waitFor(() => sys.lookup('/def')!.snapshot().processed >= 3, 'settle-handled handled');
  assert.deepEqual(outcomes, [], '"a" still open: what was sent through its handle is not handled yet');
  release();
  await waitFor(() => outcomes.length === 1, 'a settled');
  assert.deepEqual(outcomes, [['a', 'handled']]);
  assert.deepEqual(log.map((h) => h.msg), [{ from: 'def', msg: 'a' }]);
  sys.send('/def', 'settle-dropped');
  await waitFor(() => outcomes.length === 2, 'b settled');
  assert.deepEqual(outcomes[1], ['b', 'dropped']);
  await sys.stop();
});

test('messages an actor deferred and never settled are dropped when it crashes or stops, whatever its terminate does', async () => {
  const deferring = (id: string): WorkerSpec => ({
    type: 'worker',
    id,
    start: () => ({
      kind: 'deferring',
      handle(state: null, _msg: unknown, ctx) {
        ctx.defer(); // kept open, never settled; no terminate to settle it
        return state;
      },
    }),
  });
  const sys = testSystem({ strategy: 'one_for_one', children: [deferring('crashy'), deferring('stoppy')] });
  await sys.start();
  const outcomes: Array<[string, TrackOutcome]> = [];
  for (const [to, m] of [['/crashy', 'a'], ['/crashy', 'b'], ['/stoppy', 'c']] as const) sys.send(to, new Tracked(m, (o) => outcomes.push([m, o])));
  await waitFor(() => sys.lookup('/crashy')!.snapshot().processed >= 2 && sys.lookup('/stoppy')!.snapshot().processed >= 1, 'all three handled');
  assert.deepEqual(outcomes, [], 'open after their handlers returned');
  assert.ok(sys.crash('/crashy'));
  await waitFor(() => outcomes.length === 2, 'the crashed incarnation\'s two settled');
  assert.deepEqual(outcomes.sort(), [['a', 'dropped'], ['b', 'dropped']]);
  await sys.stopChild('/', 'stoppy');
  await waitFor(() => outcomes.length === 3, 'the stopped one\'s settled');
  assert.deepEqual(outcomes[2], ['c', 'dropped']);
  await sys.stop();
});
