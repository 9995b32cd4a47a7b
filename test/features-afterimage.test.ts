import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DEFAULT_LAMBDAS, decayConstant, decayFactor } from '../src/detect/damped-stats.ts';
import { FlowFeatureExtractor, featureCount, featureNames, groupOffsets } from '../src/detect/flow-features.ts';

// ---------------------------------------------------------------------------------------
// A plain reference: Kitsune's incStat / incStat_cov as objects, one per stream per λ,
// wired to this project's streams (source host; host pair and socket pair as two
// directions; jitter per pair direction), with string keys and a Map per table.
// Decay is 2^(−λ·Δt), computed as exp(−λ·ln2·Δt) like the implementation so that the two
// agree bit for bit on decay (its accuracy against 2 ** x is tested on its own below).
// ---------------------------------------------------------------------------------------

const decay = (lambda: number, dt: number) => Math.exp(-lambda * Math.LN2 * dt);

// An idle stream keeps its mean and variance while its weight decays; the implementation's
// Float32 weight underflows to 0 long before this one's Float64 sums would, so once the
// weight is below 1e-250 (before LS/w and SS/w lose precision in subnormals) the stream is
// kept as those two values and a weight of 0.
class RefStream {
  w = 1e-20;
  ls = 0;
  ss = 0;
  idleMean = 0;
  idleVariance = 0;
  constructor(
    readonly lambda: number,
    public t: number,
  ) {}
  decayTo(t: number) {
    const dt = t - this.t;
    if (dt > 0) {
      const f = decay(this.lambda, dt);
      if (this.w > 0 && this.w * f < 1e-250) {
        this.idleMean = this.mean();
        this.idleVariance = this.variance();
        this.w = this.ls = this.ss = 0;
      }
      this.w *= f;
      this.ls *= f;
      this.ss *= f;
      this.t = t;
    }
  }
  insert(v: number, t: number) {
    this.decayTo(t);
    this.w += 1;
    this.ls += v;
    this.ss += v * v;
  }
  mean() {
    return this.w > 0 ? this.ls / this.w : this.idleMean;
  }
  variance() {
    if (!(this.w > 0)) return this.idleVariance;
    const m = this.mean();
    const v = Math.abs(this.ss / this.w - m * m);
    return v > 1e-10 * m * m ? v : 0; // rounding noise of a constant stream
  }
  std() {
    return Math.sqrt(this.variance());
  }
  stats1D() {
    return [this.w, this.mean(), this.std()];
  }
}

class RefCov {
  cf3 = 0;
  w3 = 1e-20;
  res = [0, 0];
  constructor(
    readonly streams: [RefStream, RefStream],
    readonly lambda: number,
    public t: number,
  ) {}
  // stream `side` has already received v at t
  update(side: number, v: number, t: number) {
    this.streams[1 - side].decayTo(t);
    const dt = t - this.t;
    if (dt > 0) {
      const f = decay(this.lambda, dt);
      this.cf3 *= f;
      this.w3 *= f;
      this.t = t;
    }
    const r = v - this.streams[side].mean();
    this.cf3 += r * this.res[1 - side];
    this.w3 += 1;
    this.res[side] = r;
  }
  stats2D(side: number) {
    const a = this.streams[side];
    const b = this.streams[1 - side];
    const cov = this.cf3 / this.w3;
    const ss = a.std() * b.std();
    return [
      Math.sqrt(a.mean() ** 2 + b.mean() ** 2),
      Math.sqrt(a.variance() ** 2 + b.variance() ** 2),
      cov,
      ss !== 0 ? cov / ss : 0,
    ];
  }
}

interface TwoWay {
  dirs: RefStream[][]; // [direction][λ]
  covs: RefCov[];
  jitter: Array<RefStream[] | null>; // per direction, created at its first packet
}

/** A Map in least-recently-used order, bounded. */
class RefTable<V> {
  readonly map = new Map<string, V>();
  evictions = 0;
  constructor(readonly cap: number) {}
  touch(key: string, create: () => V): V {
    let v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
    } else {
      v = create();
      if (this.map.size === this.cap) {
        this.map.delete(this.map.keys().next().value!);
        this.evictions++;
      }
    }
    this.map.set(key, v);
    return v;
  }
}

class ReferenceAfterImage {
  hosts: RefTable<RefStream[]>;
  pairs: RefTable<TwoWay>;
  sockets: RefTable<TwoWay>;
  constructor(
    readonly lambdas: readonly number[] = DEFAULT_LAMBDAS,
    caps = { hosts: 1e9, pairs: 1e9, sockets: 1e9 },
  ) {
    this.hosts = new RefTable(caps.hosts);
    this.pairs = new RefTable(caps.pairs);
    this.sockets = new RefTable(caps.sockets);
  }

  private twoWay(t: number): TwoWay {
    const dirs = [0, 1].map(() => this.lambdas.map((l) => new RefStream(l, t)));
    const covs = this.lambdas.map((l, i) => new RefCov([dirs[0][i], dirs[1][i]], l, t));
    return { dirs, covs, jitter: [null, null] };
  }

  update(t: number, src: number | string, dst: number | string, sp: number, dp: number, proto: number, size: number) {
    const out: number[][] = [[], [], [], []];

    const host = this.hosts.touch(`${src}`, () => this.lambdas.map((l) => new RefStream(l, t)));
    for (const s of host) {
      s.insert(size, t);
      out[0].push(...s.stats1D());
    }

    // a pair is keyed by its two ends in sorted order; `side` says which one sent
    const [p0, p1] = [`${src}`, `${dst}`].sort();
    const pair = this.pairs.touch(`${p0}|${p1}`, () => this.twoWay(t));
    const side = p0 === `${src}` ? 0 : 1;
    this.lambdas.forEach((l, i) => {
      pair.dirs[side][i].insert(size, t);
      pair.covs[i].update(side, size, t);
      out[1].push(...pair.dirs[side][i].stats1D(), ...pair.covs[i].stats2D(side));
    });
    // the jitter stream of a direction starts at its first packet, with a gap of 0
    const jit = (pair.jitter[side] ??= this.lambdas.map((l) => new RefStream(l, t)));
    for (const s of jit) {
      const gap = t - s.t > 0 ? t - s.t : 0;
      s.insert(gap, t);
      out[2].push(...s.stats1D());
    }

    const [s0, s1] = [`${src}:${sp}`, `${dst}:${dp}`].sort();
    const sock = this.sockets.touch(`${s0}|${s1}|${proto}`, () => this.twoWay(t));
    const sside = s0 === `${src}:${sp}` ? 0 : 1;
    this.lambdas.forEach((l, i) => {
      sock.dirs[sside][i].insert(size, t);
      sock.covs[i].update(sside, size, t);
      out[3].push(...sock.dirs[sside][i].stats1D(), ...sock.covs[i].stats2D(sside));
    });
    return out.flat();
  }
}

// ---------------------------------------------------------------------------------------

type Packet = [ts: number, src: number | string, dst: number | string, sp: number, dp: number, proto: number, size: number];

/**
 * The implementation keeps its statistics in Float32 (6e-8 relative rounding a value) and
 * as mean and variance where the reference keeps Float64 sums: weights, means and
 * magnitudes agree to 1e-6 relative; a std to 1e-5 relative plus 1e-6 of its stream's mean
 * (the rounding of the stored mean moves a small spread's d = v − mean); a radius and a
 * covariance (products of such spreads; the reference's own residuals carry 1e-14·mean of
 * rounding, so a covariance of 0 reads as ±1e-13 there) to 1e-5 relative plus 1e-6 of the
 * magnitude squared; a correlation to 1e-4.
 */
function close(got: Float64Array, at: number, want: number[], k: number, name: string): boolean {
  const a = got[at + k]!;
  const b = want[k]!;
  if (a === b) return true;
  const stat = name.slice(name.lastIndexOf('_') + 1);
  const scale =
    stat === 'std' ? Math.abs(want[k - 1]!) : stat === 'radius' ? want[k - 1]! ** 2 : stat === 'cov' ? want[k - 2]! ** 2 : stat === 'pcc' ? 1e2 : 0;
  const rel = stat === 'weight' || stat === 'mean' || stat === 'magnitude' ? 1e-6 : 1e-5;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + 1e-6 * scale;
}

function compareRun(packets: Packet[], config = {}, caps?: { hosts: number; pairs: number; sockets: number }) {
  const fx = new FlowFeatureExtractor({ ...config, ...(caps ? { maxHosts: caps.hosts, maxPairs: caps.pairs, maxSockets: caps.sockets } : {}) });
  const ref = new ReferenceAfterImage(fx.lambdas, caps);
  const names = fx.featureNames();
  const out = new Float64Array(fx.featureCount * 2);
  packets.forEach((p, n) => {
    const offset = (n % 2) * fx.featureCount; // exercise outOffset
    fx.update(p[0], p[1], p[2], p[3], p[4], p[5], p[6], out, offset);
    const want = ref.update(...p);
    assert.equal(want.length, fx.featureCount);
    for (let k = 0; k < want.length; k++) {
      if (!close(out, offset, want, k, names[k]!)) {
        assert.fail(`packet ${n} ${JSON.stringify(p)}: ${names[k]} = ${out[offset + k]}, reference ${want[k]}`);
      }
    }
  });
  return { fx, ref };
}

/** Within 1e-6 relative of expected (the statistics are stored in Float32, 6e-8 a value), with a message. */
function near(actual: number, expected: number, what: string) {
  const tol = 1e-6 * Math.abs(expected);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} ± ${tol}`);
}

const A = 0x0a000001; // 10.0.0.1
const B = 0xc0a80102; // 192.168.1.2, above 2^31: exercises uint32 keys

test('the vector has 20 values per λ in the documented order', () => {
  assert.equal(featureCount(), 100);
  const names = featureNames();
  assert.equal(names.length, 100);
  assert.equal(names[0], 'H_l5_weight');
  assert.equal(names[3 * 2 + 1], 'H_l1_mean');
  assert.equal(names[15], 'HH_l5_weight');
  assert.equal(names[15 + 7 * 2 + 6], 'HH_l1_pcc');
  assert.equal(names[50], 'HHjit_l5_weight');
  assert.equal(names[65 + 3], 'HpHp_l5_magnitude');
  assert.equal(names[99], 'HpHp_l0.01_pcc');
  assert.equal(new FlowFeatureExtractor({ lambdas: [1, 0.1] }).featureCount, 40);
  assert.deepEqual(groupOffsets(), { host: 0, pair: 15, jitter: 50, socket: 65 });
});

test('hand-checked values on a short sequence, and agreement with the reference', () => {
  const packets: Packet[] = [
    [0, A, B, 40000, 80, 6, 100],
    [1, A, B, 40000, 80, 6, 200],
    [1.5, B, A, 80, 40000, 6, 50],
    [2, A, B, 40000, 80, 6, 300],
    [2.5, B, A, 80, 40000, 6, 150],
    [2.5, A, B, 40001, 80, 6, 60], // same instant, new socket
  ];
  const fx = new FlowFeatureExtractor();
  const out = new Float64Array(fx.featureCount);
  const l1 = DEFAULT_LAMBDAS.indexOf(1);
  const H = 3 * l1; // H group, λ = 1
  const HH = 15 + 7 * l1;
  const JIT = 50 + 3 * l1;

  fx.update(...packets[0], out, 0);
  // first packet: w = 1e-20 + 1 = 1, mean = 100, std = 0; nothing to correlate yet
  assert.equal(out[H], 1);
  assert.equal(out[H + 1], 100);
  assert.equal(out[H + 2], 0);
  assert.equal(out[JIT + 1], 0); // first gap is 0

  fx.update(...packets[1], out, 0);
  // one second later at λ = 1 the old state halves: w = 0.5 + 1 = 1.5,
  // LS = 50 + 200 = 250, mean = (100·0.5 + 200)/1.5 = 166.67,
  // SS = 5,000 + 40,000, variance = 45,000/1.5 − 166.67² = 2,222.2, std = 47.14
  // (stored as mean and variance: 100 + 100/1.5, and ⅓·(0 + 100²/1.5))
  near(out[H], 1.5, 'H weight');
  near(out[H + 1], (100 * 0.5 + 200) / 1.5, 'H mean');
  near(out[H + 2], Math.sqrt(45000 / 1.5 - (250 / 1.5) ** 2), 'H std');
  // the A→B direction of the pair saw the same two packets; B→A nothing yet, so the
  // magnitude is A→B's mean, the radius its variance, and cov = pcc = 0
  near(out[HH + 1], 250 / 1.5, 'HH mean');
  near(out[HH + 3], 250 / 1.5, 'HH magnitude');
  near(out[HH + 4], 45000 / 1.5 - (250 / 1.5) ** 2, 'HH radius');
  assert.equal(out[HH + 5], 0);
  assert.equal(out[HH + 6], 0);
  // jitter A→B: gaps 0 then 1 → w = 1.5, mean = (0·0.5 + 1)/1.5
  near(out[JIT], 1.5, 'jitter weight');
  near(out[JIT + 1], 1 / 1.5, 'jitter mean');

  fx.update(...packets[2], out, 0);
  fx.update(...packets[3], out, 0);
  fx.update(...packets[4], out, 0);
  // at t = 2.5 (λ = 1; every packet, either way, decays the pair by √½ per 0.5 s):
  // B→A has w = 1·½ + 1 = 1.5 and LS = 50·½ + 150 = 175, so its residual is
  // r_B = 150 − 175/1.5 = 33.33; it meets A→B's last residual (t = 2: w = 1.5·½ + 1,
  // LS = 250·½ + 300) r_A = 300 − 425/1.75 = 57.14. The pair's w3 went 1, 1.5, then
  // ·√½ + 1 three times = 2.737, and CF3 was 0 until now (B's first residual was 0):
  // cov = r_B·r_A/w3 = 695.7
  const h = Math.SQRT1_2;
  const rB = 150 - 175 / 1.5;
  const rA = 300 - 425 / 1.75;
  const w3 = ((1.5 * h + 1) * h + 1) * h + 1;
  near(out[HH], 1.5, 'B→A weight');
  near(out[HH + 1], 175 / 1.5, 'B→A mean');
  near(out[HH + 5], (rB * rA) / w3, 'pair covariance');

  compareRun(packets);
});

test('agrees with the reference on a few thousand random packets (to Float32 rounding: see close)', () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const hosts: Array<number | string> = [];
  for (let i = 0; i < 24; i++) hosts.push((0xc0a80000 + i * 7) >>> 0);
  hosts.push('2001:db8::1', '2001:db8::2', 'fe80::1');
  const packets: Packet[] = [];
  let t = 1_700_000_000;
  for (let n = 0; n < 4000; n++) {
    const r = rnd();
    // mostly forward in small steps, sometimes a burst at one instant, rarely backwards
    t += r < 0.1 ? 0 : r < 0.12 ? -0.002 : r < 0.98 ? rnd() * 0.05 : rnd() * 30;
    const src = hosts[Math.floor(rnd() ** 2 * hosts.length)];
    let dst = hosts[Math.floor(rnd() * hosts.length)];
    if (rnd() < 0.02) dst = src;
    const proto = [6, 6, 17, 1][Math.floor(rnd() * 4)];
    const sp = proto === 1 ? 0 : [443, 80, 40000 + Math.floor(rnd() * 8)][Math.floor(rnd() * 3)];
    const dp = proto === 1 ? 0 : [443, 80, 53, 40000 + Math.floor(rnd() * 8)][Math.floor(rnd() * 4)];
    const size = rnd() < 0.3 ? 60 : 60 + Math.floor(rnd() * 1441);
    packets.push([t, src, dst, sp, dp, proto, size]);
  }
  const { fx } = compareRun(packets);
  const st = fx.stats();
  assert.equal(st.hosts.evictions + st.pairs.evictions + st.sockets.evictions, 0);
  assert.ok(st.pairs.entries > 100, `pairs ${st.pairs.entries}`);
});

test('other decay rates agree with the reference too', () => {
  const packets: Packet[] = [];
  for (let n = 0; n < 300; n++) packets.push([n * 0.37, n % 5, (n * 3) % 7, 1000 + (n % 3), 22, 6, 60 + ((n * 97) % 1400)]);
  compareRun(packets, { lambdas: [2, 0.5] });
});

test('decayFactor is 2^(−λ·Δt)', () => {
  for (const l of [5, 3, 1, 0.1, 0.01, 0.001]) {
    for (const dt of [1e-6, 0.001, 0.3, 1, 7.5, 100, 1000]) {
      const want = 2 ** (-l * dt);
      const got = decayFactor(decayConstant(l), dt);
      assert.ok(Math.abs(got - want) <= 1e-13 * want || (want < 1e-300 && got < 1e-300), `λ=${l} Δt=${dt}: ${got} vs ${want}`);
    }
  }
  assert.equal(decayFactor(decayConstant(1), 0), 1);
  assert.equal(decayFactor(decayConstant(1), -3), 1); // out of order: no decay
});

test('a long idle gap decays the weight to zero without producing NaN', () => {
  const fx = new FlowFeatureExtractor();
  const out = new Float64Array(fx.featureCount);
  fx.update(0, A, B, 1, 2, 17, 500, out, 0);
  fx.update(0.5, B, A, 2, 1, 17, 700, out, 0);
  fx.update(10_000, A, B, 1, 2, 17, 500, out, 0); // λ = 5: 2^(−50,000) underflows to 0
  for (const v of out) assert.ok(Number.isFinite(v), `non-finite feature in ${[...out]}`);
});

test('Float32 records: a constant stream reads std 0 and a small spread against a large mean keeps its std', () => {
  const fx = new FlowFeatureExtractor();
  const out = new Float64Array(fx.featureCount);
  const l1 = DEFAULT_LAMBDAS.indexOf(1);
  const H = 3 * l1;
  const JIT = 50 + 3 * l1;
  // 1,500-byte packets every 0.1 s (a gap Float32 cannot hold exactly): sizes and gaps constant
  for (let n = 0; n < 400; n++) fx.update(1_700_000_000 + n * 0.1, A, B, 40000, 443, 6, 1500, out, 0);
  assert.equal(out[H + 2], 0, 'size std of a constant stream');
  assert.equal(out[JIT + 2], 0, 'jitter std of a constant stream');
  // then 1,500 and 1,501 alternating: std 0.5 against a mean of 1,500.5 (3e-4 of it), where
  // SS/w − mean² from Float32 sums would be off by about 1e-7·mean² = 0.2
  const ref = new RefStream(1, 0);
  for (let n = 0; n < 400; n++) {
    const t = 1_700_000_040 + n * 0.1;
    ref.insert(1500 + (n % 2), t - 1_700_000_000);
    fx.update(t, A, B, 40000, 443, 6, 1500 + (n % 2), out, 0);
  }
  assert.ok(out[H + 2]! > 0.4 && out[H + 2]! < 0.6, `std ${out[H + 2]}`);
  assert.ok(Math.abs(out[H + 2]! - ref.std()) <= 1e-3 * ref.std(), `std ${out[H + 2]}, reference ${ref.std()}`);
});
