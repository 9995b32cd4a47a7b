// Which events a question is about, and which of them: flows, attack types and threats,
// decisions (bans, unbans), risk and detectors; and the kind of event (alert, decision, flow)
// those words add up to.

import { ALERT_TYPES } from '../detect/alert.ts';
import type { EventKind } from '../store/event-query.ts';
import { ALT } from './alternations.ts';
import type { Findings } from './findings.ts';
import { SAY } from './parse-say.ts';
import { addOnce, type Scanner } from './scanner.ts';
import * as V from './vocabulary.ts';
import type { Language } from './vocabulary.ts';

/** A flow word ("conexiones", "flows"). */
export function scanFlowWords(s: Scanner, f: Findings): void {
  s.take(ALT.flow, () => {
    f.flow = true;
  });
}

/** High risk ("alto riesgo", "critical"), or a lowest score ("score above 0.9", "riesgo mayor que 90"). */
export function scanRisk(s: Scanner, f: Findings): void {
  s.take(ALT.highRisk, () => {
    f.minScore = { value: V.HIGH_RISK_SCORE, high: true };
  });
  s.take(`(?:${ALT.score})\\s+(?:${ALT.atLeast})\\s+(\\d+(?:\\.\\d+)?)`, (m) => {
    const v = Number(m[1]);
    const score = v <= 1 ? v : v <= 100 ? v / 100 : NaN; // "riesgo mayor que 90" is a percentage
    if (Number.isNaN(score)) return false;
    f.minScore = { value: score, high: false };
  });
}

/** Decisions: bans, unbans, or any ("decisiones", or bans and unbans named together). */
export function scanDecisions(s: Scanner, f: Findings): void {
  for (const action of ['ban', 'unban', 'any'] as const) {
    s.take(V.alternation(V.DECISION_WORDS[action]), () => {
      f.decision = f.decision === undefined || f.decision === action ? action : 'any';
    });
  }
}

/** Attack types, named singly or as a group; "what threats"; and threat words that name no type. */
export function scanAttacks(s: Scanner, f: Findings, lang: Language): void {
  // "qué amenazas", "what attacks": the threats by type. Only the question word is taken here.
  s.take(`${ALT.what}(?=\\s+(?:${ALT.threat}|${ALT.attack})(?!\\S))`, () => {
    f.whatThreat = true;
  });
  s.take(ALT.attack, (m) => {
    const phrase = m[0].replace(/\s+/g, ' ');
    const entry = V.ATTACKS.find((a) => a.phrases.some((p) => V.fold(p) === phrase));
    if (!entry) return false;
    for (const t of entry.types) f.types.add(t);
    addOnce(f.typeLabels, entry[lang]);
  });
  s.take(ALT.threat, () => {
    f.threat = true;
  });
}

/** Detectors: the model, the rules, the operator. */
export function scanDetectors(s: Scanner, f: Findings): void {
  for (const [detector, words] of Object.entries(V.DETECTOR_WORDS)) {
    s.take(V.alternation(words), () => addOnce(f.detectors, detector));
  }
}

/**
 * Which events the question is about. Flow words ask for flows; ports and services do too, as
 * only flows have them, unless the question also names alerts (threats, an attack type) or
 * decisions: then it is refused, saying ports are for flows, rather than answered for a kind
 * it did not name. Attack types and detectors mean nothing for a flow (its type is a service,
 * its detector the flow meter), so flows with one are refused the same way, never answered
 * for flows with the word silently dropped.
 */
export function kindOf(f: Findings, lang: Language, problems: string[]): EventKind {
  const say = SAY[lang];
  const decision = f.decision !== undefined || f.command === 'unblock';
  const flowish = f.services.length > 0 || f.serviceDim;
  if (!f.flow && !flowish) return decision ? 'decision' : 'alert';
  if (!f.flow && (decision || f.threat || f.whatThreat || f.types.size > 0)) {
    problems.push(say.servicesAreFlows(decision ? 'decision' : 'alert'));
    return decision ? 'decision' : 'alert';
  }
  if (decision) problems.push(say.flowsAndDecisions(f.decision ?? 'ban'));
  if (f.types.size > 0 || f.detectors.length > 0) problems.push(say.flowsHaveNoType([...f.typeLabels, ...f.detectors.map((d) => `detector ${d}`)]));
  return 'flow';
}

/**
 * A decision's detector is the alert type behind a rule's ban, 'model' for the model's and
 * 'operator' for a manual one (respond/decision.ts), so "bans for SSH brute force" filters on it.
 */
export function decisionDetectors(types: string[], words: string[]): string[] {
  const out = new Set<string>();
  for (const t of types) out.add(t === 'anomaly' ? 'model' : t);
  for (const w of words) {
    if (w === 'rules') {
      for (const t of ALERT_TYPES) if (t !== 'anomaly') out.add(t);
    } else {
      out.add(w);
    }
  }
  return [...out];
}
