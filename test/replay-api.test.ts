import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import Fastify from 'fastify';
import { registerReplayApi, type ReplayPace } from '../src/http/replay-api.ts';

function app(pace: ReplayPace | undefined) {
  const a = Fastify();
  registerReplayApi(a, () => pace, (req) => req.headers.authorization === 'Bearer t');
  return a;
}
const post = (a: ReturnType<typeof app>, body: unknown, auth = 'Bearer t') =>
  a.inject({ method: 'POST', url: '/api/replay', headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

test('POST /api/replay sets the replay rate by pps or by a factor of the configured rate, and GET shows it', async () => {
  const pace: ReplayPace = { pps: 1500, configuredPps: 1500 };
  const a = app(pace);
  assert.deepEqual((await post(a, { factor: 10 })).json(), { pps: 15_000, configuredPps: 1500 });
  assert.equal(pace.pps, 15_000);
  assert.deepEqual((await a.inject({ url: '/api/replay' })).json(), { pps: 15_000, configuredPps: 1500 });
  assert.equal((await post(a, { pps: 700 })).statusCode, 200);
  assert.equal(pace.pps, 700);
});

test('refused: no token, unknown fields, both or neither field, bad numbers, out of range; a node without a paced replay says so', async () => {
  const pace: ReplayPace = { pps: 1500, configuredPps: 1500 };
  const a = app(pace);
  assert.equal((await post(a, { pps: 10 }, 'Bearer wrong')).statusCode, 401);
  const cases: Array<[unknown, RegExp]> = [
    [{ ppps: 10 }, /unknown field "ppps"/],
    [{}, /exactly one/],
    [{ pps: 10, factor: 2 }, /exactly one/],
    [{ pps: 1.5 }, /pps must be an integer, got 1.5/],
    [{ pps: '10' }, /pps must be an integer, got "10"/],
    [{ factor: 0 }, /factor must be a number above 0, got 0/],
    [{ pps: 0 }, /1 to 10000000 packets\/s, got 0/],
    [{ factor: 1e6 }, /got 1500000000/],
  ];
  for (const [body, error] of cases) {
    const r = await post(a, body);
    assert.equal(r.statusCode, 400, JSON.stringify(body));
    assert.match(r.json().error, error);
  }
  assert.equal(pace.pps, 1500, 'a refused call changes nothing');
  const none = app(undefined);
  assert.equal((await post(none, { pps: 10 })).statusCode, 404);
  assert.match((await none.inject({ url: '/api/replay' })).json().error, /no count-paced replay/);
});
