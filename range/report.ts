// The range's results as the JSON line and the readable table (pure: no I/O).

import type { RunResult } from './run.ts';
import type { Scenario } from './scenarios.ts';
import { SYSTEMS, type SystemName } from './types.ts';

export interface AutoimmuneOutcome {
  banned: string[];
  alerted: boolean;
  time_to_block_s: number | null;
  status?: 'could-not-run';
  reason?: string;
}

export interface IncumbentOutcome {
  banned: boolean;
  time_to_block_s: number | null;
  status?: 'could-not-run';
  reason?: string;
}

export interface ScenarioReport {
  name: string;
  tool: string;
  expect: Scenario['expect'];
  autoimmune: AutoimmuneOutcome | null;
  fail2ban: IncumbentOutcome | null;
  crowdsec: IncumbentOutcome | null;
}

export interface RangeReport {
  scenarios: ScenarioReport[];
}

const notRun = (r: RunResult) => (r.status === 'could-not-run' ? { status: 'could-not-run' as const, reason: r.reason ?? '' } : {});

export function buildReport(scenarios: readonly Scenario[], results: readonly RunResult[]): RangeReport {
  const find = (s: string, sys: SystemName) => results.find((r) => r.scenario === s && r.system === sys);
  return {
    scenarios: scenarios.map((s) => {
      const a = find(s.name, 'autoimmune');
      const inc = (sys: 'fail2ban' | 'crowdsec'): IncumbentOutcome | null => {
        const r = find(s.name, sys);
        return r ? { banned: r.sourceBanned, time_to_block_s: r.timeToBlockS, ...notRun(r) } : null;
      };
      return {
        name: s.name,
        tool: s.tool,
        expect: s.expect,
        autoimmune: a ? { banned: a.banned, alerted: a.alerted, time_to_block_s: a.timeToBlockS, ...notRun(a) } : null,
        fail2ban: inc('fail2ban'),
        crowdsec: inc('crowdsec'),
      };
    }),
  };
}

/** One cell of the table: what the system did, judged against what the scenario expects. */
export function cell(expect: Scenario['expect'], r: RunResult | undefined): string {
  if (!r) return '—';
  if (r.status === 'could-not-run') return 'COULD NOT RUN';
  const t = r.timeToBlockS === null ? '' : ` ${r.timeToBlockS.toFixed(1)} s`;
  if (expect === 'ban') {
    if (r.timeToBlockS !== null) return `blocked${t}`;
    if (r.sourceBanned) return 'banned, still answered';
    return r.alerted ? 'MISS (alert only)' : 'MISS';
  }
  if (expect === 'alert') {
    const base = r.system === 'autoimmune' ? (r.alerted ? 'alert' : 'MISS (no alert)') : 'n/a';
    return r.timeToBlockS !== null ? `${base}, blocked${t}` : base;
  }
  if (r.sourceBanned || r.timeToBlockS !== null) return `FALSE BAN${t}`;
  return r.alerted ? 'ok (false alert)' : 'ok';
}

export function table(scenarios: readonly Scenario[], results: readonly RunResult[], systems: readonly SystemName[] = SYSTEMS): string {
  const rows: string[][] = [['scenario', 'tool', 'expect', ...systems]];
  for (const s of scenarios) {
    rows.push([s.name, s.tool, s.expect, ...systems.map((sys) => cell(s.expect, results.find((r) => r.scenario === s.name && r.system === sys)))]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
  out.push('', ...systems.map((sys) => summaryLine(sys, scenarios, results)));
  return out.join('\n');
}

export function summaryLine(sys: SystemName, scenarios: readonly Scenario[], results: readonly RunResult[]): string {
  const mine = results.filter((r) => r.system === sys);
  const of = (expect: Scenario['expect']) => {
    const names = new Set(scenarios.filter((s) => s.expect === expect).map((s) => s.name));
    return mine.filter((r) => names.has(r.scenario));
  };
  const attacks = of('ban');
  const ran = attacks.filter((r) => r.status === 'ran');
  const blocked = ran.filter((r) => r.timeToBlockS !== null);
  const benign = of('nothing').filter((r) => r.status === 'ran');
  const falseBans = benign.filter((r) => r.sourceBanned || r.timeToBlockS !== null);
  const floods = of('alert').filter((r) => r.status === 'ran');
  const times = blocked.map((r) => r.timeToBlockS!).sort((a, b) => a - b);
  const median = times.length ? times[Math.floor((times.length - 1) / 2)]! : null;
  const failed = mine.filter((r) => r.status === 'could-not-run').length;
  const parts = [
    `${sys}: blocked ${blocked.length}/${ran.length} attacks`,
    median === null ? null : `median time to block ${median.toFixed(1)} s`,
    `${falseBans.length}/${benign.length} benign clients blocked`,
    sys === 'autoimmune' && floods.length ? `${floods.filter((r) => r.alerted).length}/${floods.length} floods alerted` : null,
    failed ? `${failed} run(s) could not run` : null,
  ];
  return parts.filter(Boolean).join('; ');
}
