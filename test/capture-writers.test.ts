// The crafted classes (test/fixtures/captures/classes) written again as other tools write
// captures (devkit/capture-rewrite.ts): the rules must ban the same attackers and nobody
// else. Run as a node runs them: a session verifier marks each batch, two SourceRules shards
// take their share by source hash, one VictimRules adds their tallies.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';
import { VictimRules } from '../src/detect/rules/victim-rules.ts';
import { clearVictimTally, newVictimTally } from '../src/detect/rules/victim-tally.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { decodeFrame } from '../src/net/decode.ts';
import { DecodeStats } from '../src/net/decode-stats.ts';
import { writeEthernet, writeIpv4, writeTcp } from '../src/net/frame-writer.ts';
import { PAYLOAD_HEAD_BYTES, PacketBatch, PacketFlags } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { asIpv6, cookedRouter, lossy, mirrored, mirroredTwice, readFrames, snapped, v6TextOf, writePcap, writeRouterPcapng, type Frame, type MirrorTunnel } from '../devkit/capture-rewrite.ts';
import { CaptureFileReader } from '../src/net/pcap-file.ts';

const CLASSES = new URL('./fixtures/captures/classes/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'capture-writers-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Every alert the rules raise on the capture at `path`. */
function alertsOf(path: string): Alert[] {
  const verifier = new SessionVerifier();
  const shards = [new SourceRules(DEFAULT_RULES), new SourceRules(DEFAULT_RULES)];
  const tallies = [newVictimTally(), newVictimTally()];
  const victims = new VictimRules(DEFAULT_RULES);
  const out: Alert[] = [];
  readCaptureSync(path, (batch) => {
    verifier.mark(batch);
    const parts = [new PacketBatch(batch.length), new PacketBatch(batch.length)];
    for (let i = 0; i < batch.length; i++) parts[batch.srcHash(i) % 2]!.appendRow(batch, i);
    for (let k = 0; k < 2; k++) {
      clearVictimTally(tallies[k]!);
      shards[k]!.scan(parts[k]!, out, tallies[k]);
      victims.add(tallies[k]!, out);
    }
  });
  return out;
}

const describeAlert = (a: Alert) => `${a.type} ${a.source}→${a.target} ${JSON.stringify(a.evidence)}`;
const blockable = (alerts: Alert[]) => [...new Set(alerts.filter((a) => a.blockable).map((a) => a.source))].sort();

/** The class file rewritten by `rewrite` into the temporary directory. */
function rewritten(file: string, tag: string, rewrite: (src: string, dst: string) => void): string {
  const dst = join(tmp, `${tag}-${file}`);
  rewrite(join(CLASSES, file), dst);
  return dst;
}

const snap = (n: number) => (src: string, dst: string) => writePcap(dst, snapped(readFrames(src), n), 1, n);

/** An Ethernet/IPv4/TCP frame with a 12-byte timestamps option and `payload` bytes of 'a', decoded with `caplen` of it captured. */
function decodedSegment(payload: number, caplen: number): PacketBatch {
  const f = new Uint8Array(14 + 20 + 32 + payload);
  let o = writeEthernet(f, 0, 0x0800, [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
  o = writeIpv4(f, o, { src: 0x0a000001, dst: 0x0a000002, protocol: 6, ttl: 64, totalLength: 52 + payload, fragWord: 0x4000, id: 1, ihl: 5 });
  o = writeTcp(f, o, { sport: 40000, dport: 80, seq: 1, ack: 1, flags: 0x18, window: 502, dataOffset: 8 });
  f.set([1, 1, 8, 10], o);
  f.fill(0x61, o + 12);
  const b = new PacketBatch(1);
  decodeFrame(b, 0, f, 0, Math.min(caplen, f.length), f.length, 1, 0, new DecodeStats());
  b.length = 1;
  return b;
}

test('headBytes: the head bytes the capture holds; headersCut: the snap length cut into the headers', () => {
  const whole = decodedSegment(100, 1 << 16);
  assert.equal(whole.headBytes(0), PAYLOAD_HEAD_BYTES);
  assert.equal(whole.headersCut(0), false);
  assert.equal(decodedSegment(5, 1 << 16).headBytes(0), 5);
  const s68 = decodedSegment(100, 68); // tcpdump -s 68: 2 bytes past 66 of headers
  assert.equal(s68.payloadLen[0], 100);
  assert.equal(s68.headBytes(0), 2);
  assert.deepEqual([...s68.head.subarray(0, 3)], [0x61, 0x61, 0], 'the zero fill past them');
  assert.equal(s68.headersCut(0), false);
  const s96 = decodedSegment(100, 96); // 30 bytes past 66 of headers
  assert.equal(s96.headBytes(0), Math.min(30, PAYLOAD_HEAD_BYTES));
  const s60 = decodedSegment(100, 60); // the timestamps option cut
  assert.equal(s60.headBytes(0), 0);
  assert.equal(s60.headersCut(0), true);
  assert.equal(decodedSegment(0, 60).headersCut(0), true, 'a SYN whose options were cut');
});

describe('snap length: tcpdump -s 68 and -s 96 (the payload cut)', () => {
  // Keep-alive clients whose SYNs lost their window scale option to the cut (at -s 68 the
  // options end at byte 74): their windows, of unknown scale, read as a slow reader's
  // (slow-http banned all three); nor is a request line cut to 2 bytes a trickle
  for (const file of ['classes_benign_form_logins.pcap', 'classes_benign_http_auth.pcap', 'classes_benign_web_download_manager.pcap']) {
    for (const n of [68, 96]) {
      test(`${file} at -s ${n}: nobody banned`, () => {
        assert.deepEqual(blockable(alertsOf(join(CLASSES, file))), [], 'as written: nobody');
        const alerts = alertsOf(rewritten(file, `s${n}`, snap(n)));
        assert.deepEqual(blockable(alerts), [], alerts.filter((a) => a.blockable).map(describeAlert).join('; '));
      });
    }
  }
});

/** Rows a read of `path` delivers, and the copies it dropped. */
function rowsOf(path: string): { rows: number; copies: number } {
  const r = new CaptureFileReader(path);
  let rows = 0;
  r.readSync((b) => {
    rows += b.length;
  });
  return { rows, copies: r.copies };
}

const ipFrames = (frames: readonly Frame[]) => frames.filter((f) => ((f.data[12]! << 8) | f.data[13]!) !== 0x0806).length;

describe("a router's two sides in one capture: each forwarded packet once (copy-filter.ts)", () => {
  const writers = {
    'pcapng, two interfaces': (src: string, dst: string) => writeRouterPcapng(dst, readFrames(src)),
    'tcpdump -i any, SLL2': (src: string, dst: string) => writePcap(dst, cookedRouter(readFrames(src), 2), 276),
    'tcpdump -i any, SLL': (src: string, dst: string) => writePcap(dst, cookedRouter(readFrames(src), 1), 113),
  };
  // counted twice, the health checker's and the NAT's SYNs made syn-flood at half the rate,
  // a user's typos brute force, the syslog relay a udp-flood; the guessers' replies seen
  // twice hid SSH and VNC guessing
  const benign = ['classes_benign_health_checks.pcap', 'classes_benign_http_auth.pcap', 'classes_benign_smb.pcap', 'classes_benign_syslog.pcap', 'classes_benign_nat_gateway.pcap'];
  const brute: Array<[string, string]> = [['classes_brute_ssh_port_40022.pcap', '198.51.100.2'], ['classes_brute_vnc_hydra.pcap', '203.0.113.93'], ['classes_brute_ftp_medusa.pcap', '203.0.113.88']];
  for (const [name, write] of Object.entries(writers)) {
    const tag = name.replace(/[^a-z0-9]+/gi, '-');
    for (const file of benign) {
      test(`${name}: ${file}, nobody banned; every packet read once`, () => {
        const path = rewritten(file, tag, write);
        const frames = readFrames(join(CLASSES, file));
        assert.deepEqual(rowsOf(path), { rows: frames.length, copies: ipFrames(frames) });
        const alerts = alertsOf(path);
        assert.deepEqual(blockable(alerts), [], alerts.filter((a) => a.blockable).map(describeAlert).join('; '));
      });
    }
    for (const [file, attacker] of brute) {
      test(`${name}: ${file}, the guesser banned and nobody else`, () => {
        assert.deepEqual(blockable(alertsOf(rewritten(file, tag, write))), [attacker]);
      });
    }
  }

  test('one side: a frame seen twice (a retransmission, a repeated datagram) is two packets; a copy 50 ms late or two hops less is a packet', () => {
    const frames = readFrames(join(CLASSES, 'classes_brute_ftp_medusa.pcap')).slice(0, 200);
    const twice = frames.flatMap((f) => [f, { ...f, ts: f.ts + 10e-6 }]);
    const one = join(tmp, 'one-side.pcap');
    writePcap(one, cookedRouter(twice, 2).filter((f) => f.data[10] === 0), 276); // the incoming side only
    assert.deepEqual(rowsOf(one), { rows: 400, copies: 0 });
    // both sides, the outgoing copy 60 ms late (a TTL one less): no longer a copy
    const late = join(tmp, 'late.pcap');
    writePcap(late, cookedRouter(frames, 2).map((f) => (f.data[10] === 4 ? { ...f, ts: f.ts + 0.06 } : f)), 276);
    assert.deepEqual(rowsOf(late), { rows: 2 * ipFrames(frames) + frames.length - ipFrames(frames), copies: 0 });
    // both sides in time, but two hops apart (TTL two less)
    const far = join(tmp, 'two-hops.pcap');
    writePcap(far, cookedRouter(frames, 2).map((f) => {
      if (f.data[10] !== 4 || ((f.data[0]! << 8) | f.data[1]!) !== 0x0800) return f;
      const d = f.data.slice();
      d[20 + 8]!--;
      return { ...f, data: d };
    }), 276);
    assert.equal(rowsOf(far).copies, 0);
  });
});

describe('the brute-force classes crafted over IPv4, carried over IPv6 (2001:db8::a.b.c.d)', () => {
  const v6 = (src: string, dst: string) => writePcap(dst, asIpv6(readFrames(src)));
  const brute: Array<[string, string]> = [
    ['classes_brute_ftp_medusa.pcap', '203.0.113.88'], ['classes_brute_mysql_hydra.pcap', '203.0.113.90'], ['classes_brute_postgres_hydra.pcap', '203.0.113.97'],
    ['classes_brute_mssql_hydra.pcap', '203.0.113.105'], ['classes_brute_rdp_hydra.pcap', '203.0.113.101'], ['classes_brute_redis_old.pcap', '203.0.113.100'],
    ['classes_brute_smb2_netexec.pcap', '203.0.113.95'], ['classes_brute_vnc_hydra.pcap', '203.0.113.93'], ['classes_brute_http_medusa.pcap', '203.0.113.92'],
    ['classes_brute_form_hydra_4.pcap', '203.0.113.111'], ['classes_brute_sip_svcrack.pcap', '203.0.113.120'], ['classes_brute_snmp_onesixtyone.pcap', '203.0.113.107'],
  ];
  for (const [file, attacker] of brute) {
    test(`${file}: the guesser banned and nobody else`, () => {
      assert.deepEqual(blockable(alertsOf(rewritten(file, 'v6', v6))), [v6TextOf(attacker)]);
    });
  }
  for (const file of ['classes_benign_mysql_pool.pcap', 'classes_benign_postgres_pool.pcap', 'classes_benign_redis.pcap', 'classes_benign_smb.pcap', 'classes_benign_form_logins.pcap', 'classes_benign_http_auth.pcap', 'classes_benign_sip_pbx.pcap']) {
    test(`${file}: nobody banned`, () => {
      const alerts = alertsOf(rewritten(file, 'v6', v6));
      assert.deepEqual(blockable(alerts), [], alerts.filter((a) => a.blockable).map(describeAlert).join('; '));
    });
  }
});

describe('traffic mirrored to a sensor inside a tunnel: VXLAN, Geneve, ERSPAN I/II/III (decode.ts)', () => {
  const tunnels: MirrorTunnel[] = ['vxlan', 'geneve', 'geneve-ip', 'erspan1', 'erspan2', 'erspan3'];
  /** The columns a reader of a row uses, row by row. */
  const columns = (path: string) => {
    const rows: string[] = [];
    const stats = new DecodeStats();
    readCaptureSync(path, (b) => {
      for (let i = 0; i < b.length; i++) {
        if (b.flags[i] & PacketFlags.ARP) continue; // (not in geneve-ip's tunnel)
        rows.push([b.status[i], b.flags[i] & ~PacketFlags.ETHERNET, b.formatAddress(i, 'src'), b.formatAddress(i, 'dst'), b.protocol[i], b.srcPort[i], b.dstPort[i], b.tcpFlags[i], b.payloadLen[i], b.ttl[i], b.wirelen[i] - b.caplen[i], [...b.head.subarray(i * PAYLOAD_HEAD_BYTES, (i + 1) * PAYLOAD_HEAD_BYTES)].join('.')].join(' '));
      }
    }, { stats });
    return { rows, stats };
  };
  for (const tunnel of tunnels) {
    test(`${tunnel}: every row is the mirrored frame's own, as decoded from the plain capture; the frames are counted as tunnelled`, () => {
      const file = 'classes_brute_mysql_hydra.pcap';
      const plain = columns(join(CLASSES, file));
      const t = columns(rewritten(file, tunnel, (src, dst) => writePcap(dst, mirrored(readFrames(src), tunnel))));
      // (geneve-ip carries IP packets: no Ethernet header, so that flag is left out of the rows)
      assert.ok(plain.rows.length > 100);
      assert.deepEqual(t.rows, plain.rows);
      assert.equal(t.stats.tunnelled, t.stats.packets);
      assert.equal(t.stats.malformed + t.stats.unsupported, 0);
    });
  }
  for (const tunnel of ['vxlan', 'erspan2', 'geneve-ip'] as const) {
    for (const [file, attacker] of [['classes_scan_xmas.pcap', '203.0.113.66'], ['classes_brute_mysql_hydra.pcap', '203.0.113.90'], ['classes_flood_udp_one_source.pcap', '203.0.113.111']] as const) {
      test(`${file} mirrored in ${tunnel}: the attacker banned, nobody else (not the mirror's source)`, () => {
        const alerts = alertsOf(rewritten(file, tunnel, (src, dst) => writePcap(dst, mirrored(readFrames(src), tunnel))));
        assert.deepEqual(blockable(alerts), [attacker], alerts.filter((a) => a.blockable).map(describeAlert).join('; '));
      });
    }
    test(`classes_benign_web_nat_200.pcap mirrored in ${tunnel}: nobody banned (before, the mirror's source was: a UDP flood to 4789)`, () => {
      const alerts = alertsOf(rewritten('classes_benign_web_nat_200.pcap', tunnel, (src, dst) => writePcap(dst, mirrored(readFrames(src), tunnel))));
      assert.deepEqual(blockable(alerts), [], alerts.filter((a) => a.blockable).map(describeAlert).join('; '));
    });
  }

  for (const tunnel of ['vxlan', 'erspan3'] as const) {
    test(`${tunnel}, two mirror sessions (each host of every conversation mirrored): each packet counted once, and the same verdicts as one session`, () => {
      const file = 'classes_brute_mysql_hydra.pcap';
      const once = rowsOf(rewritten(file, `${tunnel}-1`, (src, dst) => writePcap(dst, mirrored(readFrames(src), tunnel))));
      const twice = rowsOf(rewritten(file, `${tunnel}-2`, (src, dst) => writePcap(dst, mirroredTwice(readFrames(src), tunnel))));
      assert.equal(once.copies, 0);
      assert.deepEqual(twice, { rows: once.rows, copies: once.rows });
      for (const [f, attacker] of [[file, '203.0.113.90'], ['classes_flood_udp_one_source.pcap', '203.0.113.111']] as const) {
        const alerts = alertsOf(rewritten(f, `${tunnel}-2b`, (src, dst) => writePcap(dst, mirroredTwice(readFrames(src), tunnel))));
        assert.deepEqual(blockable(alerts), [attacker], alerts.filter((a) => a.blockable).map(describeAlert).join('; '));
      }
    });
  }

  /** One frame decoded alone: its row's protocol, dst port, source and status, and whether it was read inside a tunnel. */
  const one = (frame: Uint8Array) => {
    const b = new PacketBatch(1);
    const stats = new DecodeStats();
    decodeFrame(b, 0, frame, 0, frame.length, frame.length, 1, 0, stats);
    return { protocol: b.protocol[0], dport: b.dstPort[0], src: b.formatAddress(0, 'src'), status: b.status[0], tunnelled: stats.tunnelled };
  };
  const inner: Frame = (() => {
    const f = new Uint8Array(14 + 20 + 20);
    let o = writeEthernet(f, 0, 0x0800, [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
    o = writeIpv4(f, o, { src: 0xcb007142, dst: 0x0a14000a, protocol: 6, ttl: 50, totalLength: 40, fragWord: 0, id: 1, ihl: 5 });
    writeTcp(f, o, { sport: 40000, dport: 22, seq: 1, ack: 0, flags: 0x02, window: 1024, dataOffset: 5 });
    return { ts: 0, data: f, wirelen: f.length };
  })();
  const wrap = (t: MirrorTunnel, f: Frame = inner): Frame => mirrored([f], t)[0]!;

  test('a mirrored frame reads as the frame inside; the tunnel is counted', () => {
    for (const t of tunnels) assert.deepEqual(one(wrap(t).data), { protocol: 6, dport: 22, src: '203.0.113.66', status: 0, tunnelled: 1 }, t);
  });

  test('what is no mirror tunnel is read as the datagram it is: VXLAN without its I flag, Geneve of another version or protocol type, GRE carrying Ethernet (0x6558) or ERSPAN II of another version, an inner frame that does not decode', () => {
    const cases: Array<[string, (d: Uint8Array) => void, number]> = [
      ['VXLAN without the I flag', (d) => (d[42] = 0), 17],
      ['Geneve version 1', (d) => (d[42] = 0x42), 17],
      ['GRE carrying Ethernet (Mirai greeth)', (d) => ((d[36] = 0x65), (d[37] = 0x58)), 47],
      ['ERSPAN II of version 2', (d) => (d[42] = 0x20), 47],
      ['VXLAN around a truncated IPv4 header', (d) => (d[50 + 14] = 0x4f), 17],
    ];
    for (const [what, spoil, protocol] of cases) {
      const t: MirrorTunnel = what.startsWith('VXLAN') ? 'vxlan' : what.startsWith('Geneve') ? 'geneve' : 'erspan2';
      const d = wrap(t).data.slice();
      spoil(d);
      const r = one(d);
      assert.equal(r.protocol, protocol, what);
      assert.equal(r.src, '10.99.0.1', what);
      assert.equal(r.tunnelled, 0, what);
    }
  });

  test('a tunnel in a tunnel is opened once more, not a third time', () => {
    const twice = wrap('vxlan', wrap('erspan2'));
    assert.deepEqual(one(twice.data), { protocol: 6, dport: 22, src: '203.0.113.66', status: 0, tunnelled: 1 });
    const thrice = wrap('vxlan', wrap('vxlan', wrap('vxlan')));
    const r = one(thrice.data);
    assert.deepEqual([r.protocol, r.dport, r.src], [17, 4789, '10.99.0.1'], 'the third tunnel is left shut: the second one read as its datagram');
  });
});

describe('a sensor that drops packets (session 15: session-verifier.ts)', () => {
  const FILE = 'classes_brute_form_slow_keepalive.pcap';
  const ATTACKER = '203.0.113.114';
  /** TCP flags of frame f (IPv4 in Ethernet), with its source address and payload length; null if not TCP. */
  const tcpOf = (f: Frame) => {
    const d = f.data;
    if (((d[12]! << 8) | d[13]!) !== 0x0800 || d[23] !== 6) return null;
    const ihl = (d[14]! & 15) * 4;
    const total = (d[16]! << 8) | d[17]!;
    const t = 14 + ihl;
    return { src: `${d[26]}.${d[27]}.${d[28]}.${d[29]}`, flags: d[t + 13]!, payload: total - ihl - (d[t + 12]! >> 4) * 4 };
  };
  /** The class file without the first frame `pick` matches. */
  const without = (tag: string, pick: (t: NonNullable<ReturnType<typeof tcpOf>>) => boolean) =>
    rewritten(FILE, tag, (src, dst) => {
      const frames = readFrames(src);
      const k = frames.findIndex((f) => {
        const t = tcpOf(f);
        return t !== null && pick(t);
      });
      assert.ok(k >= 0);
      writePcap(dst, frames.filter((_, j) => j !== k), 1, 96);
    });

  test("the form guesser's one keep-alive connection is still read when the capture lost its ACK of the SYN-ACK, or the SYN-ACK", () => {
    const noAck = without('no-ack', (t) => t.src === ATTACKER && t.flags === 0x10 && t.payload === 0);
    assert.deepEqual(blockable(alertsOf(noAck)), [ATTACKER]);
    const noSynAck = without('no-synack', (t) => t.src !== ATTACKER && t.flags === 0x12);
    assert.deepEqual(blockable(alertsOf(noSynAck)), [ATTACKER]);
  });

  test('lossy(): the same frames dropped for the same seed, about the rate asked', () => {
    const frames = readFrames(join(CLASSES, FILE));
    const a = lossy(frames, 0.03, 7), b = lossy(frames, 0.03, 7);
    assert.deepEqual(a.map((f) => f.ts), b.map((f) => f.ts));
    const dropped = 1 - a.length / frames.length;
    assert.ok(dropped > 0.01 && dropped < 0.06, `dropped ${dropped}`);
  });
});
