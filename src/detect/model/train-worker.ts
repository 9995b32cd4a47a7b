// The training worker's body: see train-in-worker.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { trainKitNet } from './kitnet.ts';

const { rows, rowCount, featureCount, options } = workerData as { rows: Float64Array; rowCount: number; featureCount: number; options: object };
try {
  const model = await trainKitNet(rows, rowCount, featureCount, options);
  parentPort!.postMessage({ model: model.toJSON() });
} catch (err) {
  parentPort!.postMessage({ error: { message: (err as Error).message, code: (err as { code?: string }).code } });
}
