// The API's pure guards: the Host allow-list (DNS rebinding), the per-client rate and
// in-flight limits, and the operator-ban bucket shared by POST /api/bans and the block tool.
// Time is an injected clock.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { HostAllowList, hostName } from '../src/http/host-check.ts';
import { BlockGate, ClientLimits, clientKey, TooManyRequestsError } from '../src/http/rate-limits.ts';

test('hostName: lower case, no port, IPv6 without brackets, no trailing dot', () => {
  assert.equal(hostName('LocalHost:8000'), 'localhost');
  assert.equal(hostName('[::1]:8000'), '::1');
  assert.equal(hostName('[::1]'), '::1');
  assert.equal(hostName('fd00::1'), 'fd00::1', 'a bare IPv6 literal (configuration) is kept whole');
  assert.equal(hostName('node1.example.com.'), 'node1.example.com');
  assert.equal(hostName('127.0.0.1'), '127.0.0.1');
  assert.equal(hostName(''), '');
});

test('Host allow-list: localhost names, the bound address and configured names, any port; nothing else', () => {
  const hosts = new HostAllowList({ bound: '10.1.2.3', allowed: ['Node1.Example.com', '[fd00::7]'], interfaces: () => assert.fail('a specific bind never asks the interfaces') });
  for (const ok of ['localhost:8000', '127.0.0.1:9', '[::1]:8000', 'LOCALHOST', '10.1.2.3:8001', 'node1.example.com', 'node1.example.com:443', '[fd00::7]:8000']) {
    assert.equal(hosts.allows(ok), true, ok);
  }
  for (const bad of ['attacker.example:8000', 'attacker.example', '127.0.0.2:8000', 'localhost.attacker.example', '10.1.2.4', '', '[::2]:8000']) {
    assert.equal(hosts.allows(bad), false, bad);
  }
  assert.equal(hosts.allows(undefined), false, 'no Host header: refused');
  const r = hosts.refusal('attacker.example:8000');
  assert.equal(r.code, 'AI_ERR_HOST_NOT_ALLOWED');
  assert.match(r.error, /"attacker\.example:8000"/);
  assert.match(r.error, /http\.allowedHosts/);
  assert.match(r.error, /"attacker\.example"/, 'names what to add, without the port');
});

test('Host allow-list on a wildcard bind: the wildcard literal and every address of the machine', () => {
  const hosts = new HostAllowList({ bound: '0.0.0.0', allowed: [], interfaces: () => ['127.0.0.1', '192.0.2.10', 'fe80::1'] });
  assert.equal(hosts.allows('192.0.2.10:8000'), true);
  assert.equal(hosts.allows('[fe80::1]:8000'), true);
  assert.equal(hosts.allows('0.0.0.0:8000'), true);
  assert.equal(hosts.allows('192.0.2.11:8000'), false);
  assert.equal(hosts.allows('attacker.example'), false);
  const v6 = new HostAllowList({ bound: '::', allowed: [], interfaces: () => [] });
  assert.equal(v6.allows('[::]:8000'), true, 'fastify advertises http://[::]:PORT for this bind');
});

test('clientKey: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64, the token apart', () => {
  assert.equal(clientKey('127.0.0.1', false), '127.0.0.1');
  assert.equal(clientKey('127.0.0.1', true), '127.0.0.1+token');
  assert.equal(clientKey('::ffff:192.0.2.9', false), '192.0.2.9');
  assert.equal(clientKey('2001:db8:1:2:aaaa::1', false), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8:1:2:bbbb::9', false), clientKey('2001:db8:1:2:aaaa::1', false), 'one /64 is one client');
  assert.notEqual(clientKey('2001:db8:1:3::1', false), clientKey('2001:db8:1:2::1', false));
});

test('ClientLimits: a burst, then the rate; each client its own; refusals name the setting and the wait', () => {
  let now = 0;
  const limits = new ClientLimits({ perS: 2, burst: 3, inFlight: 100 }, () => now);
  for (let i = 0; i < 3; i++) limits.admit('a', 'POST /api/ask')();
  assert.throws(
    () => limits.admit('a', 'POST /api/ask'),
    (e: unknown) => e instanceof TooManyRequestsError && e.code === 'AI_ERR_RATE_LIMITED' && /http\.clientLimits/.test(e.message) && /2 per second in bursts of 3/.test(e.message) && e.retryAfterS === 1,
  );
  limits.admit('b', 'POST /api/ask')(); // another client is not held back
  now += 500; // one more token at 2 per second
  limits.admit('a', 'POST /api/ask')();
  assert.throws(() => limits.admit('a', 'POST /api/ask'), TooManyRequestsError);
});

test('ClientLimits: requests in flight count until released, once', () => {
  const limits = new ClientLimits({ perS: 1000, burst: 1000, inFlight: 2 }, () => 0);
  const r1 = limits.admit('a', 'POST /api/tools');
  const r2 = limits.admit('a', 'POST /api/tools');
  assert.throws(() => limits.admit('a', 'POST /api/tools'), (e: unknown) => e instanceof TooManyRequestsError && e.code === 'AI_ERR_TOO_MANY_IN_FLIGHT' && /2 requests running/.test(e.message));
  limits.admit('a+token', 'POST /api/tools')(); // the token holder from the same address has its own
  r1();
  r1(); // a second release of the same request frees nothing more
  const r3 = limits.admit('a', 'POST /api/tools');
  assert.throws(() => limits.admit('a', 'POST /api/tools'), TooManyRequestsError);
  r2();
  r3();
});

test('ClientLimits: the table of clients is bounded', () => {
  const limits = new ClientLimits({ perS: 1, burst: 1, inFlight: 1 }, () => 0, 100);
  for (let i = 0; i < 1000; i++) limits.admit(`10.0.${i >> 8}.${i & 255}`, 'POST /api/ask')();
  assert.equal(limits.size, 100);
});

test('BlockGate: n bans at once or none; the wait says how long', () => {
  let now = 0;
  const gate = new BlockGate({ perS: 10, burst: 20 }, () => now);
  gate.take(15, 'a confirmation');
  assert.throws(
    () => gate.take(6, 'confirming block_addresses c-1'),
    (e: unknown) => e instanceof TooManyRequestsError && e.code === 'AI_ERR_RATE_LIMITED' && /needs 6 bans and 5 are free/.test(e.message) && /http\.blockRate/.test(e.message) && e.retryAfterS === 1,
  );
  gate.take(5, 'POST /api/bans'); // the refusal took nothing: the 5 are still there
  assert.throws(() => gate.take(1, 'POST /api/bans'), TooManyRequestsError);
  now += 1000;
  gate.take(10, 'a confirmation');
  now += 100_000;
  assert.throws(() => gate.take(21, 'x'), /needs 21 bans and 20 are free/, 'never more than the burst');
});
