// The question as text being consumed: each phrase a pattern maps is blanked out, so what is
// left at the end is what was not understood. And the small helpers the patterns share.

import * as V from './vocabulary.ts';

/** The folded question; each mapped phrase is blanked out so what is left is what was not understood. */
export class Scanner {
  private work: string;
  constructor(readonly lower: string, readonly cased: string) {
    this.work = lower;
  }

  /** Each whole-word match of `source` that `accept` does not refuse (return false) is taken out. */
  take(source: string, accept: (m: RegExpMatchArray) => boolean | void = () => true): number {
    const taken: Array<[number, number]> = [];
    for (const m of this.work.matchAll(new RegExp(`(?<!\\S)(?:${source})(?!\\S)`, 'dg'))) {
      if (accept(m) !== false) taken.push([m.index ?? 0, m[0].length]);
    }
    for (const [at, n] of taken) this.work = this.work.slice(0, at) + ' '.repeat(n) + this.work.slice(at + n);
    return taken.length;
  }

  /** The original spelling of a match or of one of its groups (upper case kept). */
  original(m: RegExpMatchArray, group = 0): string {
    const span = m.indices?.[group];
    return span ? this.cased.slice(span[0], span[1]) : '';
  }

  /** The word before a match, or before offset `at`, in the question as asked (taken or not). */
  wordBefore(m: RegExpMatchArray | number): string {
    const at = typeof m === 'number' ? m : m.index ?? 0;
    return /(\S+)\s*$/.exec(this.lower.slice(0, at))?.[1] ?? '';
  }

  /** Words not taken, with their spelling and the word before them in the question. */
  left(): Array<{ word: string; original: string; before: string }> {
    const out: Array<{ word: string; original: string; before: string }> = [];
    for (const m of this.work.matchAll(/\S+/g)) {
      const at = m.index ?? 0;
      out.push({ word: m[0], original: this.cased.slice(at, at + m[0].length), before: this.wordBefore(at) });
    }
    return out;
  }
}

/** The key of `table` whose words include `phrase` (both folded), if any. */
export function lookup<T extends string>(table: Record<T, string[]>, phrase: string): T | undefined {
  const key = V.fold(phrase).replace(/\s+/g, ' ');
  for (const [k, words] of Object.entries(table) as Array<[T, string[]]>) if (words.some((w) => V.fold(w) === key)) return k;
  return undefined;
}

/** "5", "cinco", "an" → 5, 5, 1 (a number of rows, or of units); NaN for any other word. */
export function numberOf(word: string): number {
  if (/^\d+$/.test(word)) return Number(word);
  if (V.ONE_WORDS.includes(word)) return 1;
  return V.NUMBER_WORDS[word] ?? NaN;
}

/** Pushes `v` unless `list` has it already. */
export const addOnce = <T>(list: T[], v: T): void => {
  if (!list.includes(v)) list.push(v);
};
