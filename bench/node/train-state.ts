// A state dir with a trained, promoted model (as the node benchmark trains it: trainBenchModel
// on the benign shared captures, 10,000 rows, 2 epochs), for runs of node-run by hand and for
// bench/node/ab.sh:
//   node --import tsx bench/node/train-state.ts DIR
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.ts';
import { trainBenchModel } from './train-model.ts';

const dir = process.argv[2];
if (dir === undefined || dir === '--help' || dir === '-h') {
  console.error('Usage: node --import tsx bench/node/train-state.ts DIR  (DIR: the state dir to make; a promoted model is written under DIR/models)');
  process.exit(dir === undefined ? 2 : 0);
}
const pcaps = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));
const benign = readdirSync(pcaps).filter((f) => /^D\d+_benign_.*\.pcap(ng)?$/.test(f)).sort().map((f) => join(pcaps, f));
if (benign.length === 0) {
  console.error(`train-state: no benign shared captures in ${pcaps}`);
  process.exit(1);
}
mkdirSync(dir, { recursive: true });
const { config } = loadConfig();
console.log(JSON.stringify(await trainBenchModel(dir, benign, { ...config.model, epochs: 2 }, 10_000)));
