// Packet-path benchmark: each stage alone, a whole replay through the pipeline against
// tshark on the same files in the same run, live-capture loss against tcpdump, and RSS.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openGeoLookup } from '../src/geo/geo-lookup.ts';
import { replay } from '../src/node/replay.ts';
import { benchDecode } from './packets/decode.ts';
import { benchEnrich } from './packets/enrich.ts';
import { benchFeatures } from './packets/features.ts';
import { benchLive } from './packets/live.ts';
import { median, report } from './report.ts';

const PCAP_DIR = new URL('../../shared/data/pcap/', import.meta.url).pathname;

async function replayRun(): Promise<void> {
  const files = readdirSync(PCAP_DIR).filter((f) => /^D\d+.*\.pcap(ng)?$/.test(f)).sort().map((f) => join(PCAP_DIR, f));
  const geo = await openGeoLookup();
  // Three passes over every shared capture (112,205 packets each); the median is reported.
  const ours: number[] = [];
  let pps = 0;
  let packets = 0;
  for (let r = 0; r < 3; r++) {
    const s = await replay(files, { speed: 0, shards: 2, batchSize: 256, geo });
    if (s.enriched !== s.packets) throw new Error(`replay lost packets: ${s.enriched} of ${s.packets}`);
    ours.push(s.elapsedS);
    pps = Math.max(pps, s.packetsPerS);
    packets = s.packets;
  }
  const rssMb = Math.round(process.memoryUsage().rss / 1048576);
  const tshark: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (const f of files) {
      const res = spawnSync('tshark', ['-n', '-r', f, '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst'], { stdio: ['ignore', 'ignore', 'ignore'] });
      if (res.status !== 0) throw new Error(`tshark failed on ${f}: is it installed? (npm run setup)`);
    }
    tshark.push((performance.now() - t0) / 1000);
  }
  report({ name: 'replay_pps', value: Math.round(packets / median(ours)), unit: 'packets/s', packets, best_pps: pps, note: 'every shared capture: decode → 2 shards → features → GeoIP, median of 3' });
  report({ name: 'tshark_ratio', value: Math.round((median(ours) / median(tshark)) * 1000) / 1000, unit: 'ratio', ours_s: median(ours), tshark_s: median(tshark), note: 'our replay time / tshark -T fields -e ip.src -e ip.dst on the same files' });
  report({ name: 'rss_mb', value: rssMb, unit: 'MB', geo_files: geo.stats().files, note: 'at the end of the replay run; the GeoIP files are read by pages (geo_files: pages held, bytes)' });
}

export async function run(): Promise<void> {
  await replayRun();
  for (const r of await benchDecode()) report({ ...r });
  for (const r of await benchFeatures()) report({ ...r });
  for (const r of await benchEnrich()) report({ ...r });
  if (process.getuid?.() === 0) for (const r of await benchLive()) report({ ...r });
  else report({ name: 'live_loss_ratio_200k', value: -1, unit: 'ratio', note: 'skipped: live capture needs root' });
}
