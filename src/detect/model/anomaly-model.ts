// What the node does with a model of either kind: score rows, save it, load it back. The
// kind is in the JSON's `format` field: autoimmune-density (density-model.ts, the default)
// or autoimmune-kitnet (kitnet.ts).

import { DENSITY_FORMAT, DensityModel } from './density-model.ts';
import { ModelFormatError } from './errors.ts';
import { KitNetModel } from './kitnet.ts';
import { MODEL_FORMAT } from './model-format.ts';
import type { ScoreThreshold } from './threshold.ts';

export type ModelKind = 'density' | 'kitnet';

export interface AnomalyModel {
  /** Assigned by ModelStore.save; 0 until then. */
  version: number;
  readonly featureCount: number;
  /** Where it computes: a TensorFlow.js backend, or 'js'. */
  readonly backend: string;
  readonly threshold: ScoreThreshold;
  /** Rows it was given, and how many of them (the last) it held out for the threshold. */
  readonly training: { readonly rows: number; readonly holdoutRows: number };
  /**
   * The threshold on per-flow scores (flow-threshold.ts), fitted in training when the rows
   * came with their flows; null: none (a model trained per packet, or before flow scoring).
   */
  flowThreshold: ScoreThreshold | null;
  scoreBatch(features: Float64Array | Float32Array, rows: number, featureCount: number, out: Float32Array): void;
  toJSON(): object;
  dispose(): void;
}

/** A model from its parsed JSON, of whichever kind it says; `file` names it in errors. */
export function modelFromJSON(json: unknown, options: { file?: string; featureCount?: number } = {}): AnomalyModel {
  const format = typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined;
  if (format === DENSITY_FORMAT) return DensityModel.fromJSON(json, options);
  if (format === MODEL_FORMAT) return KitNetModel.fromJSON(json, options);
  throw new ModelFormatError(options.file ?? '(JSON)', `has format ${JSON.stringify(format)}, expected ${JSON.stringify(DENSITY_FORMAT)} or ${JSON.stringify(MODEL_FORMAT)}: it is not a model file`);
}
