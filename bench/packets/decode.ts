// Packet decoding benchmark: the decoder alone on frames held in memory, and the whole
// file path (chunked read + decode into batches), over every shared capture.
//
//   node --import tsx bench/packets/decode.ts     one JSON line per result
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFrame } from '../../src/net/decode.ts';
import { DecodeStats } from '../../src/net/decode-stats.ts';
import { PacketBatch } from '../../src/net/packet-batch.ts';
import { CaptureFileReader } from '../../src/net/pcap-file.ts';
import { median, report, type Result } from '../report.ts';
import { carried, carrierLinkType, type Carrier, type Frame } from '../../devkit/capture-rewrite.ts';

const PCAP_DIR = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));

function captureFiles(): string[] {
  return readdirSync(PCAP_DIR)
    .filter((f) => /^D\d+.*\.pcap(ng)?$/.test(f))
    .sort()
    .map((f) => join(PCAP_DIR, f));
}

/** Every frame of the captures copied into one arena, with its metadata in columns. */
interface FrameSet {
  bytes: Uint8Array;
  offset: Uint32Array;
  caplen: Uint32Array;
  wirelen: Uint32Array;
  linkType: Uint16Array;
  ts: Float64Array;
  count: number;
}

export function loadFrames(files: string[]): FrameSet {
  const chunks: Uint8Array[] = [];
  const meta: number[][] = [];
  let at = 0;
  for (const file of files) {
    new CaptureFileReader(file).forEachFrameSync((buf, off, caplen, wirelen, ts, linkType) => {
      chunks.push(buf.slice(off, off + caplen));
      meta.push([at, caplen, wirelen, linkType, ts]);
      at += caplen;
    });
  }
  const set: FrameSet = {
    bytes: new Uint8Array(at),
    offset: new Uint32Array(meta.length),
    caplen: new Uint32Array(meta.length),
    wirelen: new Uint32Array(meta.length),
    linkType: new Uint16Array(meta.length),
    ts: new Float64Array(meta.length),
    count: meta.length,
  };
  for (let k = 0; k < meta.length; k++) {
    const [o, c, w, l, t] = meta[k];
    set.bytes.set(chunks[k], o);
    set.offset[k] = o;
    set.caplen[k] = c;
    set.wirelen[k] = w;
    set.linkType[k] = l;
    set.ts[k] = t;
  }
  return set;
}

/** One pass of the decoder over every frame; returns elapsed ms. */
function decodePass(set: FrameSet, batch: PacketBatch, stats: DecodeStats): number {
  const mask = batch.capacity - 1;
  const { bytes, offset, caplen, wirelen, linkType, ts } = set;
  const t0 = performance.now();
  for (let k = 0; k < set.count; k++) {
    decodeFrame(batch, k & mask, bytes, offset[k], caplen[k], wirelen[k], linkType[k], ts[k], stats);
  }
  return performance.now() - t0;
}

function readPass(files: string[], mode: 'decode' | 'frames'): { ms: number; packets: number } {
  let packets = 0;
  let sink = 0;
  const t0 = performance.now();
  for (const file of files) {
    const reader = new CaptureFileReader(file);
    if (mode === 'decode') reader.readSync((b) => (sink += b.length));
    else reader.forEachFrameSync((_buf, _off, caplen) => (sink += caplen));
    packets += reader.packets;
  }
  const ms = performance.now() - t0;
  if (sink < 0) throw new Error('unreachable');
  return { ms, packets };
}

async function asyncReadPass(files: string[]): Promise<{ ms: number; packets: number }> {
  let packets = 0;
  const t0 = performance.now();
  for (const file of files) {
    for await (const b of new CaptureFileReader(file, { reuseBatch: true })) packets += b.length;
  }
  return { ms: performance.now() - t0, packets };
}

/** tcpdump -nn -q -r over the same files (a reference measured in the same run), or null. */
function tcpdumpMs(files: string[]): number | null {
  const t0 = performance.now();
  for (const file of files) {
    const r = spawnSync('tcpdump', ['-nn', '-q', '-r', file], { stdio: 'ignore' });
    if (r.error || r.status !== 0) return null;
  }
  return performance.now() - t0;
}

/** The set's Ethernet IP frames (`Frame`s, copies). */
function ipFramesOf(set: FrameSet): Frame[] {
  const out: Frame[] = [];
  for (let k = 0; k < set.count; k++) {
    const o = set.offset[k];
    const et = (set.bytes[o + 12] << 8) | set.bytes[o + 13];
    if (set.linkType[k] === 1 && set.caplen[k] >= 14 && (et === 0x0800 || et === 0x86dd)) out.push({ ts: set.ts[k], data: set.bytes.slice(o, o + set.caplen[k]), wirelen: set.wirelen[k] });
  }
  return out;
}

/** Frames in a FrameSet of one link type. */
function frameSet(frames: readonly Frame[], linkType: number): FrameSet {
  const set: FrameSet = { bytes: new Uint8Array(frames.reduce((n, f) => n + f.data.length, 0)), offset: new Uint32Array(frames.length), caplen: new Uint32Array(frames.length), wirelen: new Uint32Array(frames.length), linkType: new Uint16Array(frames.length).fill(linkType), ts: new Float64Array(frames.length), count: frames.length };
  let at = 0;
  frames.forEach((f, k) => {
    set.bytes.set(f.data, at);
    set.offset[k] = at;
    set.caplen[k] = f.data.length;
    set.wirelen[k] = f.wirelen;
    at += f.data.length;
  });
  return set;
}

/**
 * The cost of reading under another link layer (decode.ts: MPLS, PPPoE, PPP, Cisco HDLC,
 * NFLOG): the captures' IP frames as each carrier carries them, decoded between two passes
 * over the frames as written; the median ratio of their times, one result a carrier.
 */
export function benchCarried(set: FrameSet): Result[] {
  const ip = ipFramesOf(set);
  const plain = frameSet(ip, 1);
  const carriers: Carrier[] = ['mpls', 'mpls2', 'mpls-pw-cw', 'pppoe', 'ppp-hdlc', 'chdlc', 'nflog'];
  const sets = carriers.map((c) => frameSet(carried(ip, c), carrierLinkType(c)));
  const batch = new PacketBatch(1024);
  const stats = new DecodeStats();
  for (let w = 0; w < 3; w++) for (const s of [plain, ...sets]) decodePass(s, batch, stats);
  // each sample: the plain frames, the carried ones, the plain ones again (its reference: the
  // mean of both, so a drift of the shared machine within a sample cancels)
  const three = (s: FrameSet) => decodePass(s, batch, stats) + decodePass(s, batch, stats) + decodePass(s, batch, stats);
  const ratios = carriers.map(() => [] as number[]);
  for (let r = 0; r < 9; r++) {
    sets.forEach((s, k) => {
      const before = three(plain);
      const under = three(s);
      ratios[k]!.push(under / ((before + three(plain)) / 2));
    });
  }
  return carriers.map((c, k) => ({ name: `decode_${c.replace(/-/g, '_')}_ratio`, value: Number(median(ratios[k]!).toFixed(3)), unit: 'ratio (decode time under the carrier / as written, same rounds)' }));
}

export async function benchDecode(): Promise<Result[]> {
  const files = captureFiles();
  const set = loadFrames(files);
  const batch = new PacketBatch(1024);
  const stats = new DecodeStats();

  // Warm up until the decoder is optimised, then time several full passes.
  // Each sample is several passes (~0.1 s) so timer and GC noise stay small.
  for (let w = 0; w < 5; w++) decodePass(set, batch, stats);
  const decodeRates: number[] = [];
  for (let r = 0; r < 7; r++) {
    let ms = 0;
    for (let pass = 0; pass < 10; pass++) ms += decodePass(set, batch, stats);
    decodeRates.push((10 * set.count) / (ms / 1000));
  }

  readPass(files, 'decode');
  const readDecodeRates: number[] = [];
  const readOnlyRates: number[] = [];
  const asyncRates: number[] = [];
  let oursMs = Infinity;
  for (let r = 0; r < 5; r++) {
    const d = readPass(files, 'decode');
    readDecodeRates.push(d.packets / (d.ms / 1000));
    oursMs = Math.min(oursMs, d.ms);
    const f = readPass(files, 'frames');
    readOnlyRates.push(f.packets / (f.ms / 1000));
    const a = await asyncReadPass(files);
    asyncRates.push(a.packets / (a.ms / 1000));
  }

  const results: Result[] = [
    { name: 'decode_pps', value: Math.round(median(decodeRates)), unit: 'packets/s' },
    { name: 'read_decode_pps', value: Math.round(median(readDecodeRates)), unit: 'packets/s' },
    { name: 'read_only_pps', value: Math.round(median(readOnlyRates)), unit: 'packets/s' },
    { name: 'async_read_decode_pps', value: Math.round(median(asyncRates)), unit: 'packets/s' },
  ];
  results.push(...benchCarried(set));
  const ref = tcpdumpMs(files);
  if (ref !== null) {
    results.push({ name: 'read_decode_tcpdump_ratio', value: Number((oursMs / ref).toFixed(3)), unit: 'ratio (our time / tcpdump -nn -q -r time)' });
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const packets = loadFrames(captureFiles()).count;
  for (const r of await benchDecode()) report({ ...r, packets_per_pass: packets });
}
