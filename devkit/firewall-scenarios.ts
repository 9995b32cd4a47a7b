// The behaviour every real firewall backend must show, with real rules and real traffic in
// a pair of network namespaces (devkit/netns.ts). Each backend's test file calls
// firewallScenarios with how to make the backend and how to see what it owns.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FirewallBackend, FirewallEntry } from '../src/firewall/backend.ts';
import { FirewallEntryError } from '../src/firewall/errors.ts';
import { parseCidr } from '../src/respond/cidr.ts';
import type { NetnsPair } from './netns.ts';
import { withNetnsPair } from './netns.ts';

export interface BackendUnderTest {
  kind: string;
  make(netns: string): FirewallBackend;
  /** Everything the backend owns in the namespace, as text that shows rule identities; '' for nothing. */
  owned(netns: string): Promise<string>;
  /** Makes tables/chains/sets of someone else's; returns how to read them back. */
  addForeign(netns: string): Promise<() => Promise<string>>;
  /** After each scenario, before the namespaces go (e.g. unmount what the backend mounted). */
  cleanup?(netns: string): Promise<void>;
}

/** Polls an async condition; the bound is a hang guard, not a performance assertion. */
export async function eventually(cond: () => Promise<boolean>, what: string, boundMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > boundMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sorted = (entries: FirewallEntry[]) => entries.map((e) => e.address).sort();

async function probeAll(pair: NetnsPair, sources: string[]): Promise<Record<string, string>> {
  const results = await Promise.all(sources.map((s) => pair.probe(s)));
  return Object.fromEntries(sources.map((s, i) => [s, results[i]!]));
}

export function firewallScenarios(b: BackendUnderTest): void {
  const scenario = (name: string, fn: (pair: NetnsPair, t: TestContext) => Promise<void>) =>
    test(`${b.kind}: ${name}`, (t) =>
      withNetnsPair(t, 'creates network namespaces and applies real rules in them', async (pair) => {
        try {
          await fn(pair, t);
        } finally {
          await b.cleanup?.(pair.defender);
        }
      }),
    );

  scenario('a banned IPv4 and IPv6 source is dropped, the other source of the same host passes', async (pair) => {
    const fw = b.make(pair.defender);
    await fw.setup();
    const all = [...pair.attackerV4, ...pair.attackerV6];
    assert.deepEqual(await probeAll(pair, all), Object.fromEntries(all.map((a) => [a, 'passed'])), 'everything passes before any ban');
    await fw.apply([{ address: pair.attackerV4[0], timeoutS: 300 }, { address: pair.attackerV6[0], timeoutS: 300 }], []);
    assert.deepEqual(await probeAll(pair, all), {
      [pair.attackerV4[0]]: 'dropped',
      [pair.attackerV4[1]]: 'passed',
      [pair.attackerV6[0]]: 'dropped',
      [pair.attackerV6[1]]: 'passed',
    });
    await fw.apply([], [pair.attackerV4[0], pair.attackerV6[0]]);
    assert.deepEqual(await probeAll(pair, all), Object.fromEntries(all.map((a) => [a, 'passed'])), 'unbanned sources pass again');
  });

  scenario('a CIDR ban drops every source inside the net and none outside', async (pair) => {
    const fw = b.make(pair.defender);
    await fw.setup();
    await fw.apply([{ address: pair.netV4, timeoutS: 300 }, { address: pair.netV6, timeoutS: 300 }], []);
    const all = [...pair.attackerV4, ...pair.attackerV6];
    assert.deepEqual(await probeAll(pair, all), {
      [pair.attackerV4[0]]: 'dropped',
      [pair.attackerV4[1]]: 'passed',
      [pair.attackerV6[0]]: 'dropped',
      [pair.attackerV6[1]]: 'passed',
    });
  });

  scenario('an address and a net around it are two bans: the address stays banned after the net expires', async (pair) => {
    const fw = b.make(pair.defender);
    await fw.setup();
    await fw.apply(
      [
        { address: pair.attackerV4[0], timeoutS: 600 },
        { address: pair.netV4, timeoutS: 1 },
      ],
      [],
    );
    await eventually(async () => !sorted(await fw.list()).includes(pair.netV4), `${pair.netV4} to expire`);
    assert.deepEqual(sorted(await fw.list()), [pair.attackerV4[0]]);
    assert.equal(await pair.probe(pair.attackerV4[0]), 'dropped');
  });

  scenario('a ban expires by its timeout, and removing the expired element afterwards is no error', async (pair) => {
    const fw = b.make(pair.defender);
    await fw.setup();
    await fw.apply([{ address: pair.attackerV4[0], timeoutS: 2 }, { address: pair.attackerV6[0], timeoutS: 2 }], []);
    const listed = await fw.list();
    assert.deepEqual(sorted(listed), [pair.attackerV4[0], pair.attackerV6[0]].sort());
    for (const e of listed) assert.ok(e.timeoutS <= 2, `${e.address} has at most its 2 s left`);
    if (fw.expires === false) {
      // No timeouts in the kernel: the elements stay, listed with nothing left, until the
      // firewall actor removes them (firewall-actor-netns.test.ts); here the test does.
      await eventually(async () => (await fw.list()).every((e) => e.timeoutS === 0), 'both bans to run out');
      assert.equal(await pair.probe(pair.attackerV4[0]), 'dropped', 'kept until removed');
      await fw.apply([], [pair.attackerV4[0], pair.attackerV6[0]]);
    }
    await eventually(async () => (await fw.list()).length === 0, 'both bans to expire');
    assert.equal(await pair.probe(pair.attackerV4[0]), 'passed');
    assert.equal(await pair.probe(pair.attackerV6[0]), 'passed');
    // The registry's delete can arrive after the kernel expired the element: not a failure,
    // and the rest of the batch still happens.
    await fw.apply([{ address: pair.attackerV4[1], timeoutS: 300 }], [pair.attackerV4[0], pair.attackerV6[0]]);
    assert.deepEqual(sorted(await fw.list()), [pair.attackerV4[1]]);
  });

  scenario('list returns every element added, each with its own timeout; a re-add refreshes it', async (pair) => {
    const fw = b.make(pair.defender);
    await fw.setup();
    const added = [
      { address: '203.0.113.7', timeoutS: 1000 },
      { address: '2001:db8:1::7', timeoutS: 2000 },
      { address: '198.51.100.0/24', timeoutS: 3000 },
      { address: '2001:db8:2::/48', timeoutS: 4000 },
      { address: '10.0.0.0/8', timeoutS: 5000 },
    ];
    await fw.apply(added, []);
    const listed = await fw.list();
    assert.deepEqual(sorted(listed), sorted(added));
    const left = (a: string) => listed.find((e) => e.address === a)!.timeoutS;
    for (const e of added) assert.ok(left(e.address) > 0 && left(e.address) <= e.timeoutS, `${e.address}: ${left(e.address)} s left of ${e.timeoutS}`);
    // Time passes alike for all, so the order of what is left is the order of the timeouts.
    assert.deepEqual(
      [...listed].sort((x, y) => x.timeoutS - y.timeoutS).map((e) => e.address),
      added.map((e) => e.address),
    );
    // Longer and shorter: the element's timeout is replaced, not kept.
    await fw.apply([{ address: '203.0.113.7', timeoutS: 90_000 }, { address: '10.0.0.0/8', timeoutS: 10 }], []);
    const again = await fw.list();
    assert.ok(again.find((e) => e.address === '203.0.113.7')!.timeoutS > 1000, 'timeout lengthened');
    assert.ok(again.find((e) => e.address === '10.0.0.0/8')!.timeoutS <= 10, 'timeout shortened');
    assert.equal(again.length, added.length, 'refreshing adds no element');
  });

  scenario('setup twice changes nothing and never duplicates a rule', async (pair) => {
    const fw = b.make(pair.defender);
    await fw.setup();
    await fw.apply([{ address: pair.netV4, timeoutS: 300 }, { address: '2001:db8::/64', timeoutS: 300 }], []);
    const once = await b.owned(pair.defender);
    await fw.setup();
    await b.make(pair.defender).setup();
    assert.equal(await b.owned(pair.defender), once);
    assert.equal(await pair.probe(pair.attackerV4[0]), 'dropped', 'the rules still work');
  });

  scenario('reconcile on a fresh instance (a restart) makes the sets exactly the desired ones', async (pair) => {
    const before = b.make(pair.defender);
    await before.setup();
    await before.apply(
      [
        { address: pair.attackerV4[1], timeoutS: 300 }, // stray: no longer banned
        { address: '198.51.100.7', timeoutS: 300 }, // still banned
        { address: '2001:db8:9::/64', timeoutS: 300 }, // stray net
      ],
      [],
    );
    const after = b.make(pair.defender);
    const desired = [
      { address: '198.51.100.7', timeoutS: 600 },
      { address: pair.attackerV4[0], timeoutS: 600 }, // missing
      { address: pair.netV6, timeoutS: 600 }, // missing net
    ];
    assert.deepEqual(await after.reconcile(desired), { added: 2, removed: 2, kept: 1 });
    const listed = await after.list();
    assert.deepEqual(sorted(listed), sorted(desired));
    assert.ok(listed.find((e) => e.address === '198.51.100.7')!.timeoutS > 300, 'the kept ban took the desired timeout');
    assert.deepEqual(await probeAll(pair, [...pair.attackerV4, ...pair.attackerV6]), {
      [pair.attackerV4[0]]: 'dropped',
      [pair.attackerV4[1]]: 'passed',
      [pair.attackerV6[0]]: 'dropped',
      [pair.attackerV6[1]]: 'passed',
    });
    assert.deepEqual(await after.reconcile(desired), { added: 0, removed: 0, kept: 3 }, 'a second reconcile finds nothing to do');
  });

  scenario('reconcile on a namespace never set up creates everything', async (pair) => {
    const fw = b.make(pair.defender);
    assert.deepEqual(await fw.list(), [], 'nothing to list before setup');
    assert.deepEqual(await fw.reconcile([{ address: pair.attackerV6[0], timeoutS: 300 }]), { added: 1, removed: 0, kept: 0 });
    assert.equal(await pair.probe(pair.attackerV6[0]), 'dropped');
  });

  scenario('flush removes everything it owns and leaves a foreign table, chain and set intact', async (pair) => {
    const readForeign = await b.addForeign(pair.defender);
    const foreign = await readForeign();
    const fw = b.make(pair.defender);
    await fw.setup();
    await fw.apply([{ address: pair.attackerV4[0], timeoutS: 300 }, { address: pair.netV6, timeoutS: 300 }], []);
    assert.notEqual(await b.owned(pair.defender), '');
    await fw.flush();
    assert.equal(await b.owned(pair.defender), '', 'nothing of its own is left');
    assert.equal(await readForeign(), foreign, 'the foreign rules are as they were');
    assert.deepEqual(await fw.list(), []);
    assert.equal(await pair.probe(pair.attackerV4[0]), 'passed');
    await fw.flush(); // a second flush has nothing to remove and is no error
    await fw.setup(); // and it can start over
    assert.deepEqual(await fw.list(), []);
  });

  scenario('a batch with one bad entry is refused whole, and nothing of it is applied', async (pair) => {
    const fw = b.make(pair.defender);
    await fw.setup();
    for (const bad of ['1.2.3.4; flush ruleset', '10.0.0.5/8', '2001:DB8::1', '1.2.3.4/32', '0.0.0.0/0', '']) {
      await assert.rejects(fw.apply([{ address: '203.0.113.9', timeoutS: 60 }, { address: bad, timeoutS: 60 }], []), FirewallEntryError, bad);
    }
    await assert.rejects(fw.apply([{ address: '203.0.113.9', timeoutS: 1.5 }], []), FirewallEntryError);
    await assert.rejects(fw.apply([], ['not an address']), FirewallEntryError);
    assert.deepEqual(await fw.list(), []);
  });

  scenario('one transaction of 5,000 bans', async (pair) => {
    const fw = b.make(pair.defender);
    await fw.setup();
    const add: FirewallEntry[] = [];
    for (let i = 0; i < 4000; i++) add.push({ address: `10.${(i >> 8) & 255}.${i & 255}.1`, timeoutS: 600 });
    for (let i = 0; i < 1000; i++) add.push({ address: parseCidr(`2001:db8:${i.toString(16)}::/48`).text, timeoutS: 600 });
    await fw.apply(add, []);
    assert.equal((await fw.list()).length, 5000);
    assert.deepEqual(await fw.reconcile(add.slice(0, 2500)), { added: 0, removed: 2500, kept: 2500 });
    assert.equal((await fw.list()).length, 2500);
  });
}
