// Kitsune's feature mapper (corClust): which features go into which small autoencoder.
// Features that move together are reconstructed by the same autoencoder, so each one stays
// small. Correlations come from running sums over the first rows (Welford's update, exact
// where Kitsune's residual sums approximate); distance = 1 − |corr|; single-linkage
// agglomerative clustering (SciPy's default, as Kitsune uses), then the dendrogram is cut
// top-down until every cluster has at most `maxClusterSize` features.
// A feature that is constant over the rows has no correlation: its distance to every other
// feature is 1 (Kitsune gets the same by dividing by 1e-100), never NaN.
// Deterministic: ties are broken by feature index.

/** Running means and co-moments of the feature columns. */
export class CorrelationAccumulator {
  rows = 0;
  private readonly mean: Float64Array;
  /** Upper triangle (with diagonal) of Σ (x_i − mean_i)(x_j − mean_j), row-major n×n. */
  private readonly comoment: Float64Array;
  private readonly delta: Float64Array;

  constructor(readonly featureCount: number) {
    this.mean = new Float64Array(featureCount);
    this.comoment = new Float64Array(featureCount * featureCount);
    this.delta = new Float64Array(featureCount);
  }

  /** Adds row `r` of a row-major matrix. */
  add(rows: Float64Array, r: number): void {
    const n = this.featureCount;
    const base = r * n;
    const k = ++this.rows;
    const { mean, comoment, delta } = this;
    for (let i = 0; i < n; i++) {
      const d = rows[base + i]! - mean[i]!;
      delta[i] = d;
      mean[i]! += d / k;
    }
    // M_ij += (x_i − old mean_i)(x_j − new mean_j): the bivariate Welford update
    for (let i = 0; i < n; i++) {
      const di = delta[i]!;
      const row = i * n;
      for (let j = i; j < n; j++) comoment[row + j]! += di * (rows[base + j]! - mean[j]!);
    }
  }

  /** 1 − |Pearson correlation|, symmetric n×n with a zero diagonal. */
  distances(): Float64Array {
    const n = this.featureCount;
    const D = new Float64Array(n * n);
    const sd = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = this.comoment[i * n + i]!;
      // variance within rounding noise of the mean's square counts as constant
      const m = this.mean[i]!;
      sd[i] = v > 0 && v > 1e-12 * this.rows * m * m ? Math.sqrt(v) : 0;
    }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const s = sd[i]! * sd[j]!;
        const corr = s > 0 ? this.comoment[i * n + j]! / s : 0;
        const d = Math.min(1, Math.max(0, 1 - Math.abs(corr)));
        D[i * n + j] = d;
        D[j * n + i] = d;
      }
    }
    return D;
  }
}

interface Node {
  left: number;
  right: number;
  size: number;
}

/**
 * Single-linkage clustering of n items from a symmetric distance matrix, cut top-down into
 * clusters of at most `maxSize` items. Clusters are returned with their items ascending,
 * ordered by their first item.
 */
export function clusterByDistance(D: Float64Array, n: number, maxSize: number): number[][] {
  if (n === 0) return [];
  // Single linkage = merging along the minimum spanning tree's edges in ascending order.
  // Prim's algorithm, O(n²), then a union-find builds the dendrogram.
  const inTree = new Uint8Array(n);
  const best = new Float64Array(n).fill(Infinity);
  const from = new Int32Array(n).fill(-1);
  const edges: Array<[number, number, number]> = [];
  best[0] = 0;
  for (let step = 0; step < n; step++) {
    let u = -1;
    for (let v = 0; v < n; v++) if (!inTree[v] && (u < 0 || best[v]! < best[u]!)) u = v;
    inTree[u] = 1;
    if (from[u]! >= 0) edges.push([best[u]!, Math.min(u, from[u]!), Math.max(u, from[u]!)]);
    for (let v = 0; v < n; v++) {
      if (!inTree[v] && D[u * n + v]! < best[v]!) {
        best[v] = D[u * n + v]!;
        from[v] = u;
      }
    }
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  // Nodes 0..n−1 are the items; merge k creates node n+k (SciPy's numbering).
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) nodes.push({ left: -1, right: -1, size: 1 });
  const parent = new Int32Array(2 * n).map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  for (const [, a, b] of edges) {
    const ra = find(a);
    const rb = find(b);
    const id = nodes.length;
    nodes.push({ left: Math.min(ra, rb), right: Math.max(ra, rb), size: nodes[ra]!.size + nodes[rb]!.size });
    parent[ra] = id;
    parent[rb] = id;
  }
  const clusters: number[][] = [];
  const leaves = (id: number, out: number[]): number[] => {
    const node = nodes[id]!;
    if (node.left < 0) out.push(id);
    else {
      leaves(node.left, out);
      leaves(node.right, out);
    }
    return out;
  };
  const cut = (id: number): void => {
    const node = nodes[id]!;
    if (node.size <= maxSize) clusters.push(leaves(id, []).sort((a, b) => a - b));
    else {
      cut(node.left);
      cut(node.right);
    }
  };
  cut(nodes.length - 1);
  return clusters.sort((a, b) => a[0]! - b[0]!);
}

/** Groups of feature indices from the first `fmRows` rows (all rows if fewer). */
export function mapFeatures(rows: Float64Array, rowCount: number, featureCount: number, fmRows: number, maxClusterSize: number): number[][] {
  if (!Number.isInteger(maxClusterSize) || maxClusterSize < 1) throw new RangeError(`feature mapper: maxClusterSize must be a positive integer, got ${maxClusterSize}`);
  const acc = new CorrelationAccumulator(featureCount);
  const use = Math.min(rowCount, fmRows);
  for (let r = 0; r < use; r++) acc.add(rows, r);
  return clusterByDistance(acc.distances(), featureCount, maxClusterSize);
}
