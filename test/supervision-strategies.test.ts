import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import type { ChildSpec } from '../src/supervisors/child-spec.ts';
import type { Strategy } from '../src/supervisors/restart-policy.ts';
import { BOOM, EXIT, recorder, testSystem, type Handled } from '../devkit/actors.ts';
import { waitFor } from '../devkit/wait.ts';

function system(children: ChildSpec[], strategy: Strategy = 'one_for_one') {
  const sys = testSystem({ strategy, children });
  return { sys, gaveUp: sys.gaveUpWith };
}

function incarnations(sys: ActorSystem, paths: string[]): number[] {
  return paths.map((p) => sys.lookup(p)!.incarnation);
}

async function crashAndSettle(sys: ActorSystem, log: Handled[], path: string, ping: string[]) {
  sys.send(path, BOOM);
  await waitFor(() => sys.lookup(path)!.incarnation > 1 && sys.lookup(path)!.status === 'running', `${path} restarted`);
  // Each child still answers afterwards.
  for (const p of ping) sys.send(p, `ping ${p}`);
  await waitFor(() => ping.every((p) => log.some((h) => h.msg === `ping ${p}`)), 'all children answer');
}

for (const [strategy, expected] of [
  ['one_for_one', [1, 2, 1]],
  ['one_for_all', [2, 2, 2]],
  ['rest_for_one', [1, 2, 2]],
] as const) {
  test(`${strategy}: a crash of the middle child restarts ${JSON.stringify(expected)}`, async () => {
    const log: Handled[] = [];
    const { sys, gaveUp } = system([recorder('a', log), recorder('b', log), recorder('c', log)], strategy);
    await sys.start();
    const paths = ['/a', '/b', '/c'];
    await crashAndSettle(sys, log, '/b', paths);
    assert.deepEqual(incarnations(sys, paths), expected);
    const events = sys.lifecycle.recent.filter((e) => e.type === 'restarted').map((e) => e.path);
    assert.deepEqual(events, paths.filter((_, i) => expected[i] === 2));
    assert.equal(gaveUp.length, 0);
    await sys.stop();
  });
}

test('one_for_all and rest_for_one stop siblings in reverse order and start them in order', async () => {
  const log: Handled[] = [];
  const { sys } = system([recorder('a', log), recorder('b', log), recorder('c', log), recorder('d', log)], 'rest_for_one');
  await sys.start();
  sys.lifecycle.recent.length = 0;
  await crashAndSettle(sys, log, '/b', ['/a', '/b', '/c', '/d']);
  const seq = sys.lifecycle.recent.map((e) => `${e.type} ${e.path}`);
  assert.deepEqual(seq, ['crashed /b', 'stopped /d', 'stopped /c', 'restarted /b', 'restarted /c', 'restarted /d']);
  await sys.stop();
});

test('restart types: transient is not restarted after a normal exit, temporary never, permanent always', async () => {
  const log: Handled[] = [];
  const { sys } = system([
    recorder('perm', log, { restart: 'permanent' }),
    recorder('trans', log, { restart: 'transient' }),
    recorder('temp', log, { restart: 'temporary' }),
  ]);
  await sys.start();
  // Normal exits.
  sys.send('/perm', EXIT);
  sys.send('/trans', EXIT);
  await waitFor(() => sys.lookup('/perm')!.incarnation === 2 && sys.lookup('/perm')!.status === 'running', 'permanent restarted after normal exit');
  await waitFor(() => sys.lookup('/trans')!.status === 'stopped', 'transient stopped');
  assert.equal(sys.lookup('/trans')!.incarnation, 1);
  assert.equal(sys.send('/trans', 'late'), false, 'a stopped actor refuses messages');
  assert.equal(sys.deadLetters.counts.stopped, 1);
  // Crashes.
  sys.send('/temp', BOOM);
  await waitFor(() => sys.lookup('/temp') === undefined, 'temporary removed after its crash');
  assert.equal(sys.send('/temp', 'x'), false);
  assert.equal(sys.deadLetters.counts['no-such-actor'], 1);
  await sys.stop();

  const log2: Handled[] = [];
  const t = system([recorder('trans', log2, { restart: 'transient' })]);
  await t.sys.start();
  t.sys.send('/trans', BOOM);
  await waitFor(() => t.sys.lookup('/trans')!.incarnation === 2 && t.sys.lookup('/trans')!.status === 'running', 'transient restarted after a crash');
  await t.sys.stop();
});

test('crash(path) makes the actor fail as if its handler threw; queued messages survive the restart', async () => {
  const log: Handled[] = [];
  const { sys } = system([recorder('a', log)]);
  await sys.start();
  for (let i = 0; i < 5; i++) sys.send('/a', i);
  assert.equal(sys.crash('/a'), true);
  for (let i = 5; i < 10; i++) sys.send('/a', i);
  await waitFor(() => log.length === 10, 'all ten handled');
  assert.deepEqual(log.map((h) => h.msg), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const crashed = sys.lifecycle.recent.find((e) => e.type === 'crashed')!;
  assert.match(crashed.error!, /InjectedCrashError: crash injected into \/a/);
  assert.equal(sys.deadLetters.total, 0, 'an injected crash loses no application message');
  assert.throws(() => sys.crash('/nope'), { code: 'AI_ERR_NO_SUCH_ACTOR' });
  assert.throws(() => sys.crash('/'), /root supervisor cannot be crashed/);
  await sys.stop();
});

test('a crash injected into a supervisor restarts its subtree under its parent', async () => {
  const log: Handled[] = [];
  const { sys } = system([
    { type: 'supervisor', id: 'pipe', strategy: 'one_for_one', children: [recorder('x', log), recorder('y', log)] },
    recorder('z', log),
  ]);
  await sys.start();
  assert.equal(sys.crash('/pipe'), true);
  await waitFor(() => sys.lookup('/pipe')!.incarnation === 2 && sys.lookup('/pipe')!.status === 'running', 'pipe restarted');
  assert.deepEqual(incarnations(sys, ['/pipe/x', '/pipe/y', '/z']), [2, 2, 1]);
  sys.send('/pipe/y', 'after');
  await waitFor(() => log.some((h) => h.msg === 'after' && h.incarnation === 2), 'y answers in its new incarnation');
  await sys.stop();
});

test('actor refs are data: local refs route like paths, remote ones go through the router or become dead letters', async () => {
  const log: Handled[] = [];
  const { sys } = system([recorder('a', log)]);
  await sys.start();
  const ref = JSON.parse(JSON.stringify(sys.ref('/a')));
  assert.deepEqual(ref, { node: 't', path: '/a' });
  assert.equal(sys.send(ref, 'via-ref'), true);
  await waitFor(() => log.length === 1, 'delivered by ref');
  assert.equal(sys.send({ node: 'other', path: '/a' }, 'far'), false);
  assert.equal(sys.deadLetters.counts.unreachable, 1);
  const routed: unknown[] = [];
  sys.remoteRouter = { route: (to, msg) => (typeof to !== 'string' && routed.push([to.node, to.path, msg]), true), depth: () => 0 };
  assert.equal(sys.send({ node: 'other', path: '/a' }, 'far2'), true);
  assert.deepEqual(routed, [['other', '/a', 'far2']]);
  await sys.stop();
});

test('snapshot shows the whole tree with status, restarts, mailbox depth, processed counts and rates', async () => {
  const log: Handled[] = [];
  const { sys } = system([{ type: 'supervisor', id: 'pipe', strategy: 'one_for_all', children: [recorder('a', log)] }]);
  await sys.start();
  for (let i = 0; i < 3; i++) sys.send('/pipe/a', i);
  sys.send('/pipe/a', BOOM);
  await waitFor(() => sys.lookup('/pipe/a')!.incarnation === 2 && sys.lookup('/pipe/a')!.status === 'running', 'restart');
  const snap = sys.snapshot();
  assert.equal(snap.node, 't');
  const pipe = snap.tree.children![0]!;
  assert.equal(pipe.path, '/pipe');
  assert.equal(pipe.type, 'supervisor');
  assert.equal(pipe.strategy, 'one_for_all');
  const a = pipe.children![0]!;
  assert.deepEqual(
    { path: a.path, kind: a.kind, status: a.status, restarts: a.restarts, processed: a.processed, depth: a.mailboxDepth },
    { path: '/pipe/a', kind: 'recorder', status: 'running', restarts: 1, processed: 3, depth: 0 },
  );
  assert.match(a.lastError!, /boom in \/pipe\/a/);
  assert.equal(snap.deadLetters.byReason.crashed, 1);
  await sys.stop();
});
