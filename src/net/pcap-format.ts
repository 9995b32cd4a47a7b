// Classic libpcap files: a 24-byte file header, then records of a 16-byte header (24 in the
// "modified" Kuznetsov format) plus caplen bytes of frame. Either byte order, micro- or
// nanosecond timestamps, told apart by the magic number.
import { PcapCorruptError, PcapFormatError, type PcapTruncatedError } from './errors.ts';
import { FormatParser, NEED_MORE, PACKET, SKIPPED, u16, u32 } from './record-parser.ts';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** Alexey Kuznetsov's patched libpcap: 8 extra bytes (ifindex, protocol, pkt_type) per record. */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

const FILE_HEADER = 24;

/** The pcap magic as read big-endian, or 0 if these 4 bytes are not one (either order). */
export function pcapMagicKind(b0: number, b1: number, b2: number, b3: number): number {
  const be = ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
  const le = ((b3 << 24) | (b2 << 16) | (b1 << 8) | b0) >>> 0;
  for (const m of [PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC, PCAP_MAGIC_MODIFIED]) {
    if (be === m || le === m) return m;
  }
  return 0;
}

export class PcapRecordParser extends FormatParser {
  readonly format = 'pcap';

  private headerDone = false;
  private le = true;
  private fracPerSecond = 1e6;
  private recordHeader = 16;
  /** caplen claimed by the record that ran past the data, -1 while waiting for a header. */
  private claimed = -1;

  next(buf: Uint8Array, start: number, end: number, fileOffset: number): number {
    const avail = end - start;
    if (!this.headerDone) return this.fileHeader(buf, start, avail);
    const hl = this.recordHeader;
    if (avail < hl) {
      this.need = hl;
      this.claimed = -1;
      return NEED_MORE;
    }
    const le = this.le;
    const caplen = u32(buf, start + 8, le);
    if (caplen > this.maxCaplen) {
      throw new PcapCorruptError(
        this.file,
        fileOffset,
        `${this.file}: record at offset ${fileOffset} claims ${caplen} bytes of packet data, more than the ${this.maxCaplen}-byte limit; ` +
          `the file is corrupt from here (pass a larger maxCaplen only if such records are real)`,
      );
    }
    if (avail < hl + caplen) {
      this.need = hl + caplen;
      this.claimed = caplen;
      return NEED_MORE;
    }
    this.ts = u32(buf, start, le) + u32(buf, start + 4, le) / this.fracPerSecond;
    this.caplen = caplen;
    this.wirelen = u32(buf, start + 12, le);
    this.dataOff = start + hl;
    this.consumed = hl + caplen;
    return PACKET;
  }

  truncatedError(fileOffset: number, available: number): PcapTruncatedError {
    let what: string;
    if (!this.headerDone) {
      what = `file header needs ${FILE_HEADER} bytes but the file has only ${available}`;
    } else if (this.claimed < 0) {
      what = `record header at offset ${fileOffset} needs ${this.recordHeader} bytes but only ${available} remain`;
    } else {
      what = `record at offset ${fileOffset} claims ${this.claimed} bytes but only ${available - this.recordHeader} remain`;
    }
    return this.cutShort(fileOffset, what);
  }

  private fileHeader(buf: Uint8Array, start: number, avail: number): number {
    if (avail < FILE_HEADER) {
      this.need = FILE_HEADER;
      return NEED_MORE;
    }
    const kind = pcapMagicKind(buf[start], buf[start + 1], buf[start + 2], buf[start + 3]);
    const le = (this.le = buf[start] !== 0xa1);
    const major = u16(buf, start + 4, le);
    const minor = u16(buf, start + 6, le);
    if (major !== 2) {
      throw new PcapFormatError(
        this.file,
        0,
        `${this.file}: pcap version ${major}.${minor} is not supported (only 2.x): convert it with \`editcap -F pcap\``,
      );
    }
    this.fracPerSecond = kind === PCAP_MAGIC_NSEC ? 1e9 : 1e6;
    this.recordHeader = kind === PCAP_MAGIC_MODIFIED ? 24 : 16;
    const snaplen = u32(buf, start + 16, le);
    // The top bits of the link-type word carry FCS information, not the type.
    this.linkType = u32(buf, start + 20, le) & 0xffff;
    this.interfaces.push({ linkType: this.linkType, snaplen, unitsPerSecond: this.fracPerSecond });
    this.headerDone = true;
    this.consumed = FILE_HEADER;
    return SKIPPED;
  }
}
