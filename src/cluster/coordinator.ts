// The coordination interface the node uses: the subset of etcd it needs (keys with
// revisions, leases with a TTL, prefix lists and watches, guarded transactions). The
// embedded implementation serves a single node without etcd; EtcdCoordinator implements the
// same on a real etcd cluster.

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the last change of this key (etcd's mod_revision). */
  revision: number;
  /** Revision at which the key was created (etcd's create_revision). */
  createRevision?: number;
  lease?: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  value?: string;
  revision: number;
}

export type TxnOp = { type: 'put'; key: string; value: string; lease?: number } | { type: 'delete'; key: string };

export interface Coordinator {
  readonly kind: 'embedded' | 'etcd';
  grantLease(ttlMs: number): Promise<number>;
  /** Renews a lease; rejects when it has already expired (the holder must fence itself). */
  keepAlive(lease: number): Promise<void>;
  revoke(lease: number): Promise<void>;
  put(key: string, value: string, options?: { lease?: number }): Promise<number>;
  get(key: string): Promise<KeyValue | undefined>;
  delete(key: string): Promise<boolean>;
  list(prefix: string): Promise<{ items: KeyValue[]; revision: number }>;
  /** Creates `key` only if it does not exist (an election's campaign); `current` is who holds it now. */
  createIfAbsent(key: string, value: string, options?: { lease?: number }): Promise<{ created: boolean; current: KeyValue }>;
  /**
   * Applies `ops` in one transaction if `guard.key` holds exactly `guard.value` (a leader's
   * fenced write). The commit's revision, or undefined when the guard did not hold.
   */
  commitIf(guard: { key: string; value: string }, ops: TxnOp[]): Promise<number | undefined>;
  /**
   * Calls `onEvent` for every change under `prefix` after `fromRevision`; returns a stop
   * function. When `fromRevision` was compacted away, calls `onCompacted` instead and stops:
   * the caller lists again and watches from the list's revision.
   */
  watch(prefix: string, fromRevision: number, onEvent: (ev: WatchEvent) => void, onCompacted?: () => void): () => void;
  close(): Promise<void>;
}
