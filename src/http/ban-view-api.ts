// GET /api/bans/view: the bans in force as an operator reads them (`autoimmune bans`): each
// with where it came from (the node's detection, an operator, a feed), the country and AS of
// its address from this node's GeoIP, and the time left. GET /api/bans stays as it is.

import type { FastifyInstance } from 'fastify';
import type { Ban } from '../respond/ban-registry.ts';

export interface BanGeo {
  country: string | null;
  asn: number | null;
  asnOrg: string | null;
}

export interface BanView extends Ban {
  /** `detection`, `operator` or `feed:<name>`. */
  origin: string;
  remainingS: number;
  country: string | null;
  asn: number | null;
  asnOrg: string | null;
}

/** Where a ban came from, in one word. */
export function originOf(b: Ban): string {
  return b.origin ?? (b.detector === 'operator' ? 'operator' : 'detection');
}

export function registerBanViewApi(app: FastifyInstance, bans: () => (() => Promise<Ban[]>) | undefined, geo: () => ((address: string) => BanGeo) | undefined): void {
  app.get('/api/bans/view', async (_req, reply) => {
    const list = bans();
    if (!list) return reply.code(503).send({ error: 'the response side is not started yet' });
    const where = geo();
    const now = Date.now();
    return (await list())
      .sort((a, b) => b.at - a.at)
      .map((b): BanView => {
        // A net is placed by its first address.
        const g = where?.(b.address.replace(/\/\d+$/, ''));
        return { ...b, origin: originOf(b), remainingS: Math.max(0, Math.round((b.expiresAt - now) / 1000)), country: g?.country ?? null, asn: g?.asn ?? null, asnOrg: g?.asnOrg ?? null };
      });
  });
}
