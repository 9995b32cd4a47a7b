// Answers written from given rows, in the question's language: counts, breakdowns, top lists,
// trends, event lists, block/unblock confirmations, empty results and refusals. Every number
// in an answer must come from the rows (a cell, the sum of the counts, how many rows) or from
// the question itself.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerText } from '../src/ask/answer-text.ts';
import type { FlowRecord } from '../src/detect/flow-record.ts';
import { evaluateQuery } from '../src/store/evaluate-query.ts';
import { flowRow, type EventRow, type QueryResult } from '../src/store/event-row.ts';
import { mergeResults } from '../src/store/merge-results.ts';
import { parseQuestion, type ParsedQuestion } from '../src/ask/parse-question.ts';

const NOW = new Date(Date.UTC(2024, 4, 15, 14, 30));
const TODAY = Date.UTC(2024, 4, 15);
const YESTERDAY = Date.UTC(2024, 4, 14);
const H = 3_600_000;
const MIN = 60_000;

function ask(text: string): ParsedQuestion {
  const parsed = parseQuestion(text, NOW, { timeZone: 'UTC' });
  assert.ok(parsed.ok || text.includes('Atlantis') || text.includes('Madrid'), `refused: ${!parsed.ok && parsed.missing}`);
  return parsed;
}

function answer(text: string, result: QueryResult, scope?: string): string {
  const parsed = ask(text);
  const out = answerText(parsed, result, { timeZone: 'UTC', scope });
  assertNoInventedNumbers(out, parsed, result, scope);
  return out;
}

/**
 * Every run of digits in the answer is in a cell, the sum of the count column, the number of
 * rows, the query's filters and limit, what was understood, or the scope. Clock times and
 * dates are left out here; the tests that print them check them exactly.
 */
function inventedNumbers(text: string, parsed: ParsedQuestion, result: QueryResult, scope?: string): string[] {
  const allowed = new Set<string>();
  const add = (s: string): void => {
    for (const n of s.match(/\d+/g) ?? []) allowed.add(n);
  };
  for (const row of result.rows) for (const cell of row) if (cell !== null) add(String(cell));
  const count = result.columns.findIndex((c) => c === 'count' || c === 'events');
  if (count >= 0) add(String(result.rows.reduce((s, r) => s + Number(r[count] ?? 0), 0)));
  add(String(result.rows.length));
  add(parsed.understood.join(' '));
  if (parsed.ok) {
    add(JSON.stringify(parsed.query.filters));
    add(String(parsed.query.limit ?? ''));
    add(parsed.period ?? '');
  }
  add(scope ?? '');
  const withoutTimes = text.replace(/\d{4}-\d{2}-\d{2}/g, ' ').replace(/\d{2}:\d{2}/g, ' ');
  return (withoutTimes.match(/\d+/g) ?? []).filter((n) => !allowed.has(n));
}

function assertNoInventedNumbers(text: string, parsed: ParsedQuestion, result: QueryResult, scope?: string): void {
  assert.deepEqual(inventedNumbers(text, parsed, result, scope), [], `numbers not from the rows in: ${text}`);
}

const BY_TYPE: QueryResult = {
  columns: ['type', 'count'],
  rows: [['ssh-brute-force', 23], ['port-scan-vertical', 10], ['port-scan-horizontal', 5], ['anomaly', 9]],
};
const EMPTY = (columns: string[]): QueryResult => ({ columns, rows: [] });

test('the seed\'s question: total and breakdown by type, from the rows, with the scope', () => {
  assert.equal(
    answer('¿Qué amenazas hemos visto desde China hoy?', BY_TYPE, 'los 3 nodos'),
    '47 eventos desde China hoy: 23 fuerza bruta SSH, 10 escaneo vertical de puertos, 5 escaneo horizontal de puertos, 9 anomalía. Ámbito: los 3 nodos.',
  );
  assert.equal(
    answer('What threats have we seen from China today?', BY_TYPE, 'node n2'),
    '47 events from China today: 23 SSH brute force, 10 vertical port scan, 5 horizontal port scan, 9 anomaly. Scope: node n2.',
  );
});

test('no rows: it says there were none, in either language', () => {
  assert.equal(answer('What threats have we seen from China today?', EMPTY(['type', 'count'])), 'No events from China today.');
  assert.equal(answer('¿Qué amenazas hemos visto desde China hoy?', EMPTY(['type', 'count'])), 'No hay eventos desde China hoy.');
  assert.equal(answer('How many SSH brute force attacks from Russia yesterday?', EMPTY(['count'])), 'No SSH brute force events from Russia yesterday.');
  assert.equal(answer('How many SSH brute force attacks from Russia yesterday?', { columns: ['count'], rows: [[0]] }), 'No SSH brute force events from Russia yesterday.');
  assert.equal(answer('top 5 sources in the last hour', EMPTY(['source', 'count'])), 'No events in the last hour.');
  assert.equal(answer('tendencia de escaneos de puertos por hora hoy', EMPTY(['bucket', 'count'])), 'No hay eventos de escaneo de puertos hoy.');
  assert.equal(answer('muestra los últimos eventos de 1.2.3.4', EMPTY(['ts', 'type'])), 'No hay eventos desde 1.2.3.4 en las últimas 24 horas.');
});

test('counts, singular and plural, alerts and decisions', () => {
  assert.equal(answer('How many SSH brute force attacks from Russia yesterday?', { columns: ['count'], rows: [[12]] }), '12 SSH brute force events from Russia yesterday.');
  assert.equal(answer('How many SSH brute force attacks from Russia yesterday?', { columns: ['count'], rows: [[1]] }), '1 SSH brute force event from Russia yesterday.');
  assert.equal(answer('¿Cuántos bloqueos hubo ayer?', { columns: ['count'], rows: [[3]] }), '3 bloqueos ayer.');
  assert.equal(answer('¿Cuántos bloqueos hubo ayer?', { columns: ['count'], rows: [[1]] }), '1 bloqueo ayer.');
  assert.equal(
    answer('ataques de alto riesgo desde Brasil en los últimos 30 minutos', { columns: ['type', 'count'], rows: [['syn-flood', 4]] }),
    '4 eventos de alto riesgo desde Brasil en los últimos 30 minutos: 4 inundación SYN.',
  );
  assert.equal(answer('alerts with score above 0.9 from AS4134', { columns: ['type', 'count'], rows: [['scan-probe', 2]] }),
    '2 events with risk ≥ 0.9 from AS4134 in the last 24 hours: 2 scan probe.');
  // One type asked and found: no breakdown repeating the total.
  assert.equal(answer('ssh brute force from Russia yesterday', { columns: ['type', 'count'], rows: [['ssh-brute-force', 7]] }),
    '7 SSH brute force events from Russia yesterday.');
});

test('breakdowns by another field, with unknown values, and cut at the limit without a false total', () => {
  assert.equal(
    answer('high risk attacks by country today', { columns: ['country', 'count'], rows: [['CN', 3], [null, 1]] }),
    '4 high-risk events today by country: China (CN): 3; unknown: 1.',
  );
  // Ten rows for a limit of ten: more countries may exist, so no total is claimed.
  const codes = ['CN', 'RU', 'US', 'BR', 'IN', 'DE', 'NL', 'FR', 'GB', 'VN'];
  const rows = codes.map((c, i) => [c, 10 - i]);
  const text = answer('ataques por país', { columns: ['country', 'count'], rows });
  assert.ok(text.startsWith('Eventos en las últimas 24 horas, por país (los 10 con más): China (CN): 10; Rusia (RU): 9; '), text);
  assert.ok(!text.includes('55'), text);
  // Column names other than "count" are found by their numbers.
  assert.equal(answer('ataques por ASN hoy', { columns: ['asn', 'events'], rows: [[4134, 6], [4837, 2]] }), '8 eventos hoy, por ASN: AS4134: 6; AS4837: 2.');
});

test('top lists: how many distinct values when all fit, "top N" when the list may be cut', () => {
  assert.equal(
    answer('top 5 sources in the last hour', { columns: ['source', 'count'], rows: [['1.2.3.4', 120], ['5.6.7.8', 80]] }),
    '2 distinct sources with events in the last hour: 1.2.3.4: 120; 5.6.7.8: 80.',
  );
  assert.equal(
    answer('los 2 países que más nos atacan', { columns: ['country', 'count'], rows: [['CN', 30], ['RU', 17]] }),
    'Top 2 países con eventos en las últimas 24 horas: China (CN): 30; Rusia (RU): 17.',
  );
  assert.equal(
    answer('cuántas IPs hemos bloqueado hoy', { columns: ['source', 'count'], rows: [['1.2.3.4', 1], ['9.9.9.9', 2]] }),
    '2 orígenes distintos con bloqueos hoy: 1.2.3.4: 1; 9.9.9.9: 2.',
  );
  assert.equal(
    answer('bloqueos por fuerza bruta hoy', { columns: ['source', 'count'], rows: [['1.2.3.4', 1]] }),
    '1 origen distinto con bloqueos por fuerza bruta hoy: 1.2.3.4: 1.',
  );
  // A long distinct list shows its first 20 and says there are more.
  const many = Array.from({ length: 25 }, (_, i) => [`10.0.0.${i + 1}`, 30 - i]);
  const text = answer('how many distinct sources today', { columns: ['source', 'count'], rows: many });
  assert.ok(text.startsWith('25 distinct sources with events today: 10.0.0.1: 30; '), text);
  assert.ok(text.endsWith('10.0.0.20: 11; ….'), text);
  assert.ok(!text.includes('10.0.0.21'), text);
});

test('trends: per bucket on the zone\'s clock, total and peak; by a field', () => {
  const hour = (h: number): number => TODAY + h * H;
  assert.equal(
    answer('tendencia de escaneos de puertos por hora hoy', { columns: ['bucket', 'count'], rows: [[hour(10), 5], [hour(11), 8], [hour(12), 0]] }),
    '13 eventos de escaneo de puertos hoy, por hora: 10:00: 5; 11:00: 8; 12:00: 0. Pico: 8 (11:00).',
  );
  // Buckets as the store gives them (ISO instants), and in seconds (as captures keep time), read the same.
  assert.equal(
    answer('port scan trend per hour today', {
      columns: ['bucket', 'count'],
      rows: [['2024-05-15T10:00:00.000Z', 5], ['2024-05-15T11:00:00.000Z', 8]],
    }),
    '13 port scan events today per hour: 10:00: 5; 11:00: 8. Peak: 8 (11:00).',
  );
  assert.equal(
    answer('port scan trend per hour today', { columns: ['bucket', 'count'], rows: [[hour(10) / 1000, 5], [hour(11) / 1000, 8]] }),
    '13 port scan events today per hour: 10:00: 5; 11:00: 8. Peak: 8 (11:00).',
  );
  assert.equal(
    answer('trend of attacks per day this week by country', {
      columns: ['bucket', 'country', 'count'],
      rows: [[Date.UTC(2024, 4, 13), 'CN', 3], [Date.UTC(2024, 4, 13), 'RU', 2], [Date.UTC(2024, 4, 14), 'CN', 7]],
    }),
    '12 events this week per day: 2024-05-13: China (CN): 3, Russia (RU): 2; 2024-05-14: China (CN): 7.',
  );
  // The same instant on Madrid's clock is two hours later.
  const parsed = ask('tendencia de escaneos de puertos por hora hoy');
  assert.match(answerText(parsed, { columns: ['bucket', 'count'], rows: [[hour(10), 5]] }, { timeZone: 'Europe/Madrid' }), /12:00: 5/);
});

test('lists: one line per event, newest first as the store gave them', () => {
  // The store's list columns (src/store/event-row.ts ROW_COLUMNS); id, kind and detail are not shown.
  const rows: QueryResult = {
    columns: ['id', 'kind', 'at', 'type', 'source', 'target', 'country', 'asn', 'score', 'node', 'detector', 'detail'],
    rows: [
      [7, 'alert', TODAY + 14 * H + 2 * 60_000, 'ssh-brute-force', '1.2.3.4', '10.0.0.5', 'CN', 4134, 0.93, 'n1', 'rules', '{"attempts":31}'],
      [6, 'alert', TODAY + 13 * H + 50 * 60_000, 'syn-flood', '5.6.7.8', '10.0.0.5', null, null, 0.7, 'n2', 'rules', '{}'],
    ],
  };
  assert.equal(
    answer('show the latest 2 alerts against 10.0.0.5', rows, 'all 3 nodes'),
    'Events against 10.0.0.5 in the last 24 hours, latest first:\n' +
      '- 2024-05-15 14:02 SSH brute force 1.2.3.4 → 10.0.0.5 (CN, AS4134, risk 0.93, node: n1, detector: rules)\n' +
      '- 2024-05-15 13:50 SYN flood 5.6.7.8 → 10.0.0.5 (risk 0.7, node: n2, detector: rules)\n' +
      'Scope: all 3 nodes.',
  );
  // Within one day the date is left out.
  assert.equal(
    answer('muestra los eventos de hoy', rows),
    'Eventos hoy, los más recientes:\n' +
      '- 14:02 fuerza bruta SSH 1.2.3.4 → 10.0.0.5 (CN, AS4134, riesgo 0.93, node: n1, detector: rules)\n' +
      '- 13:50 inundación SYN 5.6.7.8 → 10.0.0.5 (riesgo 0.7, node: n2, detector: rules)',
  );
});

test('commands: the addresses to act on, awaiting confirmation, or that there are none', () => {
  const seed = 'bloquea todas las IPs chinas que hayan hecho fuerza bruta SSH';
  assert.equal(
    answer(seed, { columns: ['source', 'count'], rows: [['1.2.3.4', 12], ['5.6.7.8', 3]] }),
    'Direcciones a bloquear (falta confirmar), con eventos de fuerza bruta SSH desde China en las últimas 24 horas: 1.2.3.4: 12; 5.6.7.8: 3.',
  );
  assert.equal(
    answer(seed, EMPTY(['source', 'count'])),
    'Ninguna dirección coincide con eventos de fuerza bruta SSH desde China en las últimas 24 horas: no hay nada que bloquear.',
  );
  assert.equal(
    answer('unblock 1.2.3.4', { columns: ['source', 'count'], rows: [['1.2.3.4', 1]] }),
    'Addresses to unblock (awaiting confirmation), with bans from 1.2.3.4: 1.2.3.4: 1.',
  );
  assert.equal(answer('unblock all chinese IPs', EMPTY(['source', 'count'])), 'No address matches bans from China: nothing to unblock.');
});

test('a refused question answers with what was missing and what was understood, no numbers', () => {
  assert.equal(answer('how many from Atlantis', EMPTY([])), '"Atlantis": not a country I know. I understood: measure: how many.');
  assert.equal(answer('¿qué tiempo hace en Madrid?', EMPTY([])), 'No entendí: «tiempo», «hace». «Madrid»: no es un país que conozca.');
  // Rows handed in by mistake are not turned into an answer.
  assert.equal(answer('how many from Atlantis', { columns: ['count'], rows: [[99]] }), '"Atlantis": not a country I know. I understood: measure: how many.');
});

test('a query from a tool call (no words for its period) states its range on the clock', () => {
  const parsed: ParsedQuestion = {
    ok: true, language: 'en', intent: 'ask', understood: [],
    query: { kind: 'alert', from: TODAY + 10 * H, to: TODAY + 12 * H, filters: { country: ['CN'] }, measure: 'count' },
  };
  assert.equal(answerText(parsed, { columns: ['count'], rows: [[5]] }, { timeZone: 'UTC' }), '5 events from China between 10:00 and 12:00.');
});

test('the number check itself catches a number that is not in the rows', () => {
  const parsed = ask('¿Qué amenazas hemos visto desde China hoy?');
  assert.deepEqual(inventedNumbers('48 eventos desde China hoy: 23 fuerza bruta SSH', parsed, BY_TYPE), ['48']);
  assert.deepEqual(inventedNumbers(answerText(parsed, BY_TYPE, { timeZone: 'UTC' }), parsed, BY_TYPE), []);
});

// ---- flows: rows as the flow meter's records become them, answered by the store's own engine

function flow(id: number, at: number, source: string, target: string, protocol: number, dport: number, country: string | null, risky = false): EventRow {
  const r: FlowRecord = {
    source, target, protocol, sport: 40_000 + id, dport, firstTs: (at - 5000) / 1000, lastTs: at / 1000, packets: 10, bytes: 1200 + id,
    tcpFlags: protocol === 6 ? 0x1b : 0, anomalous: risky ? 9 : 0, scored: risky ? 10 : 0, country, asn: country === 'CN' ? 4134 : null, end: 'fin',
  };
  return flowRow(r, id, 'n1', at);
}

const FLOWS: EventRow[] = [
  ...Array.from({ length: 8 }, (_, i) => flow(i + 1, TODAY + 9 * H + i * MIN, '203.0.113.5', '10.0.0.5', 6, 22, 'CN')),
  ...Array.from({ length: 4 }, (_, i) => flow(i + 11, TODAY + 11 * H + i * MIN, '203.0.113.9', '10.0.0.53', 17, 53, 'CN')),
  ...Array.from({ length: 3 }, (_, i) => flow(i + 21, TODAY + 13 * H + i * MIN, '198.51.100.7', '10.0.0.5', 6, 22, 'RU', true)),
  flow(31, TODAY + 12 * H, '192.0.2.44', '10.0.0.1', 1, 8 << 8, 'US'), // an echo request: icmp/8
  ...Array.from({ length: 5 }, (_, i) => flow(i + 41, YESTERDAY + 20 * H + i * MIN, '203.0.113.5', '10.0.0.80', 6, 80, 'CN')),
];

/** The question, run over FLOWS by the in-memory engine, answered. */
function flowAnswer(text: string): string {
  const parsed = ask(text);
  assert.ok(parsed.ok);
  assert.equal(parsed.query.kind, 'flow', text);
  const result = evaluateQuery(FLOWS, parsed.query);
  const out = answerText(parsed, result, { timeZone: 'UTC' });
  assertNoInventedNumbers(out, parsed, result);
  return out;
}

test('flows: counted by service, by default and when asked, in both languages', () => {
  assert.equal(flowAnswer('flows from China today'), '12 flows from China today: 8 tcp/22, 4 udp/53.');
  assert.equal(flowAnswer('flujos desde China hoy'), '12 flujos desde China hoy: 8 tcp/22, 4 udp/53.');
  assert.equal(flowAnswer('how many flows from China today'), '12 flows from China today.');
  assert.equal(flowAnswer('¿cuántas conexiones desde Rusia hoy?'), '3 flujos desde Rusia hoy.');
  // A port is its TCP and UDP services, said as the port.
  assert.equal(flowAnswer('how many flows to port 22 today'), '11 flows on port 22 today.');
  assert.equal(flowAnswer('¿cuántas conexiones al puerto 22 hoy?'), '11 flujos en el puerto 22 hoy.');
  // One service asked and found: no breakdown repeating the total.
  assert.equal(flowAnswer('ssh connections from Russia today'), '3 flows on tcp/22 from Russia today.');
  assert.equal(flowAnswer('flows to tcp/22 or udp/53 against 10.0.0.53 today'), '4 flows on tcp/22 or udp/53 to 10.0.0.53 today: 4 udp/53.');
  assert.equal(flowAnswer('high-risk flows today'), '3 high-risk flows today: 3 tcp/22.');
  assert.equal(flowAnswer('flujos de alto riesgo hoy'), '3 flujos de alto riesgo hoy: 3 tcp/22.');
  assert.equal(flowAnswer('conexiones desde Brasil hoy'), 'No hay flujos desde Brasil hoy.');
  assert.equal(flowAnswer('flows from Brazil today'), 'No flows from Brazil today.');
});

test('flows: top services and targets, a trend, and the latest flows with their sizes', () => {
  assert.equal(flowAnswer('top services of flows today'), '3 distinct services with flows today: 11 tcp/22, 4 udp/53, 1 icmp/8.');
  assert.equal(flowAnswer('servicios más vistos hoy'), '3 servicios distintos con flujos hoy: 11 tcp/22, 4 udp/53, 1 icmp/8.');
  assert.equal(flowAnswer('top 2 services of flows since yesterday'), 'Top 2 services with flows since yesterday: 11 tcp/22, 5 tcp/80.');
  assert.equal(flowAnswer('principales destinos de los flujos hoy'), '3 destinos distintos con flujos hoy: 10.0.0.5: 11; 10.0.0.53: 4; 10.0.0.1: 1.');
  assert.equal(flowAnswer('flujos por país hoy'), '16 flujos hoy, por país: China (CN): 12; Rusia (RU): 3; Estados Unidos (US): 1.');
  assert.equal(flowAnswer('connections to 10.0.0.5 per hour today'), '11 flows to 10.0.0.5 today per hour: 09:00: 8; 13:00: 3. Peak: 8 (09:00).');
  assert.equal(
    flowAnswer('show the last 2 flows from 198.51.100.7'),
    'Flows from 198.51.100.7 in the last 24 hours, latest first:\n' +
      '- 2024-05-15 13:02 tcp/22 198.51.100.7 → 10.0.0.5 (RU, 10 packets, 1223 bytes, risk 0.9, node: n1, detector: flow-meter)\n' +
      '- 2024-05-15 13:01 tcp/22 198.51.100.7 → 10.0.0.5 (RU, 10 packets, 1222 bytes, risk 0.9, node: n1, detector: flow-meter)',
  );
  assert.equal(
    flowAnswer('muestra las conexiones de hoy al puerto 53'),
    'Flujos en el puerto 53 hoy, los más recientes:\n' +
      '- 11:03 udp/53 203.0.113.9 → 10.0.0.53 (CN, AS4134, 10 paquetes, 1214 bytes, riesgo 0, node: n1, detector: flow-meter)\n' +
      '- 11:02 udp/53 203.0.113.9 → 10.0.0.53 (CN, AS4134, 10 paquetes, 1213 bytes, riesgo 0, node: n1, detector: flow-meter)\n' +
      '- 11:01 udp/53 203.0.113.9 → 10.0.0.53 (CN, AS4134, 10 paquetes, 1212 bytes, riesgo 0, node: n1, detector: flow-meter)\n' +
      '- 11:00 udp/53 203.0.113.9 → 10.0.0.53 (CN, AS4134, 10 paquetes, 1211 bytes, riesgo 0, node: n1, detector: flow-meter)',
  );
});

test('unanswered replies: a list line says they are counted under their source port, aggregated or not', () => {
  const at = TODAY + 10 * H;
  const base: FlowRecord = {
    source: '198.51.100.1', target: '10.0.0.9', protocol: 6, sport: 80, dport: 51_234, servicePort: 80, firstTs: at / 1000 - 1, lastTs: at / 1000, packets: 2, bytes: 120,
    tcpFlags: 0x12, anomalous: 0, scored: 0, country: null, asn: null, end: 'idle',
  };
  const agg: FlowRecord = {
    ...base, source: '*', dport: 0, packets: 900, bytes: 54_000, end: 'slot',
    attempts: { flows: 450, sources: 300, sourcesExact: true, samples: ['198.51.100.1', '198.51.100.2'], slotStart: at / 1000 - 60, slotS: 60, reason: 'unanswered-replies' },
  };
  const rows = [flowRow(agg, 1, 'n1', at + MIN), flowRow(base, 2, 'n1', at)];
  const parsed = ask('show the flows to 10.0.0.9 today');
  assert.ok(parsed.ok);
  const result = evaluateQuery(rows, parsed.query);
  const out = answerText(parsed, result, { timeZone: 'UTC' });
  assertNoInventedNumbers(out, parsed, result);
  assert.equal(
    out,
    'Flows to 10.0.0.9 today, latest first:\n' +
      '- 10:01 tcp/80 spoofed/unverified sources → 10.0.0.9 (450 flows from spoofed/unverified sources: 300 distinct, e.g. 198.51.100.1 198.51.100.2, unanswered replies from port 80, counted under that source port, 900 packets, 54000 bytes, risk 0, node: n1, detector: flow-meter)\n' +
      '- 10:00 tcp/80 198.51.100.1 → 10.0.0.9 (unanswered replies from port 80, counted under that source port, 2 packets, 120 bytes, risk 0, node: n1, detector: flow-meter)',
  );
  assert.deepEqual(evaluateQuery(rows, { ...parsed.query, measure: 'count', groupBy: 'type' }).rows, [['tcp/80', 451]]);
});

test('a target\'s many-ports row (tcp/*): a list line names the scanner and says how many ports it stands for', () => {
  const at = TODAY + 10 * H;
  const scan: FlowRecord = {
    source: '198.51.100.7', target: '10.0.0.9', protocol: 6, sport: 0, dport: 0, firstTs: at / 1000 - 50, lastTs: at / 1000, packets: 1487, bytes: 86_246,
    tcpFlags: 0x02, anomalous: 0, scored: 0, country: null, asn: null, end: 'slot',
    attempts: { flows: 1487, sources: 1, sourcesExact: true, samples: ['198.51.100.7'], slotStart: at / 1000 - 60, slotS: 60, reason: 'unverified-attempts', ports: 744 },
  };
  const rows = [flowRow(scan, 1, 'n1', at)];
  for (const [q, line] of [
    ['show the flows from 198.51.100.7 today', 'Flows from 198.51.100.7 today, latest first:\n- 10:00 tcp/* 198.51.100.7 → 10.0.0.9 (1487 flows from spoofed/unverified sources: 1 distinct, 744 ports besides those with rows of their own, 1487 packets, 86246 bytes, risk 0, node: n1, detector: flow-meter)'],
    ['muestra los flujos desde 198.51.100.7 hoy', 'Flujos desde 198.51.100.7 hoy, los más recientes:\n- 10:00 tcp/* 198.51.100.7 → 10.0.0.9 (1487 flujos de orígenes no verificados (quizá falsificados): 1 distinto, 744 puertos además de los que tienen fila propia, 1487 paquetes, 86246 bytes, riesgo 0, node: n1, detector: flow-meter)'],
  ] as const) {
    const parsed = ask(q);
    assert.ok(parsed.ok, q);
    const result = evaluateQuery(rows, parsed.query);
    const out = answerText(parsed, result, { timeZone: 'UTC' });
    assertNoInventedNumbers(out, parsed, result);
    assert.equal(out, line);
  }
});

test('a command over flows: the sources of the matching flows, awaiting confirmation', () => {
  assert.equal(
    flowAnswer('bloquea los orígenes de las conexiones al puerto 22 de hoy'),
    'Direcciones a bloquear (falta confirmar), con flujos en el puerto 22 hoy: 203.0.113.5: 8; 198.51.100.7: 3.',
  );
});

// ---- answers the store narrowed to whole hours (older events kept as hourly rollups)

const LAST_DAY_NARROWED = { from: YESTERDAY + 15 * H, to: NOW.getTime(), reason: 'events before … are kept per hour' };

test('a narrowed answer says which whole hours it counted, in the question\'s language', () => {
  assert.equal(
    answer('how many flows from China in the last 24 hours', { columns: ['count'], rows: [[12]], narrowed: LAST_DAY_NARROWED }),
    '12 flows from China in the last 24 hours (older events are kept per hour: counted from 2024-05-14 15:00 to 2024-05-15 14:30).',
  );
  assert.equal(
    answer('¿cuántos flujos desde China en las últimas 24 horas?', { columns: ['count'], rows: [[12]], narrowed: LAST_DAY_NARROWED }),
    '12 flujos desde China en las últimas 24 horas (los eventos antiguos se guardan por horas: se cuenta de 2024-05-14 15:00 a 2024-05-15 14:30).',
  );
  // Within one day the date is left out, as for any range; the note comes before the breakdown.
  const within = { columns: ['type', 'count'], rows: [['anomaly', 3]], narrowed: { from: TODAY + 11 * H, to: TODAY + 12 * H, reason: '' } };
  assert.equal(answer('attacks between 10:15 and 12:30', within), '3 events between 10:15 and 12:30 (older events are kept per hour: counted from 11:00 to 12:00): 3 anomaly.');
  assert.equal(
    answer('tendencia de ataques por hora entre las 10:15 y las 12:30', { columns: ['bucket', 'count'], rows: [[TODAY + 11 * H, 3]], narrowed: within.narrowed }),
    '3 eventos entre las 10:15 y las 12:30 (los eventos antiguos se guardan por horas: se cuenta de 11:00 a 12:00), por hora: 11:00: 3.',
  );
  assert.equal(
    answer('ataques entre las 10:15 y las 12:30', { columns: ['type', 'count'], rows: [], narrowed: within.narrowed }),
    'No hay eventos entre las 10:15 y las 12:30 (los eventos antiguos se guardan por horas: se cuenta de 11:00 a 12:00).',
  );
  // A command says it too: the addresses come from those hours only.
  assert.equal(
    answer('block the sources of connections to port 22 in the last 24 hours', { columns: ['source', 'count'], rows: [['203.0.113.5', 8]], narrowed: LAST_DAY_NARROWED }),
    'Addresses to block (awaiting confirmation), with flows on port 22 in the last 24 hours (older events are kept per hour: counted from 2024-05-14 15:00 to 2024-05-15 14:30): 203.0.113.5: 8.',
  );
  // Not narrowed: no note.
  assert.equal(answer('how many flows from China in the last 24 hours', { columns: ['count'], rows: [[12]] }), '12 flows from China in the last 24 hours.');
});

test('a narrowed range is on the question\'s clock, and a range with no whole hour says so', () => {
  // 10:15–12:30 in Madrid (UTC+2) is 08:15–10:30 UTC; the store counted 09:00–10:00 UTC, 11:00–12:00 in Madrid.
  const parsed = parseQuestion('ataques entre las 10:15 y las 12:30', NOW, { timeZone: 'Europe/Madrid' });
  assert.ok(parsed.ok);
  assert.equal(parsed.query.from, TODAY + 8 * H + 15 * MIN);
  const result: QueryResult = { columns: ['type', 'count'], rows: [['anomaly', 3]], narrowed: { from: TODAY + 9 * H, to: TODAY + 10 * H, reason: '' } };
  assert.equal(
    answerText(parsed, result, { timeZone: 'Europe/Madrid' }),
    '3 eventos entre las 10:15 y las 12:30 (los eventos antiguos se guardan por horas: se cuenta de 11:00 a 12:00): 3 anomalía.',
  );
  const empty: QueryResult = { columns: ['type', 'count'], rows: [], narrowed: { from: TODAY + 11 * H, to: TODAY + 11 * H, reason: '' } };
  assert.equal(answer('attacks between 10:15 and 10:45', empty), 'No events between 10:15 and 10:45 (older events are kept per hour, and this range holds no whole hour).');
});

test('answers merged from several nodes keep the narrowing of any of them', () => {
  const parsed = ask('how many flows from China in the last 24 hours');
  assert.ok(parsed.ok);
  const { result } = mergeResults(parsed.query, [
    { columns: ['count'], rows: [[7]], narrowed: LAST_DAY_NARROWED },
    { columns: ['count'], rows: [[5]] },
  ]);
  assert.equal(
    answerText(parsed, result, { timeZone: 'UTC', scope: '2 of 2 nodes (n1, n2)' }),
    '12 flows from China in the last 24 hours (older events are kept per hour: counted from 2024-05-14 15:00 to 2024-05-15 14:30). Scope: 2 of 2 nodes (n1, n2).',
  );
});
