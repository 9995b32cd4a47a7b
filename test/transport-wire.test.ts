// Frame codec and Z85 keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { curveKeyPair } from 'zeromq';
import { DATA_V2, OUTCOME_CODE, UnencodableMessageError, WireCodec, WireFormatError } from '../src/remote/transport/wire.ts';
import { isCurveKey, z85Decode, z85Encode } from '../src/remote/transport/z85.ts';
import { Packr } from 'msgpackr';

const dest = { path: '/p', epoch: 1 };
const TOKEN = Buffer.alloc(16, 7);

test('a data frame carries session, floor, token and every message with its destination', () => {
  const enc = new WireCodec();
  const dec = new WireCodec();
  const records = Array.from({ length: 256 }, (_, i) => ({ ts: 1.5 + i, src: `10.0.0.${i}`, dport: 443, len: 60 + i }));
  const columns = { ts: new Float64Array([1, 2]), src4: new Uint32Array([0x0a000001, 0x0a000002]) };
  const session = 2 ** 46 + 12345;
  const frame = enc.encodeData(session, 7, [
    { seq: 7, to: { path: '/user/enricher-1', epoch: 41 }, priority: 1, events: 256, body: enc.encodeMessage(records, dest) },
    { seq: 9, to: { path: '/user/firewall', epoch: 2 }, priority: 9, events: 2, body: enc.encodeMessage(columns, dest) },
  ], TOKEN);
  const d = dec.decodeData(frame);
  assert.equal(d.session, session);
  assert.equal(d.floor, 7);
  assert.deepEqual(Buffer.from(d.token), TOKEN);
  assert.equal(d.messages.length, 2);
  assert.deepEqual(d.messages[0], { seq: 7, to: { path: '/user/enricher-1', epoch: 41 }, priority: 1, events: 256, msg: records });
  const m = d.messages[1]!;
  assert.deepEqual(m.to, { path: '/user/firewall', epoch: 2 });
  const cols = m.msg as typeof columns;
  assert.ok(cols.ts instanceof Float64Array && cols.src4 instanceof Uint32Array, 'typed arrays stay typed');
  assert.deepEqual([...cols.src4], [0x0a000001, 0x0a000002]);
});

test('every message body defines its own records: a receiver that missed earlier frames still decodes', () => {
  const enc = new WireCodec();
  const msg = [{ a: 1, b: 2 }, { a: 3, b: 4 }];
  enc.encodeData(1, 1, [{ seq: 1, to: dest, priority: 0, events: 2, body: enc.encodeMessage(msg, dest) }]);
  const second = enc.encodeData(1, 1, [{ seq: 2, to: dest, priority: 0, events: 2, body: enc.encodeMessage(msg, dest) }]);
  assert.deepEqual(new WireCodec().decodeData(second).messages[0]!.msg, msg);
});

test('outcome frames round-trip and bad frames are refused with AI_ERR_TRANSPORT_FRAME', () => {
  const c = new WireCodec();
  const pairs = [1, OUTCOME_CODE.handled, 5, OUTCOME_CODE.early, 6, OUTCOME_CODE.dropped];
  assert.deepEqual(c.decodeOutcomes(c.encodeOutcomes(77, pairs)), { session: 77, pairs });
  const bad: [string, Uint8Array][] = [
    ['garbage', new Uint8Array([0xc1, 0xff, 0x00])],
    ['wrong kind', c.encodeOutcomes(77, pairs)],
    ['odd fields', new Packr().pack([DATA_V2, 5, 1, TOKEN, 2])],
    ['no token', new Packr().pack([DATA_V2, 5, 1, 'token', 1, '/p', 1, 0, 1, Buffer.from([0xc0])])],
    ['non-numeric seq', new Packr().pack([DATA_V2, 5, 1, TOKEN, 'x', '/p', 1, 0, 1, Buffer.from([0xc0])])],
    ['body not bytes', new Packr().pack([DATA_V2, 5, 1, TOKEN, 1, '/p', 1, 0, 1, 'text'])],
    ['body cut short', new Packr().pack([DATA_V2, 5, 1, TOKEN, 1, '/p', 1, 0, 1, Buffer.from([0x92, 0x01])])],
  ];
  assert.equal(c.decodeData(new Packr().pack([DATA_V2, 5, 1, TOKEN, 1, '/p', 1, 0, 1, Buffer.from([0xc0])])).messages.length, 1, 'the well-formed frame the bad ones are made from');
  for (const [what, frame] of bad) assert.throws(() => c.decodeData(frame), (e: unknown) => e instanceof WireFormatError && e.code === 'AI_ERR_TRANSPORT_FRAME', what);
  assert.throws(() => c.decodeOutcomes(new Packr().pack([2, 5, 1, 9])), WireFormatError, 'unknown outcome code');
});

test('a message that cannot be encoded is refused with AI_ERR_TRANSPORT_MESSAGE naming its destination', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => new WireCodec().encodeMessage(cyclic, { path: '/user/x', epoch: 1 }), (e: unknown) => e instanceof UnencodableMessageError && e.code === 'AI_ERR_TRANSPORT_MESSAGE' && /\/user\/x/.test(e.message));
});

test('Z85 round-trips zmq CURVE keys and rejects what is not one', () => {
  for (let i = 0; i < 20; i++) {
    const { publicKey, secretKey } = curveKeyPair();
    for (const k of [publicKey, secretKey]) {
      const raw = z85Decode(k)!;
      assert.equal(raw.length, 32);
      assert.equal(z85Encode(raw), k);
      assert.ok(isCurveKey(k));
    }
  }
  // RFC 32's test vector.
  assert.equal(z85Encode(new Uint8Array([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])), 'HelloWorld');
  assert.equal(isCurveKey('short'), false);
  assert.equal(isCurveKey('"'.repeat(40)), false);
  assert.equal(z85Decode('%%%%%'), null, 'a 5-character group above 2^32 is not Z85');
});
