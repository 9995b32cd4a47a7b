// The event store's errors besides StoreQueryError (a query it cannot run as asked,
// check-query.ts): what was asked for is not there, a query was cancelled, the store is closing.

import { AutoimmuneError } from '../errors.ts';

/** A stored thing asked for by id that this node does not have (HTTP 404). */
export class NotStoredError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_NOT_STORED', message, { statusCode: 404 });
  }
}

/** A query stopped in the database because its caller gave up on it (its deadline passed). */
export class QueryCancelledError extends AutoimmuneError {
  constructor(why: string, options?: { cause?: unknown }) {
    super('AI_ERR_QUERY_CANCELLED', `query cancelled in the database: ${why}`, options);
  }
}

/** The store is closing (the node is stopping): running queries are interrupted and new ones refused (HTTP 503). */
export class StoreStoppingError extends AutoimmuneError {
  constructor(options?: { cause?: unknown }) {
    super('AI_ERR_STOPPING', 'the event store is closing (the node is stopping): ask again once it is back', { ...options, statusCode: 503 });
  }
}

/** The event store's database thread failed (it crashed, exited, or could not open the database). */
export class StoreThreadError extends AutoimmuneError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AI_ERR_STORE_THREAD', message, options);
  }
}

/** A row the database cannot store as given (a count or time that is not a whole number). */
export class StoreRowError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_STORE_ROW', message);
  }
}

/** The database's events table is not the one this build writes (its columns' number or types). */
export class StoreSchemaError extends AutoimmuneError {
  /** `whole`: `problem` is the whole message already (as the database thread sends it back). */
  constructor(problem: string, whole = false) {
    super('AI_ERR_STORE_SCHEMA', whole ? problem : `${problem}: the database was made by another build; move it out of the state directory (the node makes a new one) or open it with the build that made it`);
  }
}
