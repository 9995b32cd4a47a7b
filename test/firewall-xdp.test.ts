// The XDP backend: its bpftool text alone, then real xdp-filter programs and maps (and its
// nftables table for nets) with real traffic inside network namespaces, never the host's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { XdpBackend } from '../src/firewall/xdp.ts';
import { batchScript, keyOf, parseMapDump } from '../src/firewall/xdp-maps.ts';
import { runCommand } from '../src/firewall/exec.ts';
import { FirewallCommandError } from '../src/firewall/errors.ts';
import { parseCidr } from '../src/respond/cidr.ts';
import { firewallScenarios } from '../devkit/firewall-scenarios.ts';
import { createNetnsPair, isRoot, withNetnsPair, type NetnsPair } from '../devkit/netns.ts';

/** Why XDP cannot run here, or null when it can (root, xdp-tools and bpftool installed). */
function xdpUnavailable(): string | null {
  if (!isRoot()) return 'needs root: creates network namespaces and attaches XDP programs in them';
  for (const tool of ['/usr/sbin/xdp-filter', '/usr/sbin/bpftool']) if (!existsSync(tool)) return `${tool} is not installed (apt-get install xdp-tools bpftool)`;
  return null;
}

/** What the backend owns in the namespace: XDP attachments, its maps' keys, its nftables table. */
async function owned(netns: string): Promise<string> {
  const links = JSON.parse((await runCommand('ip', ['-j', 'link', 'show'], { netns })).stdout) as Array<{ ifname?: string; xdp?: unknown }>;
  const attached = links.filter((l) => l.xdp).map((l) => `${l.ifname} ${JSON.stringify(l.xdp)}`);
  const fw = new XdpBackend({ netns });
  let maps = '';
  if (existsSync(fw.bpffs)) {
    for (const [f, name] of [[4, 'filter_ipv4'], [6, 'filter_ipv6']] as const) {
      try {
        const dump = (await runCommand('bpftool', ['-j', 'map', 'dump', 'pinned', `${fw.bpffs}/xdp-filter/${name}`], { netns })).stdout;
        maps += parseMapDump(dump, f).map((e) => e.address).sort().join(' ');
      } catch {
        // not pinned
      }
    }
  }
  let table = '';
  try {
    table = (await runCommand('nft', ['-a', '-t', 'list', 'table', 'inet', 'autoimmune'], { netns })).stdout.replace(/counter packets \d+ bytes \d+/g, 'counter');
  } catch (err) {
    if (!(err instanceof FirewallCommandError && /No such file or directory/.test(err.stderr))) throw err;
  }
  return [...attached, maps, table].filter((s) => s !== '').join('\n');
}

const unavailable = xdpUnavailable();

/** A test with a fresh pair and the backend set up in its defender (flushed after); skipped where XDP cannot run. */
function xdpTest(name: string, body: (pair: NetnsPair, fw: XdpBackend) => Promise<void>): void {
  test(name, async (t) => {
    if (unavailable) return t.skip(unavailable);
    await withNetnsPair(t, 'creates network namespaces and attaches XDP programs in them', async (pair) => {
      const fw = new XdpBackend({ netns: pair.defender });
      try {
        await fw.setup();
        await body(pair, fw);
      } finally {
        await fw.flush().catch(() => {});
      }
    });
  });
}

if (unavailable === null) {
  firewallScenarios({
    kind: 'xdp',
    make: (netns) => new XdpBackend({ netns }),
    owned,
    async addForeign(netns) {
      await runCommand('nft', ['-f', '-'], {
        netns,
        stdin: 'table inet foreign {\n  set keep { type ipv4_addr; elements = { 192.0.2.99 } }\n  chain input { type filter hook input priority 0; policy accept; ip saddr @keep counter accept; }\n}\n',
      });
      return async () => (await runCommand('nft', ['-a', 'list', 'table', 'inet', 'foreign'], { netns })).stdout;
    },
    // The bpf filesystem is mounted outside the namespace: unmount it with the test's namespace.
    async cleanup(netns) {
      await new XdpBackend({ netns }).flush().catch(() => {});
    },
  });
} else {
  test('xdp: the backend scenarios', (t) => t.skip(unavailable));
}

test('xdp maps: keys are the address bytes; nets are refused; a batch deletes before it adds', () => {
  assert.equal(keyOf(parseCidr('192.0.2.10')), '192 0 2 10');
  assert.equal(keyOf(parseCidr('2001:db8::a:1')), '32 1 13 184 0 0 0 0 0 0 0 0 0 10 0 1');
  assert.throws(() => keyOf(parseCidr('192.0.2.0/24')), /single addresses only/);
  const script = batchScript({ 4: '/b/4', 6: '/b/6' }, [parseCidr('198.51.100.1'), parseCidr('2001:db8::1')], [parseCidr('203.0.113.9')]);
  assert.equal(
    script,
    'map delete pinned /b/4 key 203 0 113 9\n' +
      'map update pinned /b/4 key 198 51 100 1 value 1 0 0 0 0 0 0 0\n' +
      'map update pinned /b/6 key 32 1 13 184 0 0 0 0 0 0 0 0 0 0 0 1 value 1 0 0 0 0 0 0 0\n',
  );
  assert.equal(batchScript({ 4: '/b/4', 6: '/b/6' }, [], []), '');
});

test('xdp maps: a bpftool dump reads back as canonical addresses, flags and per-CPU hits summed', () => {
  // flags 1 (src) and 3 hits on one CPU, 2 on the other: (3 << 6) | 1 = 0xc1, (2 << 6) | 1 = 0x81
  const v4 = JSON.stringify([{ key: ['0xc0', '0x00', '0x02', '0x0a'], values: [{ cpu: 0, value: ['0xc1', '0', '0', '0', '0', '0', '0', '0'] }, { cpu: 1, value: ['0x81', '0', '0', '0', '0', '0', '0', '0'] }] }]);
  assert.deepEqual(parseMapDump(v4, 4), [{ address: '192.0.2.10', hits: 5, flags: 1 }]);
  const key6 = ['0x20', '0x01', '0x0d', '0xb8', ...new Array(10).fill('0x00'), '0x00', '0x01'];
  assert.deepEqual(parseMapDump(JSON.stringify([{ key: key6, values: [{ cpu: 0, value: ['0x01', '0', '0', '0', '0', '0', '0', '0'] }] }]), 6), [{ address: '2001:db8::1', hits: 0, flags: 1 }]);
  assert.throws(() => parseMapDump('[{"key":["0x01"]}]', 4), /key of 1 bytes/);
  assert.throws(() => parseMapDump('not json', 4), /not JSON/);
});

xdpTest('xdp: single addresses are dropped in the driver (its hit counter counts them), nets in nftables', async (pair, fw) => {
  assert.deepEqual([...fw.attached], [['eth0', 'native']], 'attached to the veth in the driver (native XDP)');
  await fw.apply([{ address: pair.attackerV4[0], timeoutS: 300 }, { address: pair.netV6, timeoutS: 300 }], []);
  assert.equal(await pair.probe(pair.attackerV4[0]), 'dropped');
  assert.equal(await pair.probe(pair.attackerV6[0]), 'dropped');
  assert.equal(await pair.probe(pair.attackerV4[1]), 'passed');
  const hits = await fw.hits();
  assert.deepEqual([...hits.keys()], [pair.attackerV4[0]], 'only the address is in the XDP map');
  assert.ok(hits.get(pair.attackerV4[0])! >= 1, `the SYNs of the probe were dropped by XDP (${hits.get(pair.attackerV4[0])})`);
  const table = (await runCommand('nft', ['list', 'table', 'inet', 'autoimmune'], { netns: pair.defender })).stdout;
  assert.match(table, /2001:db8::a:0/, 'the net is in the nftables table');
  assert.doesNotMatch(table, /192\.0\.2\.10/, 'the address is not');
});

xdpTest('xdp: past the map size, single addresses go to nftables, and still drop', async (pair, fw) => {
  // Fill the IPv4 map (10,000: xdp-filter's compiled size) with addresses nobody uses.
  const filler = Array.from({ length: 10_000 }, (_, i) => ({ address: `10.${(i >> 8) & 255}.${i & 255}.7`, timeoutS: 600 }));
  await fw.apply(filler, []);
  await fw.apply([{ address: pair.attackerV4[0], timeoutS: 600 }], []);
  assert.equal((await fw.list()).length, 10_001);
  assert.ok(!(await fw.hits()).has(pair.attackerV4[0]), 'the map is full');
  assert.equal(await pair.probe(pair.attackerV4[0]), 'dropped', 'dropped by the nftables table instead');
  // Room again: a reconcile from a fresh instance keeps it where it is, and it still drops.
  await fw.apply([], filler.slice(0, 10).map((e) => e.address));
  const again = new XdpBackend({ netns: pair.defender });
  assert.deepEqual(await again.reconcile([{ address: pair.attackerV4[0], timeoutS: 600 }]), { added: 0, removed: 9_990, kept: 1 });
  assert.equal(await pair.probe(pair.attackerV4[0]), 'dropped');
});

test('xdp: two nodes in two namespaces keep their own maps, even with another bpf filesystem mounted first', async (t) => {
  if (unavailable) return t.skip(unavailable);
  // xdp-filter pins into the first bpf filesystem it finds unless told otherwise: a foreign
  // one mounted before ours must not receive (or share) our maps.
  const { mkdtempSync, readdirSync, rmdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const foreign = mkdtempSync(`${tmpdir()}/autoimmune-foreign-bpf-`);
  await runCommand('mount', ['-t', 'bpf', 'bpf', foreign]);
  const one = await createNetnsPair();
  const two = await createNetnsPair();
  const a = new XdpBackend({ netns: one.defender });
  const b = new XdpBackend({ netns: two.defender });
  try {
    await a.setup();
    await b.setup();
    await a.apply([{ address: one.attackerV4[0], timeoutS: 300 }], []);
    await b.apply([{ address: two.attackerV4[1], timeoutS: 300 }], []);
    assert.deepEqual([...(await a.hits()).keys()], [one.attackerV4[0]]);
    assert.deepEqual([...(await b.hits()).keys()], [two.attackerV4[1]]);
    assert.equal(await one.probe(one.attackerV4[0]), 'dropped');
    assert.equal(await one.probe(one.attackerV4[1]), 'passed');
    assert.equal(await two.probe(two.attackerV4[0]), 'passed');
    assert.equal(await two.probe(two.attackerV4[1]), 'dropped');
    assert.deepEqual(readdirSync(foreign).filter((f) => f.startsWith('xdp')), [], 'nothing pinned in the foreign filesystem');
  } finally {
    await a.flush().catch(() => {});
    await b.flush().catch(() => {});
    await one.close();
    await two.close();
    await runCommand('umount', [foreign]).catch(() => {});
    rmdirSync(foreign);
  }
});
