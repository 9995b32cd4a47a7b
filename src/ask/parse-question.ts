// A question in plain Spanish or English → the structured EventQuery it asks for. Pure and
// deterministic: word lists and regular expressions, no model. Every piece it maps is taken
// out of the text and said back in `understood`; a word left over that is not filler makes
// the question unmappable, so it answers only what it understood and never guesses a country
// or an attack type it did not find.
//
// Each kind of phrase has its module: parse-command, parse-place, parse-time, parse-service,
// parse-events and parse-measure; this one runs them in order and builds the query.

import { ALERT_TYPES, isFloodAlertType } from '../detect/alert.ts';
import { MAX_LIMIT } from '../store/check-query.ts';
import type { EventFilters, EventQuery } from '../store/event-query.ts';
import { emptyFindings, type Ctx, type Findings } from './findings.ts';
import { checkCommandSelects, scanCommand } from './parse-command.ts';
import { decisionDetectors, kindOf, scanAttacks, scanDecisions, scanDetectors, scanFlowWords, scanRisk } from './parse-events.ts';
import { describeMeasure, measureOf, scanGroupBy, scanMeasures } from './parse-measure.ts';
import { looksLikeAddress, looksLikePlace, scanAddresses, scanAsns, scanCountries, scanNodes } from './parse-place.ts';
import { SAY } from './parse-say.ts';
import { scanServices } from './parse-service.ts';
import { periodOf, scanTime } from './parse-time.ts';
import { Scanner } from './scanner.ts';
import { checkTimeZone, wallClock } from './time-zone.ts';
import * as V from './vocabulary.ts';
import type { Language } from './vocabulary.ts';

export type ParsedQuestion =
  | { ok: true; language: Language; intent: 'ask' | 'block' | 'unblock'; query: EventQuery; understood: string[]; period?: string }
  | { ok: false; language: Language; understood: string[]; missing: string };
// `period`: the time range as words to put in a sentence ("hoy", "in the last hour"); answers
// use it, and describe the raw range when it is absent (a query that came from a tool call).

export interface ParseOptions {
  /** IANA zone for "hoy", "since 10:00"…; default the process's. */
  timeZone?: string;
}

/**
 * Every kind of phrase, taken out of the question in this order. The order matters: a phrase
 * taken is gone for the patterns after it (a command verb at the start is read before "ban" can
 * be a decision, "por nodo" is a grouping before "nodo X" could be a node).
 */
function scan(s: Scanner, ctx: Ctx): Findings {
  const f = emptyFindings();
  scanCommand(s, f);
  scanFlowWords(s, f);
  scanAddresses(s, f);
  scanAsns(s, f);
  scanTime(s, f, ctx);
  scanServices(s, f, ctx.lang);
  scanRisk(s, f);
  scanDecisions(s, f);
  scanAttacks(s, f, ctx.lang);
  scanCountries(s, f);
  scanGroupBy(s, f);
  scanNodes(s, f);
  scanDetectors(s, f);
  scanMeasures(s, f);
  return f;
}

export function parseQuestion(text: string, now: Date, options: ParseOptions = {}): ParsedQuestion {
  const timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  checkTimeZone(timeZone);
  const cased = V.foldCased(text);
  const lower = cased.toLowerCase();
  const lang = detectLanguage(text, lower);
  const say = SAY[lang];
  if (lower === '') {
    const raw = text.trim();
    return { ok: false, language: lang, understood: [], missing: /[\p{L}\p{N}]/u.test(raw) ? say.notUnderstood([raw]) : say.empty };
  }

  const ctx: Ctx = { now: now.getTime(), timeZone, lang, today: wallClock(now.getTime(), timeZone) };
  const s = new Scanner(lower, cased);
  const f = scan(s, ctx);
  const problems: string[] = [];

  // Unknown words are sorted so the answer says what kind of thing it did not know: an address
  // that is none, a place ("from Atlantis", "en Madrid"), a name of several countries, or a word.
  const unknown = s.left().filter((w) => !V.FILLER.has(w.word));
  const { ambiguous } = V.countries();
  const vague = unknown.filter((w) => ambiguous.has(w.word));
  const rest = unknown.filter((w) => !ambiguous.has(w.word));
  const addresses = rest.filter((w) => looksLikeAddress(w.word)).map((w) => w.original);
  const places = rest.filter((w) => !looksLikeAddress(w.word) && looksLikePlace(w)).map((w) => w.original);
  const others = rest.filter((w) => !looksLikeAddress(w.word) && !looksLikePlace(w)).map((w) => w.original);
  if (others.length > 0) problems.push(say.notUnderstood(others));
  if (addresses.length > 0) problems.push(say.badAddress(addresses));
  if (f.badServices.length > 0) problems.push(say.badService(f.badServices));
  if (places.length > 0) problems.push(say.unknownPlace(places));
  for (const w of vague) {
    problems.push(say.ambiguousPlace(w.original, (ambiguous.get(w.word) ?? []).map((c) => V.countryLabel(c, lang))));
  }

  const action = f.command === 'unblock' ? 'ban' : f.decision === 'any' ? undefined : f.decision;
  const kind = kindOf(f, lang, problems);

  const period = periodOf(f, ctx, problems);
  const { plan, how, dims, limitWord } = measureOf(f, kind, period, lang, problems);

  const filters: EventFilters = {};
  const types = ALERT_TYPES.filter((t) => f.types.has(t));
  if (kind === 'alert') {
    if (types.length > 0) filters.type = types;
  } else if (kind === 'flow') {
    if (f.services.length > 0) filters.type = f.services;
  } else if (action) {
    filters.type = [action];
  }
  if (f.sources.length) filters.source = f.sources;
  if (f.targets.length) filters.target = f.targets;
  if (f.countries.length) filters.country = f.countries;
  if (f.asns.length) filters.asn = f.asns;
  if (f.nodes.length) filters.node = f.nodes;
  const detectors = kind === 'decision' ? decisionDetectors(types, f.detectors) : f.detectors;
  if (detectors.length) filters.detector = detectors;
  if (f.minScore) filters.minScore = f.minScore.value;
  // A block proposes sources: never those seen only in floods' alerts, whose sources are
  // spoofed or abused reflectors (blockable: false), which the responder would not ban either.
  if (f.command === 'block' && kind === 'alert') filters.blockable = true;
  // Nor does a ranking of sources ("top sources") count those floods' alerts, when it may hold some.
  else if (kind === 'alert' && plan.groupBy === 'source' && (types.length === 0 || types.some(isFloodAlertType))) filters.realSource = true;

  const anchored =
    f.command !== undefined || f.threat || f.whatThreat || f.types.size > 0 || f.decision !== undefined || f.countries.length > 0 ||
    f.asns.length > 0 || f.sources.length > 0 || f.targets.length > 0 || f.nodes.length > 0 || f.detectors.length > 0 ||
    f.minScore !== undefined || f.count || f.distinct !== undefined || f.top || f.trend || f.bucket !== undefined || f.latest ||
    f.show || dims.length > 0 || f.flow || f.services.length > 0;
  if (!anchored && problems.length === 0) problems.push(say.nothingAsked);
  checkCommandSelects(f, kind, filters, limitWord !== undefined, lang, problems);

  // What was understood, in a fixed order: command, measure, events, filters, period.
  // Defaults are said on success; on failure only what the question itself said is shown.
  const failed = problems.length > 0;
  const understood: string[] = [];
  if (f.command) understood.push(say.command[f.command]);
  if (!(failed && how === 'default')) understood.push(describeMeasure(plan, kind, lang, how));
  if (limitWord && limitWord.n > MAX_LIMIT) understood.push(say.clamped);
  if (kind === 'flow') understood.push(say.flows);
  if (f.decision) understood.push(say.decision[f.decision]);
  else if (f.command === 'unblock') understood.push(say.decision.ban);
  if (f.typeLabels.length) understood.push(`${kind === 'decision' ? say.reason : say.type}: ${f.typeLabels.join(', ')}`);
  else if (f.threat && kind === 'alert') understood.push(say.allThreats);
  if (f.serviceLabels.length) understood.push(`${say.service}: ${f.serviceLabels.join(', ')}`);
  if (f.countries.length) understood.push(`${say.country}: ${f.countries.map((c) => V.countryLabel(c, lang)).join(', ')}`);
  if (f.asns.length) understood.push(`ASN: ${f.asns.map((a) => `AS${a}`).join(', ')}`);
  if (f.sources.length) understood.push(`${say.source}: ${f.sources.join(', ')}`);
  if (f.targets.length) understood.push(`${say.target}: ${f.targets.join(', ')}`);
  if (f.nodes.length) understood.push(`${say.node}: ${f.nodes.join(', ')}`);
  if (f.detectors.length) understood.push(`detector: ${f.detectors.join(', ')}`);
  if (f.minScore) understood.push(say.risk(f.minScore.value, f.minScore.high));
  if (filters.blockable) understood.push(say.blockableOnly);
  if (filters.realSource) understood.push(say.realSourcesOnly);
  if (!(failed && f.periods.length === 0)) understood.push(`${say.period}: ${period.label}`);

  if (failed) return { ok: false, language: lang, understood, missing: problems.join(' ') };

  const query: EventQuery = { kind, from: period.from, to: period.to, filters, measure: plan.measure };
  if (plan.groupBy) query.groupBy = plan.groupBy;
  if (plan.bucket) query.bucket = plan.bucket;
  if (plan.limit !== undefined) query.limit = plan.limit;
  const intent = f.command ?? 'ask';
  return { ok: true, language: lang, intent, query, understood, period: period.adverb };
}

function detectLanguage(raw: string, lower: string): Language {
  let es = /[¿¡ñÑáéíóúÁÉÍÓÚ]/.test(raw) ? 2 : 0;
  let en = 0;
  for (const w of lower.split(' ')) {
    if (V.LANGUAGE_MARKERS.es.has(w)) es++;
    if (V.LANGUAGE_MARKERS.en.has(w)) en++;
  }
  return es > en ? 'es' : 'en';
}
