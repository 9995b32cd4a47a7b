import { strict as assert } from 'node:assert';
import { isIPv4, isIPv6 } from 'node:net';
import { test } from 'node:test';
import { classifyAddress, classifyIpv4, resolveIpv6 } from '../src/geo/address-class.ts';
import { formatIPv4, formatIPv6, Ipv4Texts, Ipv6Texts, parseIpv4, parseIpv6 } from '../src/net/address.ts';

test('special-purpose IPv4 ranges are tagged with their class', () => {
  const cases: Array<[string, string]> = [
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['192.168.0.1', 'private'],
    ['192.169.0.1', 'public'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.1.1', 'link-local'],
    ['169.253.1.1', 'public'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.55', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.200', 'documentation'],
    ['203.0.114.1', 'public'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.20.0.0', 'public'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['223.255.255.255', 'public'],
  ];
  for (const [text, cls] of cases) {
    const n = parseIpv4(text);
    assert.equal(classifyIpv4(n), cls, text);
    assert.equal(classifyIpv4(n | 0), cls, `${text} as int32`);
    assert.equal(classifyAddress(text), cls, `${text} as text`);
    assert.equal(formatIPv4(n), text);
  }
});

test('special-purpose IPv6 ranges are tagged; v4-mapped and NAT64 stand for their IPv4 address', () => {
  const cases: Array<[string, string | number]> = [
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::2', 'reserved'],
    ['::8.8.8.8', 'reserved'], // deprecated IPv4-compatible
    ['::ffff:8.8.8.8', 0x08080808],
    ['::FFFF:c0a8:0101', 0xc0a80101],
    ['64:ff9b::1.1.1.1', 0x01010101],
    ['64:ff9b:1::5', 'private'],
    ['100::1', 'reserved'],
    ['fc00::1', 'private'],
    ['fdff:ffff::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001:DB8:ffff::', 'documentation'],
    ['3fff::1', 'documentation'],
    ['3fff:1000::1', 'public'],
    ['2001:2::1', 'benchmarking'],
    ['2001:4860:4860::8888', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    ['4000::1', 'reserved'],
    ['not-an-address', 'invalid'],
    ['1:2:3:4:5:6:7:8:9', 'invalid'],
  ];
  for (const [text, want] of cases) assert.equal(resolveIpv6(text), want, text);
  assert.equal(classifyAddress('::ffff:192.168.1.1'), 'private');
  assert.equal(classifyAddress('::ffff:8.8.8.8'), 'public');
  assert.equal(classifyAddress(-1), 'broadcast', 'int32 spelling of 255.255.255.255');
  assert.equal(classifyAddress(2 ** 32), 'invalid');
  assert.equal(classifyAddress(1.5), 'invalid');
});

test('parseIpv6 expands compressed forms and an IPv4 tail', () => {
  const g = new Uint16Array(8);
  const cases: Array<[string, number[]]> = [
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
    ['1:2:3:4:5:6:7::', [1, 2, 3, 4, 5, 6, 7, 0]],
    ['::2:3:4:5:6:7:8', [0, 2, 3, 4, 5, 6, 7, 8]],
    ['2001:db8::ff00:42:8329', [0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329]],
    ['2001:0DB8:0000:0000:0000:FF00:0042:8329', [0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329]],
    ['::ffff:1.2.3.4', [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]],
    ['1:2:3:4:5:6:1.2.3.4', [1, 2, 3, 4, 5, 6, 0x0102, 0x0304]],
  ];
  for (const [text, want] of cases) {
    assert.equal(parseIpv6(text, g), true, text);
    assert.deepEqual([...g], want, text);
  }
});

test('address parsers accept exactly what node:net accepts', () => {
  let seed = 11;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const alphabet = '0123456789abcdefABCDEF:.:::..g';
  const g = new Uint16Array(8);
  let valid = 0;
  for (let i = 0; i < 200_000; i++) {
    let s = '';
    const len = 1 + Math.floor(rnd() * 20);
    for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    if (rnd() < 0.3) s = `::ffff:${Math.floor(rnd() * 300)}.${Math.floor(rnd() * 256)}.1.2`;
    assert.equal(parseIpv4(s) >= 0, isIPv4(s) && !/(^|\.)0\d/.test(s), `IPv4 ${JSON.stringify(s)}`);
    const ok = parseIpv6(s, g);
    assert.equal(ok, isIPv6(s), `IPv6 ${JSON.stringify(s)}`);
    if (ok) valid++;
  }
  assert.ok(valid > 1000, `only ${valid} valid IPv6 texts generated`);
});

test('Ipv4Texts spells every address as formatIPv4 does, as uint32 or int32, through collisions in a small cache', () => {
  const texts = new Ipv4Texts(4);
  const addresses = [0, 1, 0x7fffffff, 0x80000000, 0xc0a80001, 0xffffffff, 0x0a000001, 0x08080808];
  for (let i = 0; i < 2000; i++) addresses.push((Math.imul(i + 1, 0x9e3779b1) >>> 0) ^ (i << 3));
  for (let round = 0; round < 3; round++) {
    for (const a of addresses) {
      assert.equal(texts.text(a), formatIPv4(a));
      assert.equal(texts.text(a | 0), formatIPv4(a));
      assert.equal(parseIpv4(texts.text(a)), a >>> 0);
    }
  }
});

test('Ipv6Texts spells every address as formatIPv6 does, through collisions in a small cache', () => {
  const rows = 600;
  const bytes = new Uint8Array(rows * 16);
  const words = new Uint32Array(bytes.buffer);
  let seed = 11;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 24);
  for (let r = 0; r < rows; r++) {
    const o = r * 16;
    if (r % 4 === 0) {
      // addresses that differ in one byte of one word only (each word in turn), high bits set
      for (let k = 0; k < 16; k++) bytes[o + k] = 0xfe;
      bytes[o + ((r >> 2) % 16)] = r & 0xff;
    } else if (r % 4 === 1) {
      bytes.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, r >> 8, r & 0xff], o); // v4-mapped
    } else {
      bytes[o] = 0x20;
      bytes[o + 1] = 0x01;
      for (let k = 2; k < 16; k++) bytes[o + k] = k < 8 && r % 3 === 0 ? 0 : rnd();
    }
  }
  const texts = new Ipv6Texts(4);
  for (let round = 0; round < 3; round++) {
    for (let r = 0; r < rows; r++) {
      const t = texts.text(bytes, words, r);
      assert.equal(t, formatIPv6(bytes, r * 16), `row ${r}, round ${round}`);
      assert.equal(isIPv6(t), true);
    }
  }
});
