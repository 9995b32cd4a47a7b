// One stored event as the store keeps it (an alert or a decision, flattened), the result
// shape of every query, and the conversions from what the detectors and the responder make.

import type { Alert } from '../detect/alert.ts';
import type { Decision } from '../respond/decision.ts';
import type { FlowRecord } from '../detect/flow-record.ts';
import type { EventKind } from './event-query.ts';
import { AsciiWriter } from '../util/ascii-writer.ts';

export interface EventRow {
  /** Node-local, increasing. */
  id: number;
  kind: EventKind;
  /** Wall-clock time, ms since the epoch. */
  at: number;
  /** Alert type, decision action, or flow service ('tcp/22'). */
  type: string;
  source: string;
  target: string;
  country: string | null;
  asn: number | null;
  score: number;
  node: string;
  detector: string;
  /** JSON: an alert's evidence (and asnOrg), a decision's reason and TTL, a flow's counts (flowRow). */
  detail: string;
  /**
   * Events the row stands for (absent: 1): an aggregate of unverified attempts (flowRow) is
   * one row for its flows, and every count sums this. Not a column of query answers (a list
   * shows the count in the detail).
   */
  n?: number;
  /**
   * An alert's flow-feature vector (what "events like this one" compares), stored with it;
   * not a column of query answers.
   */
  features?: Float32Array;
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
 * What an alert's detail holds when its source may not be banned (alertRow; JSON.stringify
 * writes no spaces, and a quote inside a string value is escaped, so only the key matches).
 * The blockable filter matches it in every engine.
 */
export const NOT_BLOCKABLE_DETAIL = '"blockable":false';

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
    ...(a.features ? { features: Float32Array.from(a.features) } : {}),
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

const PROTOCOL_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };

/**
 * What a flow's row calls its service: 'tcp/22' (the destination port, or an unanswered
 * reply's source port: FlowRecord.servicePort), 'udp/53', 'icmp/8' (the ICMP type), 'ip/47';
 * a target's many-ports aggregate (attempts.ports) 'tcp/*' or 'udp/*'.
 */
export function flowService(f: Pick<FlowRecord, 'protocol' | 'dport' | 'servicePort' | 'attempts'>): string {
  const name = PROTOCOL_NAMES[f.protocol];
  if (name === undefined) return `ip/${f.protocol}`;
  if (f.protocol === 1 || f.protocol === 58) return `${name}/${f.dport >> 8}`;
  if (f.attempts?.ports !== undefined) return `${name}/*`;
  return `${name}/${f.servicePort ?? f.dport}`;
}

const TCP_FLAG_LETTERS = 'FSRPAUEC';

function flagLetters(flags: number): string {
  let s = '';
  for (let i = 0; i < TCP_FLAG_LETTERS.length; i++) if (flags & (1 << i)) s += TCP_FLAG_LETTERS[i];
  return s;
}

/** Every combination of the eight flags, spelled once (a flow row spells one each). */
const FLAG_SPELLINGS = Array.from({ length: 256 }, (_, f) => flagLetters(f));

/** TCP flags as tcpdump's letters in bit order (F S R P A U E C), '' for none. */
export function tcpFlagLetters(flags: number): string {
  return FLAG_SPELLINGS[flags & 0xff]!;
}

/**
 * A flow summary as a row, at `at` (wall clock when this node ended it, like an alert's).
 * Its `n` is how many flows it counts as: 1, or for an aggregate of unverified attempts
 * (FlowRecord.attempts), one row for many, their flows, with their packets and bytes, and in
 * its detail `attempts`: how many flows, how many distinct sources (exact, or an estimate: sourcesExact), a few sample sources, its
 * slot, and for a target's many-ports aggregate how many distinct ports (`ports`). Its source
 * is '*' unless one source made all of them.
 * Its score is the share of its packets the anomaly model scored over its threshold (0 when
 * no model scored it), so "high-risk flows" means what minScore means for alerts: 0.8 is
 * four packets in five. The counts and the capture times go in the detail.
 */
export function flowRow(f: FlowRecord, id: number, node: string, at: number): EventRow {
  return flowRowInto(blankFlowRow(), f, id, node, at);
}

/** A row for flowRowInto to fill: every field a flow row has, so writing one never changes its shape. */
export function blankFlowRow(): EventRow {
  return { id: 0, kind: 'flow', at: 0, type: '', source: '', target: '', country: null, asn: null, score: 0, node: '', detector: '', detail: '', n: 1 };
}

/**
 * flowRow() written into `row` (the event store's one reused row, from blankFlowRow: its tiers
 * copy the values, so a flow makes no row object); `n` is always set, 1 for a single flow.
 */
export function flowRowInto(row: EventRow, f: FlowRecord, id: number, node: string, at: number): EventRow {
  row.id = id;
  row.kind = 'flow';
  row.at = at;
  row.type = flowService(f);
  row.source = f.source;
  row.target = f.target;
  row.country = f.country;
  row.asn = f.asn;
  row.score = f.scored > 0 ? f.anomalous / f.scored : 0;
  row.node = node;
  row.detector = 'flow-meter';
  row.detail = flowDetail(f);
  row.n = f.attempts ? f.attempts.flows : 1;
  return row;
}

/** The writer of flow rows' details (one at a time: flowDetail returns before the next call). */
const detailWriter = new AsciiWriter();

/**
 * A flow row's detail, JSON written by hand into a reused buffer, one flat string out (a row
 * per flow: 2.6 times faster than JSON.stringify of an object, and joined with `+` it was
 * ~800 bytes of cons strings and number strings a row, the main thread's largest garbage):
 * the same text JSON.stringify writes for { protocol, sport, dport, packets, bytes, start,
 * durationMs, flags (TCP), reply (an unanswered reply, counted under its source port:
 * flowService), anomalous, end, attempts (an aggregate) }. Every value is a number or a fixed
 * word, except the aggregate's, which JSON.stringify writes.
 */
export function flowDetail(f: FlowRecord): string {
  const a = f.attempts;
  const w = detailWriter.reset();
  w.text('{"protocol":').number(f.protocol).text(',"sport":').number(f.sport).text(',"dport":').number(f.dport);
  w.text(',"packets":').number(f.packets).text(',"bytes":').number(f.bytes).text(',"start":').number(Math.round(f.firstTs * 1000));
  w.text(',"durationMs":').number(Math.round((f.lastTs - f.firstTs) * 1000));
  if (f.protocol === 6) w.text(',"flags":"').text(tcpFlagLetters(f.tcpFlags)).text('"');
  if (f.servicePort !== undefined) w.text(',"reply":true');
  w.text(',"anomalous":').number(f.anomalous).text(',"end":"').text(f.end).text('"');
  if (!a) return w.text('}').take();
  // an aggregate (a row of many flows: few): its part as JSON.stringify writes it, any text
  const attempts = JSON.stringify({
    flows: a.flows, sources: a.sources, sourcesExact: a.sourcesExact, samples: a.samples,
    slotStart: Math.round(a.slotStart * 1000), slotS: a.slotS, reason: a.reason,
    ...(a.ports !== undefined ? { ports: a.ports } : {}),
  });
  return `${w.take()},"attempts":${attempts}}`;
}
