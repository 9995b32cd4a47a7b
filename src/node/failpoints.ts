// Deliberate faults built into the program and switched on from outside, as FreeBSD's
// fail points and etcd's gofail do: a chaos run with one on must break an invariant, which
// shows the run can tell a broken build from a sound one. Off unless the environment says
// AUTOIMMUNE_FAILPOINTS=<name>[,<name>…]; an unknown name stops the program at start.

import { ConfigError } from '../errors.ts';

export const FAILPOINTS = {
  /** The firewall actor starts without reconciling its rules to the ban registry. */
  'firewall.skip-reconcile': 'the firewall actor does not reconcile its rules to the ban registry when it (re)starts',
  /**
   * The store's thread exits when a query reaches it, before running it: the thread dies with
   * a call waiting on it and no native call in flight (terminating a worker while DuckDB's
   * binding has an asynchronous call running aborts the whole process: node-addon-api cannot
   * throw into the ended thread; 3 of 30 runs of the test that did so).
   */
  'store.thread-exits-on-query': "the store's thread exits as a query reaches it",
} as const;

export type Failpoint = keyof typeof FAILPOINTS;

/** The active fail points named by `text` (the environment variable's value); throws on an unknown name. */
export function parseFailpoints(text: string | undefined): Set<Failpoint> {
  const out = new Set<Failpoint>();
  for (const raw of (text ?? '').split(',')) {
    const name = raw.trim();
    if (!name) continue;
    if (!(name in FAILPOINTS)) throw new ConfigError(`AUTOIMMUNE_FAILPOINTS: unknown fail point ${JSON.stringify(name)}; known: ${Object.keys(FAILPOINTS).join(', ')}`);
    out.add(name as Failpoint);
  }
  return out;
}

let active: Set<Failpoint> | undefined;

/** Whether `name` is switched on in this process. */
export function failpoint(name: Failpoint): boolean {
  active ??= parseFailpoints(process.env.AUTOIMMUNE_FAILPOINTS);
  return active.has(name);
}

/** The active ones with what each breaks, for a loud notice at start (empty when none). */
export function activeFailpoints(): string[] {
  active ??= parseFailpoints(process.env.AUTOIMMUNE_FAILPOINTS);
  return [...active].map((n) => `${n} (${FAILPOINTS[n]})`);
}
