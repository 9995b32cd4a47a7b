// The shard router on real decoded packets (a shared capture): every routable row reaches
// the shard that owns its source, in order, and the batches it hands on are sized for the
// traffic between flushes (a live capture flushes every millisecond with a few rows), not
// always for batchSize.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FileSource } from '../src/net/file-source.ts';
import { PacketFlags, type PacketBatch } from '../src/net/packet-batch.ts';
import { ShardRouter } from '../src/net/shard-router.ts';

const FILE = new URL('../../shared/data/pcap/D01_benign_example.pcap', import.meta.url).pathname;

async function routeFile(readBatch: number, routerBatch: number, limit: number): Promise<{ out: Array<{ shard: number; batch: PacketBatch }>; ts: number[][]; router: ShardRouter }> {
  const out: Array<{ shard: number; batch: PacketBatch }> = [];
  const router = new ShardRouter(2, routerBatch, (shard, batch) => out.push({ shard, batch }));
  const ts: number[][] = [[], []];
  const source = new FileSource([FILE], { batchSize: readBatch, limit });
  for (let b = await source.next(); b !== null; b = await source.next()) {
    for (let i = 0; i < b.length; i++) if (!(b.flags[i]! & (PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED))) ts[router.shardOf(b, i)]!.push(b.ts[i]!);
    router.route(b);
    router.flush(); // as the capture actor does after every read
  }
  await source.close();
  return { out, ts, router };
}

test('every routed row reaches its own shard in order; a few rows a flush travel in small batches, a full read in full ones', async () => {
  const small = await routeFile(8, 256, 4000);
  const seen: number[][] = [[], []];
  for (const { shard, batch } of small.out) {
    for (let i = 0; i < batch.length; i++) {
      assert.equal(small.router.shardOf(batch, i), shard, 'a row is at the shard that owns its source');
      seen[shard]!.push(batch.ts[i]!);
    }
    assert.ok(batch.capacity <= 16, `a flush of at most 8 rows was handed on in a batch of ${batch.capacity} rows`);
  }
  assert.deepEqual(seen, small.ts, 'each shard got its rows, all of them, in capture order');
  assert.equal(small.router.routed, seen[0]!.length + seen[1]!.length);
  assert.ok(small.router.routed > 0);

  const big = await routeFile(1024, 256, 4000);
  const full = big.out.filter((o) => o.batch.capacity === 256).length;
  assert.ok(full >= big.out.length / 2, `reads of 1,024 rows went out in ${big.out.length} batches, only ${full} of them full-size`);
  let rows = 0;
  for (const o of big.out) rows += o.batch.length;
  assert.equal(rows, big.router.routed);
});

test('malformed and unsupported rows are not routed, but for a tiny TCP fragment (a scan probe for the rules)', async () => {
  const file = new URL('./fixtures/captures/recorded_scan_nmap-f.pcap', import.meta.url).pathname;
  const routed: number[] = [];
  const router = new ShardRouter(2, 256, (_shard, batch) => {
    for (let i = 0; i < batch.length; i++) routed.push(batch.flags[i]!);
  });
  let tiny = 0, malformed = 0, rows = 0;
  const source = new FileSource([file], { batchSize: 256 });
  for (let b = await source.next(); b !== null; b = await source.next()) {
    for (let i = 0; i < b.length; i++) {
      rows++;
      if (b.flags[i]! & PacketFlags.TINY_FRAGMENT) tiny++;
      else if (b.flags[i]! & (PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED)) malformed++;
    }
    router.route(b);
  }
  router.flush();
  await source.close();
  assert.ok(tiny >= 300, `${tiny} tiny fragments (nmap -f, 300 ports)`);
  assert.equal(routed.filter((f) => f & PacketFlags.TINY_FRAGMENT).length, tiny);
  assert.equal(routed.filter((f) => f & (PacketFlags.MALFORMED | PacketFlags.UNSUPPORTED) && !(f & PacketFlags.TINY_FRAGMENT)).length, 0);
  assert.equal(router.unroutable, malformed);
  assert.equal(router.routed, rows - malformed);
});
