// What a looping replay's restart costs to pass over what it delivered: a FileSource over the
// chaos traffic opened with `skip` packets, the ms until it hands out its first packet, with
// the pass measured by an earlier source (passes, as the node keeps it) and without. One JSON
// line per skip.
//
//   node --import tsx bench/packets/file-source-skip.ts 1000000 10000000

import { fileURLToPath } from 'node:url';
import { DEFAULT_TRAFFIC } from '../../chaos/run.ts';
import { FileSource, type LoopPass } from '../../src/net/file-source.ts';

const PCAP = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));
const files = DEFAULT_TRAFFIC.map((f) => PCAP + f);
const skips = process.argv.slice(2).map(Number);
const passes: LoopPass = {};
// One pass and a little more, as the first incarnation reads it.
const first = new FileSource(files, { loop: true, passes, limit: 20_000 });
while (await first.next());
const firstPacket = async (o: { passes?: LoopPass }, skip: number): Promise<number> => {
  const t0 = performance.now();
  const s = new FileSource(files, { loop: true, skip, ...o });
  await s.next();
  const ms = performance.now() - t0;
  await s.close();
  return ms;
};
for (const skip of skips.length ? skips : [1_000_000]) {
  const measured = await firstPacket({ passes }, skip);
  const unmeasured = await firstPacket({}, skip);
  console.log(JSON.stringify({ name: 'file_source_skip', skip, passPackets: passes.packets, msWithPass: Math.round(measured * 10) / 10, msReadingAll: Math.round(unmeasured) }));
}
