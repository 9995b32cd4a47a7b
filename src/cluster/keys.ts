// The cluster's key space in etcd (DESIGN.md, "Cluster"), in one place.

export function clusterPrefix(cluster: string): string {
  return `/autoimmune/${cluster}/`;
}

export const keys = {
  nodes: (c: string) => `${clusterPrefix(c)}nodes/`,
  node: (c: string, id: string) => `${clusterPrefix(c)}nodes/${id}`,
  leader: (c: string) => `${clusterPrefix(c)}leader`,
  spec: (c: string) => `${clusterPrefix(c)}spec/actors`,
  placements: (c: string) => `${clusterPrefix(c)}placement/`,
  placement: (c: string, actor: string) => `${clusterPrefix(c)}placement/${actor}`,
  restarts: (c: string, actor: string) => `${clusterPrefix(c)}restarts/${actor}`,
  envelopeKeys: (c: string) => `${clusterPrefix(c)}envelope-keys/`,
  /** The fingerprint of the cluster's join secret (join-secret.ts). */
  joinCheck: (c: string) => `${clusterPrefix(c)}join-check`,
};

/** The last path segment of a key under a prefix. */
export function keyName(prefix: string, key: string): string {
  return key.slice(prefix.length);
}
