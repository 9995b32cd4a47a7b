// Training off the event loop: tfjs on wasm computes synchronously, and a grace-period or
// periodic retraining (seconds of work) on the main thread would stall the packet path for
// up to ~160 ms at a time; a density model's fit is shorter (a few hundred ms for 20,000
// rows) but still too long for the packet path. A worker thread trains and sends the model
// back as JSON; the main thread only rebuilds it (milliseconds).

import { Worker } from 'node:worker_threads';
import { modelFromJSON, type AnomalyModel, type ModelKind } from './anomaly-model.ts';
import type { DensityTrainingOptions } from './density-model.ts';
import { FLOW_CONTEXT_WIDTH } from './flow-threshold.ts';
import { ModelTrainingError } from './errors.ts';
import type { KitNetTrainingOptions } from './kitnet.ts';
import { threadEntry } from '../../util/package-files.ts';

export type TrainingOptions = Partial<KitNetTrainingOptions> & Partial<DensityTrainingOptions>;

/**
 * Trains a model of `kind` on the rows. With `flowContext` (each row's flow, flow-threshold.ts)
 * it also fits the threshold on per-flow scores.
 */
export async function trainInWorker(kind: ModelKind, rows: Float64Array, rowCount: number, featureCount: number, options: TrainingOptions = {}, flowContext: Float64Array | null = null): Promise<AnomalyModel> {
  // Copies the worker owns (transferred, not cloned): the caller may reuse `rows`.
  const data = rows.slice(0, rowCount * featureCount);
  const context = flowContext ? flowContext.slice(0, rowCount * FLOW_CONTEXT_WIDTH) : null;
  const worker = new Worker(threadEntry(import.meta.url, './train-worker-boot.mjs', './train-worker.ts'), {
    workerData: { kind, rows: data, rowCount, featureCount, options, flowContext: context },
    transferList: context ? [data.buffer, context.buffer] : [data.buffer],
  });
  const json = await new Promise<unknown>((resolve, reject) => {
    worker.once('message', (m: { model?: unknown; error?: { message: string; code?: string } }) => {
      if (m.error) reject(new ModelTrainingError(`${kind} training in a worker failed: ${m.error.message}`));
      else resolve(m.model);
    });
    worker.once('error', (err) => reject(new ModelTrainingError(`${kind} training worker crashed: ${err.message}`)));
    worker.once('exit', (code) => reject(new ModelTrainingError(`${kind} training worker exited with ${code} before sending a model`)));
  });
  await worker.terminate();
  return modelFromJSON(json, { featureCount });
}
