// What a chaos run comes to: recovery times by fault kind, the invariants with their evidence,
// and one verdict. Pure: the runner hands in records and invariant results.

import { ConfigError } from '../src/errors.ts';
import { FAULT_KINDS, type ChaosReport, type FaultKind, type FaultRecord, type InvariantResult, type RecoveryStats } from './types.ts';

/** Added by buildReport from the records; a caller may not supply its own. */
export const EVERY_FAULT_RECOVERED = 'every-fault-recovered';

/** Per kind: how many, how many recovered, and nearest-rank p50/p99/max of recovery time (from the heal where there was one, else from the injection). */
export function recoveryStats(records: readonly FaultRecord[]): Record<FaultKind, RecoveryStats> {
  const times = new Map<FaultKind, number[]>(FAULT_KINDS.map((k) => [k, []]));
  const counts = new Map<FaultKind, number>(FAULT_KINDS.map((k) => [k, 0]));
  for (const r of records) {
    counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
    if (r.recoveredAt !== null) times.get(r.kind)?.push(r.recoveredAt - (r.healedAt ?? r.startedAt));
  }
  const out = {} as Record<FaultKind, RecoveryStats>;
  for (const k of FAULT_KINDS) {
    const t = times.get(k)!.sort((a, b) => a - b);
    out[k] = {
      count: counts.get(k)!,
      recovered: t.length,
      p50Ms: nearestRank(t, 50),
      p99Ms: nearestRank(t, 99),
      maxMs: t.length === 0 ? null : t[t.length - 1]!,
    };
  }
  return out;
}

/** The p-th percentile of sorted values by nearest rank: the ⌈p/100·n⌉-th smallest. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

export interface ReportInput {
  seed: number;
  durationS: number;
  /** The node ids (or just how many). */
  nodes: readonly string[] | number;
  etcdMembers: readonly string[] | number;
  records: readonly FaultRecord[];
  invariants: Record<string, InvariantResult>;
}

/** ok only if every invariant held, including that every injected fault recovered. */
export function buildReport(o: ReportInput): ChaosReport {
  if (EVERY_FAULT_RECOVERED in o.invariants) {
    throw new ConfigError(`invariant name ${JSON.stringify(EVERY_FAULT_RECOVERED)} is computed from the records; do not supply it`);
  }
  const unrecovered = o.records.filter((r) => r.recoveredAt === null);
  const recovered: InvariantResult = {
    held: unrecovered.length === 0,
    evidence:
      unrecovered.length === 0
        ? `all ${o.records.length} faults recovered`
        : `${unrecovered.length} of ${o.records.length} faults never recovered: ` +
          unrecovered.map((r) => `${r.kind} ${r.target} at ${seconds(r.atMs)} s (${r.detail})`).join('; '),
  };
  const invariants = { ...o.invariants, [EVERY_FAULT_RECOVERED]: recovered };
  return {
    ok: Object.values(invariants).every((i) => i.held),
    seed: o.seed,
    durationS: o.durationS,
    nodes: typeof o.nodes === 'number' ? o.nodes : o.nodes.length,
    etcdMembers: typeof o.etcdMembers === 'number' ? o.etcdMembers : o.etcdMembers.length,
    faults: recoveryStats(o.records),
    invariants,
  };
}

/** A short human summary: header, recovery table by kind (seconds), then each invariant. */
export function formatSummary(r: ChaosReport): string {
  const lines = [
    `chaos seed ${r.seed} · ${r.durationS} s · ${r.nodes} node${r.nodes === 1 ? '' : 's'} · ` +
      `${r.etcdMembers} etcd member${r.etcdMembers === 1 ? '' : 's'} · ${r.ok ? 'OK' : 'BROKEN'}`,
    '',
  ];
  const rows = [['fault', 'count', 'recovered', 'p50 s', 'p99 s', 'max s']];
  for (const k of FAULT_KINDS) {
    const s = r.faults[k];
    rows.push([k, String(s.count), String(s.recovered), seconds(s.p50Ms), seconds(s.p99Ms), seconds(s.maxMs)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) lines.push(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  lines.push('(recovery: from the injection for crash and kill-node, which is failover; from the heal for the others)', '');
  for (const [name, inv] of Object.entries(r.invariants)) lines.push(`${inv.held ? '✔' : '✘'} ${name} — ${inv.evidence}`);
  return lines.join('\n');
}

function seconds(ms: number | null): string {
  return ms === null ? '—' : (ms / 1000).toFixed(2);
}
