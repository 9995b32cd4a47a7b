// One registry of the project's errors, in the style of fastify's FST_ERR_* and undici's
// class hierarchy: every error has a stable `code` that callers and tests can match on, a
// message that names the bad value and what to do, and an optional `cause`.

export class AutoimmuneError extends Error {
  readonly code: string;
  /**
   * The HTTP status the API answers with (fastify's `statusCode` convention): a 4xx when the
   * caller can fix it (its message is sent), 500 otherwise (a generic text is sent, the
   * message goes to the node's log).
   */
  readonly statusCode: number;
  constructor(code: string, message: string, options?: { cause?: unknown; statusCode?: number }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.statusCode = options?.statusCode ?? 500;
  }
}

/** A 4xx: the caller's to fix, with a message that says how. */
export function isClientError(err: unknown): err is AutoimmuneError {
  return err instanceof AutoimmuneError && err.statusCode >= 400 && err.statusCode < 500;
}

/** The configuration file or a command-line value is not acceptable. */
export class ConfigError extends AutoimmuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AI_ERR_CONFIG', message, { ...options, statusCode: 400 });
  }
}

/** A command-line argument is unknown or malformed. */
export class UsageError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_USAGE', message, { statusCode: 400 });
  }
}

/** The named actor does not exist (or no longer exists) on this node. */
export class NoSuchActorError extends AutoimmuneError {
  readonly path: string;
  constructor(path: string) {
    super('AI_ERR_NO_SUCH_ACTOR', `no actor at path ${JSON.stringify(path)} on this node`, { statusCode: 404 });
    this.path = path;
  }
}

/** Raised inside an actor's handler by crash(path): the chaos monkey's lever. */
export class InjectedCrashError extends AutoimmuneError {
  readonly path: string;
  constructor(path: string) {
    super('AI_ERR_INJECTED_CRASH', `crash injected into ${path}`);
    this.path = path;
  }
}

/** A supervisor exceeded its restart intensity and stopped its children. */
export class SupervisorGaveUpError extends AutoimmuneError {
  /** Path of the actor that kept failing (the deepest one, not the supervisor). */
  readonly culprit: string;
  readonly supervisor: string;
  readonly lastError: unknown;
  constructor(supervisor: string, culprit: string, restarts: number, periodMs: number, lastError: unknown) {
    super(
      'AI_ERR_SUPERVISOR_GAVE_UP',
      `supervisor ${supervisor} gave up: actor ${culprit} kept failing ` +
        `(more than ${restarts} restarts in ${periodMs} ms); last error: ${describeError(lastError)}`,
      { cause: lastError },
    );
    this.supervisor = supervisor;
    this.culprit = culprit;
    this.lastError = lastError;
  }
}

/** A short one-line description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * A packet batch from another node whose row layout is not this node's (another
 * PAYLOAD_HEAD_BYTES, another column set): refused whole, never read with the wrong offsets.
 */
export class PacketLayoutError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_PACKET_LAYOUT', `${message}: the nodes of a cluster must run the same version (upgrade the older one)`);
  }
}
