// The store's capabilities as function tools: each has a name, a description and a JSON
// Schema for its input (TypeBox), so an AI agent or any program can list them (GET /api/tools)
// and call them (POST /api/tools/<name>) with the same checks a person's question gets.
// Tools that change something (block, unblock) answer a first call with a dry run and a
// confirmation id; only a second call with that id, within CONFIRM_TTL_MS, does it.

import { randomBytes } from 'node:crypto';
import { FormatRegistry, Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ALERT_TYPES } from '../detect/alert.ts';
import { AutoimmuneError } from '../errors.ts';
import type { BanDesk } from '../respond/ban-desk.ts';
import { MAX_LIMIT } from '../store/check-query.ts';
import { EVENT_FIELDS, type EventQuery } from '../store/event-query.ts';
import type { EventRow } from '../store/event-row.ts';
import type { GatheredAnswer } from '../store/scatter-gather.ts';

export const CONFIRM_TTL_MS = 5 * 60_000;

// TypeBox checks formats only once they are registered.
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v) && !Number.isNaN(Date.parse(v)));

// Caps on every list and text, each with its reason: a list becomes a filter every row read
// is tested against (in JavaScript on the event loop for the memory tier, in DuckDB for the
// rest), so its length multiplies the cost of the whole query. Past a cap the call is refused
// (400) naming the field and the cap, before anything runs.
/** Addresses or CIDRs in a filter: a page of addresses; each is a range test on every row read. */
export const MAX_ADDRESSES = 100;
/**
 * Addresses a block or unblock call acts on: each is a registry write (an etcd transaction in a
 * cluster) and a firewall change on every node; 100 is also http.blockRate's default burst,
 * what one confirmation may take at once.
 */
export const MAX_BLOCK_ADDRESSES = 100;
/** Every alert type and decision action together is under 20; the rest is room for services (tcp/22). */
const MAX_TYPES = 64;
/** ISO 3166-1 has 249 codes: every country at once. */
const MAX_COUNTRIES = 250;
/** An operator's list of hosting providers' or a region's ASes. */
const MAX_ASNS = 100;
/** An address or CIDR as text: the longest IPv6 CIDR with an embedded IPv4 is 49 characters. */
const ADDRESS_TEXT = { minLength: 1, maxLength: 64 } as const;

const Addresses = Type.Array(Type.String(ADDRESS_TEXT), { minItems: 1, maxItems: MAX_BLOCK_ADDRESSES, description: 'IPv4/IPv6 addresses or CIDRs' });
const Selection = {
  kind: Type.Optional(
    Type.Union([Type.Literal('alert'), Type.Literal('decision'), Type.Literal('flow')], {
      description: "'alert' (default), 'decision' (bans and unbans) or 'flow' (per-flow summaries, one direction of a 5-tuple, stored when the flow ends; unverified attempts such as a spoofed flood's are stored as one row per target, port and minute, source '*' unless one source made them all, that counts as its flows: detail.attempts says how many flows and distinct sources; an unanswered reply such as a reflection's SYN-ACK (detail.reply) is counted under its source port, the replier's service, not the port it went to; past a target's first 256 ports a minute, its further attempts (and one-datagram UDP flows) are one row of type 'tcp/*' or 'udp/*' whose detail.attempts.ports says how many ports: a scanner past that stays named as its source; past a UDP port's first 64 one-datagram flows from unverified sources a minute, the rest are one row of that port, e.g. 'udp/53')",
    }),
  ),
  last: Type.Optional(Type.String({ pattern: '^\\d{1,7}(m|h|d)$', description: 'a window ending now: 15m, 24h, 7d (default 24h)' })),
  from: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'start (ISO 8601); with to, instead of last' })),
  to: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: 'end, exclusive (ISO 8601; default now)' })),
  type: Type.Optional(
    Type.Array(Type.String({ maxLength: 32 }), { maxItems: MAX_TYPES, description: `alert types (${ALERT_TYPES.join(', ')}), decision actions (ban, unban) or flow services (tcp/22, udp/53, icmp/8, ip/47)` }),
  ),
  minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: "risk at least this; high risk is 0.8 (for flows: the share of their packets the anomaly model found anomalous)" })),
  country: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]{2}$' }), { maxItems: MAX_COUNTRIES, description: 'ISO 3166-1 alpha-2 codes, e.g. CN' })),
  asn: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 4_294_967_295 }), { maxItems: MAX_ASNS })),
  source: Type.Optional(Type.Array(Type.String(ADDRESS_TEXT), { maxItems: MAX_ADDRESSES, description: 'addresses or CIDRs' })),
  target: Type.Optional(Type.Array(Type.String(ADDRESS_TEXT), { maxItems: MAX_ADDRESSES, description: 'addresses or CIDRs' })),
  blockable: Type.Optional(
    Type.Literal(true, { description: 'alerts only: only those whose source may be banned (not floods, whose sources are spoofed or abused reflectors); reads raw events, the last store.compactAfterHours' }),
  ),
  node: Type.Optional(Type.String({ maxLength: 64, description: "answer from this node only (default: every node of the cluster)" })),
};
const Field = Type.Union(EVENT_FIELDS.map((f) => Type.Literal(f)));
const strict = { additionalProperties: false } as const;

export const TOOL_SCHEMAS = {
  count_events: Type.Object({ ...Selection, groupBy: Type.Optional(Field), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })) }, strict),
  top_sources: Type.Object({ ...Selection, field: Type.Optional(Field), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })) }, strict),
  trend_events: Type.Object({ ...Selection, bucket: Type.Optional(Type.Union([Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')])), groupBy: Type.Optional(Field) }, strict),
  list_events: Type.Object({ ...Selection, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })) }, strict),
  events_like: Type.Object({ alertId: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'the id of a stored alert (from list_events)' }), k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, strict),
  block_addresses: Type.Object(
    {
      addresses: Type.Optional(Addresses),
      ttl: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 * 365 * 86_400, description: 'seconds (the responder’s manual TTL range applies)' })),
      reason: Type.Optional(Type.String({ maxLength: 500 })),
      confirm: Type.Optional(Type.String({ maxLength: 64, description: 'the confirmation id of an earlier dry run: do it' })),
    },
    strict,
  ),
  unblock_addresses: Type.Object({ addresses: Type.Optional(Addresses), confirm: Type.Optional(Type.String({ maxLength: 64 })) }, strict),
} satisfies Record<string, TSchema>;

export type ToolName = keyof typeof TOOL_SCHEMAS;

const TOOL_DESCRIPTIONS: Record<ToolName, string> = {
  count_events: 'How many stored events (alerts, decisions or flows) match, optionally counted per type, source, country, ASN, target, node or detector.',
  top_sources: 'The most frequent values of a field (default: source addresses) among matching events, with counts.',
  trend_events: 'Counts of matching events per minute, hour or day, optionally per value of a field.',
  list_events: 'The newest matching events themselves, with their ids, times and details.',
  events_like: 'Stored alerts whose flow features are most like those of a given alert (nearest first).',
  block_addresses: 'Ban addresses on every firewall through the responder’s policy (allow-lists hold). First call: a dry run with a confirmation id; call again with {confirm} to do it. Needs the token.',
  unblock_addresses: 'Lift bans. First call: a dry run with a confirmation id; call again with {confirm} to do it. Needs the token.',
};

export const MUTATING: ReadonlySet<ToolName> = new Set(['block_addresses', 'unblock_addresses']);

/** The list GET /api/tools gives: name, description, input schema, whether it changes anything. */
export function toolList(): Array<{ name: ToolName; description: string; mutating: boolean; inputSchema: TSchema }> {
  return (Object.keys(TOOL_SCHEMAS) as ToolName[]).map((name) => ({ name, description: TOOL_DESCRIPTIONS[name], mutating: MUTATING.has(name), inputSchema: TOOL_SCHEMAS[name] }));
}

/** A tool call the schema or the tool refuses: the message names the field and the value. */
export class ToolInputError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_TOOL_INPUT', message, { statusCode: 400 });
  }
}

/** Checks `input` against the tool's schema; throws naming the first bad field and value. */
function checkInput<N extends ToolName>(name: N, input: unknown): Static<(typeof TOOL_SCHEMAS)[N]> {
  const schema = TOOL_SCHEMAS[name];
  const first = Value.Errors(schema, input).First();
  if (first) {
    const where = first.path || '(the body)';
    const { maxItems, maxLength } = first.schema as { maxItems?: number; maxLength?: number };
    if (Array.isArray(first.value) && maxItems !== undefined && first.value.length > maxItems) {
      throw new ToolInputError(`${name}: ${where} has ${first.value.length} items; the cap is ${maxItems}`);
    }
    if (typeof first.value === 'string' && maxLength !== undefined && first.value.length > maxLength) {
      throw new ToolInputError(`${name}: ${where} is ${first.value.length} characters; the cap is ${maxLength}`);
    }
    throw new ToolInputError(`${name}: ${where} ${first.message}, got ${JSON.stringify(first.value)?.slice(0, 100)}`);
  }
  return input as Static<(typeof TOOL_SCHEMAS)[N]>;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The EventQuery a selection describes, for `measure`. */
function selectionQuery(s: Static<typeof TOOL_SCHEMAS.count_events>, measure: EventQuery['measure'], now: number): EventQuery {
  let from: number;
  let to = now;
  if (s.from !== undefined || s.to !== undefined) {
    if (s.last !== undefined) throw new ToolInputError('give either last or from/to, not both');
    from = s.from !== undefined ? Date.parse(s.from) : 0;
    if (s.to !== undefined) to = Date.parse(s.to);
    if (!(from < to)) throw new ToolInputError(`from (${s.from}) must be before to (${s.to ?? 'now'})`);
  } else {
    const m = /^(\d+)(m|h|d)$/.exec(s.last ?? '24h')!;
    from = now - Number(m[1]) * UNIT_MS[m[2] as 'm' | 'h' | 'd'];
  }
  const filters: EventQuery['filters'] = {};
  if (s.type) filters.type = s.type;
  if (s.country) filters.country = s.country;
  if (s.asn) filters.asn = s.asn;
  if (s.source) filters.source = s.source;
  if (s.target) filters.target = s.target;
  if (s.minScore !== undefined) filters.minScore = s.minScore;
  if (s.blockable) filters.blockable = true;
  return { kind: s.kind ?? 'alert', from, to, filters, measure, ...(s.groupBy ? { groupBy: s.groupBy } : {}), ...(s.limit ? { limit: s.limit } : {}) };
}

/**
 * The rate limit on operator bans through the API (http.blockRate), shared with POST /api/bans:
 * a confirmed block takes one ban per address at once, or throws (429) and does nothing.
 */
export interface BlockGate {
  readonly rate: { perS: number; burst: number };
  take(n: number, what: string): void;
}

export interface ToolContext {
  /** Runs a query on the cluster ('cluster') or one node. */
  run(q: EventQuery, where: string): Promise<GatheredAnswer>;
  /** The k alerts most like the stored alert `id`, nearest first, with the alerts still kept in full; throws when `id` has no vector here. */
  similar(id: number, k: number): Promise<{ hits: Array<{ id: number; distance: number; alert: EventRow | null }> }>;
  desk: BanDesk;
  now(): number;
}

interface Plan {
  tool: 'block_addresses' | 'unblock_addresses';
  addresses: string[];
  ttl?: number;
  reason?: string;
  expiresAt: number;
}

/** Dry runs waiting for their confirmation, by id (single use, expiring). */
export class Confirmations {
  private readonly plans = new Map<string, Plan>();

  add(p: Omit<Plan, 'expiresAt'>, now: number): { id: string; expiresAt: number } {
    for (const [id, q] of this.plans) if (q.expiresAt <= now) this.plans.delete(id);
    const id = `c-${randomBytes(9).toString('base64url')}`;
    const expiresAt = now + CONFIRM_TTL_MS;
    this.plans.set(id, { ...p, expiresAt });
    return { id, expiresAt };
  }

  /** The pending plan `id`, left pending; throws when there is none for `tool` or it expired. */
  peek(id: string, tool: Plan['tool'], now: number): Plan {
    const p = this.plans.get(id);
    if (!p || p.tool !== tool) throw new ToolInputError(`no pending ${tool} dry run with confirmation ${JSON.stringify(id)} (each is used once and expires after ${CONFIRM_TTL_MS / 60_000} min)`);
    if (p.expiresAt <= now) {
      this.plans.delete(id);
      throw new ToolInputError(`confirmation ${id} expired at ${new Date(p.expiresAt).toISOString()}: make a new dry run`);
    }
    return p;
  }

  /** Takes the plan `id` (single use). */
  take(id: string, tool: Plan['tool'], now: number): Plan {
    const p = this.peek(id, tool, now);
    this.plans.delete(id);
    return p;
  }
}

/**
 * Runs a tool: checks its input against the schema, then does it (a mutating tool: a dry run,
 * or a confirmed plan; a confirmed block passes `blocks`, the same rate limit as POST
 * /api/bans, and then the same desk.block as it). The caller checks the token.
 */
export async function runTool(name: ToolName, input: unknown, ctx: ToolContext, confirmations: Confirmations, blocks: BlockGate): Promise<unknown> {
  const now = ctx.now();
  switch (name) {
    case 'count_events': {
      const s = checkInput(name, input);
      return answer(await ctx.run(selectionQuery(s, 'count', now), s.node ?? 'cluster'));
    }
    case 'top_sources': {
      const s = checkInput(name, input);
      return answer(await ctx.run(selectionQuery({ ...s, groupBy: s.field ?? 'source' }, 'top', now), s.node ?? 'cluster'));
    }
    case 'trend_events': {
      const s = checkInput(name, input);
      return answer(await ctx.run({ ...selectionQuery(s, 'trend', now), bucket: s.bucket ?? 'hour' }, s.node ?? 'cluster'));
    }
    case 'list_events': {
      const s = checkInput(name, input);
      return answer(await ctx.run(selectionQuery(s, 'list', now), s.node ?? 'cluster'));
    }
    case 'events_like': {
      const s = checkInput(name, input);
      const r = await ctx.similar(s.alertId, s.k ?? 10);
      return { alertId: s.alertId, similar: r.hits };
    }
    case 'block_addresses':
    case 'unblock_addresses': {
      const s = checkInput(name, input) as { addresses?: string[]; ttl?: number; reason?: string; confirm?: string };
      if (s.confirm !== undefined) {
        if (s.addresses || s.ttl !== undefined || s.reason !== undefined) throw new ToolInputError('a confirmation carries only {confirm}: the plan is the dry run’s');
        // Refused for the rate (429), the confirmation stays pending for a retry.
        if (name === 'block_addresses') blocks.take(confirmations.peek(s.confirm, name, now).addresses.length, `confirming block_addresses ${s.confirm}`);
        return carryOut(confirmations.take(s.confirm, name, now), ctx);
      }
      if (!s.addresses) throw new ToolInputError(`${name}: give addresses (then confirm the dry run), or confirm`);
      if (name === 'block_addresses' && s.addresses.length > blocks.rate.burst) {
        throw new ToolInputError(`block_addresses: /addresses has ${s.addresses.length} items, more than http.blockRate lets through at once (bursts of ${blocks.rate.burst}); split the list`);
      }
      return dryRun(name, s.addresses, s.ttl, s.reason, ctx, confirmations);
    }
  }
}

function answer(a: GatheredAnswer): object {
  return { columns: a.result.columns, rows: a.result.rows, scope: a.scope, ...(a.partial ? { partial: true } : {}) };
}

/** What would happen, address by address, and the id that makes it happen. */
function dryRun(tool: Plan['tool'], addresses: string[], ttl: number | undefined, reason: string | undefined, ctx: ToolContext, confirmations: Confirmations): object {
  const ok: string[] = [];
  const refused: Array<{ address: string; why: string }> = [];
  for (const a of addresses) {
    try {
      ok.push(tool === 'block_addresses' ? ctx.desk.policy.checkManualBlock(a, ttl).net.text : a);
    } catch (err) {
      refused.push({ address: a, why: (err as Error).message });
    }
  }
  if (ok.length === 0) return { dryRun: true, would: [], refused, confirmation: null };
  const c = confirmations.add({ tool, addresses: ok, ...(ttl !== undefined ? { ttl } : {}), ...(reason !== undefined ? { reason } : {}) }, ctx.now());
  return { dryRun: true, would: ok.map((address) => ({ address, action: tool === 'block_addresses' ? 'ban' : 'unban', ...(ttl !== undefined ? { ttl } : {}) })), refused, confirmation: c.id, expiresAt: new Date(c.expiresAt).toISOString() };
}

async function carryOut(p: Plan, ctx: ToolContext): Promise<object> {
  const done: object[] = [];
  const refused: Array<{ address: string; why: string }> = [];
  for (const a of p.addresses) {
    try {
      if (p.tool === 'block_addresses') done.push(await ctx.desk.block(a, p.ttl, p.reason));
      else {
        const r = await ctx.desk.unblock(a);
        done.push({ ...r.decision, existed: r.existed });
      }
    } catch (err) {
      // Refused now though not at the dry run (an allow-list changed meanwhile): said, not hidden.
      refused.push({ address: a, why: (err as Error).message });
    }
  }
  return { done, refused };
}
