// A MaxMind DB (.mmdb, format 2) reader that does not read the file into memory: the search
// tree and the data section are read by pages on demand (paged-file.ts), at most
// `cacheBytes` of them held, so a 60–70 MB City database costs a few MB of resident memory,
// and a database only ever asked about IPv6 addresses costs nothing until one is seen. The
// npm `maxmind` reader reads the whole file into one Buffer (the two bundled DB-IP files:
// 128 MB resident).
//
// Format (https://maxmind.github.io/MaxMind-DB/): a binary trie over the address bits, each
// node two records of `record_size` bits; a record < node_count is the next node, = node_count
// is "not found", > node_count points into the data section (node_count + 16 + offset). Then
// 16 zero bytes, the data section, a marker and the metadata map. IPv4 addresses in an IPv6
// tree sit under ::/96.

import { fstatSync, openSync, readSync, closeSync } from 'node:fs';
import { AutoimmuneError } from '../errors.ts';
import { LruMap } from '../util/lru.ts';
import { PagedFile, type PagedFileStats } from './paged-file.ts';
import { METADATA_MARKER, MmdbType } from './mmdb-format.ts';

export interface MmdbMetadata {
  nodeCount: number;
  recordSize: 24 | 28 | 32;
  ipVersion: 4 | 6;
  databaseType: string;
  buildEpoch: Date;
  /** Bytes of the search tree (the data section starts 16 bytes after it). */
  treeSize: number;
}

/** What the file holds is not a readable .mmdb (geo-lookup.ts wraps it in a GeoDbCorruptError naming the file). */
export class MmdbFormatError extends AutoimmuneError {
  constructor(problem: string) {
    super('AI_ERR_GEO_DB_FORMAT', `not a readable MaxMind DB: ${problem}`);
  }
}

const MARKER = METADATA_MARKER;
/** The metadata sits within the last 128 KiB of the file (the format's bound). */
const METADATA_MAX = 128 * 1024;
const { EXTENDED: T_EXTENDED, POINTER: T_POINTER, STRING: T_STRING, DOUBLE: T_DOUBLE, BYTES: T_BYTES, UINT16: T_UINT16, UINT32: T_UINT32, MAP: T_MAP, INT32: T_INT32, UINT64: T_UINT64, UINT128: T_UINT128, ARRAY: T_ARRAY, BOOLEAN: T_BOOLEAN, FLOAT: T_FLOAT } = MmdbType;

/** Decodes data-section values from a byte source (a page cache, or a Buffer for the metadata). */
class Decoder {
  /** Offset after the value decoded last. */
  pos = 0;

  constructor(
    private readonly byte: (offset: number) => number,
    private readonly bytes: (offset: number, length: number) => Buffer,
    /** Where pointers count from. */
    private readonly base: number,
    private readonly end: number,
  ) {}

  value(offset: number, depth = 0): unknown {
    if (depth > 64) throw new MmdbFormatError('data nested more than 64 levels deep (a pointer loop?)');
    if (offset >= this.end) throw new MmdbFormatError(`a value at ${offset} lies past the data section (${this.end})`);
    const ctrl = this.byte(offset++);
    let type = ctrl >>> 5;
    if (type === T_POINTER) {
      const ss = (ctrl >>> 3) & 3;
      const v = ctrl & 7;
      let p: number;
      if (ss === 0) p = (v << 8) | this.byte(offset);
      else if (ss === 1) p = ((v << 16) | (this.byte(offset) << 8) | this.byte(offset + 1)) + 2048;
      else if (ss === 2) p = ((v << 24) | (this.byte(offset) << 16) | (this.byte(offset + 1) << 8) | this.byte(offset + 2)) + 526_336;
      else p = ((this.byte(offset) << 24) | (this.byte(offset + 1) << 16) | (this.byte(offset + 2) << 8) | this.byte(offset + 3)) >>> 0;
      const after = offset + ss + 1;
      const out = this.value(this.base + p, depth + 1);
      this.pos = after;
      return out;
    }
    if (type === T_EXTENDED) type = 7 + this.byte(offset++);
    let size = ctrl & 0x1f;
    if (size >= 29) {
      if (size === 29) size = 29 + this.byte(offset++);
      else if (size === 30) {
        size = 285 + ((this.byte(offset) << 8) | this.byte(offset + 1));
        offset += 2;
      } else {
        size = 65_821 + ((this.byte(offset) << 16) | (this.byte(offset + 1) << 8) | this.byte(offset + 2));
        offset += 3;
      }
    }
    switch (type) {
      case T_STRING: {
        this.pos = offset + size;
        return this.bytes(offset, size).toString('utf8');
      }
      case T_DOUBLE:
        this.pos = offset + 8;
        return this.bytes(offset, 8).readDoubleBE(0);
      case T_FLOAT:
        this.pos = offset + 4;
        return this.bytes(offset, 4).readFloatBE(0);
      case T_BYTES:
        this.pos = offset + size;
        return Uint8Array.from(this.bytes(offset, size));
      case T_UINT16:
      case T_UINT32:
      case T_INT32: {
        let v = 0;
        for (let k = 0; k < size; k++) v = v * 256 + this.byte(offset + k);
        this.pos = offset + size;
        if (type === T_INT32 && size === 4 && v >= 2 ** 31) v -= 2 ** 32;
        return v;
      }
      case T_UINT64:
      case T_UINT128: {
        let v = 0n;
        for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(this.byte(offset + k));
        this.pos = offset + size;
        return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case T_BOOLEAN:
        this.pos = offset;
        return size !== 0;
      case T_MAP: {
        const out: Record<string, unknown> = {};
        let at = offset;
        for (let k = 0; k < size; k++) {
          const key = this.value(at, depth + 1);
          at = this.pos;
          if (typeof key !== 'string') throw new MmdbFormatError(`a map key at ${at} is not a string`);
          out[key] = this.value(at, depth + 1);
          at = this.pos;
        }
        this.pos = at;
        return out;
      }
      case T_ARRAY: {
        const out: unknown[] = [];
        let at = offset;
        for (let k = 0; k < size; k++) {
          out.push(this.value(at, depth + 1));
          at = this.pos;
        }
        this.pos = at;
        return out;
      }
      default:
        throw new MmdbFormatError(`unknown data type ${type} at ${offset - 1}`);
    }
  }
}

function readMetadata(fd: number, size: number): { meta: MmdbMetadata; raw: Record<string, unknown> } {
  const n = Math.min(size, METADATA_MAX);
  const tail = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const r = readSync(fd, tail, got, n - got, size - n + got);
    if (r === 0) break;
    got += r;
  }
  const at = tail.subarray(0, got).lastIndexOf(MARKER);
  if (at < 0) throw new MmdbFormatError('no metadata marker in its last 128 KiB');
  const start = at + MARKER.length;
  const d = new Decoder((o) => tail[o]!, (o, l) => tail.subarray(o, o + l), start, got);
  const raw = d.value(start) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) throw new MmdbFormatError('the metadata is not a map');
  const nodeCount = raw.node_count;
  const recordSize = raw.record_size;
  const ipVersion = raw.ip_version;
  if (!Number.isSafeInteger(nodeCount) || (nodeCount as number) < 1) throw new MmdbFormatError(`node_count ${String(nodeCount)} is not a positive integer`);
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw new MmdbFormatError(`record_size ${String(recordSize)} is not 24, 28 or 32`);
  if (ipVersion !== 4 && ipVersion !== 6) throw new MmdbFormatError(`ip_version ${String(ipVersion)} is not 4 or 6`);
  const treeSize = ((nodeCount as number) * recordSize * 2) / 8;
  if (treeSize + 16 > size - n + at) throw new MmdbFormatError(`its search tree (${nodeCount} nodes of ${recordSize}-bit records) is longer than the file`);
  const epoch = raw.build_epoch;
  return {
    raw,
    meta: {
      nodeCount: nodeCount as number,
      recordSize,
      ipVersion,
      databaseType: String(raw.database_type ?? ''),
      buildEpoch: new Date((typeof epoch === 'number' ? epoch : 0) * 1000),
      treeSize,
    },
  };
}

export interface MmdbReaderOptions {
  /** Most bytes of the file held in memory (default 8 MiB). */
  cacheBytes?: number;
  /** Page size as a power of two (default 12: 4 KiB). */
  pageBits?: number;
}

export class MmdbReader {
  readonly metadata: MmdbMetadata;
  private readonly file: PagedFile;
  private readonly decoder: Decoder;
  private readonly nodeCount: number;
  private readonly recordSize: number;
  private readonly dataEnd: number;
  private ipv4Start = -1;
  /** Decoded records by offset: many networks share one record (a city). */
  private readonly records = new LruMap<number, unknown>(4096);

  /** Opens the file and reads its metadata (the only read until the first lookup). */
  static open(path: string, options: MmdbReaderOptions = {}): MmdbReader {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > 2 ** 32 - 1) throw new MmdbFormatError(`it is ${size} bytes; files over 4 GiB are not supported`);
      return new MmdbReader(fd, size, options);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  private constructor(fd: number, size: number, options: MmdbReaderOptions) {
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    if (head[0] === 0x1f && head[1] === 0x8b) throw new MmdbFormatError('it is gzip-compressed (gunzip it first)');
    this.metadata = readMetadata(fd, size).meta;
    const pageBits = options.pageBits ?? 12;
    const pages = Math.max(4, Math.floor((options.cacheBytes ?? 8 * 2 ** 20) / 2 ** pageBits));
    this.file = new PagedFile(fd, size, pageBits, pages);
    this.nodeCount = this.metadata.nodeCount;
    this.recordSize = this.metadata.recordSize;
    this.dataEnd = size;
    const f = this.file;
    this.decoder = new Decoder((o) => f.byte(o), (o, l) => f.bytes(o, l), this.metadata.treeSize + 16, size);
  }

  /** The record for an IPv4 address (uint32), or null when the database has none. */
  getIpv4(address: number): unknown {
    let node = this.metadata.ipVersion === 4 ? 0 : this.ipv4StartNode();
    for (let i = 31; i >= 0 && node < this.nodeCount; i--) node = this.record(node, (address >>> i) & 1);
    return this.resolve(node);
  }

  /** The record for an IPv6 address given as eight 16-bit groups, or null. */
  getIpv6(groups: Uint16Array): unknown {
    if (this.metadata.ipVersion === 4) {
      // An IPv4-only tree answers v4-mapped addresses only.
      if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) return this.getIpv4(((groups[6]! << 16) | groups[7]!) >>> 0);
      return null;
    }
    let node = 0;
    for (let bit = 0; bit < 128 && node < this.nodeCount; bit++) node = this.record(node, (groups[bit >>> 4]! >>> (15 - (bit & 15))) & 1);
    return this.resolve(node);
  }

  cacheStats(): PagedFileStats {
    return this.file.stats();
  }

  close(): void {
    this.file.close();
  }

  private resolve(node: number): unknown {
    if (node === this.nodeCount) return null;
    if (node < this.nodeCount) throw new MmdbFormatError('the search tree is deeper than the address has bits');
    const offset = this.metadata.treeSize + node - this.nodeCount;
    if (offset >= this.dataEnd) throw new MmdbFormatError(`a record points past the end of the file (${offset})`);
    let rec = this.records.get(offset);
    if (rec === undefined) {
      rec = this.decoder.value(offset);
      this.records.set(offset, rec);
    }
    return rec;
  }

  private ipv4StartNode(): number {
    if (this.ipv4Start < 0) {
      let node = 0;
      for (let i = 0; i < 96 && node < this.nodeCount; i++) node = this.record(node, 0);
      this.ipv4Start = node;
    }
    return this.ipv4Start;
  }

  private record(node: number, bit: number): number {
    const f = this.file;
    switch (this.recordSize) {
      case 24: {
        const o = node * 6 + bit * 3;
        return (f.byte(o) << 16) | (f.byte(o + 1) << 8) | f.byte(o + 2);
      }
      case 28: {
        const o = node * 7;
        if (bit === 0) return (((f.byte(o + 3) & 0xf0) << 20) | (f.byte(o) << 16) | (f.byte(o + 1) << 8) | f.byte(o + 2)) >>> 0;
        return (((f.byte(o + 3) & 0x0f) << 24) | (f.byte(o + 4) << 16) | (f.byte(o + 5) << 8) | f.byte(o + 6)) >>> 0;
      }
      default: {
        const o = node * 8 + bit * 4;
        return ((f.byte(o) << 24) | (f.byte(o + 1) << 16) | (f.byte(o + 2) << 8) | f.byte(o + 3)) >>> 0;
      }
    }
  }
}
