// Victim tallies lent by a detector shard to the flood watch and given back (victim-tally-pool.ts):
// a reused tally counts as a new one would, one on loan is never written, and one never given
// back (a crash, a shed message, a structured clone) costs an allocation, never a wrong count.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { floodWatchSpec } from '../src/actors/flood-watch.ts';
import type { Alert } from '../src/detect/alert.ts';
import { DetectorShard, type ModelBoard } from '../src/detect/detector-shard.ts';
import { Enrichment } from '../src/detect/enrichment.ts';
import { FlowFeatureExtractor } from '../src/detect/flow-features.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { VictimRules } from '../src/detect/rules/victim-rules.ts';
import { SKETCH_WORDS, newVictimTally, type VictimTally } from '../src/detect/rules/victim-tally.ts';
import { VictimTallyPool, returnVictimTally } from '../src/detect/rules/victim-tally-pool.ts';
import type { WorkerContext } from '../src/supervisors/child-spec.ts';
import type { GeoInfo } from '../src/geo/geo-lookup.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';

const PCAP = new URL('../../shared/data/pcap/', import.meta.url).pathname;
// a scan (a row per host probed), a spoofed SYN flood, an amplification and a reflection: the
// rows a tally is left with differ from one batch to the next
const CAPTURES = ['D08_scan_synscan.pcapng', 'D12_flood_pkt.TCP.synflood.spoofed.pcap', 'D13_flood_amp.UDP.isakmp.pcap', 'D14_flood_amp.TCP.reflection.SYNACK.pcap'];
const SETTINGS = { anomaly: { anomalousPackets: 20, windowS: 10, cooldownS: 300, blockable: false }, sampleEvery: 16, countryWeights: {}, modelBatchRows: 1 };
const board = (): ModelBoard => ({ current: null, candidate: null, grace: false });

/** The tally's rows only, as a new one holds them (columns cut to `rows`): what a reader may read. */
function rowsOf(t: VictimTally): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) {
    if (!Array.isArray(v)) o[k] = v;
    else o[k] = v.slice(0, k.endsWith('Sketch') ? t.rows * SKETCH_WORDS : t.rows);
  }
  return o;
}

/** Every batch of the captures through one shard; `read` sees each tally as the flood watch would. */
function replay(shard: DetectorShard, read: (t: VictimTally) => void): void {
  const enrich = new Enrichment<GeoInfo | undefined>(0, new FlowFeatureExtractor(), null);
  const b = board();
  for (const f of CAPTURES) {
    readCaptureSync(PCAP + f, (batch) => {
      const out = shard.process(enrich.enrich(batch), b);
      for (const s of out.scored) s.batch.release?.();
      if (out.tally) read(out.tally);
    });
  }
}

describe('victim tally pool', () => {
  test('tallies given back are reused, and each counts what a new tally would: the same rows, the same flood alerts', () => {
    const pooled = new DetectorShard(0, DEFAULT_RULES, SETTINGS);
    const fresh = new DetectorShard(0, DEFAULT_RULES, SETTINGS, null, undefined, null);
    const a: Alert[] = [];
    const b: Alert[] = [];
    const va = new VictimRules(DEFAULT_RULES);
    const vb = new VictimRules(DEFAULT_RULES);
    const seenA: Array<Record<string, unknown>> = [];
    const seenB: Array<Record<string, unknown>> = [];
    const objects = new Set<VictimTally>();
    let longer = 0;
    replay(pooled, (t) => {
      objects.add(t);
      if (t.v4.length > t.rows) longer++;
      seenA.push(rowsOf(t));
      va.add(t, a);
      returnVictimTally(t);
    });
    replay(fresh, (t) => {
      seenB.push(rowsOf(t));
      vb.add(t, b);
    });
    assert.ok(seenA.length > 20, `${seenA.length} tallies`);
    assert.deepEqual(seenA, seenB);
    assert.deepEqual(a, b);
    assert.ok(a.some((x) => x.type === 'syn-flood') && a.some((x) => x.type === 'udp-amplification'), JSON.stringify(a.map((x) => x.type)));
    const pool = pooled.tallies!;
    assert.ok(pool.reused > seenA.length - 5, `made ${pool.made}, reused ${pool.reused}`);
    assert.ok(objects.size <= 2, `${objects.size} tally objects for ${seenA.length} batches`);
    assert.ok(longer > 0, 'some reused tally had left-over rows past its own (the case overwritten)');
  });

  test('a tally on loan is never written: a shard whose tallies are not given back makes new ones', () => {
    const shard = new DetectorShard(0, DEFAULT_RULES, SETTINGS);
    const held: Array<{ t: VictimTally; json: string }> = [];
    replay(shard, (t) => {
      if (held.length < 50) held.push({ t, json: JSON.stringify(t) });
    });
    assert.equal(new Set(held.map((h) => h.t)).size, held.length);
    for (const h of held) assert.equal(JSON.stringify(h.t), h.json);
    assert.equal(shard.tallies!.reused, 0);
  });

  test('a second return, a structured clone, a tally of no pool are ignored; the pool keeps at most keep tallies, of keepRows rows in all', () => {
    const pool = new VictimTallyPool(2, 4);
    const t = pool.take();
    returnVictimTally(t);
    returnVictimTally(t);
    assert.equal(pool.size, 1);
    assert.equal(pool.take(), t);
    assert.notEqual(pool.take(), t, 'given back twice, lent once');
    returnVictimTally(structuredClone(t));
    returnVictimTally(newVictimTally());
    assert.equal(pool.size, 0);
    const others = new VictimTallyPool();
    others.give(t);
    assert.equal(others.size, 0, 'a pool takes back only its own');
    const many = [pool.take(), pool.take(), pool.take()];
    for (const x of many) returnVictimTally(x);
    assert.equal(pool.size, 2);
    const big = pool.take();
    for (let r = 0; r < 5; r++) big.v4[r] = r;
    returnVictimTally(big);
    assert.equal(pool.size, 1, 'a tally past keepRows is left to the collector');
    const three = pool.take();
    const two = pool.take();
    for (let r = 0; r < 3; r++) three.v4[r] = r;
    for (let r = 0; r < 2; r++) two.v4[r] = r;
    returnVictimTally(three);
    returnVictimTally(two);
    assert.equal(pool.size, 1, 'keepRows bounds the rows of all free tallies: 3 + 2 > 4');
    // a reused tally starts empty
    const again = pool.take();
    again.rows = 3;
    again.dropped = 1;
    returnVictimTally(again);
    const next = pool.take();
    assert.equal(next, again);
    assert.equal(next.rows, 0);
    assert.equal(next.dropped, 0);
  });

  test('the flood watch gives a tally back once read, and keeps one whose reading failed', () => {
    const pool = new VictimTallyPool(1000);
    const spec = floodWatchSpec(DEFAULT_RULES, 'responder');
    const sent: unknown[] = [];
    let failSend = false;
    const ctx = {
      send: (_to: string, msg: unknown) => {
        if (failSend) throw new Error('responder gone');
        sent.push(msg);
      },
    } as unknown as WorkerContext;
    const behavior = spec.start();
    const state = behavior.init!(ctx) as VictimRules;
    // a spoofed SYN flood's tallies: the flood watch alerts on one of them
    const shard = new DetectorShard(0, DEFAULT_RULES, SETTINGS, null, undefined, pool);
    const enrich = new Enrichment<GeoInfo | undefined>(0, new FlowFeatureExtractor(), null);
    const tallies: VictimTally[] = [];
    readCaptureSync(PCAP + 'D12_flood_pkt.TCP.synflood.spoofed.pcap', (batch) => {
      const out = shard.process(enrich.enrich(batch), board());
      if (out.tally && tallies.length < 64) tallies.push(out.tally);
    });
    assert.ok(tallies.length >= 2);
    failSend = true;
    let threw = 0;
    let given = 0;
    for (const t of tallies) {
      const before = pool.size;
      try {
        behavior.handle(state, t, ctx);
        if (pool.size === before + 1) given++;
      } catch {
        threw++;
        assert.equal(pool.size, before, 'a tally whose handler threw is not given back');
      }
    }
    assert.ok(threw >= 1, 'a tally made the flood alert, whose send failed');
    assert.equal(given, tallies.length - threw);
    assert.equal(sent.length, 0);
  });
});
