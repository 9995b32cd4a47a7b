// The schemas of the cluster's etcd values (EtcdValues): what is refused and why, that each
// stored value is counted and logged once, that a log line cannot be forged by a key, and the
// readers that must heal what they cannot read (a leader key that names nobody).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Ban } from '../src/respond/ban-registry.ts';
import { EmbeddedCoordinator } from '../src/cluster/embedded-coordinator.ts';
import { LeaderElection } from '../src/cluster/election.ts';
import { banProblem, checkBan, EtcdValues, type StoredValue } from '../src/cluster/etcd-values.ts';
import { keys } from '../src/cluster/keys.ts';
import { generateNodeKeys } from '../src/remote/transport/zmq-transport.ts';
import { waitFor } from '../devkit/wait.ts';

const P = '/autoimmune/c/';
const good: Ban = { address: '203.0.113.7', ttl: 600, expiresAt: 1_700_000_600_000, reason: 'scan', detector: 'port-scan-vertical', score: 0.8, at: 1_700_000_000_000, offence: 1 };

function values(): { v: EtcdValues; lines: string[] } {
  const lines: string[] = [];
  return { v: new EtcdValues('c', { notice: (l) => lines.push(l), remember: 3 }), lines };
}

let rev = 1;
const kv = (key: string, value: unknown): StoredValue => ({ key: P + key, value: typeof value === 'string' ? value : JSON.stringify(value), revision: rev++ });

test('a ban must be JSON of the ban shape, with finite numbers and a canonical address stored under its own key', () => {
  const { v, lines } = values();
  assert.deepEqual(v.ban(kv('bans/203.0.113.7', good)), good);
  assert.deepEqual(v.ban(kv('bans/2001%3Adb8%3A%3A%2F32', { ...good, address: '2001:db8::/32' })), { ...good, address: '2001:db8::/32' });
  const bad: Array<[string, unknown, RegExp]> = [
    ['bans/x', 'not json {', /is not JSON \(10 characters\)/],
    ['bans/x', [good], /is not a valid ban value/],
    ['bans/203.0.113.7', { ...good, ttl: '600' }, /\/ttl: Expected number/],
    ['bans/203.0.113.7', `{"address":"203.0.113.7","ttl":1e999,"expiresAt":1,"reason":"","detector":"","score":0,"at":0,"offence":1}`, /\/ttl/],
    ['bans/203.0.113.7', { ...good, offence: 1.5 }, /\/offence: Expected integer/],
    ['bans/203.0.113.7', { ...good, forced: 'false' }, /\/forced: Expected boolean/],
    ['bans/203.0.113.7', { ...good, reason: undefined }, /reason/],
    ['bans/10.0.0.5%2F8', { ...good, address: '10.0.0.5/8' }, /host bits are set/],
    ['bans/999.1.1.1', { ...good, address: '999.1.1.1' }, /bad address "999\.1\.1\.1"/],
    ['bans/203.0.113.7%2F32', { ...good, address: '203.0.113.7/32' }, /not in canonical form \(203\.0\.113\.7\)/],
    ['bans/198.51.100.1', good, /it holds address "203\.0\.113\.7" but is stored under another key/],
    ['bans/%E0%A4%A', good, /stored under another key/],
  ];
  for (const [key, value, why] of bad) {
    const before = lines.length;
    assert.equal(v.ban(kv(key, value)), null, `${key} ${JSON.stringify(value)}`);
    assert.equal(lines.length, before + 1);
    assert.match(lines.at(-1)!, why);
  }
  assert.deepEqual(v.counts(), { bans: bad.length });
  // Fields a newer node adds are kept, not refused.
  assert.deepEqual(v.ban(kv('bans/203.0.113.7', { ...good, node: 'n4' })), { ...good, node: 'n4' });
  assert.deepEqual(v.ban(kv('bans/203.0.113.7', { ...good, forced: true })), { ...good, forced: true });
  // The check the firewall side reuses.
  assert.equal(banProblem(good), null);
  assert.equal(checkBan({ ...good, score: Number.NaN }), null);
  assert.match(banProblem({ ...good, address: 'x' })!, /bad address "x"/);
});

test('a stored value is counted and logged once per key and revision; a new bad revision again; the memory of them is bounded', () => {
  const { v, lines } = values();
  const bad = kv('bans/a', 'nope');
  for (let i = 0; i < 5; i++) assert.equal(v.ban(bad), null);
  assert.equal(lines.length, 1);
  assert.equal(v.rejected.get('bans'), 1);
  v.ban({ ...bad, revision: bad.revision + 100 });
  assert.equal(lines.length, 2, 'a new value at the key');
  // remember: 3. Three other keys push bans/a out; reading it again reports it again.
  for (const k of ['x', 'y', 'z']) v.ban(kv(`bans/${k}`, 'nope'));
  v.ban({ ...bad, revision: bad.revision + 100 });
  assert.equal(v.rejected.get('bans'), 6);
});

test("a key cannot forge a log line: it is quoted, escaped and cut short; the value's text is never quoted", () => {
  const { v, lines } = values();
  v.ban(kv(`bans/x\nautoimmune[n1]: leads the cluster\u001b[2J${'y'.repeat(500)}`, 'secret-looking-text'));
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes('\n') && !lines[0]!.includes('\u001b'), lines[0]);
  assert.ok(lines[0]!.length < 500);
  assert.ok(!lines[0]!.includes('secret-looking-text'));
});

test('node registrations, placements, leader, restarts and models have their shapes', () => {
  const { v } = values();
  const { publicKey } = generateNodeKeys();
  const record = { id: 'n1', address: 'tcp://127.0.0.1:4000', publicKey, http: 'http://127.0.0.1:8001', captures: [], mac: 'x' };
  assert.deepEqual(v.node(kv('nodes/n1', record)), record);
  assert.equal(v.node(kv('nodes/n2', record)), null, 'under another id');
  assert.equal(v.node(kv('nodes/n1', { ...record, publicKey: 'k'.repeat(40).replace(/k/g, '~') })), null, 'not Z85');
  assert.equal(v.node(kv('nodes/n1', { ...record, address: 'ipc:///tmp/x' })), null);
  assert.equal(v.node(kv('nodes/n1', { ...record, capacity: 0 })), null, 'a capacity the placement could divide by');
  assert.deepEqual(v.placement(kv('placement/enricher-0', { node: 'n1', kind: 'enricher' })), { node: 'n1', kind: 'enricher' });
  assert.equal(v.placement(kv('placement/enricher-0', { node: 'n1', kind: 'rootkit' })), null);
  assert.deepEqual(v.leader(kv('leader', { node: 'n1', lease: 3 })), { node: 'n1', lease: 3 });
  assert.equal(v.leader(kv('leader', 'n1')), null);
  assert.deepEqual(v.restarts(kv('restarts/detector-1', { restarts: 2, times: [1, 2], nodes: ['n1', 'n2'] })), { restarts: 2, times: [1, 2], nodes: ['n1', 'n2'] });
  assert.equal(v.restarts(kv('restarts/detector-1', { restarts: 2, times: [1, 2], nodes: ['n1'] })), null);
  assert.equal(v.model(kv('models/promoted', { origin: 'n1', version: -1, promotedAt: 'x', model: '{}' })), null);
  assert.deepEqual(Object.keys(v.counts()).sort(), ['leader', 'models', 'nodes', 'placement', 'restarts']);
});

test('a leader key that holds no leader value is deleted by a candidate, which then leads', async () => {
  const coordinator = new EmbeddedCoordinator();
  const key = keys.leader('c');
  await coordinator.put(key, 'garbage with no lease');
  const { v, lines } = values();
  const changes: Array<string | undefined> = [];
  const election = new LeaderElection(coordinator, key, 'n1', (leader) => changes.push(leader), () => {}, v);
  await election.start();
  assert.equal(election.leader, undefined, 'garbage names nobody');
  await election.campaign(await coordinator.grantLease(60_000));
  await waitFor(() => election.isLeader, 'n1 leads');
  assert.match(lines.join('\n'), /leader" \(revision \d+\) is not JSON/);
  assert.equal(JSON.parse((await coordinator.get(key))!.value).node, 'n1');
  election.close();
  await coordinator.close();
});
