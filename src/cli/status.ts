// `autoimmune status`: the running node's actor tree, through its HTTP API.

import { UsageError } from '../errors.ts';
import type { TreeSnapshot } from '../supervisors/cell.ts';
import type { SystemSnapshot } from '../supervisors/actor-system.ts';
import { getJson, nodeTarget, parseSub, TARGET_HELP, TARGET_OPTIONS } from './node-target.ts';

function printTree(t: TreeSnapshot, depth: number, out: string[]): void {
  const name = t.path === '/' ? '/' : t.id;
  const mailbox = t.type === 'worker' ? `mailbox ${t.mailboxDepth}/${t.mailboxCapacity}` : `${t.strategy}`;
  const err = t.lastError ? `  last error: ${t.lastError}` : '';
  out.push(`${'  '.repeat(depth)}${name.padEnd(Math.max(1, 24 - depth * 2))} ${t.kind.padEnd(12)} ${t.status.padEnd(10)} restarts ${String(t.restarts).padStart(3)}  ${mailbox.padEnd(18)} processed ${t.processed} (${t.rate}/s)${err}`);
  for (const c of t.children ?? []) printTree(c, depth + 1, out);
}

export const STATUS_HELP = `Usage: autoimmune status [--json]

Print the running node's actor tree (status, restarts, mailboxes, rates) through its API.

Options:
  --json           the snapshot as JSON
${TARGET_HELP}`;

export async function cmdStatus(args: string[]): Promise<number> {
  const { values, positionals } = parseSub(args, { ...TARGET_OPTIONS, json: { type: 'boolean' } }, 'status');
  if (positionals.length > 0) throw new UsageError(`status takes no arguments, got ${positionals.join(' ')}. See 'autoimmune status --help'.`);
  const t = nodeTarget(values);
  const snap = (await getJson(t, '/api/tree')) as SystemSnapshot;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(snap, null, 2)}\n`);
    return 0;
  }
  const lines = [`node ${snap.node} at ${t.base} — ${new Date(snap.at).toISOString()} — dead letters ${snap.deadLetters.total}`];
  printTree(snap.tree, 0, lines);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
