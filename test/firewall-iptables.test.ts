// The iptables + ipset backend with real rules and real traffic inside network namespaces
// (never the host's tables): the same scenarios as nftables, and what is its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IPSET_MAX_TIMEOUT_S, IptablesIpsetBackend, toIpsetTimeout } from '../src/firewall/iptables-ipset.ts';
import { runCommand } from '../src/firewall/exec.ts';
import { ConfigError } from '../src/errors.ts';
import { firewallScenarios } from '../devkit/firewall-scenarios.ts';
import { withNetnsPair } from '../devkit/netns.ts';

const run = async (netns: string, file: string, ...args: string[]) => (await runCommand(file, args, { netns })).stdout;

const OURS = /AUTOIMMUNE|autoimmune[46]/;

/**
 * Its chain, jumps and sets. With iptables on nf_tables the rule handles are shown too, so
 * a rewritten rule (new handle) shows up as a difference.
 */
async function owned(netns: string): Promise<string> {
  const parts: string[] = [];
  for (const [cmd, family] of [['iptables', 'ip'], ['ip6tables', 'ip6']] as const) {
    parts.push(...(await run(netns, cmd, '-w', '-t', 'raw', '-S')).split('\n').filter((l) => OURS.test(l)));
    if ((await run(netns, cmd, '--version')).includes('nf_tables')) {
      const tables = await run(netns, 'nft', 'list', 'tables', family);
      if (tables.includes(`table ${family} raw`)) {
        const listing = await run(netns, 'nft', '-a', 'list', 'table', family, 'raw');
        parts.push(...listing.split('\n').filter((l) => /handle/.test(l) && (OURS.test(l) || /match set/.test(l))).map((l) => l.replace(/counter packets \d+ bytes \d+/, 'counter').trim()));
      }
    }
  }
  parts.push(...(await run(netns, 'ipset', 'list', '-n')).split('\n').filter((l) => OURS.test(l)));
  return parts.join('\n');
}

firewallScenarios({
  kind: 'iptables-ipset',
  make: (netns) => new IptablesIpsetBackend({ netns }),
  owned,
  async addForeign(netns) {
    // A set, a raw chain jumped to from PREROUTING, and a filter rule, all someone else's.
    await runCommand('ipset', ['restore'], { netns, stdin: 'create foreign4 hash:ip family inet\nadd foreign4 192.0.2.99\n' });
    for (const cmd of ['iptables', 'ip6tables']) {
      await runCommand(`${cmd}-restore`, ['-w', '--noflush'], {
        netns,
        stdin: `*raw\n:FOREIGN - [0:0]\n-A FOREIGN -p tcp --dport 9 -j DROP\n-A PREROUTING -j FOREIGN\nCOMMIT\n*filter\n-A INPUT -p udp --dport 9 -j DROP\nCOMMIT\n`,
      });
    }
    return async () => {
      const parts = [await run(netns, 'ipset', 'list', 'foreign4', '-output', 'save')];
      for (const cmd of ['iptables', 'ip6tables']) {
        // Everything in raw and filter except our own jump.
        parts.push((await run(netns, cmd, '-w', '-t', 'raw', '-S')).split('\n').filter((l) => l !== '-A PREROUTING -j AUTOIMMUNE' && !OURS.test(l)).join('\n'));
        parts.push(await run(netns, cmd, '-w', '-t', 'filter', '-S'));
      }
      return parts.join('\n');
    };
  },
});

test('iptables-ipset: names: sets NAME4/NAME6, chain NAME upper-cased; too long a name is refused', () => {
  const fw = new IptablesIpsetBackend({ name: 'node_a' });
  assert.equal(fw.chain, 'NODE_A');
  assert.deepEqual(fw.sets, { 4: 'node_a4', 6: 'node_a6' });
  assert.throws(() => new IptablesIpsetBackend({ name: 'x'.repeat(29) }), ConfigError);
  assert.throws(() => new IptablesIpsetBackend({ name: 'a b' }), ConfigError);
});

test('iptables-ipset: a ban longer than ipset can time out is kept without a timeout rather than cut short', async (t) => {
  assert.equal(toIpsetTimeout(IPSET_MAX_TIMEOUT_S), IPSET_MAX_TIMEOUT_S);
  assert.equal(toIpsetTimeout(IPSET_MAX_TIMEOUT_S + 1), 0);
  await withNetnsPair(t, 'creates a network namespace and applies real rules in it', async (pair) => {
    const fw = new IptablesIpsetBackend({ netns: pair.defender });
    await fw.setup();
    await fw.apply([{ address: pair.attackerV4[0], timeoutS: 60 * 86_400 }, { address: pair.attackerV6[0], timeoutS: IPSET_MAX_TIMEOUT_S }], []);
    const listed = Object.fromEntries((await fw.list()).map((e) => [e.address, e.timeoutS]));
    assert.equal(listed[pair.attackerV4[0]], Number.POSITIVE_INFINITY);
    assert.ok(listed[pair.attackerV6[0]]! <= IPSET_MAX_TIMEOUT_S && listed[pair.attackerV6[0]]! > 0);
    assert.equal(await pair.probe(pair.attackerV4[0]), 'dropped');
  });
});

test('iptables-ipset: exactly one jump from PREROUTING per family, even after a second setup from a fresh instance', async (t) => {
  await withNetnsPair(t, 'creates a network namespace and applies real rules in it', async (pair) => {
    await new IptablesIpsetBackend({ netns: pair.defender }).setup();
    // Someone added the jump a second time: setup takes it out again.
    await runCommand('iptables', ['-w', '-t', 'raw', '-A', 'PREROUTING', '-j', 'AUTOIMMUNE'], { netns: pair.defender });
    await new IptablesIpsetBackend({ netns: pair.defender }).setup();
    for (const [cmd, set] of [['iptables', 'autoimmune4'], ['ip6tables', 'autoimmune6']]) {
      const rules = (await run(pair.defender, cmd!, '-w', '-t', 'raw', '-S')).split('\n');
      assert.deepEqual(rules.filter((l) => l.includes('AUTOIMMUNE')), ['-N AUTOIMMUNE', '-A PREROUTING -j AUTOIMMUNE', `-A AUTOIMMUNE -m set --match-set ${set} src -j DROP`], cmd);
    }
  });
});
