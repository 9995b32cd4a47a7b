// Questions in Spanish and English → the exact EventQuery they ask for, at a fixed instant in
// a fixed zone so every time range is known to the millisecond; questions it cannot map, and
// block/unblock commands.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALERT_TYPES } from '../src/detect/alert.ts';
import { parseQuestion, type ParsedQuestion } from '../src/ask/parse-question.ts';
import { countries, fold } from '../src/ask/vocabulary.ts';
import type { EventQuery } from '../src/store/event-query.ts';

// Wednesday 15 May 2024, 14:30 UTC.
const NOW = new Date(Date.UTC(2024, 4, 15, 14, 30));
const T = NOW.getTime();
const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const TODAY = Date.UTC(2024, 4, 15);
const YESTERDAY = Date.UTC(2024, 4, 14);
const MONDAY = Date.UTC(2024, 4, 13);
const PORT_SCANS = ['port-scan-vertical', 'port-scan-horizontal', 'scan-probe'];

function parse(text: string, timeZone = 'UTC'): ParsedQuestion {
  return parseQuestion(text, NOW, { timeZone });
}

type Expected = { language: 'es' | 'en'; intent?: 'ask' | 'block' | 'unblock'; query: EventQuery };

const CASES: Array<[string, Expected]> = [
  // The seed's own examples, verbatim.
  ['¿Qué amenazas hemos visto desde China hoy?', { language: 'es', query: { kind: 'alert', from: TODAY, to: T, filters: { country: ['CN'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['bloquea todas las IPs chinas que hayan hecho fuerza bruta SSH', { language: 'es', intent: 'block', query: { kind: 'alert', from: T - DAY, to: T, filters: { type: ['ssh-brute-force'], country: ['CN'], blockable: true }, measure: 'top', groupBy: 'source', limit: 1000 } }],
  ['What threats have we seen from China today?', { language: 'en', query: { kind: 'alert', from: TODAY, to: T, filters: { country: ['CN'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['Block all Chinese IPs that did SSH brute force', { language: 'en', intent: 'block', query: { kind: 'alert', from: T - DAY, to: T, filters: { type: ['ssh-brute-force'], country: ['CN'], blockable: true }, measure: 'top', groupBy: 'source', limit: 1000 } }],
  ['top 5 sources in the last hour', { language: 'en', query: { kind: 'alert', from: T - H, to: T, filters: { realSource: true }, measure: 'top', groupBy: 'source', limit: 5 } }],
  ['las 5 IPs que más atacan desde las 10:00', { language: 'es', query: { kind: 'alert', from: TODAY + 10 * H, to: T, filters: { realSource: true }, measure: 'top', groupBy: 'source', limit: 5 } }],
  ['How many SSH brute force attacks from Russia yesterday?', { language: 'en', query: { kind: 'alert', from: YESTERDAY, to: TODAY, filters: { type: ['ssh-brute-force'], country: ['RU'] }, measure: 'count' } }],
  ['¿Cuántos ataques de fuerza bruta desde Rusia ayer?', { language: 'es', query: { kind: 'alert', from: YESTERDAY, to: TODAY, filters: { type: ['ssh-brute-force', 'brute-force'], country: ['RU'] }, measure: 'count' } }],
  ['what threats did we see from AS4134 in the last 3 hours', { language: 'en', query: { kind: 'alert', from: T - 3 * H, to: T, filters: { asn: [4134] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['¿qué amenazas del ASN 4134 en las últimas 3 horas?', { language: 'es', query: { kind: 'alert', from: T - 3 * H, to: T, filters: { asn: [4134] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['top countries this week', { language: 'en', query: { kind: 'alert', from: MONDAY, to: T, filters: {}, measure: 'top', groupBy: 'country', limit: 10 } }],
  ['los 3 países que más nos atacan esta semana', { language: 'es', query: { kind: 'alert', from: MONDAY, to: T, filters: {}, measure: 'top', groupBy: 'country', limit: 3 } }],
  ['tendencia de escaneos de puertos por hora hoy', { language: 'es', query: { kind: 'alert', from: TODAY, to: T, filters: { type: PORT_SCANS }, measure: 'trend', bucket: 'hour' } }],
  ['port scan trend per hour today', { language: 'en', query: { kind: 'alert', from: TODAY, to: T, filters: { type: PORT_SCANS }, measure: 'trend', bucket: 'hour' } }],
  ['show the latest 20 alerts against 10.0.0.5', { language: 'en', query: { kind: 'alert', from: T - DAY, to: T, filters: { target: ['10.0.0.5'] }, measure: 'list', limit: 20 } }],
  ['muestra los últimos 20 eventos contra 10.0.0.5', { language: 'es', query: { kind: 'alert', from: T - DAY, to: T, filters: { target: ['10.0.0.5'] }, measure: 'list', limit: 20 } }],
  ['¿Cuántos bloqueos hubo ayer?', { language: 'es', query: { kind: 'decision', from: YESTERDAY, to: TODAY, filters: { type: ['ban'] }, measure: 'count' } }],
  ['how many bans yesterday', { language: 'en', query: { kind: 'decision', from: YESTERDAY, to: TODAY, filters: { type: ['ban'] }, measure: 'count' } }],
  ['ataques de alto riesgo desde Brasil en los últimos 30 minutos', { language: 'es', query: { kind: 'alert', from: T - 30 * MIN, to: T, filters: { country: ['BR'], minScore: 0.8 }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['high risk attacks from Brazil in the last 30 minutes', { language: 'en', query: { kind: 'alert', from: T - 30 * MIN, to: T, filters: { country: ['BR'], minScore: 0.8 }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['trend of attacks per day this month by country', { language: 'en', query: { kind: 'alert', from: Date.UTC(2024, 4, 1), to: T, filters: {}, measure: 'trend', groupBy: 'country', bucket: 'day' } }],
  ['top 10 ASNs with syn floods since 9am', { language: 'en', query: { kind: 'alert', from: TODAY + 9 * H, to: T, filters: { type: ['syn-flood'] }, measure: 'top', groupBy: 'asn', limit: 10 } }],
  ['eventos contra 10.0.0.0/24 entre las 10:00 y las 12:00', { language: 'es', query: { kind: 'alert', from: TODAY + 10 * H, to: TODAY + 12 * H, filters: { target: ['10.0.0.0/24'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['how many port scans to 10.0.0.5 since monday', { language: 'en', query: { kind: 'alert', from: MONDAY, to: T, filters: { type: PORT_SCANS, target: ['10.0.0.5'] }, measure: 'count' } }],
  ['list icmp floods on node n2 today', { language: 'en', query: { kind: 'alert', from: TODAY, to: T, filters: { type: ['icmp-flood'], node: ['n2'] }, measure: 'list', limit: 10 } }],
  ['amenazas desde ES', { language: 'es', query: { kind: 'alert', from: T - DAY, to: T, filters: { country: ['ES'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['port scans from CN or RU today', { language: 'en', query: { kind: 'alert', from: TODAY, to: T, filters: { type: PORT_SCANS, country: ['CN', 'RU'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['how many anomalies detected by kitnet last week', { language: 'en', query: { kind: 'alert', from: T - 7 * DAY, to: T, filters: { type: ['anomaly'], detector: ['model'] }, measure: 'count' } }],
  ['cuántos escaneos hubo la semana pasada', { language: 'es', query: { kind: 'alert', from: MONDAY - 7 * DAY, to: MONDAY, filters: { type: PORT_SCANS }, measure: 'count' } }],
  ['cuántas IPs hemos bloqueado hoy', { language: 'es', query: { kind: 'decision', from: TODAY, to: T, filters: { type: ['ban'] }, measure: 'top', groupBy: 'source', limit: 1000 } }],
  ['how many distinct countries attacked us today', { language: 'en', query: { kind: 'alert', from: TODAY, to: T, filters: {}, measure: 'top', groupBy: 'country', limit: 1000 } }],
  ['ataques por país', { language: 'es', query: { kind: 'alert', from: T - DAY, to: T, filters: {}, measure: 'count', groupBy: 'country', limit: 10 } }],
  ['bans by country this week', { language: 'en', query: { kind: 'decision', from: MONDAY, to: T, filters: { type: ['ban'] }, measure: 'count', groupBy: 'country', limit: 10 } }],
  ['bloqueos por fuerza bruta hoy', { language: 'es', query: { kind: 'decision', from: TODAY, to: T, filters: { type: ['ban'], detector: ['ssh-brute-force', 'brute-force'] }, measure: 'top', groupBy: 'source', limit: 10 } }],
  ['manual bans this week', { language: 'en', query: { kind: 'decision', from: MONDAY, to: T, filters: { type: ['ban'], detector: ['operator'] }, measure: 'top', groupBy: 'source', limit: 10 } }],
  ['show me the last 5 ssh brute force alerts from 2001:db8::1', { language: 'en', query: { kind: 'alert', from: T - DAY, to: T, filters: { type: ['ssh-brute-force'], source: ['2001:db8::1'] }, measure: 'list', limit: 5 } }],
  ['cuántos ataques desde 1.2.3.4 a 10.0.0.1 y 10.0.0.2', { language: 'es', query: { kind: 'alert', from: T - DAY, to: T, filters: { source: ['1.2.3.4'], target: ['10.0.0.1', '10.0.0.2'] }, measure: 'count' } }],
  ['alerts with score above 0.9', { language: 'en', query: { kind: 'alert', from: T - DAY, to: T, filters: { minScore: 0.9 }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['alertas con riesgo mayor que 0,9', { language: 'es', query: { kind: 'alert', from: T - DAY, to: T, filters: { minScore: 0.9 }, measure: 'count', groupBy: 'type', limit: 10 } }],
  // 16:00 is still to come at 14:30: "since 16:00" means yesterday's.
  ['ataques desde las 16', { language: 'es', query: { kind: 'alert', from: YESTERDAY + 16 * H, to: T, filters: {}, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['ataques desde hace 2 horas', { language: 'es', query: { kind: 'alert', from: T - 2 * H, to: T, filters: {}, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['attacks since 2 hours ago', { language: 'en', query: { kind: 'alert', from: T - 2 * H, to: T, filters: {}, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['ataques en la última media hora', { language: 'es', query: { kind: 'alert', from: T - 30 * MIN, to: T, filters: {}, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['events per hour', { language: 'en', query: { kind: 'alert', from: T - DAY, to: T, filters: {}, measure: 'trend', bucket: 'hour' } }],
  ['evolución de los ataques en las últimas 2 horas', { language: 'es', query: { kind: 'alert', from: T - 2 * H, to: T, filters: {}, measure: 'trend', bucket: 'minute' } }],
  ['¿Qué IPs nos atacaron ayer desde Rusia?', { language: 'es', query: { kind: 'alert', from: YESTERDAY, to: TODAY, filters: { country: ['RU'], realSource: true }, measure: 'top', groupBy: 'source', limit: 10 } }],
  ['what happened today?', { language: 'en', query: { kind: 'alert', from: TODAY, to: T, filters: {}, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['sources of ssh brute force in the last 2 days', { language: 'en', query: { kind: 'alert', from: T - 2 * DAY, to: T, filters: { type: ['ssh-brute-force'] }, measure: 'top', groupBy: 'source', limit: 10 } }],
  ['attacks from the Netherlands and the USA in the last 10 minutes', { language: 'en', query: { kind: 'alert', from: T - 10 * MIN, to: T, filters: { country: ['NL', 'US'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['¿Cuántas inundaciones SYN contra el servidor 10.0.0.5 hubo este mes?', { language: 'es', query: { kind: 'alert', from: Date.UTC(2024, 4, 1), to: T, filters: { type: ['syn-flood'], target: ['10.0.0.5'] }, measure: 'count' } }],
  ['amplificación UDP y reflexión TCP en las últimas 24h', { language: 'es', query: { kind: 'alert', from: T - DAY, to: T, filters: { type: ['udp-amplification', 'tcp-reflection'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['top 5 targets of ddos today', { language: 'en', query: { kind: 'alert', from: TODAY, to: T, filters: { type: ['syn-flood', 'udp-amplification', 'udp-flood', 'tcp-reflection', 'tcp-flood', 'icmp-flood', 'ip-flood'] }, measure: 'top', groupBy: 'target', limit: 5 } }],
  ['anomalías de los últimos 7 días por día', { language: 'es', query: { kind: 'alert', from: T - 7 * DAY, to: T, filters: { type: ['anomaly'] }, measure: 'trend', bucket: 'day' } }],
  ['ataques de ayer desde Alemania, Francia o Japón', { language: 'es', query: { kind: 'alert', from: YESTERDAY, to: TODAY, filters: { country: ['DE', 'FR', 'JP'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['attacks between 10:00 and 11:30', { language: 'en', query: { kind: 'alert', from: TODAY + 10 * H, to: TODAY + 11.5 * H, filters: {}, measure: 'count', groupBy: 'type', limit: 10 } }],
  // Flows: flow words, ports and services. A port without a protocol is TCP's and UDP's.
  ['how many flows from China today', { language: 'en', query: { kind: 'flow', from: TODAY, to: T, filters: { country: ['CN'] }, measure: 'count' } }],
  ['¿cuántas conexiones desde Rusia en la última hora?', { language: 'es', query: { kind: 'flow', from: T - H, to: T, filters: { country: ['RU'] }, measure: 'count' } }],
  ['top 5 targets of flows in the last hour', { language: 'en', query: { kind: 'flow', from: T - H, to: T, filters: {}, measure: 'top', groupBy: 'target', limit: 5 } }],
  ['principales destinos de los flujos hoy', { language: 'es', query: { kind: 'flow', from: TODAY, to: T, filters: {}, measure: 'top', groupBy: 'target', limit: 10 } }],
  ['flows to port 22 today', { language: 'en', query: { kind: 'flow', from: TODAY, to: T, filters: { type: ['tcp/22', 'udp/22'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['conexiones al puerto 22 hoy', { language: 'es', query: { kind: 'flow', from: TODAY, to: T, filters: { type: ['tcp/22', 'udp/22'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['top services of flows today', { language: 'en', query: { kind: 'flow', from: TODAY, to: T, filters: {}, measure: 'top', groupBy: 'type', limit: 10 } }],
  ['servicios más vistos', { language: 'es', query: { kind: 'flow', from: T - DAY, to: T, filters: {}, measure: 'top', groupBy: 'type', limit: 10 } }],
  ['trend of flows from 10.0.0.5 since 10:00', { language: 'en', query: { kind: 'flow', from: TODAY + 10 * H, to: T, filters: { source: ['10.0.0.5'] }, measure: 'trend', bucket: 'hour' } }],
  ['high-risk flows today', { language: 'en', query: { kind: 'flow', from: TODAY, to: T, filters: { minScore: 0.8 }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['flows today', { language: 'en', query: { kind: 'flow', from: TODAY, to: T, filters: {}, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['flujos de ayer por país', { language: 'es', query: { kind: 'flow', from: YESTERDAY, to: TODAY, filters: {}, measure: 'count', groupBy: 'country', limit: 10 } }],
  ['ssh connections to 10.0.0.5 in the last hour', { language: 'en', query: { kind: 'flow', from: T - H, to: T, filters: { type: ['tcp/22'], target: ['10.0.0.5'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['sesiones dns de hoy', { language: 'es', query: { kind: 'flow', from: TODAY, to: T, filters: { type: ['udp/53', 'tcp/53'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['how many udp port 53 flows yesterday', { language: 'en', query: { kind: 'flow', from: YESTERDAY, to: TODAY, filters: { type: ['udp/53'] }, measure: 'count' } }],
  ['conexiones a los puertos 22 y 443 desde China', { language: 'es', query: { kind: 'flow', from: T - DAY, to: T, filters: { type: ['tcp/22', 'udp/22', 'tcp/443', 'udp/443'], country: ['CN'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['flows to tcp/22 or 53/udp or icmp/8', { language: 'en', query: { kind: 'flow', from: T - DAY, to: T, filters: { type: ['tcp/22', 'udp/53', 'icmp/8'] }, measure: 'count', groupBy: 'type', limit: 10 } }],
  ['top 3 ports this week', { language: 'en', query: { kind: 'flow', from: MONDAY, to: T, filters: {}, measure: 'top', groupBy: 'type', limit: 3 } }],
  ['flow events per hour with score above 0.5', { language: 'en', query: { kind: 'flow', from: T - DAY, to: T, filters: { minScore: 0.5 }, measure: 'trend', bucket: 'hour' } }],
  ['show the last 5 connections from 203.0.113.5', { language: 'en', query: { kind: 'flow', from: T - DAY, to: T, filters: { source: ['203.0.113.5'] }, measure: 'list', limit: 5 } }],
  // Commands.
  ['unblock 203.0.113.7 and 198.51.100.0/24', { language: 'en', intent: 'unblock', query: { kind: 'decision', from: 0, to: T, filters: { type: ['ban'], source: ['203.0.113.7', '198.51.100.0/24'] }, measure: 'top', groupBy: 'source', limit: 1000 } }],
  ['desbloquea 1.2.3.4', { language: 'es', intent: 'unblock', query: { kind: 'decision', from: 0, to: T, filters: { type: ['ban'], source: ['1.2.3.4'] }, measure: 'top', groupBy: 'source', limit: 1000 } }],
  ['unblock all chinese IPs', { language: 'en', intent: 'unblock', query: { kind: 'decision', from: 0, to: T, filters: { type: ['ban'], country: ['CN'] }, measure: 'top', groupBy: 'source', limit: 1000 } }],
  ['block the top 5 attackers of the last hour', { language: 'en', intent: 'block', query: { kind: 'alert', from: T - H, to: T, filters: { blockable: true }, measure: 'top', groupBy: 'source', limit: 5 } }],
  ['por favor bloquea la red 45.0.0.0/16', { language: 'es', intent: 'block', query: { kind: 'alert', from: T - DAY, to: T, filters: { source: ['45.0.0.0/16'], blockable: true }, measure: 'top', groupBy: 'source', limit: 1000 } }],
  ['bloquea las 10 IPs rusas con más escaneos de hoy', { language: 'es', intent: 'block', query: { kind: 'alert', from: TODAY, to: T, filters: { type: PORT_SCANS, country: ['RU'], blockable: true }, measure: 'top', groupBy: 'source', limit: 10 } }],
  ['please ban every high risk source from AS4837 since 08:00', { language: 'en', intent: 'block', query: { kind: 'alert', from: TODAY + 8 * H, to: T, filters: { asn: [4837], minScore: 0.8, blockable: true }, measure: 'top', groupBy: 'source', limit: 1000 } }],
  ['bloquea los orígenes de las conexiones al puerto 23 desde China', { language: 'es', intent: 'block', query: { kind: 'flow', from: T - DAY, to: T, filters: { type: ['tcp/23', 'udp/23'], country: ['CN'] }, measure: 'top', groupBy: 'source', limit: 1000 } }],
];

for (const [text, want] of CASES) {
  test(`parse: ${text}`, () => {
    const got = parse(text);
    assert.equal(got.ok, true, got.ok ? '' : `refused: ${got.missing}`);
    if (!got.ok) return;
    assert.equal(got.language, want.language);
    assert.equal(got.intent, want.intent ?? 'ask');
    assert.deepEqual(got.query, want.query);
  });
}

test('understood says each mapped piece in the question\'s language, defaults included', () => {
  const es = parse('¿Qué amenazas hemos visto desde China hoy?');
  assert.ok(es.ok);
  assert.deepEqual(es.understood, ['medida: cuántos por tipo', 'tipo: todas las amenazas', 'país: China (CN)', 'periodo: hoy (desde 00:00)']);
  assert.equal(es.period, 'hoy');

  const block = parse('bloquea todas las IPs chinas que hayan hecho fuerza bruta SSH');
  assert.ok(block.ok);
  assert.deepEqual(block.understood, [
    'orden: bloquear',
    'selección: direcciones de origen (hasta 1000)',
    'tipo: fuerza bruta SSH',
    'país: China (CN)',
    'solo orígenes que se pueden bloquear (no los falsificados de las inundaciones)',
    'periodo: las últimas 24 horas (por defecto)',
  ]);

  const en = parse('top 5 sources from AS4134 against 10.0.0.0/24 in the last hour');
  assert.ok(en.ok);
  assert.deepEqual(en.understood, ['measure: top 5 sources', 'ASN: AS4134', 'target: 10.0.0.0/24', 'leaving out floods of spoofed or reflected sources (their source is not the attacker)', 'period: the last hour']);
  assert.equal(en.period, 'in the last hour');

  const risky = parse('high risk attacks');
  assert.ok(risky.ok);
  assert.ok(risky.understood.includes('measure: how many by type (default)'));
  assert.ok(risky.understood.includes('risk: high (≥ 0.8)'));
  assert.ok(risky.understood.includes('period: the last 24 hours (default)'));
});

test('flows: what was understood names the events and the services, a port as both protocols', () => {
  const es = parse('conexiones al puerto 22 hoy');
  assert.ok(es.ok);
  assert.deepEqual(es.understood, ['medida: cuántos por servicio (por defecto)', 'eventos: flujos', 'servicio: puerto 22 (tcp/22, udp/22)', 'periodo: hoy (desde 00:00)']);
  const en = parse('top 5 services of ssh and dns flows from China');
  assert.ok(en.ok);
  assert.deepEqual(en.understood, ['measure: top 5 services', 'events: flows', 'service: SSH (tcp/22), DNS (udp/53, tcp/53)', 'country: China (CN)', 'period: the last 24 hours (default)']);
  assert.deepEqual(en.query.filters.type, ['tcp/22', 'udp/53', 'tcp/53']);
  // A refusal for an attack type keeps the flows and the type it found, to say what was meant.
  const brute = parse('brute force flows today');
  assert.ok(!brute.ok);
  assert.deepEqual(brute.understood, ['events: flows', 'type: brute force', 'period: today (since 00:00)']);
});

test('"ssh" is SSH brute force in a question about alerts and the service tcp/22 in one about flows', () => {
  const alerts = parse('ssh attacks today');
  assert.ok(alerts.ok);
  assert.deepEqual([alerts.query.kind, alerts.query.filters.type], ['alert', ['ssh-brute-force']]);
  const flows = parse('ssh flows today');
  assert.ok(flows.ok);
  assert.deepEqual([flows.query.kind, flows.query.filters.type], ['flow', ['tcp/22']]);
  // "ssh brute force" over flows: the service is read, and the attack type left is refused.
  const both = parse('ssh brute force connections');
  assert.ok(!both.ok);
  assert.match(both.missing, /"brute force"/);
});

test('brute force by any name is the login rules\' types: brute-force (FTP, mail, Telnet) and ssh-brute-force; a service named narrows it', () => {
  for (const [q, lang] of [
    ['brute force from China today', 'en'],
    ['how many login attempts today?', 'en'],
    ['fuerza bruta desde China hoy', 'es'],
    ['¿cuántos intentos de acceso hoy?', 'es'],
  ] as const) {
    const p = parse(q);
    assert.ok(p.ok, q);
    assert.equal(p.language, lang, q);
    assert.equal(p.query.kind, 'alert', q);
    assert.deepEqual(p.query.filters.type, ['ssh-brute-force', 'brute-force'], q);
  }
  for (const q of ['ftp brute force today', 'mysql brute force today', 'fuerza bruta vnc hoy', 'http brute force today', 'smb brute force today', 'fuerza bruta postgres hoy', 'redis brute force today', 'postgresql brute force today', 'fuerza bruta rdp hoy']) {
    const one = parse(q);
    assert.ok(one.ok, q);
    assert.deepEqual(one.query.filters.type, ['brute-force'], q);
  }
  const ssh = parse('intentos de fuerza bruta ssh hoy');
  assert.ok(ssh.ok);
  assert.deepEqual(ssh.query.filters.type, ['ssh-brute-force']);
});

test('"today" and "since 10:00" are read on the clock of the given time zone', () => {
  // 15 May 2024 is summer time: Madrid is UTC+2, New York UTC−4.
  const madrid = parse('amenazas hoy', 'Europe/Madrid');
  assert.ok(madrid.ok);
  assert.equal(madrid.query.from, Date.UTC(2024, 4, 14, 22));
  assert.equal(madrid.query.to, T);

  const ny = parse('attacks since 10:00', 'America/New_York');
  assert.ok(ny.ok);
  assert.equal(ny.query.from, Date.UTC(2024, 4, 15, 14));

  const tokyo = parse('ataques ayer', 'Asia/Tokyo'); // 23:30 on the 15th in Tokyo
  assert.ok(tokyo.ok);
  assert.deepEqual([tokyo.query.from, tokyo.query.to], [Date.UTC(2024, 4, 13, 15), Date.UTC(2024, 4, 14, 15)]);

  assert.throws(() => parse('attacks today', 'Mars/Olympus'), { code: 'AI_ERR_BAD_TIME_ZONE', message: /Mars\/Olympus/ });
});

test('every country ICU names, in Spanish and English, maps to its code', () => {
  const { codes, ambiguous } = countries();
  assert.ok(codes.size > 240, `only ${codes.size} countries`);
  let checked = 0;
  for (const lang of ['es', 'en'] as const) {
    const names = new Intl.DisplayNames([lang], { type: 'region' });
    for (const code of codes) {
      const name = names.of(code) ?? code;
      if (ambiguous.has(fold(name))) continue; // "Congo" is two countries: asked which, tested below
      const got = parse(lang === 'es' ? `ataques desde ${name}` : `attacks from ${name}`);
      assert.ok(got.ok, `${code} ${name}: ${got.ok ? '' : got.missing}`);
      assert.deepEqual(got.query.filters.country, [code], `${lang} ${name}`);
      checked++;
    }
  }
  assert.ok(checked > 480);
});

test('demonyms and accents: chino/china/chinos/chinas, Russian, EEUU, Japón without accent', () => {
  const cases: Array<[string, string]> = [
    ['IPs chinas', 'CN'], ['atacantes chinos', 'CN'], ['Chinese attackers', 'CN'], ['ataques rusos', 'RU'], ['Russian scans', 'RU'],
    ['ataques desde EEUU', 'US'], ['attacks from the USA', 'US'], ['ataques desde japon', 'JP'], ['ATAQUES DESDE BRASIL', 'BR'],
    ['ataques desde Países Bajos', 'NL'], ['ataques holandeses', 'NL'], ['attacks from South Korea', 'KR'], ['ataques norcoreanos', 'KP'],
    ['ataques iraníes', 'IR'], ['Vietnamese attackers', 'VN'], ['ataques desde Hong Kong', 'HK'], ['attacks from Turkey', 'TR'],
  ];
  for (const [text, code] of cases) {
    const got = parse(text);
    assert.ok(got.ok, `${text}: ${got.ok ? '' : got.missing}`);
    assert.deepEqual(got.query.filters.country, [code], text);
  }
});

const REFUSED: Array<[string, 'es' | 'en', RegExp]> = [
  ['¿qué tiempo hace en Madrid?', 'es', /«tiempo».*«Madrid»/],
  ['tell me a joke', 'en', /"joke"/],
  ['', 'en', /empty/],
  ['   ¿?  ', 'es', /vacía/],
  ['how many from Atlantis', 'en', /"Atlantis": not a country/],
  ['¿cuántos ataques de phishing?', 'es', /«phishing»/],
  ['ataques desde Corea', 'es', /Corea del Sur \(KR\) o Corea del Norte \(KP\)/],
  ['attacks from 999.1.1.1', 'en', /"999\.1\.1\.1": not a valid IP address/],
  ['desbloquea todo', 'es', /qué direcciones desbloquear/],
  ['block everything', 'en', /"everything"/],
  ['cuántos ataques hoy y ayer', 'es', /Dos periodos/],
  ['top 5 países por tipo', 'es', /agrupar por/],
  ['hoy', 'es', /No sé qué buscar/],
  ['中国的攻击', 'en', /中国的攻击/],
  ['how many smurf attacks today', 'en', /"smurf"/],
  ['block the top countries', 'en', /not on countries/],
  ['trend of attacks per hour, top 7', 'en', /"7"/],
  // Flows have no attack type or detector; ports and services are only flows'; flows are not decisions.
  ['brute force flows today', 'en', /Flows have no attack type or detector \("brute force"\)/],
  ['¿cuántas conexiones con escaneo de puertos?', 'es', /Los flujos no tienen tipo de ataque ni detector \(«escaneo de puertos»\)/],
  ['connections detected by kitnet', 'en', /"detector model"/],
  ['attacks on port 22 today', 'en', /Ports and services belong to flows, not to alerts/],
  ['fuerza bruta contra el puerto 2222', 'es', /son de los flujos, no de las alertas/],
  ['bloqueos del puerto 22', 'es', /no de las decisiones/],
  ['blocked connections today', 'en', /Flows and bans are different events/],
  ['unblock the connections from China', 'en', /Flows and bans are different events/],
  ['flows to port 70000', 'en', /"port 70000": ports run from 0 to 65535/],
  ['conexiones a icmp/300 hoy', 'es', /«icmp\/300»/],
  ['bloquea todas las conexiones', 'es', /qué direcciones bloquear/],
];

for (const [text, language, missing] of REFUSED) {
  test(`refused: ${JSON.stringify(text)}`, () => {
    const got = parse(text);
    assert.equal(got.ok, false, `mapped to ${JSON.stringify(got.ok && got.query)}`);
    if (got.ok) return;
    assert.equal(got.language, language);
    assert.match(got.missing, missing);
  });
}

test('a refused question shows what it did understand, and guesses no country or type', () => {
  const atlantis = parse('how many from Atlantis');
  assert.ok(!atlantis.ok);
  assert.deepEqual(atlantis.understood, ['measure: how many']);

  const phishing = parse('¿cuántos ataques de phishing desde China hoy?');
  assert.ok(!phishing.ok);
  assert.deepEqual(phishing.understood, ['medida: cuántos', 'tipo: todas las amenazas', 'país: China (CN)', 'periodo: hoy (desde 00:00)']);

  const weather = parse('¿qué tiempo hace en Madrid?');
  assert.ok(!weather.ok);
  assert.deepEqual(weather.understood, []); // no default measure or period offered for a question it did not get
});

test('every mapped query is well formed, and parsing is deterministic', () => {
  for (const [text] of CASES) {
    const a = parse(text);
    assert.deepEqual(parse(text), a);
    assert.ok(a.ok);
    const q = a.query;
    assert.ok(q.from < q.to, text);
    if (q.limit !== undefined) assert.ok(q.limit >= 1 && q.limit <= 1000, text);
    if (q.kind === 'alert') for (const t of q.filters.type ?? []) assert.ok((ALERT_TYPES as readonly string[]).includes(t), text);
    for (const c of q.filters.country ?? []) assert.match(c, /^[A-Z]{2}$/);
    if (a.intent !== 'ask') assert.deepEqual([q.measure, q.groupBy], ['top', 'source']);
  }
});
