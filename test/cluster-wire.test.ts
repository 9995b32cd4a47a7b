import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { pack, unpack } from 'msgpackr';
import { PACKET_COLUMNS, PacketBatch } from '../src/net/packet-batch.ts';
import { decodePacketBatch, encodePacketBatch, registerWireTypes } from '../src/remote/wire-types.ts';
import { mulberry32 } from '../devkit/prng.ts';

type Col = { length: number; [i: number]: number };

test('a packet batch crosses msgpackr as its used rows and comes back equal, column by column', () => {
  registerWireTypes();
  const rnd = mulberry32(7);
  for (const [capacity, length] of [[256, 256], [256, 3], [8, 0], [1, 1]] as const) {
    const b = new PacketBatch(capacity);
    b.length = length;
    for (const name of PACKET_COLUMNS) {
      const col = (b as unknown as Record<string, Col>)[name]!;
      for (let i = 0; i < col.length; i++) col[i] = Math.floor(rnd() * 250);
    }
    const wire = pack({ batch: b, note: 'x' });
    assert.ok(wire.byteLength < 64 + Math.max(1, length) * (b.buffer.byteLength / capacity), `only the used rows travel (${wire.byteLength} bytes)`);
    const back = (unpack(wire) as { batch: PacketBatch }).batch;
    assert.ok(back instanceof PacketBatch);
    assert.equal(back.length, length);
    for (const name of PACKET_COLUMNS) {
      const a = (b as unknown as Record<string, Col>)[name]!;
      const c = (back as unknown as Record<string, Col>)[name]!;
      const per = a.length / capacity;
      for (let i = 0; i < length * per; i++) assert.equal(c[i], a[i], `${name}[${i}] (capacity ${capacity}, length ${length})`);
    }
  }
});

test('a truncated or inconsistent packet batch frame is refused, saying what is wrong', () => {
  registerWireTypes();
  const b = new PacketBatch(4);
  b.length = 4;
  const wire = pack(b);
  assert.throws(() => unpack(wire.subarray(0, wire.byteLength - 7)));
  const frame = encodePacketBatch(b);
  assert.throws(() => decodePacketBatch(frame.subarray(0, frame.byteLength - 5)), /not a whole number of \d+-byte rows/);
  frame.writeUInt32LE(9, 0);
  assert.throws(() => decodePacketBatch(frame), /says 9 rows but carries 4/);
});

/** A msgpack ext 16 record (0xc8, big-endian length, type) holding `data`. */
function ext16(type: number, data: Uint8Array): Buffer {
  const out = Buffer.alloc(4 + data.byteLength);
  out[0] = 0xc8;
  out.writeUInt16BE(data.byteLength, 1);
  out[3] = type;
  out.set(data, 4);
  return out;
}

test('a packet batch of another row layout is refused as one, never read at the wrong offsets', () => {
  registerWireTypes();
  const b = new PacketBatch(4);
  b.length = 4;
  // the first layout's frame (extension 0x41, [u32 rows][rows of 123 bytes, 16 payload bytes each])
  const v1 = Buffer.alloc(4 + 4 * 123);
  v1.writeUInt32LE(4, 0);
  assert.throws(() => unpack(ext16(0x41, v1)), (err: Error & { code?: string }) => err.code === 'AI_ERR_PACKET_LAYOUT' && /extension 0x41/.test(err.message));
  // and ours is not 0x41, so a node of the first layout does not read ours as its own
  const wire = pack(b);
  assert.equal(wire[0], 0xc8);
  assert.notEqual(wire[3], 0x41);
  // a header saying another head size (a later layout)
  const frame = encodePacketBatch(b);
  frame.writeUInt16LE(64, 4);
  assert.throws(() => decodePacketBatch(frame), (err: Error & { code?: string }) => err.code === 'AI_ERR_PACKET_LAYOUT' && /keeping 64 payload bytes/.test(err.message));
  assert.throws(() => decodePacketBatch(frame.subarray(0, 6)), /less than its 8-byte header/);
});
