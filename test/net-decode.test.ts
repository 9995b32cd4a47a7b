import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeFrame } from '../src/net/decode.ts';
import { DecodeStats, DecodeStatus, decodeStatusName } from '../src/net/decode-stats.ts';
import { PAYLOAD_HEAD_BYTES, hashIPv4, PACKET_COLUMNS, PACKET_ROW_BYTES, PacketBatch, PacketFlags as F } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { formatIPv6 } from '../src/net/address.ts';
import {
  ah6, arp, concat, ethernet, ext6, frag6, icmp, ip6, ipv4, ipv6, nullLoop, sll, sll2, tcp, u16, udp, vlanTag,
} from './fixtures/net/frames.ts';

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;

interface Row {
  batch: PacketBatch;
  status: string;
  stats: DecodeStats;
}

function decode(frame: Uint8Array, linkType = 1, wirelen = frame.length): Row {
  const batch = new PacketBatch(4);
  const stats = new DecodeStats();
  // Decode into row 2 of a batch whose rows are dirty, to prove every column is rewritten.
  new Uint8Array(batch.buffer).fill(0xa5);
  const code = decodeFrame(batch, 2, frame, 0, frame.length, wirelen, linkType, 1.5, stats);
  assert.equal(stats.packets, 1);
  return { batch, status: decodeStatusName(code), stats };
}

/** The row's fields a test cares about, as plain values. */
function fields(b: PacketBatch, i = 2) {
  return {
    flags: b.flags[i],
    ipVersion: b.ipVersion[i],
    protocol: b.protocol[i],
    src: b.formatAddress(i, 'src'),
    dst: b.formatAddress(i, 'dst'),
    srcPort: b.srcPort[i],
    dstPort: b.dstPort[i],
    ttl: b.ttl[i],
    ipLen: b.ipLen[i],
    payloadLen: b.payloadLen[i],
  };
}

function has(b: PacketBatch, flag: number, i = 2): boolean {
  return (b.flags[i] & flag) !== 0;
}

const SYN_OPTIONS = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]; // mss 1460, sackOK, TS, nop, wscale 7

describe('decode: hand-built frames', () => {
  test('Ethernet / IPv4 / TCP SYN with options', () => {
    const frame = ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '192.168.1.2', protocol: 6, ttl: 63 }, tcp({ sport: 40000, dport: 22, flags: 0x02, window: 29200, options: SYN_OPTIONS })));
    const { batch: b, status } = decode(frame);
    assert.equal(status, 'ok');
    assert.deepEqual(fields(b), {
      flags: b.flags[2], ipVersion: 4, protocol: 6, src: '10.0.0.1', dst: '192.168.1.2', srcPort: 40000, dstPort: 22, ttl: 63, ipLen: 60, payloadLen: 0,
    });
    assert.equal(b.flags[2], F.ETHERNET | F.IPV4 | F.DONT_FRAGMENT | F.TCP | F.TCP_MSS | F.TCP_SACK_PERMITTED | F.TCP_TIMESTAMPS | F.TCP_WSCALE);
    assert.equal(b.tcpFlags[2], 0x02);
    assert.equal(b.tcpWindow[2], 29200);
    assert.equal(b.tcpMss[2], 1460);
    assert.equal(b.tcpWscale[2], 7);
    assert.equal(b.etherType[2], 0x0800);
    assert.equal(b.src4[2], 0x0a000001);
    assert.equal(b.dst4[2], 0xc0a80102);
    assert.deepEqual([...b.src.subarray(32, 48)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]);
    assert.equal(b.ts[2], 1.5);
    assert.equal(b.caplen[2], frame.length);
    assert.equal(b.linkType[2], 1);
    assert.equal(b.vlanId[2], 0);
    assert.equal(b.status[2], 0);
  });

  test('TCP payload length comes from the IP header, not Ethernet padding', () => {
    const ip = ipv4({ src: '1.2.3.4', dst: '5.6.7.8', protocol: 6 }, tcp({ sport: 1, dport: 2, flags: 0x18 }, [1, 2, 3]));
    const { batch: b, status } = decode(ethernet(0x0800, concat(ip, new Array(10).fill(0))));
    assert.equal(status, 'ok');
    assert.equal(b.payloadLen[2], 3);
    assert.equal(b.tcpFlags[2], 0x18);
  });

  test('802.1Q VLAN', () => {
    const frame = ethernet(0x8100, concat(vlanTag(42, 0x0800, 5), ipv4({ src: '10.1.1.1', dst: '10.1.1.2', protocol: 17 }, udp(5353, 53, [9, 9, 9]))));
    const { batch: b, status } = decode(frame);
    assert.equal(status, 'ok');
    assert.ok(has(b, F.VLAN) && !has(b, F.QINQ) && has(b, F.UDP));
    assert.equal(b.vlanId[2], 42);
    assert.equal(b.innerVlanId[2], 0);
    assert.deepEqual(fields(b), {
      flags: b.flags[2], ipVersion: 4, protocol: 17, src: '10.1.1.1', dst: '10.1.1.2', srcPort: 5353, dstPort: 53, ttl: 64, ipLen: 31, payloadLen: 3,
    });
  });

  test('QinQ (802.1ad outer, 802.1Q inner)', () => {
    const frame = ethernet(0x88a8, concat(vlanTag(100, 0x8100), vlanTag(200, 0x86dd), ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17 }, udp(1000, 2000, [1]))));
    const { batch: b, status } = decode(frame);
    assert.equal(status, 'ok');
    assert.ok(has(b, F.VLAN) && has(b, F.QINQ) && has(b, F.IPV6) && has(b, F.UDP));
    assert.equal(b.vlanId[2], 100);
    assert.equal(b.innerVlanId[2], 200);
    assert.equal(b.etherType[2], 0x86dd);
    assert.equal(b.formatAddress(2, 'src'), '2001:db8::1');
    assert.equal(b.srcPort[2], 1000);
  });

  test('IPv4 with options (record route + router alert)', () => {
    const options = [7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 1, 0, 0, 0]; // RR(7 bytes), RA(4), EOL padding
    const padded = [...options, 0];
    const frame = ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '224.0.0.22', protocol: 6, options: padded }, tcp({ sport: 80, dport: 1234, flags: 0x12 })));
    const { batch: b, status } = decode(frame);
    assert.equal(status, 'ok');
    assert.ok(has(b, F.IP_OPTIONS));
    assert.equal(b.srcPort[2], 80);
    assert.equal(b.dstPort[2], 1234);
    assert.equal(b.tcpFlags[2], 0x12);
    assert.equal(b.ipLen[2], 20 + 16 + 20);
  });

  test('IPv4 fragments: first has L4, later ones do not', () => {
    const first = ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, fragWord: 0x2000 }, udp(4500, 500, new Array(24).fill(1), 2000)));
    let r = decode(first);
    assert.equal(r.status, 'ok');
    assert.ok(has(r.batch, F.FRAGMENT) && has(r.batch, F.MORE_FRAGMENTS) && has(r.batch, F.UDP));
    assert.equal(r.batch.fragOffset[2], 0);
    assert.equal(r.batch.srcPort[2], 4500);
    assert.equal(r.batch.payloadLen[2], 24);

    const later = ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, fragWord: 0x0000 | (1480 / 8) }, new Uint8Array(100).fill(7)));
    r = decode(later);
    assert.equal(r.status, 'ok');
    assert.ok(has(r.batch, F.FRAGMENT) && !has(r.batch, F.MORE_FRAGMENTS) && !has(r.batch, F.UDP));
    assert.equal(r.batch.fragOffset[2], 1480);
    assert.equal(r.batch.protocol[2], 17);
    assert.equal(r.batch.srcPort[2], 0);
    assert.equal(r.batch.payloadLen[2], 100);
    assert.equal(r.batch.formatAddress(2, 'src'), '10.0.0.1');
  });

  test('the head column keeps the first PAYLOAD_HEAD_BYTES payload bytes of TCP and UDP, zero-filled; nothing else', () => {
    const H = PAYLOAD_HEAD_BYTES;
    const head = (r: Row) => [...r.batch.head.subarray(2 * H, 3 * H)];
    const text = (s: string) => [...Buffer.from(s, 'latin1')];
    const banner = 'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n';
    let r = decode(ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 }, tcp({ sport: 2222, dport: 50000, flags: 0x18, options: [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] }, text(banner)))));
    const kept = (s: string) => [...text(s), ...new Array(H).fill(0)].slice(0, H);
    assert.deepEqual(head(r), kept(banner), 'after TCP options');
    r = decode(ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 }, tcp({ sport: 21, dport: 50000, flags: 0x18 }, text('530 x')))));
    assert.deepEqual(head(r), [...text('530 x'), ...new Array(H - 5).fill(0)], 'short payload, zero-filled over the dirty row');
    r = decode(ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17 }, udp(53, 40000, text('0123456789abcdefghijklmnopqrstuvwxyz!?')))));
    assert.deepEqual(head(r), kept('0123456789abcdefghijklmnopqrstuvwxyz!?'));
    const cut = ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 }, tcp({ sport: 22, dport: 50000, flags: 0x18 }, text(banner))));
    r = decode(cut.subarray(0, cut.length - banner.length + 6), 1, cut.length);
    assert.deepEqual(head(r), [...text('SSH-2.'), ...new Array(H - 6).fill(0)], 'only what the snap length kept');
    r = decode(ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, fragWord: 1480 / 8 }, new Uint8Array(100).fill(7))));
    assert.deepEqual(head(r), new Array(H).fill(0), 'a later fragment has no transport payload');
    r = decode(ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 1 }, icmp(8, 0, [0, 1, 0, 1], [9, 9, 9]))));
    assert.deepEqual(head(r), new Array(H).fill(0), 'ICMP keeps none');
  });

  test('IPv4 fragment reaching past 65535 bytes (ping of death) is malformed', () => {
    const frame = ethernet(0x0800, ipv4({ src: '6.6.6.6', dst: '10.0.0.2', protocol: 1, fragWord: 8189 }, new Uint8Array(100)));
    const { batch: b, status } = decode(frame);
    assert.equal(status, 'bad_ipv4_fragment');
    assert.ok(has(b, F.MALFORMED));
    assert.equal(b.formatAddress(2, 'src'), '6.6.6.6');
  });

  test('IPv6 with hop-by-hop, routing, destination options and AH before TCP', () => {
    const chain = concat(ext6(43), ext6(60, 2), ext6(51), ah6(6), tcp({ sport: 443, dport: 50000, flags: 0x11, window: 512 }, [1, 2, 3, 4, 5]));
    const frame = ethernet(0x86dd, ipv6({ src: 'fe80::1', dst: '2001:db8:0:1::42', nextHeader: 0, hopLimit: 255 }, chain));
    const { batch: b, status } = decode(frame);
    assert.equal(status, 'ok');
    assert.ok(has(b, F.IPV6) && has(b, F.IPV6_EXT) && has(b, F.TCP));
    assert.deepEqual(fields(b), {
      flags: b.flags[2], ipVersion: 6, protocol: 6, src: 'fe80::1', dst: '2001:db8:0:1::42', srcPort: 443, dstPort: 50000, ttl: 255, ipLen: 40 + chain.length, payloadLen: 5,
    });
    assert.equal(b.tcpFlags[2], 0x11);
    assert.equal(b.tcpWindow[2], 512);
    assert.equal(b.src4[2], 0);
    assert.equal(b.hostKey(2, 'src'), 'fe80::1');
  });

  test('IPv6 fragment header: first fragment decodes UDP, a later one stops', () => {
    const first = ethernet(0x86dd, ipv6({ src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 44 }, concat(frag6(17, 0, true), udp(53, 5353, new Array(16).fill(0), 3000))));
    let r = decode(first);
    assert.equal(r.status, 'ok');
    assert.ok(has(r.batch, F.FRAGMENT) && has(r.batch, F.MORE_FRAGMENTS) && has(r.batch, F.UDP) && has(r.batch, F.IPV6_EXT));
    assert.equal(r.batch.srcPort[2], 53);
    assert.equal(r.batch.payloadLen[2], 16);

    const later = ethernet(0x86dd, ipv6({ src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 44 }, concat(frag6(17, 1448, false), new Array(40).fill(3))));
    r = decode(later);
    assert.equal(r.status, 'ok');
    assert.ok(has(r.batch, F.FRAGMENT) && !has(r.batch, F.MORE_FRAGMENTS) && !has(r.batch, F.UDP));
    assert.equal(r.batch.fragOffset[2], 1448);
    assert.equal(r.batch.protocol[2], 17);
    assert.equal(r.batch.payloadLen[2], 40);
  });

  test('ICMPv6 neighbour solicitation', () => {
    const ns = icmp(135, 0, [0, 0, 0, 0], ip6('fe80::2'));
    const frame = ethernet(0x86dd, ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:2', nextHeader: 58, hopLimit: 255 }, ns));
    const { batch: b, status } = decode(frame);
    assert.equal(status, 'ok');
    assert.ok(has(b, F.ICMPV6));
    assert.equal(b.icmpType[2], 135);
    assert.equal(b.icmpCode[2], 0);
    assert.equal(b.protocol[2], 58);
    assert.equal(b.payloadLen[2], 16);
    assert.equal(b.formatAddress(2, 'dst'), 'ff02::1:ff00:2');
  });

  test('ICMP echo request', () => {
    const frame = ethernet(0x0800, ipv4({ src: '192.0.2.1', dst: '198.51.100.7', protocol: 1 }, icmp(8, 0, [0, 1, 0, 2], new Array(56).fill(0x61))));
    const { batch: b, status } = decode(frame);
    assert.equal(status, 'ok');
    assert.ok(has(b, F.ICMP));
    assert.equal(b.icmpType[2], 8);
    assert.equal(b.payloadLen[2], 56);
    assert.equal(b.srcPort[2], 0);
  });

  test('ARP request and reply', () => {
    let r = decode(ethernet(0x0806, arp(1, '192.168.1.3', '192.168.1.4'), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    assert.equal(r.status, 'ok');
    assert.ok(has(r.batch, F.ARP) && !has(r.batch, F.IPV4));
    assert.equal(r.batch.arpOp[2], 1);
    assert.equal(r.batch.formatAddress(2, 'src'), '192.168.1.3');
    assert.equal(r.batch.formatAddress(2, 'dst'), '192.168.1.4');
    assert.equal(r.batch.hostKey(2, 'src'), 0xc0a80103);
    assert.equal(r.batch.ipVersion[2], 0);

    r = decode(ethernet(0x0806, arp(2, '192.168.1.4', '192.168.1.3')));
    assert.equal(r.batch.arpOp[2], 2);
    assert.equal(r.batch.formatAddress(2, 'src'), '192.168.1.4');
  });

  test('TCP options cut by the snap length (tcpdump -s 96 behind IP options): the fixed header and the options captured whole are read', () => {
    const seg = tcp({ sport: 41367, dport: 111, flags: 0x02, window: 1024, options: [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7, 0, 0] });
    const frame = ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '198.18.0.1', protocol: 6 }, seg));
    for (const [cut, mss, sack] of [[14 + 20 + 20 + 4, true, false], [14 + 20 + 20 + 9, true, true], [14 + 20 + 20 + 1, false, false]] as const) {
      const { batch: b, status } = decode(frame.subarray(0, cut), 1, frame.length);
      assert.equal(status, 'ok', `cut at ${cut}`);
      assert.ok(has(b, F.TCP) && has(b, F.SNAPPED));
      assert.equal(b.dstPort[2], 111);
      assert.equal(b.tcpFlags[2], 0x02);
      assert.equal(b.tcpWindow[2], 1024);
      assert.equal(has(b, F.TCP_MSS), mss, `MSS read at cut ${cut}`);
      assert.equal(has(b, F.TCP_SACK_PERMITTED), sack, `SACK read at cut ${cut}`);
      assert.ok(!has(b, F.TCP_TIMESTAMPS), 'the timestamps were cut');
    }
  });

  test('TINY_FRAGMENT: a first IPv4 fragment of TCP shorter than its header (nmap -f), malformed; not a later fragment, not a whole short segment', () => {
    const head8 = tcp({ sport: 40610, dport: 111, flags: 0x02 }).subarray(0, 8);
    let r = decode(ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '198.18.0.1', protocol: 6, fragWord: 0x2000 }, head8)));
    assert.equal(r.status, 'bad_tcp_header_length');
    assert.ok(has(r.batch, F.TINY_FRAGMENT) && has(r.batch, F.MALFORMED) && has(r.batch, F.FRAGMENT));
    r = decode(ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '198.18.0.1', protocol: 6, fragWord: 0x2001 }, head8)));
    assert.ok(!has(r.batch, F.TINY_FRAGMENT), 'a later fragment has no header to be short of');
    r = decode(ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '198.18.0.1', protocol: 6 }, head8)));
    assert.ok(!has(r.batch, F.TINY_FRAGMENT) && has(r.batch, F.MALFORMED), 'unfragmented: merely malformed');
  });

  test('ARP_BROADCAST: an ARP frame to the whole link (Ethernet ff:ff:ff:ff:ff:ff, a cooked capture\'s broadcast or multicast type), not a unicast one nor a cooked outgoing one (its destination unknown)', () => {
    const req = arp(1, '192.168.1.3', '192.168.1.4');
    assert.ok(has(decode(ethernet(0x0806, req, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).batch, F.ARP_BROADCAST));
    assert.ok(!has(decode(ethernet(0x0806, req)).batch, F.ARP_BROADCAST), 'unicast (a revalidation probe)');
    assert.ok(!has(decode(ethernet(0x0806, req, [0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])).batch, F.ARP_BROADCAST));
    // packet types: 0 to this host, 1 broadcast, 2 multicast, 3 to another host, 4 sent by this host
    for (const [type, broadcast] of [[0, false], [1, true], [2, true], [3, false], [4, false]] as const) {
      assert.equal(has(decode(sll(0x0806, req, type), 113).batch, F.ARP_BROADCAST), broadcast, `SLL type ${type}`);
      assert.equal(has(decode(sll2(0x0806, req, 3, type), 276).batch, F.ARP_BROADCAST), broadcast, `SLL2 type ${type}`);
    }
    assert.ok(!has(decode(ethernet(0x0800, ipv4({ src: '192.0.2.1', dst: '255.255.255.255', protocol: 17 }, udp(68, 67, [1])), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).batch, F.ARP_BROADCAST), 'ARP frames only');
  });

  test('SCTP: no ports of its own; the common header and the first chunk\'s header in head', () => {
    const sctp = [0x9c, 0x41, 0x00, 0xb4, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0, 0, 20, 9, 9, 9, 9, 0, 0, 0x80, 0];
    const { batch: b, status } = decode(ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '198.18.0.1', protocol: 132 }, new Uint8Array(sctp))));
    assert.equal(status, 'ok');
    assert.equal(b.protocol[2], 132);
    assert.equal(b.srcPort[2], 0);
    assert.equal(b.payloadLen[2], sctp.length);
    assert.deepEqual([...b.head.subarray(2 * PAYLOAD_HEAD_BYTES, 3 * PAYLOAD_HEAD_BYTES)], [...sctp, ...new Array(PAYLOAD_HEAD_BYTES).fill(0)].slice(0, PAYLOAD_HEAD_BYTES));
  });

  test('Linux cooked capture (SLL, link type 113)', () => {
    const frame = sll(0x0800, ipv4({ src: '127.0.0.1', dst: '127.0.0.1', protocol: 17 }, udp(40000, 9999, [1, 2])));
    const { batch: b, status } = decode(frame, 113);
    assert.equal(status, 'ok');
    assert.ok(has(b, F.COOKED) && !has(b, F.ETHERNET) && has(b, F.UDP));
    assert.equal(b.dstPort[2], 9999);
    assert.equal(b.payloadLen[2], 2);
    assert.equal(b.linkType[2], 113);
  });

  test('Linux cooked capture v2 (SLL2, link type 276) with IPv6', () => {
    const frame = sll2(0x86dd, ipv6({ src: '::1', dst: '::1', nextHeader: 6 }, tcp({ sport: 5000, dport: 6000, flags: 0x04 })));
    const { batch: b, status } = decode(frame, 276);
    assert.equal(status, 'ok');
    assert.ok(has(b, F.COOKED) && has(b, F.IPV6) && has(b, F.TCP));
    assert.equal(b.tcpFlags[2], 0x04);
    assert.equal(b.formatAddress(2, 'src'), '::1');
  });

  test('raw IP (101, 12, 14, 228, 229) picks the version from the header', () => {
    const v4 = ipv4({ src: '8.8.8.8', dst: '10.0.0.1', protocol: 17 }, udp(53, 3333));
    const v6 = ipv6({ src: '2001:4860::8888', dst: '2001:db8::1', nextHeader: 17 }, udp(53, 3333));
    for (const lt of [101, 12, 14]) {
      assert.equal(decode(v4, lt).batch.formatAddress(2, 'src'), '8.8.8.8', `linktype ${lt}`);
      assert.equal(decode(v6, lt).batch.formatAddress(2, 'src'), '2001:4860::8888', `linktype ${lt}`);
    }
    assert.equal(decode(v4, 228).status, 'ok');
    assert.equal(decode(v6, 229).status, 'ok');
    assert.equal(decode(v6, 228).status, 'bad_ipv4_version');
    assert.equal(decode(new Uint8Array([0x50, 0, 0, 0]), 101).status, 'bad_ip_version');
  });

  test('BSD loopback (link type 0) in either byte order', () => {
    const v4 = ipv4({ src: '127.0.0.1', dst: '127.0.0.2', protocol: 6 }, tcp({ sport: 1, dport: 2, flags: 2 }));
    assert.equal(decode(nullLoop(2, v4, true), 0).batch.dstPort[2], 2);
    assert.equal(decode(nullLoop(2, v4, false), 0).status, 'ok');
    const v6 = ipv6({ src: '::1', dst: '::1', nextHeader: 17 }, udp(7, 7));
    for (const fam of [10, 24, 28, 30]) assert.equal(decode(nullLoop(fam, v6), 0).status, 'ok', `family ${fam}`);
    assert.equal(decode(nullLoop(99, v6), 0).status, 'unsupported_family');
  });

  test('snap length cut: headers decode, payload length still from the IP header', () => {
    const frame = ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6 }, tcp({ sport: 1, dport: 2, flags: 0x10 }, new Array(1000).fill(0))));
    const cut = frame.subarray(0, 54);
    const { batch: b, status } = decode(cut, 1, frame.length);
    assert.equal(status, 'ok');
    assert.ok(has(b, F.SNAPPED));
    assert.equal(b.payloadLen[2], 1000);
    assert.equal(b.wirelen[2], frame.length);
    assert.equal(b.caplen[2], 54);
  });
});

describe('decode: malformed and unsupported frames are counted, flagged, never thrown', () => {
  const goodTcp = ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6 }, tcp({ sport: 1, dport: 2, flags: 2, options: SYN_OPTIONS })));
  // [what, frame, link type, expected status, on-wire length when the frame is a snaplen cut]
  const cases: Array<[string, Uint8Array, number, string, number?]> = [
    ['short ethernet', new Uint8Array(10), 1, 'truncated_ethernet'],
    ['short SLL', new Uint8Array(15), 113, 'truncated_sll'],
    ['short SLL2', new Uint8Array(19), 276, 'truncated_sll2'],
    ['short loopback', new Uint8Array(3), 0, 'truncated_null'],
    ['unknown link type', goodTcp, 147, 'unknown_linktype'],
    ['LLDP', ethernet(0x88cc, new Uint8Array(30)), 1, 'unsupported_ethertype'],
    ['802.3 length field', ethernet(0x0026, new Uint8Array(38)), 1, 'unsupported_ethertype'],
    ['cut VLAN tag', ethernet(0x8100, new Uint8Array(2)), 1, 'truncated_vlan'],
    ['nine VLAN tags', ethernet(0x8100, concat(...new Array(9).fill(vlanTag(1, 0x8100)), new Uint8Array(20))), 1, 'too_many_vlan_tags'],
    ['ARP for IPv6-ish protocol', ethernet(0x0806, concat(u16(1), u16(0x86dd), [6, 16], u16(1), new Uint8Array(44))), 1, 'unsupported_arp'],
    ['cut ARP', ethernet(0x0806, arp(1, '1.1.1.1', '2.2.2.2').subarray(0, 20)), 1, 'truncated_arp'],
    ['short IPv4', goodTcp.subarray(0, 30), 1, 'truncated_ipv4'],
    ['IPv4 ethertype, version 6', ethernet(0x0800, ipv6({ src: '::1', dst: '::2', nextHeader: 59 }, new Uint8Array(0))), 1, 'bad_ipv4_version'],
    ['IHL 3', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6, ihl: 3 }, new Uint8Array(20))), 1, 'bad_ipv4_header_length'],
    ['IHL past total length', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6, ihl: 15, totalLength: 40 }, new Uint8Array(20))), 1, 'bad_ipv4_header_length'],
    ['total length past the wire', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6, totalLength: 1500 }, new Uint8Array(20))), 1, 'bad_ipv4_total_length'],
    ['short IPv6', ethernet(0x86dd, new Uint8Array(39)), 1, 'truncated_ipv6'],
    ['IPv6 ethertype, version 4', ethernet(0x86dd, concat([0x45], new Uint8Array(39))), 1, 'bad_ipv6_version'],
    ['IPv6 payload length past the wire', ethernet(0x86dd, ipv6({ src: '::1', dst: '::2', nextHeader: 6, payloadLength: 500 }, new Uint8Array(20))), 1, 'bad_ipv6_payload_length'],
    ['IPv6 ext header longer than the payload', ethernet(0x86dd, ipv6({ src: '::1', dst: '::2', nextHeader: 0 }, Uint8Array.from([6, 200, 0, 0, 0, 0, 0, 0]))), 1, 'bad_ipv6_ext_length'],
    ['IPv6 ext header cut by snaplen', ethernet(0x86dd, ipv6({ src: '::1', dst: '::2', nextHeader: 0, payloadLength: 8 }, new Uint8Array(0))), 1, 'truncated_ipv6_ext', 62],
    ['twenty IPv6 ext headers', ethernet(0x86dd, ipv6({ src: '::1', dst: '::2', nextHeader: 60 }, concat(...new Array(20).fill(ext6(60)), new Uint8Array(8)))), 1, 'too_many_ipv6_ext'],
    ['TCP cut by snaplen', goodTcp.subarray(0, 14 + 20 + 10), 1, 'truncated_tcp', goodTcp.length],
    ['TCP data offset 4', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6 }, tcp({ sport: 1, dport: 2, flags: 2, dataOffset: 4 }))), 1, 'bad_tcp_header_length'],
    ['TCP data offset past IP payload', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6 }, tcp({ sport: 1, dport: 2, flags: 2, dataOffset: 15 }))), 1, 'bad_tcp_header_length'],
    ['IP payload too short for TCP', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6 }, new Uint8Array(12))), 1, 'bad_tcp_header_length'],
    ['TCP option length 0', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6 }, tcp({ sport: 1, dport: 2, flags: 2, options: [2, 0, 0, 0] }))), 1, 'bad_tcp_options'],
    ['TCP MSS of length 3', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6 }, tcp({ sport: 1, dport: 2, flags: 2, options: [2, 3, 5, 0] }))), 1, 'bad_tcp_options'],
    ['UDP cut by snaplen', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 17, totalLength: 28 }, new Uint8Array(4))), 1, 'truncated_udp', 42],
    ['UDP length 4', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 17 }, udp(1, 2, [1, 2], 4))), 1, 'bad_udp_length'],
    ['UDP length past IP payload', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 17 }, udp(1, 2, [1, 2], 400))), 1, 'bad_udp_length'],
    ['ICMP of 4 bytes', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 1 }, Uint8Array.from([8, 0, 0, 0]))), 1, 'bad_icmp_length'],
    ['ICMP cut by snaplen', ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 1, totalLength: 28 }, Uint8Array.from([8, 0]))), 1, 'truncated_icmp', 42],
    ['ICMPv6 of 4 bytes', ethernet(0x86dd, ipv6({ src: '::1', dst: '::2', nextHeader: 58 }, Uint8Array.from([128, 0, 0, 0]))), 1, 'bad_icmpv6_length'],
    ['ICMPv6 cut by snaplen', ethernet(0x86dd, ipv6({ src: '::1', dst: '::2', nextHeader: 58, payloadLength: 8 }, Uint8Array.from([128]))), 1, 'truncated_icmpv6', 62],
  ];

  for (const [what, frame, linkType, expected, wirelen] of cases) {
    test(`${what} → ${expected}`, () => {
      const { batch: b, status, stats } = decode(frame, linkType, wirelen ?? frame.length);
      assert.equal(status, expected);
      assert.equal(b.status[2], DecodeStatus[expected as keyof typeof DecodeStatus]);
      assert.equal(stats.count(expected as never), 1);
      const unsupported = expected.startsWith('unsupported_') || expected === 'unknown_linktype';
      assert.equal(has(b, F.UNSUPPORTED), unsupported);
      assert.equal(has(b, F.MALFORMED), !unsupported);
      assert.equal(stats.malformed + stats.unsupported, 1);
    });
  }

  test('a frame claimed longer than its buffer is read as truncated', () => {
    const batch = new PacketBatch(1);
    const stats = new DecodeStats();
    const code = decodeFrame(batch, 0, new Uint8Array(20), 10, 1500, 1500, 1, 0, stats);
    assert.equal(decodeStatusName(code), 'truncated_ethernet');
  });
});

describe('PacketBatch', () => {
  test('columns tile one buffer in PACKET_COLUMNS order, aligned for any capacity', () => {
    for (const capacity of [1, 3, 7, 1024]) {
      const b = new PacketBatch(capacity);
      assert.equal(b.buffer.byteLength, capacity * PACKET_ROW_BYTES);
      let at = 0;
      for (const name of PACKET_COLUMNS) {
        const col = (b as unknown as Record<string, Uint8Array>)[name];
        assert.equal(col.byteOffset, at, `${name} at capacity ${capacity}`);
        assert.equal(col.byteOffset % col.BYTES_PER_ELEMENT, 0);
        at += col.byteLength;
      }
      assert.equal(at, b.buffer.byteLength);
    }
  });

  test('srcHash is the same for an IPv4 address and its v4-mapped IPv6 form', () => {
    const v4 = decode(ethernet(0x0800, ipv4({ src: '203.0.113.9', dst: '10.0.0.1', protocol: 17 }, udp(1, 2)))).batch;
    const v6 = decode(ethernet(0x86dd, ipv6({ src: '::ffff:203.0.113.9', dst: '::1', nextHeader: 17 }, udp(1, 2)))).batch;
    assert.equal(v4.srcHash(2), v6.srcHash(2));
    assert.equal(v4.srcHash(2), hashIPv4(0xcb007109));
    assert.equal(v6.formatAddress(2, 'src'), '::ffff:203.0.113.9');
    assert.notEqual(v4.srcHash(2), v4.dstHash(2));
  });

  test('srcHash spreads consecutive addresses over shards', () => {
    const counts = new Array(8).fill(0);
    for (let a = 0; a < 8000; a++) counts[hashIPv4(0x0a000000 + a) % 8]++;
    for (const c of counts) assert.ok(c > 800 && c < 1200, `shard got ${c} of 8000`);
  });

  test('formatAddress follows RFC 5952', () => {
    const cases = ['2001:db8::1', '::', '::1', '2001:db8:0:1:1:1:1:1', '2001:0:0:1::1', 'fe80::a00:27ff:fe36:24d6', '2001:db8::', '1::2:0:0:3'];
    for (const text of cases) {
      const b = decode(ethernet(0x86dd, ipv6({ src: text, dst: '::1', nextHeader: 59 }, new Uint8Array(0)))).batch;
      assert.equal(b.formatAddress(2, 'src'), text);
    }
  });

  test('appendRow copies a row; a batch rebuilt on the same buffer reads the same', () => {
    const { batch: a } = decode(ethernet(0x86dd, ipv6({ src: '2001:db8::7', dst: '2001:db8::8', nextHeader: 6 }, tcp({ sport: 9, dport: 10, flags: 0x12, options: SYN_OPTIONS }))));
    const b = new PacketBatch(2);
    assert.equal(b.appendRow(a, 2), 0);
    assert.equal(b.appendRow(a, 2), 1);
    assert.equal(b.appendRow(a, 2), -1);
    assert.equal(b.formatAddress(1, 'src'), '2001:db8::7');
    assert.equal(b.tcpMss[1], 1460);
    assert.equal(b.flags[1], a.flags[2]);
    const copy = new PacketBatch(2, b.buffer.slice(0));
    copy.length = b.length;
    assert.equal(copy.formatAddress(0, 'dst'), '2001:db8::8');
    assert.equal(copy.dstPort[1], 10);
    assert.throws(() => new PacketBatch(4, b.buffer), { code: 'AI_ERR_PACKET_BATCH_SIZE' });
  });
});

// ---- against tcpdump on the shared captures

interface DumpLine {
  ts: number;
  kind: string;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  rest: string;
}

function splitHostPort(token: string, v6: boolean): [string, number | undefined] {
  if (v6) {
    const dot = token.lastIndexOf('.');
    return dot < 0 ? [token, undefined] : [token.slice(0, dot), Number(token.slice(dot + 1))];
  }
  const parts = token.split('.');
  return parts.length === 5 ? [parts.slice(0, 4).join('.'), Number(parts[4])] : [token, undefined];
}

function tcpdump(file: string, count: number): Array<DumpLine | null> {
  const out = execFileSync('tcpdump', ['-nn', '-tt', '-r', file, '-c', String(count)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out
    .split('\n')
    .filter((l) => /^\d/.test(l))
    .map((line) => {
      const ip = /^(\d+\.\d+) (IP6?) (\S+) > (\S+): (.*)$/.exec(line);
      if (ip) {
        const [s, sp] = splitHostPort(ip[3], ip[2] === 'IP6');
        const [d, dp] = splitHostPort(ip[4], ip[2] === 'IP6');
        return { ts: Number(ip[1]), kind: ip[2], src: s, dst: d, sport: sp, dport: dp, rest: ip[5] };
      }
      const who = /^(\d+\.\d+) ARP, Request who-has (\S+) tell ([\d.]+),/.exec(line);
      if (who) return { ts: Number(who[1]), kind: 'ARP', src: who[3], dst: who[2], rest: 'request' };
      const reply = /^(\d+\.\d+) ARP, Reply ([\d.]+) is-at/.exec(line);
      if (reply) return { ts: Number(reply[1]), kind: 'ARP', src: reply[2], dst: '', rest: 'reply' };
      return null;
    });
}

/** tcpdump's spelling of TCP flags (print-tcp.c order). */
function tcpdumpFlags(f: number): string {
  let s = '';
  if (f & 0x01) s += 'F';
  if (f & 0x02) s += 'S';
  if (f & 0x04) s += 'R';
  if (f & 0x08) s += 'P';
  if (f & 0x10) s += '.';
  if (f & 0x20) s += 'U';
  if (f & 0x40) s += 'E';
  if (f & 0x80) s += 'W';
  return s || 'none';
}

describe('decode agrees with tcpdump on the shared captures', () => {
  const files = readdirSync(PCAP_DIR).filter((f) => /^D\d+.*\.pcap(ng)?$/.test(f)).sort();
  let compared = 0;
  const seen = new Set<string>();

  for (const file of files) {
    test(file, () => {
      const N = 200;
      const dump = tcpdump(join(PCAP_DIR, file), N);
      const batches: PacketBatch[] = [];
      readCaptureSync(join(PCAP_DIR, file), (b) => {
        if (batches.length * 64 < N) {
          const copy = new PacketBatch(b.capacity, b.buffer.slice(0));
          copy.length = b.length;
          batches.push(copy);
        }
      }, { batchSize: 64 });
      for (let k = 0; k < dump.length; k++) {
        const d = dump[k];
        if (!d) continue;
        const b = batches[Math.floor(k / 64)];
        const i = k % 64;
        const at = `${file} packet ${k + 1}`;
        assert.ok(Math.abs(b.ts[i] - d.ts) < 1.5e-6, `${at}: ts ${b.ts[i]} vs tcpdump ${d.ts}`);
        assert.equal(b.status[i], 0, `${at}: status ${decodeStatusName(b.status[i])}`);
        assert.equal(b.formatAddress(i, 'src'), d.src, `${at}: src`);
        if (d.kind === 'ARP') {
          assert.equal(b.arpOp[i], d.rest === 'request' ? 1 : 2, `${at}: arp op`);
          if (d.dst) assert.equal(b.formatAddress(i, 'dst'), d.dst, `${at}: dst`);
          seen.add('arp');
          compared++;
          continue;
        }
        assert.equal(b.formatAddress(i, 'dst'), d.dst, `${at}: dst`);
        assert.equal(b.ipVersion[i], d.kind === 'IP6' ? 6 : 4, `${at}: ip version`);
        if (d.sport !== undefined) {
          assert.equal(b.srcPort[i], d.sport, `${at}: sport`);
          assert.equal(b.dstPort[i], d.dport, `${at}: dport`);
        }
        const flags = /Flags \[([^\]]+)\]/.exec(d.rest);
        if (flags) {
          seen.add(d.kind === 'IP6' ? 'tcp6' : 'tcp');
          assert.equal(b.protocol[i], 6, `${at}: protocol`);
          assert.equal(tcpdumpFlags(b.tcpFlags[i]), flags[1], `${at}: tcp flags`);
          const win = /win (\d+)/.exec(d.rest);
          if (win) assert.equal(b.tcpWindow[i], Number(win[1]), `${at}: window`);
          const len = /, length (\d+)/.exec(d.rest);
          if (len) assert.equal(b.payloadLen[i], Number(len[1]), `${at}: payload length`);
          const opts = /options \[([^\]]*)\]/.exec(d.rest)?.[1] ?? '';
          const mss = /mss (\d+)/.exec(opts);
          assert.equal((b.flags[i] & F.TCP_MSS) !== 0, mss !== null, `${at}: mss present`);
          if (mss) assert.equal(b.tcpMss[i], Number(mss[1]), `${at}: mss`);
          const ws = /wscale (\d+)/.exec(opts);
          assert.equal((b.flags[i] & F.TCP_WSCALE) !== 0, ws !== null, `${at}: wscale present`);
          if (ws) assert.equal(b.tcpWscale[i], Number(ws[1]), `${at}: wscale`);
          assert.equal((b.flags[i] & F.TCP_SACK_PERMITTED) !== 0, opts.includes('sackOK'), `${at}: sackOK`);
          assert.equal((b.flags[i] & F.TCP_TIMESTAMPS) !== 0, opts.includes('TS val'), `${at}: TS`);
        } else if (d.rest.startsWith('ICMP ')) {
          seen.add('icmp');
          assert.equal(b.protocol[i], 1, `${at}: protocol`);
        } else if (d.sport !== undefined) {
          seen.add(d.kind === 'IP6' ? 'udp6' : 'udp');
          assert.equal(b.protocol[i], 17, `${at}: protocol (${d.rest.slice(0, 40)})`);
        }
        compared++;
      }
    });
  }

  test('the comparison covered TCP, UDP, ICMP, ARP and IPv6', () => {
    assert.ok(compared > 2000, `compared ${compared} packets`);
    for (const k of ['tcp', 'tcp6', 'udp', 'udp6', 'icmp', 'arp']) assert.ok(seen.has(k), `no ${k} packet compared`);
  });
});

test('hostKey and flowKey give each row its own address, through the cache of IPv6 texts', () => {
  const n = 2000;
  const b = new PacketBatch(n);
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 24);
  for (let i = 0; i < n; i++) {
    b.flags[i] = i % 5 === 4 ? F.IPV4 : F.IPV6;
    // a few addresses repeat (the cache's hits), most are new (its misses and collisions)
    const from = i % 3 === 0 && i > 0 ? i - 1 : -1;
    for (let k = 0; k < 16; k++) {
      b.src[i * 16 + k] = from >= 0 ? b.src[from * 16 + k]! : k < 6 ? 0x20 : rnd();
      b.dst[i * 16 + k] = k === 10 || k === 11 ? 0xff : k < 10 ? 0 : rnd(); // ::ffff:a.b.c.d
    }
    b.src4[i] = 0xc0a80000 + i;
    b.length++;
  }
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < n; i++) {
      if (b.flags[i] & F.IPV6) {
        assert.equal(b.hostKey(i, 'src'), formatIPv6(b.src, i * 16));
        assert.equal(b.flowKey(i, 'dst'), formatIPv6(b.dst, i * 16));
      } else {
        assert.equal(b.hostKey(i, 'src'), 0xc0a80000 + i);
        assert.equal(b.flowKey(i, 'src'), (0xc0a80000 + i) | 0);
      }
    }
  }
});
