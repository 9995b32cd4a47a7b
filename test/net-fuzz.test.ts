// Fuzz: a million frames mutated from the shared captures go through the decoder; not one
// exception may escape and the per-reason counts must add up. A second pass feeds damaged
// capture files to the reader, which may only fail with its own error classes.
// Deterministic: FUZZ_SEED=<n> replays a run.
import assert from 'node:assert/strict';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { decodeFrame } from '../src/net/decode.ts';
import { DECODE_STATUS_NAMES, DecodeStats, DecodeStatus, FIRST_MALFORMED_STATUS } from '../src/net/decode-stats.ts';
import { CaptureFileError } from '../src/net/errors.ts';
import { PacketBatch, PacketFlags as F } from '../src/net/packet-batch.ts';
import { CaptureFileReader } from '../src/net/pcap-file.ts';
import { mulberry32 } from '../devkit/prng.ts';
import { carried, carrierLinkType, mirrored, type Carrier, type MirrorTunnel } from '../devkit/capture-rewrite.ts';
import { ShardRouter } from '../src/net/shard-router.ts';
import { Enrichment } from '../src/detect/enrichment.ts';
import { FlowFeatureExtractor } from '../src/detect/flow-features.ts';
import { openGeoLookup } from '../src/geo/geo-lookup.ts';

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1e55) >>> 0;
const PACKETS = 1_000_000;

const prng = mulberry32;

interface Frames {
  bytes: Uint8Array;
  offset: number[];
  caplen: number[];
  wirelen: number[];
  linkType: number[];
}

function loadFrames(): Frames {
  const parts: Uint8Array[] = [];
  const f: Frames = { bytes: new Uint8Array(0), offset: [], caplen: [], wirelen: [], linkType: [] };
  let at = 0;
  for (const file of readdirSync(PCAP_DIR).filter((n) => /^D\d+.*\.pcap(ng)?$/.test(n)).sort()) {
    new CaptureFileReader(join(PCAP_DIR, file)).forEachFrameSync((buf, off, caplen, wirelen, _ts, linkType) => {
      parts.push(buf.slice(off, off + caplen));
      f.offset.push(at);
      f.caplen.push(caplen);
      f.wirelen.push(wirelen);
      f.linkType.push(linkType);
      at += caplen;
    });
  }
  f.bytes = new Uint8Array(at);
  parts.forEach((p, k) => f.bytes.set(p, f.offset[k]));
  return f;
}

const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 65535];
const ETHERTYPES = [0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x9100, 0x88cc, 0x0026];
const PROTOCOLS = [0, 1, 4, 6, 17, 41, 43, 44, 50, 51, 58, 59, 60, 135, 255];
const LENGTHS = [0, 1, 4, 7, 8, 19, 20, 39, 40, 41, 0x7fff, 0xffff];
const TUNNELS: MirrorTunnel[] = ['vxlan', 'geneve', 'geneve-ip', 'erspan1', 'erspan2', 'erspan3'];
const CARRIERS: Carrier[] = ['mpls', 'mpls2', 'mpls-pw', 'mpls-pw-cw', 'pppoe', 'ppp', 'ppp-hdlc', 'chdlc', 'nflog'];

test(`decoder and shards: ${PACKETS} mutated frames, no exception escapes, counts add up (seed ${SEED})`, async (t) => {
  // Every full batch of decoded rows also goes through the shard router and two enricher
  // shards (flow features and GeoIP), as in the pipeline.
  const geo = await openGeoLookup();
  const shards = [0, 1].map((s) => new Enrichment(s, new FlowFeatureExtractor({ maxHosts: 4096, maxPairs: 4096, maxSockets: 4096 }), geo));
  let shardEscaped = 0;
  let firstShardEscape: unknown = null;
  const router = new ShardRouter(2, 512, (s, b) => {
    shards[s].enrich(b, true);
  });
  const frames = loadFrames();
  const n = frames.offset.length;
  assert.ok(n > 100_000, `only ${n} frames loaded`);
  const rand = prng(SEED);
  const tunnelRand = prng(SEED ^ 0x7a11e1);
  let tunnelled = 0;
  const carrierRand = prng(SEED ^ 0xca2217e5);
  let underShims = 0;
  const scratch = new Uint8Array(262144 + 64);
  const batch = new PacketBatch(1024);
  const stats = new DecodeStats();
  const tally = new Float64Array(DECODE_STATUS_NAMES.length);
  let escaped = 0;
  let firstEscape: unknown = null;
  let flagMismatch = 0;
  let invariantBroken = 0;

  for (let it = 0; it < PACKETS; it++) {
    const k = rand() % n;
    let len = frames.caplen[k];
    scratch.set(frames.bytes.subarray(frames.offset[k], frames.offset[k] + len));
    let wirelen = frames.wirelen[k];
    let linkType = frames.linkType[k];
    const ip = 14; // every shared capture is Ethernet
    // one frame in eight arrives as a mirror session delivers it (VXLAN, Geneve, ERSPAN: the
    // decoder opens the tunnel), so the mutations reach the tunnels' headers and the frames in
    // them; drawn from a stream of its own, so a seed's other draws are what they were
    if (tunnelRand() % 8 === 0) {
      const t = TUNNELS[tunnelRand() % TUNNELS.length]!;
      const w = mirrored([{ ts: 0, data: scratch.slice(0, len), wirelen }], t)[0];
      if (w && w.data.length <= scratch.length) {
        scratch.set(w.data);
        len = w.data.length;
        wirelen = w.wirelen;
        tunnelled++;
      }
    } else if (carrierRand() % 8 === 0) {
      // one in eight of the others as another network's link layer carries it (MPLS, PPPoE,
      // PPP, Cisco HDLC, NFLOG: the decoder reads under them); a stream of its own as well
      const c = CARRIERS[carrierRand() % CARRIERS.length]!;
      const w = carried([{ ts: 0, data: scratch.slice(0, len), wirelen }], c)[0];
      if (w && w.data.length <= scratch.length) {
        scratch.set(w.data);
        len = w.data.length;
        wirelen = w.wirelen;
        linkType = carrierLinkType(c);
        if (c.startsWith('mpls') || c === 'pppoe') underShims++;
      }
    }

    // One to three mutations, each drawn from the menu below.
    const rounds = 1 + (rand() % 3);
    for (let m = 0; m < rounds; m++) {
      switch (rand() % 8) {
        case 0: {
          // bit flips, mostly in the first 128 bytes where the headers are
          const flips = 1 + (rand() % 8);
          for (let f = 0; f < flips; f++) {
            const span = rand() & 3 ? Math.min(len, 128) : len;
            if (span > 0) scratch[rand() % span] ^= 1 << (rand() & 7);
          }
          break;
        }
        case 1: // truncation, with the wire length kept or not
          len = rand() % (len + 1);
          if (rand() & 1) wirelen = len;
          break;
        case 2: {
          // a length field set to a bad value
          const v = rand() & 1 ? LENGTHS[rand() % LENGTHS.length] : rand() & 0xffff;
          const version = scratch[ip] >> 4;
          const ihl = (scratch[ip] & 15) << 2;
          const targets =
            version === 4
              ? [ip, ip + 2, ip + ihl + 12, ip + ihl + 4, ip + 6]
              : [ip + 4, ip + 40 + 1, ip + 40 + 12, ip + 40 + 4];
          const at = targets[rand() % targets.length];
          if (at === ip) scratch[at] = (scratch[at] & 0xf0) | (v & 15);
          else if (at === ip + ihl + 12 || at === ip + 41 || at === ip + 52) scratch[at] = v & 255;
          else if (at + 1 < scratch.length) {
            scratch[at] = v >> 8;
            scratch[at + 1] = v & 255;
          }
          break;
        }
        case 3: {
          // random bytes over the headers
          const count = 1 + (rand() % 16);
          const span = Math.max(1, Math.min(len, 80));
          for (let c = 0; c < count; c++) scratch[rand() % span] = rand() & 255;
          break;
        }
        case 4: {
          // another ethertype or IP protocol: valid bytes sent down the wrong path
          if (rand() & 1) {
            const t = ETHERTYPES[rand() % ETHERTYPES.length];
            scratch[12] = t >> 8;
            scratch[13] = t & 255;
          } else {
            const p = PROTOCOLS[rand() % PROTOCOLS.length];
            if (scratch[ip] >> 4 === 4) scratch[ip + 9] = p;
            else scratch[ip + 6] = p;
          }
          break;
        }
        case 5: // the frame read as another link type
          linkType = LINK_TYPES[rand() % LINK_TYPES.length];
          break;
        case 6: // a wire length that lies
          wirelen = rand() & 1 ? rand() % (len + 1) : len + (rand() % 70000);
          break;
        default: {
          // a run of random bytes anywhere
          const start = len > 0 ? rand() % len : 0;
          const count = Math.min(len - start, 1 + (rand() % 64));
          for (let c = 0; c < count; c++) scratch[start + c] = rand() & 255;
        }
      }
    }

    const row = it & 1023;
    let code: number;
    try {
      code = decodeFrame(batch, row, scratch, 0, len, wirelen, linkType, it, stats);
    } catch (err) {
      escaped++;
      firstEscape ??= err;
      continue;
    }
    tally[code]++;
    if (row === 1023) {
      batch.length = 1024;
      try {
        router.route(batch);
        router.flush();
      } catch (err) {
        shardEscaped++;
        firstShardEscape ??= err;
      }
    }
    const flags = batch.flags[row];
    const malformed = code >= FIRST_MALFORMED_STATUS;
    const unsupported = code > 0 && !malformed;
    if (batch.status[row] !== code || ((flags & F.MALFORMED) !== 0) !== malformed || ((flags & F.UNSUPPORTED) !== 0) !== unsupported) {
      flagMismatch++;
    }
    if (code === 0) {
      // A clean row is self-consistent.
      const l4 = flags & (F.TCP | F.UDP | F.ICMP | F.ICMPV6);
      if (
        (l4 !== 0 && (l4 & (l4 - 1)) !== 0) ||
        ((flags & F.TCP) !== 0 && batch.protocol[row] !== 6) ||
        ((flags & F.UDP) !== 0 && batch.protocol[row] !== 17) ||
        ((flags & (F.IPV4 | F.IPV6)) === (F.IPV4 | F.IPV6)) ||
        (batch.ipVersion[row] === 4) !== ((flags & F.IPV4) !== 0) ||
        batch.payloadLen[row] > batch.ipLen[row]
      ) {
        invariantBroken++;
      }
    }
  }

  assert.equal(escaped, 0, `exceptions escaped the decoder, first: ${String(firstEscape)} (seed ${SEED})`);
  assert.equal(shardEscaped, 0, `exceptions escaped the shards, first: ${String(firstShardEscape)} (seed ${SEED})`);
  assert.equal(router.routed + router.unroutable, PACKETS - (PACKETS % 1024), 'every decoded row was routed or counted as unroutable');
  assert.equal(shards[0].packets + shards[1].packets, router.routed);
  assert.equal(stats.packets, PACKETS);
  assert.equal(stats.ok + stats.unsupported + stats.malformed, PACKETS);
  assert.deepEqual(Array.from(stats.counts), Array.from(tally), 'stats match the statuses returned');
  assert.equal(stats.count('internal_error'), 0, `decoder bug caught by its safety net (seed ${SEED})`);
  // (most mutations land in the outer headers: a tunnel whose header is broken stays shut)
  assert.ok(tunnelled > PACKETS / 10 && stats.tunnelled > tunnelled / 20, `frames sent in tunnels ${tunnelled}, opened ${stats.tunnelled}`);
  assert.ok(underShims > PACKETS / 100 && stats.mpls + stats.pppoe > underShims / 4, `frames sent under MPLS or PPPoE ${underShims}, read under them ${stats.mpls + stats.pppoe}`);
  assert.equal(flagMismatch, 0, 'rows whose MALFORMED/UNSUPPORTED flags disagree with their status');
  assert.equal(invariantBroken, 0, 'clean rows that are not self-consistent');
  const byReason = stats.toJSON().byReason;
  t.diagnostic(`ok ${stats.ok}, unsupported ${stats.unsupported}, malformed ${stats.malformed}: ${JSON.stringify(byReason)}`);
  const sum = Object.values(byReason).reduce((a, b) => a + (b ?? 0), 0);
  assert.equal(sum + stats.ok, PACKETS, 'byReason adds up');
  // The mutations must reach deep into the decoder, not just trip the first check.
  const reached = DECODE_STATUS_NAMES.filter((name) => tally[DecodeStatus[name]] > 0);
  assert.ok(reached.length >= 25, `only reached ${reached.join(', ')}`);
  assert.ok(stats.ok > PACKETS / 20, `only ${stats.ok} mutated frames still decoded cleanly`);
});

const tmp = testTempDir('autoimmune-fuzz-');
after(() => rmSync(tmp, { recursive: true, force: true }));

test(`reader: damaged capture files fail only with CaptureFileError (seed ${SEED})`, async (t) => {
  const rand = prng(SEED ^ 0xf11e);
  const sources = ['D18_brute_kali-password-attack_hydra.pcap', 'D04_benign_http_espn.pcapng', 'D15_brute_hydra-1_tasks.pcap'].map((f) =>
    readFileSync(join(PCAP_DIR, f)),
  );
  let failures = 0;
  let delivered = 0;
  for (let it = 0; it < 150; it++) {
    const src = sources[it % sources.length];
    // Keep the files small so 150 of them stay fast: the first ~40 KB is plenty of blocks.
    const bytes = Buffer.from(src.subarray(0, Math.min(src.length, 40_000)));
    const hits = 1 + (rand() % 12);
    for (let h = 0; h < hits; h++) {
      const at = rand() % bytes.length;
      if (rand() & 1) bytes[at] ^= 1 << (rand() & 7);
      else bytes.writeUInt32LE(rand() >>> 0, Math.min(at, bytes.length - 4));
    }
    const path = join(tmp, `fuzz-${it}.cap`);
    writeFileSync(path, bytes.subarray(0, rand() & 3 ? bytes.length : rand() % bytes.length));
    const reader = new CaptureFileReader(path, { batchSize: 128, chunkSize: 4096 });
    try {
      if (it & 1) reader.readSync((b) => (delivered += b.length));
      else for await (const b of reader.batches()) delivered += b.length;
    } catch (err) {
      assert.ok(err instanceof CaptureFileError, `iteration ${it}: ${String(err)}`);
      assert.match(err.message, /offset \d+|magic number|version|only \d+ bytes/);
      failures++;
    }
    assert.equal(reader.stats.packets, reader.packets, `iteration ${it}: every record delivered was decoded once`);
  }
  t.diagnostic(`${failures} of 150 damaged files failed cleanly; ${delivered} packets delivered`);
  assert.ok(failures > 0 && delivered > 0, `failures ${failures}, packets delivered ${delivered}`);
});
