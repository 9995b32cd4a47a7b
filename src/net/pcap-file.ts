// Read .pcap and .pcapng files (told apart by magic number, never by extension) in
// fixed-size chunks, decoding packets straight into PacketBatch rows. Memory use is one
// chunk buffer plus the batches, whatever the file size.
import { AutoimmuneError } from '../errors.ts';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { CopyFilter } from './copy-filter.ts';
import { decodeFrame } from './decode.ts';
import { DecodeStats } from './decode-stats.ts';
import { CaptureFileError, PcapFormatError, PcapTruncatedError } from './errors.ts';
import { PacketBatch } from './packet-batch.ts';
import { PCAPNG_SHB, PcapngBlockParser } from './pcapng-format.ts';
import { pcapMagicKind, PcapRecordParser } from './pcap-format.ts';
import { NEED_MORE, PACKET, u32 } from './record-parser.ts';
import type { CaptureInterface, RecordParser } from './record-parser.ts';

export type { CaptureInterface } from './record-parser.ts';
export type CaptureFormat = 'pcap' | 'pcapng';

/** libpcap's own ceiling for a record (MAXIMUM_SNAPLEN); past it a length field is corrupt. */
export const DEFAULT_MAX_CAPLEN = 262144;
export const DEFAULT_BATCH_SIZE = 1024;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

export interface CaptureReadOptions {
  /** Rows per PacketBatch (default 1024). */
  batchSize?: number;
  /** Bytes per file read (default 1 MiB); the buffer grows only for a record larger than this. */
  chunkSize?: number;
  /** Largest believable caplen (default 262144 = 256 KiB). */
  maxCaplen?: number;
  /**
   * batches(): yield the same PacketBatch object every time, cleared after each yield
   * (fastest; the consumer must be done with it before asking for the next). Default false:
   * every yielded batch is a new object the consumer may keep or send on.
   */
  reuseBatch?: boolean;
  /** Decode statistics accumulate here (default: a new DecodeStats on the reader). */
  stats?: DecodeStats;
  /**
   * The buffer to read into (another reader's `buffer`, done with): FileSource reads its files
   * one after another through one buffer instead of a new 1 MiB one per file (each lived
   * through its file, long enough to die in V8's old generation, and waited there for a full
   * collection: 51 of them over the node benchmark's 3 passes). Replaced when smaller than
   * chunkSize. Default: a buffer of the reader's own.
   */
  buffer?: Buffer;
}

/**
 * Called for each raw record. `buf` is the reader's buffer and is reused: copy what you need
 * before returning.
 */
export type FrameVisitor = (
  buf: Uint8Array,
  offset: number,
  caplen: number,
  wirelen: number,
  ts: number,
  linkType: number,
  iface: number,
) => void;

export class CaptureOptionError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_CAPTURE_OPTION', message, { statusCode: 400 });
  }
}

function positiveInt(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new CaptureOptionError(`capture option ${name}=${value} is invalid: use an integer from 1 to ${max}`);
  }
  return value;
}

const noop = (): void => {};

export class CaptureReaderBusyError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_CAPTURE_BUSY', message, { statusCode: 409 });
  }
}

/** Where a fill stopped: the batch is full, or the buffer needs more bytes; or the file is bad (step). */
const FULL = 1;
const STARVED = 0;
const FAILED = 2;

/**
 * One capture file. Each of readSync / batches / forEachFrameSync reads it from the start;
 * the counters describe the latest read.
 */
export class CaptureFileReader {
  readonly path: string;
  readonly batchSize: number;
  readonly chunkSize: number;
  readonly maxCaplen: number;
  readonly reuseBatch: boolean;
  /** Decode outcomes; accumulates over every read of this reader (never reset by it). */
  readonly stats: DecodeStats;

  /** Known once the first bytes are read. */
  format: CaptureFormat | null = null;
  /** Records delivered by the latest read. */
  packets = 0;
  /** Records the latest read dropped as the second sighting of a packet on another side of the capture (copy-filter.ts). */
  get copies(): number {
    return this.copyFilter.copies;
  }
  /** File bytes consumed by the latest read (= the file size after a clean read). */
  bytesRead = 0;

  private parser: RecordParser | null = null;
  private readonly copyFilter = new CopyFilter();
  private busy = false;
  private buf: Buffer;
  private start = 0;
  private end = 0;
  /** File offset of buf[0]. */
  private base = 0;
  /** What the latest read throws once the packets before it are handed over (null: nothing). */
  private failure: unknown = null;

  constructor(path: string, options: CaptureReadOptions = {}) {
    this.path = path;
    this.batchSize = positiveInt('batchSize', options.batchSize, DEFAULT_BATCH_SIZE, 1 << 20);
    this.chunkSize = positiveInt('chunkSize', options.chunkSize, DEFAULT_CHUNK_SIZE, 1 << 30);
    this.maxCaplen = positiveInt('maxCaplen', options.maxCaplen, DEFAULT_MAX_CAPLEN, 1 << 30);
    this.reuseBatch = options.reuseBatch ?? false;
    this.stats = options.stats ?? new DecodeStats();
    this.buf = options.buffer ?? Buffer.alloc(0);
  }

  /** The buffer this reader reads into (for the next reader of a sequence, once this one is done: CaptureReadOptions.buffer). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Interfaces of the capture (one for .pcap; pcapng: those of the current section). */
  get interfaces(): readonly CaptureInterface[] {
    return this.parser?.interfaces ?? [];
  }

  /** pcapng blocks skipped as unknown or unused (name tables, statistics, custom...). */
  get skippedBlocks(): number {
    return this.parser?.skippedBlocks ?? 0;
  }

  /**
   * Read the whole file, calling `onBatch` with each full batch and the last partial one.
   * The same PacketBatch object is passed every time (cleared after the callback returns).
   * A truncated or corrupt file: every readable packet is delivered, then this throws.
   */
  readSync(onBatch: (batch: PacketBatch) => void): void {
    const batch = new PacketBatch(this.batchSize);
    const deliver = (): void => {
      onBatch(batch);
      batch.clear();
    };
    this.runSync(() => this.fillBatch(batch), deliver, () => {
      if (batch.length > 0) deliver();
    });
  }

  /** Visit each raw record without decoding (for replay of bytes, fuzzing, benchmarks). */
  forEachFrameSync(onFrame: FrameVisitor): void {
    this.runSync(() => this.visitFrames(onFrame), noop, noop);
  }

  /**
   * Async iterator of decoded batches (each non-empty). After the last readable packet of a
   * truncated or corrupt file, the next step throws the CaptureFileError.
   */
  async *batches(): AsyncGenerator<PacketBatch, void, undefined> {
    this.begin();
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      this.busy = false;
      throw err;
    }
    let batch = new PacketBatch(this.batchSize);
    const fill = (): number => this.fillBatch(batch);
    try {
      for (;;) {
        const r = this.step(fill);
        if (r === FAILED) break;
        if (r === FULL) {
          yield batch;
          if (this.reuseBatch) batch.clear();
          else batch = new PacketBatch(this.batchSize);
          continue;
        }
        this.makeRoom();
        const { bytesRead } = await fh.read(this.buf, this.end, this.buf.length - this.end, null);
        if (!this.took(bytesRead)) break;
      }
      if (batch.length > 0) yield batch;
      if (this.failure !== null) throw this.failure;
    } finally {
      this.busy = false;
      await fh.close();
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<PacketBatch, void, undefined> {
    return this.batches();
  }

  // ---- internals

  /** Start a read: one at a time per reader, since the buffer and counters are shared. */
  private begin(): void {
    if (this.busy) {
      throw new CaptureReaderBusyError(
        `${this.path}: this CaptureFileReader is already reading; finish or break out of that read first, or use a second reader`,
      );
    }
    this.busy = true;
    this.parser = null;
    this.format = null;
    this.packets = 0;
    this.copyFilter.clear();
    this.bytesRead = 0;
    this.start = 0;
    this.end = 0;
    this.base = 0;
    this.failure = null;
    if (this.buf.length < this.chunkSize) this.buf = Buffer.allocUnsafe(this.chunkSize);
  }

  /**
   * The sync driver. `fill` consumes buffered data (FULL: `deliver`, then again; STARVED:
   * read more). At the end of the file or on a parse error, `flush` hands over what was
   * decoded before it, then this returns or throws. Errors thrown by `deliver` propagate
   * at once: they are the consumer's, not the file's.
   */
  private runSync(fill: () => number, deliver: () => void, flush: () => void): void {
    this.begin();
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      this.busy = false;
      throw err;
    }
    try {
      for (;;) {
        const r = this.step(fill);
        if (r === FAILED) break;
        if (r === FULL) {
          deliver();
          continue;
        }
        this.makeRoom();
        if (!this.took(readSync(fd, this.buf, this.end, this.buf.length - this.end, null))) break;
      }
      flush();
      if (this.failure !== null) throw this.failure;
    } finally {
      this.busy = false;
      closeSync(fd);
    }
  }

  /**
   * One step of either driver: `fill` (FULL or STARVED) over what is buffered, once a parser
   * is picked; FAILED when the file is bad, with the error kept in `failure`.
   */
  private step(fill: () => number): number {
    try {
      if (this.parser === null) this.detect();
      return this.parser !== null ? fill() : STARVED;
    } catch (err) {
      this.failure = err;
      return FAILED;
    }
  }

  /** `n` bytes were read into the buffer; false at the end of the file (`failure` says if it ended inside a record). */
  private took(n: number): boolean {
    if (n === 0) {
      this.failure = this.endOfFile();
      return false;
    }
    this.end += n;
    return true;
  }

  /** Pick the parser from the magic number; false while fewer than 4 bytes are buffered. */
  private detect(): boolean {
    if (this.end - this.start < 4) return false;
    const b = this.buf;
    const s = this.start;
    const be = u32(b, s, false);
    if (be === PCAPNG_SHB) {
      this.parser = new PcapngBlockParser(this.path, this.maxCaplen);
      this.format = 'pcapng';
    } else if (pcapMagicKind(b[s], b[s + 1], b[s + 2], b[s + 3]) !== 0) {
      this.parser = new PcapRecordParser(this.path, this.maxCaplen);
      this.format = 'pcap';
    } else {
      const hex = be.toString(16).padStart(8, '0');
      const hint = b[s] === 0x1f && b[s + 1] === 0x8b ? ' (it looks gzip-compressed: gunzip it first)' : '';
      throw new PcapFormatError(
        this.path,
        0,
        `${this.path}: magic number 0x${hex} at offset 0 is neither pcap (a1b2c3d4, a1b23c4d, either byte order) nor pcapng (0a0d0d0a)${hint}`,
      );
    }
    return true;
  }

  /** Decode buffered records into `batch` until it is full (FULL) or the buffer runs dry. */
  private fillBatch(batch: PacketBatch): number {
    const p = this.parser!;
    const buf = this.buf;
    const end = this.end;
    const stats = this.stats;
    const cap = batch.capacity;
    let start = this.start;
    let row = batch.length;
    try {
      while (row < cap) {
        const r = p.next(buf, start, end, this.base + start);
        if (r === NEED_MORE) return STARVED;
        if (r === PACKET) {
          const lt = p.linkType;
          decodeFrame(batch, row, buf, p.dataOff, p.caplen, p.wirelen, lt, p.ts, stats);
          batch.iface[row] = p.iface;
          // a capture of two sides (Linux cooked: `-i any`; pcapng: two interfaces), or of two
          // mirror sessions (each mirrored host's), may hold each packet twice
          if (this.copyFilter.seenTwice(batch, row, buf, p.dataOff, p.caplen, lt, p.iface, p.interfaces.length)) {
            start += p.consumed;
            continue;
          }
          batch.length = ++row;
          this.packets++;
        }
        start += p.consumed;
      }
      return FULL;
    } finally {
      this.start = start;
      this.bytesRead = this.base + start;
    }
  }

  private visitFrames(onFrame: FrameVisitor): number {
    const p = this.parser!;
    const buf = this.buf;
    const end = this.end;
    let start = this.start;
    try {
      for (;;) {
        const r = p.next(buf, start, end, this.base + start);
        if (r === NEED_MORE) return STARVED;
        if (r === PACKET) {
          this.packets++;
          onFrame(buf, p.dataOff, p.caplen, p.wirelen, p.ts, p.linkType, p.iface);
        }
        start += p.consumed;
      }
    } finally {
      this.start = start;
      this.bytesRead = this.base + start;
    }
  }

  /** Move unread bytes to the front and make sure the next record can fit. */
  private makeRoom(): void {
    const pending = this.end - this.start;
    const need = this.parser?.need ?? 4;
    let buf = this.buf;
    if (need > buf.length) {
      // Only a record the parser has already checked against its limits gets here.
      const grown = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
      buf.copy(grown, 0, this.start, this.end);
      this.buf = buf = grown;
    } else if (this.start > 0) {
      buf.copyWithin(0, this.start, this.end);
    }
    this.base += this.start;
    this.start = 0;
    this.end = pending;
  }

  /** The error to raise when the file ends, or null when it ended between records. */
  private endOfFile(): CaptureFileError | null {
    const left = this.end - this.start;
    const at = this.base + this.start;
    if (this.parser === null) {
      return new PcapTruncatedError(
        this.path,
        0,
        `${this.path}: the file has only ${left} bytes, too few for a capture header: it is empty or not a capture`,
      );
    }
    if (left === 0) return null;
    return this.parser.truncatedError(at, left);
  }
}

/** Read a whole capture synchronously; returns the reader for its counters and stats. */
export function readCaptureSync(
  path: string,
  onBatch: (batch: PacketBatch) => void,
  options?: CaptureReadOptions,
): CaptureFileReader {
  const reader = new CaptureFileReader(path, options);
  reader.readSync(onBatch);
  return reader;
}
