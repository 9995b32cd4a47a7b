// `autoimmune ask "…"`: a question to a running node (POST /api/ask). Prints the answer,
// then what it understood and the query it ran, so the reader can check the numbers; --json
// prints the whole answer. A command ("bloquea …") prints its dry run and how to confirm it:
// `autoimmune ask --confirm <id>`.

import { apiTarget, callApi, type ApiTarget } from './bans.ts';
import { AutoimmuneError, UsageError } from '../errors.ts';
import { parseCommand } from './args.ts';

export async function askNode(t: ApiTarget, question: string, o: { node?: string; json: boolean; timeZone?: string }): Promise<string> {
  const { status, json } = await callApi(t, 'POST', '/api/ask', { question, ...(o.node ? { node: o.node } : {}), ...(o.timeZone ? { timeZone: o.timeZone } : {}) });
  if (status !== 200) throw new AutoimmuneError(json?.code ?? 'AI_ERR_API', json?.error ?? `HTTP ${status}`);
  if (o.json) return JSON.stringify(json, null, 2);
  const lines = [json.text as string];
  if (json.mapped) {
    lines.push('', `understood: ${(json.understood as string[]).join('; ')}`, `query: ${JSON.stringify(json.query)}`);
    if (json.toolCall?.dryRun?.confirmation) lines.push(`to do it: autoimmune ask --confirm ${json.toolCall.dryRun.confirmation} --tool ${json.toolCall.name}`);
  }
  return lines.join('\n');
}

export async function confirmTool(t: ApiTarget, tool: string, confirmation: string): Promise<string> {
  const { status, json } = await callApi(t, 'POST', `/api/tools/${encodeURIComponent(tool)}`, { confirm: confirmation });
  if (status === 401) throw new AutoimmuneError('AI_ERR_UNAUTHORISED', `the node at ${t.base} refused the token${t.token ? '' : ' (none found)'}: pass --token or set AUTOIMMUNE_TOKEN`);
  if (status !== 200) throw new AutoimmuneError(json?.code ?? 'AI_ERR_API', json?.error ?? `HTTP ${status}`);
  const done = (json.done as Array<{ address: string; action?: string }>).map((d) => `${d.action ?? 'done'} ${d.address}`);
  const refused = (json.refused as Array<{ address: string; why: string }>).map((r) => `refused ${r.address}: ${r.why}`);
  return [...done, ...refused].join('\n') || 'nothing to do';
}

export async function cmdAsk(args: string[]): Promise<number> {
  const opts = { url: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' }, node: { type: 'string' }, tz: { type: 'string' }, json: { type: 'boolean' }, confirm: { type: 'string' }, tool: { type: 'string' } } as const;
  const { values, positionals } = parseCommand(args, opts);
  const t = apiTarget(values);
  if (values.confirm !== undefined) {
    if (positionals.length > 0) throw new UsageError('ask --confirm ID takes no question');
    process.stdout.write(`${await confirmTool(t, values.tool ?? 'block_addresses', values.confirm)}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`ask takes one question in quotes, e.g. autoimmune ask "how many alerts today?"; got ${positionals.length} arguments`);
  process.stdout.write(`${await askNode(t, positionals[0]!, { json: Boolean(values.json), ...(values.node ? { node: values.node } : {}), ...(values.tz ? { timeZone: values.tz } : {}) })}\n`);
  return 0;
}
