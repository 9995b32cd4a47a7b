// The one place rule detectors build an Alert, so every rule fills it the same way.

import type { Alert, AlertType } from '../alert.ts';

export function ruleAlert(
  type: AlertType,
  source: string,
  target: string,
  score: number,
  ts: number,
  firstTs: number,
  blockable: boolean,
  evidence: Record<string, number | string>,
): Alert {
  return { type, source, target, score, ts, firstTs, detector: 'rules', blockable, evidence };
}

/** Seconds rounded to the microsecond, for evidence. */
export function seconds(s: number): number {
  return Math.round(s * 1e6) / 1e6;
}
