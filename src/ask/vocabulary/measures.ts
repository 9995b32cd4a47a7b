// Measures: the fields to group on and their names, and the words for counts, tops, trends,
// lists and numbers.

import type { EventField, EventKind } from '../../store/event-query.ts';
import { SERVICE_WORDS } from './flows.ts';
import type { Language } from './language.ts';

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
