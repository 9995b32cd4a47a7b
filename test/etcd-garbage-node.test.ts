// A value in etcd never stops anything: garbage under every prefix a node lists or watches
// (bans, allow, offences, nodes, placement, restarts, models, envelope keys, the leader key, the
// join check), written before the node starts and again while it runs, leaves a real node (a
// process on a real etcd) up and working: it bans and allows through its API, answers
// /api/nodes, and counts what it skipped.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { clusterOnEtcd } from '../devkit/cluster.ts';
import { waitFor } from '../devkit/wait.ts';

const NAME = 'junk';
const P = `/autoimmune/${NAME}/`;
const env = clusterOnEtcd({ cluster: { name: NAME, leaseTtlMs: 2000 }, pipeline: { shards: 2 } });

/** A key under each prefix the node reads, and what is not a value of it. */
const JUNK: Array<[string, string]> = [
  ['bans/not-json', '{not json'],
  ['bans/198.51.100.30', JSON.stringify({ address: '198.51.100.30', ttl: 'long' })],
  ['allow/10.9.0.0%2F16', '[1,2,3]'],
  ['allow/not-a-net', JSON.stringify({ net: 'not-a-net', note: null, at: 1 })],
  ['offences/198.51.100.31', JSON.stringify({ offences: -4, forgetAt: 'never' })],
  ['nodes/ghost', '{"id": "ghost", '],
  ['placement/floods', 'garbage'],
  ['restarts/floods', '\u0000\u0001'],
  ['models/promoted', JSON.stringify({ origin: 'n9', version: 'x' })],
  ['envelope-keys/k1', 'not a key'],
];

async function putJunk(round: number): Promise<void> {
  for (const [key, value] of JUNK) await env.cluster.putRaw(`${P}${key}`, `${value}${' '.repeat(round)}`);
}

test('garbage under every prefix the node reads, before and while it runs: the node stays up, bans, allows and answers', async () => {
  await putJunk(0);
  await env.cluster.putRaw(`${P}join-check`, 'not a join check');
  await env.cluster.putRaw(`${P}leader`, '{"node": 7}');
  const n = await env.cluster.start('n1');
  const token = env.cluster.token('n1');
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  await waitFor(async () => {
    const h = await env.cluster.health('n1');
    return h.ready && h.cluster.lease === 'held' && h.cluster.isLeader && h.cluster.owned.includes('floods');
  }, 'the node is up, leads (the bad leader key named nobody) and runs floods (its bad placement put back)', 40_000);

  await putJunk(1); // a new revision of each: read again through the watches
  await env.cluster.putRaw(`${P}leader`, 'garbage while it leads');

  // It still works: a ban through the API reaches its firewall, an allow-list entry is taken,
  // an address whose offence record is garbage is banned as a first offence.
  assert.equal((await env.cluster.ban('n1', { address: '198.51.100.31', ttl: 600 })).status, 201);
  await waitFor(async () => (await env.cluster.json<{ appliedAt: number | null }>('n1', '/api/firewall?address=198.51.100.31')).appliedAt !== null, 'the ban is applied');
  const allowed = await fetch(`${n.url}/api/allow`, { method: 'POST', headers: auth, body: JSON.stringify({ address: '192.0.2.0/24', note: 'test' }) });
  assert.equal(allowed.status, 201, await allowed.text());
  const list = await fetch(`${n.url}/api/allow`);
  assert.equal(list.status, 200);
  const nodes = await fetch(`${n.url}/api/nodes`);
  assert.equal(nodes.status, 200, 'a registration that is not JSON is left out of /api/nodes, not a 500');
  assert.deepEqual(((await nodes.json()) as { nodes: Array<{ id: string }> }).nodes.map((x) => x.id), ['n1']);

  const metrics = await (await fetch(`${n.url}/metrics`)).text();
  const rejected: Record<string, number> = {};
  for (const m of metrics.matchAll(/^autoimmune_etcd_rejected_total\{[^}]*prefix="([^"]+)"[^}]*\} (\d+)$/gm)) rejected[m[1]!] = Number(m[2]);
  for (const prefix of ['bans', 'allow', 'nodes', 'placement', 'join-check']) assert.ok((rejected[prefix] ?? 0) >= 1, `${prefix} values were read and skipped: ${JSON.stringify(rejected)}`);
  const h = await env.cluster.health('n1');
  assert.ok(h.ready && h.cluster.lease === 'held', JSON.stringify(h));
  assert.equal(n.child.exitCode, null, 'the node process is running');
});
