// Forged packets must not turn the defence against its own. On a crafted capture
// (test/fixtures/forgery/make.py, Debian's python3-scapy) a web client and a resolver talk
// normally to a server, then packets forged in their names from 24 hops away probe it and
// half-open-flood its SSH port: the session verifier marks what could be forged, and with
// D09's real connect scan on the same timeline only D09's scanner is banned.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SESSION_VERIFIER, SessionVerifier, hopCount } from '../src/detect/session-verifier.ts';
import { ACK, PSH, SYN, batchOf, type Pkt } from '../devkit/packets.ts';
import { evaluate } from '../src/eval/harness.ts';
import { readLabels } from '../src/eval/labels.ts';
import { PacketFlags } from '../src/net/packet-batch.ts';
import { CaptureFileReader } from '../src/net/pcap-file.ts';
import { testConfig } from '../devkit/node-config.ts';

const P = new URL('../../shared/data/pcap/', import.meta.url).pathname;
const FORGED = fileURLToPath(new URL('./fixtures/forgery/forged-names.pcap', import.meta.url));

test('hop counts from TTLs, with the usual initial TTLs', () => {
  assert.equal(hopCount(64), 0);
  assert.equal(hopCount(61), 3);
  assert.equal(hopCount(40), 20);
  assert.equal(hopCount(120), 8);
  assert.equal(hopCount(250), 5);
});

test('the verifier: handshakes completed on both sides, sources seen, forged packets flagged by hop count', () => {
  const v = new SessionVerifier();
  const bySource = new Map<string, { est: number; seen: number; hop: number; all: number }>();
  new CaptureFileReader(FORGED).readSync((b) => {
    v.mark(b);
    for (let i = 0; i < b.length; i++) {
      const s = b.formatAddress(i, 'src');
      const c = bySource.get(s) ?? { est: 0, seen: 0, hop: 0, all: 0 };
      const f = b.flags[i];
      c.all++;
      if (f & PacketFlags.ESTABLISHED) c.est++;
      if (f & PacketFlags.SOURCE_SEEN) c.seen++;
      if (f & PacketFlags.HOP_MISMATCH) c.hop++;
      bySource.set(s, c);
    }
  });
  // Three HTTP sessions from the client, two DNS-over-TCP sessions to the resolver.
  assert.deepEqual(v.stats(), { handshakes: 5, verified: 5, hopMismatches: 340, sources: 3, connectionEvictions: 0 });
  const client = bySource.get('10.9.0.20')!;
  const resolver = bySource.get('10.9.0.53')!;
  // 170 forged packets in each name (20 probes, 150 SYNs), every one flagged.
  assert.equal(client.hop, 170);
  assert.equal(resolver.hop, 170);
  assert.equal(client.all - client.hop, 3 * 5, 'the client\'s own packets after its first SYN are not flagged');
  assert.ok(client.est >= 12 && resolver.est >= 4, JSON.stringify({ client, resolver }));
});

test('the verifier keeps verified connections over a SYN flood\'s pending handshakes (a bounded table)', () => {
  const v = new SessionVerifier({ ...DEFAULT_SESSION_VERIFIER, maxConnections: 64 });
  const c = '10.9.0.20', s = '10.9.0.80';
  const mark = (pkts: Pkt[]) => {
    const b = batchOf(pkts);
    v.mark(b);
    return b;
  };
  mark([
    { ts: 1, src: c, dst: s, sp: 40000, dp: 80, flags: SYN, seq: 100 },
    { ts: 1.001, src: s, dst: c, sp: 80, dp: 40000, flags: SYN | ACK, seq: 500, ack: 101 },
    { ts: 1.002, src: c, dst: s, sp: 40000, dp: 80, flags: ACK, seq: 101, ack: 501 },
  ]);
  // 2,000 forged SYNs toward the server, each a pending handshake
  mark(Array.from({ length: 2000 }, (_, k): Pkt => ({ ts: 1.1 + k * 1e-5, src: `198.18.${k >> 8}.${k & 255}`, dst: s, sp: 1024 + k, dp: 80, flags: SYN, seq: k })));
  const later = mark([{ ts: 2, src: c, dst: s, sp: 40000, dp: 80, flags: ACK | PSH, payload: 100, seq: 101, ack: 501 }]);
  assert.ok(later.flags[0]! & PacketFlags.ESTABLISHED, 'the client\'s connection is still verified');
  assert.ok(v.stats().connectionEvictions >= 2000 - 64);
});

test('the verifier on a capture that lost handshake packets (a sensor dropping under load): the client acknowledging bytes the server sent verifies; an ack of nothing the server sent does not', () => {
  const c = '10.9.0.20', s = '10.9.0.80';
  const run = (pkts: Pkt[]) => {
    const v = new SessionVerifier();
    const b = batchOf(pkts);
    v.mark(b);
    return { b, v };
  };
  const syn: Pkt = { ts: 1, src: c, dst: s, sp: 40000, dp: 22, flags: SYN, seq: 100 };
  const synAck: Pkt = { ts: 1.001, src: s, dst: c, sp: 22, dp: 40000, flags: SYN | ACK, seq: 500, ack: 101 };
  // the server speaks first (an SSH banner of 40 bytes); the client's ACK of the SYN-ACK is lost
  const banner: Pkt = { ts: 1.002, src: s, dst: c, sp: 22, dp: 40000, flags: ACK | PSH, seq: 501, ack: 101, payload: 40 };
  const answer = (ack: number): Pkt => ({ ts: 1.003, src: c, dst: s, sp: 40000, dp: 22, flags: ACK | PSH, seq: 101, ack, payload: 30 });
  let r = run([syn, synAck, banner, answer(541)]);
  assert.ok(r.b.flags[3]! & PacketFlags.ESTABLISHED, 'the ACK of the SYN-ACK lost, the client acknowledging the banner');
  assert.equal(r.v.stats().verified, 1);
  r = run([syn, banner, answer(541)]);
  assert.ok(r.b.flags[2]! & PacketFlags.ESTABLISHED, 'the SYN-ACK lost: the banner acknowledging the SYN stands for it');
  for (const ack of [540 + 2, 501 - 1, 9999]) {
    r = run([syn, synAck, banner, answer(ack)]);
    assert.equal(r.b.flags[3]! & PacketFlags.ESTABLISHED, 0, `an ack of ${ack}: beyond or before what the server sent`);
  }
  r = run([syn, { ...banner, ack: 101 + 70_000 }, answer(541)]);
  assert.equal(r.b.flags[2]! & PacketFlags.ESTABLISHED, 0, 'a server segment acknowledging far more than the client could have sent stands for no SYN-ACK');
  r = run([syn, synAck, { ...answer(501), payload: 0, flags: ACK }]);
  assert.ok(r.b.flags[2]! & PacketFlags.ESTABLISHED, 'the ordinary handshake, as before');
});

test('eval: forged probes and a half-open flood in the names of a client and a resolver ban nobody; D09\'s real scanner is banned', async () => {
  const r = await evaluate({
    benign: [FORGED],
    attack: [`${P}D09_scan_TCP_CONNECT_SCAN.pcap`],
    labels: readLabels(`${P}labels.tsv`),
    config: testConfig(),
    models: null,
  });
  assert.deepEqual(r.blocks.blocked, ['192.168.1.10']);
  assert.deepEqual(r.blocks.falseBlocks, []);
  assert.equal(r.blocks.recall, 1);
});
