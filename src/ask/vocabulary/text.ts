// Text as the parser matches it: folded (lower case, no accents, no punctuation), and word
// lists turned into regular expressions. The lists are written naturally and folded here when
// they are matched.

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
export function forms(stem: string, ending: 'o' | 'es' | 'e' | 'i' | 'a'): string[] {
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
