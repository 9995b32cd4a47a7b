// Places in a question: addresses and CIDRs (the word before them says source or target), ASes,
// countries (names and demonyms in both languages, ISO codes in capitals after a place word)
// and nodes; and how a word left over is told to be an address or a place that is none.

import { isIP } from 'node:net';
import { ALT } from './alternations.ts';
import type { Findings } from './findings.ts';
import { addOnce, type Scanner } from './scanner.ts';
import * as V from './vocabulary.ts';

/** Addresses and CIDRs, with the word before them saying whether they attack or are attacked. */
export function scanAddresses(s: Scanner, f: Findings): void {
  let lastRole: 'source' | 'target' = 'source';
  s.take(`(?:(${ALT.sourceRole})\\s+|(${ALT.targetRole})\\s+)?(?:(?:la|el|las|los|the)\\s+)?(?:(${ALT.targetNoun})\\s+|${ALT.addressNoun}\\s+)?((?:\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]*)(?:/\\d{1,3})?)`, (m) => {
    const [addr, prefix] = m[4].split('/');
    const family = isIP(addr);
    if (family === 0 || (prefix !== undefined && Number(prefix) > (family === 4 ? 32 : 128))) return false;
    const role = m[1] !== undefined ? 'source' : m[2] !== undefined || m[3] !== undefined ? 'target' : lastRole;
    lastRole = role;
    addOnce(role === 'source' ? f.sources : f.targets, m[4]);
  });
}

/** AS numbers ("AS4134", "el ASN 4134"). */
export function scanAsns(s: Scanner, f: Findings): void {
  s.take(`(?:(?:el|the)\\s+)?asn?\\s?(\\d{1,10})`, (m) => {
    const asn = Number(m[1]);
    if (asn < 1 || asn > 4_294_967_295) return false;
    addOnce(f.asns, asn);
  });
}

let countryPattern: string | undefined;

/** Countries by name or demonym, and bare ISO codes. */
export function scanCountries(s: Scanner, f: Findings): void {
  const { byName, codes } = V.countries();
  countryPattern ??= V.alternation(byName.keys());
  s.take(countryPattern, (m) => {
    const code = byName.get(m[0].replace(/\s+/g, ' '));
    if (!code) return false;
    addOnce(f.countries, code);
  });
  // A bare ISO code only in capitals after a place word or another code ("from CN or RU"):
  // in lower case "in", "de", "no", "us" are words.
  const codeLeads = new Set([...V.PLACE_WORDS, 'pais', 'paises', 'country', 'countries', 'o', 'or', 'y', 'and', 'e']);
  s.take(`[a-z]{2}`, (m) => {
    const code = s.original(m);
    const before = s.wordBefore(m);
    if (code !== code.toUpperCase() || !codes.has(code)) return false;
    if (!codeLeads.has(before) && !f.countries.includes(before.toUpperCase())) return false;
    addOnce(f.countries, code);
  });
}

/** A node by name ("el nodo web1", "node n2"). */
export function scanNodes(s: Scanner, f: Findings): void {
  s.take(`(?:(?:el|the)\\s+)?(?:nodo|node)\\s+([a-z0-9][a-z0-9._]*)`, (m) => {
    if (V.FILLER.has(m[1]) || /^\d+$/.test(m[1]) && m[1].length > 3) return false;
    addOnce(f.nodes, s.original(m, 1));
  });
}

/** A word left over that is shaped like an address (digits with dots or colons): a bad address. */
export const looksLikeAddress = (w: string): boolean => /^[0-9a-f.:/]+$/.test(w) && /\d/.test(w) && /[.:]/.test(w);

/** A word left over after a place word ("from Atlantis", "en Madrid"): a place not known. */
export const looksLikePlace = (w: { before: string; original: string }): boolean =>
  V.PLACE_WORDS.includes(w.before) && (['desde', 'from'].includes(w.before) || /^[A-Z]/.test(w.original));
