// Training off the event loop: tfjs on wasm computes synchronously, and a grace-period or
// periodic retraining (seconds of work) on the main thread would stall the packet path for
// up to ~160 ms at a time. A worker thread trains and sends the model back as JSON; the
// main thread only rebuilds it (milliseconds).

import { Worker } from 'node:worker_threads';
import { KitNetModel, type KitNetTrainingOptions } from './kitnet.ts';
import { ModelTrainingError } from './errors.ts';

export async function trainKitNetInWorker(rows: Float64Array, rowCount: number, featureCount: number, options: Partial<KitNetTrainingOptions> = {}): Promise<KitNetModel> {
  // A copy the worker owns (transferred, not cloned): the caller may reuse `rows`.
  const data = rows.slice(0, rowCount * featureCount);
  const worker = new Worker(new URL('./train-worker-boot.mjs', import.meta.url), {
    workerData: { rows: data, rowCount, featureCount, options },
    transferList: [data.buffer],
  });
  const json = await new Promise<unknown>((resolve, reject) => {
    worker.once('message', (m: { model?: unknown; error?: { message: string; code?: string } }) => {
      if (m.error) reject(new ModelTrainingError(`KitNET training in a worker failed: ${m.error.message}`));
      else resolve(m.model);
    });
    worker.once('error', (err) => reject(new ModelTrainingError(`KitNET training worker crashed: ${err.message}`)));
    worker.once('exit', (code) => reject(new ModelTrainingError(`KitNET training worker exited with ${code} before sending a model`)));
  });
  await worker.terminate();
  return KitNetModel.fromJSON(json, { featureCount });
}
