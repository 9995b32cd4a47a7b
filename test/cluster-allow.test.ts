// The run-time allow-list in a cluster, with a real etcd and two node processes: an address
// allowed through one node is allowed on both (the other refuses to ban it, and the bans it
// covered are gone from both firewalls); removed, it is bannable again; an entry written
// straight into etcd that is malformed or wider than responder.minPrefix is refused by both,
// counted and logged, never applied, while a good one takes a ban in force out of both
// kernels (and its removal puts it back); a restarted node has the list before its firewall
// reconciles.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Etcd3 } from 'etcd3';
import type { Ban } from '../src/respond/ban-registry.ts';
import { EtcdBanRegistry } from '../src/respond/etcd-ban-registry.ts';
import { clusterOnEtcd } from '../devkit/cluster.ts';
import { waitFor } from '../devkit/wait.ts';
import { findNode } from '../devkit/tree.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const NAME = 'allowc';
const P = `/autoimmune/${NAME}/`;
const IDS = ['n1', 'n2'];

const env = clusterOnEtcd({ cluster: { name: NAME, leaseTtlMs: 2000 }, pipeline: { shards: 2 } });

interface TreeNode {
  id: string;
  type: string;
  stats?: Record<string, number>;
  children?: TreeNode[];
}

interface AllowAnswer {
  configured: string[];
  runtime: Array<{ net: string; note: string | null; at: number }>;
  refused: string[];
  where: string;
}

function call(id: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${env.cluster.node(id).url}${path}`, {
    method,
    headers: { authorization: `Bearer ${env.cluster.token(id)}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

const allowList = (id: string) => env.cluster.json<AllowAnswer>(id, '/api/allow');
const allowedNets = async (id: string) => (await allowList(id)).runtime.map((e) => e.net);
const bans = async (id: string) => (await env.cluster.json<Ban[]>(id, '/api/bans')).map((b) => b.address);
const firewall = (id: string, address: string) => env.cluster.json<{ appliedAt: number | null; setAside: string | null }>(id, `/api/firewall?address=${encodeURIComponent(address)}`);
const applied = async (id: string, address: string) => (await firewall(id, address)).appliedAt !== null;
const onBoth = async (f: (id: string) => Promise<boolean>) => (await Promise.all(IDS.map(f))).every(Boolean);

/** autoimmune_etcd_rejected_total{prefix="allow"} of a node. */
async function rejectedAllow(id: string): Promise<number> {
  const text = await (await fetch(`${env.cluster.node(id).url}/metrics`)).text();
  return Number(/^autoimmune_etcd_rejected_total\{[^}]*prefix="allow"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

const put = (key: string, value: string) => env.cluster.putRaw(key, value);

async function healthy(): Promise<boolean> {
  const hs = await Promise.all(IDS.map((id) => env.cluster.health(id)));
  return hs.every((h) => h.ready && h.cluster.lease === 'held' && h.cluster.members.length === IDS.length);
}

test('allowed through n2: n1 refuses to ban it and the bans it covered are gone from both; removed through n1, it is bannable on n2 again', async (t) => {
  for (const id of IDS) await env.cluster.start(id);
  await waitFor(healthy, 'two nodes up', 40_000);

  assert.equal((await env.cluster.ban('n1', { address: '203.0.113.7', ttl: 600, reason: 'brute force' })).status, 201);
  await waitFor(() => onBoth((id) => applied(id, '203.0.113.7')), 'the ban made on n1 is applied on both', 20_000);

  const t0 = performance.now();
  const r = await call('n2', 'POST', '/api/allow', { address: '203.0.113.0/24', note: 'office NAT' });
  const acked = performance.now();
  // Followed from the acknowledgement on, while the checks below run.
  const seenOnN1 = waitFor(async () => (await allowedNets('n1')).includes('203.0.113.0/24'), "n1's list has the entry n2 added", 20_000).then(() => performance.now() - acked);
  assert.equal(r.status, 201);
  const added = (await r.json()) as { entry: { net: string }; lifted: Array<{ address: string; origin: string | null; detector: string }> };
  assert.equal(added.entry.net, '203.0.113.0/24');
  assert.deepEqual(added.lifted.map((l) => l.address), ['203.0.113.7'], 'n2 lifted the ban n1 made');
  // Acknowledged after etcd has it: the entry is there for anyone who reads etcd now.
  const client = new Etcd3({ hosts: env.etcd.endpoint });
  const stored = await client.get(`${P}allow/${encodeURIComponent('203.0.113.0/24')}`).string();
  client.close();
  assert.equal(JSON.parse(stored!).note, 'office NAT');

  for (const id of IDS) assert.ok(!(await bans(id)).includes('203.0.113.7'), `${id}: the lifted ban is out of the registry`);
  await waitFor(() => onBoth(async (id) => !(await applied(id, '203.0.113.7'))), 'the lifted ban is out of both firewalls', 20_000);

  // Measured, not asserted (polled over HTTP every 20 ms: an upper bound).
  const latency = await seenOnN1;
  t.diagnostic(`allow add through n2 acknowledged in ${Math.round(acked - t0)} ms (one ban lifted); on n1's list within ${Math.round(latency)} ms of that`);
  const list = await allowList('n1');
  assert.equal(list.runtime[0]!.note, 'office NAT');
  assert.match(list.where, /^etcd \/autoimmune\/allowc\/allow\/$/);
  const protectedN1 = await env.cluster.json<{ entries: Array<{ net: string; why: string }> }>('n1', '/api/protected');
  assert.ok(protectedN1.entries.some((e) => e.net === '203.0.113.0/24' && e.why === 'allowed by an operator: office NAT'));
  const refused = await env.cluster.ban('n1', { address: '203.0.113.9', ttl: 600 });
  assert.equal(refused.status, 403);
  const why = (await refused.json()) as { code: string; error: string };
  assert.equal(why.code, 'AI_ERR_ALLOW_LISTED');
  assert.match(why.error, /allow-listed by 203\.0\.113\.0\/24 \(allowed by an operator: office NAT\)/);

  // Removed through n1: gone from n2's list, and n2 bans in it again.
  const removed = await call('n1', 'DELETE', `/api/allow/${encodeURIComponent('203.0.113.0/24')}`);
  assert.equal(removed.status, 200);
  assert.equal(((await removed.json()) as { removed: { note: string } }).removed.note, 'office NAT');
  await waitFor(async () => (await allowedNets('n2')).length === 0, "n2's list is empty again", 20_000);
  assert.equal((await env.cluster.ban('n2', { address: '203.0.113.9', ttl: 600, reason: 'again' })).status, 201);
  await waitFor(() => onBoth((id) => applied(id, '203.0.113.9')), 'the new ban is applied on both', 20_000);
  const again = await call('n2', 'DELETE', `/api/allow/${encodeURIComponent('203.0.113.0/24')}`);
  assert.equal(again.status, 404, 'not on the list any more');
});

test('entries written straight into etcd: malformed or too wide are refused by both nodes, counted and logged once, never applied; a good one takes a ban in force out of both kernels until it is removed', async () => {
  const before = await Promise.all(IDS.map(rejectedAllow));
  assert.equal((await env.cluster.ban('n1', { address: '198.51.100.70', ttl: 600 })).status, 201);
  await waitFor(() => onBoth((id) => applied(id, '198.51.100.70')), 'a ban inside the net about to be allowed is applied on both', 20_000);

  const now = Date.now();
  await put(`${P}allow/${encodeURIComponent('0.0.0.0/1')}`, JSON.stringify({ net: '0.0.0.0/1', note: 'too wide', at: now }));
  await put(`${P}allow/not-json`, 'this is {not json');
  await put(`${P}allow/198.51.100.5`, JSON.stringify({ net: '198.51.100.5', note: 5, at: now }));
  await put(`${P}allow/${encodeURIComponent('198.51.100.9')}`, JSON.stringify({ net: '198.51.100.10', note: null, at: now }));
  await put(`${P}allow/${encodeURIComponent('198.51.100.64/26')}`, JSON.stringify({ net: '198.51.100.64/26', note: 'put by etcdctl', at: now }));

  await waitFor(async () => (await Promise.all(IDS.map(rejectedAllow))).every((n, i) => n === before[i]! + 4), 'both nodes counted the four bad values', 20_000).catch(async (e) =>
    assert.fail(`${(e as Error).message}: ${JSON.stringify(await Promise.all(IDS.map(rejectedAllow)))}`),
  );
  await waitFor(async () => onBoth(async (id) => (await allowedNets(id)).includes('198.51.100.64/26')), 'the good entry is on both lists', 20_000);
  // Not lifted (nobody called allow add), but no firewall enforces it any more.
  await waitFor(() => onBoth(async (id) => !(await applied(id, '198.51.100.70'))), 'the ban the good entry covers is out of both kernels', 20_000);
  for (const id of IDS) {
    const fw = await firewall(id, '198.51.100.70');
    assert.match(fw.setAside ?? '', /allowed by an operator: put by etcdctl/, `${id} set it aside`);
    const list = await allowList(id);
    assert.deepEqual(list.runtime.map((e) => e.net), ['198.51.100.64/26'], `${id}: only the good entry is applied`);
    assert.deepEqual([...list.refused].sort(), ['0.0.0.0/1', '198.51.100.5', '198.51.100.9', 'not-json'], `${id}: the refused ones are reported`);
    const prot = await env.cluster.json<{ entries: Array<{ net: string }> }>(id, '/api/protected');
    assert.ok(!prot.entries.some((e) => e.net === '0.0.0.0/1' || e.net === '198.51.100.5' || e.net === '198.51.100.10'), `${id}: no refused entry is protected`);
    const out = env.cluster.node(id).output();
    const wide = out.split('\n').filter((l) => l.includes(`etcd value skipped: "${P}allow/0.0.0.0%2F1"`));
    assert.equal(wide.length, 1, `${id} logged the too-wide entry once: ${JSON.stringify(wide)}`);
    assert.match(wide[0]!, /net 0\.0\.0\.0\/1: it is wider than \/8 \(responder\.minPrefix\.v4\)/);
    assert.match(out, /allow\/198\.51\.100\.9".*stored under another key/);
    assert.ok(env.cluster.node(id).child.exitCode === null, `${id} is running`);
  }
  // What an operator sees: the cluster's entry, and the refused values named.
  const shown = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'allow', 'list', '--state-dir', join(env.cluster.dir, 'n2')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /^198\.51\.100\.64\/26 +run time, cluster +\S+.* +put by etcdctl$/m);
  assert.match(shown.stdout, /^refused in etcd, never applied \(malformed, or wider than responder\.minPrefix; the node's log says why\): .*0\.0\.0\.0\/1/m);
  // 1.2.3.4 is inside the refused 0.0.0.0/1: still bannable, through either node.
  assert.equal((await env.cluster.ban('n2', { address: '1.2.3.4', ttl: 600 })).status, 201);
  await waitFor(() => onBoth((id) => applied(id, '1.2.3.4')), 'a ban inside the refused net is applied on both', 20_000);
  // The good entry removed: the ban it covered, still in the registry, is enforced again on both.
  assert.equal((await call('n2', 'DELETE', `/api/allow/${encodeURIComponent('198.51.100.64/26')}`)).status, 200);
  await waitFor(() => onBoth(async (id) => (await applied(id, '198.51.100.70')) && (await firewall(id, '198.51.100.70')).setAside === null), 'the ban is applied again on both, no longer set aside', 20_000);
  // The operator clears a refused value through the API like any entry.
  assert.equal((await call('n1', 'DELETE', `/api/allow/${encodeURIComponent('0.0.0.0/1')}`)).status, 200);
  await waitFor(async () => !(await allowList('n2')).refused.includes('0.0.0.0/1'), "the cleared value is out of n2's report", 20_000);
});

test('a restarted node reads the list from etcd before its firewall reconciles: a ban written into etcd while it was down, covered by an entry, is never applied', async () => {
  assert.equal((await call('n1', 'POST', '/api/allow', { address: '192.0.2.0/24', note: 'partner' })).status, 201);
  await waitFor(async () => (await allowedNets('n2')).includes('192.0.2.0/24'), 'n2 has the entry', 20_000);
  await env.cluster.node('n2').stop();

  // Straight into etcd, as a registry writes it (no guard on this path): every firewall must refuse it.
  const client = new Etcd3({ hosts: env.etcd.endpoint });
  const registry = new EtcdBanRegistry(client, NAME);
  const at = Date.now();
  await registry.put({ address: '192.0.2.5', ttl: 600, expiresAt: at + 600_000, reason: 'written while n2 was down', detector: 'operator', score: 1, at, offence: 1 });
  await registry.close();
  client.close();

  // A single node's list left in n2's state dir (from before it joined): not read, and said so.
  writeFileSync(join(env.cluster.dir, 'n2', 'allow.json'), JSON.stringify([{ net: '198.18.0.0/15', note: 'lab', at: 1 }]));

  await env.cluster.start('n2');
  await waitFor(healthy, 'n2 back', 40_000);
  assert.match(env.cluster.node('n2').output(), /allow\.json is a single node's list \(198\.18\.0\.0\/15\) and is not read in a cluster/);
  assert.ok(!(await allowedNets('n2')).includes('198.18.0.0/15'));
  assert.ok((await allowedNets('n2')).includes('192.0.2.0/24'), 'the entry outlived the restart');
  for (const id of IDS) {
    const fw = await firewall(id, '192.0.2.5');
    assert.equal(fw.appliedAt, null, `${id} never applied the covered ban`);
  }
  await waitFor(async () => /allowed by an operator: partner/.test((await firewall('n2', '192.0.2.5')).setAside ?? ''), 'n2 set the ban aside', 20_000);
  assert.match(env.cluster.node('n2').output(), /firewall: ban of 192\.0\.2\.5 set aside, not applied: 192\.0\.2\.5 is allow-listed by 192\.0\.2\.0\/24 \(allowed by an operator: partner\)/);
  // Applied and then taken out again would count as removed: nothing was.
  const tree = (await env.cluster.json<{ tree: TreeNode }>('n2', '/api/tree')).tree;
  const stats = findNode(tree, (t) => t.id === 'firewall' && t.type === 'worker')?.stats;
  assert.ok(stats && stats.reconciles >= 1, `n2's firewall reconciled: ${JSON.stringify(stats)}`);
  assert.equal(stats.removed, 0, `n2's firewall never had to take a ban out again: ${JSON.stringify(stats)}`);
  assert.equal((await env.cluster.ban('n2', { address: '192.0.2.9', ttl: 600 })).status, 403, 'and n2 refuses a ban in it');
});
