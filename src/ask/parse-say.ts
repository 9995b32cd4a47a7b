// The words the parser says back, in Spanish and English: what it understood, and why a
// question cannot be answered.

import { MAX_LIMIT } from '../store/check-query.ts';

export const SAY = {
  es: {
    empty: 'La pregunta está vacía.',
    notUnderstood: (words: string[]) => `No entendí: ${words.map((w) => `«${w}»`).join(', ')}.`,
    unknownPlace: (words: string[]) =>
      `${words.map((w) => `«${w}»`).join(', ')}: no ${words.length > 1 ? 'son países' : 'es un país'} que conozca.`,
    ambiguousPlace: (word: string, options: string[]) => `«${word}» puede ser ${options.join(' o ')}: di cuál.`,
    badAddress: (words: string[]) => `${words.map((w) => `«${w}»`).join(', ')}: no es una dirección IP válida.`,
    badService: (words: string[]) => `${words.map((w) => `«${w}»`).join(', ')}: los puertos van de 0 a 65535 (y los tipos ICMP de 0 a 255).`,
    nothingAsked:
      'No sé qué buscar: nombra amenazas, bloqueos, conexiones, un tipo de ataque, un país, un ASN o una IP (p. ej. «¿cuántos ataques desde China hoy?»).',
    twoPeriods: (a: string, b: string) => `Dos periodos distintos: «${a}» y «${b}»; pregunta por uno.`,
    twoGroups: (a: string, b: string) => `No puedo agrupar por ${a} y por ${b} a la vez.`,
    nothingToAct: (cmd: 'block' | 'unblock') =>
      `No sé qué direcciones ${cmd === 'block' ? 'bloquear' : 'desbloquear'}: nombra IPs, un país, un ASN o un tipo de ataque.`,
    onlySources: (dim: string) => `Un bloqueo actúa sobre direcciones de origen, no sobre ${dim}.`,
    command: { block: 'orden: bloquear', unblock: 'orden: desbloquear' },
    decision: { ban: 'eventos: bloqueos', unban: 'eventos: desbloqueos', any: 'eventos: decisiones' },
    flows: 'eventos: flujos',
    service: 'servicio',
    flowsAndDecisions: (d: 'ban' | 'unban' | 'any') =>
      `Flujos y ${{ ban: 'bloqueos', unban: 'desbloqueos', any: 'decisiones' }[d]} son eventos distintos: pregunta por unos o por otros.`,
    flowsHaveNoType: (labels: string[]) =>
      `Los flujos no tienen tipo de ataque ni detector (${labels.map((l) => `«${l}»`).join(', ')}): pregunta por alertas, o por flujos sin eso.`,
    servicesAreFlows: (kind: 'alert' | 'decision') =>
      `Los puertos y servicios son de los flujos, no de ${kind === 'alert' ? 'las alertas' : 'las decisiones'}: pregunta por flujos (p. ej. «conexiones al puerto 22»).`,
    allThreats: 'tipo: todas las amenazas',
    type: 'tipo',
    reason: 'motivo',
    country: 'país',
    source: 'origen',
    target: 'destino',
    node: 'nodo',
    risk: (v: number, high: boolean) => (high ? `riesgo: alto (≥ ${v})` : `riesgo: ≥ ${v}`),
    period: 'periodo',
    byDefault: ' (por defecto)',
    defaultPeriod: 'las últimas 24 horas',
    allStored: { label: 'todo lo guardado', adverb: '' },
    clamped: `límite: ${MAX_LIMIT} (máximo)`,
    blockableOnly: 'solo orígenes que se pueden bloquear (no los falsificados de las inundaciones)',
    realSourcesOnly: 'sin las inundaciones de orígenes falsificados o reflejados (su origen no es el atacante)',
  },
  en: {
    empty: 'The question is empty.',
    notUnderstood: (words: string[]) => `I did not understand: ${words.map((w) => `"${w}"`).join(', ')}.`,
    unknownPlace: (words: string[]) => `${words.map((w) => `"${w}"`).join(', ')}: not ${words.length > 1 ? 'countries' : 'a country'} I know.`,
    ambiguousPlace: (word: string, options: string[]) => `"${word}" may be ${options.join(' or ')}: say which.`,
    badAddress: (words: string[]) => `${words.map((w) => `"${w}"`).join(', ')}: not a valid IP address.`,
    badService: (words: string[]) => `${words.map((w) => `"${w}"`).join(', ')}: ports run from 0 to 65535 (ICMP types from 0 to 255).`,
    nothingAsked:
      'I do not know what to look for: name threats, bans, flows, an attack type, a country, an ASN or an address (e.g. "how many attacks from China today?").',
    twoPeriods: (a: string, b: string) => `Two different periods: "${a}" and "${b}"; ask about one.`,
    twoGroups: (a: string, b: string) => `I cannot group by ${a} and by ${b} at once.`,
    nothingToAct: (cmd: 'block' | 'unblock') =>
      `I do not know which addresses to ${cmd}: name addresses, a country, an ASN or an attack type.`,
    onlySources: (dim: string) => `A block acts on source addresses, not on ${dim}.`,
    command: { block: 'command: block', unblock: 'command: unblock' },
    decision: { ban: 'events: bans', unban: 'events: unbans', any: 'events: decisions' },
    flows: 'events: flows',
    service: 'service',
    flowsAndDecisions: (d: 'ban' | 'unban' | 'any') =>
      `Flows and ${{ ban: 'bans', unban: 'unbans', any: 'decisions' }[d]} are different events: ask about one or the other.`,
    flowsHaveNoType: (labels: string[]) =>
      `Flows have no attack type or detector (${labels.map((l) => `"${l}"`).join(', ')}): ask about alerts, or about flows without it.`,
    servicesAreFlows: (kind: 'alert' | 'decision') =>
      `Ports and services belong to flows, not to ${kind === 'alert' ? 'alerts' : 'decisions'}: ask about flows (e.g. "flows to port 22").`,
    allThreats: 'type: all threats',
    type: 'type',
    reason: 'reason',
    country: 'country',
    source: 'source',
    target: 'target',
    node: 'node',
    risk: (v: number, high: boolean) => (high ? `risk: high (≥ ${v})` : `risk: ≥ ${v}`),
    period: 'period',
    byDefault: ' (default)',
    defaultPeriod: 'the last 24 hours',
    allStored: { label: 'everything stored', adverb: '' },
    clamped: `limit: ${MAX_LIMIT} (the most)`,
    blockableOnly: 'only sources that may be banned (not the spoofed sources of floods)',
    realSourcesOnly: 'leaving out floods of spoofed or reflected sources (their source is not the attacker)',
  },
} as const;
