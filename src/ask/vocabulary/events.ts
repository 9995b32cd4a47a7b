// Words for events that are not one attack type: threats in general, decisions, risk and detectors.

import { forms } from './text.ts';

/** Words for "the alerts", no type named. */
export const THREAT_WORDS = [
  'amenaza', 'amenazas', 'ataque', 'ataques', 'alerta', 'alertas', 'evento', 'eventos', 'incidente', 'incidentes',
  'intrusion', 'intrusiones', 'actividad', 'pasado', 'paso', 'ocurrido', 'ocurrio', 'sucedido', 'sucedio',
  'threat', 'threats', 'attack', 'attacks', 'alert', 'alerts', 'event', 'events', 'incident', 'incidents',
  'intrusion', 'intrusions', 'activity', 'happened', 'happening', 'going on', 'occurred',
];

/** Decisions, by action: bans (what most people call blocks), unbans, or either. */
export const DECISION_WORDS: Record<'ban' | 'unban' | 'any', string[]> = {
  ban: ['bloqueo', 'bloqueos', ...forms('bloquead', 'o'), 'bloqueamos', 'bloqueaste', 'bloquearon', 'baneo', 'baneos',
    ...forms('banead', 'o'), 'baneamos', 'vetados', 'vetadas', 'ban', 'bans', 'banned', 'block', 'blocks', 'blocked', 'blocking'],
  unban: ['desbloqueo', 'desbloqueos', ...forms('desbloquead', 'o'), 'desbloqueamos', 'desbaneos', 'unban', 'unbans',
    'unbanned', 'unblock', 'unblocks', 'unblocked'],
  any: ['decision', 'decisiones', 'decisions', 'respuestas', 'responses', 'acciones', 'actions'],
};

export const HIGH_RISK_WORDS = [
  'alto riesgo', 'riesgo alto', 'de alto riesgo', 'high risk', 'highrisk', 'critical', 'criticos', 'criticas', 'critico', 'critica',
  'graves', 'severe', 'severos', 'severas', 'peligrosos', 'peligrosas', 'dangerous',
];
export const HIGH_RISK_SCORE = 0.8;

/** "riesgo mayor que 0.9", "score above 0.9". */
export const SCORE_WORDS = ['riesgo', 'puntuacion', 'score', 'risk', 'riesgos'];
export const AT_LEAST_WORDS = [
  'mayor que', 'mayor de', 'mayor o igual que', 'mayor o igual a', 'superior a', 'por encima de', 'de al menos', 'al menos', 'minimo',
  'above', 'over', 'at least', 'greater than', 'more than', 'of at least', 'minimum', 'gt', 'gte', 'ge',
];

export const DETECTOR_WORDS: Record<string, string[]> = {
  model: ['kitnet', 'ml', 'machine learning', 'aprendizaje automatico', 'el modelo', 'the model'],
  rules: ['reglas', 'las reglas', 'rules', 'the rules', 'rule based', 'basado en reglas'],
  operator: ['operador', 'el operador', 'operator', 'the operator', 'manual', 'manuales', 'manually', 'a mano', 'by hand'],
};
