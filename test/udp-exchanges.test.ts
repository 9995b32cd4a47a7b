// The exchange tracker's SOURCE_ANSWERED (src/detect/udp-exchanges.ts through the session
// verifier): a sender whose openings are mostly answered (a monitor polling live hosts) has
// its later openings marked, so the sweep rules leave them; a sweep meeting silence does not.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { decodeFrame } from '../src/net/decode.ts';
import { DecodeStats } from '../src/net/decode-stats.ts';
import { PacketBatch, PacketFlags } from '../src/net/packet-batch.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { arp, ethernet, icmp, ipv4, tcp, udp } from './fixtures/net/frames.ts';
import { mix32 } from '../src/util/hash.ts';

type Frame = { ts: number; bytes: Uint8Array };
const echo = (ts: number, src: string, dst: string, type: 0 | 8): Frame => ({ ts, bytes: ethernet(0x0800, ipv4({ src, dst, protocol: 1 }, icmp(type, 0, [0, 7, 0, 1], new Array(56).fill(0)))) });
const dgram = (ts: number, src: string, dst: string, sp: number, dp: number): Frame => ({ ts, bytes: ethernet(0x0800, ipv4({ src, dst, protocol: 17 }, udp(sp, dp, new Array(40).fill(0x30)))) });

/** The frames decoded into one batch and marked by a session verifier. */
function markedBatch(frames: Frame[]): PacketBatch {
  const b = new PacketBatch(frames.length);
  const stats = new DecodeStats();
  for (const f of frames) {
    decodeFrame(b, b.length, f.bytes, 0, f.bytes.length, f.bytes.length, 1, f.ts, stats);
    b.length++;
  }
  new SessionVerifier().mark(b);
  return b;
}

/** Marks the frames in one batch; returns each row's flags. */
function marked(frames: Frame[]): number[] {
  const b = markedBatch(frames);
  return Array.from(b.flags.subarray(0, b.length));
}

const NMS = '10.20.0.5';
const host = (k: number) => `10.20.${20 + (k >> 8)}.${k & 255}`;

describe('SOURCE_ANSWERED', () => {
  test('a monitor pinging 50 live hosts: its 9th opening on is marked, every reply too is left alone', () => {
    const frames: Frame[] = [];
    for (let k = 0; k < 50; k++) {
      frames.push(echo(k * 0.01, NMS, host(k + 1), 8));
      frames.push(echo(k * 0.01 + 0.002, host(k + 1), NMS, 0));
    }
    const flags = marked(frames);
    const requests = flags.filter((_, i) => i % 2 === 0);
    assert.deepEqual(requests.map((f) => (f & PacketFlags.SOURCE_ANSWERED ? 1 : 0)), [...new Array(8).fill(0), ...new Array(42).fill(1)]);
    assert.ok(flags.filter((_, i) => i % 2 === 1).every((f) => !(f & PacketFlags.SOURCE_ANSWERED)));
  });

  test('a monitor pinging 50 live hosts every second: its later rounds are marked whole, each host having answered within the window', () => {
    const frames: Frame[] = [];
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 50; k++) {
        frames.push(echo(round + k * 0.01, NMS, host(k + 1), 8));
        // host 50 goes down after the first round (its answer 2 s ago is still within the window)
        if (round === 0 || k < 49) frames.push(echo(round + k * 0.01 + 0.002, host(k + 1), NMS, 0));
      }
    }
    const b = markedBatch(frames);
    const requests: number[][] = [[], [], []];
    for (let i = 0; i < b.length; i++) if (b.icmpType[i] === 8) requests[Math.floor(b.ts[i]!)]!.push(b.flags[i]! & PacketFlags.SOURCE_ANSWERED ? 1 : 0);
    assert.deepEqual(requests[0], [...new Array(8).fill(0), ...new Array(42).fill(1)]);
    // before: only openings were marked, and these are no openings (the pairs' last pings 1 s ago)
    assert.deepEqual(requests[1], new Array(50).fill(1));
    assert.deepEqual(requests[2], new Array(50).fill(1));
  });

  test('a sweep repeated a second later: the hosts that never answered are not marked in either round', () => {
    const frames: Frame[] = [];
    for (let round = 0; round < 2; round++) {
      for (let k = 0; k < 40; k++) {
        frames.push(echo(round + k * 0.01, NMS, host(k + 1), 8));
        if (k < 4) frames.push(echo(round + k * 0.01 + 0.002, host(k + 1), NMS, 0));
      }
    }
    const b = markedBatch(frames);
    const second: number[] = [];
    for (let i = 0; i < b.length; i++) if (b.icmpType[i] === 8 && b.ts[i]! >= 1) second.push(b.flags[i]! & PacketFlags.SOURCE_ANSWERED ? 1 : 0);
    assert.deepEqual(second, [1, 1, 1, 1, ...new Array(36).fill(0)]);
  });

  test('an SNMP poller of live hosts, polled again a minute later: marked from its 9th opening, in the second round too', () => {
    const frames: Frame[] = [];
    for (const round of [0, 60]) {
      for (let k = 0; k < 20; k++) {
        const sp = 40000 + round + k;
        frames.push(dgram(round + k * 0.01, NMS, host(k + 1), sp, 161));
        frames.push(dgram(round + k * 0.01 + 0.003, host(k + 1), NMS, 161, sp));
      }
    }
    const requests = marked(frames).filter((_, i) => i % 2 === 0).map((f) => (f & PacketFlags.SOURCE_ANSWERED ? 1 : 0));
    assert.deepEqual(requests, [...new Array(8).fill(0), ...new Array(32).fill(1)]);
  });

  test('a sweep whose first 10 hosts answer and the next 90 do not: marked only while half its openings were answered', () => {
    const frames: Frame[] = [];
    for (let k = 0; k < 100; k++) {
      frames.push(echo(k * 0.01, NMS, host(k + 1), 8));
      if (k < 10) frames.push(echo(k * 0.01 + 0.002, host(k + 1), NMS, 0));
    }
    const flags = marked(frames).filter((f, i) => i < 20 ? i % 2 === 0 : true);
    const marks = flags.map((f) => (f & PacketFlags.SOURCE_ANSWERED ? 1 : 0));
    const counted = marks.filter((m) => m === 0).length;
    assert.ok(counted >= 80, `${counted} of 100 openings left for the sweep rules`);
    assert.equal(marks.slice(30).filter((m) => m === 1).length, 0, 'none marked once most went unanswered');
  });

  test('a forged source sharing the monitor\'s sender slot, one datagram between its pings, does not wipe its counts', () => {
    // the sender table is direct-mapped (udp-exchanges.ts): find an address whose slot is the monitor's
    const key = (a: string) => a.split('.').reduce((x, o) => x * 256 + Number(o), 0) | 0;
    const slot = (a: string) => mix32(key(a)) & ((1 << 14) - 1);
    let forged = '';
    for (let k = 0; !forged; k++) {
      const a = `198.${18 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
      if (slot(a) === slot(NMS)) forged = a;
    }
    const frames: Frame[] = [];
    for (let k = 0; k < 50; k++) {
      frames.push(echo(k * 0.01, NMS, host(k + 1), 8));
      frames.push(echo(k * 0.01 + 0.002, host(k + 1), NMS, 0));
      frames.push(dgram(k * 0.01 + 0.005, forged, '10.20.9.9', 40000 + k, 53));
    }
    const requests = marked(frames).filter((_, i) => i % 3 === 0).map((f) => (f & PacketFlags.SOURCE_ANSWERED ? 1 : 0));
    assert.deepEqual(requests, [...new Array(8).fill(0), ...new Array(42).fill(1)]);
  });

  test('a sweep that nothing answers is never marked', () => {
    const frames: Frame[] = [];
    for (let k = 0; k < 100; k++) frames.push(dgram(k * 0.001, '203.0.113.9', host(k + 1), 50000, 161));
    assert.ok(marked(frames).every((f) => !(f & PacketFlags.SOURCE_ANSWERED)));
  });
});

describe('SOURCE_SEEN on ARP', () => {
  test('an ARP request from an address that completed a handshake is SOURCE_SEEN (an ARP sweep forged in its name is spared as a SYN sweep is)', () => {
    const SYN = 0x02, ACK = 0x10;
    const seg = (ts: number, src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number): Frame =>
      ({ ts, bytes: ethernet(0x0800, ipv4({ src, dst, protocol: 6 }, tcp({ sport, dport, flags, seq, ack }))) });
    const flags = marked([
      seg(0, '10.20.0.7', '10.20.0.1', 40000, 22, SYN, 100, 0),
      seg(0.001, '10.20.0.1', '10.20.0.7', 22, 40000, SYN | ACK, 500, 101),
      seg(0.002, '10.20.0.7', '10.20.0.1', 40000, 22, ACK, 101, 501),
      { ts: 1, bytes: ethernet(0x0806, arp(1, '10.20.0.7', '10.20.0.99'), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) },
      { ts: 1, bytes: ethernet(0x0806, arp(1, '10.20.0.8', '10.20.0.99'), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) },
    ]);
    assert.ok(flags[2]! & PacketFlags.SOURCE_SEEN, 'the handshake verified');
    assert.ok(flags[3]! & PacketFlags.SOURCE_SEEN);
    assert.ok(!(flags[4]! & PacketFlags.SOURCE_SEEN));
  });
});

describe('SOURCE_SEEN and HOP_MISMATCH on tiny fragments', () => {
  test('a tiny TCP fragment (malformed, a scan probe for the source rules) from a seen source is SOURCE_SEEN, and HOP_MISMATCH at another hop count', () => {
    const SYN = 0x02, ACK = 0x10;
    const seg = (ts: number, src: string, dst: string, sport: number, dport: number, flags: number, seq: number, ack: number): Frame =>
      ({ ts, bytes: ethernet(0x0800, ipv4({ src, dst, protocol: 6, ttl: 60 }, tcp({ sport, dport, flags, seq, ack }))) });
    const tiny = (ts: number, ttl: number): Frame =>
      ({ ts, bytes: ethernet(0x0800, ipv4({ src: '10.20.0.7', dst: '10.20.0.1', protocol: 6, ttl, fragWord: 0x2000 }, tcp({ sport: 40001, dport: 23, flags: SYN }).subarray(0, 8))) });
    const flags = marked([
      seg(0, '10.20.0.7', '10.20.0.1', 40000, 22, SYN, 100, 0),
      seg(0.001, '10.20.0.1', '10.20.0.7', 22, 40000, SYN | ACK, 500, 101),
      seg(0.002, '10.20.0.7', '10.20.0.1', 40000, 22, ACK, 101, 501),
      tiny(1, 60),
      tiny(1, 40),
    ]);
    assert.ok(flags[3]! & PacketFlags.TINY_FRAGMENT);
    assert.ok(flags[3]! & PacketFlags.SOURCE_SEEN && !(flags[3]! & PacketFlags.HOP_MISMATCH));
    assert.ok(flags[4]! & PacketFlags.HOP_MISMATCH);
  });
});

describe('SIP_REPLY', () => {
  const text = (ts: number, src: string, dst: string, sp: number, dp: number, body: string): Frame => ({ ts, bytes: ethernet(0x0800, ipv4({ src, dst, protocol: 17 }, udp(sp, dp, [...Buffer.from(body, 'latin1')]))) });
  const sipReply = (flags: number[]) => flags.map((f) => (f & PacketFlags.SIP_REPLY ? 'S' : f & PacketFlags.UDP_REPLY ? 'R' : '-')).join('');
  const C = '10.20.0.7', SRV = '10.20.0.80';

  test('a status line answering a REGISTER is a SIP reply; one answering a DNS query is a reply only', () => {
    const flags = marked([
      text(0, C, SRV, 5060, 5060, 'REGISTER sip:10.20.0.80 SIP/2.0\r\n'),
      text(0.01, SRV, C, 5060, 5060, 'SIP/2.0 403 Forbidden\r\n'),
      dgram(1, C, SRV, 40000, 53),
      text(1.01, SRV, C, 53, 40000, 'SIP/2.0 403 Forbidden\r\n'),
    ]);
    assert.equal(sipReply(flags), '-S-R');
  });

  test('the exchange renewed after its window by something else is no SIP exchange any more', () => {
    const flags = marked([
      text(0, C, SRV, 5060, 5060, 'OPTIONS sip:10.20.0.80 SIP/2.0\r\n'),
      text(0.01, SRV, C, 5060, 5060, 'SIP/2.0 200 OK\r\nVia: a'),
      dgram(100, C, SRV, 5060, 5060),
      text(100.01, SRV, C, 5060, 5060, 'SIP/2.0 403 Forbidden\r\n'),
      text(101, C, SRV, 5060, 5060, 'REGISTER sip:10.20.0.80 SIP/2.0\r\n'),
      text(101.01, SRV, C, 5060, 5060, 'SIP/2.0 403 Forbidden\r\n'),
    ]);
    assert.equal(sipReply(flags), '-S-R-S');
  });
});

describe('the request an answer answers', () => {
  const C = '10.20.0.7', KDC = '10.20.0.88';
  const sized = (ts: number, src: string, dst: string, sp: number, dp: number, n: number): Frame => ({ ts, bytes: ethernet(0x0800, ipv4({ src, dst, protocol: 17 }, udp(sp, dp, new Array(n).fill(0x6a)))) });
  test('an answer\'s row carries the length of the last datagram its destination sent to its source\'s port (tcpAck); an unasked datagram nothing', () => {
    const frames = [
      sized(0, C, KDC, 50000, 88, 231),
      sized(0.001, KDC, C, 88, 50000, 180),
      sized(1, C, KDC, 50000, 88, 240), // a retry of another length on the same port: the answer answers it
      sized(1.001, KDC, C, 88, 50000, 180),
      sized(2, KDC, C, 464, 50000, 180), // from a port the client never sent to
    ];
    const b = markedBatch(frames);
    assert.deepEqual([1, 3, 4].map((i) => [b.flags[i]! & PacketFlags.UDP_REPLY ? 1 : 0, b.tcpAck[i]]), [[1, 231], [1, 240], [0, 0]]);
  });
});
