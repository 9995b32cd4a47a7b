import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { DetectorShard, type ModelBoard } from '../src/detect/detector-shard.ts';
import { FlaggedAddresses } from '../src/detect/flagged-addresses.ts';
import { FlowScores } from '../src/detect/flow-scores.ts';
import { ModelTrainer } from '../src/detect/model-trainer.ts';
import { DensityModel } from '../src/detect/model/density-model.ts';
import { modelFromJSON } from '../src/detect/model/anomaly-model.ts';
import { decodeFloats } from '../src/detect/model/model-format.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { PacketBatch, PacketFlags } from '../src/net/packet-batch.ts';
import { uniform } from '../devkit/prng.ts';

const F = 8;

/** Benign rows: feature k around 10^(k % 4) with some spread (sizes, rates, variances span decades). */
function benign(n: number, seed: number): Float64Array {
  const r = uniform(seed);
  const out = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let k = 0; k < F; k++) out[i * F + k] = 10 ** (k % 4) * (0.5 + r());
  return out;
}

describe('density model', () => {
  const train = benign(4000, 1);
  const model = DensityModel.fit(train, 4000, F);

  test('a row scores the same alone, in a batch, after any other rows: zeros, repeats, signs and NaN included', () => {
    const r = uniform(3);
    const n = 400;
    const rows = benign(n, 4);
    // a pool of values the rows draw from, so values repeat from row to row as a flow's do
    const pool = [0, -0, 1, -1, 0.5, -0.5, 1e-300, 7, 1e6, -1e6, Number.NaN, Infinity, 123.25];
    for (let i = 0; i < n * F; i++) if (r() < 0.6) rows[i] = pool[Math.floor(r() * pool.length)]!;
    const batch = model.scores(rows, n);
    for (let i = n - 1; i >= 0; i--) {
      const alone = model.scores(rows.subarray(i * F, (i + 1) * F), 1)[0]!;
      assert.ok(Object.is(alone, batch[i]!), `row ${i}: ${alone} alone, ${batch[i]} in the batch`);
    }
    const fresh = DensityModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    assert.deepEqual(fresh.scores(rows, n), batch, 'a fresh copy of the model agrees');
    // a copy that has scored nothing remembers no value (every one is logged and binned): the
    // shortcuts for zeros and repeats give the same score to the bit
    const json = model.toJSON();
    for (let i = 0; i < n; i++) {
      const first = DensityModel.fromJSON(json).scores(rows.subarray(i * F, (i + 1) * F), 1)[0]!;
      assert.ok(Object.is(first, batch[i]!), `row ${i}: ${first} with nothing remembered, ${batch[i]} in the batch`);
    }
  });

  test("a row equal to the one before it (a spoofed flood's rows) scores as it does alone, in a batch and from call to call; one value apart is another score", () => {
    const a = benign(1, 8);
    const b = a.slice();
    b[F - 1] = 1e9; // only the last value differs, and far out of the benign range
    const c = a.slice();
    c[0] = Number.NaN; // never equal to itself: scored each time
    const z = a.slice();
    z[2] = 0;
    const negZ = z.slice();
    negZ[2] = -0; // equal to z (=== holds) and scored the same
    const alone = (row: Float64Array) => DensityModel.fromJSON(model.toJSON()).scores(row, 1)[0]!;
    assert.notEqual(alone(a), alone(b));
    const m = DensityModel.fromJSON(model.toJSON());
    const calls = [[a, a, b, b, a, c, c, z, negZ], [negZ], [z, a], [a], [a, a], [b], [c], [c]];
    for (const [k, call] of calls.entries()) {
      const rows = new Float64Array(call.length * F);
      call.forEach((row, i) => rows.set(row, i * F));
      const got = m.scores(rows, call.length);
      call.forEach((row, i) => assert.ok(Object.is(got[i], alone(row)), `call ${k}, row ${i}: ${got[i]}, alone ${alone(row)}`));
    }
  });

  test('the zero shortcut, on features whose benign range holds 0, scores as the smallest positive value does (log1p of it lands in the same bin)', () => {
    // Half the features are 0 in a third of the benign rows, so their range starts at 0 and a
    // zero takes its stored table entry instead of a log.
    const r = uniform(5);
    const zeros = benign(4000, 6);
    for (let i = 0; i < 4000 * F; i++) if (i % 2 === 0 && r() < 0.33) zeros[i] = 0;
    const m = DensityModel.fit(zeros, 4000, F);
    const n = 300;
    const rows = benign(n, 7);
    for (let i = 0; i < n * F; i++) if (r() < 0.4) rows[i] = r() < 0.5 ? 0 : -0;
    const shortcut = m.scores(rows, n);
    const reference = DensityModel.fromJSON(m.toJSON()).scores(rows.map((x) => (x === 0 ? Number.MIN_VALUE : x)), n);
    assert.ok(rows.some((x) => x === 0));
    for (let i = 0; i < n; i++) assert.ok(Object.is(shortcut[i], reference[i]), `row ${i}: ${shortcut[i]} with zeros, ${reference[i]} with the smallest positive value`);
  });

  test('benign rows score low; a row out of the benign range, high; the threshold sits between', () => {
    const held = benign(2000, 2);
    const s = model.scores(held, 2000);
    const above = s.filter((x) => x > model.threshold.threshold).length;
    assert.ok(above <= 20, `${above} of 2000 benign rows over the threshold`);
    const odd = Float64Array.from(held.subarray(0, F));
    odd[3] = 1e5; // ten times the largest benign value of that feature
    assert.ok(model.scores(odd, 1)[0]! > model.threshold.threshold);
  });

  test('a network the grace period never saw scores high but bounded (no 1e9 from a normaliser with nothing to divide by)', () => {
    const alien = new Float64Array(F).fill(1e12);
    const tiny = new Float64Array(F).fill(-1e12);
    const cap = Math.log(2 * model.training.trainRows) + model.resolutions.reduce((a, b) => a + b, 0) / model.resolutions.length;
    for (const row of [alien, tiny]) {
      const s = model.scores(row, 1)[0]!;
      assert.ok(s > model.threshold.threshold && s <= cap + 1e-9, `score ${s}, cap ${cap}`);
    }
  });

  test('the one-lookup table gives the sum over resolutions of each bin surprise, as HBOS defines it', () => {
    const rows = benign(50, 3);
    rows[5] = 1e6; // and one value out of range
    const got = model.scores(rows, 50);
    const json = model.toJSON();
    const counts = json.counts.map(decodeFloats);
    const n = json.training.trainRows;
    const slog = (x: number) => Math.sign(x) * Math.log1p(Math.abs(x));
    for (let i = 0; i < 50; i++) {
      let sum = 0;
      for (let f = 0; f < F; f++) {
        const v = slog(rows[i * F + f]!);
        const lo = json.lo[f]!, hi = json.hi[f]!;
        json.training.resolutions.forEach((bins, r) => {
          if (v < lo || v > hi) sum += Math.log(2 * n) + Math.min(bins, ((v < lo ? lo - v : v - hi) / (hi - lo)) * bins);
          else sum += -Math.log(Math.max(counts[r]![f * bins + Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]!, 0.5) / n);
        });
      }
      const want = sum / (F * json.training.resolutions.length);
      assert.ok(Math.abs(got[i]! - want) < 1e-4 * want, `row ${i}: ${got[i]} against ${want}`);
    }
  });

  test('JSON round trip scores the same; a damaged file is refused naming what is wrong', () => {
    const again = modelFromJSON(JSON.parse(JSON.stringify(model.toJSON())), { featureCount: F });
    const rows = benign(100, 4);
    const a = new Float32Array(100), b = new Float32Array(100);
    model.scoreBatch(rows, 100, F, a);
    again.scoreBatch(rows, 100, F, b);
    assert.deepEqual(a, b);
    const bad = { ...model.toJSON(), training: { ...model.toJSON().training, resolutions: [10, 15] } };
    assert.throws(() => DensityModel.fromJSON(bad, { file: 'x.json' }), /model x\.json: training\.resolutions must be bin counts that each divide the largest/);
    assert.throws(() => modelFromJSON({ ...model.toJSON(), featureCount: 9 }, { featureCount: F }), { code: 'AI_ERR_MODEL_FEATURE_COUNT' });
    assert.throws(() => DensityModel.fit(train, 10, F), /needs at least 20 rows/);
  });
});

// ---- per-flow scores and what the trainer learns from ------------------------------------

function batchOf(rows: Array<{ src: string; dst: string; ts: number }>): PacketBatch {
  const b = new PacketBatch(Math.max(1, rows.length));
  for (const r of rows) {
    const i = b.length++;
    b.flags[i] = PacketFlags.IPV4 | PacketFlags.UDP;
    b.src4[i] = r.src.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;
    b.dst4[i] = r.dst.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;
    b.ts[i] = r.ts;
    b.ipVersion[i] = 4;
  }
  return b;
}

describe('per-flow scores', () => {
  test('a flow starts at the typical benign score; its two directions share a mean; a long odd flow rises, a few odd packets do not', () => {
    const fs = FlowScores.forLambda(0.01);
    const out = new Float32Array(1);
    const one = (src: string, dst: string, ts: number, s: number) => {
      fs.score(batchOf([{ src, dst, ts }]), [s], 1, out, 1);
      return out[0]!;
    };
    // a few odd packets in a new benign flow stay near the typical score
    let last = 0;
    for (let k = 0; k < 3; k++) last = one('10.0.0.1', '10.0.0.2', k, 5);
    assert.ok(last < 1.2, `three odd packets: ${last}`);
    // the reverse direction shares the pair's mean
    const back = one('10.0.0.2', '10.0.0.1', 3.5, 1);
    assert.ok(back > 1 && back < 1.2);
    // hundreds of odd packets: the flow's score goes to theirs
    for (let k = 0; k < 600; k++) last = one('10.0.0.7', '10.0.0.8', k * 0.1, 5);
    assert.ok(last > 4, `a long odd flow: ${last}`);
  });

  test('a flood of one packet per forged source is seen through its destination', () => {
    const fs = FlowScores.forLambda(0.01);
    const n = 2000;
    const rows = Array.from({ length: n }, (_, k) => ({ src: `100.64.${k >> 8}.${k & 255}`, dst: '203.0.113.10', ts: k * 0.001 }));
    const first = new Float32Array(1);
    fs.score(batchOf(rows.slice(0, 1)), [5], 1, first, 1);
    const out = new Float32Array(n - 1);
    fs.score(batchOf(rows.slice(1)), new Float32Array(n - 1).fill(5), n - 1, out, 1);
    // each packet's pair is new (at the typical score): the destination's mean carries it
    assert.ok(first[0]! < 1.1 && out[n - 2]! > 2.5, `first packet ${first[0]}, last ${out[n - 2]}`);
  });
});

describe('what the trainer learns from', () => {
  const features = (n: number) => Float64Array.from({ length: n * 2 }, (_, i) => i);
  const enriched = (rows: Array<{ src: string; dst: string; ts: number }>) => ({ shard: 0, packets: batchOf(rows), features: features(rows.length), featureCount: 2, geo: null });
  const settings = { anomaly: { anomalousPackets: 20, windowS: 10, cooldownS: 300, blockable: false }, sampleEvery: 1, countryWeights: {}, modelBatchRows: 1 };

  test('in the grace period, rows from or to an address the rules flagged are left out', () => {
    const flagged = new FlaggedAddresses();
    flagged.add('10.0.0.66');
    const board: ModelBoard = { current: null, candidate: null, grace: true, flagged };
    const d = new DetectorShard(0, DEFAULT_RULES, settings);
    const out = d.process(enriched([
      { src: '10.0.0.1', dst: '10.0.0.2', ts: 1 },
      { src: '10.0.0.66', dst: '10.0.0.2', ts: 2 },
      { src: '10.0.0.3', dst: '10.0.0.66', ts: 3 },
      { src: '10.0.0.4', dst: '10.0.0.2', ts: 4 },
    ]), board);
    assert.equal(out.sample?.count, 2);
    assert.deepEqual(Array.from(out.sample!.rows), [0, 1, 6, 7], 'rows 0 and 3 only');
  });

  test('after it, benign-scored rows are sampled, flagged ones never; the trainer reports its state as a plain object', async () => {
    const flagged = new FlaggedAddresses();
    flagged.add('10.0.0.66');
    const board: ModelBoard = { current: { version: 3, threshold: 10, typical: 1, scoreBatch: (_f, rows, _fc, o) => o.fill(1, 0, rows) }, candidate: null, grace: false, flagged, flowScores: FlowScores.forLambda(0.01), scoredRows: 0, anomalousRows: 0 };
    const d = new DetectorShard(0, DEFAULT_RULES, settings);
    const out = d.process(enriched([
      { src: '10.0.0.1', dst: '10.0.0.2', ts: 1 },
      { src: '10.0.0.66', dst: '10.0.0.2', ts: 2 },
    ]), board);
    assert.equal(out.sample?.count, 1);
    assert.deepEqual(Array.from(out.scored[0]!.packetScores!), [1, 1]);
    assert.equal(board.scoredRows, 2);
    const trainer = new ModelTrainer(board, { featureCount: 2, graceRows: 100, retrainRows: 100, minRetrainRows: 10, shadowRows: 50, promoteMaxAlertRatio: 1.2 }, async () => board.current!, async () => {});
    const st = trainer.state();
    assert.deepEqual(JSON.parse(JSON.stringify(st)), st, 'plain data');
    assert.equal(st.phase, 'scoring');
    assert.deepEqual(st.current, { version: 3, threshold: 10 });
    assert.equal(st.alertRate, 0);
    assert.equal(st.flaggedAddresses, 1);
    assert.equal(st.candidate, null);
    const grace = new ModelTrainer({ current: null, candidate: null, grace: true }, { featureCount: 2, graceRows: 100, retrainRows: 100, minRetrainRows: 10, shadowRows: 50, promoteMaxAlertRatio: 1.2 }, async () => board.current!, async () => {});
    grace.addRows(features(25), 25);
    assert.deepEqual(grace.state().grace, { rows: 25, of: 100, progress: 0.25 });
    assert.equal(grace.state().phase, 'grace');
  });
});
