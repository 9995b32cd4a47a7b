// Errors of the anomaly model and its store, with stable codes (see src/errors.ts).

import { AutoimmuneError } from '../../errors.ts';

/** A model file (or JSON) cannot be used: unreadable, not JSON, another format or version, inconsistent. */
export class ModelFormatError extends AutoimmuneError {
  readonly file: string;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('AI_ERR_MODEL_FORMAT', `model ${file}: ${problem}`, options);
    this.file = file;
  }
}

/** A model was trained on feature vectors of another length than the ones at hand. */
export class ModelFeatureCountError extends AutoimmuneError {
  readonly file: string;
  readonly expected: number;
  readonly actual: number;
  constructor(file: string, expected: number, actual: number) {
    super(
      'AI_ERR_MODEL_FEATURE_COUNT',
      `model ${file} was trained on ${actual} features, but this node computes ${expected}: ` +
        'the flow feature configuration (decay rates) changed since; retrain the model or restore the old configuration',
    );
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Training cannot start with these rows or options. */
export class ModelTrainingError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_MODEL_TRAINING', message);
  }
}
