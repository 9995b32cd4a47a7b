// The training worker's body: see train-in-worker.ts.
import { parentPort, workerData } from 'node:worker_threads';

const { kind, rows, rowCount, featureCount, options, flowContext } = workerData as { kind: 'density' | 'kitnet'; rows: Float64Array; rowCount: number; featureCount: number; options: object; flowContext: Float64Array | null };
try {
  // Only the kind asked for is loaded: KitNET pulls in TensorFlow.js.
  const model =
    kind === 'density'
      ? (await import('./density-model.ts')).DensityModel.fit(rows, rowCount, featureCount, options)
      : await (await import('./kitnet.ts')).trainKitNet(rows, rowCount, featureCount, options);
  if (flowContext) model.flowThreshold = (await import('./flow-threshold.ts')).fitFlowThreshold(model, rows, rowCount, featureCount, flowContext);
  parentPort!.postMessage({ model: model.toJSON() });
} catch (err) {
  parentPort!.postMessage({ error: { message: (err as Error).message, code: (err as { code?: string }).code } });
}
