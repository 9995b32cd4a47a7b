// A 100,000-entry FireHOL-style list imported with `autoimmune feeds import FILE --url URL`
// into a real node's real nftables, in a test-made namespace: every entry reaches the kernel,
// the listed attacker is dropped and its neighbour is not, bad lines and protected entries are
// named, and a second import of a changed list applies only the difference. The time from the
// command's start to the kernel holding the last entry is printed (the issue asks for 10 s at
// most, 1 s as the aim); it is a measurement, not a pass/fail threshold.

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { callIn, withNetnsNode } from '../devkit/netns-node.ts';
import { waitFor } from '../devkit/wait.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const N = 100_000;

/** 198.18.0.0/15 holds 131,072 addresses: the i-th. */
const addr = (i: number) => `198.18.${i >> 8}.${i & 255}`.replace(/^198\.18\.(\d+)/, (_, x) => (Number(x) > 255 ? `198.19.${Number(x) - 256}` : `198.18.${x}`));

async function appliedAt(ns: string, url: string, address: string): Promise<number | null> {
  return ((await callIn(ns, `${url}/api/firewall?address=${encodeURIComponent(address)}`, 'GET', null)).body as { appliedAt: number | null }).appliedAt;
}

test('100,000 feed entries reach nftables through `feeds import`; a changed list applies only the difference', (t) =>
  withNetnsNode(t, 'autoimmune-feed-netns-', {}, async ({ pair, dir, stateDir, nft, start }) => {
    const [attacker, bystander] = pair.attackerV4;
    const node = await start('feeds');
    const entries = Array.from({ length: N - 1 }, (_, i) => addr(i));
    entries.push(attacker);
    const file = join(dir, 'big_list.netset');
    // A FireHOL header, the entries, a bad line, a protected address and a net too wide.
    writeFileSync(file, `#\n# big_list\n# Maintainer : FireHOL test\n#\n${entries.join('\n')}\nnot-an-address\n${pair.defenderV4}\n64.0.0.0/3\n`);
    const last = attacker;

    const t0 = Date.now();
    const cmd = await run('ip', ['netns', 'exec', pair.defender, process.execPath, '--import', 'tsx', CLI, 'feeds', 'import', file, '--url', node.url, '--state-dir', stateDir, '--ttl', '2h', '--json'], { maxBuffer: 1 << 24 });
    const commandMs = Date.now() - t0;
    const report = JSON.parse(cmd.stdout) as { feed: string; format: string; entries: number; added: number; bad: { count: number; first: string[] }; refused: { count: number; first: string[] }; ms: number; phases: Record<string, number> };
    assert.equal(report.feed, 'big_list');
    assert.equal(report.format, 'firehol');
    assert.equal(report.added, N);
    assert.equal(report.bad.count, 1);
    assert.match(report.bad.first[0]!, new RegExp(`^big_list\\.netset:${N + 5}: not-an-address: `));
    assert.equal(report.refused.count, 2);
    assert.match(report.refused.first.join('\n'), /192\.0\.2\.1 is allow-listed by 192\.0\.2\.1 \(this node's address on eth0\)/);
    assert.match(report.refused.first.join('\n'), /64\.0\.0\.0\/3 is (wider than \/8|allow-listed)/);

    let kernelAt: number | null = null;
    await waitFor(async () => (kernelAt = await appliedAt(pair.defender, node.url, last)) !== null, 'the last entry is applied', 120_000);
    const inKernel = (await nft.list()).length;
    assert.equal(inKernel, N, 'every entry is in the kernel');
    t.diagnostic(`feeds import of ${N.toLocaleString('en')} entries: command ${commandMs} ms (node: ${report.ms} ms, ${JSON.stringify(report.phases)}); in the kernel ${kernelAt! - t0} ms after the command started`);
    assert.equal(await pair.probe(attacker), 'dropped');
    assert.equal(await pair.probe(bystander), 'passed');

    // The list changes: 1,000 entries gone (the attacker among them), 500 new.
    const next = entries.slice(1000, N - 1).concat(Array.from({ length: 500 }, (_, i) => addr(N + i)));
    writeFileSync(file, `# FireHOL\n${next.join('\n')}\n`);
    const t1 = Date.now();
    const again = JSON.parse((await run('ip', ['netns', 'exec', pair.defender, process.execPath, '--import', 'tsx', CLI, 'feeds', 'import', file, '--url', node.url, '--state-dir', stateDir, '--ttl', '2h', '--json'], { maxBuffer: 1 << 24 })).stdout) as { added: number; removed: number; unchanged: number; ms: number };
    assert.deepEqual([again.added, again.removed, again.unchanged], [500, 1001, N - 1001]);
    await waitFor(async () => (await pair.probe(attacker, 1000)) === 'passed', 'the attacker, gone from the list, is lifted', 60_000);
    assert.equal((await nft.list()).length, N - 1001 + 500);
    t.diagnostic(`refresh with +500 −1,000 of ${N.toLocaleString('en')}: node ${again.ms} ms, lifted in the kernel within ${Date.now() - t1} ms`);
  }));
