// How the cluster's own classes cross the wire in msgpackr: a PacketBatch travels as its
// used rows only (each column cut to `length` rows, back to back), which is exactly the
// buffer of a batch whose capacity is its length, so the receiver wraps it without parsing.
// The header says the row layout (payload head bytes, row bytes): a node with another layout
// refuses the batch (PacketLayoutError) instead of reading its columns at the wrong offsets.
// The first layout (0x41: 16 head bytes, 123-byte rows, no layout in its header) has an
// extension type of its own, so each side refuses the other's: a node of that version knows
// no 0x42 (msgpackr: "Unknown extension type"), and 0x41 is refused here.

import { addExtension } from 'msgpackr';
import { PacketLayoutError } from '../errors.ts';
import { PACKET_COLUMNS, PACKET_ROW_BYTES, PAYLOAD_HEAD_BYTES, PacketBatch } from '../net/packet-batch.ts';

const PACKET_BATCH_EXT = 0x42;
/** The first layout's type (up to session 15), refused. */
const PACKET_BATCH_EXT_V1 = 0x41;
/** u32 rows, u16 head bytes, u16 row bytes. */
const HEADER = 8;

type Column = { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };

/** [u32 length][u16 PAYLOAD_HEAD_BYTES][u16 PACKET_ROW_BYTES][the rows of each column]. */
export function encodePacketBatch(b: PacketBatch): Buffer {
  const n = b.length;
  const out = Buffer.allocUnsafe(HEADER + Math.max(1, n) * PACKET_ROW_BYTES);
  out.writeUInt32LE(n, 0);
  out.writeUInt16LE(PAYLOAD_HEAD_BYTES, 4);
  out.writeUInt16LE(PACKET_ROW_BYTES, 6);
  let at = HEADER;
  for (const name of PACKET_COLUMNS) {
    const col = (b as unknown as Record<string, Column>)[name]!;
    const rowBytes = col.byteLength / b.capacity;
    const bytes = rowBytes * n;
    out.set(new Uint8Array(col.buffer, col.byteOffset, bytes), at);
    // The receiver's batch has capacity max(1, n): keep each column at its offset there.
    at += rowBytes * Math.max(1, n);
  }
  return out;
}

export function decodePacketBatch(frame: Uint8Array): PacketBatch {
  if (frame.byteLength < HEADER) throw new RangeError(`a packet batch on the wire has ${frame.byteLength} bytes, less than its ${HEADER}-byte header`);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const n = dv.getUint32(0, true);
  const head = dv.getUint16(4, true), rowBytes = dv.getUint16(6, true);
  if (head !== PAYLOAD_HEAD_BYTES || rowBytes !== PACKET_ROW_BYTES) {
    throw new PacketLayoutError(`a packet batch on the wire has rows of ${rowBytes} bytes keeping ${head} payload bytes, this node's are ${PACKET_ROW_BYTES} keeping ${PAYLOAD_HEAD_BYTES}`);
  }
  const data = frame.subarray(HEADER);
  const capacity = data.byteLength / PACKET_ROW_BYTES;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a packet batch on the wire has ${data.byteLength} bytes, not a whole number of ${PACKET_ROW_BYTES}-byte rows`);
  // A fresh, aligned buffer: the frame's bytes may sit at any offset of a pooled buffer.
  const buffer = new ArrayBuffer(data.byteLength);
  new Uint8Array(buffer).set(data);
  if (n > capacity) throw new RangeError(`a packet batch on the wire says ${n} rows but carries ${capacity}`);
  const batch = new PacketBatch(capacity, buffer);
  batch.length = n;
  return batch;
}

let registered = false;

/** Registers the extensions once per process (msgpackr's registry is global). */
export function registerWireTypes(): void {
  if (registered) return;
  registered = true;
  addExtension({
    Class: PacketBatch,
    type: PACKET_BATCH_EXT,
    pack: (b: PacketBatch) => encodePacketBatch(b),
    unpack: (buf: Buffer) => decodePacketBatch(buf),
  });
  addExtension({
    type: PACKET_BATCH_EXT_V1,
    unpack: () => {
      throw new PacketLayoutError(`a packet batch on the wire has the first row layout (extension 0x41: 16 payload bytes a row), this node's keeps ${PAYLOAD_HEAD_BYTES}`);
    },
  });
}
