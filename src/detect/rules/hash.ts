// Small integer hashes for the rule tables and sketches (no allocation): the project's own
// (src/util/hash.ts), under the names the rules use.

export { fnv1a as hashText, mix32 } from '../../util/hash.ts';
