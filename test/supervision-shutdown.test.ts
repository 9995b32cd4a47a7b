import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { testSystem } from '../devkit/actors.ts';
import { waitFor } from '../devkit/wait.ts';
import type { WorkerSpec } from '../src/supervisors/child-spec.ts';

function child(id: string, order: string[], opts: { ignoresShutdown?: boolean } = {}): WorkerSpec {
  return {
    type: 'worker',
    id,
    shutdownMs: 50,
    start: () => ({
      kind: 'ordered',
      init: () => {
        order.push(`init ${id}`);
        return null;
      },
      handle: (s) => s,
      terminate: () => {
        order.push(`terminate ${id}`);
        // Ignores its shutdown: never finishes.
        if (opts.ignoresShutdown) return new Promise<void>(() => {});
      },
    }),
  };
}

test('children start in order and stop in reverse order; one that ignores its shutdown is killed after its timeout', async () => {
  const order: string[] = [];
  const sys = testSystem({
    strategy: 'one_for_one',
    children: [child('a', order), { type: 'supervisor', id: 's', strategy: 'one_for_all', children: [child('b', order), child('c', order, { ignoresShutdown: true })] }, child('d', order)],
  });
  await sys.start();
  assert.deepEqual(order, ['init a', 'init b', 'init c', 'init d']);
  await sys.stop();
  assert.deepEqual(order.slice(4), ['terminate d', 'terminate c', 'terminate b', 'terminate a']);
  const stops = sys.lifecycle.recent.filter((e) => e.type === 'stopped').map((e) => `${e.path} ${e.reason}`);
  assert.deepEqual(stops, ['/d shutdown', '/s/c killed', '/s/b shutdown', '/s shutdown', '/a shutdown', '/ shutdown']);
});

test('a graceful stop lets the message in progress finish before terminate', async () => {
  const events: string[] = [];
  let release!: () => void;
  const sys = testSystem({
    strategy: 'one_for_one',
    children: [
      {
        type: 'worker',
        id: 'w',
        shutdownMs: 10_000,
        start: () => ({
          kind: 'slow',
          handle: async (s, m) => {
            events.push(`begin ${m}`);
            await new Promise<void>((r) => (release = r));
            events.push(`end ${m}`);
            return s;
          },
          terminate: () => {
            events.push('terminate');
          },
        }),
      },
    ],
  });
  await sys.start();
  sys.send('/w', 'one');
  await waitFor(() => events.includes('begin one'), 'the handler started');
  const stopping = sys.stop();
  await new Promise((r) => setTimeout(r, 5));
  release();
  await stopping;
  assert.deepEqual(events, ['begin one', 'end one', 'terminate']);
  assert.equal(sys.deadLetters.total, 0);
});

test('a worker that exits normally while a graceful stop waits for it is not killed', async () => {
  let release!: () => void;
  const sys = testSystem({
    strategy: 'one_for_one',
    children: [
      {
        type: 'worker',
        id: 'w',
        restart: 'transient',
        shutdownMs: 60_000,
        start: () => ({
          kind: 'ending',
          handle: async (s, _m, ctx) => {
            await new Promise<void>((r) => (release = r));
            ctx.stop();
            return s;
          },
        }),
      },
    ],
  });
  await sys.start();
  sys.send('/w', 'last');
  await waitFor(() => typeof (release as unknown) === 'function', 'the handler started');
  const stopping = sys.stop();
  release();
  await stopping;
  const reasons = sys.lifecycle.recent.filter((e) => e.path === '/w' && e.type === 'stopped').map((e) => e.reason);
  assert.ok(reasons.includes('normal'));
  assert.ok(!reasons.includes('killed'), `stop reasons: ${reasons.join(', ')}`);
});
