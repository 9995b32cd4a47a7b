// The contract between the file reader (buffering, batching) and a format's parser
// (pcap records, pcapng blocks). A parser reads from a window of the reader's buffer and
// reports through its own fields, so finding a record allocates nothing.
import type { PcapTruncatedError } from './errors.ts';

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
