// The JSON form of a KitNET model, one file per model version, and its validation. Weights
// are base64 of little-endian float32 (exact, and a fifth of the size of decimal text);
// normaliser bounds are plain numbers (float64, they are few). A reader refuses what it
// cannot use with a message naming the file: another format, a newer format version, a
// different feature count, or parts that do not fit together.

import type { AutoencoderGroup, AutoencoderLayer } from './autoencoder-layer.ts';
import { ModelFeatureCountError, ModelFormatError } from './errors.ts';
import { MinMaxNormaliser } from './normaliser.ts';
import type { NormaliserJSON } from './normaliser.ts';
import type { ScoreThreshold } from './threshold.ts';

export const MODEL_FORMAT = 'autoimmune-kitnet';
export const MODEL_FORMAT_VERSION = 1;

/** How a model was trained: its options and how many rows went where. */
export interface TrainingSummary {
  /** Rows given to training. */
  rows: number;
  /** Rows the feature mapper saw (the first ones). */
  fmRows: number;
  /** Rows the autoencoders were trained on. */
  trainRows: number;
  /** Rows held out for the threshold (the last ones); fewer than 2 = fitted on the training rows. */
  holdoutRows: number;
  maxClusterSize: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Wall-clock seconds the training took. */
  seconds: number;
}

export interface GroupJSON {
  features: number[];
  hidden: number;
  weights: string;
  hiddenBias: string;
  visibleBias: string;
}

export interface LayerJSON {
  normaliser: NormaliserJSON;
  groups: GroupJSON[];
}

export interface KitNetJSON {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  /** Assigned by the model store when saved; 0 for a model never saved. */
  version: number;
  createdAt: string;
  featureCount: number;
  /** The TensorFlow.js backend it was trained on. */
  backend: string;
  training: TrainingSummary;
  ensemble: LayerJSON;
  output: LayerJSON;
  threshold: ScoreThreshold;
  /** Fitted on per-flow scores (flow-threshold.ts); absent when trained without flow context. */
  flowThreshold?: ScoreThreshold;
}

export function encodeFloats(a: Float32Array): string {
  const buf = Buffer.alloc(a.length * 4);
  for (let i = 0; i < a.length; i++) buf.writeFloatLE(a[i]!, i * 4);
  return buf.toString('base64');
}

export function decodeFloats(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  if (buf.length % 4 !== 0) throw new RangeError(`${buf.length} bytes is not a whole number of float32 values`);
  const a = new Float32Array(buf.length / 4);
  for (let i = 0; i < a.length; i++) a[i] = buf.readFloatLE(i * 4);
  return a;
}

export function layerToJSON(layer: AutoencoderLayer): LayerJSON {
  return {
    normaliser: layer.normaliser.toJSON(),
    groups: layer.groups.map((g) => ({
      features: [...g.features],
      hidden: g.hidden,
      weights: encodeFloats(g.weights),
      hiddenBias: encodeFloats(g.hiddenBias),
      visibleBias: encodeFloats(g.visibleBias),
    })),
  };
}

/** The checked parts of a model file. */
export interface KitNetParts {
  version: number;
  createdAt: string;
  featureCount: number;
  backend: string;
  training: TrainingSummary;
  ensemble: AutoencoderLayer;
  output: AutoencoderLayer;
  threshold: ScoreThreshold;
  flowThreshold?: ScoreThreshold | null;
}

/**
 * Checks a parsed model file. `file` names it in errors; with `featureCount`, a model for
 * another feature count is refused.
 */
export function parseKitNetJSON(value: unknown, file: string, featureCount?: number): KitNetParts {
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  if (!isObject(value)) return fail('is not a JSON object');
  if (value.format !== MODEL_FORMAT) return fail(`has format ${JSON.stringify(value.format)}, expected ${JSON.stringify(MODEL_FORMAT)}: it is not a KitNET model file`);
  if (value.formatVersion !== MODEL_FORMAT_VERSION) {
    return fail(`has format version ${JSON.stringify(value.formatVersion)}; this build reads version ${MODEL_FORMAT_VERSION}: retrain the model with this build`);
  }
  const fc = value.featureCount;
  if (typeof fc !== 'number' || !Number.isInteger(fc) || fc < 1) return fail(`featureCount ${JSON.stringify(fc)} is not a positive integer`);
  if (featureCount !== undefined && fc !== featureCount) throw new ModelFeatureCountError(file, featureCount, fc);
  const version = value.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) return fail(`version ${JSON.stringify(version)} is not a non-negative integer`);
  if (typeof value.createdAt !== 'string' || Number.isNaN(Date.parse(value.createdAt))) return fail(`createdAt ${JSON.stringify(value.createdAt)} is not a date`);
  if (typeof value.backend !== 'string') return fail('backend is missing');
  const ensemble = parseLayer(value.ensemble, 'ensemble', fc, fail);
  const output = parseLayer(value.output, 'output', ensemble.groups.length, fail);
  if (output.groups.length !== 1) fail(`output layer has ${output.groups.length} groups, expected 1`);
  const training = value.training;
  if (!isObject(training)) return fail('training summary is missing');
  for (const k of ['rows', 'fmRows', 'trainRows', 'holdoutRows', 'maxClusterSize', 'epochs', 'batchSize', 'learningRate', 'seed', 'seconds'] as const) {
    if (!isFiniteNumber(training[k])) fail(`training.${k} is not a number`);
  }
  const threshold = readScoreThreshold(value.threshold, 'threshold', fail);
  const flowThreshold = value.flowThreshold === undefined || value.flowThreshold === null ? null : readScoreThreshold(value.flowThreshold, 'flowThreshold', fail);
  return {
    version,
    createdAt: value.createdAt,
    featureCount: fc,
    backend: value.backend,
    training: training as unknown as TrainingSummary,
    ensemble,
    output,
    threshold,
    flowThreshold,
  };
}

/** A fitted threshold (threshold.ts) in a model file; `name` is its field. */
export function readScoreThreshold(value: unknown, name: string, fail: (problem: string) => never): ScoreThreshold {
  if (!isObject(value)) return fail(`${name} is missing`);
  for (const k of ['threshold', 'quantile', 'logMean', 'logStd', 'empirical', 'samples'] as const) {
    if (!isFiniteNumber(value[k])) fail(`${name}.${k} is not a finite number`);
  }
  return value as unknown as ScoreThreshold;
}

function parseLayer(value: unknown, name: string, width: number, fail: (problem: string) => never): AutoencoderLayer {
  if (!isObject(value)) return fail(`${name} layer is missing`);
  const n = value.normaliser;
  if (!isObject(n) || !isNumberArray(n.min, width) || !isNumberArray(n.max, width)) return fail(`${name} normaliser must have min and max of ${width} numbers`);
  if (!Array.isArray(value.groups) || value.groups.length === 0) return fail(`${name} layer has no groups`);
  const seen = new Uint8Array(width);
  const groups = value.groups.map((g: unknown, gi: number): AutoencoderGroup => {
    const where = `${name} group ${gi}`;
    if (!isObject(g)) return fail(`${where} is not an object`);
    const features = g.features;
    if (!Array.isArray(features) || features.length === 0) return fail(`${where} has no features`);
    for (const f of features) {
      if (typeof f !== 'number' || !Number.isInteger(f) || f < 0 || f >= width) fail(`${where} names feature ${JSON.stringify(f)}, outside 0..${width - 1}`);
      if (seen[f as number]++) fail(`feature ${f as number} is in more than one ${name} group`);
    }
    const hidden = g.hidden;
    if (typeof hidden !== 'number' || !Number.isInteger(hidden) || hidden < 1) return fail(`${where} hidden size ${JSON.stringify(hidden)} is not a positive integer`);
    const floats = (key: 'weights' | 'hiddenBias' | 'visibleBias', length: number): Float32Array => {
      const s = g[key];
      let a: Float32Array;
      try {
        if (typeof s !== 'string') throw new TypeError('not a string');
        a = decodeFloats(s);
      } catch (err) {
        return fail(`${where} ${key} is not base64 float32: ${(err as Error).message}`);
      }
      if (a.length !== length) fail(`${where} ${key} has ${a.length} values, expected ${length}`);
      if (!a.every(Number.isFinite)) fail(`${where} ${key} holds a non-finite value`);
      return a;
    };
    return {
      features: features as number[],
      hidden,
      weights: floats('weights', features.length * hidden),
      hiddenBias: floats('hiddenBias', hidden),
      visibleBias: floats('visibleBias', features.length),
    };
  });
  const missing = seen.indexOf(0);
  if (missing >= 0) fail(`feature ${missing} is in no ${name} group`);
  return { normaliser: MinMaxNormaliser.fromJSON({ min: n.min as number[], max: n.max as number[] }), groups };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function isNumberArray(v: unknown, length: number): v is number[] {
  return Array.isArray(v) && v.length === length && v.every(isFiniteNumber);
}
