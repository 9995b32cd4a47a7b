// How a node proves itself to etcd and knows it talks to the real one: TLS (the CA that signed
// etcd's server certificates, and a client certificate for etcd's --client-cert-auth) and
// etcd's own users (RBAC, `etcdctl auth enable`). Read from cluster.etcdTls / etcdAuth; every
// file is read at start, and a missing or half-given setting is an error that names it.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';

export interface EtcdTls {
  /** PEM of the CA that signed etcd's certificates; undefined: the system's roots. */
  ca?: Buffer;
  /** PEM client certificate and its private key (both or neither). */
  cert?: Buffer;
  key?: Buffer;
}

export interface EtcdAuth {
  username: string;
  password: string;
}

export interface EtcdSecurity {
  tls?: EtcdTls;
  auth?: EtcdAuth;
}

export interface EtcdSecuritySettings {
  etcd: readonly string[];
  etcdTls: { ca: string | null; cert: string | null; key: string | null };
  etcdAuth: { user: string; passwordFile: string } | null;
}

function read(setting: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${setting}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a readable PEM file or null`, { cause: err });
  }
}

/** The TLS material and credentials the settings name, read from their files. */
export function loadEtcdSecurity(c: EtcdSecuritySettings, notice: (line: string) => void = () => {}): EtcdSecurity {
  const out: EtcdSecurity = {};
  const https = c.etcd.some((e) => e.startsWith('https:'));
  const { ca, cert, key } = c.etcdTls;
  if ((cert === null) !== (key === null)) {
    throw new ConfigError(`cluster.etcdTls: cert and key go together (got ${cert === null ? 'a key without a cert' : 'a cert without a key'}); set both or neither`);
  }
  if (ca !== null || cert !== null) {
    if (!https) throw new ConfigError(`cluster.etcdTls is set but the etcd endpoints (${c.etcd.join(', ')}) use http; write them as https://host:2379`);
    out.tls = {
      ...(ca !== null ? { ca: read('cluster.etcdTls.ca', ca) } : {}),
      ...(cert !== null && key !== null ? { cert: read('cluster.etcdTls.cert', cert), key: read('cluster.etcdTls.key', key) } : {}),
    };
  }
  if (c.etcdAuth) {
    const password = read('cluster.etcdAuth.passwordFile', c.etcdAuth.passwordFile).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (password === '') throw new ConfigError(`cluster.etcdAuth.passwordFile ${c.etcdAuth.passwordFile} is empty; its first line is the password of etcd user ${c.etcdAuth.user}`);
    out.auth = { username: c.etcdAuth.user, password };
    if (!https) notice(`autoimmune: etcd user ${c.etcdAuth.user}'s password goes to etcd over plain http; use https endpoints (cluster.etcdTls)`);
  }
  return out;
}
