import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ModelFeatureCountError, ModelFormatError } from '../src/detect/model/errors.ts';
import { DensityModel } from '../src/detect/model/density-model.ts';
import { KitNetModel, trainKitNet } from '../src/detect/model/kitnet.ts';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, decodeFloats, encodeFloats } from '../src/detect/model/model-format.ts';
import { ModelNotFoundError, ModelStore } from '../src/detect/model/model-store.ts';
import { uniform } from '../devkit/prng.ts';

const F = 12;
let model: KitNetModel;
let rows: Float64Array;

/** Rows where features 0..5 follow one factor and 6..11 another, with noise. */
function someRows(count: number, seed: number): Float64Array {
  const rnd = uniform(seed);
  const out = new Float64Array(count * F);
  for (let r = 0; r < count; r++) {
    const a = rnd();
    const b = rnd();
    for (let f = 0; f < F; f++) out[r * F + f] = (f < 6 ? a * (f + 1) : 3 - b * f) + 0.01 * rnd();
  }
  return out;
}

before(async () => {
  model = await trainKitNet(someRows(600, 1), 600, F, { epochs: 3, seed: 9 });
  rows = someRows(300, 2);
});

after(() => model.dispose());

const tempStore = (options = {}) => new ModelStore(join(testTempDir('ai-models-'), 'models'), options);

test('float32 arrays survive base64 exactly', () => {
  const a = Float32Array.from([0, -0, 1.5, -3.25e-30, 3.4e38, Math.fround(Math.PI)]);
  assert.deepEqual(decodeFloats(encodeFloats(a)), a);
  assert.throws(() => decodeFloats('AAA='), /not a whole number of float32 values/);
});

test('a density model saves and loads in the same store: identical scores, its own format', async () => {
  const store = tempStore({ featureCount: F });
  const density = DensityModel.fit(rows, 300, F);
  assert.equal(await store.save(density), 1);
  const loaded = await store.load(1);
  assert.ok(loaded instanceof DensityModel);
  const out = new Float32Array(300);
  loaded.scoreBatch(rows, 300, F, out);
  assert.deepEqual(out, density.scores(rows, 300), 'the same scores, bit for bit');
  assert.deepEqual(loaded.threshold, density.threshold);
  assert.equal(JSON.parse(readFileSync(store.fileOf(1), 'utf8')).format, 'autoimmune-density');
  await assert.rejects(store.load(2), { code: 'AI_ERR_MODEL_NOT_FOUND' });
});

test('save → load gives identical scores; versions increase from 1; latest is the newest', async () => {
  const store = tempStore({ featureCount: F });
  assert.equal(await store.latest(), null, 'an empty (even missing) folder holds no model');
  assert.deepEqual(await store.versions(), []);
  assert.equal(await store.save(model), 1);
  assert.equal(model.version, 1);
  assert.equal(await store.save(model), 2);
  assert.equal(await store.save(model), 3);
  assert.deepEqual(await store.versions(), [1, 2, 3]);
  assert.deepEqual(readdirSync(store.dir).sort(), ['kitnet-v000001.json', 'kitnet-v000002.json', 'kitnet-v000003.json'], 'no temporary file left behind');

  const loaded = (await store.load(2)) as KitNetModel;
  assert.ok(loaded instanceof KitNetModel, 'a KitNET file loads as KitNET');
  assert.equal(loaded.version, 2);
  assert.deepEqual(loaded.groups, model.groups);
  assert.deepEqual(loaded.threshold, model.threshold);
  assert.equal(loaded.backend, model.backend);
  assert.deepEqual(loaded.training, model.training);
  assert.deepEqual(loaded.scores(rows, 300), model.scores(rows, 300), 'the same scores, bit for bit');
  loaded.dispose();

  const latest = await store.latest();
  assert.equal(latest?.version, 3);
  latest?.dispose();

  const file = JSON.parse(readFileSync(store.fileOf(3), 'utf8'));
  assert.equal(file.format, MODEL_FORMAT);
  assert.equal(file.formatVersion, MODEL_FORMAT_VERSION);
  assert.equal(file.featureCount, F);
  assert.ok(!Number.isNaN(Date.parse(file.createdAt)));
  assert.equal(file.training.rows, 600);
  await assert.rejects(store.load(7), (err: unknown) => err instanceof ModelNotFoundError && /kitnet-v000007\.json does not exist/.test(err.message));
});

test('two saves at once get two versions', async () => {
  const store = tempStore();
  const versions = await Promise.all([store.save(model), store.save(model), store.save(model)]);
  assert.deepEqual([...versions].sort(), [1, 2, 3]);
  assert.deepEqual(await store.versions(), [1, 2, 3]);
});

test('a damaged or foreign file is refused with an error naming it', async () => {
  const store = tempStore({ featureCount: F });
  await store.save(model);
  const good = JSON.parse(readFileSync(store.fileOf(1), 'utf8'));

  writeFileSync(store.fileOf(2), '{"format": "autoimmune-kitnet", "formatVe');
  await assert.rejects(store.latest(), (err: unknown) => err instanceof ModelFormatError && err.code === 'AI_ERR_MODEL_FORMAT' && err.file === store.fileOf(2) && /is not valid JSON/.test(err.message));

  const cases: Array<[string, (j: Record<string, any>) => void, RegExp]> = [
    ['another format', (j) => (j.format = 'keras'), /has format "keras", expected "autoimmune-density" or "autoimmune-kitnet": it is not a model file/],
    ['a newer format version', (j) => (j.formatVersion = 99), /format version 99; this build reads version 1/],
    ['truncated weights', (j) => (j.ensemble.groups[0].weights = encodeFloats(new Float32Array(3))), /ensemble group 0 weights has 3 values, expected/],
    ['a feature in two groups', (j) => j.ensemble.groups[1].features.push(j.ensemble.groups[0].features[0]), /feature \d+ is in more than one ensemble group/],
    ['a missing threshold', (j) => delete j.threshold, /threshold is missing/],
    ['a version that disagrees with the name', (j) => (j.version = 5), /says it is version 5, but its name says 2/],
  ];
  for (const [what, spoil, message] of cases) {
    const j = structuredClone(good);
    j.version = 2;
    spoil(j);
    writeFileSync(store.fileOf(2), JSON.stringify(j));
    await assert.rejects(store.load(2), (err: unknown) => err instanceof ModelFormatError && err.message.includes(store.fileOf(2)) && message.test(err.message), what);
  }
  assert.throws(() => KitNetModel.fromJSON([1, 2]), /model \(JSON\): is not a JSON object/);
});

test('a model of another feature count is refused', async () => {
  const store = tempStore();
  await store.save(model);
  const strict = new ModelStore(store.dir, { featureCount: 100 });
  await assert.rejects(
    strict.load(1),
    (err: unknown) => err instanceof ModelFeatureCountError && err.code === 'AI_ERR_MODEL_FEATURE_COUNT' && err.expected === 100 && err.actual === F && err.message.includes(store.fileOf(1)) && /trained on 12 features, but this node computes 100/.test(err.message),
  );
  await assert.rejects(strict.save(model), /model has 12 features, the store holds models of 100/);
  assert.throws(() => KitNetModel.fromJSON(model.toJSON(), { featureCount: 20 }), ModelFeatureCountError);
});
