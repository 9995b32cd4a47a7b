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
