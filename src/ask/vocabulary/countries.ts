// Countries: every ISO name ICU knows in Spanish and English, demonyms and common short names,
// and the words that name more than one country (the parser asks which).

import type { Language } from './language.ts';
import { fold, forms } from './text.ts';

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
