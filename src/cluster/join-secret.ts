// The cluster's join secret: what a node needs, beyond write access to etcd, to be admitted.
// 32 random bytes in a file (hex, mode 0600) that every node of the cluster holds. A node
// signs its registration (cluster, id, CURVE public key, transport address, HTTP address) with
// it (HMAC-SHA256); every node admits to its transport (ZAP and routing) and to placement only
// registrations whose signature verifies with its own secret. So whoever can write a node
// record into etcd, but does not hold the secret, is not a member.
//
// The first node of a new cluster makes the secret: a node without one starts only when etcd
// has no registered member and no join check, and then writes the secret's fingerprint (an
// HMAC of a fixed text, not the secret) under join-check with createIfAbsent, so two first
// nodes racing cannot both make one. A node with a secret checks it against that fingerprint
// and refuses to start with another cluster's secret.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Coordinator } from './coordinator.ts';
import type { EtcdValues, JoinCheck } from './etcd-values.ts';
import { keys } from './keys.ts';
import type { NodeRecord } from './placement/placer.ts';
import { AutoimmuneError } from '../errors.ts';

export const JOIN_SECRET_FILE = 'cluster-join.key';
const SECRET_BYTES = 32;

/** The join secret is missing where it must be, unreadable, or not this cluster's. */
export class JoinSecretError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_JOIN_SECRET', message);
  }
}

/** Where the secret is: `cluster.joinSecretFile`, or "auto": the state dir's cluster-join.key. */
export function joinSecretPath(stateDir: string, setting: string): string {
  return setting === 'auto' ? join(stateDir, JOIN_SECRET_FILE) : resolve(setting);
}

/** The secret in `file`; undefined when there is no such file. */
export function readJoinSecret(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new JoinSecretError(`cluster join secret ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); make it readable by this user`);
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new JoinSecretError(`cluster join secret ${file} does not hold 64 hex digits (32 bytes); copy it again from a member of the cluster`);
  return Buffer.from(hex, 'hex');
}

/** Writes a new secret to `file` (which must not exist), owner-only; returns it. What test launchers give every node. */
export function createJoinSecretFile(file: string): Buffer {
  const secret = randomBytes(SECRET_BYTES);
  writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

/** Not the secret: what etcd and log lines may show to tell two secrets apart. */
export function fingerprint(secret: Buffer): string {
  return createHmac('sha256', secret).update('autoimmune join secret fingerprint').digest('hex').slice(0, 16);
}

/** What a registration's signature covers. */
export type SignedFields = Pick<NodeRecord, 'id' | 'publicKey' | 'address' | 'http'>;

function mac(secret: Buffer, cluster: string, r: SignedFields): Buffer {
  return createHmac('sha256', secret).update(JSON.stringify(['autoimmune-node-v1', cluster, r.id, r.publicKey, r.address, r.http])).digest();
}

/** The signature a registration carries (base64url). */
export function signNode(secret: Buffer, cluster: string, r: SignedFields): string {
  return mac(secret, cluster, r).toString('base64url');
}

/** Why a registration is not admitted with this secret, or null when its signature verifies. */
export function nodeSignatureProblem(secret: Buffer, cluster: string, r: SignedFields & { mac?: string }): string | null {
  if (typeof r.mac !== 'string') return 'it carries no signature (mac): the node does not hold the cluster join secret';
  const got = Buffer.from(r.mac, 'base64url');
  const want = mac(secret, cluster, r);
  return got.length === want.length && timingSafeEqual(got, want) ? null : "its signature (mac) does not verify with this node's cluster join secret";
}

export interface ResolveJoinSecretOptions {
  coordinator: Coordinator;
  cluster: string;
  nodeId: string;
  /** The secret's file (joinSecretPath). */
  file: string;
  values: EtcdValues;
  notice: (line: string) => void;
}

/**
 * The join secret this node uses: the one in its file, checked against the cluster's
 * fingerprint in etcd; or, when there is none and the cluster has no member yet, a new one
 * (this is the cluster's first node). Throws JoinSecretError saying what to do otherwise.
 */
export async function resolveJoinSecret(o: ResolveJoinSecretOptions): Promise<Buffer> {
  const checkKey = keys.joinCheck(o.cluster);
  const got = await o.coordinator.get(checkKey);
  const check = got ? o.values.joinCheck(got) : null;
  const secret = readJoinSecret(o.file);
  if (secret) {
    if ((statSync(o.file).mode & 0o077) !== 0) o.notice(`autoimmune: cluster join secret ${o.file} can be read by other users of this host; chmod 600 it`);
    const mine = fingerprint(secret);
    if (check && check.fingerprint !== mine) throw mismatch(o, check, mine);
    if (!got) {
      const r = await o.coordinator.createIfAbsent(checkKey, JSON.stringify(checkOf(mine, o.nodeId)));
      const now = o.values.joinCheck(r.current);
      if (!r.created && now && now.fingerprint !== mine) throw mismatch(o, now, mine);
    }
    return secret;
  }
  const members = (await o.coordinator.list(keys.nodes(o.cluster))).items.map((kv) => o.values.node(kv)?.id).filter((id): id is string => id !== undefined);
  const giveIt = `copy ${JOIN_SECRET_FILE} from a member's state dir to ${o.file} (mode 0600), or point cluster.joinSecretFile (--join-secret) at a copy`;
  if (members.length > 0) {
    throw new JoinSecretError(`cluster ${o.cluster} already has members (${members.join(', ')}) and this node has no cluster join secret at ${o.file}: ${giveIt}`);
  }
  if (got) {
    const who = check ? `made by node ${check.node} at ${check.at}, fingerprint ${check.fingerprint}` : 'a value this node cannot read';
    throw new JoinSecretError(
      `cluster ${o.cluster} already has a join secret (${who}) but no live member, and this node has none at ${o.file}: ${giveIt}; ` +
        `or, if that secret is lost, delete ${checkKey} in etcd to start the cluster anew`,
    );
  }
  let fresh: Buffer;
  try {
    fresh = createJoinSecretFile(o.file);
  } catch (err) {
    throw new JoinSecretError(`cannot write the new cluster join secret to ${o.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set cluster.joinSecretFile to a writable path`);
  }
  const mine = fingerprint(fresh);
  const r = await o.coordinator.createIfAbsent(checkKey, JSON.stringify(checkOf(mine, o.nodeId))).catch((err: unknown) => {
    unlinkSync(o.file);
    throw err;
  });
  if (!r.created) {
    unlinkSync(o.file);
    const other = o.values.joinCheck(r.current);
    throw new JoinSecretError(`node ${other?.node ?? '(unknown)'} made cluster ${o.cluster}'s join secret at the same time as this node: ${giveIt}`);
  }
  o.notice(
    `autoimmune: first node of cluster ${o.cluster}: made its join secret ${o.file} (fingerprint ${mine}). ` +
      `Every other node needs a copy: put it in their state dir as ${JOIN_SECRET_FILE}, or give them --join-secret FILE (cluster.joinSecretFile)`,
  );
  return fresh;
}

function checkOf(fp: string, node: string): JoinCheck {
  return { fingerprint: fp, node, at: new Date().toISOString() };
}

function mismatch(o: ResolveJoinSecretOptions, check: JoinCheck, mine: string): JoinSecretError {
  return new JoinSecretError(
    `cluster join secret ${o.file} (fingerprint ${mine}) is not cluster ${o.cluster}'s (fingerprint ${check.fingerprint}, made by node ${check.node} at ${check.at}): ` +
      `copy ${JOIN_SECRET_FILE} from a member of this cluster, or check cluster.name and cluster.etcd`,
  );
}
