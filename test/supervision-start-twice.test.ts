// A worker cell asked to start while it already runs (or is starting) keeps its incarnation:
// a second one would replace the first's nact actor without stopping it, and that actor would
// live on with whatever message was handed to it.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { testSystem } from '../devkit/actors.ts';
import { settle, waitFor } from '../devkit/wait.ts';

test('start() on a running or starting worker cell keeps the incarnation it has', async () => {
  const handled: string[] = [];
  let releaseInit: (() => void) | undefined;
  let slowInit = false;
  const sys = testSystem({
    strategy: 'one_for_one',
    children: [{
      type: 'worker',
      id: 'w',
      start: () => ({
        kind: 'w',
        init: () => (slowInit ? new Promise<void>((r) => (releaseInit = r)) : undefined),
        handle: (s, m, ctx) => {
          handled.push(`${String(m)} #${ctx.incarnation}`);
          return s;
        },
      }),
    }],
  });
  const dead: string[] = [];
  sys.deadLetters.on('dead-letter', (d) => dead.push(`${String(d.message)} ${d.reason}`));
  await sys.start();
  const cell = sys.lookup('/w')!;
  assert.equal(cell.incarnation, 1);

  // running: a second start is the same incarnation
  await cell.start();
  assert.equal(cell.incarnation, 1);
  assert.ok(sys.send('/w', 'a'));
  await waitFor(() => handled.length === 1, 'a handled');
  assert.deepEqual(handled, ['a #1']);

  // starting (init still running after a crash): a second start waits for the same one
  slowInit = true;
  assert.ok(sys.crash('/w'));
  await waitFor(() => cell.status === 'starting' && releaseInit !== undefined, 'restarting with a slow init');
  const again = cell.start();
  assert.equal(cell.incarnation, 2);
  releaseInit!();
  await again;
  assert.equal(cell.status, 'running');
  assert.equal(cell.incarnation, 2);
  assert.ok(sys.send('/w', 'b'));
  await waitFor(() => handled.length === 2, 'b handled');
  await settle();
  assert.deepEqual(handled, ['a #1', 'b #2']);

  await sys.stop();
  assert.deepEqual(dead, [], 'no message handed to a replaced actor and lost');
});
