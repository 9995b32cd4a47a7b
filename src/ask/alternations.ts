// The vocabulary's word lists as regular-expression sources (each a whole-word alternation,
// longest phrase first), built once when the parser loads and shared by the parse-* modules.

import * as V from './vocabulary.ts';

export const ALT = {
  polite: V.alternation(V.POLITE_WORDS),
  block: V.alternation(V.BLOCK_VERBS),
  unblock: V.alternation(V.UNBLOCK_VERBS),
  sourceRole: V.alternation(V.SOURCE_ROLE_WORDS),
  targetRole: V.alternation(V.TARGET_ROLE_WORDS),
  addressNoun: V.alternation(V.ADDRESS_NOUNS),
  targetNoun: V.alternation(V.TARGET_NOUNS),
  unit: V.alternation(Object.values(V.TIME_UNITS).flat()),
  number: `(?:\\d{1,4}|${V.alternation([...Object.keys(V.NUMBER_WORDS), ...V.ONE_WORDS])})`,
  weekday: V.alternation(Object.keys(V.WEEKDAYS)),
  highRisk: V.alternation(V.HIGH_RISK_WORDS),
  score: V.alternation(V.SCORE_WORDS),
  atLeast: V.alternation(V.AT_LEAST_WORDS),
  threat: V.alternation(V.THREAT_WORDS),
  attack: V.alternation(V.ATTACKS.flatMap((a) => a.phrases)),
  what: V.alternation(V.WHAT_WORDS),
  group: V.alternation(V.GROUP_WORDS),
  dimension: V.alternation(Object.values(V.DIMENSIONS).flat()),
  count: V.alternation(V.COUNT_WORDS),
  distinct: V.alternation(V.DISTINCT_WORDS),
  top: V.alternation(V.TOP_WORDS),
  trend: V.alternation(V.TREND_WORDS),
  latest: V.alternation(V.LATEST_WORDS),
  show: V.alternation(V.SHOW_WORDS),
  all: V.alternation(V.ALL_WORDS),
  flow: V.alternation(V.FLOW_WORDS),
  serviceName: V.alternation(Object.keys(V.SERVICE_NAMES)),
};
