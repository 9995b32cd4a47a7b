// The two languages a question may be in, and the words that tell them apart.

export type Language = 'es' | 'en';

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
