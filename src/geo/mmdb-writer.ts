// A small MaxMind DB (.mmdb, format 2.0) writer: builds a database from a list of networks
// and records, in memory. The tests use it to make City and ASN databases in the GeoIP2
// layouts (no ASN database ships in an npm package we can use), and it can turn a CSV of
// ranges into an .mmdb. Not meant for full-size databases: it keeps the tree in arrays.
//
// Format: https://maxmind.github.io/MaxMind-DB/ — a binary trie over address bits, whose
// records point to nodes, to "not found" (= node count), or into the data section
// (= node count + 16 + offset); then 16 zero bytes, the data section, a marker and the
// metadata map.

import { parseIpv4, parseIpv6 } from '../net/address.ts';
import { METADATA_MARKER, MmdbType } from './mmdb-format.ts';

export type MmdbValue = string | number | boolean | bigint | readonly MmdbValue[] | { readonly [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** CIDR: `8.8.8.0/24` or `2001:4860::/32`. IPv4 networks sit at ::a.b.c.d in an IPv6 tree. */
  network: string;
  data: MmdbValue;
}

export interface MmdbBuildOptions {
  /** metadata database_type, e.g. `GeoLite2-ASN`. */
  databaseType: string;
  /** 6 (default): one tree for IPv4 and IPv6; 4: IPv4 only. */
  ipVersion?: 4 | 6;
  description?: string;
  languages?: readonly string[];
  /** Seconds since the epoch; default now. */
  buildEpoch?: number;
}

const { STRING: T_STRING, DOUBLE: T_DOUBLE, UINT32: T_UINT32, MAP: T_MAP, INT32: T_INT32, UINT64: T_UINT64, UINT128: T_UINT128, ARRAY: T_ARRAY, BOOLEAN: T_BOOLEAN } = MmdbType;

function control(type: number, size: number): Buffer {
  const head: number[] = [];
  let sizeBits: number;
  const extra: number[] = [];
  if (size < 29) sizeBits = size;
  else if (size < 29 + 256) {
    sizeBits = 29;
    extra.push(size - 29);
  } else if (size < 285 + 65536) {
    sizeBits = 30;
    const s = size - 285;
    extra.push(s >>> 8, s & 255);
  } else {
    sizeBits = 31;
    const s = size - 65821;
    extra.push((s >>> 16) & 255, (s >>> 8) & 255, s & 255);
  }
  if (type <= 7) head.push((type << 5) | sizeBits);
  else head.push(sizeBits, type - 7);
  return Buffer.from([...head, ...extra]);
}

function uintBytes(v: bigint): Buffer {
  const bytes: number[] = [];
  while (v > 0n) {
    bytes.unshift(Number(v & 255n));
    v >>= 8n;
  }
  return Buffer.from(bytes);
}

/** Encode one value of the data section. */
export function encodeValue(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const b = Buffer.from(value, 'utf8');
    return Buffer.concat([control(T_STRING, b.length), b]);
  }
  if (typeof value === 'boolean') return control(T_BOOLEAN, value ? 1 : 0);
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 128n) throw new RangeError(`mmdb: ${value} does not fit an unsigned 128-bit integer`);
    const b = uintBytes(value);
    return Buffer.concat([control(value < 1n << 64n ? T_UINT64 : T_UINT128, b.length), b]);
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) {
      const b = uintBytes(BigInt(value));
      return Buffer.concat([control(T_UINT32, b.length), b]);
    }
    if (Number.isInteger(value) && value >= -(2 ** 31) && value < 0) {
      const b = Buffer.alloc(4);
      b.writeInt32BE(value);
      return Buffer.concat([control(T_INT32, 4), b]);
    }
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    return Buffer.concat([control(T_DOUBLE, 8), b]);
  }
  if (Array.isArray(value)) {
    return Buffer.concat([control(T_ARRAY, value.length), ...value.map(encodeValue)]);
  }
  const entries = Object.entries(value as { [key: string]: MmdbValue });
  return Buffer.concat([control(T_MAP, entries.length), ...entries.flatMap(([k, v]) => [encodeValue(k), encodeValue(v)])]);
}

/** Address bytes (16 for IPv6 trees, 4 for IPv4 trees) and prefix length of a CIDR. */
function parseNetwork(cidr: string, ipVersion: 4 | 6): { bytes: Uint8Array; prefix: number } {
  const slash = cidr.indexOf('/');
  const text = slash < 0 ? cidr : cidr.slice(0, slash);
  const len = slash < 0 ? undefined : Number(cidr.slice(slash + 1));
  const v4 = parseIpv4(text);
  let bytes: Uint8Array;
  let prefix: number;
  if (v4 >= 0) {
    const b4 = [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255];
    const p = len ?? 32;
    if (!Number.isInteger(p) || p < 1 || p > 32) throw new RangeError(`mmdb: bad prefix length in ${cidr}`);
    bytes = ipVersion === 4 ? Uint8Array.from(b4) : Uint8Array.from([...new Array<number>(12).fill(0), ...b4]);
    prefix = ipVersion === 4 ? p : 96 + p;
  } else {
    if (ipVersion === 4) throw new RangeError(`mmdb: IPv6 network ${cidr} in an IPv4 database`);
    const g = new Uint16Array(8);
    if (!parseIpv6(text, g)) throw new RangeError(`mmdb: not a network: ${cidr}`);
    bytes = new Uint8Array(16);
    for (let i = 0; i < 8; i++) {
      bytes[2 * i] = g[i] >>> 8;
      bytes[2 * i + 1] = g[i] & 255;
    }
    prefix = len ?? 128;
    if (!Number.isInteger(prefix) || prefix < 1 || prefix > 128) throw new RangeError(`mmdb: bad prefix length in ${cidr}`);
  }
  return { bytes, prefix };
}

/** Build a complete .mmdb file. Later networks overwrite earlier ones where they overlap. */
export function buildMmdb(networks: readonly MmdbNetwork[], options: MmdbBuildOptions): Buffer {
  const ipVersion = options.ipVersion ?? 6;
  // trie: children are node indices (>= 0), EMPTY, or data references -(2 + index)
  const EMPTY = -1;
  const left: number[] = [EMPTY];
  const right: number[] = [EMPTY];
  const dataIndex = new Map<string, number>();
  const dataBlobs: Buffer[] = [];

  for (const { network, data } of networks) {
    const { bytes, prefix } = parseNetwork(network, ipVersion);
    const key = JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    let d = dataIndex.get(key);
    if (d === undefined) {
      d = dataBlobs.length;
      dataBlobs.push(encodeValue(data));
      dataIndex.set(key, d);
    }
    const ref = -(2 + d);
    let node = 0;
    for (let depth = 0; depth < prefix; depth++) {
      const side = (bytes[depth >> 3] >> (7 - (depth & 7))) & 1 ? right : left;
      if (depth === prefix - 1) {
        side[node] = ref;
        break;
      }
      const child = side[node];
      if (child >= 0) {
        node = child;
        continue;
      }
      // split an empty or data leaf: the new node inherits it on both sides
      const n = left.length;
      left.push(child);
      right.push(child);
      side[node] = n;
      node = n;
    }
  }

  const nodeCount = left.length;
  const offsets: number[] = [];
  let size = 0;
  for (const b of dataBlobs) {
    offsets.push(size);
    size += b.length;
  }
  const recordValue = (child: number) => (child >= 0 ? child : child === EMPTY ? nodeCount : nodeCount + 16 + offsets[-child - 2]);
  const maxValue = nodeCount + 16 + size;
  const recordSize = maxValue < 2 ** 24 ? 24 : 32;
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  for (let n = 0; n < nodeCount; n++) {
    const l = recordValue(left[n]);
    const r = recordValue(right[n]);
    if (recordSize === 24) {
      tree.writeUIntBE(l, n * 6, 3);
      tree.writeUIntBE(r, n * 6 + 3, 3);
    } else {
      tree.writeUInt32BE(l, n * 8);
      tree.writeUInt32BE(r, n * 8 + 4);
    }
  }

  const metadata = encodeValue({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(options.buildEpoch ?? Math.floor(Date.now() / 1000)),
    database_type: options.databaseType,
    description: { en: options.description ?? options.databaseType },
    ip_version: ipVersion,
    languages: [...(options.languages ?? ['en'])],
    node_count: nodeCount,
    record_size: recordSize,
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...dataBlobs, METADATA_MARKER, metadata]);
}
