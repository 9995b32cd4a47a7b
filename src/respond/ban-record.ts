// A ban read back from outside the process (the state directory's database, etcd): checked
// field by field before anything uses it. What does not read as a ban is null, never a throw,
// so one bad value cannot stop a node. Whether the ban is allowed (protected addresses, nets
// too wide) is the guard's question (ban-guard.ts), asked again where bans are enforced.

import type { Ban } from '../cluster/ban-registry.ts';

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The ban in `value` (a Ban object, or its JSON text), or null when it is not one. */
export function parseBan(value: unknown): Ban | null {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const b = v as Record<string, unknown>;
  if (typeof b.address !== 'string' || b.address.length === 0 || b.address.length > 64) return null;
  if (!finite(b.ttl) || b.ttl < 0 || !finite(b.expiresAt) || !finite(b.at) || !finite(b.score)) return null;
  if (typeof b.reason !== 'string' || typeof b.detector !== 'string') return null;
  const offence = b.offence === undefined ? 1 : b.offence;
  if (!Number.isInteger(offence) || (offence as number) < 1) return null;
  if (b.origin !== undefined && (typeof b.origin !== 'string' || b.origin.length > 128)) return null;
  const ban: Ban = { address: b.address, ttl: b.ttl, expiresAt: b.expiresAt, reason: b.reason, detector: b.detector, score: b.score, at: b.at, offence: offence as number };
  if (b.origin !== undefined) ban.origin = b.origin;
  return ban;
}
