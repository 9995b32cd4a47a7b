// The words the question parser knows, in Spanish and English: countries and demonyms,
// attack types, time words, measures, commands and the filler words a question may carry.
// Everything is matched after fold() (lower case, no accents, no punctuation), so the lists
// are written naturally and folded when matched (vocabulary/text.ts).
//
// The lists live in vocabulary/, a file for each kind of word; this module gathers them, so
// the parser and the answers import one name.

export { alternation, fold, foldCased } from './vocabulary/text.ts';
export * from './vocabulary/language.ts';
export * from './vocabulary/countries.ts';
export * from './vocabulary/attacks.ts';
export * from './vocabulary/events.ts';
export * from './vocabulary/flows.ts';
export * from './vocabulary/measures.ts';
export * from './vocabulary/time.ts';
export * from './vocabulary/commands.ts';
export * from './vocabulary/places.ts';
export * from './vocabulary/filler.ts';
