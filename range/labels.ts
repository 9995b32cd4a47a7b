// labels.tsv beside the range's captures, in the format of the shared captures' labels
// (file, class, attackers, victims, packets, note), so `autoimmune eval --attackers` and the
// tests read them like the recorded ones.

import { basename } from 'node:path';
import type { RunResult } from './run.ts';
import type { Scenario } from './scenarios.ts';
import { SUBNET } from './lab.ts';

export const VICTIM_IP = `${SUBNET}.1`;

export function labelRow(s: Scenario, r: RunResult): string {
  const attackers = s.class === 'benign' || s.spoofed ? '-' : r.source;
  const victims = s.class === 'benign' ? '-' : VICTIM_IP;
  const note = s.spoofed ? `spoofed sources: ${s.note}` : s.class === 'benign' ? `benign client ${r.source}: ${s.note}` : `${s.tool}: ${s.note}`;
  return [basename(r.pcap ?? ''), s.class, attackers, victims, String(r.packets), note].join('\t');
}

export function labelsTsv(scenarios: readonly Scenario[], results: readonly RunResult[]): string {
  const rows = results.filter((r) => r.pcap).map((r) => labelRow(scenarios.find((s) => s.name === r.scenario)!, r));
  return `${['file', 'class', 'attackers', 'victims', 'packets', 'note'].join('\t')}\n${rows.map((r) => `${r}\n`).join('')}`;
}
