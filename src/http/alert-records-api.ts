// The alerts as `autoimmune alerts` reads them: each with its number on this node (1 for the
// first since start, the same number the dashboard's alert sequence uses), when the node
// received it, and what the responder made of it; and one alert in full
// (`autoimmune alerts inspect ID`): the alert, its evidence, the decision it led to, and the
// ban in force on its source now.

import type { FastifyInstance } from 'fastify';
import type { AlertRecord } from '../respond/ban-desk.ts';
import type { Ban } from '../respond/ban-registry.ts';

export interface AlertRecordsParts {
  alertRecords(limit: number): AlertRecord[];
  alertRecord(id: number): AlertRecord | undefined;
  readonly alertsSeen: number;
  /** How many of the newest alerts are held. */
  readonly alertsHeld: number;
  activeBan(address: string): Ban | undefined;
}

/** A record for the wire: the alert without its feature vector (100 numbers kept for similarity search). */
function plain(r: AlertRecord) {
  const { features: _features, ...alert } = r.alert;
  return { id: r.id, at: r.at, alert, outcome: r.outcome };
}

export function registerAlertRecordsApi(app: FastifyInstance, parts: () => AlertRecordsParts | undefined, node: () => string | undefined): void {
  app.get<{ Querystring: { limit?: string; type?: string; source?: string } }>('/api/alerts/records', async (req, reply) => {
    const p = parts();
    if (!p) return reply.code(503).send({ error: 'the response side is not started yet' });
    const held = p.alertsHeld;
    const limit = Number(req.query.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > held) return reply.code(400).send({ error: `limit must be an integer from 1 to ${held}, got ${JSON.stringify(req.query.limit)}`, code: 'AI_ERR_BAD_REQUEST' });
    const { type, source } = req.query;
    // Filters look through every alert held, newest first, up to `limit` matches.
    const all = type === undefined && source === undefined ? p.alertRecords(limit) : p.alertRecords(held).filter((r) => (type === undefined || r.alert.type === type) && (source === undefined || r.alert.source === source)).slice(0, limit);
    return { node: node(), total: p.alertsSeen, records: all.map(plain) };
  });

  app.get<{ Params: { id: string } }>('/api/alerts/:id', async (req, reply) => {
    const p = parts();
    if (!p) return reply.code(503).send({ error: 'the response side is not started yet' });
    const id = Number(req.params.id);
    if (!/^\d+$/.test(req.params.id) || !Number.isSafeInteger(id) || id < 1) return reply.code(400).send({ error: `an alert's id is a whole number from 1 (autoimmune alerts lists them), got ${JSON.stringify(req.params.id)}`, code: 'AI_ERR_BAD_REQUEST' });
    const r = p.alertRecord(id);
    if (!r) {
      const held = p.alertsHeld;
      const total = p.alertsSeen;
      const oldest = Math.max(1, total - held + 1);
      const what = total === 0 ? 'it has raised no alert since it started' : id > total ? `its newest alert is ${total}` : `it keeps the newest ${held} since it started (${oldest} to ${total} now); older ones are in the event store (autoimmune ask)`;
      return reply.code(404).send({ error: `node ${node()} holds no alert ${id}: ${what}`, code: 'AI_ERR_NO_SUCH_ALERT' });
    }
    return { node: node(), ...plain(r), banNow: p.activeBan(r.alert.source) ?? null };
  });
}
