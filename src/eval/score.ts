// Scores what a run did against the labels: per-address precision and recall of blocks,
// the non-attackers that were blocked (and whether they were seen in benign traffic), time
// to detection in capture time, per capture file and per attack class, and for brute force
// the attempts an attacker made before its ban: the failed logins its servers reported and
// the connections it opened, in that file up to the ban (up to the file's end if none); and
// which sources the model's anomaly alerts named: attackers, or others (the threshold's false
// alarms, whether or not model.ban lets them ban).

import type { Alert } from '../detect/alert.ts';
import type { Decision } from '../respond/decision.ts';
import type { FileLabel } from './labels.ts';

/** Seconds after a file's last packet within which an alert or a ban still counts for it (a flood watch's alert comes after the shards' own; a ban the rate limit held back comes as tokens free). */
export const LATE_S = 60;

export interface EvalFile {
  file: string;
  role: 'benign' | 'attack';
  label?: FileLabel;
  /** Where the file landed on the merged timeline (capture seconds). */
  firstTs: number;
  lastTs: number;
  packets: number;
}

export interface Observations {
  files: EvalFile[];
  /** Attackers with no file label (a plain --attackers list). */
  extraAttackers: Set<string>;
  /** Capture time of each attacker's first packet as a source, per file. */
  firstSeen: Map<string, number>;
  /** Sources seen in benign files. */
  benignSources: Set<string>;
  decisions: Decision[];
  alerts: Alert[];
  /** The client's connections and failed logins within capture times [from, to] (eval/login-attempts.ts). */
  attempts?: (address: string, from: number, to: number) => { connections: number; failures: number; loginRequests: number };
}

const round = (x: number, d = 4) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

export function firstSeenKey(file: string, address: string): string {
  return `${file}\t${address}`;
}

export function scoreRun(o: Observations) {
  const attackers = new Set(o.extraAttackers);
  for (const f of o.files) if (f.role === 'attack') for (const a of f.label?.attackers ?? []) attackers.add(a);
  const bans = o.decisions.filter((d) => d.action === 'ban');
  const blocked = new Set(bans.map((d) => d.address));
  const hits = [...blocked].filter((a) => attackers.has(a));
  const falseBlocks = [...blocked]
    .filter((a) => !attackers.has(a))
    .map((a) => {
      const d = bans.find((x) => x.address === a)!;
      return { address: a, seenInBenign: o.benignSources.has(a), detector: d.detector, reason: d.reason };
    });

  const perFile = o.files
    .filter((f) => f.role === 'attack')
    .map((f) => {
      const label = f.label;
      const cls = label?.class ?? 'attack';
      if (label && label.attackers.length === 0 && label.victims.length > 0) {
        // A flood: score by the first alert naming a victim, within the file's time span (first
        // by capture time: the flood watch's alerts reach the desk after the shards' own).
        const ttas = label.victims.map((v) => {
          let a: Alert | undefined;
          for (const x of o.alerts) if (x.target === v && x.ts >= f.firstTs && x.ts <= f.lastTs + LATE_S && (!a || x.ts < a.ts)) a = x;
          return { victim: v, alerted: Boolean(a), type: a?.type ?? null, ttdS: a ? round(a.ts - f.firstTs) : null };
        });
        return { file: f.file, class: cls, victims: ttas };
      }
      const who = label ? label.attackers : [...o.extraAttackers];
      const result = who.map((addr) => {
        const first = o.firstSeen.get(firstSeenKey(f.file, addr));
        if (first === undefined) return { attacker: addr, seen: false, blocked: blocked.has(addr), ttdS: null, by: null };
        // A ban made before this file (the same attacker in an earlier file) detects it at once.
        const d = bans.filter((x) => x.address === addr && (x.captureTs ?? Infinity) <= f.lastTs + LATE_S).sort((a, b) => (a.captureTs ?? 0) - (b.captureTs ?? 0))[0];
        const ttd = d ? Math.max(0, (d.captureTs ?? first) - first) : null;
        const row = { attacker: addr, seen: true, blocked: Boolean(d), ttdS: ttd === null ? null : round(ttd), by: d?.detector ?? null };
        if (cls !== 'brute' || !o.attempts) return row;
        const a = o.attempts(addr, f.firstTs, d ? (d.captureTs ?? first) : f.lastTs);
        return { ...row, [d ? 'attemptsBeforeBan' : 'attemptsUnbanned']: { failedLogins: a.failures, connections: a.connections, formLogins: a.loginRequests } };
      });
      return { file: f.file, class: cls, attackers: result };
    });

  type ClassStats = { files: number; detected: number; of: number; meanTtdS: number | null; maxTtdS: number | null; attemptsBeforeBan?: { meanFailedLogins: number | null; maxFailedLogins: number | null; meanConnections: number | null; maxConnections: number | null; meanFormLogins: number | null; maxFormLogins: number | null } };
  const byClass: Record<string, ClassStats> = {};
  const allTtd: number[] = [];
  for (const r of perFile) {
    const c = (byClass[r.class] ??= { files: 0, detected: 0, of: 0, meanTtdS: null, maxTtdS: null });
    c.files++;
    const items = r.victims ? r.victims.map((v) => v.ttdS) : (r.attackers ?? []).map((a) => a.ttdS);
    for (const t of items) {
      c.of++;
      if (t === null) continue;
      c.detected++;
      allTtd.push(t);
      c.maxTtdS = Math.max(c.maxTtdS ?? 0, t);
      c.meanTtdS = (c.meanTtdS ?? 0) + t;
    }
  }
  for (const c of Object.values(byClass)) if (c.meanTtdS !== null) c.meanTtdS = round(c.meanTtdS / c.detected);
  const attempts = new Map<string, Array<{ failedLogins: number; connections: number; formLogins: number }>>();
  for (const r of perFile) {
    for (const a of r.attackers ?? []) {
      if (!('attemptsBeforeBan' in a) && !('attemptsUnbanned' in a)) continue;
      const list = attempts.get(r.class) ?? [];
      attempts.set(r.class, list);
      if ('attemptsBeforeBan' in a) list.push(a.attemptsBeforeBan as { failedLogins: number; connections: number; formLogins: number });
    }
  }
  const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : null);
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : null);
  for (const [cls, list] of attempts) {
    const f = list.map((x) => x.failedLogins), n = list.map((x) => x.connections), w = list.map((x) => x.formLogins);
    byClass[cls]!.attemptsBeforeBan = { meanFailedLogins: mean(f), maxFailedLogins: max(f), meanConnections: mean(n), maxConnections: max(n), meanFormLogins: mean(w), maxFormLogins: max(w) };
  }

  const alertsByType: Record<string, number> = {};
  for (const a of o.alerts) alertsByType[a.type] = (alertsByType[a.type] ?? 0) + 1;
  const anomalous = [...new Set(o.alerts.filter((a) => a.type === 'anomaly').map((a) => a.source))].sort();
  const anomalyAlerts = {
    alerts: alertsByType.anomaly ?? 0,
    attackers: anomalous.filter((a) => attackers.has(a)),
    others: anomalous
      .filter((a) => !attackers.has(a))
      .map((address) => ({ address, seenInBenign: o.benignSources.has(address), files: alertFiles(o, address) })),
  };
  return {
    blocks: {
      precision: blocked.size ? round(hits.length / blocked.size) : null,
      recall: attackers.size ? round(hits.length / attackers.size) : null,
      attackers: [...attackers].sort(),
      blocked: [...blocked].sort(),
      missed: [...attackers].filter((a) => !blocked.has(a)).sort(),
      falseBlocks,
      benignBlocked: falseBlocks.filter((f) => f.seenInBenign).map((f) => f.address),
    },
    timeToDetection: {
      meanS: allTtd.length ? round(allTtd.reduce((a, b) => a + b, 0) / allTtd.length) : null,
      maxS: allTtd.length ? round(Math.max(...allTtd)) : null,
      byClass,
      perFile,
    },
    alertsByType,
    anomalyAlerts,
  };
}

/** The files during which an anomaly alert named the address: by its capture time, the last file begun by then. */
function alertFiles(o: Observations, address: string): string[] {
  const files = new Set<string>();
  for (const a of o.alerts) {
    if (a.type !== 'anomaly' || a.source !== address) continue;
    let f: EvalFile | undefined;
    for (const x of o.files) if (x.firstTs <= a.ts && (!f || x.firstTs > f.firstTs)) f = x;
    if (f) files.add(f.file);
  }
  return [...files];
}
