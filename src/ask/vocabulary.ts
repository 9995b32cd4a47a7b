// The words the question parser knows, in Spanish and English: countries and demonyms,
// attack types, time words, measures, commands and the filler words a question may carry.
// Everything is matched after fold() (lower case, no accents, no punctuation), so the lists
// are written naturally and folded once here.

import { ALERT_TYPES, type AlertType } from '../detect/alert.ts';
import type { EventField, EventKind } from '../store/event-query.ts';

export type Language = 'es' | 'en';

/** Accent-free, punctuation-free text with the case kept; lower-case it to match. */
export function foldCased(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/(?<![\d.])0,(\d)/g, '0.$1') // "riesgo 0,9": a Spanish decimal comma
    .replace(/['’`´]/g, '') // "what's", "Côte d’Ivoire" stay one word
    .replace(/[^A-Za-z0-9.:/]+/g, ' ')
    // Sentence dots and colons end words; dots, colons and slashes inside stay (IPs, CIDRs, 10:00).
    .replace(/(?<!\S)[./]+|[./]+(?!\S)|(?<!:):(?!\S)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function fold(text: string): string {
  return foldCased(text).toLowerCase();
}

/** A regex source matching any of the phrases as whole words, longest first. */
export function alternation(phrases: Iterable<string>): string {
  const folded = [...new Set([...phrases].map(fold))].filter((p) => p !== '');
  folded.sort((a, b) => b.length - a.length);
  return `(?:${folded.map((p) => p.split(' ').map(escapeRegex).join('\\s+')).join('|')})`;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Spanish adjective forms: chin + o → chino, china, chinos, chinas. */
function forms(stem: string, ending: 'o' | 'es' | 'e' | 'i' | 'a'): string[] {
  switch (ending) {
    case 'o':
      return [`${stem}o`, `${stem}a`, `${stem}os`, `${stem}as`];
    case 'es': // francés, francesa, franceses, francesas
      return [`${stem}es`, `${stem}esa`, `${stem}eses`, `${stem}esas`];
    case 'e': // canadiense(s)
      return [`${stem}e`, `${stem}es`];
    case 'i': // iraní, iraníes, iranís
      return [`${stem}i`, `${stem}ies`, `${stem}is`];
    case 'a': // vietnamita(s)
      return [`${stem}a`, `${stem}as`];
  }
}

// ---------------------------------------------------------------- countries

/**
 * Region codes ICU names that are not ISO 3166-1 countries a GeoIP database reports:
 * deprecated codes that alias a current one (SU, DD, UK…), exceptional reservations (AC, IC…),
 * groupings (EU, UN, QO) and pseudo-locales. Left out so a name maps to one current code.
 */
const NOT_COUNTRIES = new Set([
  'AC', 'AN', 'BU', 'CP', 'CQ', 'CS', 'DD', 'DG', 'DY', 'EA', 'EU', 'EZ', 'FX', 'HV', 'IC', 'NH',
  'QO', 'RH', 'SU', 'TA', 'TP', 'UK', 'UN', 'VD', 'XA', 'XB', 'YD', 'YU', 'ZR', 'ZZ',
]);

/** Demonyms of the usual attack-source countries, and common short names ICU lacks. */
const COUNTRY_WORDS: Record<string, string[]> = {
  CN: [...forms('chin', 'o'), 'chinese'],
  RU: [...forms('rus', 'o'), 'russian', 'russians', 'federacion rusa', 'russian federation'],
  US: [...forms('estadounidens', 'e'), ...forms('norteamerican', 'o'), 'american', 'americans', 'usa', 'eeuu', 'ee uu', 'united states of america', 'estados unidos de america'],
  BR: [...forms('brasilen', 'o'), 'brazilian', 'brazilians'],
  IN: ['indio', 'indios', 'indias', 'indian', 'indians'],
  KR: [...forms('surcorean', 'o'), 'south korean', 'south koreans'],
  KP: [...forms('norcorean', 'o'), 'north korean', 'north koreans'],
  DE: ['aleman', 'alemana', 'alemanes', 'alemanas', 'german', 'germans'],
  NL: [...forms('neerland', 'es'), ...forms('holand', 'es'), 'dutch', 'holanda', 'holland', 'the netherlands'],
  FR: [...forms('franc', 'es'), 'french'],
  GB: [...forms('britanic', 'o'), 'british', 'uk', 'gran bretana', 'great britain', 'inglaterra', 'england'],
  UA: [...forms('ucranian', 'o'), 'ukrainian', 'ukrainians'],
  VN: [...forms('vietnamit', 'a'), 'vietnamese', 'viet nam'],
  IR: [...forms('iran', 'i'), 'iranian', 'iranians'],
  TW: [...forms('taiwan', 'es'), 'taiwanese'],
  ID: [...forms('indonesi', 'o'), 'indonesian', 'indonesians'],
  TR: [...forms('turc', 'o'), 'turkish', 'turkey'],
  SG: [...forms('singapurens', 'e'), 'singaporean', 'singaporeans'],
  JP: [...forms('japon', 'es'), 'japanese'],
  RO: [...forms('ruman', 'o'), 'romanian', 'romanians'],
  BG: [...forms('bulgar', 'o'), 'bulgarian', 'bulgarians'],
  PK: [...forms('pakistan', 'i'), 'pakistani', 'pakistanis'],
  MX: [...forms('mexican', 'o'), 'mexican', 'mexicans'],
  AR: [...forms('argentin', 'o'), 'argentinian', 'argentinians', 'argentine'],
  ES: ['espanol', 'espanola', 'espanoles', 'espanolas', 'spanish'],
  IT: [...forms('italian', 'o'), 'italian', 'italians'],
  PL: [...forms('polac', 'o'), 'polish'],
  TH: [...forms('tailand', 'es'), 'thai'],
  ZA: [...forms('sudafrican', 'o'), 'south african', 'south africans'],
  CA: [...forms('canadiens', 'e'), 'canadian', 'canadians'],
  HK: ['hong kong'],
  MO: ['macao', 'macau'],
  MM: ['burma', 'birmania'],
  CZ: ['czech republic', 'republica checa'],
  AE: ['uae', 'emiratos'],
  SA: ['arabia saudita'],
  CI: ['ivory coast', 'costa de marfil'],
  CD: ['dr congo', 'drc', 'democratic republic of the congo'],
  CG: ['republic of the congo'],
  VA: ['vatican', 'vaticano'],
};

/** ICU's names made matchable: "Myanmar (Burma)" → "Myanmar", "St. Lucia" → "Saint Lucia" too. */
function nameVariants(name: string, lang: Language): string[] {
  const plain = name.replace(/\s*\([^)]*\)/g, '').replace(/^RAE de /, '').replace(/ SAR China$/, '');
  // The full name too, so "RAE de Hong Kong (China)" is Hong Kong and not China.
  const out = [name, plain, plain.replace(/&/g, lang === 'es' ? 'y' : 'and')];
  if (/^St\. /.test(plain)) out.push(plain.replace(/^St\. /, 'Saint '));
  if (/ - /.test(plain)) out.push(plain.replace(/ - /, ' '));
  return out;
}

/** Words that name more than one country: the parser asks which instead of choosing. */
const AMBIGUOUS_WORDS: Record<string, string[]> = {
  corea: ['KR', 'KP'], korea: ['KR', 'KP'], coreano: ['KR', 'KP'], coreana: ['KR', 'KP'], coreanos: ['KR', 'KP'],
  coreanas: ['KR', 'KP'], korean: ['KR', 'KP'], koreans: ['KR', 'KP'], congo: ['CG', 'CD'], congoleno: ['CG', 'CD'],
};

export interface CountryTable {
  byName: Map<string, string>;
  codes: Set<string>;
  /** Folded words naming several countries → their codes. */
  ambiguous: Map<string, string[]>;
}

let countryTable: CountryTable | undefined;

/** Folded country names (ICU's in both languages, demonyms, aliases) → ISO alpha-2. */
export function countries(): CountryTable {
  if (countryTable) return countryTable;
  const byName = new Map<string, string>();
  const ambiguous = new Map<string, string[]>(Object.entries(AMBIGUOUS_WORDS));
  const codes = new Set<string>();
  const add = (word: string, code: string): void => {
    const key = fold(word);
    if (key === '') return;
    const vague = ambiguous.get(key);
    if (vague) {
      if (!vague.includes(code)) vague.push(code);
      return;
    }
    const had = byName.get(key);
    if (had !== undefined && had !== code) {
      // Two countries under one name: never guess.
      byName.delete(key);
      ambiguous.set(key, [had, code]);
      return;
    }
    byName.set(key, code);
  };
  const names = { es: displayNames('es'), en: displayNames('en') };
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (NOT_COUNTRIES.has(code)) continue;
      const en = names.en.of(code);
      if (en === undefined || en === code) continue;
      codes.add(code);
      for (const lang of ['es', 'en'] as const) {
        const name = names[lang].of(code);
        if (name !== undefined) for (const v of nameVariants(name, lang)) add(v, code);
      }
    }
  }
  for (const [code, words] of Object.entries(COUNTRY_WORDS)) for (const w of words) add(w, code);
  countryTable = { byName, codes, ambiguous };
  return countryTable;
}

const displayNameCache = new Map<Language, Intl.DisplayNames>();
function displayNames(lang: Language): Intl.DisplayNames {
  let d = displayNameCache.get(lang);
  if (!d) {
    d = new Intl.DisplayNames([lang], { type: 'region', fallback: 'none' });
    displayNameCache.set(lang, d);
  }
  return d;
}

/** "China (CN)", "Rusia (RU)"; an unknown code as it is. */
export function countryLabel(code: string, lang: Language): string {
  let name: string | undefined;
  try {
    name = displayNames(lang).of(code);
  } catch {
    name = undefined; // not a well-formed region code: show it as stored
  }
  return name && name !== code ? `${name} (${code})` : code;
}

// ---------------------------------------------------------------- attack types

export interface AttackPhrase {
  types: AlertType[];
  es: string;
  en: string;
  phrases: string[];
}

const PORT_SCANS: AlertType[] = ['port-scan-vertical', 'port-scan-horizontal', 'scan-probe'];
const FLOODS: AlertType[] = ['syn-flood', 'udp-amplification', 'tcp-reflection', 'icmp-flood'];

/**
 * Attack words → alert types. Group entries (port scans, floods) come after the single
 * types so a type set that equals a group is labelled by the group.
 */
export const ATTACKS: AttackPhrase[] = [
  {
    types: ['ssh-brute-force'], es: 'fuerza bruta SSH', en: 'SSH brute force',
    phrases: ['fuerza bruta ssh', 'fuerza bruta por ssh', 'fuerza bruta contra ssh', 'fuerza bruta en ssh', 'fuerza bruta',
      'ssh brute force', 'ssh bruteforce', 'brute force ssh', 'brute force on ssh', 'brute force', 'bruteforce', 'brute forcing',
      'brute forced', 'password guessing', 'adivinacion de contrasenas', 'ssh'],
  },
  {
    types: ['port-scan-vertical'], es: 'escaneo vertical de puertos', en: 'vertical port scan',
    phrases: ['escaneo vertical', 'escaneos verticales', 'escaneo vertical de puertos', 'escaneos verticales de puertos',
      'escaneo de puertos vertical', 'vertical scan', 'vertical scans', 'vertical port scan', 'vertical port scans'],
  },
  {
    types: ['port-scan-horizontal'], es: 'escaneo horizontal de puertos', en: 'horizontal port scan',
    phrases: ['escaneo horizontal', 'escaneos horizontales', 'escaneo horizontal de puertos', 'escaneos horizontales de puertos',
      'barrido', 'barridos', 'horizontal scan', 'horizontal scans', 'horizontal port scan', 'horizontal port scans', 'sweep', 'sweeps', 'host sweep'],
  },
  {
    types: ['scan-probe'], es: 'sondeo', en: 'scan probe',
    phrases: ['sondeo', 'sondeos', 'sonda', 'sondas', 'probe', 'probes', 'scan probe', 'scan probes', 'probing'],
  },
  {
    types: ['syn-flood'], es: 'inundación SYN', en: 'SYN flood',
    phrases: ['inundacion syn', 'inundaciones syn', 'inundacion de syn', 'inundacion de paquetes syn', 'syn flood', 'syn floods',
      'synflood', 'flood syn', 'syn flooding'],
  },
  {
    types: ['udp-amplification'], es: 'amplificación UDP', en: 'UDP amplification',
    phrases: ['amplificacion udp', 'amplificacion', 'amplificaciones', 'amplificacion de udp', 'udp amplification', 'amplification'],
  },
  {
    types: ['tcp-reflection'], es: 'reflexión TCP', en: 'TCP reflection',
    phrases: ['reflexion tcp', 'reflexion', 'reflexiones', 'tcp reflection', 'reflection'],
  },
  {
    types: ['icmp-flood'], es: 'inundación ICMP', en: 'ICMP flood',
    phrases: ['inundacion icmp', 'inundaciones icmp', 'inundacion de ping', 'icmp flood', 'icmp floods', 'ping flood', 'ping floods',
      'flood icmp', 'icmp'],
  },
  {
    types: ['anomaly'], es: 'anomalía', en: 'anomaly',
    phrases: ['anomalia', 'anomalias', ...forms('anomal', 'o'), 'anomaly', 'anomalies', 'anomalous'],
  },
  {
    types: PORT_SCANS, es: 'escaneo de puertos', en: 'port scan',
    phrases: ['escaneo de puertos', 'escaneos de puertos', 'escaneo', 'escaneos', ...forms('escanead', 'o'), 'escanearon', 'escanean',
      'port scan', 'port scans', 'portscan', 'portscans', 'port scanning', 'scan', 'scans', 'scanning', 'scanned', 'scanners'],
  },
  {
    types: FLOODS, es: 'inundación (DDoS)', en: 'flood (DDoS)',
    phrases: ['inundacion', 'inundaciones', 'flood', 'floods', 'flooding', 'ddos', 'denegacion de servicio', 'denial of service',
      ...forms('volumetric', 'o'), 'volumetric'],
  },
];

/** The label of a set of types, in their order, naming a whole group ("port scan") once. */
export function typesLabel(types: readonly string[], lang: Language): string {
  const left = new Set(types);
  const parts: string[] = [];
  for (const t of types) {
    if (!left.has(t)) continue;
    const group = ATTACKS.find((a) => a.types.length > 1 && a.types.includes(t as AlertType) && a.types.every((g) => left.has(g)));
    for (const g of group?.types ?? [t]) left.delete(g);
    parts.push(group ? group[lang] : typeLabel(t, lang));
  }
  return parts.join(', ');
}

const DECISION_LABELS: Record<string, Record<Language, string>> = {
  ban: { es: 'bloqueo', en: 'ban' },
  unban: { es: 'desbloqueo', en: 'unban' },
};

/** One alert type or decision action in words; anything else as stored. */
export function typeLabel(type: string, lang: Language): string {
  const single = ATTACKS.find((a) => a.types.length === 1 && a.types[0] === type);
  return single?.[lang] ?? DECISION_LABELS[type]?.[lang] ?? type;
}

export const KNOWN_ALERT_TYPES: ReadonlySet<string> = new Set(ALERT_TYPES);

// ---------------------------------------------------------------- events, risk, detectors

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
  kitnet: ['kitnet', 'ml', 'machine learning', 'aprendizaje automatico', 'el modelo', 'the model'],
  rules: ['reglas', 'las reglas', 'rules', 'the rules', 'rule based', 'basado en reglas'],
  operator: ['operador', 'el operador', 'operator', 'the operator', 'manual', 'manuales', 'manually', 'a mano', 'by hand'],
};

// ---------------------------------------------------------------- flows and services

/**
 * Words for per-flow summaries. "Sesiones"/"sessions" are in: to an operator an SSH session is
 * a connection, and no other event is called so. "Tráfico"/"traffic" is not: it may mean bytes,
 * and a flow count is not that.
 */
export const FLOW_WORDS = ['flujo', 'flujos', 'flow', 'flows', 'netflow', 'netflows', 'conexion', 'conexiones', 'connection',
  'connections', 'sesion', 'sesiones', 'session', 'sessions'];

/** Nouns naming a flow's service as a field ("top services", "por puerto"): the type dimension, for flows only. */
export const SERVICE_WORDS = ['servicio', 'servicios', 'service', 'services', 'puerto', 'puertos', 'port', 'ports',
  'puerto de destino', 'puertos de destino', 'destination port', 'destination ports'];

/**
 * Well-known services by name → the flow services they are (flowService in store/event-row.ts).
 * Read only in a question about flows: elsewhere "ssh" names SSH brute force. DNS is both UDP and
 * TCP; ping is the echo request of ICMP and of ICMPv6 (a flow's ICMP service is its type).
 */
export const SERVICE_NAMES: Record<string, string[]> = {
  ssh: ['tcp/22'], telnet: ['tcp/23'], smtp: ['tcp/25'], dns: ['udp/53', 'tcp/53'], http: ['tcp/80'], https: ['tcp/443'],
  ntp: ['udp/123'], smb: ['tcp/445'], rdp: ['tcp/3389'], ping: ['icmp/8', 'icmpv6/128'],
};

/** Whether a (folded) dimension phrase names the service. */
export function isServiceWord(phrase: string): boolean {
  const key = fold(phrase);
  return SERVICE_WORDS.some((w) => fold(w) === key);
}

/**
 * Flow services in words: TCP and UDP of the same ports (what "port 22" asks for) as
 * "port 22" / "ports 22 or 80"; anything else as stored ("tcp/22 or udp/53").
 */
export function servicesLabel(services: readonly string[], lang: Language): string {
  const es = lang === 'es';
  const or = es ? ' o ' : ' or ';
  const set = new Set(services);
  const ports: string[] = [];
  for (const s of services) {
    const m = /^(tcp|udp)\/(\d+)$/.exec(s);
    if (!m || !set.has(`${m[1] === 'tcp' ? 'udp' : 'tcp'}/${m[2]}`)) return services.join(or);
    if (!ports.includes(m[2])) ports.push(m[2]);
  }
  const many = ports.length > 1;
  return es ? `${many ? 'los puertos' : 'el puerto'} ${ports.join(or)}` : `${many ? 'ports' : 'port'} ${ports.join(or)}`;
}

// ---------------------------------------------------------------- measures

/** Nouns naming a field to group on ("top countries", "por país", "qué IPs"). */
export const DIMENSIONS: Record<EventField, string[]> = {
  source: ['ip', 'ips', 'direccion', 'direcciones', 'direccion ip', 'direcciones ip', 'address', 'addresses', 'ip address',
    'ip addresses', 'origen', 'origenes', 'fuente', 'fuentes', 'source', 'sources', 'atacante', 'atacantes', 'attacker', 'attackers',
    'source ip', 'source ips', 'ip de origen', 'ips de origen', 'quien', 'quienes', 'who'],
  target: ['destino', 'destinos', 'objetivo', 'objetivos', 'victima', 'victimas', 'target', 'targets', 'victim', 'victims',
    'servidor', 'servidores', 'server', 'servers', 'hosts atacados', 'attacked hosts', 'ip de destino', 'ips de destino'],
  country: ['pais', 'paises', 'country', 'countries'],
  asn: ['asn', 'asns', 'sistema autonomo', 'sistemas autonomos', 'autonomous system', 'autonomous systems', 'red', 'redes',
    'network', 'networks', 'isp', 'isps', 'proveedor', 'proveedores', 'provider', 'providers'],
  type: ['tipo', 'tipos', 'type', 'types', 'tipo de ataque', 'tipos de ataque', 'tipo de amenaza', 'tipos de amenaza',
    'tipos de alerta', 'attack type', 'attack types', 'kind', 'kinds', 'clase', 'clases', 'categoria', 'categorias', 'category',
    'categories', 'kinds of attack', 'types of attack', 'kind of attack', 'type of attack', ...SERVICE_WORDS],
  node: ['nodo', 'nodos', 'node', 'nodes'],
  detector: ['detector', 'detectores', 'detectors'],
};

/** Names of the fields in answers and in what was understood: singular, plural (a flow's type: dimensionName). */
const DIMENSION_NAMES: Record<EventField, Record<Language, [string, string]>> = {
  source: { es: ['origen', 'orígenes'], en: ['source', 'sources'] },
  target: { es: ['destino', 'destinos'], en: ['target', 'targets'] },
  country: { es: ['país', 'países'], en: ['country', 'countries'] },
  asn: { es: ['ASN', 'ASN'], en: ['ASN', 'ASNs'] },
  type: { es: ['tipo', 'tipos'], en: ['type', 'types'] },
  node: { es: ['nodo', 'nodos'], en: ['node', 'nodes'] },
  detector: { es: ['detector', 'detectores'], en: ['detector', 'detectors'] },
};

/** A field's name for a kind of event, singular and plural: a flow's type is its service. */
export function dimensionName(field: EventField, kind: EventKind, lang: Language): [string, string] {
  if (field === 'type' && kind === 'flow') return lang === 'es' ? ['servicio', 'servicios'] : ['service', 'services'];
  return DIMENSION_NAMES[field][lang];
}

export const COUNT_WORDS = ['cuantos', 'cuantas', 'cuanto', 'cuanta', 'numero de', 'cantidad de', 'total de', 'total', 'totales',
  'cuenta', 'contar', 'how many', 'how much', 'number of', 'count', 'total number of', 'amount of'];
export const DISTINCT_WORDS = ['distintos', 'distintas', 'diferentes', 'unicos', 'unicas', 'distinct', 'different', 'unique'];
export const TOP_WORDS = ['top', 'principales', 'mas activos', 'mas activas', 'mas frecuentes', 'que mas', 'los que mas',
  'las que mas', 'con mas', 'mas', 'peores', 'mayores', 'ranking', 'clasificacion', 'most active', 'most frequent', 'the most',
  'with the most', 'with most', 'most', 'worst', 'biggest', 'busiest', 'noisiest', 'leading', 'primeros', 'primeras', 'first'];
export const TREND_WORDS = ['tendencia', 'tendencias', 'evolucion', 'a lo largo del tiempo', 'en el tiempo', 'historico',
  'histograma', 'serie temporal', 'grafica', 'grafico', 'trend', 'trends', 'evolution', 'over time', 'histogram', 'timeline',
  'time series', 'chart', 'graph'];
export const BUCKETS: Record<'minute' | 'hour' | 'day', string[]> = {
  minute: ['por minuto', 'cada minuto', 'minuto a minuto', 'per minute', 'by minute', 'each minute', 'every minute',
    'minute by minute'],
  hour: ['por hora', 'por horas', 'cada hora', 'hora a hora', 'per hour', 'by hour', 'each hour', 'every hour', 'hourly',
    'hour by hour'],
  day: ['por dia', 'por dias', 'cada dia', 'dia a dia', 'diario', 'diaria', 'diarios', 'per day', 'by day', 'each day',
    'every day', 'daily', 'day by day'],
};
/** "los últimos eventos", "latest alerts": the newest events themselves. */
export const LATEST_WORDS = ['ultimos', 'ultimas', 'mas recientes', 'recientes', 'last', 'latest', 'newest', 'most recent', 'recent'];
/** Verbs that ask to see events; they make a list only when nothing else says what to measure. */
export const SHOW_WORDS = ['muestra', 'muestrame', 'mostrar', 'muestre', 'ensena', 'ensename', 'lista', 'listar', 'listame',
  'ver', 'dame', 'show', 'list', 'display', 'give me', 'print'];
/** "qué", "what", "which": with a threat word, the threats by type. */
export const WHAT_WORDS = ['que', 'cual', 'cuales', 'what', 'which', 'que tipo de', 'que tipos de', 'what kind of',
  'what kinds of', 'what type of', 'what types of', 'which kind of', 'which types of'];
/** "por país", "by country": group on the field that follows. */
export const GROUP_WORDS = ['por', 'by', 'per', 'segun', 'para cada', 'for each', 'agrupado por', 'agrupados por',
  'agrupadas por', 'grouped by', 'broken down by', 'desglosado por'];
export const ALL_WORDS = ['todas', 'todos', 'toda', 'todo', 'all', 'every', 'cada', 'cualquier', 'any'];

export const NUMBER_WORDS: Record<string, number> = {
  dos: 2, tres: 3, cuatro: 4, cinco: 5, seis: 6, siete: 7, ocho: 8, nueve: 9, diez: 10, doce: 12, quince: 15, veinte: 20,
  treinta: 30, cincuenta: 50, cien: 100,
  two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, twelve: 12, fifteen: 15, twenty: 20,
  thirty: 30, fifty: 50, hundred: 100,
};
/** "una hora", "an hour": one, where a unit follows (alone they are articles). */
export const ONE_WORDS = ['un', 'una', 'uno', 'a', 'an', 'one'];

// ---------------------------------------------------------------- time

export type TimeUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';
export const TIME_UNITS: Record<TimeUnit, string[]> = {
  minute: ['minuto', 'minutos', 'min', 'mins', 'm', 'minute', 'minutes'],
  hour: ['hora', 'horas', 'h', 'hr', 'hrs', 'hour', 'hours'],
  day: ['dia', 'dias', 'd', 'day', 'days'],
  week: ['semana', 'semanas', 'week', 'weeks'],
  month: ['mes', 'meses', 'month', 'months'],
};
export const UNIT_NAMES: Record<TimeUnit, Record<Language, [string, string]>> = {
  minute: { es: ['minuto', 'minutos'], en: ['minute', 'minutes'] },
  hour: { es: ['hora', 'horas'], en: ['hour', 'hours'] },
  day: { es: ['día', 'días'], en: ['day', 'days'] },
  week: { es: ['semana', 'semanas'], en: ['week', 'weeks'] },
  month: { es: ['mes', 'meses'], en: ['month', 'months'] },
};
/** Monday = 1 … Sunday = 0, as Date.getUTCDay. */
export const WEEKDAYS: Record<string, number> = {
  domingo: 0, lunes: 1, martes: 2, miercoles: 3, jueves: 4, viernes: 5, sabado: 6,
  sunday: 0, monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6,
};
export const WEEKDAY_NAMES: Record<Language, string[]> = {
  es: ['domingo', 'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado'],
  en: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
};

// ---------------------------------------------------------------- commands and roles

export const BLOCK_VERBS = ['bloquea', 'bloquear', 'bloquee', 'bloqueen', 'bloqueame', 'banea', 'banear', 'banee', 'veta', 'vetar',
  'block', 'ban', 'blacklist', 'deny'];
export const UNBLOCK_VERBS = ['desbloquea', 'desbloquear', 'desbloquee', 'desbloqueen', 'desbanea', 'desbanear',
  'levanta el bloqueo de', 'levanta el bloqueo a', 'quita el bloqueo de', 'quita el bloqueo a', 'unblock', 'unban',
  'lift the ban on', 'remove the ban on'];
export const POLITE_WORDS = ['por favor', 'please', 'puedes', 'podrias', 'can you', 'could you', 'would you', 'quiero',
  'quisiera', 'i want to', 'i would like to', 'necesito', 'hay que', 'tienes que', 'you should', 'go ahead and'];

/** Words before an address that make it the source, or the target. */
export const SOURCE_ROLE_WORDS = ['desde', 'de', 'del', 'from', 'by', 'por', 'source', 'origen', 'fuente', 'originados en',
  'procedentes de', 'coming from', 'originating from', 'hechos por', 'made by'];
export const TARGET_ROLE_WORDS = ['contra', 'a', 'al', 'hacia', 'sobre', 'en', 'to', 'against', 'toward', 'towards', 'target',
  'destino', 'objetivo', 'on', 'in', 'into', 'atacando', 'atacan', 'atacaron', 'attacking', 'targeting', 'targeted', 'hit'];
/** Nouns before an address: the ones that name a machine of ours make it a target. */
export const ADDRESS_NOUNS = ['ip', 'la ip', 'direccion', 'la direccion', 'direccion ip', 'address', 'the address', 'ip address',
  'the ip', 'red', 'la red', 'subred', 'network', 'the network', 'subnet', 'rango', 'range', 'bloque', 'host', 'el host', 'the host'];
export const TARGET_NOUNS = ['servidor', 'el servidor', 'server', 'the server', 'maquina', 'la maquina', 'machine', 'the machine'];

/** Words that point at a place: an unknown word after them is an unknown place. */
export const PLACE_WORDS = ['desde', 'de', 'del', 'en', 'from', 'in', 'of'];

// ---------------------------------------------------------------- filler

/**
 * Words a question carries that ask for nothing by themselves (articles, pronouns, auxiliary
 * verbs, "hemos visto", "please"). Any other word left unmapped makes the question unmappable,
 * so this list is what keeps the parser from refusing ordinary phrasing.
 */
export const FILLER = new Set(
  [
    // Spanish
    'el', 'la', 'los', 'las', 'lo', 'un', 'una', 'unos', 'unas', 'de', 'del', 'desde', 'en', 'a', 'al', 'y', 'e', 'o', 'u', 'con',
    'por', 'para', 'sobre', 'entre', 'hasta', 'que', 'cual', 'cuales', 'quien', 'quienes', 'cuando', 'donde', 'como', 'se', 'nos',
    'me', 'mi', 'mis', 'te', 'tu', 'su', 'sus', 'nuestro', 'nuestra', 'nuestros', 'nuestras', 'este', 'esta', 'estos', 'estas',
    'ese', 'esa', 'esos', 'esas', 'hemos', 'he', 'ha', 'han', 'has', 'hay', 'hubo', 'habido', 'haya', 'hayan', 'hecho', 'hicieron',
    'hizo', 'visto', 'vimos', 'ver', 'veo', 'vemos', 'recibido', 'recibimos', 'recibio', 'recibieron', 'tenido', 'tenemos',
    'tuvimos', 'detectado', 'detectados', 'detectadas', 'detectada', 'detectamos', 'detecto', 'registrado', 'registrados',
    'registradas', 'sido', 'son', 'es', 'fue', 'fueron', 'estan', 'era', 'eran', 'vienen', 'viene', 'venido', 'vinieron',
    'llegado', 'llegaron', 'procedentes', 'procedente', 'provenientes', 'originados', 'originadas', 'atacado', 'atacados',
    'atacadas', 'ataca', 'atacan', 'atacaron', 'atacando', 'atacar', 'intentado', 'intentaron', 'intentos', 'intento', 'realizado',
    'realizados', 'sufrido', 'sufrimos', 'dime', 'dinos', 'decir', 'saber', 'favor', 'porfa', 'puedes', 'podrias', 'quiero',
    'quisiera', 'necesito', 'sospechosa', 'sospechosas', 'sospechosos', 'maliciosa', 'maliciosas', 'maliciosos', 'mucho', 'muchos', 'muchas', 'ya', 'aun', 'todavia', 'tambien', 'solo', 'solamente', 'unicamente', 'ahora', 'alguna',
    'algun', 'alguno', 'algunas', 'algunos', 'hubieron', 'pasa', 'pasando', 'ocurre', 'sucede', 'nuevo', 'nuevos', 'nuevas', 'si',
    'no', 'hayamos', 'hagan', 'hacen', 'hacia', 'vistos', 'vistas', 'usados', 'usadas',
    // English
    'the', 'a', 'an', 'of', 'from', 'in', 'on', 'at', 'to', 'for', 'by', 'with', 'and', 'or', 'since', 'during', 'over', 'within',
    'between', 'until', 'what', 'which', 'who', 'whom', 'when', 'where', 'how', 'whats', 'have', 'has', 'had', 'having', 'we',
    'us', 'our', 'ours', 'me', 'my', 'i', 'you', 'your', 'they', 'them', 'their', 'it', 'its', 'this', 'that', 'these', 'those',
    'there', 'theres', 'is', 'are', 'was', 'were', 'be', 'been', 'being', 'did', 'do', 'does', 'done', 'seen', 'see', 'saw',
    'got', 'get', 'gotten', 'received', 'receive', 'detected', 'observed', 'logged', 'recorded', 'come', 'came', 'coming',
    'originating', 'originated', 'made', 'make', 'performed', 'tried', 'attempted', 'attempts', 'attempt', 'attacked',
    'attacking', 'targeted', 'hit', 'tell', 'please', 'can', 'could', 'would', 'should', 'want', 'like', 'know', 'need',
    'suspicious', 'malicious', 'so', 'far', 'some', 'just', 'only', 'now', 'currently', 'still', 'also', 'new', 'lets', 'let',
    'against', 'up', 'out', 'about', 'than', 'used',
  ].map(fold),
);

/** Words that say the question is Spanish, or English, when counted (no accents needed). */
export const LANGUAGE_MARKERS: Record<Language, Set<string>> = {
  es: new Set(['que', 'cuantos', 'cuantas', 'cuanto', 'desde', 'hoy', 'ayer', 'hemos', 'visto', 'de', 'del', 'los', 'las', 'el',
    'la', 'y', 'en', 'por', 'para', 'hora', 'horas', 'ultima', 'ultimo', 'ultimos', 'ultimas', 'dias', 'semana', 'mes', 'amenazas',
    'ataques', 'eventos', 'alertas', 'bloquea', 'desbloquea', 'muestra', 'muestrame', 'paises', 'pais', 'principales', 'mas',
    'fuerza', 'bruta', 'escaneo', 'escaneos', 'puertos', 'contra', 'tendencia', 'tiempo', 'hace', 'cual', 'cuales', 'nos', 'han',
    'hay', 'hubo', 'todas', 'todos', 'bloqueos', 'baneos', 'esta', 'este', 'dame', 'dime', 'minutos', 'con', 'una', 'un', 'se',
    'bloqueado', 'bloqueadas', 'bloqueados', 'origen', 'destino', 'riesgo', 'alto', 'inundacion', 'anomalias', 'lista', 'ultima',
    'tipo', 'tipos', 'direcciones', 'es', 'son', 'desbloquear', 'bloquear', 'semana', 'evolucion', 'cada', 'dia', 'chinas',
    'chinos', 'rusas', 'rusos', 'paso', 'pasado', 'cuales', 'mostrar', 'muestra', 'ver', 'flujo', 'flujos', 'conexiones', 'sesiones',
    'puerto', 'servicios', 'destinos']),
  en: new Set(['what', 'how', 'many', 'much', 'from', 'today', 'yesterday', 'the', 'last', 'hour', 'hours', 'days', 'week',
    'month', 'threats', 'attacks', 'events', 'alerts', 'block', 'unblock', 'show', 'list', 'countries', 'country', 'sources',
    'source', 'in', 'on', 'since', 'tell', 'have', 'we', 'seen', 'did', 'there', 'were', 'was', 'is', 'are', 'per', 'by', 'trend',
    'brute', 'force', 'scan', 'scans', 'to', 'against', 'of', 'all', 'which', 'please', 'me', 'a', 'joke', 'minutes', 'day',
    'ban', 'bans', 'blocked', 'high', 'risk', 'types', 'type', 'targets', 'latest', 'most', 'with', 'and', 'this', 'past',
    'weather', 'unban', 'give', 'attackers', 'addresses', 'flood', 'floods', 'anomalies', 'every', 'each', 'flow', 'flows',
    'connections', 'sessions', 'port', 'ports', 'services']),
};
