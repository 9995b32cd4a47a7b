// The structured query every question, tool and API call comes down to: which events (kind,
// time range, filters), and what of them (a count, a count by some field, the top values of a
// field, a trend over time buckets, or the events themselves). The ask engine shows it with
// every answer so the operator can check what was run; the store runs it on every tier.


/**
 * alert: what a detector raised; decision: what the responder did (ban, unban, …);
 * flow: a per-flow summary (NetFlow-style, one direction of a 5-tuple) written when the
 * flow ends; its type is the service ('tcp/22', 'udp/53', 'icmp/8', 'ip/47').
 */
export const EVENT_KINDS = ['alert', 'decision', 'flow'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Fields a query can filter or group on. */
export const EVENT_FIELDS = ['type', 'source', 'target', 'country', 'asn', 'node', 'detector'] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

export interface EventFilters {
  /** Alert types (src/detect/alert.ts ALERT_TYPES), decision actions ('ban', 'unban', …) or flow services ('tcp/22'). */
  type?: string[];
  /** Addresses or CIDRs (a CIDR matches every address in it). */
  source?: string[];
  target?: string[];
  /** ISO 3166-1 alpha-2, upper case ("CN"). */
  country?: string[];
  asn?: number[];
  node?: string[];
  detector?: string[];
  /** Risk score at least this (0–1); "high risk" is 0.8. */
  minScore?: number;
  /**
   * Alerts only: just those whose source may be banned (Alert.blockable; floods name spoofed
   * sources or abused reflectors and are not). The rollups do not keep it: raw events only.
   */
  blockable?: true;
  /**
   * Alerts only: leave out the victim-keyed floods' alerts (FLOOD_ALERT_TYPES, not blockable), whose
   * source is one of many spoofed addresses or abused reflectors: what a ranking of sources
   * ("top sources") uses. Unlike blockable it keeps the model's alerts whatever model.ban says.
   * Raw events only, like blockable; over compacted hours the answer is narrowed to where the
   * raw events start (QueryResult.narrowed).
   */
  realSource?: true;
}

export type Measure = 'count' | 'top' | 'trend' | 'list';

export interface EventQuery {
  kind: EventKind;
  /** Wall-clock range, ms since the epoch: from inclusive, to exclusive. */
  from: number;
  to: number;
  filters: EventFilters;
  /**
   * count: how many (with groupBy: how many per value, largest first);
   * top: the `limit` most frequent values of groupBy, with counts;
   * trend: counts per time bucket (and per groupBy value when given);
   * list: the newest `limit` events.
   */
  measure: Measure;
  groupBy?: EventField;
  bucket?: 'minute' | 'hour' | 'day';
  /** Rows at most (top, list, count with groupBy); default 10, at most 1000. */
  limit?: number;
}
