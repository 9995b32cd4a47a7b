// Durable bans and offences on a single node (SQLite in the state dir), the cluster's shared
// offence history and ban budget, and the guard every ban passes: on real SQLite files and
// the embedded coordinator (the etcd one is exercised against a real etcd elsewhere).

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Ban } from '../src/respond/ban-registry.ts';
import { EmbeddedCoordinator } from '../src/cluster/embedded-coordinator.ts';
import { AllowList } from '../src/respond/allow-list.ts';
import { ClusterBanBudget, TokenBucket } from '../src/respond/ban-budget.ts';
import { BanGuard } from '../src/respond/ban-guard.ts';
import { parseBan } from '../src/respond/ban-record.ts';
import { BANS_FILE, DurableBanRegistry } from '../src/respond/durable-ban-registry.ts';
import { EtcdOffenceBook, offencesPrefix } from '../src/respond/etcd-offence-book.ts';
import { parseNtpConf, parseProcIpv6Route, parseProcRoute, parseResolvConf } from '../src/respond/infrastructure.ts';
import { ResponderPolicy } from '../src/respond/policy.ts';
import { DEFAULT_RESPONDER } from '../src/respond/responder-config.ts';
import { BanDesk } from '../src/respond/ban-desk.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import type { PutOptions } from '../src/respond/ban-registry.ts';
import { openSqlite } from '../src/util/sqlite.ts';
import { ManualClock } from '../src/util/clock.ts';
import type { Alert } from '../src/detect/alert.ts';
import { waitFor } from '../devkit/wait.ts';
import { startEtcd } from '../devkit/etcd.ts';
import { connectEtcd } from '../src/cluster/etcd-coordinator.ts';
import { EtcdValues } from '../src/cluster/etcd-values.ts';

const T0 = 1_750_000_000_000;

function ban(address: string, at: number, ttl: number, detector = 'operator'): Ban {
  return { address, ttl, expiresAt: at + ttl * 1000, reason: 'test', detector, score: 1, at, offence: 1 };
}

function alert(source: string, ts = 0): Alert {
  return { type: 'port-scan-vertical', detector: 'rules', source, target: '192.0.2.1', score: 0.9, ts, blockable: true, evidence: { ports: 30 } } as unknown as Alert;
}

function clockAt(t: number): ManualClock {
  const c = new ManualClock();
  c.advance(t);
  return c;
}

function stateFile(): string {
  return join(testTempDir('autoimmune-durable-'), BANS_FILE);
}

describe('DurableBanRegistry', () => {
  test('bans survive a reopen; those that ran out while closed are dropped; the file is owner-only', async () => {
    const file = stateFile();
    const clock = clockAt(T0);
    const a = DurableBanRegistry.open(file, clock);
    await a.put(ban('203.0.113.7', T0, 600));
    await a.put(ban('198.51.100.0/24', T0, 30));
    await a.put(ban('2001:db8::7', T0, 3600));
    await a.remove('2001:db8::7');
    await a.close();
    assert.equal(statSync(file).mode & 0o777, 0o600);

    clock.advance(60_000); // the /24's 30 s ran out while the node was down
    const b = DurableBanRegistry.open(file, clock);
    assert.deepEqual(b.report, { loaded: 1, expired: 1, corrupt: 0, offences: 0 });
    assert.deepEqual((await b.list()).map((x) => x.address), ['203.0.113.7']);
    // Expiry still runs after a reopen, and takes the row off the disk.
    const events: string[] = [];
    b.watch((e) => events.push(`${e.type}:${e.type === 'delete' ? e.address : e.ban.address}`));
    clock.advance(540_000);
    await waitFor(() => events.length === 1, 'the loaded ban expires');
    assert.deepEqual(events, ['delete:203.0.113.7']);
    await b.close();
    const c = DurableBanRegistry.open(file, clockAt(T0));
    assert.deepEqual(await c.list(), []);
    await c.close();
  });

  test('an automatic ban written without an fsync (sync: false) is on disk once the process is SIGKILLed', async () => {
    const file = stateFile();
    const registry = new URL('../src/respond/durable-ban-registry.ts', import.meta.url).href;
    // The child writes an automatic ban and an offence the way the desk does, says so, and
    // waits to be killed: nothing closes the database or checkpoints its log.
    const code = `
      const { DurableBanRegistry } = await import(${JSON.stringify(registry)});
      const r = DurableBanRegistry.open(${JSON.stringify(file)});
      r.offences.set('203.0.113.9', { offences: 2, forgetAt: Date.now() + 86_400_000 });
      await r.put({ address: '203.0.113.9', ttl: 600, expiresAt: Date.now() + 600_000, reason: 'scan', detector: 'port-scan', score: 0.9, at: Date.now(), offence: 2 }, { sync: false });
      process.stdout.write('written\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('written')) resolve();
      });
      child.on('exit', (c) => reject(new Error(`the writer exited with ${c} before writing`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const b = DurableBanRegistry.open(file);
    assert.deepEqual((await b.list()).map((x) => [x.address, x.detector]), [['203.0.113.9', 'port-scan']]);
    assert.equal(b.offences.get('203.0.113.9')?.offences, 2);
    await b.close();
  });

  test('a row that does not read as a ban is dropped and counted, never a throw', async () => {
    const file = stateFile();
    const a = DurableBanRegistry.open(file, clockAt(T0));
    await a.put(ban('203.0.113.8', T0, 600));
    await a.close();
    const db = openSqlite(file);
    db.prepare('INSERT INTO bans (address, expires_at, ban) VALUES (?, ?, ?)').run('203.0.113.9', T0 + 1e6, '{not json');
    db.prepare('INSERT INTO bans (address, expires_at, ban) VALUES (?, ?, ?)').run('203.0.113.10', T0 + 1e6, JSON.stringify({ address: '203.0.113.10', ttl: 'long' }));
    db.close();
    const b = DurableBanRegistry.open(file, clockAt(T0));
    assert.deepEqual(b.report, { loaded: 1, expired: 0, corrupt: 2, offences: 0 });
    await b.close();
  });

  test('offences are remembered across a restart, so a repeat offender escalates', async () => {
    const file = stateFile();
    const clock = clockAt(T0);
    let reg = DurableBanRegistry.open(file, clock);
    let policy = new ResponderPolicy(DEFAULT_RESPONDER, new AllowList(), clock, { offences: reg.offences });
    const first = policy.onAlert(alert('203.0.113.50'));
    assert.ok('decision' in first && first.decision.ttl === 600 && first.decision.offence === 1);
    await reg.close();

    clock.advance(700_000); // the ban is over, its offence still remembered (memoryS: one day)
    reg = DurableBanRegistry.open(file, clock);
    assert.equal(reg.report.offences, 1);
    policy = new ResponderPolicy(DEFAULT_RESPONDER, new AllowList(), clock, { offences: reg.offences });
    const second = policy.onAlert(alert('203.0.113.50'));
    assert.ok('decision' in second, JSON.stringify(second));
    assert.equal(second.decision.offence, 2);
    assert.equal(second.decision.ttl, 1200);
    // An operator's unblock forgets, on disk too.
    policy.manualUnblock('203.0.113.50');
    await reg.close();
    reg = DurableBanRegistry.open(file, clock);
    assert.equal(reg.report.offences, 0);
    await reg.close();
  });
});

describe('BanGuard', () => {
  const guard = new BanGuard(new AllowList({ interfaces: { eth0: [{ address: '192.0.2.5' }] }, configured: ['198.51.100.0/28'] }), { v4: 8, v6: 19 });
  test('refuses protected addresses and nets over them, nets wider than the minimum prefix, and malformed text', () => {
    assert.equal(guard.checkText('127.0.0.1')?.kind, 'protected');
    assert.equal(guard.checkText('192.0.2.0/24')?.kind, 'protected');
    assert.equal(guard.checkText('198.51.100.3')?.kind, 'protected');
    assert.equal(guard.checkText('0.0.0.0/0')?.kind, 'protected'); // it covers loopback too
    assert.equal(guard.checkText('32.0.0.0/4')?.kind, 'too-wide');
    assert.equal(guard.checkText('2000::/3')?.kind, 'too-wide');
    assert.equal(guard.checkText('not an address')?.kind, 'malformed');
    assert.equal(guard.checkText('203.000.113.7')?.kind, 'malformed');
    assert.equal(guard.checkText('10.0.0.0/8'), null);
    assert.equal(guard.checkText('2003::/19'), null);
    assert.equal(guard.checkText('203.0.113.7'), null);
  });
  test('a group set later (cluster members) is protected, and replacing it lifts the old one', () => {
    const list = new AllowList();
    const g = new BanGuard(list);
    list.setGroup('cluster-members', [{ net: '203.0.113.20', why: 'cluster member n2' }, { net: 'junk', why: 'x' }]);
    assert.match(g.checkText('203.0.113.20')!.text, /cluster member n2/);
    list.setGroup('cluster-members', []);
    assert.equal(g.checkText('203.0.113.20'), null);
    assert.equal(g.checkText('127.0.0.1')?.kind, 'protected');
  });
  test('the policy refuses a too-wide operator ban and never bans a protected source automatically', () => {
    const list = new AllowList();
    const p = new ResponderPolicy(DEFAULT_RESPONDER, list, clockAt(T0));
    assert.throws(() => p.manualBlock('2000::/3'), { code: 'AI_ERR_BAN_TOO_WIDE', message: /2000::\/3.*\/19.*responder\.minPrefix\.v6/ });
    list.setGroup('infrastructure', [{ net: '203.0.113.1', why: 'gateway (/proc/net/route)' }]);
    const out = p.onAlert(alert('203.0.113.1'));
    assert.ok('skipped' in out && out.skipped === 'allow-listed', JSON.stringify(out));
    assert.match(out.detail, /gateway/);
  });
});

describe('the network\'s infrastructure', () => {
  test('reads gateways, resolvers and NTP servers from the kernel\'s and the daemons\' files', () => {
    const route = 'Iface\tDestination\tGateway \tFlags\nens3\t00000000\t0100A8C0\t0003\nens3\t0000A8C0\t00000000\t0001\n';
    assert.deepEqual(parseProcRoute(route), ['192.168.0.1']);
    const v6 = '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 ens3\n';
    assert.deepEqual(parseProcIpv6Route(v6), ['fe80:0:0:0:0:0:0:1']);
    assert.deepEqual(parseResolvConf('# x\nnameserver 10.0.0.53\nnameserver fe80::1%eth0\nsearch lan\n'), ['10.0.0.53', 'fe80::1']);
    assert.deepEqual(parseNtpConf('pool 2.debian.pool.ntp.org iburst\nserver 192.0.2.123 iburst\n[Time]\nNTP=198.51.100.1 time.example\n'), ['2.debian.pool.ntp.org', '192.0.2.123', '198.51.100.1', 'time.example']);
  });
});

describe('rate limits', () => {
  test('a token bucket refills at bans/perS', () => {
    const b = new TokenBucket({ bans: 2, perS: 10 }, T0);
    assert.equal(b.take(T0, 'a'), 0);
    assert.equal(b.take(T0, 'b'), 0);
    assert.equal(b.take(T0, 'c'), 5000);
    assert.equal(b.take(T0 + 5000, 'c'), 0);
  });
  test('the cluster budget counts other nodes\' automatic bans, once each, and never operators\' or feeds\'', () => {
    const b = new ClusterBanBudget({ bans: 3, perS: 60 });
    assert.equal(b.take(T0, `203.0.113.1|${T0}`), 0);
    // The same ban coming back through the watch is not counted again.
    b.observe({ type: 'put', ban: ban('203.0.113.1', T0, 600, 'port-scan-vertical') }, T0);
    b.observe({ type: 'put', ban: ban('203.0.113.2', T0 + 10, 600, 'ssh-brute-force') }, T0 + 10); // another node's
    b.observe({ type: 'put', ban: ban('203.0.113.3', T0 + 20, 600, 'operator') }, T0 + 20);
    b.observe({ type: 'put', ban: ban('203.0.113.4', T0 + 20, 600, 'feed:firehol') }, T0 + 20);
    assert.equal(b.available(T0 + 30), 1);
    assert.equal(b.take(T0 + 30, `203.0.113.5|${T0 + 30}`), 0);
    const wait = b.take(T0 + 40, `203.0.113.6|${T0 + 40}`);
    assert.equal(wait, 60_000 - 40);
    assert.equal(b.take(T0 + 60_001, `203.0.113.6|${T0 + 60_001}`), 0);
  });
});

describe('EtcdOffenceBook (a real etcd)', () => {
  test('two nodes share offences: one bans, the other escalates; a bad value reads as none and is reported once', async () => {
    const etcd = await startEtcd();
    const coord = await connectEtcd([etcd.endpoint]);
    const coordB = await connectEtcd([etcd.endpoint]);
    const lines: string[] = [];
    const values = new EtcdValues('c1', { notice: (l) => lines.push(l) });
    const a = new EtcdOffenceBook(coord, 'c1');
    const b = new EtcdOffenceBook(coordB, 'c1', undefined, undefined, (kv) => values.offence(kv));
    await Promise.all([a.start(), b.start()]);
    const clock = { now: () => Date.now(), setTimer: () => ({ cancel() {} }) } as never;
    const pa = new ResponderPolicy(DEFAULT_RESPONDER, new AllowList(), clock, { offences: a });
    const pb = new ResponderPolicy(DEFAULT_RESPONDER, new AllowList(), clock, { offences: b });
    const first = pa.onAlert(alert('203.0.113.60'));
    assert.ok('decision' in first && first.decision.offence === 1);
    await a.flush();
    await waitFor(() => b.get('203.0.113.60') !== undefined, 'the other node sees the offence');
    const second = pb.onAlert(alert('203.0.113.60'));
    assert.ok('decision' in second && second.decision.offence === 2, JSON.stringify(second));

    await coord.put(`${offencesPrefix('c1')}${encodeURIComponent('203.0.113.61')}`, '{"offences":"many"}');
    await waitFor(() => b.size === 2, 'the bad value is mirrored');
    assert.equal(b.get('203.0.113.61'), undefined);
    assert.equal(b.get('203.0.113.61'), undefined);
    assert.equal(values.rejected.get('offences'), 1, 'counted once however often it is read');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /offences\/203\.0\.113\.61.*not a valid offence record value/);
    a.close();
    b.close();
    await coord.close();
    await coordB.close();
    await etcd.stop();
  });
  test('on the embedded coordinator too (a single node could use it)', async () => {
    const coord = new EmbeddedCoordinator();
    const a = new EtcdOffenceBook(coord, 'c2');
    await a.start();
    a.set('203.0.113.70', { offences: 3, forgetAt: Date.now() + 60_000 });
    assert.equal(a.get('203.0.113.70')?.offences, 3);
    await a.flush();
    await waitFor(() => a.size === 1, 'mirrored');
    a.delete('203.0.113.70');
    assert.equal(a.get('203.0.113.70'), undefined);
    await a.flush();
    await waitFor(() => a.size === 0, 'deleted');
    a.close();
    await coord.close();
  });
});

test('parseBan takes a ban and refuses what is not one', () => {
  const good = ban('203.0.113.7', T0, 60);
  assert.deepEqual(parseBan(JSON.stringify(good)), good);
  assert.deepEqual(parseBan(good), good);
  for (const bad of ['', 'null', '[]', '{"address":5}', JSON.stringify({ ...good, expiresAt: 'soon' }), JSON.stringify({ ...good, offence: -1 }), JSON.stringify({ ...good, address: '203.000.113.7' })]) assert.equal(parseBan(bad), null, bad);
});

describe('forgeable evidence (policy)', () => {
  const forged = (source: string, sourceSeen: boolean): Alert => ({ ...alert(source), grade: 'forgeable', sourceSeen }) as Alert;
  test('never bans an address with real sessions on evidence anyone could forge', () => {
    const p = new ResponderPolicy(DEFAULT_RESPONDER, new AllowList(), clockAt(T0));
    const out = p.onAlert(forged('203.0.113.80', true));
    assert.ok('skipped' in out && out.skipped === 'forgeable-evidence', JSON.stringify(out));
    assert.match(out.detail, /has had real sessions here/);
  });
  test('bans an address never seen in a real session briefly, with no escalation', () => {
    const clock = clockAt(T0);
    const p = new ResponderPolicy(DEFAULT_RESPONDER, new AllowList(), clock);
    for (let round = 0; round < 3; round++) {
      const out = p.onAlert(forged('203.0.113.81', false));
      assert.ok('decision' in out, JSON.stringify(out));
      assert.equal(out.decision.ttl, DEFAULT_RESPONDER.forgeableBanTtlS);
      assert.equal(out.decision.evidence, 'forgeable');
      assert.match(out.decision.reason, /never seen in a real session.*no escalation/);
      clock.advance(DEFAULT_RESPONDER.forgeableBanTtlS * 1000 + 1);
    }
    assert.equal(p.offencesOf('203.0.113.81'), 0, 'nothing remembered: no escalation');
    // Established evidence from the same address is a first offence, at the full length.
    const real = p.onAlert({ ...alert('203.0.113.81'), grade: 'established', sourceSeen: true } as Alert);
    assert.ok('decision' in real && real.decision.ttl === DEFAULT_RESPONDER.banTtlS && real.decision.offence === 1 && real.decision.evidence === 'established');
  });
});

describe('an operator\'s forced ban', () => {
  test('may cover the network\'s infrastructure, never loopback, this node or the allow-list; the firewall honours it', () => {
    const list = new AllowList({ interfaces: { eth0: [{ address: '192.0.2.5' }] }, configured: ['198.51.100.0/28'] });
    list.setGroup('infrastructure', [{ net: '203.0.113.1', why: 'gateway (/proc/net/route)', forceable: true }]);
    const p = new ResponderPolicy(DEFAULT_RESPONDER, list, clockAt(T0));
    assert.throws(() => p.manualBlock('203.0.113.1'), { code: 'AI_ERR_ALLOW_LISTED', message: /infrastructure.*force/ });
    const d = p.manualBlock('203.0.113.1', 600, 'compromised router', { force: true });
    assert.equal(d.forced, true);
    assert.equal(p.guard.checkText('203.0.113.1', true), null, 'the firewall applies a forced ban of it');
    assert.notEqual(p.guard.checkText('203.0.113.1', false), null, 'and refuses an unforced one');
    for (const a of ['127.0.0.1', '192.0.2.5', '198.51.100.3', '192.0.2.0/24']) {
      assert.throws(() => p.manualBlock(a, 600, 'x', { force: true }), { code: 'AI_ERR_ALLOW_LISTED' }, a);
    }
    // Not protected at all: force changes nothing and is not recorded.
    assert.equal(p.manualBlock('203.0.113.9', 600, 'x', { force: true }).forced, undefined);
  });
});

test('the desk enforces an automatic ban without waiting for an fsync, and acknowledges an operator\'s only after one', async () => {
  const asked: Array<[string, boolean | undefined]> = [];
  // A real memory registry that notes what each put asked of the disk behind it.
  class NotingRegistry extends MemoryBanRegistry {
    override async put(b: Ban, options?: PutOptions): Promise<void> {
      asked.push([b.detector, options?.sync]);
      return super.put(b);
    }
    override async putMany(bans: readonly Ban[], options?: PutOptions): Promise<void> {
      for (const b of bans) asked.push([b.detector, options?.sync]);
      return super.putMany(bans);
    }
  }
  const clock = clockAt(T0);
  const registry = new NotingRegistry(clock);
  const policy = new ResponderPolicy({ ...DEFAULT_RESPONDER }, new AllowList({ interfaces: {}, configured: [] }), clock, {});
  const desk = new BanDesk(registry, policy, { clock });
  await desk.start();
  const made = await desk.handleAlerts([alert('203.0.113.50', T0 / 1000)]);
  assert.equal(made.length, 1);
  await desk.block('203.0.113.51', 600);
  assert.deepEqual(asked, [[made[0]!.detector, false], ['operator', true]]);
  desk.close();
  await registry.close();
});

/** Commits in a SQLite WAL file: frames whose header holds the database's size after a commit (non-zero). */
function walCommits(walFile: string): number {
  const wal = readFileSync(walFile);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) if (wal.readUInt32BE(at + 4) !== 0) commits++;
  return commits;
}

test('the bans of one turn of the desk are one commit with their offences, announced in order; a later ban of an address replaces its earlier one', async () => {
  const file = stateFile();
  const clock = clockAt(T0);
  const registry = DurableBanRegistry.open(file, clock);
  const policy = new ResponderPolicy({ ...DEFAULT_RESPONDER }, new AllowList({ interfaces: {}, configured: [] }), clock, { offences: registry.offences });
  const desk = new BanDesk(registry, policy, { clock });
  await desk.start();
  const puts: string[] = [];
  registry.watch((e) => {
    if (e.type === 'put') puts.push(`${e.ban.address} ${e.ban.ttl}`);
  });
  const announced: string[] = [];
  desk.onDecision((d) => announced.push(d.address));
  // An empty log, so that what the turn writes is all there is to count.
  const other = openSqlite(file);
  other.pragma('wal_checkpoint(TRUNCATE)');
  assert.equal(walCommits(`${file}-wal`), 0);
  const sources = ['203.0.113.60', '203.0.113.61', '203.0.113.62', '203.0.113.63', '203.0.113.64', '203.0.113.65'];
  // 203.0.113.66: first a brief ban on forgeable evidence, then in the same turn a real offence that extends it.
  const alerts = [...sources.map((s) => alert(s, T0 / 1000)), { ...alert('203.0.113.66'), grade: 'forgeable', sourceSeen: false } as Alert, { ...alert('203.0.113.66'), grade: 'established', sourceSeen: true } as Alert];
  const made = await desk.handleAlerts(alerts);
  assert.deepEqual(
    made.map((d) => d.address),
    [...sources, '203.0.113.66', '203.0.113.66'],
  );
  assert.deepEqual(announced, made.map((d) => d.address), 'announced in the order decided');
  assert.equal(walCommits(`${file}-wal`), 1, 'eight bans and their offences: one commit');
  assert.deepEqual(puts, [...sources.map((s) => `${s} ${DEFAULT_RESPONDER.banTtlS}`), `203.0.113.66 ${DEFAULT_RESPONDER.banTtlS}`], 'the registry holds the last ban of each address');
  // On disk: every ban and every offence, as a reopen reads them.
  desk.close();
  other.close();
  await registry.close();
  const again = DurableBanRegistry.open(file, clock);
  assert.deepEqual((await again.list()).map((b) => `${b.address} ${b.ttl}`).sort(), [...puts].sort());
  for (const s of sources) assert.equal(again.offences.get(s)?.offences, 1);
  assert.equal(again.offences.get('203.0.113.66')?.offences, 1);
  await again.close();
});
