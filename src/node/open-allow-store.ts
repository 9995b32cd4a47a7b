// Where a node keeps its run-time allow-list: the state dir alone, etcd in a cluster (read
// before the node's firewall first reconciles). A cluster node whose state dir still holds a
// single-node allow.json says that file is not read, and how to carry its entries over.

import { join } from 'node:path';
import type { EtcdCoordinator } from '../cluster/etcd-coordinator.ts';
import type { EtcdValues } from '../cluster/etcd-values.ts';
import type { Config } from '../config/schema.ts';
import { responderOf } from '../config/load-config.ts';
import type { AllowStore } from '../respond/allow-store.ts';
import { EtcdAllowStore } from '../respond/etcd-allow-store.ts';
import { ALLOW_FILE, FileAllowStore } from '../respond/file-allow-store.ts';

export async function openAllowStore(etcd: EtcdCoordinator | undefined, config: Config, o: { stateDir: string; values: EtcdValues; notice: (line: string) => void }): Promise<AllowStore> {
  const { minPrefix } = responderOf(config);
  if (!etcd) return new FileAllowStore(o.stateDir, minPrefix);
  const store = new EtcdAllowStore(etcd, config.cluster.name, o.values, minPrefix, (err) => o.notice(`autoimmune: allow-list: ${(err as Error).message}`));
  await store.start();
  // Only to say so: an unreadable file is no reason to stop a cluster node that does not read it.
  let left: string[] = [];
  try {
    left = new FileAllowStore(o.stateDir, minPrefix).entries().map((e) => e.net);
  } catch {
    left = ['unreadable'];
  }
  if (left.length > 0) o.notice(`autoimmune: allow-list: ${join(o.stateDir, ALLOW_FILE)} is a single node's list (${left.join(', ')}) and is not read in a cluster, whose list is in etcd: add its entries once with 'autoimmune allow add ADDR' on any node, then remove the file`);
  return store;
}
