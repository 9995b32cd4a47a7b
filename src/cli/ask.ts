// `autoimmune ask "…"`: a question to a running node (POST /api/ask). Prints the answer,
// then what it understood and the query it ran, so the reader can check the numbers; --json
// prints the whole answer. A command ("bloquea …") prints its dry run and how to confirm it:
// `autoimmune ask --confirm <id>`.

import { UsageError } from '../errors.ts';
import { callApi, nodeTarget, parseSub, refused, TARGET_HELP, TARGET_OPTIONS, type ApiTarget } from './node-target.ts';

export const ASK_HELP = `Usage: autoimmune ask "QUESTION" [--node ID] [--tz ZONE] [--json]
       autoimmune ask --confirm ID [--tool block_addresses]

Ask the running node about the stored alerts, bans and flows, in Spanish or English
("¿Qué amenazas hemos visto desde China hoy?", "top 5 sources in the last hour", "how many
flows to port 22 today"). Answers from the data, across the cluster unless --node, with the
query it ran. A command ("bloquea …") gives a dry run to confirm with --confirm ID.

Options:
  --node ID        ask only this member's store
  --tz ZONE        the time zone "today" is in (default the node's)
  --json           the whole answer as JSON
  --confirm ID     carry out the dry run with this confirmation id
  --tool NAME      the tool of that dry run (default block_addresses)
${TARGET_HELP}`;

export async function askNode(t: ApiTarget, question: string, o: { node?: string; json: boolean; timeZone?: string }): Promise<string> {
  const { status, json } = await callApi(t, 'POST', '/api/ask', { question, ...(o.node ? { node: o.node } : {}), ...(o.timeZone ? { timeZone: o.timeZone } : {}) });
  if (status !== 200) refused(status, json, t);
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
  if (status !== 200) refused(status, json, t);
  const done = (json.done as Array<{ address: string; action?: string }>).map((d) => `${d.action ?? 'done'} ${d.address}`);
  const notDone = (json.refused as Array<{ address: string; why: string }>).map((r) => `refused ${r.address}: ${r.why}`);
  return [...done, ...notDone].join('\n') || 'nothing to do';
}

export async function cmdAsk(args: string[]): Promise<number> {
  const opts = { ...TARGET_OPTIONS, node: { type: 'string' }, tz: { type: 'string' }, json: { type: 'boolean' }, confirm: { type: 'string' }, tool: { type: 'string' } } as const;
  const { values, positionals } = parseSub(args, opts, 'ask');
  const t = nodeTarget(values);
  if (values.confirm !== undefined) {
    if (positionals.length > 0) throw new UsageError('ask --confirm ID takes no question');
    process.stdout.write(`${await confirmTool(t, values.tool ?? 'block_addresses', values.confirm)}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`ask takes one question in quotes, e.g. autoimmune ask "how many alerts today?"; got ${positionals.length} arguments`);
  process.stdout.write(`${await askNode(t, positionals[0]!, { json: Boolean(values.json), ...(values.node ? { node: values.node } : {}), ...(values.tz ? { timeZone: values.tz } : {}) })}\n`);
  return 0;
}
