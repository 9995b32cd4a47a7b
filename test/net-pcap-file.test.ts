import assert from 'node:assert/strict';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PacketBatch, PacketFlags as F } from '../src/net/packet-batch.ts';
import { CaptureFileReader, readCaptureSync } from '../src/net/pcap-file.ts';
import type { CaptureReadOptions } from '../src/net/pcap-file.ts';
import { ethernet, ipv4, ipv6, pcapFile, pcapngFile, sll, tcp, udp } from './fixtures/net/frames.ts';

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;
const tmp = testTempDir('autoimmune-net-');
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Label {
  file: string;
  packets: number;
}

function labels(): Label[] {
  const [header, ...rows] = readFileSync(join(PCAP_DIR, 'labels.tsv'), 'utf8').trim().split('\n');
  const cols = header.split('\t');
  const fileCol = cols.indexOf('file');
  const packetsCol = cols.indexOf('packets');
  assert.ok(fileCol >= 0 && packetsCol >= 0, 'labels.tsv has file and packets columns');
  return rows.map((r) => {
    const c = r.split('\t');
    return { file: c[fileCol], packets: Number(c[packetsCol]) };
  });
}

/** Snapshot a (reused) batch's rows so they can be compared later. */
function snapshot(b: PacketBatch): PacketBatch {
  const copy = new PacketBatch(b.capacity, b.buffer.slice(0));
  copy.length = b.length;
  return copy;
}

function readAll(path: string, options?: CaptureReadOptions): { batches: PacketBatch[]; reader: CaptureFileReader; error: unknown } {
  const reader = new CaptureFileReader(path, options);
  const batches: PacketBatch[] = [];
  let error: unknown = null;
  try {
    reader.readSync((b) => batches.push(snapshot(b)));
  } catch (err) {
    error = err;
  }
  return { batches, reader, error };
}

async function readAllAsync(path: string, options?: CaptureReadOptions): Promise<{ count: number; error: unknown }> {
  let count = 0;
  let error: unknown = null;
  try {
    for await (const b of new CaptureFileReader(path, options)) count += b.length;
  } catch (err) {
    error = err;
  }
  return { count, error };
}

const total = (bs: PacketBatch[]) => bs.reduce((n, b) => n + b.length, 0);

/** Row-by-row equality of two batch lists that may be cut differently. */
function sameRows(a: PacketBatch[], b: PacketBatch[]): void {
  const rows = (bs: PacketBatch[]) => bs.flatMap((x) => Array.from({ length: x.length }, (_, i) => [x, i] as const));
  const ra = rows(a);
  const rb = rows(b);
  assert.equal(ra.length, rb.length);
  for (let k = 0; k < ra.length; k++) {
    const [x, i] = ra[k];
    const [y, j] = rb[k];
    const key = (z: PacketBatch, n: number) =>
      [z.ts[n], z.caplen[n], z.wirelen[n], z.flags[n], z.status[n], z.srcPort[n], z.dstPort[n], z.payloadLen[n], z.formatAddress(n, 'src'), z.formatAddress(n, 'dst')].join('|');
    assert.equal(key(x, i), key(y, j), `row ${k}`);
  }
}

function recordOffsets(bytes: Uint8Array): Array<{ offset: number; caplen: number }> {
  // An independent walk of a little-endian .pcap, to know where records start.
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Array<{ offset: number; caplen: number }> = [];
  for (let o = 24; o + 16 <= bytes.length; ) {
    const caplen = dv.getUint32(o + 8, true);
    out.push({ offset: o, caplen });
    o += 16 + caplen;
  }
  return out;
}

describe('shared captures', () => {
  for (const { file, packets } of labels()) {
    test(`${file}: ${packets} packets, sync and async`, async () => {
      const path = join(PCAP_DIR, file);
      const { batches, reader, error } = readAll(path);
      assert.equal(error, null);
      assert.equal(total(batches), packets);
      assert.equal(reader.packets, packets);
      assert.equal(reader.bytesRead, statSync(path).size);
      assert.equal(reader.stats.packets, packets);
      assert.equal(reader.stats.malformed, 0, JSON.stringify(reader.stats.toJSON()));
      for (const b of batches) assert.ok(b.length > 0 && b.length <= 1024);
      const magic = readFileSync(path).subarray(0, 4).toString('hex');
      assert.equal(reader.format, magic === '0a0d0d0a' ? 'pcapng' : 'pcap');
      const async = await readAllAsync(path, { batchSize: 333 });
      assert.equal(async.error, null);
      assert.equal(async.count, packets);
    });
  }

  test('D15–D17 are pcapng named .pcap, with timestamps from 1970', () => {
    for (const file of ['D15_brute_hydra-1_tasks.pcap', 'D16_brute_hydra-4_tasks.pcap', 'D17_brute_hydra-8_tasks.pcap']) {
      const { batches, reader } = readAll(join(PCAP_DIR, file));
      assert.equal(reader.format, 'pcapng');
      assert.equal(reader.interfaces[0].unitsPerSecond, 1e6);
      const first = batches[0].ts[0];
      const lastBatch = batches[batches.length - 1];
      const last = lastBatch.ts[lastBatch.length - 1];
      assert.ok(first >= 0 && first < 10, `${file} starts at ${first}`);
      assert.ok(last > first && last < 86400, `${file} ends at ${last}`);
    }
    const { batches } = readAll(join(PCAP_DIR, 'D15_brute_hydra-1_tasks.pcap'));
    assert.equal(batches[0].ts[0], 0.682888);
  });

  test('tiny chunks and odd batch sizes give the same rows as the defaults', () => {
    for (const file of ['D02_benign_tls2.pcap', 'D04_benign_http_espn.pcapng']) {
      const path = join(PCAP_DIR, file);
      const base = readAll(path).batches;
      for (const options of [{ chunkSize: 100, batchSize: 7 }, { chunkSize: 4096, batchSize: 1 }, { chunkSize: 65536, batchSize: 5000 }]) {
        const other = readAll(path, options);
        assert.equal(other.error, null);
        for (const b of other.batches) assert.ok(b.length <= options.batchSize);
        sameRows(base, other.batches);
      }
    }
  });

  test("a reader given another's buffer reads into it, with the same rows; a buffer smaller than a chunk is replaced", async () => {
    const first = new CaptureFileReader(join(PCAP_DIR, 'D02_benign_tls2.pcap'), { chunkSize: 65536 });
    first.readSync(() => {});
    const buffer = first.buffer;
    assert.equal(buffer.length, 65536);
    for (const file of ['D04_benign_http_espn.pcapng', 'D09_scan_TCP_CONNECT_SCAN.pcap']) {
      const path = join(PCAP_DIR, file);
      const own = readAll(path, { chunkSize: 65536 });
      const shared = readAll(path, { chunkSize: 65536, buffer });
      assert.equal(shared.error, null);
      assert.equal(shared.reader.buffer, buffer, 'read into the buffer it was given');
      sameRows(own.batches, shared.batches);
      let n = 0;
      for await (const b of new CaptureFileReader(path, { chunkSize: 65536, buffer, reuseBatch: true })) n += b.length;
      assert.equal(n, own.reader.packets);
    }
    const small = readAll(join(PCAP_DIR, 'D06_scan_nmap_80_all.pcap'), { chunkSize: 65536, buffer: Buffer.alloc(16) });
    assert.equal(small.error, null);
    assert.equal(small.reader.buffer.length, 65536);
    sameRows(readAll(join(PCAP_DIR, 'D06_scan_nmap_80_all.pcap')).batches, small.batches);
  });

  test('async batches are fresh objects unless reuseBatch is set; breaking early closes cleanly', async () => {
    const path = join(PCAP_DIR, 'D09_scan_TCP_CONNECT_SCAN.pcap');
    const seen = new Set<PacketBatch>();
    for await (const b of new CaptureFileReader(path, { batchSize: 1000 })) seen.add(b);
    assert.equal(seen.size, 10);
    seen.clear();
    let n = 0;
    for await (const b of new CaptureFileReader(path, { batchSize: 1000, reuseBatch: true })) {
      seen.add(b);
      n += b.length;
    }
    assert.equal(seen.size, 1);
    assert.equal(n, 9924);
    for await (const b of new CaptureFileReader(path, { batchSize: 10 })) {
      assert.equal(b.length, 10);
      break;
    }
  });

  test('one read at a time per reader', async () => {
    const reader = new CaptureFileReader(join(PCAP_DIR, 'D06_scan_nmap_80_all.pcap'), { batchSize: 10 });
    for await (const b of reader.batches()) {
      assert.equal(b.length, 10);
      assert.throws(() => reader.readSync(() => {}), { code: 'AI_ERR_CAPTURE_BUSY' });
      break;
    }
    let n = 0;
    reader.readSync((b) => (n += b.length));
    assert.equal(n, 431);
    assert.throws(() => reader.readSync(() => reader.forEachFrameSync(() => {})), { code: 'AI_ERR_CAPTURE_BUSY' });
    assert.throws(() => new CaptureFileReader(join(tmp, 'missing.pcap')).readSync(() => {}), { code: 'ENOENT' });
  });

  test('forEachFrameSync visits the raw records', () => {
    const reader = new CaptureFileReader(join(PCAP_DIR, 'D18_brute_kali-password-attack_hydra.pcap'));
    let n = 0;
    let bytes = 0;
    reader.forEachFrameSync((buf, off, caplen, wirelen, ts, linkType) => {
      assert.equal(linkType, 1);
      assert.ok(off + caplen <= buf.length && caplen <= wirelen && ts > 1.4e9);
      n++;
      bytes += caplen;
    });
    assert.equal(n, 189);
    assert.equal(bytes, statSync(join(PCAP_DIR, 'D18_brute_kali-password-attack_hydra.pcap')).size - 24 - 16 * 189);
  });
});

describe('truncated and corrupt files', () => {
  const d05 = readFileSync(join(PCAP_DIR, 'D05_benign_kali-normal-ssh.pcap'));
  const records = recordOffsets(d05);

  test('a .pcap cut mid-record: the readable packets, then the offset of the cut record', async () => {
    const k = 400;
    const { offset, caplen } = records[k];
    assert.ok(caplen > 30);
    const path = join(tmp, 'D05-cut-record.pcap');
    writeFileSync(path, d05.subarray(0, offset + 16 + 10));
    for (const batchSize of [1024, 64]) {
      const { batches, reader, error } = readAll(path, { batchSize });
      assert.equal(total(batches), k);
      assert.equal(reader.packets, k);
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'PcapTruncatedError');
      assert.equal((error as { code?: string }).code, 'AI_ERR_PCAP_TRUNCATED');
      assert.equal((error as { offset?: number }).offset, offset);
      assert.match(error.message, new RegExp(`D05-cut-record\\.pcap: record at offset ${offset} claims ${caplen} bytes but only 10 remain`));
    }
    const async = await readAllAsync(path, { batchSize: 64 });
    assert.equal(async.count, k);
    assert.equal((async.error as { offset?: number }).offset, offset);
  });

  test('a .pcap cut inside a record header', () => {
    const k = 123;
    const path = join(tmp, 'D05-cut-header.pcap');
    writeFileSync(path, d05.subarray(0, records[k].offset + 7));
    const { batches, error } = readAll(path, { chunkSize: 1000 });
    assert.equal(total(batches), k);
    assert.equal((error as Error).name, 'PcapTruncatedError');
    assert.match((error as Error).message, new RegExp(`record header at offset ${records[k].offset} needs 16 bytes but only 7 remain`));
  });

  test('a .pcapng cut inside an enhanced packet block', async () => {
    const d04 = readFileSync(join(PCAP_DIR, 'D04_benign_http_espn.pcapng'));
    // Walk blocks (little-endian file) to the 500th EPB.
    let o = 0;
    let epbs = 0;
    let cutAt = -1;
    let blockLen = 0;
    while (o < d04.length) {
      const type = d04.readUInt32LE(o);
      const len = d04.readUInt32LE(o + 4);
      if (type === 6 && epbs++ === 500) {
        cutAt = o;
        blockLen = len;
        break;
      }
      o += len;
    }
    const path = join(tmp, 'D04-cut.pcapng');
    writeFileSync(path, d04.subarray(0, cutAt + 40));
    const { batches, error } = readAll(path);
    assert.equal(total(batches), 500);
    assert.equal((error as Error).name, 'PcapTruncatedError');
    assert.equal((error as { offset?: number }).offset, cutAt);
    assert.match((error as Error).message, new RegExp(`enhanced packet block at offset ${cutAt} claims ${blockLen} bytes but only 40 remain`));
    const async = await readAllAsync(path);
    assert.equal(async.count, 500);
    assert.equal((async.error as Error).name, 'PcapTruncatedError');
  });

  test('a record claiming more than 256 KiB is corruption, reported at its offset', () => {
    const k = 50;
    const bad = Buffer.from(d05);
    bad.writeUInt32LE(300000, records[k].offset + 8);
    const path = join(tmp, 'D05-huge-caplen.pcap');
    writeFileSync(path, bad);
    const { batches, error } = readAll(path);
    assert.equal(total(batches), k);
    assert.equal((error as Error).name, 'PcapCorruptError');
    assert.equal((error as { code?: string }).code, 'AI_ERR_PCAP_CORRUPT');
    assert.equal((error as { offset?: number }).offset, records[k].offset);
    assert.match((error as Error).message, /claims 300000 bytes of packet data, more than the 262144-byte limit/);
  });

  test('maxCaplen is configurable', () => {
    const frame = ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 17 }, udp(1, 2, new Uint8Array(2000))));
    const path = join(tmp, 'jumbo.pcap');
    writeFileSync(path, pcapFile({ linkType: 1, records: [{ ts: 1, data: frame }] }));
    assert.equal(readAll(path).error, null);
    assert.equal((readAll(path, { maxCaplen: 1500 }).error as Error).name, 'PcapCorruptError');
    assert.throws(() => new CaptureFileReader(path, { batchSize: 0 }), { code: 'AI_ERR_CAPTURE_OPTION' });
  });

  test('pcapng block damage: bad trailer, bad length, unknown interface', () => {
    const frame = ethernet(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 17 }, udp(1, 2, [1, 2, 3])));
    const good = pcapngFile([{ interfaces: [{ linkType: 1 }], blocks: [1, 2, 3].map((t) => ({ kind: 'epb' as const, iface: 0, ticks: BigInt(t * 1e6), data: frame })) }]);
    const buf = Buffer.from(good);
    // SHB + IDB lengths, then the EPBs.
    const shb = buf.readUInt32LE(4);
    const idb = buf.readUInt32LE(shb + 4);
    const epb0 = shb + idb;
    const epbLen = buf.readUInt32LE(epb0 + 4);
    const epb1 = epb0 + epbLen;

    const cases: Array<[string, (b: Buffer) => void, RegExp]> = [
      ['trailer', (b) => b.writeUInt32LE(epbLen + 4, epb1 + epbLen - 4), new RegExp(`says ${epbLen} bytes at its start but ${epbLen + 4} at its end`)],
      ['length', (b) => b.writeUInt32LE(epbLen + 2, epb1 + 4), /is a multiple of 4|a multiple of 4 and at least 12 bytes/],
      ['interface', (b) => b.writeUInt32LE(5, epb1 + 8), /names interface 5 but the section declares 1/],
    ];
    for (const [what, damage, message] of cases) {
      const b = Buffer.from(good);
      damage(b);
      const path = join(tmp, `damaged-${what}.pcapng`);
      writeFileSync(path, b);
      const r = readAll(path);
      assert.equal(total(r.batches), 1, what);
      assert.equal((r.error as Error).name, 'PcapCorruptError', what);
      assert.equal((r.error as { offset?: number }).offset, epb1, what);
      assert.match((r.error as Error).message, message, what);
    }
  });

  test('not a capture: unknown magic, gzip, empty, too short', () => {
    const cases: Array<[string, Uint8Array, string, RegExp]> = [
      ['text.pcap', Buffer.from('hello, this is not a capture file'), 'PcapFormatError', /magic number 0x68656c6c at offset 0 is neither pcap/],
      ['zipped.pcap', Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), 'PcapFormatError', /gunzip it first/],
      ['empty.pcap', new Uint8Array(0), 'PcapTruncatedError', /only 0 bytes/],
      ['short.pcap', Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]), 'PcapTruncatedError', /file header needs 24 bytes but the file has only 8/],
    ];
    for (const [name, bytes, errorName, message] of cases) {
      const path = join(tmp, name);
      writeFileSync(path, bytes);
      const { error } = readAll(path);
      assert.equal((error as Error).name, errorName, name);
      assert.match((error as Error).message, message, name);
    }
  });

  test('a missing file fails with the system error', () => {
    assert.throws(() => readCaptureSync(join(tmp, 'nope.pcap'), () => {}), { code: 'ENOENT' });
  });
});

describe('hand-built captures', () => {
  const tcpFrame = ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6 }, tcp({ sport: 1234, dport: 80, flags: 0x02 })));
  const rawV6 = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 17 }, udp(53, 53, [1, 2, 3, 4]));

  function rows(path: string) {
    const { batches, reader, error } = readAll(path);
    assert.equal(error, null);
    const out: Array<{ ts: number; linkType: number; iface: number; src: string; caplen: number; wirelen: number; status: number }> = [];
    for (const b of batches) {
      for (let i = 0; i < b.length; i++) {
        out.push({ ts: b.ts[i], linkType: b.linkType[i], iface: b.iface[i], src: b.formatAddress(i, 'src'), caplen: b.caplen[i], wirelen: b.wirelen[i], status: b.status[i] });
      }
    }
    return { out, reader };
  }

  test('.pcap big-endian microseconds and little-endian nanoseconds', () => {
    const be = join(tmp, 'be.pcap');
    writeFileSync(be, pcapFile({ linkType: 1, littleEndian: false, records: [{ ts: 1700000000.25, data: tcpFrame }, { ts: 1700000001.000001, data: tcpFrame }] }));
    let { out, reader } = rows(be);
    assert.equal(reader.format, 'pcap');
    assert.deepEqual(out.map((r) => r.ts), [1700000000.25, 1700000001.000001]);
    assert.equal(out[0].src, '10.0.0.1');

    const ns = join(tmp, 'ns.pcap');
    writeFileSync(ns, pcapFile({ linkType: 113, nanosecond: true, records: [{ ts: 12.000000123, data: sll(0x0800, ipv4({ src: '127.0.0.1', dst: '127.0.0.1', protocol: 17 }, udp(1, 2))) }] }));
    ({ out, reader } = rows(ns));
    assert.equal(reader.interfaces[0].unitsPerSecond, 1e9);
    assert.ok(Math.abs(out[0].ts - 12.000000123) < 1e-12);
    assert.equal(out[0].linkType, 113);
    assert.equal(out[0].src, '127.0.0.1');
  });

  test('.pcap snap length: wirelen kept, caplen as recorded', () => {
    const path = join(tmp, 'snapped.pcap');
    const big = ethernet(0x0800, ipv4({ src: '10.0.0.9', dst: '10.0.0.2', protocol: 6 }, tcp({ sport: 1, dport: 2, flags: 0x18 }, new Uint8Array(1400))));
    writeFileSync(path, pcapFile({ linkType: 1, snaplen: 96, records: [{ ts: 1, data: big.subarray(0, 96), wirelen: big.length }] }));
    const { batches } = readAll(path);
    const b = batches[0];
    assert.equal(b.caplen[0], 96);
    assert.equal(b.wirelen[0], big.length);
    assert.equal(b.payloadLen[0], 1400);
    assert.ok(b.flags[0] & F.SNAPPED);
  });

  for (const littleEndian of [true, false]) {
    test(`.pcapng ${littleEndian ? 'little' : 'big'}-endian: interfaces, if_tsresol, if_tsoffset, EPB/SPB/OPB, unknown blocks, two sections`, () => {
      const path = join(tmp, `multi-${littleEndian ? 'le' : 'be'}.pcapng`);
      writeFileSync(
        path,
        pcapngFile(
          [
            {
              interfaces: [
                { linkType: 1, snaplen: 65535 },
                { linkType: 101, tsresol: 9 },
                { linkType: 1, tsresol: 0x80 | 10, tsoffset: 1000 },
              ],
              blocks: [
                { kind: 'epb', iface: 0, ticks: 1_600_000_000_123_456n, data: tcpFrame, options: true },
                { kind: 'raw', type: 0x00000bad, body: [1, 2, 3, 4, 5, 6, 7, 8] },
                { kind: 'epb', iface: 1, ticks: 1_600_000_000_123_456_789n, data: rawV6 },
                { kind: 'raw', type: 4, body: [0, 0, 0, 0] }, // name resolution block
                { kind: 'spb', data: tcpFrame },
                { kind: 'epb', iface: 2, ticks: 3n * 1024n + 512n, data: tcpFrame },
                { kind: 'opb', iface: 1, ticks: 5_000_000_000n, data: rawV6 },
              ],
            },
            {
              interfaces: [{ linkType: 101 }],
              blocks: [{ kind: 'epb', iface: 0, ticks: 7_000_000n, data: rawV6, wirelen: 200 }],
            },
          ],
          littleEndian,
        ),
      );
      const { out, reader } = rows(path);
      assert.equal(reader.format, 'pcapng');
      assert.equal(reader.skippedBlocks, 2);
      assert.deepEqual(out.map((r) => [r.iface, r.linkType, r.src, r.status]), [
        [0, 1, '10.0.0.1', 0],
        [1, 101, '2001:db8::1', 0],
        [0, 1, '10.0.0.1', 0],
        [2, 1, '10.0.0.1', 0],
        [1, 101, '2001:db8::1', 0],
        [0, 101, '2001:db8::1', 0],
      ]);
      assert.ok(Math.abs(out[0].ts - 1600000000.123456) < 1e-6);
      assert.ok(Math.abs(out[1].ts - 1600000000.123456789) < 1e-6);
      // SPB: no timestamp of its own, keeps the previous packet's.
      assert.equal(out[2].ts, out[1].ts);
      assert.equal(out[3].ts, 1000 + 3.5);
      assert.equal(out[4].ts, 5);
      assert.equal(out[5].ts, 7);
      assert.equal(out[5].wirelen, 200);
      // The second section's interface list replaced the first's.
      assert.equal(reader.interfaces.length, 1);
    });
  }
});
