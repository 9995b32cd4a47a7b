// POST /api/ask (a question in Spanish or English), GET /api/tools (the function tools with
// their JSON schemas) and POST /api/tools/<name> (run one). Reading needs no token, like the
// rest of the read API; tools that change something (block, unblock) need it, and answer
// their first call with a dry run to confirm (src/ask/tools.ts).
// Both POST routes run queries, so they are bounded: a small body (bodyLimit, refused from its
// Content-Length before it is read), a cap on every field (400 naming it and the cap), and per
// client a rate and a number in flight (ClientLimits, 429).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ask } from '../ask/ask.ts';
import { MUTATING, runTool, TOOL_SCHEMAS, toolList, type ToolName } from '../ask/tools.ts';
import type { Confirmations, ToolContext } from '../ask/tools.ts';
import { clientKey, type BlockGate, type ClientLimits } from './rate-limits.ts';

/** Characters in a question: the longest in the tests is under 100; a question is a sentence. */
export const MAX_QUESTION = 500;
/** A node id is at most 63 characters (node.id); an IANA zone name at most ~30. */
const MAX_NODE = 64;
const MAX_TIME_ZONE = 64;
/**
 * Body bytes of POST /api/ask: a 500-character question written entirely as \uXXXX escapes is
 * 3,000 bytes, and the other two fields under 200 more.
 */
export const ASK_BODY_LIMIT = 16 * 1024;
/**
 * Body bytes of POST /api/tools/<name>: the largest input within the schema caps (100 addresses
 * of up to 64 characters, 250 countries, 100 ASes, 64 types of 32, a reason of 500) is about
 * 15 KB as plain JSON; 64 KiB leaves room for escapes and white space.
 */
export const TOOLS_BODY_LIMIT = 64 * 1024;

export interface AskApiLimits {
  limits: ClientLimits;
  /** The operator-ban bucket shared with POST /api/bans (http.blockRate). */
  blocks: BlockGate;
}

/** A text field's refusal: names the field, its length and the cap. */
function textField(name: string, v: unknown, max: number, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return `${name} must be ${what}, got ${JSON.stringify(v)?.slice(0, 100)}`;
  if (v.length > max) return `${name} is ${v.length} characters; the cap is ${max}`;
  return undefined;
}

/** What the question and tool routes need of the node's event store (the node's NodeStore has it). */
export interface AskParts {
  tools: ToolContext;
  confirmations: Confirmations;
}

export function registerAskApi(app: FastifyInstance, events: () => AskParts | undefined, authorised: (req: FastifyRequest) => boolean, l: AskApiLimits): void {
  const off = { error: 'this node keeps no events (store.enabled is false, or it is starting)' };

  /**
   * Runs `fn` counted against the client's limits (TooManyRequestsError past them). Errors go
   * to the server's error handler: a client's with its message and status, others as a 500.
   */
  const limited = async (req: FastifyRequest, route: string, fn: () => Promise<unknown>): Promise<unknown> => {
    const release = l.limits.admit(clientKey(req.ip, authorised(req)), route);
    try {
      return await fn();
    } finally {
      release();
    }
  };

  app.post<{ Body: { question?: unknown; node?: unknown; timeZone?: unknown } | null }>('/api/ask', { bodyLimit: ASK_BODY_LIMIT }, async (req, reply) => {
    const e = events();
    if (!e) return reply.code(503).send(off);
    const body = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) return reply.code(400).send({ error: 'the body must be a JSON object {"question": "..."}' });
    const unknown = Object.keys(body).filter((k) => !['question', 'node', 'timeZone'].includes(k));
    if (unknown.length) return reply.code(400).send({ error: `unknown field ${JSON.stringify(unknown[0].slice(0, 64))} (allowed: question, node, timeZone)` });
    const { question, node, timeZone } = body;
    if (typeof question !== 'string' || question.trim() === '') return reply.code(400).send({ error: `question must be text of 1 to ${MAX_QUESTION} characters, got ${JSON.stringify(question)?.slice(0, 100)}` });
    const bad =
      textField('question', question, MAX_QUESTION, 'text') ??
      textField('node', node, MAX_NODE, 'a node id') ??
      textField('timeZone', timeZone, MAX_TIME_ZONE, 'an IANA zone such as Europe/Madrid');
    if (bad) return reply.code(400).send({ error: bad });
    const who = authorised(req);
    return limited(req, 'POST /api/ask', () =>
      ask(question, e.tools, e.confirmations, { authorised: who, blocks: l.blocks, ...(typeof node === 'string' && node ? { where: node } : {}), ...(typeof timeZone === 'string' && timeZone ? { timeZone } : {}) }),
    );
  });

  app.get('/api/tools', async () => toolList());

  app.post<{ Params: { name: string }; Body: unknown }>('/api/tools/:name', { bodyLimit: TOOLS_BODY_LIMIT }, async (req, reply) => {
    const e = events();
    if (!e) return reply.code(503).send(off);
    const name = req.params.name;
    if (!Object.hasOwn(TOOL_SCHEMAS, name)) return reply.code(404).send({ error: `no tool ${JSON.stringify(name.slice(0, 64))}; GET /api/tools lists them (${Object.keys(TOOL_SCHEMAS).join(', ')})` });
    if (MUTATING.has(name as ToolName) && !authorised(req)) return reply.code(401).send({ error: `${name} changes the firewalls: it needs the bearer token (Authorization: Bearer <token>)` });
    return limited(req, 'POST /api/tools', () => runTool(name as ToolName, req.body ?? {}, e.tools, e.confirmations, l.blocks));
  });
}
