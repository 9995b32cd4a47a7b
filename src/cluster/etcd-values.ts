// The schemas of every value the cluster keeps under /autoimmune/<cluster>/, and the one way
// to read them. etcd is a trust boundary: anything that can write to it (a bug, an older or
// newer node, an operator's etcdctl, an intruder) can put any bytes under any key, so every
// reader takes a value through here. A value that is not JSON, or not the shape its prefix
// holds, is skipped (null), counted per prefix (autoimmune_etcd_rejected_total) and logged
// once with its key; no reader throws and no node stops over it. (Envelope keys have their
// own decoder, key-distribution.ts, which reports here.)
//
// "Once": per key and revision. A reader that parses the same stored value again (a mirror
// re-reads its whole prefix on every change) neither counts nor logs it again; a new bad value
// at the key does both. The set of values seen is bounded (the oldest are forgotten).
//
// Objects may carry fields this version does not know (a newer node wrote them): they are
// kept, not refused, so a rolling upgrade does not make old nodes drop new values.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Ban } from '../respond/ban-registry.ts';
import { clusterPrefix } from './keys.ts';
import type { NodeRecord, PlacementValue } from './placement/placer.ts';
import type { PlacedKind } from './placement/types.ts';
import { isCurveKey } from '../remote/transport/z85.ts';
import { parseCidr } from '../respond/cidr.ts';
import { ALLOW_NOTE_MAX, allowWidthProblem, type AllowedEntry } from '../respond/allow-store.ts';
import type { MinPrefix } from '../respond/ban-guard.ts';

/** The prefixes (metric label values) of the cluster's key space. */
export type EtcdPrefix = 'bans' | 'allow' | 'nodes' | 'leader' | 'placement' | 'restarts' | 'models' | 'envelope-keys' | 'join-check' | (string & {});

const NOUNS: Record<string, string> = { offences: 'offence record', bans: 'ban', allow: 'allow-list entry', nodes: 'node registration', leader: 'leader', placement: 'placement', restarts: 'restart record', models: 'published model', 'join-check': 'join check' };

/** A stored value as a reader has it: its key, text and the revision of its last change. */
export interface StoredValue {
  key: string;
  value: string;
  revision: number;
}

const Finite = (o: object = {}) => Type.Number({ minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE, ...o });
const Text = (o: object = {}) => Type.String(o);

export const BanSchema = Type.Object({
  address: Text({ minLength: 1, maxLength: 64 }),
  ttl: Finite({ minimum: 0 }),
  expiresAt: Finite(),
  reason: Text(),
  detector: Text(),
  score: Finite(),
  at: Finite(),
  offence: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  forced: Type.Optional(Type.Boolean()),
  /** Where the ban came from beside detection and operators, e.g. feed:firehol. */
  origin: Type.Optional(Text({ maxLength: 128 })),
});

/** allow/<net>: an entry of the run-time allow-list (src/respond/etcd-allow-store.ts). */
export const AllowSchema = Type.Object({
  net: Text({ minLength: 1, maxLength: 64 }),
  note: Type.Union([Text({ maxLength: ALLOW_NOTE_MAX }), Type.Null()]),
  at: Finite({ minimum: 0 }),
});

export const OffenceSchema = Type.Object({ offences: Type.Integer({ minimum: 1, maximum: 1_000_000 }), forgetAt: Finite() });

// A node id is a zmq routing id (1-255 bytes) and the host name when node.id is "auto".
const NodeId = Text({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$' });
const PLACED_KINDS: readonly PlacedKind[] = ['capture', 'enricher', 'detector', 'shard-thread', 'firewall', 'floods', 'trainer'];

export const NodeRecordSchema = Type.Object({
  id: NodeId,
  address: Text({ pattern: '^tcp://\\S+:\\d+$', maxLength: 300 }),
  publicKey: Text({ minLength: 40, maxLength: 40 }),
  http: Text({ maxLength: 300 }),
  interfaces: Type.Optional(Type.Array(Text(), { maxItems: 256 })),
  captures: Type.Array(Text(), { maxItems: 256 }),
  capacity: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000 })),
  pid: Type.Optional(Type.Integer({ minimum: 0 })),
  startedAt: Type.Optional(Text()),
  load: Type.Optional(Type.Record(Text(), Finite())),
  /** HMAC of the record's identity with the cluster's join secret (join-secret.ts). */
  mac: Type.Optional(Text({ maxLength: 100 })),
});

export const LeaderSchema = Type.Object({ node: NodeId, lease: Type.Integer({ minimum: 0 }) });

export const PlacementSchema = Type.Object({ node: NodeId, kind: Type.Union(PLACED_KINDS.map((k) => Type.Literal(k))) });

export const RestartRecordSchema = Type.Object({
  restarts: Type.Integer({ minimum: 0 }),
  /** Wall-clock ms, oldest first. */
  times: Type.Array(Finite({ minimum: 0 }), { maxItems: 1000 }),
  nodes: Type.Optional(Type.Array(Text(), { maxItems: 1000 })),
});

export const PublishedModelSchema = Type.Object({
  origin: NodeId,
  version: Type.Integer({ minimum: 0 }),
  promotedAt: Text(),
  model: Text({ minLength: 2 }),
});

export const JoinCheckSchema = Type.Object({
  /** Not the secret: an HMAC of a fixed text with it (join-secret.ts). */
  fingerprint: Text({ pattern: '^[0-9a-f]{16,64}$' }),
  node: NodeId,
  at: Text(),
});

export type RestartRecord = Static<typeof RestartRecordSchema>;
export type PublishedModel = Static<typeof PublishedModelSchema>;
export type LeaderValue = Static<typeof LeaderSchema>;
export type JoinCheck = Static<typeof JoinCheckSchema>;

/** Why a value is not a well-formed ban (null when it is one). Shape, numbers, canonical address. */
export function banProblem(v: unknown): string | null {
  const shape = schemaProblem(BanSchema, v);
  if (shape) return shape;
  return addressProblem((v as Ban).address);
}

/** Why text is not a ban address in canonical form (parseCidr's), or null. */
export function addressProblem(address: string): string | null {
  let canonical: string;
  try {
    canonical = parseCidr(address).text;
  } catch (err) {
    return (err as Error).message;
  }
  return canonical === address ? null : `address ${JSON.stringify(address)} is not in canonical form (${canonical})`;
}

/** Why a value is not an allow-list entry every reader takes (shape, canonical net no wider than `minPrefix`), or null. */
export function allowProblem(v: unknown, minPrefix: MinPrefix): string | null {
  return schemaProblem(AllowSchema, v) ?? allowNetProblem((v as AllowedEntry).net, minPrefix);
}

/** Why `net` is not an allow-list net every reader takes (canonical, no wider than `minPrefix`), or null. */
export function allowNetProblem(net: string, minPrefix: MinPrefix): string | null {
  const bad = addressProblem(net);
  if (bad) return bad;
  const wide = allowWidthProblem(parseCidr(net), minPrefix);
  return wide ? `net ${net}: ${wide}` : null;
}

/** A well-formed ban (see banProblem), or null. Whether it is *allowed* is the firewall's call. */
export function checkBan(v: unknown): Ban | null {
  return banProblem(v) === null ? (v as Ban) : null;
}

/** Each schema compiled once (TypeCompiler: ten times Value.Check's speed; a feed's 100,000 bans are each checked before they are written). */
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function schemaProblem(schema: TSchema, v: unknown): string | null {
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)));
  if (check.Check(v)) return null;
  const e = check.Errors(v).First();
  return e ? `${e.path || 'the value'}: ${e.message}` : 'does not match its schema';
}

/** A key or value as it may appear in a log line: quoted, escaped, and not endless. */
function shown(text: string, max = 160): string {
  const q = JSON.stringify(text);
  return q.length <= max ? q : `${q.slice(0, max)}…"`;
}

export interface EtcdValuesOptions {
  /** Where the one line per rejected value goes. */
  notice: (line: string) => void;
  /** Stored values remembered as already reported (default 4096). */
  remember?: number;
}

export class EtcdValues {
  /** Rejected values by prefix, each counted once per key and revision. */
  readonly rejected = new Map<string, number>();
  readonly #prefix: string;
  readonly #notice: (line: string) => void;
  readonly #remember: number;
  /** key → revision of the rejected value last reported there (insertion order: oldest first). */
  readonly #seen = new Map<string, number>();

  constructor(
    readonly cluster: string,
    o: EtcdValuesOptions,
  ) {
    this.#prefix = clusterPrefix(cluster);
    this.#notice = o.notice;
    this.#remember = o.remember ?? 4096;
  }

  /** Counts per prefix, for /metrics and /api/cluster. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.rejected);
  }

  /**
   * Records a rejected value and returns null: counted and logged the first time this key and
   * revision are seen. For readers whose checks go past a schema (a signature, a key id).
   */
  reject(prefix: EtcdPrefix, kv: StoredValue, problem: string): null {
    if (this.#seen.get(kv.key) === kv.revision) return null;
    this.#seen.delete(kv.key);
    this.#seen.set(kv.key, kv.revision);
    if (this.#seen.size > this.#remember) this.#seen.delete(this.#seen.keys().next().value!);
    this.rejected.set(prefix, (this.rejected.get(prefix) ?? 0) + 1);
    this.#notice(`etcd value skipped: ${shown(kv.key)} (revision ${kv.revision}) ${problem}; no node uses it until it is fixed or deleted (etcdctl del ${shown(kv.key)})`);
    return null;
  }

  /** JSON of the given shape, or null (rejected). `extra` checks what a schema cannot. */
  read<S extends TSchema>(prefix: EtcdPrefix, schema: S, kv: StoredValue, extra?: (v: Static<S>) => string | null): Static<S> | null {
    let v: unknown;
    try {
      v = JSON.parse(kv.value);
    } catch {
      // Not the parser's message: it quotes the text, which may be anything.
      return this.reject(prefix, kv, `is not JSON (${kv.value.length} characters)`);
    }
    const problem = schemaProblem(schema, v) ?? extra?.(v as Static<S>) ?? null;
    return problem === null ? (v as Static<S>) : this.reject(prefix, kv, `is not a valid ${NOUNS[prefix] ?? prefix} value: ${problem}`);
  }

  /** The key's name below `sub` (e.g. "bans/"), or null when the key is not under it. */
  #name(sub: string, key: string): string | null {
    const p = this.#prefix + sub;
    return key.startsWith(p) ? key.slice(p.length) : null;
  }

  /** bans/<address>: a well-formed ban stored under its own (URI-encoded) address. */
  ban(kv: StoredValue): Ban | null {
    const name = this.#name('bans/', kv.key);
    return this.read('bans', BanSchema, kv, (b) => banProblem(b) ?? (name !== null && safeDecode(name) === b.address ? null : `it holds address ${shown(b.address)} but is stored under another key; a ban is stored under its own address`));
  }

  /** nodes/<id>: a node's registration under its own id, with a usable CURVE key. (Its signature is checked by the member.) */
  node(kv: StoredValue): NodeRecord | null {
    const name = this.#name('nodes/', kv.key);
    return this.read('nodes', NodeRecordSchema, kv, (r) => {
      if (name !== r.id) return `it registers node ${shown(r.id)} under another key`;
      return isCurveKey(r.publicKey) ? null : 'publicKey is not a 40-character Z85 CURVE key';
    });
  }

  leader(kv: StoredValue): LeaderValue | null {
    return this.read('leader', LeaderSchema, kv);
  }

  placement(kv: StoredValue): PlacementValue | null {
    return this.read('placement', PlacementSchema, kv);
  }

  restarts(kv: StoredValue): RestartRecord | null {
    return this.read('restarts', RestartRecordSchema, kv, (r) => (r.nodes && r.nodes.length !== r.times.length ? `it has ${r.times.length} times but ${r.nodes.length} nodes` : null));
  }

  model(kv: StoredValue): PublishedModel | null {
    return this.read('models', PublishedModelSchema, kv);
  }

  joinCheck(kv: StoredValue): JoinCheck | null {
    return this.read('join-check', JoinCheckSchema, kv);
  }

  /**
   * allow/<net>: a run-time allow-list entry stored under its own (URI-encoded) canonical net,
   * no wider than `minPrefix` (this node's responder.minPrefix): a wider one would switch the
   * defence off for that much of the internet, so it is refused here like any bad value.
   */
  allow(kv: StoredValue, minPrefix: MinPrefix): AllowedEntry | null {
    const name = this.#name('allow/', kv.key);
    return this.read('allow', AllowSchema, kv, (e) => {
      const bad = allowNetProblem(e.net, minPrefix);
      if (bad) return bad;
      return name === null || safeDecode(name) !== e.net ? `it holds net ${shown(e.net)} but is stored under another key; an entry is stored under its own net` : null;
    });
  }

  /** offences/<address>: a repeat offender's count and when it is forgotten (src/respond/etcd-offence-book.ts). */
  offence(kv: StoredValue): Static<typeof OffenceSchema> | null {
    return this.read('offences', OffenceSchema, kv);
  }
}

/** decodeURIComponent that gives null instead of throwing on a malformed escape. */
export function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
