// Where the run-time allow-list lives (`autoimmune allow`): one interface, two places, like the
// ban registries. A single node keeps it in its state dir (file-allow-store.ts); a cluster keeps
// it in etcd under allow/, watched by every node (etcd-allow-store.ts), so an address allowed on
// one node is allowed on all of them. OperatorAllowList (operator-allow.ts) is the logic over it.

import type { Cidr } from './cidr.ts';
import type { MinPrefix } from './ban-guard.ts';

export interface AllowedEntry {
  /** Canonical address or CIDR. */
  net: string;
  /** The operator's note ("office NAT"), or null. */
  note: string | null;
  /** Wall-clock ms it was added. */
  at: number;
}

/** The longest note an entry may carry (the API's bound and the etcd value's). */
export const ALLOW_NOTE_MAX = 200;

export interface AllowStore {
  /** Where the list is, for messages: a file, or etcd's prefix. */
  readonly where: string;
  /** The entries now, oldest first. */
  entries(): AllowedEntry[];
  get(net: string): AllowedEntry | undefined;
  /** Adds or replaces the entry of `entry.net`: durable (fsynced, or in etcd) and in entries() when it resolves. */
  put(entry: AllowedEntry): Promise<void>;
  /** Takes `net` out, durably; false when there was nothing under it. */
  delete(net: string): Promise<boolean>;
  /** Called after the entries changed in the store (in etcd: through any node, this one too); returns the unsubscribe. */
  onChange(listener: () => void): () => void;
  /** Nets whose stored values were refused (malformed, too wide): never applied. */
  refused(): string[];
  close(): void;
}

/**
 * Why `net` may not be allowed (null when it may): an allow wider than responder.minPrefix, the
 * widest ban, would switch the defence off for that much of the internet.
 */
export function allowWidthProblem(net: Cidr, minPrefix: MinPrefix): string | null {
  const min = net.family === 4 ? minPrefix.v4 : minPrefix.v6;
  return net.prefix < min ? `it is wider than /${min} (responder.minPrefix.v${net.family}), and nothing in it could be banned any more` : null;
}
