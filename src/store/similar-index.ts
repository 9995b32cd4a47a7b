// "Events like this one": the k nearest stored alerts to a flow-feature vector, through an
// HNSW index from usearch (keys are the alerts' ids).
//
// Normalisation. Flow features differ in magnitude by orders (weights are packet counts,
// sizes are bytes, radius is a variance², jitter is seconds, pcc is ±1, cov is signed), so a
// raw distance is decided by the radius and cov columns alone. Each value is mapped by
//   t = sign(x)·log1p(|x|)                      (fixed: compresses orders of magnitude, keeps sign)
//   z = clip((t − mean_j) / scale_j, ±Z_CLIP)   (per dimension, scale_j = max(std_j, STD_FLOOR))
// Measured on the shared captures (D18, a hydra capture from another network, queried
// against benign + scan + other hydra vectors; precision@10 of "brute" neighbours, random
// pick 0.30): raw l2 0.05, log1p alone 0.51, log1p + z-score 0.67 with statistics from a
// mix of vectors, 0.59 from benign ones only. l2sq on the z-scores is the default (cos gave
// the same or slightly less).
//
// Soundness: vectors are compared in the space they were indexed in, so the mean and scale
// must not move once a vector is in the HNSW graph. They are learned from the first
// `fitCount` vectors and then frozen (and saved with the index). Until then the vectors wait
// in a small pending set, searched exactly under statistics of that set as it is at query
// time (every compared vector goes through the same statistics, so the answer is consistent);
// the vector that completes the set fixes the statistics and the whole set moves into the
// graph. STD_FLOOR and Z_CLIP keep a feature that happened to be constant in the fitting
// sample from dominating every later distance. A store whose traffic changes character can
// rebuild an index from its kept raw vectors; this one never re-fits in place.
//
// File: usearch's own serialisation, then the pending raw vectors and their ids (float64),
// then a JSON header, its byte length (u32 LE) and a magic. usearch reads its blob by the
// lengths in its own header and ignores what follows; the file is written to a temporary
// name and renamed, so a crash leaves the previous file whole.

import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import usearch from 'usearch';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoimmuneError } from '../errors.ts';

const { Index, MetricKind, ScalarKind } = usearch;
let reindexSeq = 0;
type UsearchIndex = InstanceType<typeof Index>;

export interface SimilarHit {
  id: number;
  distance: number;
}

export type SimilarMetric = 'cos' | 'l2sq';

export interface SimilarIndexOptions {
  /** Length of every vector: featureCount() for flow features. */
  dimensions: number;
  /** Distance on the normalised vectors; default 'l2sq'. */
  metric?: SimilarMetric;
  /** Vectors whose statistics fix the normalisation; default 2048. */
  fitCount?: number;
}

const DEFAULT_FIT_COUNT = 2048;
/** z-scores are clipped to ±Z_CLIP. */
const Z_CLIP = 8;
/** Smallest per-dimension scale, in log1p units (≈ a 5% change of the raw value). */
const STD_FLOOR = 0.05;

const MAGIC = Buffer.from('AISIMIX1', 'latin1');
const FILE_VERSION = 1;
// HNSW parameters, measured on synthetic vectors around real ones (bench/store-similar.ts;
// recall@10 against an exact scan, ±0.01 between builds; 2 busy cores):
//   100k, expansion_add 128 / search 64 (usearch's defaults): recall 0.975, ~7k inserts/s
//   100k, expansion_add 64 / search 128:                      recall 0.99,  ~12–22k inserts/s
//   100k, expansion_add 40 / search 128:                      recall 0.96
//   1M,   expansion_add 64 / search 128: recall 0.94, p95 0.6 ms; search 256: 0.975, 1.3 ms
// so a cheaper build and a wide search, well inside the 10 ms goal. Vectors are kept as
// float16: half the memory of float32, faster here, and z-scores within ±8 lose nothing
// that matters to a ranking (about 3 significant digits). The file keeps the quantisation,
// not the expansions, so these are passed again on load.
const CONNECTIVITY = 16;
const EXPANSION_ADD = 64;
const EXPANSION_SEARCH = 256;
const QUANTIZATION = ScalarKind.F16;

/** A vector, id or k that the index cannot take. */
export class SimilarInputError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_SIMILAR_INPUT', message, { statusCode: 400 });
  }
}

/** usearch did not do what it was asked (a key kept after its removal). */
export class SimilarIndexError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_SIMILAR_INDEX', message);
  }
}

/** A saved index that cannot be read back. */
export class SimilarIndexFileError extends AutoimmuneError {
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('AI_ERR_SIMILAR_FILE', `similar index ${path}: ${problem}; delete it to rebuild the index from the store`, options);
  }
}

interface FileHeader {
  version: number;
  dimensions: number;
  metric: SimilarMetric;
  fitCount: number;
  mean: number[] | null;
  scale: number[] | null;
  usearchBytes: number;
  pending: number;
}

const signedLog1p = (x: number): number => (x < 0 ? -Math.log1p(-x) : Math.log1p(x));

/** The pending set under its own statistics: ids and normalised rows in insertion order. */
interface ProvisionalSet {
  mean: Float64Array;
  scale: Float64Array;
  ids: number[];
  rows: Float32Array;
}

export class SimilarIndex {
  readonly dimensions: number;
  readonly metric: SimilarMetric;
  readonly fitCount: number;
  private readonly index: UsearchIndex;
  // frozen statistics (null until fitCount vectors have been seen)
  private mean: Float64Array | null = null;
  private scale: Float64Array | null = null;
  // before the fit: raw vectors by id, in insertion order
  private pending = new Map<number, Float64Array>();
  // statistics and normalised rows of the pending set, rebuilt when it changes
  private provisional: ProvisionalSet | null = null;
  private readonly scratch: Float32Array;
  /** Times a failed removal made the key table be rebuilt (never with usearch 2.26). */
  keyRebuilds = 0;

  constructor(options: SimilarIndexOptions) {
    const { dimensions, metric = 'l2sq', fitCount = DEFAULT_FIT_COUNT } = options;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65_536) {
      throw new SimilarInputError(`similar index: dimensions must be an integer from 1 to 65,536, got ${String(dimensions)}`);
    }
    if (metric !== 'cos' && metric !== 'l2sq') throw new SimilarInputError(`similar index: metric must be 'cos' or 'l2sq', got ${JSON.stringify(metric)}`);
    if (!Number.isInteger(fitCount) || fitCount < 2 || fitCount > 1_000_000) {
      throw new SimilarInputError(`similar index: fitCount must be an integer from 2 to 1,000,000, got ${String(fitCount)}`);
    }
    this.dimensions = dimensions;
    this.metric = metric;
    this.fitCount = fitCount;
    this.scratch = new Float32Array(dimensions);
    this.index = new Index({
      dimensions,
      metric: metric === 'cos' ? MetricKind.Cos : MetricKind.L2sq,
      quantization: QUANTIZATION,
      connectivity: CONNECTIVITY,
      expansion_add: EXPANSION_ADD,
      expansion_search: EXPANSION_SEARCH,
      multi: false,
    });
  }

  /** Stored alerts. */
  get size(): number {
    return this.pending.size + this.index.size();
  }

  /** Whether the normalisation is fixed (fitCount vectors seen). */
  get fitted(): boolean {
    return this.mean !== null;
  }

  /**
   * Whether alert `id` is stored (pending or in the graph): the membership test of a keyed set
   * beside add, remove and size. A search cannot answer it (the graph is approximate: a stored
   * vector can miss itself), so it is how one sees that a vector was kept (the fit, a load).
   */
  has(id: number): boolean {
    this.checkId(id);
    return this.pending.has(id) || (this.index.contains(BigInt(id)) as boolean);
  }

  /** Adds alert `id` with its raw feature vector; an id already stored is replaced. */
  add(id: number, features: ArrayLike<number>): void {
    this.checkId(id);
    this.checkVector(features, id);
    this.addChecked(id, features);
  }

  /**
   * Adds many alerts at once (all are checked before any is added). The insertion runs on
   * all cores but synchronously (~10–20k vectors/s on 2 cores): keep batches modest on the
   * event loop.
   */
  addMany(ids: readonly number[], vectors: readonly ArrayLike<number>[]): void {
    if (ids.length !== vectors.length) throw new SimilarInputError(`similar index: ${ids.length} ids but ${vectors.length} vectors`);
    const seen = new Set<number>();
    for (let i = 0; i < ids.length; i++) {
      this.checkId(ids[i]);
      if (seen.has(ids[i])) throw new SimilarInputError(`similar index: alert id ${ids[i]} appears twice in one addMany call`);
      seen.add(ids[i]);
      this.checkVector(vectors[i], ids[i]);
    }
    let i = 0;
    for (; i < ids.length && !this.mean; i++) this.addChecked(ids[i], vectors[i]);
    if (i === ids.length) return;
    for (let r = i; r < ids.length; r++) this.removeQuiet(ids[r]);
    this.addToGraph(ids, vectors, i);
  }

  /** The k nearest stored alerts to `features`, nearest first, without `excludeId`. */
  search(features: ArrayLike<number>, k: number, excludeId?: number): SimilarHit[] {
    this.checkVector(features, undefined);
    if (!Number.isInteger(k) || k < 1 || k > 10_000) throw new SimilarInputError(`similar index: k must be an integer from 1 to 10,000, got ${String(k)}`);
    if (excludeId !== undefined) this.checkId(excludeId);
    if (!this.mean) return this.searchPending(features, k, excludeId);
    if (this.index.size() === 0) return [];
    this.normalise(features, this.scratch, this.mean, this.scale!);
    const excluded = excludeId !== undefined && (this.index.contains(BigInt(excludeId)) as boolean);
    const m = this.index.search(this.scratch, excluded ? k + 1 : k, 1);
    const hits: SimilarHit[] = [];
    for (let i = 0; i < m.keys.length && hits.length < k; i++) {
      const id = Number(m.keys[i]);
      if (id !== excludeId) hits.push({ id, distance: m.distances[i] });
    }
    return hits;
  }

  /**
   * `features` as the index compares them: under the frozen statistics, or before the fit
   * under those of the pending set as it is now. For exact reference scans and inspection.
   */
  toIndexSpace(features: ArrayLike<number>, out = new Float32Array(this.dimensions)): Float32Array {
    this.checkVector(features, undefined);
    if (out.length !== this.dimensions) throw new SimilarInputError(`similar index: out holds ${out.length} values, ${this.dimensions} needed`);
    if (this.mean) this.normalise(features, out, this.mean, this.scale!);
    else {
      // nothing stored yet: no statistics, the fixed transform alone
      const p = this.provisionalSet() ?? { mean: new Float64Array(this.dimensions), scale: new Float64Array(this.dimensions).fill(1) };
      this.normalise(features, out, p.mean, p.scale);
    }
    return out;
  }

  /** Forgets alert `id` (retention); an unknown id is ignored. */
  remove(id: number): void {
    this.checkId(id);
    this.removeQuiet(id);
  }

  /** Writes the index, its statistics and any pending vectors to `path` (atomically). */
  save(path: string): void {
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      this.index.save(tmp);
      const usearchBytes = statSync(tmp).size;
      const header: FileHeader = {
        version: FILE_VERSION,
        dimensions: this.dimensions,
        metric: this.metric,
        fitCount: this.fitCount,
        mean: this.mean ? Array.from(this.mean) : null,
        scale: this.scale ? Array.from(this.scale) : null,
        usearchBytes,
        pending: this.pending.size,
      };
      const json = Buffer.from(JSON.stringify(header));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(json.length);
      const fd = openSync(tmp, 'a');
      try {
        const rows = new Float64Array(this.pending.size * this.dimensions);
        const ids = new Float64Array(this.pending.size);
        let r = 0;
        for (const [id, v] of this.pending) {
          rows.set(v, r * this.dimensions);
          ids[r++] = id;
        }
        for (const part of [rows, ids, json, len, MAGIC]) writeSync(fd, new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /** Reads an index written by save(). */
  static load(path: string): SimilarIndex {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new SimilarIndexFileError(path, `cannot be opened (${(err as Error).message})`, { cause: err });
    }
    try {
      const size = fstatSync(fd).size;
      const tail = Buffer.alloc(4 + MAGIC.length);
      if (size < tail.length || readSync(fd, tail, 0, tail.length, size - tail.length) !== tail.length || !tail.subarray(4).equals(MAGIC)) {
        throw new SimilarIndexFileError(path, 'is not a saved similar index (no trailer)');
      }
      const jsonLen = tail.readUInt32LE(0);
      const jsonAt = size - tail.length - jsonLen;
      if (jsonAt < 0) throw new SimilarIndexFileError(path, `is truncated (header of ${jsonLen} bytes in a file of ${size})`);
      const json = Buffer.alloc(jsonLen);
      readSync(fd, json, 0, jsonLen, jsonAt);
      let h: FileHeader;
      try {
        h = JSON.parse(json.toString('utf8')) as FileHeader;
      } catch (err) {
        throw new SimilarIndexFileError(path, 'has an unreadable header', { cause: err });
      }
      if (h.version !== FILE_VERSION) throw new SimilarIndexFileError(path, `is version ${String(h.version)}, this build reads version ${FILE_VERSION}`);
      const pendingBytes = h.pending * (h.dimensions + 1) * 8;
      if (h.usearchBytes + pendingBytes !== jsonAt) throw new SimilarIndexFileError(path, `has ${jsonAt} bytes before its header, ${h.usearchBytes + pendingBytes} expected`);

      let out: SimilarIndex;
      try {
        out = new SimilarIndex({ dimensions: h.dimensions, metric: h.metric, fitCount: h.fitCount });
      } catch (err) {
        throw new SimilarIndexFileError(path, `has a bad header (${(err as Error).message})`, { cause: err });
      }
      if ((h.mean === null) !== (h.scale === null) || (h.mean && (h.mean.length !== h.dimensions || h.scale!.length !== h.dimensions))) {
        throw new SimilarIndexFileError(path, 'has statistics that do not match its dimensions');
      }
      if (h.mean && h.scale) {
        out.mean = Float64Array.from(h.mean);
        out.scale = Float64Array.from(h.scale);
      }
      try {
        out.index.load(path);
      } catch (err) {
        throw new SimilarIndexFileError(path, `usearch could not load it (${(err as Error).message})`, { cause: err });
      }
      if (out.index.dimensions() !== h.dimensions) throw new SimilarIndexFileError(path, `holds ${out.index.dimensions()}-dimensional vectors, its header says ${h.dimensions}`);
      if (h.pending > 0) {
        const raw = Buffer.alloc(pendingBytes);
        readSync(fd, raw, 0, pendingBytes, h.usearchBytes);
        const f = new Float64Array(raw.buffer, raw.byteOffset, pendingBytes / 8);
        const idsAt = h.pending * h.dimensions;
        for (let r = 0; r < h.pending; r++) out.pending.set(f[idsAt + r], f.slice(r * h.dimensions, (r + 1) * h.dimensions));
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }

  // ---------------------------------------------------------------------------------------

  private addChecked(id: number, features: ArrayLike<number>): void {
    this.removeQuiet(id);
    if (this.mean) {
      this.normalise(features, this.scratch, this.mean, this.scale!);
      this.index.add(BigInt(id), this.scratch, 1);
      return;
    }
    this.pending.set(id, Float64Array.from(features));
    this.provisional = null;
    if (this.pending.size >= this.fitCount) this.fit();
  }

  /** Normalises vectors[from..] under the frozen statistics and adds them in one native call, which inserts on all cores. */
  private addToGraph(ids: readonly number[], vectors: readonly ArrayLike<number>[], from = 0): void {
    const d = this.dimensions;
    const n = ids.length - from;
    const keys = new BigUint64Array(n);
    const rows = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      keys[r] = BigInt(ids[from + r]);
      this.normalise(vectors[from + r], rows.subarray(r * d, (r + 1) * d), this.mean!, this.scale!);
    }
    this.index.add(keys, rows, 0);
  }

  private removeQuiet(id: number): void {
    if (this.pending.delete(id)) this.provisional = null;
    else if (this.mean) this.removeFromGraph(BigInt(id));
  }

  /**
   * Removes a key and checks that it went. usearch 2.25.3 failed some removals once its key
   * table had no empty slot left (all live or tombstones, as retention's churn leaves it):
   * `remove` returned 0 and the key stayed, so a search could name an alert the store no
   * longer has. 2.26 reclaims tombstones (upstream pull request 769); should a removal still
   * fail, the key table is rebuilt (a save and a load, which index the live keys afresh) and
   * the key removed again. test/similar-index-churn.test.ts.
   */
  private removeFromGraph(key: bigint): void {
    if ((this.index.remove(key) as number) > 0 || !(this.index.contains(key) as boolean)) return;
    this.reindexKeys();
    this.index.remove(key);
    if (this.index.contains(key) as boolean) throw new SimilarIndexError(`similar index: usearch kept alert ${key} after removing it, even with its keys indexed afresh`);
  }

  /** Writes the graph to a temporary file and reads it back: usearch indexes the live keys anew, without tombstones. */
  private reindexKeys(): void {
    const tmp = join(tmpdir(), `autoimmune-similar-${process.pid}-${++reindexSeq}.usearch`);
    try {
      this.index.save(tmp);
      this.index.load(tmp);
    } finally {
      rmSync(tmp, { force: true });
    }
    this.keyRebuilds++;
  }

  /** Fixes the statistics from the pending set and moves it into the graph. */
  private fit(): void {
    const { mean, scale } = statistics(this.pending.values(), this.dimensions);
    this.mean = mean;
    this.scale = scale;
    this.addToGraph([...this.pending.keys()], [...this.pending.values()]);
    this.pending.clear();
    this.provisional = null;
  }

  /** Exact search over the pending set, under its own current statistics. */
  private searchPending(features: ArrayLike<number>, k: number, excludeId: number | undefined): SimilarHit[] {
    const p = this.provisionalSet();
    if (!p) return [];
    const d = this.dimensions;
    const q = this.scratch;
    this.normalise(features, q, p.mean, p.scale);
    const hits: SimilarHit[] = [];
    for (let r = 0; r < p.ids.length; r++) {
      if (p.ids[r] === excludeId) continue;
      hits.push({ id: p.ids[r], distance: distance(this.metric, q, p.rows, r * d, d) });
    }
    hits.sort((a, b) => a.distance - b.distance || a.id - b.id);
    return hits.slice(0, k);
  }

  /** Statistics and normalised rows of the pending set (null when it is empty), cached. */
  private provisionalSet(): ProvisionalSet | null {
    if (this.pending.size === 0) return null;
    if (this.provisional) return this.provisional;
    const d = this.dimensions;
    const { mean, scale } = statistics(this.pending.values(), d);
    const ids = [...this.pending.keys()];
    const rows = new Float32Array(ids.length * d);
    let r = 0;
    for (const v of this.pending.values()) this.normalise(v, rows.subarray(r * d, ++r * d), mean, scale);
    return (this.provisional = { mean, scale, ids, rows });
  }

  private normalise(v: ArrayLike<number>, out: Float32Array, mean: Float64Array, scale: Float64Array): void {
    for (let j = 0; j < this.dimensions; j++) {
      const z = (signedLog1p(v[j]) - mean[j]) / scale[j];
      out[j] = z > Z_CLIP ? Z_CLIP : z < -Z_CLIP ? -Z_CLIP : z;
    }
  }

  private checkId(id: number): void {
    if (!Number.isSafeInteger(id) || id < 0) throw new SimilarInputError(`similar index: an alert id must be a non-negative safe integer, got ${String(id)}`);
  }

  private checkVector(v: ArrayLike<number>, id: number | undefined): void {
    const what = id === undefined ? 'the query vector' : `the vector of alert ${id}`;
    if (v === null || typeof v !== 'object' || typeof v.length !== 'number') throw new SimilarInputError(`similar index: ${what} must be an array of numbers, got ${String(v)}`);
    if (v.length !== this.dimensions) throw new SimilarInputError(`similar index: ${what} has ${v.length} values, the index holds ${this.dimensions}`);
    for (let j = 0; j < v.length; j++) {
      const x = v[j];
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new SimilarInputError(`similar index: value ${j} of ${what} is ${String(x)}; features must be finite numbers`);
    }
  }
}

/** Per-dimension mean and floored standard deviation of signed log1p values. */
function statistics(rows: Iterable<Float64Array>, d: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(d);
  const m2 = new Float64Array(d);
  let count = 0;
  for (const v of rows) {
    count++;
    for (let j = 0; j < d; j++) {
      // Welford: stable for values far from 0
      const t = signedLog1p(v[j]);
      const delta = t - mean[j];
      mean[j] += delta / count;
      m2[j] += delta * (t - mean[j]);
    }
  }
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) scale[j] = Math.max(Math.sqrt(m2[j] / Math.max(1, count)), STD_FLOOR);
  return { mean, scale };
}

/** usearch's definitions: l2sq = Σ(a−b)²; cos = 1 − a·b/(|a||b|), 0 when both are zero. */
function distance(metric: SimilarMetric, q: Float32Array, rows: Float32Array, at: number, d: number): number {
  if (metric === 'l2sq') {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const x = q[j] - rows[at + j];
      s += x * x;
    }
    return s;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = 0; j < d; j++) {
    ab += q[j] * rows[at + j];
    aa += q[j] * q[j];
    bb += rows[at + j] * rows[at + j];
  }
  if (aa === 0 && bb === 0) return 0;
  if (aa === 0 || bb === 0) return 1;
  return 1 - ab / Math.sqrt(aa * bb);
}
