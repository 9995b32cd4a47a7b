// The contract between the file reader (buffering, batching) and a format's parser
// (pcap records, pcapng blocks). A parser reads from a window of the reader's buffer and
// reports through its own fields, so finding a record allocates nothing.
import { PcapTruncatedError } from './errors.ts';

/** next(): the window does not hold the whole next record; `need` says how many bytes it takes. */
export const NEED_MORE = 0;
/** next(): a packet record; dataOff/caplen/wirelen/ts/linkType/iface describe it. */
export const PACKET = 1;
/** next(): a header or non-packet block was consumed. */
export const SKIPPED = 2;

export interface CaptureInterface {
  /** LINKTYPE_* of the interface. */
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (1e6 for classic µs pcap, 1e9 for ns, pcapng if_tsresol). */
  unitsPerSecond: number;
}

export interface RecordParser {
  readonly format: 'pcap' | 'pcapng';
  /** Interfaces declared so far (one for .pcap; the current section's for pcapng). */
  readonly interfaces: readonly CaptureInterface[];
  /** Blocks skipped because their type is unknown or carries no packet we use. */
  readonly skippedBlocks: number;

  dataOff: number;
  caplen: number;
  wirelen: number;
  ts: number;
  linkType: number;
  iface: number;
  /** Bytes the last PACKET or SKIPPED took from the window. */
  consumed: number;
  /** After NEED_MORE: bytes the window must hold from its start. */
  need: number;

  /**
   * Parse what starts at buf[start] (a window ending at `end`; `fileOffset` is the file
   * offset of buf[start], for messages). Throws PcapCorruptError/PcapFormatError.
   */
  next(buf: Uint8Array, start: number, end: number, fileOffset: number): number;

  /** The error for a file that ended after NEED_MORE with `available` bytes left. */
  truncatedError(fileOffset: number, available: number): PcapTruncatedError;
}

/** The unsigned 16-bit number at buf[o], little- or big-endian. */
export function u16(buf: Uint8Array, o: number, le: boolean): number {
  return le ? buf[o] | (buf[o + 1] << 8) : (buf[o] << 8) | buf[o + 1];
}

/** The unsigned 32-bit number at buf[o], little- or big-endian. */
export function u32(buf: Uint8Array, o: number, le: boolean): number {
  return le
    ? (buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16) | (buf[o + 3] << 24)) >>> 0
    : ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
}

/** What the pcap and pcapng parsers share: the report fields, the file and its limit, the cut-short error. */
export abstract class FormatParser implements RecordParser {
  abstract readonly format: 'pcap' | 'pcapng';
  interfaces: CaptureInterface[] = [];
  skippedBlocks = 0;

  dataOff = 0;
  caplen = 0;
  wirelen = 0;
  ts = 0;
  linkType = 0;
  iface = 0;
  consumed = 0;
  need = 0;

  constructor(
    protected readonly file: string,
    protected readonly maxCaplen: number,
  ) {}

  abstract next(buf: Uint8Array, start: number, end: number, fileOffset: number): number;

  abstract truncatedError(fileOffset: number, available: number): PcapTruncatedError;

  /** The error for a file that ends inside `what` (a header, record or block at `fileOffset`). */
  protected cutShort(fileOffset: number, what: string): PcapTruncatedError {
    return new PcapTruncatedError(
      this.file,
      fileOffset,
      `${this.file}: ${what}; the file was cut short (every packet before offset ${fileOffset} was read)`,
    );
  }
}
