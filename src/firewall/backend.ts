// A firewall backend applies bans to the kernel's packet filter, touching only what it owns
// (its own nftables table, or its own ipset sets and iptables chain).

export interface FirewallEntry {
  /** IPv4 or IPv6 address or CIDR, normalised text. */
  address: string;
  /** Seconds left; the kernel removes the element when it runs out. */
  timeoutS: number;
}

export interface ReconcileResult {
  added: number;
  removed: number;
  /** Elements kept as they were (present and wanted). */
  kept: number;
}

export interface FirewallBackend {
  readonly name: 'nftables' | 'iptables-ipset' | 'xdp' | 'dry-run';
  /**
   * False when the kernel does not time its elements out (XDP's maps): the firewall actor
   * then removes each ban when it runs out. Absent: true.
   */
  readonly expires?: boolean;
  /** Creates the table/sets/rules if missing. Idempotent. */
  setup(): Promise<void>;
  /** Adds (or refreshes the timeout of) and removes elements in one batched transaction. */
  apply(add: readonly FirewallEntry[], remove: readonly string[]): Promise<void>;
  /** The elements in its sets now, with their remaining timeouts. */
  list(): Promise<FirewallEntry[]>;
  /** Makes its sets hold exactly `desired` (setup included). */
  reconcile(desired: readonly FirewallEntry[]): Promise<ReconcileResult>;
  /** Removes everything it owns: table, sets, chain and jump rules. */
  flush(): Promise<void>;
}
