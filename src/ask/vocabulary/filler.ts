// Filler: the words a question carries that ask for nothing by themselves.

import { fold } from './text.ts';

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
