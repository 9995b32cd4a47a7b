import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CidrMatcher, contains, isHost, normalizeAddress, overlaps, parseCidr } from '../src/respond/cidr.ts';
import { BadAddressError } from '../src/respond/errors.ts';
import { uniform } from '../devkit/prng.ts';

/** Asserts that `input` is refused with AI_ERR_BAD_ADDRESS, naming the value and `problem`. */
function refused(input: string, problem: RegExp): void {
  assert.throws(
    () => parseCidr(input),
    (err: unknown) => {
      assert.ok(err instanceof BadAddressError, `not a BadAddressError: ${err}`);
      assert.equal(err.code, 'AI_ERR_BAD_ADDRESS');
      assert.ok(err.message.includes(JSON.stringify(input)), `message does not name the value: ${err.message}`);
      assert.match(err.message, problem);
      assert.match(err.message, /expected an IPv4 or IPv6 address or CIDR/);
      return true;
    },
  );
}

describe('parseCidr: IPv4', () => {
  it('parses a host and a net to canonical text', () => {
    assert.deepEqual(parseCidr('203.0.113.7'), { family: 4, prefix: 32, words: [0xcb007107], text: '203.0.113.7' });
    assert.deepEqual(parseCidr('10.0.0.0/8'), { family: 4, prefix: 8, words: [0x0a000000], text: '10.0.0.0/8' });
    assert.equal(normalizeAddress('1.2.3.4/32'), '1.2.3.4', 'a /32 is the host');
    assert.equal(normalizeAddress('0.0.0.0/0'), '0.0.0.0/0');
    assert.equal(normalizeAddress('  192.168.1.0/24 \n'), '192.168.1.0/24', 'surrounding whitespace is ignored');
    assert.equal(normalizeAddress('255.255.255.255'), '255.255.255.255');
  });

  it('refuses host bits after the prefix and says both ways to write it', () => {
    refused('10.0.0.5/8', /host bits are set after \/8: write 10\.0\.0\.0\/8 for the whole net, or 10\.0\.0\.5 for the one host/);
    refused('192.168.1.1/31', /write 192\.168\.1\.0\/31/);
  });

  it('refuses bad IPv4 text with the reason', () => {
    refused('10.0.0.256', /256 is over 255/);
    refused('1.2.3.4/33', /prefix \/33 is over 32, the longest for IPv4/);
    refused('', /it is empty/);
    refused('   ', /it is empty/);
    refused('1.2.3.4 ; rm -rf', /contains " "/);
    refused('1.2.3', /4 numbers separated by dots, this has 3/);
    refused('1.2..3', /one of its 4 numbers is empty/);
    refused('010.0.0.1', /leading zero/);
    refused('1.2.3.4/', /no prefix length after the "\/"/);
    refused('1.2.3.4/x', /prefix "x" is not a number/);
    refused('1.2.3.4/-1', /prefix "-1" is not a number/);
    refused('1.2.3.4/8/8', /prefix "8\/8" is not a number/);
    refused('/8', /no address before/);
    refused('example.com', /contains "x"/);
  });

  it('refuses what is not text', () => {
    assert.throws(() => parseCidr(42 as unknown as string), { code: 'AI_ERR_BAD_ADDRESS', message: /expected text, got a number/ });
  });
});

describe('parseCidr: IPv6', () => {
  it('writes RFC 5952 text', () => {
    assert.equal(normalizeAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1', 'lower case, longest zero run compressed');
    assert.equal(normalizeAddress('2001:0db8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1', 'leading zeros dropped, first of equal runs');
    assert.equal(normalizeAddress('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1', 'a single zero group is not compressed');
    assert.equal(normalizeAddress('::'), '::');
    assert.equal(normalizeAddress('::1'), '::1');
    assert.equal(normalizeAddress('::/0'), '::/0');
    assert.equal(normalizeAddress('2001:db8::/32'), '2001:db8::/32');
    assert.equal(normalizeAddress('2001:db8::1/128'), '2001:db8::1', 'a /128 is the host');
    assert.equal(normalizeAddress('fe80:0:0:0:0:0:0:0/10'), 'fe80::/10');
    assert.deepEqual(parseCidr('2001:db8::/32').words, [0x20010db8, 0, 0, 0]);
  });

  it('makes an IPv4-mapped address (and a mapped net of /96 or longer) IPv4', () => {
    assert.deepEqual(parseCidr('::ffff:1.2.3.4'), { family: 4, prefix: 32, words: [0x01020304], text: '1.2.3.4' });
    assert.equal(normalizeAddress('::FFFF:0102:0304'), '1.2.3.4', 'hex spelling too');
    assert.equal(normalizeAddress('::ffff:10.0.0.0/104'), '10.0.0.0/8');
    assert.equal(normalizeAddress('::ffff:0.0.0.0/96'), '0.0.0.0/0');
    assert.equal(normalizeAddress('::/80'), '::/80', 'wider than the mapped space stays IPv6');
    assert.equal(normalizeAddress('::ffff:0:0/96'), '0.0.0.0/0');
    assert.equal(normalizeAddress('64:ff9b::1.2.3.4'), '64:ff9b::102:304', 'NAT64 is not mapped: another address on the wire');
  });

  it('refuses host bits and bad IPv6 text with the reason', () => {
    refused('2001:db8::1/32', /write 2001:db8::\/32 for the whole net, or 2001:db8::1 for the one host/);
    refused('::g', /contains "g"/);
    refused('2001:db8::/129', /prefix \/129 is over 128, the longest for IPv6/);
    refused('1::2::3', /"::" may stand only once/);
    refused('1:2:3:4:5:6:7:8:9', /not IPv6 either/);
    refused('12345::', /not IPv6 either/);
    refused('fe80::1%eth0', /zone index/);
    refused(':1', /not IPv6 either/);
  });
});

describe('contains and overlaps', () => {
  it('contains an address or a narrower net, never the other family', () => {
    assert.equal(contains('10.0.0.0/8', '10.255.1.2'), true);
    assert.equal(contains('10.0.0.0/8', '11.0.0.0'), false);
    assert.equal(contains('10.0.0.0/8', '10.1.0.0/16'), true);
    assert.equal(contains('10.1.0.0/16', '10.0.0.0/8'), false, 'a wider net is not inside');
    assert.equal(contains('0.0.0.0/0', '255.255.255.255'), true);
    assert.equal(contains('0.0.0.0/0', '::1'), false);
    assert.equal(contains('::/0', '1.2.3.4'), false);
    assert.equal(contains('10.0.0.0/8', '::ffff:10.9.9.9'), true, 'a mapped address is IPv4');
    assert.equal(contains('2001:db8::/32', '2001:db8:ffff::1'), true);
    assert.equal(contains('2001:db8::/32', '2001:db9::'), false);
    assert.equal(contains('2001:db8::/33', '2001:db8:8000::'), false, 'prefix boundary inside a word');
    assert.equal(contains('2001:db8::/33', '2001:db8:7fff::'), true);
    assert.equal(contains('2001:db8::1:0/112', '2001:db8::1:ffff'), true, 'prefix in the last word');
    assert.equal(contains('1.2.3.4', '1.2.3.4'), true);
  });

  it('overlaps when either nests in the other', () => {
    assert.equal(overlaps('10.0.0.0/8', '10.0.0.5'), true);
    assert.equal(overlaps('10.0.0.5', '10.0.0.0/8'), true);
    assert.equal(overlaps('10.0.0.0/8', '192.168.0.0/16'), false);
  });

  it('agrees with flipping one bit on random IPv6 nets: inside iff the bit is past the prefix', () => {
    const rnd = uniform(7);
    for (let n = 0; n < 2000; n++) {
      const prefix = Math.floor(rnd() * 129);
      const host = parseCidr(netText(Array.from({ length: 4 }, () => Math.floor(rnd() * 2 ** 32) >>> 0)));
      const net = parseCidr(netText(host.words.map((w, i) => maskWord(w, prefix - 32 * i))) + `/${prefix}`);
      const flip = Math.floor(rnd() * 128);
      const other = parseCidr(netText(host.words.map((w, i) => (i === flip >> 5 ? (w ^ (1 << (31 - (flip & 31)))) >>> 0 : w))));
      assert.equal(contains(net, host), true, `${net.text} should contain ${host.text}`);
      assert.equal(contains(net, other), flip >= prefix, `${net.text} vs ${other.text} (bit ${flip})`);
    }
  });
});

function maskWord(w: number, bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? w : (w & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
}

function netText(words: readonly number[]): string {
  return words.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(':');
}

describe('CidrMatcher', () => {
  const m = new CidrMatcher<string>();
  m.add('10.0.0.0/8', 'ten');
  m.add('10.1.0.0/16', 'ten-one');
  m.add('10.1.2.3', 'host');
  m.add('0.0.0.0/0', 'all-v4');
  m.add('2001:db8::/32', 'doc');
  m.add('2001:db8:1::/48', 'doc-1');
  m.add('10.0.0.0/8', 'duplicate');

  it('finds the longest prefix containing an address', () => {
    assert.equal(m.match('10.1.2.3')?.value, 'host');
    assert.equal(m.match('10.1.2.4')?.value, 'ten-one');
    assert.equal(m.match('10.2.0.0')?.value, 'ten');
    assert.equal(m.match('11.0.0.1')?.value, 'all-v4');
    assert.equal(m.match('10.1.0.0/16')?.value, 'ten-one', 'a net is matched by entries at least as wide');
    assert.equal(m.match('10.0.0.0/7')?.value, 'all-v4');
    assert.equal(m.match('2001:db8:1::5')?.value, 'doc-1');
    assert.equal(m.match('2001:db8:2::5')?.value, 'doc');
    assert.equal(m.match('2001:db9::'), undefined);
    assert.equal(m.match('::ffff:10.1.2.3')?.value, 'host');
  });

  it('matches an IPv4 uint32 without parsing', () => {
    assert.equal(m.matchIpv4(0x0a010203)?.value, 'host');
    assert.equal(m.matchIpv4(0xc0a80001)?.value, 'all-v4');
    const empty = new CidrMatcher<number>();
    assert.equal(empty.matchIpv4(0x0a000001), undefined);
  });

  it('keeps the first value for a net added twice', () => {
    assert.equal(m.size, 6);
    assert.equal(m.match('10.200.0.1')?.value, 'ten');
  });

  it('finds an entry inside a wider net (overlap)', () => {
    const hosts = new CidrMatcher<string>();
    hosts.add('10.0.0.5', 'node');
    hosts.add('2001:db8::5', 'node6');
    assert.equal(hosts.match('10.0.0.0/8'), undefined, 'the /8 is not inside the host');
    assert.equal(hosts.overlapping('10.0.0.0/8')?.value, 'node');
    assert.equal(hosts.overlapping('2001:db8::/64')?.value, 'node6');
    assert.equal(hosts.overlapping('11.0.0.0/8'), undefined);
  });

  it('agrees with a linear scan of contains() on random IPv4 lists', () => {
    const rnd = uniform(42);
    const nets: string[] = [];
    const mm = new CidrMatcher<number>();
    for (let k = 0; k < 200; k++) {
      const prefix = 8 + Math.floor(rnd() * 25);
      const a = (Math.floor(rnd() * 2 ** 32) & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0;
      const text = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${prefix}`;
      nets.push(text);
      mm.add(text, k);
    }
    const parsed = nets.map((n) => parseCidr(n));
    for (let n = 0; n < 5000; n++) {
      // half the probes inside a listed net, half anywhere
      const base = parsed[Math.floor(rnd() * parsed.length)].words[0];
      const addr = rnd() < 0.5 ? (base + Math.floor(rnd() * 256)) >>> 0 : Math.floor(rnd() * 2 ** 32) >>> 0;
      let best = -1;
      parsed.forEach((p, k) => {
        if (contains(p, `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`) && (best < 0 || p.prefix > parsed[best].prefix)) best = k;
      });
      const got = mm.matchIpv4(addr);
      assert.equal(got ? got.net.prefix : -1, best < 0 ? -1 : parsed[best].prefix);
      if (best >= 0) assert.equal(contains(got!.net, parseCidr(`${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`)), true);
    }
  });

  it('isHost', () => {
    assert.equal(isHost(parseCidr('1.2.3.4')), true);
    assert.equal(isHost(parseCidr('1.2.3.4/30')), false);
    assert.equal(isHost(parseCidr('::1')), true);
    assert.equal(isHost(parseCidr('::/127')), false);
  });
});
