// Commands: "bloquea…", "please unblock…" at the start of a question; and the rule that a
// command must say whom it acts on.

import type { EventFilters, EventKind } from '../store/event-query.ts';
import { ALT } from './alternations.ts';
import type { Findings } from './findings.ts';
import { SAY } from './parse-say.ts';
import type { Scanner } from './scanner.ts';
import type { Language } from './vocabulary.ts';

/** A command is an imperative at the start ("bloquea…", "please unblock…"); "bloqueos" later is a noun. */
export function scanCommand(s: Scanner, f: Findings): void {
  s.take(`^(?:${ALT.polite}\\s+)*(?:(${ALT.unblock})|(${ALT.block}))`, (m) => {
    f.command = m[1] !== undefined ? 'unblock' : 'block';
  });
}

/**
 * A command must say whom: some filter, or an explicit "top 5". "Block everything" is refused.
 * (A decision's type is only the action it was asked about; an alert's or a flow's selects.)
 * Said only when nothing else is wrong with the question.
 */
export function checkCommandSelects(f: Findings, kind: EventKind, filters: EventFilters, limited: boolean, lang: Language, problems: string[]): void {
  const selects = Object.keys(filters).some((k) => k !== 'type' || kind !== 'decision') || limited;
  if (f.command && !selects && problems.length === 0) problems.push(SAY[lang].nothingToAct(f.command));
}
