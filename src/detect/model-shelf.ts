// The node's models on disk: each trained model saved under a new version by the model
// store, and a `promoted.json` naming the version in force, so a restart scores with the
// model it had instead of starting a new grace period.

import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.ts';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { AutoimmuneError } from '../errors.ts';
import type { AnomalyScorer } from './detector-shard.ts';
import { featureCount as defaultFeatureCount } from './flow-features.ts';
import { modelFromJSON, type AnomalyModel } from './model/anomaly-model.ts';
import { trainInWorker } from './model/train-in-worker.ts';
import { ModelStore } from './model/model-store.ts';
import { initTensorflow } from './model/tf-backend.ts';
import { typicalScore } from './model/threshold.ts';

/** Where models are trained, kept and put in force (opened by openModelShelf below). */
export interface ModelShelf {
  readonly backend: string;
  /** The model in force from an earlier run, or null. */
  loadPromoted(): Promise<AnomalyScorer | null>;
  /**
   * Trains on the rows and saves the model under a new version; with each row's flow
   * (flow-threshold.ts) and model.flowScoring, its alert threshold is fitted on flow scores.
   */
  train(rows: Float64Array, count: number, flowContext?: Float64Array | null): Promise<AnomalyScorer>;
  promote(version: number): Promise<void>;
  /** The model of that version as text, to hand to other nodes (cluster). */
  exportModel?(version: number): Promise<string>;
  /** A model another node promoted: kept and promoted here too. */
  importModel?(text: string, origin: string): Promise<AnomalyScorer>;
}

/**
 * The model as the detectors use it. `perFlow` (model.flowScoring): the scores they compare
 * are flow scores, so the threshold is the one fitted on flow scores when the model has it
 * (a model trained without flow context has not: its packet threshold stands in, as before).
 */
export function asScorer(version: number, model: AnomalyModel, perFlow: boolean): AnomalyScorer {
  const packet = model.threshold.threshold;
  const threshold = perFlow && model.flowThreshold ? model.flowThreshold.threshold : packet;
  return { version, threshold, packetThreshold: packet, typical: typicalScore(model.threshold), scoreBatch: (f, rows, fc, out) => model.scoreBatch(f, rows, fc, out) };
}

export async function openModelShelf(stateDir: string, m: Config['model'], featureCount = defaultFeatureCount()): Promise<ModelShelf & { dir: string }> {
  // TensorFlow.js only for KitNET (it takes a while to load); a stored model of the other
  // kind is still read, and scores as it was trained.
  const backend = m.kind === 'kitnet' ? (await initTensorflow()).backend : 'js';
  const dir = join(stateDir, 'models');
  const store = new ModelStore(dir);
  const pointer = join(dir, 'promoted.json');
  const promote = async (version: number) => {
    writeFileAtomic(pointer, `${JSON.stringify({ version, promotedAt: new Date().toISOString() })}\n`);
  };
  return {
    backend,
    dir,
    async loadPromoted() {
      let text: string;
      try {
        text = readFileSync(pointer, 'utf8');
      } catch {
        return null; // never promoted one: the grace period starts
      }
      let version: unknown;
      try {
        version = (JSON.parse(text) as { version?: unknown }).version;
      } catch {
        version = undefined;
      }
      if (!Number.isInteger(version)) throw new AutoimmuneError('AI_ERR_MODEL_POINTER', `${pointer} does not name a model version (${text.slice(0, 80)}); delete it to train a new model`);
      const model = await store.load(version as number);
      if (model.backend !== 'js') await initTensorflow();
      return asScorer(version as number, model, m.flowScoring);
    },
    async train(rows, count, flowContext) {
      // In a worker thread: training takes seconds of CPU the packet path must not wait for.
      const model = await trainInWorker(m.kind, rows, count, featureCount, {
        fmRows: Math.min(m.featureMapRows, count),
        maxClusterSize: m.maxGroupSize,
        epochs: m.epochs,
        batchSize: m.batchSize,
        learningRate: m.learningRate,
        thresholdQuantile: m.thresholdQuantile,
      }, m.flowScoring ? (flowContext ?? null) : null);
      const version = await store.save(model);
      return asScorer(version, model, m.flowScoring);
    },
    promote,
    async exportModel(version) {
      return JSON.stringify((await store.load(version)).toJSON());
    },
    async importModel(text, origin) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new AutoimmuneError('AI_ERR_MODEL_IMPORT', `the model from ${origin} is not JSON (${(err as Error).message})`, { cause: err });
      }
      const model = modelFromJSON(json, { file: `model from ${origin}`, featureCount });
      if (model.backend !== 'js') await initTensorflow();
      // Kept as a local version and promoted here too, so a restart scores with it at once.
      const version = await store.save(model);
      await promote(version);
      return asScorer(version, model, m.flowScoring);
    },
  };
}
