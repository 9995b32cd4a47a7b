// features_pps: AfterImage flow features alone, over a synthetic but realistic stream.
// Run directly (`node --import tsx bench/packets/features.ts`) it prints one JSON line per
// result; bench/run.ts imports benchFeatures().

import { pathToFileURL } from 'node:url';
import { FlowFeatureExtractor } from '../../src/detect/flow-features.ts';
import type { Result } from '../report.ts';

/** A Zipf(s) sampler over 0..n-1 by inverse CDF: a few hosts send most packets. */
export function zipfSampler(n: number, s: number, rnd: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1) ** s;
  for (let i = 0; i < n; i++) cdf[i] /= sum;
  return () => {
    const u = rnd();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function lcg(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export interface SyntheticStream {
  count: number;
  ts: Float64Array;
  src: Uint32Array;
  dst: Uint32Array;
  srcPort: Uint16Array;
  dstPort: Uint16Array;
  proto: Uint8Array;
  size: Uint16Array;
}

/**
 * `count` IPv4 packets among about `hosts` hosts. Traffic is flows: a pool of 2,000 live
 * flows, picked Zipf-wise (a few heavy flows carry most packets), each new flow with a
 * Zipf-distributed client and server (s = 1.1), mostly TCP from an ephemeral port to a
 * handful of service ports, some UDP/53 and ICMP; 2% of packets start a new flow. Both
 * directions; sizes 60–1500 with the usual ACK/MTU peaks; timestamps increasing at about
 * 200k packets/s.
 */
export function syntheticStream(count: number, hosts = 4000, seed = 42): SyntheticStream {
  const rnd = lcg(seed);
  const pickHost = zipfSampler(hosts, 1.1, rnd);
  const addr = new Uint32Array(hosts);
  for (let i = 0; i < hosts; i++) {
    // half the hosts in a local /16, half anywhere in unicast space
    addr[i] = i % 2 === 0 ? (0x0a000000 + i) >>> 0 : (Math.floor(rnd() * 0xdf000000) + 0x01000000) >>> 0;
  }
  const services = [443, 80, 22, 8080, 25];
  const POOL = 2000;
  const pickFlow = zipfSampler(POOL, 1.0, rnd);
  const fClient = new Uint32Array(POOL);
  const fServer = new Uint32Array(POOL);
  const fCport = new Uint16Array(POOL);
  const fSport = new Uint16Array(POOL);
  const fProto = new Uint8Array(POOL);
  const newFlow = (f: number) => {
    const c = pickHost();
    let sv = pickHost();
    if (sv === c) sv = (c + 1) % hosts;
    fClient[f] = addr[c];
    fServer[f] = addr[sv];
    const r = rnd();
    const proto = r < 0.85 ? 6 : r < 0.97 ? 17 : 1;
    fProto[f] = proto;
    fCport[f] = proto === 1 ? 0 : 32768 + Math.floor(rnd() * 28000);
    fSport[f] = proto === 1 ? 0 : proto === 17 ? 53 : services[Math.floor(rnd() ** 2 * services.length)];
  };
  for (let f = 0; f < POOL; f++) newFlow(f);
  const st: SyntheticStream = {
    count,
    ts: new Float64Array(count),
    src: new Uint32Array(count),
    dst: new Uint32Array(count),
    srcPort: new Uint16Array(count),
    dstPort: new Uint16Array(count),
    proto: new Uint8Array(count),
    size: new Uint16Array(count),
  };
  let t = 1_700_000_000;
  for (let n = 0; n < count; n++) {
    t += rnd() * 1e-5;
    st.ts[n] = t;
    if (rnd() < 0.02) newFlow(Math.floor(rnd() * POOL));
    const f = pickFlow();
    const forward = rnd() < 0.5;
    st.src[n] = forward ? fClient[f] : fServer[f];
    st.dst[n] = forward ? fServer[f] : fClient[f];
    st.srcPort[n] = forward ? fCport[f] : fSport[f];
    st.dstPort[n] = forward ? fSport[f] : fCport[f];
    st.proto[n] = fProto[f];
    const q = rnd();
    st.size[n] = q < 0.35 ? 60 + Math.floor(rnd() * 20) : q < 0.7 ? 1500 : 60 + Math.floor(rnd() * 1441);
  }
  return st;
}

// `shift` moves a replay of the stream later in time, so that every pass decays like the first
function run(fx: FlowFeatureExtractor, st: SyntheticStream, out: Float64Array, shift: number): number {
  const t0 = process.hrtime.bigint();
  for (let n = 0; n < st.count; n++) {
    fx.update(st.ts[n] + shift, st.src[n], st.dst[n], st.srcPort[n], st.dstPort[n], st.proto[n], st.size[n], out, 0);
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * A spoofed-source flood: every packet from a new random address to one victim, so the
 * tables are full and every packet evicts and re-creates a host, a pair and a socket.
 */
export function floodStream(count: number, seed = 7): SyntheticStream {
  const rnd = lcg(seed);
  const st: SyntheticStream = {
    count,
    ts: new Float64Array(count),
    src: new Uint32Array(count),
    dst: new Uint32Array(count).fill(0x0a000001),
    srcPort: new Uint16Array(count),
    dstPort: new Uint16Array(count).fill(80),
    proto: new Uint8Array(count).fill(6),
    size: new Uint16Array(count).fill(60),
  };
  for (let n = 0; n < count; n++) {
    st.ts[n] = 1_700_000_000 + n * 2e-6;
    st.src[n] = Math.floor(rnd() * 2 ** 32) >>> 0;
    st.srcPort[n] = 1024 + Math.floor(rnd() * 64000);
  }
  return st;
}

/** Median packets/s of three timed passes after a warm-up pass. */
function measure(st: SyntheticStream): number {
  const fx = new FlowFeatureExtractor();
  const out = new Float64Array(fx.featureCount);
  const span = st.ts[st.count - 1] - st.ts[0] + 1;
  run(fx, st, out, 0); // warm up the JIT and grow the tables
  const times: number[] = [];
  for (let r = 1; r <= 3; r++) times.push(run(fx, st, out, r * span));
  times.sort((x, y) => x - y);
  return Math.round(st.count / times[1]);
}

export async function benchFeatures(packets = 1_000_000): Promise<Result[]> {
  return [
    { name: 'features_pps', value: measure(syntheticStream(packets)), unit: 'packets/s' },
    // the worst case for the bounded tables: one eviction per table per packet
    { name: 'features_flood_pps', value: measure(floodStream(packets)), unit: 'packets/s' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void benchFeatures().then((results) => {
    for (const r of results) console.log(JSON.stringify(r));
  });
}
