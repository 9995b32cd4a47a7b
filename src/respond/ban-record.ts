// A ban read back from outside the process (the state directory's database, etcd): checked
// against the ban schema (src/cluster/etcd-values.ts: shape, finite numbers, an address in
// canonical form) before anything uses it. What does not read as a ban is null, never a throw,
// so one bad value cannot stop a node. Whether the ban is allowed (protected addresses, nets
// too wide) is the guard's question (ban-guard.ts), asked again where bans are enforced.

import type { Ban } from './ban-registry.ts';
import { checkBan } from '../cluster/etcd-values.ts';

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
  return checkBan(v);
}
