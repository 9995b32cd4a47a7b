// Rows the flow meter leaves per pass over capture files (one shard, one verifier, each file on
// a timeline of its own), with the attempts config's defaults and with overrides:
//   node --import tsx bench/flood/rows-per-pass.ts '{"datagramsPerPort":65535}' FILE...
// prints per file: rows without aggregates, with the defaults, with the overrides.
import { basename } from 'node:path';
import { FlowMeter } from '../../src/detect/flow-meter.ts';
import type { FlowRecord } from '../../src/detect/flow-record.ts';
import { SessionVerifier } from '../../src/detect/session-verifier.ts';
import { readCaptureSync } from '../../src/net/pcap-file.ts';

const [overrides, ...files] = process.argv.slice(2);
const configs = [null, {}, JSON.parse(overrides ?? '{}')];
const totals = configs.map(() => 0);
for (const f of files) {
  const verifier = new SessionVerifier();
  const meters = configs.map((a) => new FlowMeter({ attempts: a }));
  const rows = configs.map(() => 0);
  const out: FlowRecord[] = [];
  readCaptureSync(f, (packets) => {
    verifier.mark(packets);
    const b = { shard: 0, packets, features: new Float64Array(0), featureCount: 0, geo: null };
    meters.forEach((m, i) => {
      m.observe(b, null, 0.5, out);
      m.expire(m.clock, out);
      rows[i] += out.length;
      out.length = 0;
    });
  });
  meters.forEach((m, i) => {
    m.flushAll(out);
    rows[i] += out.length;
    totals[i] += rows[i]!;
    out.length = 0;
  });
  console.log(`${basename(f)}\t${rows.join('\t')}`);
}
console.log(`total\t${totals.join('\t')}`);
