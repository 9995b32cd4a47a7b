// `autoimmune status`: the running node's actor tree, through its HTTP API.

import { AutoimmuneError, UsageError } from '../errors.ts';
import type { TreeSnapshot } from '../supervisors/cell.ts';
import type { SystemSnapshot } from '../supervisors/actor-system.ts';
import { parse } from './args.ts';

function printTree(t: TreeSnapshot, depth: number, out: string[]): void {
  const name = t.path === '/' ? '/' : t.id;
  const mailbox = t.type === 'worker' ? `mailbox ${t.mailboxDepth}/${t.mailboxCapacity}` : `${t.strategy}`;
  const err = t.lastError ? `  last error: ${t.lastError}` : '';
  out.push(`${'  '.repeat(depth)}${name.padEnd(Math.max(1, 24 - depth * 2))} ${t.kind.padEnd(12)} ${t.status.padEnd(10)} restarts ${String(t.restarts).padStart(3)}  ${mailbox.padEnd(18)} processed ${t.processed} (${t.rate}/s)${err}`);
  for (const c of t.children ?? []) printTree(c, depth + 1, out);
}

export async function cmdStatus(args: string[]): Promise<void> {
  const { values } = parse(args, { url: { type: 'string' }, json: { type: 'boolean' } });
  const base = ((values.url as string | undefined) ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${base}/api/tree`);
  } catch {
    throw new UsageError(`--url must be an http URL such as http://127.0.0.1:8000, got ${JSON.stringify(values.url)}`);
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new AutoimmuneError('AI_ERR_NODE_UNREACHABLE', `no node answers at ${base} (${(err as Error).cause ?? (err as Error).message}); start one with 'npm start' or pass --url`);
  }
  if (!res.ok) throw new AutoimmuneError('AI_ERR_NODE_UNREACHABLE', `${url} answered ${res.status}: ${await res.text()}`);
  const snap = (await res.json()) as SystemSnapshot;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(snap, null, 2)}\n`);
    return;
  }
  const lines = [`node ${snap.node} at ${base} — ${new Date(snap.at).toISOString()} — dead letters ${snap.deadLetters.total}`];
  printTree(snap.tree, 0, lines);
  process.stdout.write(`${lines.join('\n')}\n`);
}
