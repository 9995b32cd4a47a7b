// The BanRegistry: the one place a ban is written; every firewall actor watches it and
// applies what it says. The embedded implementation is memory-ban-registry.ts; the etcd one
// (a key per address under a lease whose TTL is the ban's) comes with the cluster.

export interface Ban {
  /** Address or CIDR, normalised text. */
  address: string;
  /** Ban length in seconds as decided. */
  ttl: number;
  /** Wall-clock expiry, ms since the epoch. */
  expiresAt: number;
  reason: string;
  /** The detector that asked for it, 'operator', or 'feed:<name>' for a threat-intel feed's entry. */
  detector: string;
  /** Where the ban came from when not the node's own detection or an operator, e.g. 'feed:firehol'. */
  origin?: string;
  score: number;
  /** Wall-clock time it was made, ms since the epoch. */
  at: number;
  offence: number;
  /** An operator's forced ban of a forceable protected address (a gateway, resolver, NTP server). */
  forced?: boolean;
}

export type BanEvent = { type: 'put'; ban: Ban } | { type: 'delete'; address: string; expired: boolean };

export interface PutOptions {
  /**
   * false: the ban may reach stable storage after put() returns (an automatic decision, which
   * is enforced at once and made again if the attacker comes back); a registry on disk still
   * has it once the process dies, not once the power fails. Default true: durable on return.
   */
  sync?: boolean;
}

export interface BanRegistry {
  /** Adds or replaces the ban of `ban.address`. */
  put(ban: Ban, options?: PutOptions): Promise<void>;
  /**
   * Many puts at once, applied in order (a feed's entries, the desk's bans of one turn): one
   * disk transaction, or batched etcd transactions. `options.sync` as for put().
   */
  putMany(bans: readonly Ban[], options?: PutOptions): Promise<void>;
  /** Lifts a ban; false when there was none. */
  remove(address: string): Promise<boolean>;
  /** Many removals at once; how many bans there were. */
  removeMany(addresses: readonly string[]): Promise<number>;
  /** Bans in force now. */
  list(): Promise<Ban[]>;
  /** Every change from now on (expiry included), in order. Returns the unsubscribe. */
  watch(listener: (event: BanEvent) => void): () => void;
  close(): Promise<void>;
}
