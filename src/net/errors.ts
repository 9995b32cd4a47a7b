// Errors raised by the capture-file readers. Codes are stable; messages name the file,
// the byte offset and what to do.
//
//   AI_ERR_PCAP_FORMAT     not a .pcap/.pcapng file, or a version we do not read
//   AI_ERR_PCAP_TRUNCATED  the file ends inside a header, record or block
//   AI_ERR_PCAP_CORRUPT    a length, interface id or trailer that cannot be right
//
// Readers deliver every packet before the bad offset first, then throw.

import { AutoimmuneError } from '../errors.ts';

export class CaptureFileError extends AutoimmuneError {
  override readonly code: string = 'AI_ERR_PCAP';
  /** The file being read. */
  readonly file: string;
  /** Byte offset in the file of the header, record or block at fault. */
  readonly offset: number;

  constructor(file: string, offset: number, message: string, options?: { cause?: unknown }) {
    super('AI_ERR_PCAP', message, { ...options, statusCode: 400 });
    this.file = file;
    this.offset = offset;
  }
}

export class PcapFormatError extends CaptureFileError {
  override readonly code = 'AI_ERR_PCAP_FORMAT';
}

export class PcapTruncatedError extends CaptureFileError {
  override readonly code = 'AI_ERR_PCAP_TRUNCATED';
}

export class PcapCorruptError extends CaptureFileError {
  override readonly code = 'AI_ERR_PCAP_CORRUPT';
}
