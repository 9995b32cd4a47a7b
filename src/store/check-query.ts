// What every engine does to an EventQuery before running it (the in-memory one and the SQL
// backends alike): validate it from any caller (API, tools, ask engine, another node), with a
// StoreQueryError that names the bad value and what to ask instead, and read its address
// filters once. Sharing this is what makes the engines refuse and match the same things.

import { AutoimmuneError } from '../errors.ts';
import { parseCidr, type Cidr } from '../respond/cidr.ts';
import { EVENT_FIELDS, EVENT_KINDS, type EventQuery } from './event-query.ts';

/** A query the store cannot run as asked: the message names the value and what to ask instead. */
export class StoreQueryError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_STORE_QUERY', message, { statusCode: 400 });
  }
}

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;
export const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/**
 * An address filter's value: a net, or a text matched exactly for a value that is no address
 * at all ('*', the target of a horizontal scan).
 */
export type AddressValue = Cidr | string;

export interface CheckedQuery {
  q: EventQuery;
  limit: number;
  bucketMs: number;
  /** The source and target filters read (undefined: no constraint). */
  sources: AddressValue[] | undefined;
  targets: AddressValue[] | undefined;
}

export function fail(message: string): never {
  throw new StoreQueryError(message);
}

function checkStrings(name: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`filter ${name} must be a list of text values, got ${JSON.stringify(v)}`);
  return v.length > 0 ? (v as string[]) : undefined;
}

/** A value that looks like an address but is not one (10.0.0.5/8, 1.2.3.256) is refused rather than matching nothing. */
function addressValues(name: string, values: string[] | undefined): AddressValue[] | undefined {
  return values?.map((v) => {
    try {
      return parseCidr(v);
    } catch (err) {
      if (/^[\s0-9a-fA-F.:/]+$/.test(v) && /[0-9]/.test(v)) fail(`filter ${name}: ${(err as Error).message}`);
      return v;
    }
  });
}

/** Validates a query; throws StoreQueryError. */
export function checkQuery(q: EventQuery): CheckedQuery {
  if (!EVENT_KINDS.includes(q.kind)) fail(`kind ${JSON.stringify(q.kind)} is not one of ${EVENT_KINDS.join(', ')}`);
  if (!Number.isFinite(q.from) || !Number.isFinite(q.to)) fail(`the range needs finite from/to (ms since the epoch), got ${q.from}..${q.to}`);
  if (q.from > q.to) fail(`the range starts (${new Date(q.from).toISOString()}) after it ends (${new Date(q.to).toISOString()}): swap from and to`);
  if (!['count', 'top', 'trend', 'list'].includes(q.measure)) fail(`measure ${JSON.stringify(q.measure)} is not one of count, top, trend, list`);
  if (q.groupBy !== undefined && !EVENT_FIELDS.includes(q.groupBy)) fail(`groupBy ${JSON.stringify(q.groupBy)} is not one of ${EVENT_FIELDS.join(', ')}`);
  if (q.measure === 'top' && q.groupBy === undefined) fail('measure top needs groupBy: the field whose most frequent values to give');
  if (q.measure === 'list' && q.groupBy !== undefined) fail('measure list gives events, not groups: drop groupBy or use count/top');
  const limit = q.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) fail(`limit ${limit} must be a whole number from 1 to ${MAX_LIMIT}`);
  const bucket = q.bucket ?? 'hour';
  if (!(bucket in BUCKET_MS)) fail(`bucket ${JSON.stringify(bucket)} is not one of minute, hour, day`);
  const f = q.filters ?? {};
  if (f.minScore !== undefined && !(typeof f.minScore === 'number' && f.minScore >= 0 && f.minScore <= 1)) {
    fail(`minScore ${f.minScore} must be a number from 0 to 1 (high risk is 0.8)`);
  }
  if (f.asn !== undefined && (!Array.isArray(f.asn) || f.asn.some((a) => !Number.isInteger(a) || a < 0))) {
    fail(`filter asn must be a list of AS numbers, got ${JSON.stringify(f.asn)}`);
  }
  if (f.blockable !== undefined && f.blockable !== true) fail(`filter blockable must be true or absent, got ${JSON.stringify(f.blockable)}`);
  if (f.blockable && q.kind !== 'alert') fail(`filter blockable is about alerts (whether their source may be banned), not ${q.kind}s`);
  if (f.realSource !== undefined && f.realSource !== true) fail(`filter realSource must be true or absent, got ${JSON.stringify(f.realSource)}`);
  if (f.realSource && q.kind !== 'alert') fail(`filter realSource is about alerts (whether their source is a flood's spoofed one), not ${q.kind}s`);
  for (const name of ['type', 'country', 'node', 'detector'] as const) checkStrings(name, f[name]);
  return {
    q,
    limit,
    bucketMs: BUCKET_MS[bucket],
    sources: addressValues('source', checkStrings('source', f.source)),
    targets: addressValues('target', checkStrings('target', f.target)),
  };
}
