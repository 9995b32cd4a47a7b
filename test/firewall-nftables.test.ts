// The nftables backend: its ruleset text and listing parser alone, then real rules and real
// traffic inside network namespaces (never the host's tables).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NftablesBackend } from '../src/firewall/nftables.ts';
import { ABSENT, buildScript, parseSetName, parseTableListing, ruleFor, setNameOf } from '../src/firewall/nft-ruleset.ts';
import { checkBatch } from '../src/firewall/entries.ts';
import { parseCidr } from '../src/respond/cidr.ts';
import { runCommand } from '../src/firewall/exec.ts';
import { ConfigError } from '../src/errors.ts';
import { FirewallCommandError } from '../src/firewall/errors.ts';
import { firewallScenarios } from '../devkit/firewall-scenarios.ts';
import { withNetnsPair } from '../devkit/netns.ts';
import { formatIPv4 } from '../src/net/address.ts';

const nft = async (netns: string, ...args: string[]) => (await runCommand('nft', args, { netns })).stdout;

/** The table with rule handles (a rewritten rule gets a new one), without counters or element timers. */
async function owned(netns: string, table = 'autoimmune'): Promise<string> {
  try {
    return (await nft(netns, '-a', '-t', 'list', 'table', 'inet', table)).replace(/counter packets \d+ bytes \d+/g, 'counter');
  } catch (err) {
    if (err instanceof FirewallCommandError && /No such file or directory/.test(err.stderr)) return '';
    throw err;
  }
}

firewallScenarios({
  kind: 'nftables',
  make: (netns) => new NftablesBackend({ netns }),
  owned,
  async addForeign(netns) {
    // Another inet table, and a table of our name in another family: both must survive.
    await runCommand('nft', ['-f', '-'], {
      netns,
      stdin: `table inet foreign {
  set keep { type ipv4_addr; elements = { 192.0.2.99 } }
  chain input { type filter hook input priority 0; policy accept; ip saddr @keep counter accept; }
}
table ip autoimmune {
  chain prerouting { type filter hook prerouting priority -300; policy accept; ip saddr 192.0.2.98 counter drop; }
}
`,
    });
    return async () => `${await nft(netns, '-a', 'list', 'table', 'inet', 'foreign')}${await nft(netns, '-a', 'list', 'table', 'ip', 'autoimmune')}`;
  },
});

test('nft ruleset: set names by family and prefix length, one masked rule per net set', () => {
  assert.equal(setNameOf(parseCidr('203.0.113.7')), 'banned4');
  assert.equal(setNameOf(parseCidr('2001:db8::7')), 'banned6');
  assert.equal(setNameOf(parseCidr('10.0.0.0/8')), 'banned4_8');
  assert.equal(setNameOf(parseCidr('2001:db8::/32')), 'banned6_32');
  assert.deepEqual(parseSetName('banned6_64'), { family: 6, prefix: 64 });
  assert.equal(parseSetName('banned4_32'), null, 'a /32 is a single address: banned4');
  assert.equal(parseSetName('banned4_0'), null);
  assert.equal(parseSetName('keep'), null);
  assert.equal(ruleFor('banned4'), 'ip saddr @banned4 counter drop');
  assert.equal(ruleFor('banned4_20'), 'ip saddr & 255.255.240.0 @banned4_20 counter drop');
  assert.equal(ruleFor('banned6_56'), 'ip6 saddr & ffff:ffff:ffff:ff00:: @banned6_56 counter drop');
  assert.equal(ruleFor('banned6_112'), 'ip6 saddr & ffff:ffff:ffff:ffff:ffff:ffff:ffff:0 @banned6_112 counter drop');
});

test('nft ruleset: a batch touches each element three times, adds nets as their network address', () => {
  const batch = checkBatch(
    [
      { address: '203.0.113.7', timeoutS: 30 },
      { address: '10.1.0.0/16', timeoutS: 40 },
    ],
    ['2001:db8::9', '192.0.2.0/24'],
  );
  const state = { exists: true, sets: new Map([['banned4', []], ['banned6', []]]), rules: [] };
  const { script, sets } = buildScript({ table: 'autoimmune', state, declare: false, add: batch.add, remove: batch.remove });
  assert.equal(
    script,
    [
      'add set inet autoimmune banned4_16 { type ipv4_addr; flags timeout; }',
      'add rule inet autoimmune prerouting ip saddr & 255.255.0.0 @banned4_16 counter drop',
      'add element inet autoimmune banned4 { 203.0.113.7 }',
      'add element inet autoimmune banned4_16 { 10.1.0.0 }',
      'add element inet autoimmune banned6 { 2001:db8::9 }',
      'delete element inet autoimmune banned4 { 203.0.113.7 }',
      'delete element inet autoimmune banned4_16 { 10.1.0.0 }',
      'delete element inet autoimmune banned6 { 2001:db8::9 }',
      'add element inet autoimmune banned4 { 203.0.113.7 timeout 30s }',
      'add element inet autoimmune banned4_16 { 10.1.0.0 timeout 40s }',
      '',
    ].join('\n'),
    'the removal from banned4_24, a set that does not exist, is left out',
  );
  assert.deepEqual(sets.sort(), ['banned4', 'banned4_16', 'banned6']);
  assert.equal(buildScript({ table: 'autoimmune', state, declare: false, add: [], remove: [] }).script, '');
});

test('nft ruleset: declaring on an absent table creates table, chain, both sets and their rules', () => {
  const { script } = buildScript({ table: 't1', state: ABSENT, declare: true, add: [], remove: [] });
  assert.equal(
    script,
    [
      'add table inet t1',
      'add chain inet t1 prerouting { type filter hook prerouting priority raw; policy accept; }',
      'add set inet t1 banned4 { type ipv4_addr; flags timeout; }',
      'add set inet t1 banned6 { type ipv6_addr; flags timeout; }',
      'flush chain inet t1 prerouting',
      'add rule inet t1 prerouting ip saddr @banned4 counter drop',
      'add rule inet t1 prerouting ip6 saddr @banned6 counter drop',
      '',
    ].join('\n'),
  );
});

test('nft listing: elements with and without timeouts, nets from their set, foreign sets ignored', () => {
  const listing = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { table: { family: 'inet', name: 'autoimmune', handle: 1 } },
      { set: { family: 'inet', name: 'banned4', table: 'autoimmune', type: 'ipv4_addr', flags: ['timeout'], elem: [{ elem: { val: '192.0.2.1', timeout: 30, expires: 29 } }, '192.0.2.2'] } },
      { set: { family: 'inet', name: 'banned6_64', table: 'autoimmune', type: 'ipv6_addr', flags: ['timeout'], elem: [{ elem: { val: '2001:db8::', timeout: 60, expires: 12 } }] } },
      { set: { family: 'inet', name: 'other', table: 'autoimmune', type: 'ipv4_addr', elem: ['1.1.1.1'] } },
      {
        rule: {
          family: 'inet', table: 'autoimmune', chain: 'prerouting', handle: 4,
          expr: [{ match: { op: '==', left: { '&': [{ payload: { protocol: 'ip6', field: 'saddr' } }, 'ffff:ffff:ffff:ffff::'] }, right: '@banned6_64' } }, { counter: { packets: 3, bytes: 9 } }, { drop: null }],
        },
      },
      { rule: { family: 'inet', table: 'autoimmune', chain: 'prerouting', handle: 5, expr: [{ accept: null }] } },
    ],
  });
  const state = parseTableListing(listing);
  assert.deepEqual([...state.sets.keys()], ['banned4', 'banned6_64']);
  assert.deepEqual(state.sets.get('banned4'), [
    { address: '192.0.2.1', timeoutS: 29 },
    { address: '192.0.2.2', timeoutS: Number.POSITIVE_INFINITY },
  ]);
  assert.deepEqual(state.sets.get('banned6_64'), [{ address: '2001:db8::/64', timeoutS: 12 }]);
  assert.deepEqual(state.rules, ['ip6 saddr & ffff:ffff:ffff:ffff:: @banned6_64 counter drop', '?']);
});

test('nftables: a table name that is not a name, or is an nft keyword, is a configuration error', async (t) => {
  assert.throws(() => new NftablesBackend({ table: 'a b' }), ConfigError);
  assert.throws(() => new NftablesBackend({ table: 'x;flush ruleset' }), ConfigError);
  await withNetnsPair(t, 'creates a network namespace', async (pair) => {
    await assert.rejects(new NftablesBackend({ table: 'counter', netns: pair.defender }).setup(), (err: unknown) => err instanceof ConfigError && /nft keyword/.test(err.message));
  });
});

test('nftables: hooked at prerouting, priority raw (-300), policy accept, one rule per set of every prefix length', async (t) => {
  await withNetnsPair(t, 'creates a network namespace and applies real rules in it', async (pair) => {
    const fw = new NftablesBackend({ netns: pair.defender, table: 'every_length' });
    await fw.setup();
    // One net of every prefix length of both families, none holding the attacker's addresses:
    // the masks nft prints back must be exactly those written, or setup would rewrite rules.
    const add = [];
    for (let p = 1; p < 32; p++) add.push({ address: `${formatIPv4((0x0a000000 & (0xffffffff << (32 - p))) >>> 0)}/${p}`, timeoutS: 300 });
    for (let p = 1; p < 128; p++) {
      const first = p >= 8 ? 0xfd : 0xfd & (0xff << (8 - p)) & 0xff;
      add.push({ address: parseCidr(`${first.toString(16)}00::/${p}`).text, timeoutS: 300 });
    }
    await fw.apply(add, []);
    const doc = JSON.parse(await nft(pair.defender, '-j', 'list', 'chain', 'inet', 'every_length', 'prerouting')) as { nftables: Array<Record<string, any>> };
    const chain = doc.nftables.find((x) => x.chain)!.chain;
    assert.deepEqual({ hook: chain.hook, prio: chain.prio, type: chain.type, policy: chain.policy }, { hook: 'prerouting', prio: -300, type: 'filter', policy: 'accept' });
    assert.equal(doc.nftables.filter((x) => x.rule).length, 2 + 31 + 127, 'one rule per set');
    const before = await owned(pair.defender, 'every_length');
    await fw.setup();
    assert.equal(await owned(pair.defender, 'every_length'), before, 'setup left every rule as it was');
    assert.equal((await fw.list()).length, 31 + 127);
    assert.equal(await pair.probe(pair.attackerV4[1]), 'passed');
    assert.equal(await pair.probe(pair.attackerV6[1]), 'passed');
  });
});

test('nftables: a fresh instance finds the sets an earlier one made, and adds no second rule for them', async (t) => {
  await withNetnsPair(t, 'creates a network namespace and applies real rules in it', async (pair) => {
    await new NftablesBackend({ netns: pair.defender }).reconcile([{ address: '198.51.100.0/24', timeoutS: 300 }]);
    // No setup: apply alone reads which sets exist.
    await new NftablesBackend({ netns: pair.defender }).apply([{ address: pair.netV4, timeoutS: 300 }, { address: '203.0.113.0/24', timeoutS: 300 }], []);
    const { rules } = parseTableListing(await nft(pair.defender, '-j', 'list', 'table', 'inet', 'autoimmune'));
    assert.deepEqual(rules, ['banned4', 'banned4_24', 'banned6', 'banned4_29'].map(ruleFor), 'the new set got its rule, appended');
    assert.equal(await pair.probe(pair.attackerV4[0]), 'dropped');
  });
});
