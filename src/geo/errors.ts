// Errors of the GeoIP modules. Each has a stable `code` to match on and names the file.

import { AutoimmuneError } from '../errors.ts';

export class GeoError extends AutoimmuneError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    // A database the configuration names and cannot be used: the operator's to fix.
    super(code, message, { ...options, statusCode: 400 });
  }
}

/** A configured database file does not exist. */
export class GeoDbMissingError extends GeoError {
  override readonly name = 'GeoDbMissingError';
  readonly path: string;
  constructor(path: string, hint: string, options?: { cause?: unknown }) {
    super('AI_ERR_GEO_DB_MISSING', `GeoIP database not found: ${path}: ${hint}`, options);
    this.path = path;
  }
}

/** A configured database file exists but cannot be read (permissions, a directory, ...). */
export class GeoDbUnreadableError extends GeoError {
  override readonly name = 'GeoDbUnreadableError';
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('AI_ERR_GEO_DB_UNREADABLE', `GeoIP database cannot be read: ${path}: ${reason}`, options);
    this.path = path;
  }
}

/** A database file is not a valid MaxMind DB (.mmdb) file. */
export class GeoDbCorruptError extends GeoError {
  override readonly name = 'GeoDbCorruptError';
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(
      'AI_ERR_GEO_DB_CORRUPT',
      `GeoIP database is not a valid MaxMind DB (.mmdb) file: ${path}: ${reason}; ` +
        'download it again, or point the configuration at a GeoLite2/GeoIP2 .mmdb file',
      options,
    );
    this.path = path;
  }
}

/** A bad GeoIP configuration value. */
export class GeoConfigError extends GeoError {
  override readonly name = 'GeoConfigError';
  readonly field: string;
  constructor(field: string, value: unknown, expected: string) {
    super('AI_ERR_GEO_CONFIG', `geo: ${field} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}: fix it in the configuration`);
    this.field = field;
  }
}
