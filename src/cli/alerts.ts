// `autoimmune alerts [list]` and `autoimmune alerts inspect ID`: the node's alerts as a table,
// and one alert in full as `cscli alerts inspect` shows it: the alert, its evidence, the
// decision it led to (or why none) and the ban in force on its source now.

import { UsageError } from '../errors.ts';
import type { Alert } from '../detect/alert.ts';
import type { Ban } from '../respond/ban-registry.ts';
import type { PolicyOutcome } from '../respond/policy.ts';
import { getJson, nodeTarget, parseSub, TARGET_HELP, TARGET_OPTIONS } from './node-target.ts';
import { shortDuration, utcTime } from './durations.ts';
import { table } from './table.ts';

export const ALERTS_HELP = `Usage: autoimmune alerts list [--limit 50] [--type TYPE] [--source ADDR] [--json]
       autoimmune alerts inspect ID [--json]
       (autoimmune alerts alone is alerts list)

The node's alerts, newest first: number, when the node saw it, type, source (country, AS),
target, score, evidence grade, and what the responder did (a ban and its length, or why
not). The number is the alert's on this node since it started (the dashboard's too); the
node holds the newest 10,000. 'inspect' prints one alert in full: its evidence, the
decision it led to and the ban in force on its source now.

Options:
  --limit N        how many (default 50)
  --type TYPE      only alerts of this type (port-scan-vertical, ssh-brute-force, …)
  --source ADDR    only alerts from this address
  --json           the node's JSON
${TARGET_HELP}`;

type Wire<T> = T & { alert: Omit<Alert, 'features'> };
interface RecordWire {
  id: number;
  at: number;
  alert: Omit<Alert, 'features'>;
  outcome: PolicyOutcome | null;
}

/** What the responder made of an alert, in a few words. */
export function outcomeText(o: PolicyOutcome | null): string {
  if (!o) return 'pending';
  if ('decision' in o) return `${o.decision.action} ${shortDuration(o.decision.ttl)}${o.decision.offence && o.decision.offence > 1 ? ` (offence ${o.decision.offence})` : ''}`;
  return `none: ${o.skipped}`;
}

function place(a: RecordWire['alert']): string {
  const g = a.geo;
  if (!g || (g.country === null && g.asn === null)) return '-';
  return [g.country, g.asn !== null ? `AS${g.asn}` : null].filter(Boolean).join(' ');
}

function listText(records: RecordWire[], total: number): string {
  if (records.length === 0) return total === 0 ? 'no alerts since the node started' : 'no alerts match';
  return table(
    ['ID', 'SEEN', 'TYPE', 'SOURCE', 'WHERE', 'TARGET', 'SCORE', 'EVIDENCE', 'DECISION'],
    records.map((r) => [String(r.id), utcTime(r.at), r.alert.type, r.alert.source, place(r.alert), r.alert.target, r.alert.score.toFixed(2), r.alert.grade ?? '-', outcomeText(r.outcome)]),
  );
}

function inspectText(r: Wire<RecordWire> & { node: string; banNow: Ban | null }): string {
  const a = r.alert;
  const g = a.geo;
  const where = g ? [g.country ?? '?', g.asn !== null ? `AS${g.asn}${g.asnOrg ? ` ${g.asnOrg}` : ''}` : null].filter(Boolean).join(', ') : 'unknown (no GeoIP answer)';
  const lines = [
    `alert ${r.id} on node ${r.node}`,
    `  type       ${a.type} (${a.detector})`,
    `  seen       ${utcTime(r.at)} (capture time of its packet ${utcTime(Math.round(a.ts * 1000))}, first counted ${utcTime(Math.round(a.firstTs * 1000))})`,
    `  source     ${a.source} (${where})`,
    `  target     ${a.target}`,
    `  score      ${a.score.toFixed(3)}`,
    `  blockable  ${a.blockable ? 'yes' : 'no: its sources are spoofed or abused reflectors, so the alert names the victim'}`,
    `  evidence   ${a.grade === 'forgeable' ? 'forgeable (single packets or half-open SYNs: any address can be forged)' : a.grade === 'established' ? 'established (connections whose handshake the source completed)' : 'not graded'}${a.sourceSeen === undefined ? '' : `; the source ${a.sourceSeen ? 'has' : 'has not'} had real sessions here`}`,
    '',
    'evidence',
    ...Object.entries(a.evidence).map(([k, v]) => `  ${k.padEnd(Math.max(12, ...Object.keys(a.evidence).map((x) => x.length)))}  ${v}`),
    '',
    'decision',
  ];
  const o = r.outcome;
  if (!o) lines.push('  the responder has not decided yet');
  else if ('decision' in o) {
    const d = o.decision;
    lines.push(`  ${d.action} ${d.address} for ${shortDuration(d.ttl)} at ${utcTime(d.at)}, offence ${d.offence ?? 1}, by ${d.detector}`, `  ${d.reason}`);
  } else lines.push(`  none (${o.skipped}): ${o.detail}`);
  const b = r.banNow;
  lines.push('', 'ban in force on the source now');
  if (!b) lines.push(`  none: ${a.source} is not banned`);
  else lines.push(`  ${b.address} by ${b.origin ?? b.detector}, ${shortDuration((b.expiresAt - Date.now()) / 1000)} left of ${shortDuration(b.ttl)}: ${b.reason}`);
  return lines.join('\n');
}

export async function cmdAlerts(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  const sub = first === 'list' || first === 'inspect' ? first : undefined;
  const { values, positionals } = parseSub(sub ? rest : args, { ...TARGET_OPTIONS, limit: { type: 'string' }, type: { type: 'string' }, source: { type: 'string' }, json: { type: 'boolean' } }, 'alerts');
  if (sub === 'inspect') {
    if (positionals.length !== 1 || !/^\d+$/.test(positionals[0]!)) throw new UsageError(`alerts inspect takes one alert number, e.g. 'autoimmune alerts inspect 12' ('autoimmune alerts' lists them); got ${positionals.join(' ') || 'none'}`);
    if (values.limit !== undefined || values.type !== undefined || values.source !== undefined) throw new UsageError("--limit, --type and --source go with 'alerts list'");
    const t = nodeTarget(values);
    const r = await getJson(t, `/api/alerts/${positionals[0]}`);
    process.stdout.write(`${values.json ? JSON.stringify(r, null, 2) : inspectText(r)}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unknown alerts command ${JSON.stringify(positionals[0])}: list or inspect ID. See 'autoimmune alerts --help'.`);
  const limit = values.limit ?? '50';
  if (!/^\d+$/.test(limit) || Number(limit) < 1) throw new UsageError(`--limit must be a whole number from 1, got ${JSON.stringify(limit)}`);
  const t = nodeTarget(values);
  const q = new URLSearchParams({ limit, ...(values.type ? { type: values.type } : {}), ...(values.source ? { source: values.source } : {}) });
  const r = (await getJson(t, `/api/alerts/records?${q}`)) as { node: string; total: number; records: RecordWire[] };
  process.stdout.write(`${values.json ? JSON.stringify(r, null, 2) : listText(r.records, r.total)}\n`);
  return 0;
}
