// The coordination interface the node uses: the subset of etcd it needs (keys with
// revisions, leases with a TTL, prefix lists and watches). The embedded implementation
// serves a single node without etcd; the etcd one (cluster issue) implements the same.

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the last change of this key (etcd's mod_revision). */
  revision: number;
  lease?: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  value?: string;
  revision: number;
}

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
  /** Calls `onEvent` for every change under `prefix` after `fromRevision`; returns a stop function. */
  watch(prefix: string, fromRevision: number, onEvent: (ev: WatchEvent) => void): () => void;
  close(): Promise<void>;
}
