// POST /api/ask (a question in Spanish or English), GET /api/tools (the function tools with
// their JSON schemas) and POST /api/tools/<name> (run one). Reading needs no token, like the
// rest of the read API; tools that change something (block, unblock) need it, and answer
// their first call with a dry run to confirm (src/ask/tools.ts).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ask } from '../src/ask/ask.ts';
import { MUTATING, runTool, TOOL_SCHEMAS, toolList, type ToolName } from '../src/ask/tools.ts';
import type { NodeStore } from '../src/node-store.ts';

const MAX_QUESTION = 500;

/** A refusal the caller can act on (bad input, an unknown node, a query the store cannot answer). */
function clientError(err: unknown): string | undefined {
  const e = err as Error & { code?: string };
  if (e instanceof RangeError || e.code === 'AI_ERR_TOOL_INPUT' || e.code === 'AI_ERR_STORE_QUERY' || e.code === 'AI_ERR_CONFIG' || e.code?.startsWith('AI_ERR_BAD') || e.code === 'AI_ERR_ALLOW_LISTED' || e.code === 'AI_ERR_SIMILAR_INPUT') return e.message;
  return undefined;
}

export function registerAskApi(app: FastifyInstance, events: () => NodeStore | undefined, authorised: (req: FastifyRequest) => boolean): void {
  const off = { error: 'this node keeps no events (store.enabled is false, or it is starting)' };

  app.post<{ Body: { question?: unknown; node?: unknown; timeZone?: unknown } | null }>('/api/ask', async (req, reply) => {
    const e = events();
    if (!e) return reply.code(503).send(off);
    const body = req.body ?? {};
    const unknown = Object.keys(body).filter((k) => !['question', 'node', 'timeZone'].includes(k));
    if (unknown.length) return reply.code(400).send({ error: `unknown field ${JSON.stringify(unknown[0])} (allowed: question, node, timeZone)` });
    const { question, node, timeZone } = body;
    if (typeof question !== 'string' || question.trim() === '' || question.length > MAX_QUESTION) return reply.code(400).send({ error: `question must be text of 1 to ${MAX_QUESTION} characters, got ${JSON.stringify(question)?.slice(0, 100)}` });
    if (node !== undefined && typeof node !== 'string') return reply.code(400).send({ error: `node must be a node id, got ${JSON.stringify(node)}` });
    if (timeZone !== undefined && typeof timeZone !== 'string') return reply.code(400).send({ error: `timeZone must be an IANA zone such as Europe/Madrid, got ${JSON.stringify(timeZone)}` });
    try {
      return await ask(question, e.tools, e.confirmations, { authorised: authorised(req), ...(node ? { where: node } : {}), ...(timeZone ? { timeZone } : {}) });
    } catch (err) {
      const why = clientError(err);
      if (why) return reply.code(400).send({ error: why });
      throw err;
    }
  });

  app.get('/api/tools', async () => toolList());

  app.post<{ Params: { name: string }; Body: unknown }>('/api/tools/:name', async (req, reply) => {
    const e = events();
    if (!e) return reply.code(503).send(off);
    const name = req.params.name;
    if (!Object.hasOwn(TOOL_SCHEMAS, name)) return reply.code(404).send({ error: `no tool ${JSON.stringify(name)}; GET /api/tools lists them (${Object.keys(TOOL_SCHEMAS).join(', ')})` });
    if (MUTATING.has(name as ToolName) && !authorised(req)) return reply.code(401).send({ error: `${name} changes the firewalls: it needs the bearer token (Authorization: Bearer <token>)` });
    try {
      return await runTool(name as ToolName, req.body ?? {}, e.tools, e.confirmations);
    } catch (err) {
      const why = clientError(err);
      if (why) return reply.code(400).send({ error: why });
      throw err;
    }
  });
}
