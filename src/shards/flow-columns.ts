// Flow summaries as columns, for a shard thread's messages to the main thread. Posted as an
// array of FlowRecord objects, each record was structured-cloned field by field (every
// property name written and read again for every record, an object rebuilt from them): the
// threads' postMessage and the main thread's reading of it were the largest cost the threads
// paid that actor shards do not. Here a batch of records is one Float64Array (NUMBERS values a
// record, transferred, not copied), one string (the addresses and countries, joined: an array
// of them cloned string by string cost 3 times as much) and the rare attempt aggregates, and
// the main thread builds the records back from them.

import type { AttemptSummary } from '../detect/attempt-aggregates.ts';
import type { FlowEnd, FlowRecord } from '../detect/flow-record.ts';

export interface FlowColumns {
  count: number;
  /**
   * NUMBERS values per record, in the order of `encodeFlows`; NaN: absent (servicePort, asn).
   * The last is the end's code (ENDS) + 8 × (1 + the index of the record's aggregate in
   * `attempts`), or the end's code alone for a record without one.
   */
  numbers: Float64Array;
  /** source, target, country ('' for none) of each record, joined by newlines (addresses, '*' and country codes hold none). */
  text: string;
  /** The records' attempt aggregates, in record order. */
  attempts: AttemptSummary[];
}

const NUMBERS = 13;
const ENDS: readonly FlowEnd[] = ['fin', 'rst', 'idle', 'active', 'evicted', 'flush', 'slot'];
const END_CODE: Record<FlowEnd, number> = Object.fromEntries(ENDS.map((e, i) => [e, i])) as Record<FlowEnd, number>;

/** `flows` as columns; its `numbers` buffer is the one to transfer. */
export function encodeFlows(flows: readonly FlowRecord[]): FlowColumns {
  const n = flows.length;
  const numbers = new Float64Array(n * NUMBERS);
  const text = new Array<string>(n * 3);
  const attempts: AttemptSummary[] = [];
  for (let i = 0, o = 0; i < n; i++, o += NUMBERS) {
    const f = flows[i]!;
    numbers[o] = f.protocol;
    numbers[o + 1] = f.sport;
    numbers[o + 2] = f.dport;
    numbers[o + 3] = f.servicePort ?? NaN;
    numbers[o + 4] = f.firstTs;
    numbers[o + 5] = f.lastTs;
    numbers[o + 6] = f.packets;
    numbers[o + 7] = f.bytes;
    numbers[o + 8] = f.tcpFlags;
    numbers[o + 9] = f.anomalous;
    numbers[o + 10] = f.scored;
    numbers[o + 11] = f.asn ?? NaN;
    numbers[o + 12] = END_CODE[f.end] + (f.attempts ? (attempts.push(f.attempts) << 3) : 0);
    text[i * 3] = f.source;
    text[i * 3 + 1] = f.target;
    text[i * 3 + 2] = f.country ?? '';
  }
  return { count: n, numbers, text: text.join('\n'), attempts };
}

/** The records `encodeFlows` was given, equal field by field (absent optional fields stay absent). */
export function decodeFlows(c: FlowColumns): FlowRecord[] {
  const { numbers, attempts } = c;
  const text = c.text.split('\n');
  const out = new Array<FlowRecord>(c.count);
  for (let i = 0, o = 0; i < c.count; i++, o += NUMBERS) {
    const servicePort = numbers[o + 3]!;
    const asn = numbers[o + 11]!;
    const code = numbers[o + 12]!;
    const country = text[i * 3 + 2]!;
    const f: FlowRecord = {
      source: text[i * 3]!,
      target: text[i * 3 + 1]!,
      protocol: numbers[o]!,
      sport: numbers[o + 1]!,
      dport: numbers[o + 2]!,
      firstTs: numbers[o + 4]!,
      lastTs: numbers[o + 5]!,
      packets: numbers[o + 6]!,
      bytes: numbers[o + 7]!,
      tcpFlags: numbers[o + 8]!,
      anomalous: numbers[o + 9]!,
      scored: numbers[o + 10]!,
      country: country === '' ? null : country,
      asn: Number.isNaN(asn) ? null : asn,
      end: ENDS[code & 7]!,
    };
    if (!Number.isNaN(servicePort)) f.servicePort = servicePort;
    if (code >= 8) f.attempts = attempts[(code >> 3) - 1]!;
    out[i] = f;
  }
  return out;
}
