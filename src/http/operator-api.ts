// The routes of the operator services (src/node/operator-services.ts): feeds, CrowdSec's
// bouncer API with its keys, and the webhooks' counters.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OperatorServices } from '../node/operator-services.ts';
import { registerFeedsApi } from './feeds-api.ts';
import { registerLapi } from './lapi-api.ts';

export function registerOperatorApis(app: FastifyInstance, services: () => OperatorServices | undefined, authorised: (req: FastifyRequest) => boolean): void {
  registerFeedsApi(app, () => services()?.feeds, authorised);
  registerLapi(app, () => services()?.lapi, authorised);
  app.get('/api/notify', async (_req, reply) => {
    const s = services();
    if (!s) return reply.code(503).send({ error: 'the node is not started yet' });
    return s.notifier.stats();
  });
}
