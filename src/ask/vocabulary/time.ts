// Time: units, their names in answers, and weekdays.

import type { Language } from './language.ts';

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
