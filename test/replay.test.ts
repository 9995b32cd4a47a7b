import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { copyFileSync, mkdtempSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { FileSource, parseSpeed, type LoopPass } from '../src/net/file-source.ts';
import { openGeoLookup, type GeoLookup } from '../src/geo/geo-lookup.ts';
import { replay } from '../src/node/replay.ts';

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;

function labels(): Array<{ file: string; packets: number }> {
  const [header, ...rows] = readFileSync(join(PCAP_DIR, 'labels.tsv'), 'utf8').trim().split('\n');
  const cols = header!.split('\t');
  return rows.map((r) => {
    const f = r.split('\t');
    return { file: f[cols.indexOf('file')]!, packets: Number(f[cols.indexOf('packets')]) };
  });
}

let geo: GeoLookup;
before(async () => {
  geo = await openGeoLookup();
});

test('every shared capture replays through capture → shards → features → GeoIP with the MANIFEST packet count', async () => {
  for (const { file, packets } of labels()) {
    const s = await replay([join(PCAP_DIR, file)], { speed: 0, shards: 3, geo });
    assert.equal(s.packets, packets, file);
    assert.equal(s.decode.ok, packets, `${file}: every packet decodes`);
    assert.equal(s.routed, packets, file);
    assert.equal(s.enriched, packets, `${file}: every packet reached its shard`);
    assert.equal(s.shards.reduce((a, x) => a + x.packets, 0), packets);
    assert.equal(s.dropped + s.lostInCrashes, 0);
    assert.deepEqual(s.fileErrors, []);
  }
});

test('packets of one source always land in the same shard', async () => {
  // D09: one scanner (192.168.1.10) and one victim: two sources, so at most two shards busy.
  const s = await replay([join(PCAP_DIR, 'D09_scan_TCP_CONNECT_SCAN.pcap')], { speed: 0, shards: 8, geo });
  const busy = s.shards.filter((x) => x.packets > 0);
  assert.ok(busy.length <= 2, `sources spread over ${busy.length} shards`);
  for (const b of busy) assert.equal(b.flows!.hosts.entries, 1, 'each busy shard tracks exactly its own source host');
});

test('crash injections into the capture actor and the shards mid-replay lose and repeat nothing', async () => {
  const files = ['D12_flood_pkt.TCP.synflood.spoofed.pcap', 'D17_brute_hydra-8_tasks.pcap', 'D09_scan_TCP_CONNECT_SCAN.pcap'].map((f) => join(PCAP_DIR, f));
  const total = labels().filter((l) => files.some((f) => f.endsWith(l.file))).reduce((a, l) => a + l.packets, 0);
  let injected = 0;
  let timer: NodeJS.Timeout | undefined;
  const s = await replay(files, {
    speed: 0,
    shards: 2,
    batchSize: 64,
    geo,
    // A short backoff: crashes every few ms would otherwise (rightly) push restarts to seconds.
    supervision: { intensity: { maxRestarts: 1000, periodMs: 1000 }, backoff: { baseMs: 1, maxMs: 4, factor: 2, jitter: 0.2, resetAfterMs: 50 } },
    onSystem: (sys) => {
      const targets = ['/pipeline/replay', '/pipeline/enrichers/enricher-0', '/pipeline/enrichers/enricher-1'];
      let k = 0;
      timer = setInterval(() => {
        if (injected >= 30) return clearInterval(timer);
        if (sys.crash(targets[k++ % targets.length]!)) injected++;
      }, 3);
    },
  });
  clearInterval(timer);
  assert.ok(injected >= 3, `only ${injected} crashes were injected`);
  assert.ok(s.restarts >= 3, `only ${s.restarts} restarts`);
  assert.equal(s.packets, total, 'the capture resumed where it stopped: nothing lost, nothing repeated');
  assert.equal(s.enriched, total, 'shards lost nothing: their queued batches outlived the crashes');
  assert.equal(s.dropped + s.lostInCrashes, 0);
});

test('a truncated file: every readable packet is replayed, then an error with the offset', async () => {
  const dir = testTempDir('ai-replay-');
  const cut = join(dir, 'cut.pcap');
  copyFileSync(join(PCAP_DIR, 'D05_benign_kali-normal-ssh.pcap'), cut);
  truncateSync(cut, Math.floor(statSync(cut).size / 2));
  const s = await replay([cut, join(PCAP_DIR, 'D18_brute_kali-password-attack_hydra.pcap')], { speed: 0, shards: 2, geo });
  assert.equal(s.fileErrors.length, 1);
  assert.equal(s.fileErrors[0]!.file, cut);
  assert.match(s.fileErrors[0]!.message, /offset \d+/);
  assert.ok(s.fileErrors[0]!.offset! > 0);
  assert.ok(s.packets > 189 && s.packets < 189 + 586, `${s.packets} packets`);
  assert.equal(s.enriched, s.packets, 'what was readable went all the way through, and the next file too');
});

test('paced replay never hands a packet out before its time', async () => {
  const src = new FileSource([join(PCAP_DIR, 'D18_brute_kali-password-attack_hydra.pcap')], { speed: parseSpeed('50x') });
  const t0 = performance.now();
  let first = NaN;
  let batches = 0;
  let packets = 0;
  for (let b = await src.next(); b !== null; b = await src.next()) {
    if (Number.isNaN(first)) first = b.ts[0]!;
    const dueMs = ((b.ts[b.length - 1]! - first) * 1000) / 50;
    assert.ok(performance.now() - t0 >= dueMs - 1, `a packet due at ${dueMs} ms went out early`);
    batches++;
    packets += b.length;
  }
  assert.equal(packets, 189);
  assert.ok(batches > 1, 'paced output comes in several batches');
  assert.throws(() => parseSpeed('fast'), /--speed must be max or a factor such as 1x or 10x, got "fast"/);
  assert.equal(parseSpeed('max'), 0);
  assert.equal(parseSpeed('10x'), 10);
});

/** Reads `source` to its end, each timestamp no more than 1 s before the latest one (`why` it must); the packets read. */
async function readForward(source: FileSource, why: string): Promise<number> {
  let last = -Infinity;
  let packets = 0;
  for (let b = await source.next(); b; b = await source.next()) {
    for (let i = 0; i < b.length; i++) {
      assert.ok(b.ts[i]! >= last - 1, why);
      last = Math.max(last, b.ts[i]!);
    }
    packets += b.length;
  }
  return packets;
}

test('a looping source starts over after the last file, each pass laid after the one before', async () => {
  const file = PCAP_DIR + 'D18_brute_kali-password-attack_hydra.pcap';
  const source = new FileSource([file], { loop: true, limit: 189 * 3 + 10 });
  const packets = await readForward(source, 'capture time keeps moving forward across passes');
  assert.equal(packets, 189 * 3 + 10, 'it went round until the limit');
  assert.equal(source.passes, 3);
  assert.deepEqual(source.spans.map((s) => s.pass), [0, 1, 2, 3]);
  for (let k = 1; k < 4; k++) assert.ok(Math.abs(source.spans[k]!.firstTs - (source.spans[k - 1]!.lastTs + 1)) < 1e-6, 'a 1 s gap between passes');
});

test('back-to-back files share one timeline: each starts a gap after the previous one ends', async () => {
  const files = ['D05_benign_kali-normal-ssh.pcap', 'D15_brute_hydra-1_tasks.pcap', 'D18_brute_kali-password-attack_hydra.pcap'].map((f) => PCAP_DIR + f);
  const source = new FileSource(files, { backToBackGapS: 2 });
  const packets = await readForward(source, 'timestamps go forward across files (within a file, small reorders are the capture\'s own)');
  assert.equal(source.spans.length, 3);
  assert.equal(source.spans[0]!.shiftS, 0, 'the first file keeps its recorded times');
  for (let k = 1; k < 3; k++) assert.ok(Math.abs(source.spans[k]!.firstTs - (source.spans[k - 1]!.lastTs + 2)) < 1e-6);
  assert.equal(source.spans.reduce((a, s) => a + s.packets, 0), packets);
  assert.equal(packets, 586 + 2486 + 189);
});

test('pacing by count never hands out more packets than the rate allows', async () => {
  const source = new FileSource([PCAP_DIR + 'D18_brute_kali-password-attack_hydra.pcap'], { pps: 2000 });
  const t0 = performance.now();
  let packets = 0;
  for (let b = await source.next(); b; b = await source.next()) {
    packets += b.length;
    // +1: the first packet is due at once
    assert.ok(packets <= Math.floor(((performance.now() - t0) * 2000) / 1000) + 1, `${packets} packets out after ${performance.now() - t0} ms`);
  }
  assert.equal(packets, 189);
});

test('a pace changed while the source runs applies from that moment: no burst to catch up, no stall to pay back', { timeout: 30_000 }, async () => {
  const pace = { pps: 1_000_000 };
  const source = new FileSource([PCAP_DIR + 'D18_brute_kali-password-attack_hydra.pcap'], { pace, pps: 5 });
  let packets = 0;
  while (packets < 100) packets += (await source.next())!.length;
  // Slowed to 1 packet/s after ~100 packets: the first packet at the new rate is due at once
  // and alone (anchored on the old clock it would be due only after ~100 s).
  pace.pps = 1;
  assert.equal((await source.next())!.length, 1);
  packets += 1;
  // Sped up again: the rest comes (at 1 packet/s it would take 88 s more; the test's guard is 30 s).
  pace.pps = 1_000_000;
  for (let b = await source.next(); b; b = await source.next()) packets += b.length;
  assert.equal(packets, 189);
  await source.close();
});

/** Every timestamp a source hands out, in order. */
async function collect(s: FileSource): Promise<number[]> {
  const ts: number[] = [];
  for (let b = await s.next(); b; b = await s.next()) for (let i = 0; i < b.length; i++) ts.push(b.ts[i]!);
  return ts;
}

test('a limit and a skip split one timeline into two parts that add up to the whole', async () => {
  const files = ['D05_benign_kali-normal-ssh.pcap', 'D18_brute_kali-password-attack_hydra.pcap'].map((f) => PCAP_DIR + f);
  const whole = await collect(new FileSource(files, { backToBackGapS: 1, batchSize: 64 }));
  const head = await collect(new FileSource(files, { backToBackGapS: 1, batchSize: 64, limit: 300 }));
  const tail = await collect(new FileSource(files, { backToBackGapS: 1, batchSize: 64, skip: 300 }));
  assert.equal(head.length, 300);
  assert.deepEqual([...head, ...tail], whole);
});

test('a looping source resumed far into its run passes over whole passes by count: the same packets on the same timeline, at most one pass read', async () => {
  // D05 then D18: 775 packets a pass (labels.tsv).
  const files = ['D05_benign_kali-normal-ssh.pcap', 'D18_brute_kali-password-attack_hydra.pcap'].map((f) => PCAP_DIR + f);
  const passes: LoopPass = {};
  const first = new FileSource(files, { loop: true, batchSize: 64, passes, limit: 775 * 9 + 123 });
  const whole = await collect(first);
  assert.deepEqual(passes.packets, 775, 'the first pass measured');
  const skip = 775 * 7 + 50;
  const resumed = new FileSource(files, { loop: true, batchSize: 64, passes, skip, limit: whole.length - skip });
  const tail = await collect(resumed);
  assert.deepEqual(tail, whole.slice(skip), 'what a source that read everything handed out after the skip, times and all');
  assert.equal(resumed.passes, 9);
  // Decoded: the remainder of the skip (50) and what it handed out (and the rest of the last
  // batch it cut), not the 7 passes before.
  const decoded = resumed.decodeStats.toJSON().ok;
  assert.ok(decoded >= 50 + tail.length && decoded < 50 + tail.length + 64, `${decoded} packets decoded`);
  // Without the measured pass it reads every packet it skips (and lays them on the same timeline).
  const slow = new FileSource(files, { loop: true, batchSize: 64, skip, limit: whole.length - skip });
  assert.deepEqual(await collect(slow), tail);
  assert.ok(slow.decodeStats.toJSON().ok >= skip + tail.length);
});
