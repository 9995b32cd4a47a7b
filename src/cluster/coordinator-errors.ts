// Errors of the etcd coordinator: etcd cannot be reached at start, a call found no member
// that answered in time, etcd refused a request, or the coordinator was already closed.

import { AutoimmuneError, describeError } from '../errors.ts';

/** No etcd endpoint answered while connecting; `detail` says what happens next (a retry, or what to do). */
export class CoordinatorUnavailableError extends AutoimmuneError {
  readonly endpoints: string[];
  constructor(endpoints: string[], lastError: unknown, detail: string) {
    super('AI_ERR_COORDINATOR_UNAVAILABLE', `etcd at ${endpoints.join(', ')} is not reachable (${describeError(lastError)}); ${detail}`, {
      cause: lastError,
    });
    this.endpoints = endpoints;
  }
}

/** A call got no answer from any etcd member (with a quorum behind it) before its deadline. */
export class CoordinatorTimeoutError extends AutoimmuneError {
  readonly operation: string;
  readonly key: string;
  constructor(operation: string, key: string, endpoints: string[], timeoutMs: number, lastError: unknown) {
    super(
      'AI_ERR_COORDINATOR_TIMEOUT',
      `etcd ${operation} of ${JSON.stringify(key)} got no answer within ${timeoutMs} ms from ${endpoints.join(', ')} ` +
        `(last: ${describeError(lastError)}); is a quorum of the etcd cluster up?`,
      { cause: lastError },
    );
    this.operation = operation;
    this.key = key;
  }
}

/** etcd answered, and refused (a request it considers invalid, a permission, ...): retrying will not help. */
export class CoordinatorRequestError extends AutoimmuneError {
  constructor(operation: string, key: string, endpoints: string[], error: unknown) {
    super('AI_ERR_COORDINATOR_REQUEST', `etcd at ${endpoints.join(', ')} refused ${operation} of ${JSON.stringify(key)}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/** A call on a coordinator after close(). */
export class CoordinatorClosedError extends AutoimmuneError {
  constructor(operation: string) {
    super('AI_ERR_COORDINATOR_CLOSED', `etcd coordinator is closed; ${operation} is not possible (connect again)`);
  }
}
