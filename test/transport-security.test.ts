// Who may talk: CURVE with keys from the peer list (ZAP admits only registered keys), refusal of
// unknown routing ids, a routing id bound to its key (a registered node cannot pose as
// another), and the optional Sealer around every frame.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import * as zmq from 'zeromq';
import { WireCodec } from '../src/remote/transport/wire.ts';
import { curvePrivateKey, pairKey, sessionToken } from '../src/remote/transport/peer-token.ts';
import { generateNodeKeys } from '../src/remote/transport/zmq-transport.ts';
import type { Sealer } from '../src/remote/transport/types.ts';
import { dest, meshPeers, startNode, type TestNode } from './fixtures/transport-harness.ts';
import { settle, waitFor } from '../devkit/wait.ts';

const open: TestNode[] = [];
const sockets: zmq.Socket[] = [];
async function node(id: string, opts: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
  const n = await startNode(id, opts);
  open.push(n);
  return n;
}
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(open.splice(0).map((n) => n.t.close()));
});

/** A well-formed data frame, so that only authentication can stop it; `token` as the sender's key makes it (peer-token.ts). */
function dataFrame(msg: unknown, token?: Uint8Array, seq = 1): Uint8Array {
  const codec = new WireCodec();
  return codec.encodeData(1, 1, [{ seq, to: dest(), priority: 1, events: 1, body: codec.encodeMessage(msg, dest()) }], token);
}

/** The token a holder of `keys` puts in session 1's frames when it claims to be `from`, to `to`. */
function tokenOf(keys: { publicKey: string; secretKey: string }, from: string, to: TestNode): Uint8Array {
  return sessionToken(pairKey(curvePrivateKey(keys), to.keys.publicKey), from, to.id, 1);
}

/** Resolves with the first handshake failure a socket reports. */
function handshakeFailure(s: zmq.Socket): Promise<string> {
  return new Promise((resolve) => {
    for (const type of ['handshake:error:auth', 'handshake:error:protocol', 'handshake:error:other'] as const) {
      s.events.on(type, (e) => resolve(`${type} ${e.error?.message ?? ''}`));
    }
  });
}

test('a transport whose key is not registered gets nothing through', async () => {
  const a = await node('A');
  const b = await node('B');
  meshPeers([a, b]);
  const c = await node('C');
  c.t.setPeers([a.info(), c.info()]); // C knows A's key; A does not know C
  assert.equal(c.t.send('A', dest(), 'intruder', 9), 'queued');
  await waitFor(() => a.t.stats().refusedPeers >= 1, 'A refused C at the handshake');
  await settle();
  assert.equal(a.delivered.length, 0);
  assert.equal(c.t.stats().sent, 0, 'nothing left C: its socket never got an authenticated connection');
  assert.equal(c.t.outstanding('A'), 1);
  // The registered peer is unaffected.
  b.t.send('A', dest(), 'member', 1);
  await waitFor(() => a.delivered.length === 1, 'B delivered');
  assert.equal(a.delivered[0]!.msg, 'member');
});

test('a raw socket with a random keypair cannot deliver, even claiming a registered node id', async () => {
  const a = await node('A');
  const b = await node('B');
  meshPeers([a, b]);
  const k = zmq.curveKeyPair();
  const raw = new zmq.Dealer({ routingId: 'B', curveServerKey: a.keys.publicKey, curvePublicKey: k.publicKey, curveSecretKey: k.secretKey, linger: 0 });
  sockets.push(raw);
  const failed = handshakeFailure(raw);
  raw.connect(a.t.address);
  void raw.send(dataFrame('forged')).catch(() => undefined);
  assert.match(await failed, /auth/);
  await settle();
  assert.equal(a.delivered.length, 0);
  assert.ok(a.t.stats().refusedPeers >= 1);
});

test('a plain-text client (no CURVE) is refused', async () => {
  const a = await node('A');
  const b = await node('B');
  meshPeers([a, b]);
  const raw = new zmq.Dealer({ routingId: 'B', linger: 0 });
  sockets.push(raw);
  const failed = handshakeFailure(raw);
  raw.connect(a.t.address);
  void raw.send(dataFrame('plain')).catch(() => undefined);
  await failed;
  await settle();
  assert.equal(a.delivered.length, 0);
});

test('nothing is sent to a socket that does not hold the registered secret key', async () => {
  const a = await node('A');
  const b = await node('B');
  meshPeers([a, b]);
  // An impostor binds where A believes B is... (B's own key pair registered, impostor has another)
  const impostorKeys = generateNodeKeys();
  const impostor = new zmq.Router({ curveServer: true, curveSecretKey: impostorKeys.secretKey, linger: 0 });
  sockets.push(impostor);
  await impostor.bind('tcp://127.0.0.1:0');
  let received = 0;
  void (async () => {
    for await (const _ of impostor) received++;
  })().catch(() => undefined);
  const failed = handshakeFailure(impostor);
  a.t.setPeers([a.info(), { id: 'B', address: impostor.lastEndpoint!, publicKey: b.keys.publicKey }]);
  a.t.send('B', dest(), 'secret', 1);
  await failed;
  await settle();
  assert.equal(received, 0);
  assert.equal(a.t.stats().sent, 0);
  assert.equal(a.t.outstanding('B'), 1, 'still held for the real B');
});

test('a registered node that claims another registered node\'s routing id gets nothing delivered', async () => {
  const a = await node('A');
  const c = await node('C');
  const kb = generateNodeKeys(); // B is registered but not running: its routing id is free at A
  a.t.setPeers([a.info(), c.info(), { id: 'B', address: 'tcp://127.0.0.1:9', publicKey: kb.publicKey }]);
  // C's own key is admitted by ZAP. As itself, with the token its key makes, a frame goes through...
  const asC = new zmq.Dealer({ routingId: 'C', curveServerKey: a.keys.publicKey, curvePublicKey: c.keys.publicKey, curveSecretKey: c.keys.secretKey, linger: 0 });
  sockets.push(asC);
  asC.connect(a.t.address);
  await asC.send(dataFrame('as C', tokenOf(c.keys, 'C', a)));
  await waitFor(() => a.delivered.length === 1, 'A delivered what C sent as C');
  // ...but claiming to be B, with the best token C's key can make (or none), nothing does.
  const asB = new zmq.Dealer({ routingId: 'B', curveServerKey: a.keys.publicKey, curvePublicKey: c.keys.publicKey, curveSecretKey: c.keys.secretKey, linger: 0 });
  sockets.push(asB);
  asB.connect(a.t.address);
  const forgedBefore = a.t.stats().forged ?? 0;
  await asB.send(dataFrame('C posing as B', tokenOf(c.keys, 'B', a)));
  await asB.send(dataFrame('C posing as B, no token', undefined, 2));
  await waitFor(() => (a.t.stats().forged ?? 0) === forgedBefore + 2, 'A dropped both frames as forged');
  await settle();
  assert.deepEqual(a.delivered.map((d) => [d.from, d.msg]), [['C', 'as C']]);
});

test('without CURVE, frames from a routing id that is not a peer are dropped and counted', async () => {
  const a = await node('A', { curve: false });
  const b = await node('B', { curve: false });
  meshPeers([a, b]);
  b.t.send('A', dest(), 'member', 1);
  await waitFor(() => b.t.outstanding('A') === 0, 'B delivered');
  const raw = new zmq.Dealer({ routingId: 'X', linger: 0 });
  sockets.push(raw);
  raw.connect(a.t.address);
  await raw.send(dataFrame('stranger'));
  await waitFor(() => a.t.stats().refusedPeers === 1, 'A refused X');
  assert.deepEqual(a.delivered.map((d) => d.msg), ['member']);
});

/** A stand-in Sealer: a marker byte, then every byte XORed with the key. */
function xorSealer(key: number, counts = { sealed: 0, opened: 0 }): Sealer & { counts: typeof counts } {
  return {
    counts,
    seal(plain) {
      counts.sealed++;
      const out = new Uint8Array(plain.length + 1);
      out[0] = key;
      for (let i = 0; i < plain.length; i++) out[i + 1] = plain[i]! ^ key;
      return out;
    },
    open(sealed) {
      if (sealed[0] !== key) throw new Error('unknown key id');
      counts.opened++;
      const out = new Uint8Array(sealed.length - 1);
      for (let i = 0; i < out.length; i++) out[i] = sealed[i + 1]! ^ key;
      return out;
    },
  };
}

test('with a Sealer every frame is sealed on the wire and opened on arrival', async () => {
  const sa = xorSealer(0x5a);
  const sb = xorSealer(0x5a);
  const a = await node('A', { sealer: sa });
  const b = await node('B', { sealer: sb });
  meshPeers([a, b]);
  for (let i = 0; i < 5; i++) a.t.send('B', dest(), { i }, 1);
  await waitFor(() => a.t.outstanding('B') === 0, 'answered');
  assert.deepEqual(b.delivered.map((d) => d.msg), [0, 1, 2, 3, 4].map((i) => ({ i })));
  assert.ok(sa.counts.sealed >= 1 && sb.counts.opened === sa.counts.sealed, 'every data frame sealed by A was opened by B');
  assert.ok(sb.counts.sealed >= 1 && sa.counts.opened === sb.counts.sealed, 'and every outcome frame the other way');

  // What leaves the socket is the sealed form: a plain listener in B's place sees it.
  const spy = new zmq.Router({ linger: 0 });
  sockets.push(spy);
  await spy.bind('tcp://127.0.0.1:0');
  const c = await node('C', { curve: false, sealer: xorSealer(0x33) });
  c.t.setPeers([c.info(), { id: 'B', address: spy.lastEndpoint!, publicKey: b.keys.publicKey }]);
  c.t.send('B', dest(), 'on the wire', 1);
  const [from, frame] = await spy.receive();
  assert.equal(from!.toString(), 'C');
  assert.throws(() => new WireCodec().decodeData(frame!), 'not readable without opening');
  assert.equal(new WireCodec().decodeData(xorSealer(0x33).open(frame!)).messages[0]!.msg, 'on the wire');
});

test('a frame that fails to open is counted and dropped', async () => {
  const a = await node('A', { sealer: xorSealer(1) });
  const b = await node('B', { sealer: xorSealer(2) });
  meshPeers([a, b]);
  a.t.send('B', dest(), 'wrong key', 1);
  await waitFor(() => (b.t.stats().badFrames ?? 0) >= 1, 'B could not open it');
  assert.equal(b.delivered.length, 0);
  assert.equal(a.t.outstanding('B'), 1);
});

test('a peer removed by setPeers gets nothing more delivered on its open connection and cannot connect again', async () => {
  const a = await node('A');
  const kx = generateNodeKeys();
  a.t.setPeers([a.info(), { id: 'X', address: 'tcp://127.0.0.1:9', publicKey: kx.publicKey }]);
  const raw = new zmq.Dealer({ routingId: 'X', curveServerKey: a.keys.publicKey, curvePublicKey: kx.publicKey, curveSecretKey: kx.secretKey, linger: 0 });
  sockets.push(raw);
  raw.connect(a.t.address);
  await raw.send(dataFrame('while registered', tokenOf(kx, 'X', a)));
  await waitFor(() => a.delivered.length === 1, 'X delivered while registered');
  const refusedBefore = a.t.stats().refusedPeers;
  a.t.setPeers([a.info()]);
  await raw.send(dataFrame('after removal', tokenOf(kx, 'X', a), 2));
  await waitFor(() => a.t.stats().refusedPeers > refusedBefore, 'the frame on the old connection is refused');
  // A new connection goes through ZAP again, which no longer admits X's key.
  const refusedAgain = handshakeFailure(raw);
  raw.disconnect(a.t.address);
  raw.connect(a.t.address);
  assert.match(await refusedAgain, /auth/, 'its reconnection is refused by ZAP');
  await settle();
  assert.deepEqual(a.delivered.map((d) => d.msg), ['while registered']);
});

test('with the AES-GCM KeyRing: frames go through, and a sender without a usable key retries once it has one', async () => {
  const { KeyRing } = await import('../src/remote/envelope/key-ring.ts');
  const { createKey } = await import('../src/remote/envelope/envelope-key.ts');
  const key = createKey(0, 0);
  const ringA = new KeyRing([]); // its key has not reached A yet
  const a = await node('A', { sealer: ringA, ackTimeoutMs: 20 });
  const b = await node('B', { sealer: new KeyRing([key]) });
  meshPeers([a, b]);
  a.t.send('B', dest(), 'sealed', 1);
  await waitFor(() => (a.t.stats().badFrames ?? 0) >= 1, 'A could not seal');
  assert.equal(b.delivered.length, 0);
  ringA.setKeys([key]);
  await waitFor(() => a.t.outstanding('B') === 0, 'delivered once A holds the key');
  assert.deepEqual(b.delivered.map((d) => d.msg), ['sealed']);
  // A third node under another key: B cannot open what it sends.
  const c = await node('C', { sealer: new KeyRing([createKey(0, 0)]) });
  meshPeers([a, b, c]);
  const badBefore = b.t.stats().badFrames ?? 0;
  c.t.send('B', dest(), 'other key', 1);
  await waitFor(() => (b.t.stats().badFrames ?? 0) > badBefore, 'B dropped the frame it cannot open');
  assert.deepEqual(b.delivered.map((d) => d.msg), ['sealed']);
});
