// A question asked of the whole cluster: the query goes to every member's store through the
// transport (a node-addressed message to its /store actor), each answers from its own events,
// and the answers are merged (merge-results.ts). A node that does not answer within the
// timeout is named in the scope rather than waited for; the answer says which nodes it covers.
// Each node stops its own query in the database at the same deadline, so nothing runs on
// after the answer; a node's failure is named to the asker without its internals (those go
// to that node's log).

import type { EventQuery } from './event-query.ts';
import type { QueryResult } from './event-row.ts';
import type { EventStore } from './event-store.ts';
import { evaluateQuery } from './evaluate-query.ts';
import { mergeResults, perNodeQuery } from './merge-results.ts';
import { StoreQueryError } from './check-query.ts';

export interface QueryRequest {
  qid: string;
  from: string;
  query: EventQuery;
}

export interface QueryReply {
  qid: string;
  node: string;
  result?: QueryResult;
  tier?: 'memory' | 'database';
  error?: string;
}

export type StoreMessage = { request: QueryRequest } | { reply: QueryReply };

export interface Scope {
  /** 'cluster' or the one node asked. */
  asked: 'cluster' | string;
  nodes: string[];
  answered: string[];
  /** Nodes that did not answer in time, or answered with an error (with it). */
  missing: Array<{ node: string; why: string }>;
}

export interface GatheredAnswer {
  result: QueryResult;
  scope: Scope;
  tiers: Record<string, 'memory' | 'database'>;
  /** A grouped answer may be short of values some node did not return (see merge-results.ts). */
  partial: boolean;
}

export interface ScatterGatherOptions {
  node: string;
  store: EventStore;
  /** Sends to `path` on `node` (the cluster router's sendToNode); false if it could not. */
  send: (node: string, msg: StoreMessage) => boolean;
  /** The current members, this node included. */
  members: () => string[];
  timeoutMs?: number;
  /** A query that failed here for a reason of the node's own (not the query's): the detail, for the log. */
  onError?: (err: unknown, query: EventQuery) => void;
}

/** Errors whose message may go to the asker: they say what was wrong with the query, or that it was stopped. */
const TOLD = new Set(['AI_ERR_STORE_QUERY', 'AI_ERR_QUERY_CANCELLED', 'AI_ERR_STOPPING']);

let counter = 0;

export class ScatterGather {
  private readonly waiting = new Map<string, { replies: Map<string, QueryReply>; expect: Set<string>; done: () => void }>();

  constructor(private readonly o: ScatterGatherOptions) {}

  /** Runs `q` on every member ('cluster'), or on one node by id. */
  async run(q: EventQuery, where: 'cluster' | string = 'cluster'): Promise<GatheredAnswer> {
    const members = this.o.members();
    if (where !== 'cluster' && !members.includes(where)) throw new StoreQueryError(`no node ${JSON.stringify(where)} in the cluster (members: ${members.join(', ')})`);
    const nodes = where === 'cluster' ? members : [where];
    const qid = `${this.o.node}:${Date.now().toString(36)}:${++counter}`;
    const query = nodes.length > 1 ? perNodeQuery(q) : q;
    const replies = new Map<string, QueryReply>();
    const expect = new Set(nodes);
    const finished = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.o.timeoutMs ?? 3000);
      this.waiting.set(qid, { replies, expect, done: () => (clearTimeout(timer), resolve()) });
    });
    for (const node of nodes) {
      if (node === this.o.node) void this.serve({ qid, from: this.o.node, query });
      else if (!this.o.send(node, { request: { qid, from: this.o.node, query } })) replies.set(node, { qid, node, error: 'not reachable' });
    }
    if ([...expect].every((n) => replies.has(n))) this.waiting.get(qid)!.done();
    await finished;
    this.waiting.delete(qid);
    const good = [...replies.values()].filter((r) => r.result);
    const missing = nodes.filter((n) => !replies.get(n)?.result).map((n) => ({ node: n, why: replies.get(n)?.error ?? 'no answer in time' }));
    const merged = good.length > 0 ? mergeResults(q, good.map((r) => r.result!)) : { result: evaluateQuery([], q), partial: false };
    return {
      result: merged.result,
      scope: { asked: where, nodes, answered: good.map((r) => r.node).sort(), missing },
      tiers: Object.fromEntries(good.map((r) => [r.node, r.tier ?? 'database'])),
      partial: merged.partial,
    };
  }

  /**
   * A request from a node (or this one): answered from the local store, and stopped in the
   * database at the asker's deadline (the same timeout), when its answer would come too late.
   */
  async serve(req: QueryRequest): Promise<void> {
    let reply: QueryReply;
    try {
      const a = await this.o.store.query(req.query, AbortSignal.timeout(this.o.timeoutMs ?? 3000));
      reply = { qid: req.qid, node: this.o.node, result: a.result, tier: a.tier };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === undefined || !TOLD.has(code)) this.o.onError?.(err, req.query);
      reply = { qid: req.qid, node: this.o.node, error: code !== undefined && TOLD.has(code) ? (err as Error).message : `its store failed (the detail is in node ${this.o.node}'s log)` };
    }
    if (req.from === this.o.node) this.onReply(reply);
    else this.o.send(req.from, { reply });
  }

  onReply(r: QueryReply): void {
    const w = this.waiting.get(r.qid);
    if (!w || !w.expect.has(r.node)) return; // late (after the timeout) or unknown
    w.replies.set(r.node, r);
    if ([...w.expect].every((n) => w.replies.has(n))) w.done();
  }
}
