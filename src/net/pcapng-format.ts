// pcapng: a sequence of blocks [type u32][total length u32][body][total length u32].
// A Section Header Block sets the byte order of its section and forgets earlier
// interfaces; Interface Description Blocks declare link type and timestamp resolution;
// packets come in Enhanced (EPB), Simple (SPB) or obsolete (OPB) packet blocks. Other
// block types are skipped.
import { PcapCorruptError, PcapFormatError, type PcapTruncatedError } from './errors.ts';
import { FormatParser, NEED_MORE, PACKET, SKIPPED, u16, u32 } from './record-parser.ts';

export const PCAPNG_SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const OPB = 0x00000002;
const SPB = 0x00000003;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_END = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

// Non-packet blocks (name tables, decryption secrets, custom) rarely exceed a few MiB;
// past this the length field is taken for corruption rather than buffered.
const MAX_OTHER_BLOCK = 16 * 1024 * 1024;
// Packet blocks: the frame plus headroom for per-packet options.
const PACKET_BLOCK_OVERHEAD = 64 * 1024;

const BLOCK_NAMES: Record<number, string> = {
  [PCAPNG_SHB]: 'section header block',
  [IDB]: 'interface description block',
  [OPB]: 'packet block',
  [SPB]: 'simple packet block',
  [EPB]: 'enhanced packet block',
};

function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? `block of type 0x${type.toString(16)}`;
}

export class PcapngBlockParser extends FormatParser {
  readonly format = 'pcapng';

  private le = true;
  private inSection = false;
  // Per interface of the current section, for the timestamp arithmetic.
  private hiScale: number[] = [];
  private units: number[] = [];
  private tsOffset: number[] = [];
  private linkTypes: number[] = [];
  /** Block length claimed by the block that ran past the data, -1 while reading a header. */
  private claimed = -1;
  private claimedType = 0;

  private corrupt(fileOffset: number, what: string): PcapCorruptError {
    return new PcapCorruptError(
      this.file,
      fileOffset,
      `${this.file}: ${what}; the file is corrupt from offset ${fileOffset} (every packet before it was read)`,
    );
  }

  next(buf: Uint8Array, start: number, end: number, fileOffset: number): number {
    const avail = end - start;
    // 12 bytes: type, length, and an SHB's byte-order magic (no block is shorter).
    if (avail < 12) {
      this.need = 12;
      this.claimed = -1;
      return NEED_MORE;
    }
    // The SHB type reads the same in both byte orders, so it can be checked first.
    let type = u32(buf, start, this.le);
    if (type === PCAPNG_SHB) {
      const bom = u32(buf, start + 8, false);
      if (bom === BYTE_ORDER_MAGIC) this.le = false;
      else if (bom === 0x4d3c2b1a) this.le = true;
      else throw this.corrupt(fileOffset, `section header at offset ${fileOffset} has byte-order magic 0x${bom.toString(16)}, not 0x1a2b3c4d`);
      type = PCAPNG_SHB;
    } else if (!this.inSection) {
      throw new PcapFormatError(this.file, fileOffset, `${this.file}: pcapng file does not start with a section header block`);
    }
    const len = u32(buf, start + 4, this.le);
    if (len < 12 || len % 4 !== 0) {
      throw this.corrupt(fileOffset, `${blockName(type)} at offset ${fileOffset} has total length ${len}; pcapng blocks are a multiple of 4 and at least 12 bytes`);
    }
    const isPacket = type === EPB || type === SPB || type === OPB;
    const limit = isPacket ? this.maxCaplen + PACKET_BLOCK_OVERHEAD : MAX_OTHER_BLOCK;
    if (len > limit) {
      throw this.corrupt(fileOffset, `${blockName(type)} at offset ${fileOffset} claims ${len} bytes, more than the ${limit}-byte limit for such a block`);
    }
    if (avail < len) {
      this.need = len;
      this.claimed = len;
      this.claimedType = type;
      return NEED_MORE;
    }
    const trailer = u32(buf, start + len - 4, this.le);
    if (trailer !== len) {
      throw this.corrupt(fileOffset, `${blockName(type)} at offset ${fileOffset} says ${len} bytes at its start but ${trailer} at its end`);
    }
    this.consumed = len;

    switch (type) {
      case EPB:
      case OPB: {
        if (len < 32) throw this.corrupt(fileOffset, `${blockName(type)} at offset ${fileOffset} is ${len} bytes, shorter than its 32-byte minimum`);
        const iface = type === EPB ? u32(buf, start + 8, this.le) : u16(buf, start + 8, this.le);
        if (iface >= this.units.length) {
          throw this.corrupt(fileOffset, `${blockName(type)} at offset ${fileOffset} names interface ${iface} but the section declares ${this.units.length}`);
        }
        const caplen = u32(buf, start + 20, this.le);
        if (caplen > this.maxCaplen) {
          throw this.corrupt(fileOffset, `${blockName(type)} at offset ${fileOffset} claims ${caplen} bytes of packet data, more than the ${this.maxCaplen}-byte limit`);
        }
        if (28 + caplen > len - 4) {
          throw this.corrupt(fileOffset, `${blockName(type)} at offset ${fileOffset} claims ${caplen} bytes of packet data but the block holds only ${len - 32}`);
        }
        const hi = u32(buf, start + 12, this.le);
        const lo = u32(buf, start + 16, this.le);
        // hi * 2^32 + lo would lose the low bits for nanosecond stamps; scale each half.
        this.ts = hi * this.hiScale[iface] + lo / this.units[iface] + this.tsOffset[iface];
        this.iface = iface;
        this.linkType = this.linkTypes[iface];
        this.caplen = caplen;
        this.wirelen = u32(buf, start + 24, this.le);
        this.dataOff = start + 28;
        return PACKET;
      }
      case SPB: {
        if (len < 16) throw this.corrupt(fileOffset, `simple packet block at offset ${fileOffset} is ${len} bytes, shorter than its 16-byte minimum`);
        if (this.units.length === 0) {
          throw this.corrupt(fileOffset, `simple packet block at offset ${fileOffset} comes before any interface description block`);
        }
        const wirelen = u32(buf, start + 8, this.le);
        const snaplen = this.interfaces[0].snaplen;
        let caplen = len - 16;
        if (wirelen < caplen) caplen = wirelen;
        if (snaplen !== 0 && snaplen < caplen) caplen = snaplen;
        // An SPB has no timestamp: the packet keeps the time of the one before it.
        this.iface = 0;
        this.linkType = this.linkTypes[0];
        this.caplen = caplen;
        this.wirelen = wirelen;
        this.dataOff = start + 12;
        return PACKET;
      }
      case PCAPNG_SHB: {
        if (len < 28) throw this.corrupt(fileOffset, `section header block at offset ${fileOffset} is ${len} bytes, shorter than its 28-byte minimum`);
        const major = u16(buf, start + 12, this.le);
        const minor = u16(buf, start + 14, this.le);
        if (major !== 1) {
          throw new PcapFormatError(this.file, fileOffset, `${this.file}: pcapng version ${major}.${minor} at offset ${fileOffset} is not supported (only 1.x)`);
        }
        this.inSection = true;
        // A new section starts a new interface list.
        this.interfaces = [];
        this.hiScale = [];
        this.units = [];
        this.tsOffset = [];
        this.linkTypes = [];
        return SKIPPED;
      }
      case IDB: {
        if (len < 20) throw this.corrupt(fileOffset, `interface description block at offset ${fileOffset} is ${len} bytes, shorter than its 20-byte minimum`);
        const linkType = u16(buf, start + 8, this.le);
        const snaplen = u32(buf, start + 12, this.le);
        let units = 1e6;
        let offset = 0;
        const optEnd = start + len - 4;
        for (let o = start + 16; o + 4 <= optEnd; ) {
          const code = u16(buf, o, this.le);
          const olen = u16(buf, o + 2, this.le);
          if (code === OPT_END || o + 4 + olen > optEnd) break;
          if (code === IF_TSRESOL && olen >= 1) {
            const r = buf[o + 4];
            units = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
          } else if (code === IF_TSOFFSET && olen >= 8) {
            const a = u32(buf, o + 4, this.le);
            const b = u32(buf, o + 8, this.le);
            // Signed 64-bit seconds, stored in the section's byte order.
            offset = this.le ? (b | 0) * 4294967296 + a : (a | 0) * 4294967296 + b;
          }
          o += 4 + ((olen + 3) & ~3);
        }
        this.interfaces.push({ linkType, snaplen, unitsPerSecond: units });
        this.hiScale.push(4294967296 / units);
        this.units.push(units);
        this.tsOffset.push(offset);
        this.linkTypes.push(linkType);
        return SKIPPED;
      }
      default:
        this.skippedBlocks++;
        return SKIPPED;
    }
  }

  truncatedError(fileOffset: number, available: number): PcapTruncatedError {
    const what =
      this.claimed < 0
        ? `block header at offset ${fileOffset} needs 12 bytes but only ${available} remain`
        : `${blockName(this.claimedType)} at offset ${fileOffset} claims ${this.claimed} bytes but only ${available} remain`;
    return this.cutShort(fileOffset, what);
  }
}
