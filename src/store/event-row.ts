// One stored event as the store keeps it (an alert or a decision, flattened), the result
// shape of every query, and the conversions from what the detectors and the responder make.

import type { Alert } from '../detect/alert.ts';
import type { Decision } from '../respond/decision.ts';

export interface EventRow {
  /** Node-local, increasing. */
  id: number;
  kind: 'alert' | 'decision';
  /** Wall-clock time, ms since the epoch. */
  at: number;
  /** Alert type, or decision action. */
  type: string;
  source: string;
  target: string;
  country: string | null;
  asn: number | null;
  score: number;
  node: string;
  detector: string;
  /** JSON: an alert's evidence (and asnOrg), a decision's reason and TTL. */
  detail: string;
}

/** The columns of a 'list' answer, in this order. */
export const ROW_COLUMNS = ['id', 'kind', 'at', 'type', 'source', 'target', 'country', 'asn', 'score', 'node', 'detector', 'detail'] as const;

export interface QueryResult {
  columns: string[];
  rows: Array<Array<string | number | null>>;
  /**
   * Present when the range starts or ends inside an hour that is only kept as a rollup: the
   * rollup part then covers whole hours inside [from, to) only, so the answer is for this
   * range (raw events outside it but inside [q.from, q.to) are still counted).
   */
  narrowed?: { from: number; to: number; reason: string };
}

/**
 * An alert as a row, at `at`: when this node saw it (wall clock), which is what "today" or
 * "the last hour" mean to an operator; a replayed capture's recorded time stays in the
 * detail as captureTs.
 */
export function alertRow(a: Alert, id: number, node: string, at: number): EventRow {
  return {
    id,
    kind: 'alert',
    at,
    type: a.type,
    source: a.source,
    target: a.target,
    country: a.geo?.country ?? null,
    asn: a.geo?.asn ?? null,
    score: a.score,
    node,
    detector: a.detector,
    detail: JSON.stringify({ ...a.evidence, ...(a.geo?.asnOrg ? { asnOrg: a.geo.asnOrg } : {}), blockable: a.blockable, captureTs: a.ts }),
  };
}

/** A decision as a row: the source is the address acted on; country and ASN come from the caller (the alert's, when there was one). */
export function decisionRow(d: Decision, id: number, node: string, geo?: { country: string | null; asn: number | null }): EventRow {
  return {
    id,
    kind: 'decision',
    at: d.at,
    type: d.action,
    source: d.address,
    target: '*',
    country: geo?.country ?? null,
    asn: geo?.asn ?? null,
    score: d.score,
    node,
    detector: d.detector,
    detail: JSON.stringify({ reason: d.reason, ttl: d.ttl, ...(d.offence !== undefined ? { offence: d.offence } : {}) }),
  };
}
