// Errors of the detection modules. Each has a stable `code` to match on.

export class FlowFeatureConfigError extends Error {
  override readonly name = 'FlowFeatureConfigError';
  readonly code = 'AI_ERR_FEATURES_CONFIG';
  readonly field: string;
  constructor(field: string, value: unknown, expected: string) {
    super(`flow features: ${field} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}: fix it in the configuration`);
    this.field = field;
  }
}
