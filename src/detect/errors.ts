// Errors of the detection modules. Each has a stable `code` to match on.

import { AutoimmuneError } from '../errors.ts';

export class FlowFeatureConfigError extends AutoimmuneError {
  readonly field: string;
  constructor(field: string, value: unknown, expected: string) {
    super('AI_ERR_FEATURES_CONFIG', `flow features: ${field} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}: fix it in the configuration`, { statusCode: 400 });
    this.field = field;
  }
}
