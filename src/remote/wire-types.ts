// How the cluster's own classes cross the wire in msgpackr: a PacketBatch travels as its
// used rows only (each column cut to `length` rows, back to back), which is exactly the
// buffer of a batch whose capacity is its length, so the receiver wraps it without parsing.

import { addExtension } from 'msgpackr';
import { PACKET_COLUMNS, PACKET_ROW_BYTES, PacketBatch } from '../net/packet-batch.ts';

const PACKET_BATCH_EXT = 0x41;

type Column = { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };

/** [u32 length][the rows of each column]. */
export function encodePacketBatch(b: PacketBatch): Buffer {
  const n = b.length;
  const out = Buffer.allocUnsafe(4 + Math.max(1, n) * PACKET_ROW_BYTES);
  out.writeUInt32LE(n, 0);
  let at = 4;
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
  const n = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0, true);
  const data = frame.subarray(4);
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
}
