// Several drop-rate.ts runs in one view: for each line, the median over the runs of its ns a
// packet (each run's own median round), their spread, and per run the ratio of each XDP kind
// to the nftables backend's rule of the same run (a ratio is only taken within a run: the
// machine's other work moves both sides between runs).
//
//   node --import tsx bench/node/drop-rate-runs.ts RUN.jsonl...
// RUN.jsonl: the JSON lines of one `bench/node/drop-rate.ts` run each. Prints JSON lines.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median } from '../report.ts';

interface Line {
  name: string;
  value: number | null;
  cpu_ns_per_packet?: number;
  xdp_program_ns_per_packet?: number;
  missing?: string;
}

/** The nftables backend's rule in the same lab (the reference of every ratio). */
function referenceOf(name: string): string | null {
  const m = /^(firewall_drop_pps_per_core_(?:xdp_frames_(?:live_)?)?)(xdp_\w+)$/.exec(name);
  return m ? `${m[1]}nftables` : null;
}

export function summarise(runs: Line[][]): Array<Record<string, unknown>> {
  const names = [...new Set(runs.flatMap((r) => r.map((l) => l.name)))];
  const out: Array<Record<string, unknown>> = [];
  for (const name of names) {
    const lines = runs.map((r) => r.find((l) => l.name === name));
    const ns = lines.flatMap((l) => (l?.value != null && l.cpu_ns_per_packet !== undefined ? [l.cpu_ns_per_packet] : []));
    if (ns.length === 0) {
      out.push({ name, runs: runs.length, measured: 0, missing: lines.map((l) => l?.missing ?? 'absent') });
      continue;
    }
    const ref = referenceOf(name);
    const ratios = ref === null ? [] : runs.flatMap((r) => {
      const a = r.find((l) => l.name === name)?.value;
      const b = r.find((l) => l.name === ref)?.value;
      return a != null && b != null ? [Math.round((a / b) * 100) / 100] : [];
    });
    const prog = lines.flatMap((l) => (l?.xdp_program_ns_per_packet === undefined ? [] : [l.xdp_program_ns_per_packet]));
    out.push({
      name,
      runs: runs.length,
      measured: ns.length,
      ns_per_packet_median: median(ns),
      ns_per_packet: ns,
      ...(ratios.length ? { ratio_to_nftables_median: median(ratios), ratio_to_nftables: ratios } : {}),
      ...(prog.length ? { program_ns_median: median(prog), program_ns: prog } : {}),
    });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runs = process.argv.slice(2).map((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Line));
  for (const r of summarise(runs)) process.stdout.write(`${JSON.stringify(r)}\n`);
}
