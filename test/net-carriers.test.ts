// Captures from other networks' link layers (decode.ts): MPLS (one label, a VPN's two, an
// Ethernet pseudowire with and without its control word), PPPoE sessions, PPP (link types 9
// and 50), Cisco HDLC (104) and Linux's NFLOG (239). The crafted classes rewritten in each (devkit/capture-rewrite.ts
// `carried`) must decode to the plain capture's rows and ban the same attackers; the near
// misses get a status, never a wrong row.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { carried, carrierLinkType, readFrames, writePcap, type Carrier } from '../devkit/capture-rewrite.ts';
import { runShardedCapture } from '../devkit/sharded-rules.ts';
import type { Alert } from '../src/detect/alert.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { decodeFrame } from '../src/net/decode.ts';
import { DecodeStats, decodeStatusName } from '../src/net/decode-stats.ts';
import { PAYLOAD_HEAD_BYTES, PacketBatch, PacketFlags } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { arp, concat, ethernet, ipv4, ipv6, tcp, u16, vlanTag } from './fixtures/net/frames.ts';

const CLASSES = new URL('./fixtures/captures/classes/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'net-carriers-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CARRIERS: Carrier[] = ['mpls', 'mpls2', 'mpls-pw', 'mpls-pw-cw', 'pppoe', 'ppp', 'ppp-hdlc', 'chdlc', 'nflog'];
/** What carries IP alone leaves ARP out; an Ethernet pseudowire carries every frame. */
const carriesArp = (c: Carrier) => c === 'mpls-pw' || c === 'mpls-pw-cw';

/** The class file written again as `carrier` carries it. */
function rewritten(file: string, carrier: Carrier): string {
  const dst = join(tmp, `${carrier}-${file}`);
  writePcap(dst, carried(readFrames(join(CLASSES, file)), carrier), carrierLinkType(carrier));
  return dst;
}

/** The columns a reader of a row uses, row by row (ARP left out unless `arp`), and the decode counts. */
function columns(path: string, withArp: boolean) {
  const rows: string[] = [];
  const stats = new DecodeStats();
  readCaptureSync(path, (b) => {
    for (let i = 0; i < b.length; i++) {
      if (!withArp && b.flags[i] & PacketFlags.ARP) continue;
      rows.push([
        b.status[i], b.flags[i] & ~PacketFlags.ETHERNET, b.etherType[i], b.vlanId[i], b.formatAddress(i, 'src'), b.formatAddress(i, 'dst'), b.protocol[i], b.srcPort[i], b.dstPort[i],
        b.tcpFlags[i], b.tcpSeq[i], b.tcpWindow[i], b.payloadLen[i], b.ipLen[i], b.ttl[i], b.wirelen[i] - b.caplen[i], [...b.head.subarray(i * PAYLOAD_HEAD_BYTES, (i + 1) * PAYLOAD_HEAD_BYTES)].join('.'),
      ].join(' '));
    }
  }, { stats });
  return { rows, stats };
}

const describeAlert = (a: Alert) => `${a.type} ${a.source}→${a.target} ${JSON.stringify(a.evidence)}`;
function banned(path: string): { who: string[]; why: string } {
  const alerts = runShardedCapture(DEFAULT_RULES, path).out.filter((a) => a.blockable);
  return { who: [...new Set(alerts.map((a) => a.source))].sort(), why: alerts.map(describeAlert).join('; ') };
}

describe('captures from other link layers: every row is the plain capture\'s, counted under its carrier', () => {
  for (const carrier of CARRIERS) {
    for (const file of ['classes_brute_mysql_hydra.pcap', 'classes_brute_ipv6_ssh.pcap']) {
      test(`${carrier}: ${file}`, () => {
        const plain = columns(join(CLASSES, file), carriesArp(carrier));
        const got = columns(rewritten(file, carrier), carriesArp(carrier));
        assert.ok(plain.rows.length > 100);
        assert.deepEqual(got.rows, plain.rows);
        assert.equal(got.stats.malformed + got.stats.unsupported, 0);
        const n = got.stats.packets;
        assert.equal(got.stats.mpls, carrier.startsWith('mpls') ? n : 0, 'frames read under MPLS');
        assert.equal(got.stats.pppoe, carrier === 'pppoe' ? n : 0, 'frames read in PPPoE');
        assert.equal(got.stats.tunnelled, 0, 'no mirror tunnel');
      });
    }
  }
});

test('autoimmune replay says what the frames were read under', () => {
  const cli = new URL('../src/cli.ts', import.meta.url).pathname;
  const run = (path: string) => execFileSync(process.execPath, ['--import', 'tsx', cli, 'replay', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  assert.match(run(rewritten('classes_brute_ftp_medusa.pcap', 'pppoe')), /^ {2}decoded 570, unsupported 0, malformed 0; 570 in PPPoE$/m);
  assert.match(run(rewritten('classes_brute_ftp_medusa.pcap', 'mpls-pw')), /^ {2}decoded 570, unsupported 0, malformed 0; 570 under MPLS$/m);
  assert.match(run(join(CLASSES, 'classes_brute_ftp_medusa.pcap')), /^ {2}decoded 570, unsupported 0, malformed 0$/m);
});

describe('captures from other link layers: the attackers banned as in the plain file, nobody else', () => {
  const attacks: Array<[string, string]> = [
    ['classes_scan_xmas.pcap', '203.0.113.66'], ['classes_brute_ssh_port_40022.pcap', '198.51.100.2'], ['classes_brute_ftp_medusa.pcap', '203.0.113.88'],
    ['classes_flood_udp_one_source.pcap', '203.0.113.111'], ['classes_brute_ipv6_ssh.pcap', '2001:db8:100::2'],
  ];
  for (const carrier of CARRIERS) {
    for (const [file, attacker] of attacks) {
      test(`${carrier}: ${file}, ${attacker} banned`, () => {
        assert.deepEqual(banned(join(CLASSES, file)).who, [attacker], 'as written');
        const b = banned(rewritten(file, carrier));
        assert.deepEqual(b.who, [attacker], b.why);
      });
    }
  }
  for (const carrier of ['mpls2', 'mpls-pw-cw', 'pppoe', 'chdlc'] as const) {
    test(`${carrier}: classes_benign_web_nat_200.pcap, nobody banned`, () => {
      const b = banned(rewritten('classes_benign_web_nat_200.pcap', carrier));
      assert.deepEqual(b.who, [], b.why);
    });
  }
});

// ---- frames built by hand
const SYN = ipv4({ src: '203.0.113.66', dst: '10.20.0.10', protocol: 6 }, tcp({ sport: 40000, dport: 22, flags: 0x02 }));
const SYN6 = ipv6({ src: '2001:db8::66', dst: '2001:db8::10', nextHeader: 6 }, tcp({ sport: 40000, dport: 22, flags: 0x02 }));
/** One MPLS label stack entry: label, bottom of stack, TTL 64. */
const label = (value: number, bottom: boolean) => [value >>> 12, (value >>> 4) & 255, ((value & 15) << 4) | (bottom ? 1 : 0), 64];
const mpls = (...parts: Array<Uint8Array | number[]>) => ethernet(0x8847, concat(...parts));
const pppoe = (proto: number[], payload: Uint8Array | number[] = [], head = [0x11, 0x00]) => ethernet(0x8864, concat(head, u16(0x1234), u16(proto.length + payload.length), proto, payload));
const VRRP_MAC = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x01];

/** One frame decoded alone: its status, and the row's protocol, source and destination port when it has them. */
function one(frame: Uint8Array, linkType = 1) {
  const b = new PacketBatch(1);
  const stats = new DecodeStats();
  new Uint8Array(b.buffer).fill(0xa5); // a dirty row: every column must be written
  const code = decodeFrame(b, 0, frame, 0, frame.length, frame.length, linkType, 0, stats);
  return { status: decodeStatusName(code), protocol: b.protocol[0], src: b.formatAddress(0, 'src'), dport: b.dstPort[0], vlan: b.vlanId[0], mpls: stats.mpls, pppoe: stats.pppoe, flags: b.flags[0] };
}
const syn = { status: 'ok', protocol: 6, src: '203.0.113.66', dport: 22 };
const pick = (r: ReturnType<typeof one>, keys: Array<keyof ReturnType<typeof one>>) => Object.fromEntries(keys.map((k) => [k, r[k]]));
const rowOf = (r: ReturnType<typeof one>) => pick(r, ['status', 'protocol', 'src', 'dport']);

describe('MPLS (RFC 3032): the label stack walked to its bottom, what follows guessed', () => {
  test('one label, two, three (an entropy label pair, RFC 6790): IPv4 and IPv6 by the first nibble', () => {
    assert.deepEqual(rowOf(one(mpls(label(16004, true), SYN))), syn);
    assert.deepEqual(rowOf(one(mpls(label(24001, false), label(7, false), label(99999, true), SYN))), syn);
    assert.deepEqual(rowOf(one(mpls(label(16004, true), SYN6))), { ...syn, src: '2001:db8::66' });
    assert.equal(one(ethernet(0x8848, concat(label(16004, true), SYN))).status, 'ok', 'multicast (RFC 5332)');
  });

  test('the explicit nulls name the payload: label 0 IPv4, label 2 IPv6 (an IPv6 header behind label 0 is read as IPv4, and is wrong)', () => {
    assert.deepEqual(rowOf(one(mpls(label(0, true), SYN))), syn);
    assert.deepEqual(rowOf(one(mpls(label(2, true), SYN6))), { ...syn, src: '2001:db8::66' });
    assert.equal(one(mpls(label(0, true), SYN6)).status, 'bad_ipv4_version');
  });

  test('an Ethernet pseudowire (RFC 4448): the frame inside read, with or without the control word, its tags and ARP too', () => {
    const inner = ethernet(0x0800, SYN);
    assert.deepEqual(rowOf(one(mpls(label(24001, false), label(100077, true), inner))), syn);
    assert.deepEqual(rowOf(one(mpls(label(24001, false), label(100077, true), [0, 0, 0, 9], inner))), syn);
    // to VRRP's MAC 00:00:5e:00:01:01, the frame begins with 16 zero bits as a control word
    // does: what follows them is no known ethertype, so it is the frame
    const toVrrp = ethernet(0x0800, SYN, VRRP_MAC);
    assert.deepEqual(rowOf(one(mpls(label(100077, true), toVrrp))), syn);
    assert.deepEqual(rowOf(one(mpls(label(100077, true), [0, 0, 0, 1], toVrrp))), syn);
    const tagged = one(mpls(label(100077, true), ethernet(0x8100, concat(vlanTag(42, 0x0800), SYN))));
    assert.deepEqual(pick(tagged, ['status', 'src', 'vlan']), { status: 'ok', src: '203.0.113.66', vlan: 42 });
    const who = one(mpls(label(100077, true), ethernet(0x0806, arp(1, '10.20.0.1', '10.20.0.10'), [255, 255, 255, 255, 255, 255])));
    assert.deepEqual(pick(who, ['status', 'src']), { status: 'ok', src: '10.20.0.1' });
    assert.ok(who.flags & PacketFlags.ARP_BROADCAST, "the pseudowire's frame was sent to every host (not the provider's MAC)");
    assert.equal(one(mpls(label(100077, true), ethernet(0x0806, arp(1, '10.20.0.1', '10.20.0.10')))).flags & PacketFlags.ARP_BROADCAST, 0);
  });

  test('near misses: a label stack cut short, a bottom never set within the frame, a pseudowire cut, its associated channel: a status, no row', () => {
    const cut = one(mpls(label(24001, false), [0x05, 0xdc]));
    assert.deepEqual(pick(cut, ['status', 'protocol', 'mpls']), { status: 'truncated_mpls', protocol: 0, mpls: 1 });
    // 24 entries, none the bottom: the frame's end is reached first
    const bottomless = one(mpls(...Array.from({ length: 24 }, (_, k) => label(16 + k, false))));
    assert.deepEqual(pick(bottomless, ['status', 'protocol']), { status: 'truncated_mpls', protocol: 0 });
    assert.equal(one(mpls(label(16004, true))).status, 'truncated_mpls', 'nothing after the bottom');
    assert.equal(one(mpls(label(16004, true), [0x02, 0, 0, 0, 0, 0x0b, 0x02])).status, 'truncated_mpls', "a pseudowire's frame cut within its Ethernet header");
    assert.equal(one(mpls(label(16004, true), [0x10, 0, 0, 0x21], SYN)).status, 'unsupported_mpls_payload', 'the associated channel (RFC 4385 §3): OAM, not data');
    assert.ok(one(mpls(label(16004, true), [0x10, 0, 0, 0x21], SYN)).flags & PacketFlags.UNSUPPORTED);
    assert.ok(cut.flags & PacketFlags.MALFORMED);
  });

  test('pseudowires in pseudowires are opened up to four layers, then a status', () => {
    let f = ethernet(0x0800, SYN);
    for (let k = 0; k < 4; k++) f = mpls(label(100 + k, true), f);
    assert.deepEqual(rowOf(one(f)), syn);
    assert.equal(one(mpls(label(99, true), f)).status, 'too_many_encapsulations');
  });

  test('behind 802.1Q tags (a PE link on a VLAN), and read on a Linux cooked capture', () => {
    const tagged = ethernet(0x8100, concat(vlanTag(300, 0x8847), label(16004, true), SYN));
    assert.deepEqual(pick(one(tagged), ['status', 'src', 'vlan', 'mpls']), { status: 'ok', src: '203.0.113.66', vlan: 300, mpls: 1 });
    const cooked = concat(u16(0), u16(1), u16(6), [2, 0, 0, 0, 0, 0x0a, 0, 0], u16(0x8847), label(16004, true), SYN);
    assert.deepEqual(rowOf(one(cooked, 113)), syn);
  });
});

describe('PPPoE (RFC 2516): a session\'s IP read; its signalling counted as such', () => {
  test('IPv4 (0x0021) and IPv6 (0x0057), behind VLAN 7 as fibre WANs run it, and a compressed protocol (RFC 1661 §6.5)', () => {
    assert.deepEqual(pick(one(pppoe([0x00, 0x21], SYN)), ['status', 'protocol', 'src', 'dport', 'pppoe']), { ...syn, pppoe: 1 });
    assert.deepEqual(rowOf(one(pppoe([0x00, 0x57], SYN6))), { ...syn, src: '2001:db8::66' });
    const v7 = ethernet(0x8100, concat(vlanTag(7, 0x8864), [0x11, 0x00], u16(0x1234), u16(2 + SYN.length), [0x00, 0x21], SYN));
    assert.deepEqual(pick(one(v7), ['status', 'src', 'vlan']), { status: 'ok', src: '203.0.113.66', vlan: 7 });
    assert.deepEqual(rowOf(one(pppoe([0x21], SYN))), syn);
  });

  test('MPLS over PPP (0x0281), and PPPoE carried to a BNG in an Ethernet pseudowire: both counted', () => {
    assert.deepEqual(rowOf(one(pppoe([0x02, 0x81], concat(label(16004, true), SYN)))), syn);
    const bng = one(mpls(label(24001, false), label(100077, true), pppoe([0x00, 0x21], SYN)));
    assert.deepEqual(pick(bng, ['status', 'src', 'mpls', 'pppoe']), { status: 'ok', src: '203.0.113.66', mpls: 1, pppoe: 1 });
  });

  test('near misses: discovery, LCP and CHAP, another version, a header cut: a status, no row', () => {
    const padi = one(ethernet(0x8863, concat([0x11, 0x09], u16(0), u16(4), u16(0x0101), u16(0))));
    assert.deepEqual(pick(padi, ['status', 'protocol']), { status: 'pppoe_discovery', protocol: 0 });
    assert.ok(padi.flags & PacketFlags.UNSUPPORTED);
    assert.equal(one(pppoe([0xc0, 0x21], [1, 1, 0, 4])).status, 'unsupported_ppp_protocol', 'LCP');
    assert.equal(one(pppoe([0xc2, 0x23], [1, 1, 0, 4])).status, 'unsupported_ppp_protocol', 'CHAP');
    assert.equal(one(pppoe([0x00, 0x21], SYN, [0x21, 0x00])).status, 'bad_pppoe_header', 'version 2');
    assert.equal(one(pppoe([0x00, 0x21], SYN, [0x11, 0x07])).status, 'bad_pppoe_header', 'a PADO code on the session ethertype');
    assert.equal(one(ethernet(0x8864, new Uint8Array([0x11, 0, 0x12, 0x34]))).status, 'truncated_pppoe');
    assert.equal(one(ethernet(0x8864, new Uint8Array([0x11, 0, 0x12, 0x34, 0, 2, 0x00]))).status, 'truncated_pppoe', 'cut within the protocol');
  });
});

describe('PPP and Cisco HDLC link types (9, 50, 104)', () => {
  test('PPP with and without address and control (ff 03), in HDLC-like framing, Cisco HDLC on 50 and 104', () => {
    assert.deepEqual(rowOf(one(concat([0x00, 0x21], SYN), 9)), syn);
    assert.deepEqual(rowOf(one(concat([0xff, 0x03, 0x00, 0x21], SYN), 9)), syn);
    assert.deepEqual(rowOf(one(concat([0xff, 0x03, 0x00, 0x57], SYN6), 50)), { ...syn, src: '2001:db8::66' });
    assert.deepEqual(rowOf(one(concat([0x0f, 0x00, 0x08, 0x00], SYN), 50)), syn);
    assert.deepEqual(rowOf(one(concat([0x8f, 0x00, 0x86, 0xdd], SYN6), 104)), { ...syn, src: '2001:db8::66' });
    assert.deepEqual(rowOf(one(concat([0x0f, 0x00, 0x88, 0x47], label(16004, true), SYN), 104)), syn);
  });

  test('near misses: LCP, SLARP keepalives, another address, frames cut: a status, no row', () => {
    assert.equal(one(concat([0xff, 0x03, 0xc0, 0x21], [1, 1, 0, 4]), 9).status, 'unsupported_ppp_protocol');
    assert.equal(one(concat([0x8f, 0x00, 0x80, 0x35], new Uint8Array(18)), 104).status, 'unsupported_ethertype', 'SLARP (Cisco HDLC keepalive)');
    assert.equal(one(concat([0x42, 0x00, 0x08, 0x00], SYN), 104).status, 'bad_hdlc_address');
    assert.equal(one(new Uint8Array([0x0f, 0x00, 0x08]), 104).status, 'truncated_hdlc');
    assert.equal(one(new Uint8Array([0xff]), 50).status, 'truncated_ppp');
    assert.equal(one(new Uint8Array([0xff, 0x03, 0x00]), 9).status, 'truncated_ppp');
    assert.equal(one(concat([0x00, 0x21], SYN.subarray(0, 12)), 9).status, 'truncated_ipv4');
  });
});

describe('NFLOG (link type 239, `tcpdump -i nflog:N`): the payload TLV is the packet', () => {
  /** One TLV, little-endian (x86) or big-endian, padded to 4 bytes. */
  const tlv = (type: number, value: number[] | Uint8Array, be = false) => {
    const n = 4 + value.length;
    const head = be ? [n >> 8, n & 255, type >> 8, type & 255] : [n & 255, n >> 8, type & 255, type >> 8];
    return concat(head, value, new Array((4 - (value.length % 4)) % 4).fill(0));
  };
  const nflog = (family: number, ...tlvs: Uint8Array[]) => concat([family, 0, 0, 5], ...tlvs);
  const hdr = [0x08, 0x00, 1, 0];

  test('IPv4 and IPv6 by the family; TLVs before the payload skipped with their padding, in either byte order', () => {
    assert.deepEqual(rowOf(one(nflog(2, tlv(1, hdr), tlv(10, [...Buffer.from('DROP '), 0]), tlv(9, SYN)), 239)), syn);
    assert.deepEqual(rowOf(one(nflog(10, tlv(1, [0x86, 0xdd, 1, 0]), tlv(9, SYN6)), 239)), { ...syn, src: '2001:db8::66' });
    assert.deepEqual(rowOf(one(nflog(2, tlv(1, hdr, true), tlv(10, [0x41, 0], true), tlv(9, SYN, true)), 239)), syn, 'written on a big-endian host');
    assert.deepEqual(rowOf(one(nflog(2, tlv(0x8000 | 7, [1, 2, 3, 4]), tlv(9, SYN)), 239)), syn, "netlink's nested flag on a type");
  });

  test('near misses: no payload, a TLV of length 0, a header cut, another family: a status, no row', () => {
    assert.equal(one(nflog(2, tlv(1, hdr), tlv(10, [0x41, 0])), 239).status, 'truncated_nflog');
    assert.equal(one(nflog(2, new Uint8Array([0, 0, 10, 0]), tlv(9, SYN)), 239).status, 'bad_nflog_tlv', 'a zero length would never advance');
    assert.equal(one(new Uint8Array([2, 0, 0]), 239).status, 'truncated_nflog');
    assert.equal(one(nflog(7, tlv(9, SYN)), 239).status, 'unsupported_family');
  });
});
