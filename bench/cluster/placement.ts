// Placement benchmark: how long the leader takes to compute an assignment, for a small
// cluster and a large one, from scratch and after a node joins.
//
//   node --import tsx bench/cluster/placement.ts     one JSON line per result
import { fileURLToPath } from 'node:url';
import { assign, movedActors } from '../../src/cluster/placement/assign.ts';
import type { PlacedSpec, PlacementNode } from '../../src/cluster/placement/types.ts';
import { median, report } from '../report.ts';

function cluster(nodes: number, shards: number): { specs: PlacedSpec[]; nodes: PlacementNode[] } {
  const ids = Array.from({ length: nodes }, (_, i) => `node-${i}`);
  const specs: PlacedSpec[] = [];
  for (const n of ids) specs.push({ id: `capture-${n}-eth0`, kind: 'capture', pin: n }, { id: `firewall-${n}`, kind: 'firewall', pin: n });
  for (let k = 0; k < shards; k++) specs.push({ id: `enricher-${k}`, kind: 'enricher', group: `shard-${k}` }, { id: `detector-${k}`, kind: 'detector', group: `shard-${k}` });
  specs.push({ id: 'trainer', kind: 'trainer' }, { id: 'floods', kind: 'floods' });
  return { specs, nodes: ids.map((id) => ({ id })) };
}

export function benchPlacement(): Array<{ name: string; value: number; unit: string; [k: string]: unknown }> {
  const out: Array<{ name: string; value: number; unit: string; [k: string]: unknown }> = [];
  for (const [n, shards] of [
    [7, 64],
    [64, 1024],
  ] as const) {
    const { specs, nodes } = cluster(n + 1, shards);
    const before = assign(specs, nodes.slice(0, n), new Map());
    const times: number[] = [];
    let moved = 0;
    for (let r = 0; r < 9; r++) {
      const t0 = performance.now();
      const after = assign(specs, nodes, before);
      times.push(performance.now() - t0);
      moved = movedActors(before, after).length;
    }
    out.push({ name: `placement_join_ms_${n}n_${shards}s`, value: Number(median(times).toFixed(3)), unit: 'ms per assign', actors: specs.length, moved });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of benchPlacement()) report(r);
}
