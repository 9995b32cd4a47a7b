// The decoder of this tree against another tree's (a build of main, say), in one process:
// both decode every frame of the shared captures into a batch of their own layout, passes
// alternated, and the median of each round's time ratio is reported, so a change to the row
// (PAYLOAD_HEAD_BYTES, a column) is priced against a reference measured in the same run.
//
//   node --import tsx bench/packets/decode-ab.ts --base /work/wt-base16 [--rounds 21]
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadFrames } from './decode.ts';
import { median, report } from '../report.ts';

interface Tree {
  decodeFrame: (b: unknown, i: number, buf: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number, ts: number, stats: unknown) => unknown;
  batch: { capacity: number };
  stats: unknown;
  rowBytes: number;
  headBytes: number;
}

async function tree(root: string): Promise<Tree> {
  const at = (p: string) => pathToFileURL(join(root, p)).href;
  const dec = await import(at('src/net/decode.ts'));
  const pb = await import(at('src/net/packet-batch.ts'));
  const ds = await import(at('src/net/decode-stats.ts'));
  return { decodeFrame: dec.decodeFrame, batch: new pb.PacketBatch(1024), stats: new ds.DecodeStats(), rowBytes: pb.PACKET_ROW_BYTES, headBytes: pb.PAYLOAD_HEAD_BYTES };
}

const { values } = parseArgs({ options: { base: { type: 'string' }, rounds: { type: 'string', default: '21' } } });
if (!values.base) throw new Error('decode-ab: --base ROOT (a tree with src/) is required');
const here = fileURLToPath(new URL('../../', import.meta.url));
const [ours, base] = [await tree(here), await tree(values.base)];
const dir = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));
const set = loadFrames(readdirSync(dir).filter((f) => /^D\d+.*\.pcap(ng)?$/.test(f)).sort().map((f) => join(dir, f)));

function pass(t: Tree): number {
  const mask = t.batch.capacity - 1;
  const { bytes, offset, caplen, wirelen, linkType, ts } = set;
  const t0 = performance.now();
  for (let k = 0; k < set.count; k++) t.decodeFrame(t.batch, k & mask, bytes, offset[k], caplen[k], wirelen[k], linkType[k], ts[k], t.stats);
  return performance.now() - t0;
}

for (let w = 0; w < 3; w++) { pass(base); pass(ours); }
const ratios: number[] = [];
const oursMs: number[] = [];
const baseMs: number[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  // Alternate which goes first, so neither always runs on a warmer cache.
  let o: number, b: number;
  if (r % 2) { o = pass(ours); b = pass(base); } else { b = pass(base); o = pass(ours); }
  oursMs.push(o); baseMs.push(b); ratios.push(o / b);
}
report({ name: 'decode_ab_ratio', value: Number(median(ratios).toFixed(3)), unit: 'ratio (this tree\'s decode time / the base tree\'s, same rounds)', head_bytes: ours.headBytes, base_head_bytes: base.headBytes, row_bytes: ours.rowBytes, base_row_bytes: base.rowBytes, packets_per_pass: set.count });
report({ name: 'decode_ab_pps', value: Math.round(set.count / (median(oursMs) / 1000)), unit: 'packets/s', base_pps: Math.round(set.count / (median(baseMs) / 1000)) });
