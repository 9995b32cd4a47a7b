// A question in plain Spanish or English, answered from the stored events: parsed into an
// EventQuery (parse-question.ts), run on the cluster or one node (scatter-gather), and put
// in words built only from the rows (answer-text.ts). The answer carries the query it ran,
// the rows and which nodes it covers, so the operator can check it. A question it cannot map
// says so with what it understood. A command ("bloquea …") becomes a block_addresses or
// unblock_addresses dry run for the operator to confirm: nothing is changed by asking.

import type { EventQuery } from '../store/event-query.ts';
import type { Scope } from '../store/scatter-gather.ts';
import { answerText, refusalText } from './answer-text.ts';
import { parseQuestion } from './parse-question.ts';
import { MAX_BLOCK_ADDRESSES, runTool, type BlockGate, type Confirmations, type ToolContext } from './tools.ts';
import type { Language } from './vocabulary.ts';

export interface AskOptions {
  /** 'cluster' (every node, the default) or one node's id. */
  where?: string;
  timeZone?: string;
  /** Whether the caller holds the token (a command's dry run needs it). */
  authorised: boolean;
  /** The API's operator-ban rate limit: a command proposes at most one burst of it. */
  blocks: BlockGate;
}

export interface AskAnswer {
  question: string;
  language: Language;
  /** Whether the question was mapped to a query. */
  mapped: boolean;
  understood: string[];
  text: string;
  query?: EventQuery;
  columns?: string[];
  rows?: Array<Array<string | number | null>>;
  scope?: Scope;
  /** For a command: the tool call it became and its dry run (confirm with its id). */
  toolCall?: { name: 'block_addresses' | 'unblock_addresses'; input: { addresses: string[] }; dryRun: unknown };
}

const SAY = {
  es: {
    nodes: (s: Scope) => (s.asked === 'cluster' ? `${s.answered.length} de ${s.nodes.length} nodos (${s.answered.join(', ')})` : `nodo ${s.asked}`) + (s.missing.length ? `; sin respuesta: ${s.missing.map((m) => `${m.node} (${m.why})`).join(', ')}` : ''),
    token: 'Bloquear o desbloquear necesita el token (Authorization: Bearer …).',
    none: 'Ninguna dirección coincide, así que no hay nada que confirmar.',
    confirm: (n: number, id: string, tool: string) => `Confirma con {"confirm": "${id}"} en POST /api/tools/${tool} para aplicarlo a ${n} dirección${n === 1 ? '' : 'es'}.`,
    unmapped: 'No he podido entender la pregunta:',
    cut: (n: number, total: number) => `Solo se proponen las ${n} más activas de ${total}: confírmalas y pregunta otra vez por el resto.`,
  },
  en: {
    nodes: (s: Scope) => (s.asked === 'cluster' ? `${s.answered.length} of ${s.nodes.length} nodes (${s.answered.join(', ')})` : `node ${s.asked}`) + (s.missing.length ? `; no answer from ${s.missing.map((m) => `${m.node} (${m.why})`).join(', ')}` : ''),
    token: 'Blocking or unblocking needs the token (Authorization: Bearer …).',
    none: 'No address matches, so there is nothing to confirm.',
    confirm: (n: number, id: string, tool: string) => `Confirm with {"confirm": "${id}"} on POST /api/tools/${tool} to apply it to ${n} address${n === 1 ? '' : 'es'}.`,
    unmapped: 'I could not map the question:',
    cut: (n: number, total: number) => `Only the ${n} most active of ${total} are proposed: confirm them and ask again for the rest.`,
  },
};

export async function ask(question: string, ctx: ToolContext, confirmations: Confirmations, o: AskOptions): Promise<AskAnswer> {
  const parsed = parseQuestion(question, new Date(ctx.now()), o.timeZone ? { timeZone: o.timeZone } : {});
  const say = SAY[parsed.language];
  if (!parsed.ok) return { question, language: parsed.language, mapped: false, understood: parsed.understood, text: `${say.unmapped} ${refusalText(parsed)}` };
  const a = await ctx.run(parsed.query, o.where ?? 'cluster');
  const base: AskAnswer = {
    question,
    language: parsed.language,
    mapped: true,
    understood: parsed.understood,
    text: answerText(parsed, a.result, { scope: say.nodes(a.scope), ...(o.timeZone ? { timeZone: o.timeZone } : {}) }),
    query: parsed.query,
    columns: a.result.columns,
    rows: a.result.rows,
    scope: a.scope,
  };
  if (parsed.intent === 'ask') return base;
  // A command: the sources its selection found become the tool call's addresses.
  if (!o.authorised) return { ...base, text: `${base.text}\n${say.token}` };
  const name = parsed.intent === 'block' ? 'block_addresses' : 'unblock_addresses';
  const col = a.result.columns.indexOf('source');
  const found = [...new Set(a.result.rows.map((r) => r[col]).filter((x): x is string => typeof x === 'string'))];
  if (found.length === 0) return { ...base, text: `${base.text}\n${say.none}` };
  // The rows are the most active first: a long list is cut to what one confirmation may do.
  const cap = Math.min(MAX_BLOCK_ADDRESSES, o.blocks.rate.burst);
  const addresses = found.slice(0, cap);
  const dryRun = (await runTool(name, { addresses }, ctx, confirmations, o.blocks)) as { confirmation: string | null; would: unknown[] };
  const tail = (dryRun.confirmation ? say.confirm(dryRun.would.length, dryRun.confirmation, name) : say.none) + (found.length > cap ? ` ${say.cut(cap, found.length)}` : '');
  return { ...base, text: `${base.text}\n${tail}`, toolCall: { name, input: { addresses }, dryRun } };
}
