// One chaos run: start the fleet, let traffic flow, inject the seeded plan of faults while
// watching the cluster, heal each fault when its time is up, record when the system was
// whole again, then check the invariants and report.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLabels } from '../src/eval/labels.ts';
import { etcdMemberNames } from '../devkit/local-etcd.ts';
import { Fleet } from './fleet.ts';
import { inject, replayStats, type Injected } from './faults.ts';
import type { NetLab } from './netns.ts';
import { differences, Observer, STALE_BOUND_MS, type Reading } from './observer.ts';
import { buildReport } from './report.ts';
import { planFaults } from './schedule.ts';
import type { ChaosEventView } from '../ui/dashboard-protocol.ts';
import type { ChaosReport, FaultKind, FaultRecord, InvariantResult, PlannedFault } from './types.ts';

const PCAP = fileURLToPath(new URL('../../shared/data/pcap/', import.meta.url));
/** Benign traffic and attacks (scans, SSH brute force, a reflection flood), about 14,000 packets a pass. */
export const DEFAULT_TRAFFIC = [
  'D01_benign_example.pcap',
  'D05_benign_kali-normal-ssh.pcap',
  'D06_scan_nmap_80_all.pcap',
  'D08_scan_synscan.pcapng',
  'D15_brute_hydra-1_tasks.pcap',
  'D18_brute_kali-password-attack_hydra.pcap',
  'D13_flood_amp.UDP.isakmp.pcap',
];
/** The kinds a run injects: every kind with three nodes (partitions only with a network lab), crashes and load spikes with one. */
export function defaultKinds(nodes: number, lab: boolean): FaultKind[] {
  if (nodes < 3) return ['crash', 'load-spike'];
  return ['crash', 'kill-node', 'etcd-member', ...(lab ? (['partition'] as const) : []), 'slow-node', 'load-spike'];
}

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  nodes: number;
  pps?: number;
  kinds?: FaultKind[];
  /** The nodes run their shards in worker threads (pipeline.workers): one shard-thread actor placed per shard. */
  workers?: boolean;
  /** Run each node in its own namespace of this lab (partitions need it); the runner must be in its hub. */
  lab?: NetLab;
  /** Ends the run early (the fleet is still stopped and a report made of what happened). */
  signal?: AbortSignal;
  /** Each fault as it is injected or recovers (the dashboard's chaos feed, a progress line). */
  onEvent?: (e: ChaosEventView) => void;
  onLine?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json<T>(url: string): Promise<T> {
  return (await (await fetch(url, { signal: AbortSignal.timeout(2000) })).json()) as T;
}

/** The monkey's own operator ban (TEST-NET-2, no traffic from it): see runChaos. */
export const SENTINEL = '198.51.100.77';

/** The run's fault plan (throws a ConfigError naming the problem when it cannot be made). */
export function chaosPlan(o: Pick<ChaosOptions, 'seed' | 'durationMs' | 'nodes' | 'kinds'> & { lab?: unknown }): PlannedFault[] {
  const ids = Array.from({ length: o.nodes }, (_, i) => `n${i + 1}`);
  return planFaults({ seed: o.seed, durationMs: o.durationMs, nodes: ids, etcdMembers: etcdMemberNames(o.nodes >= 3 ? 3 : 1), trafficNode: ids[0]!, kinds: o.kinds ?? defaultKinds(o.nodes, o.lab !== undefined) });
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const labels = parseLabels(readFileSync(`${PCAP}labels.tsv`, 'utf8'));
  const attackers = new Set(DEFAULT_TRAFFIC.flatMap((f) => labels.files.get(basename(f))?.attackers ?? []));
  const fleet = new Fleet({ nodes: o.nodes, etcdMembers: o.nodes >= 3 ? 3 : 1, traffic: DEFAULT_TRAFFIC.map((f) => PCAP + f), pps: o.pps ?? 1500, shards: 4, workers: o.workers ?? false, leaseTtlMs: 3000, banTtlS: 20, ...(o.lab ? { lab: o.lab } : {}), ...(o.onLine ? { onLine: o.onLine } : {}) });
  const desired = [...Array.from({ length: 4 }, (_, k) => (o.workers ? [`enricher-${k}`] : [`enricher-${k}`, `detector-${k}`])).flat(), 'floods'];
  const observer = new Observer(fleet, desired);
  // Each event also goes to every live node's dashboard (its chaos feed), best effort.
  const feed = (body: object) => {
    for (const n of fleet.live()) {
      void fetch(`${n.url}/api/chaos`, { method: 'POST', headers: { authorization: `Bearer ${fleet.token(n.id)}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(1000) }).catch(() => {});
    }
  };
  const event = (kind: string, target: string, detail: string) => {
    const e = { at: Date.now(), kind, target, detail };
    o.onEvent?.(e);
    feed({ events: [e] });
  };
  observer.onStale = (key, at) => o.onEvent?.({ at, kind: 'observed', target: key, detail: 'a firewall holds a ban the registry no longer has' });
  observer.onMissing = (key, at, detail) => o.onEvent?.({ at, kind: 'observed', target: key, detail: `a firewall lacks a ban the registry has (${detail})` });
  // Planned before anything starts, so a plan that cannot be made is said at once.
  const plan = chaosPlan(o);
  try {
    await fleet.start();
    for (let t0 = Date.now(); !observer.whole(await observer.read(), o.nodes).whole; await sleep(250)) {
      if (Date.now() - t0 > 60_000) throw new Error(`the fleet did not settle before the run: ${observer.whole(observer.last!, o.nodes).why}`);
    }
    // An operator's ban that must stay on every firewall through every fault (its TTL outlasts
    // the run): the bans the detectors make come and go within 20 s and are made again, so a
    // firewall that lost one may get it back before anyone sees; this one it would not.
    const sentinelNode = fleet.nodes.get(fleet.ids[fleet.ids.length - 1]!)!;
    const sentinel = await fetch(`${sentinelNode.url}/api/bans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.token(sentinelNode.id)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ address: SENTINEL, ttl: Math.ceil(o.durationMs / 1000) + 600, reason: 'chaos sentinel: an operator ban every firewall must hold through every fault' }),
    });
    if (sentinel.status !== 201) throw new Error(`the sentinel ban was refused: HTTP ${sentinel.status} ${await sentinel.text()}`);
    feed({ active: true });
    const records: FaultRecord[] = [];
    const open: Array<{ rec: FaultRecord; inj: Injected; healed: boolean }> = [];
    const t0 = Date.now();
    let next = 0;
    while ((Date.now() - t0 < o.durationMs || open.length > 0) && !o.signal?.aborted) {
      const now = Date.now();
      while (next < plan.length && now - t0 >= plan[next]!.atMs && now - t0 < o.durationMs) {
        const f = plan[next++]!;
        const startedAt = Date.now();
        let inj: Injected;
        try {
          inj = await inject(f, fleet);
        } catch (err) {
          inj = { detail: `could not inject: ${(err as Error).message}`, back: async () => true };
        }
        const rec: FaultRecord = { ...f, startedAt, recoveredAt: null, detail: inj.detail };
        records.push(rec);
        const entry = { rec, inj, healed: !inj.heal };
        open.push(entry);
        event(f.kind, f.target, inj.detail);
        if (inj.heal) {
          setTimeout(() => {
            void inj.heal!().then(
              () => {
                if (f.kind !== 'kill-node') rec.healedAt = Date.now();
                entry.healed = true;
                event(`${f.kind} healed`, f.target, '');
              },
              (err: Error) => ((entry.healed = true), event(`${f.kind} heal failed`, f.target, err.message)),
            );
          }, f.durationMs).unref();
        }
      }
      const reading = await observer.read();
      const whole = observer.whole(reading, fleet.live().length).whole;
      for (let i = open.length - 1; i >= 0; i--) {
        const e = open[i]!;
        // A killed node's fault is recovered when the survivors run everything (failover);
        // the others when their effect is over and the whole cluster is whole again.
        const done = e.rec.recoveredAt !== null || (whole && (e.rec.kind === 'kill-node' || (e.healed && (e.rec.healedAt ?? 0) <= reading.at && (await e.inj.back().catch(() => false)))));
        if (done && e.rec.recoveredAt === null) {
          e.rec.recoveredAt = reading.at;
          event(`${e.rec.kind} recovered`, e.rec.target, `${((reading.at - (e.rec.healedAt ?? e.rec.startedAt)) / 1000).toFixed(2)} s after the ${e.rec.healedAt ? 'heal' : 'injection'}`);
        }
        if (done && e.healed) open.splice(i, 1);
        else if (Date.now() - e.rec.startedAt > 120_000) open.splice(i, 1); // never recovered: stays null
      }
      if (Date.now() - t0 > o.durationMs + 120_000) break;
      await sleep(250);
    }
    // Settle: bans and firewalls catch up, in-flight batches are answered.
    // The detectors' bans keep coming and going (the traffic still plays), so the firewalls are
    // judged on the first reading in which the cluster is whole and they agree, or the last one.
    let settled = await observer.read();
    for (let t = Date.now(); Date.now() - t < 20_000 && !o.signal?.aborted; await sleep(500), settled = await observer.read()) {
      if (observer.whole(settled, o.nodes).whole && agree(settled)) break;
    }
    feed({ active: false });
    const invariants = await checkInvariants(fleet, observer, settled, attackers, o.nodes);
    return buildReport({ seed: o.seed, durationS: Math.round(o.durationMs / 1000), nodes: fleet.ids, etcdMembers: fleet.etcd.members.map((m) => m.name), records, invariants });
  } finally {
    await fleet.stop();
  }
}

/** Every firewall holds exactly the registry's bans (read around them; see `differences`). */
function agree(r: Reading): boolean {
  return r.registry !== undefined && [...differences(r).values()].every((d) => d.extra.length === 0 && d.missing.length === 0);
}

async function checkInvariants(fleet: Fleet, observer: Observer, r: Reading, attackers: Set<string>, nodes: number): Promise<Record<string, InvariantResult>> {
  const w = observer.whole(r, nodes);
  const out: Record<string, InvariantResult> = {};
  out['actors-placed'] = { held: w.whole, evidence: w.why };

  const capture: Partial<Record<string, number>> = { ...(await replayStats(fleet)) };
  let duplicates = 0;
  for (const n of fleet.live()) duplicates += (await json<{ transport?: { duplicates: number } }>(`${n.url}/api/cluster`)).transport?.duplicates ?? 0;
  const inFlight = (capture.packets ?? 0) - (capture.unroutable ?? 0) - (capture.confirmed ?? 0) - (capture.lost ?? 0);
  out['no-event-lost'] = {
    held: (capture.lost ?? 1) === 0 && (capture.confirmed ?? 0) > 0,
    evidence: `${capture.packets} packets offered, ${capture.confirmed} confirmed handled, ${capture.lost} lost, ${inFlight} still in flight at the end, ${capture.resent} batches re-sent, ${duplicates} duplicates dropped by receivers`,
  };

  const registry = r.registry ?? new Set<string>();
  const differing = [...differences(r)].filter(([, d]) => d.extra.length > 0 || d.missing.length > 0);
  out['firewalls-agree'] = {
    held: r.registry !== undefined && r.firewalls.size === nodes && differing.length === 0,
    evidence:
      differing.length === 0
        ? `all ${r.firewalls.size} firewalls hold the registry's ${registry.size} bans`
        : differing.map(([id, d]) => `${id} holds ${r.firewalls.get(id)!.size}, registry ${registry.size}${d.extra.length ? `; extra ${d.extra.join(', ')}` : ''}${d.missing.length ? `; missing ${d.missing.join(', ')}` : ''}`).join('; '),
  };
  out['no-ban-lost'] = {
    held: observer.missingViolations.length === 0,
    evidence: observer.missingViolations.length === 0 ? `no firewall lacked a ban of the registry for more than ${STALE_BOUND_MS / 1000} s` : observer.missingViolations.slice(0, 10).join('; '),
  };
  out['no-ban-past-ttl'] = {
    held: observer.staleViolations.length === 0,
    evidence: observer.staleViolations.length === 0 ? `no firewall held a ban more than ${STALE_BOUND_MS / 1000} s after the registry dropped it` : observer.staleViolations.slice(0, 10).join('; '),
  };
  const blocked = [...observer.everApplied].filter((a) => a !== SENTINEL);
  const falseBlocks = blocked.filter((a) => !attackers.has(a));
  out['no-benign-blocked'] = { held: falseBlocks.length === 0, evidence: falseBlocks.length === 0 ? `only attackers were ever blocked (${blocked.join(', ') || 'none'}), besides the monkey's own operator ban ${SENTINEL}` : `blocked but not attackers: ${falseBlocks.join(', ')}` };
  const missed = [...attackers].filter((a) => !observer.everApplied.has(a));
  out['every-attacker-blocked'] = { held: missed.length === 0, evidence: missed.length === 0 ? `all ${attackers.size} attackers blocked on the firewalls` : `never blocked: ${missed.join(', ')}` };

  const gaveUp: string[] = [];
  for (const n of fleet.live()) {
    for (const e of await json<Array<{ type: string; path: string; culprit?: string; error?: string }>>(`${n.url}/api/events?limit=500`)) {
      if (e.type === 'gave_up') gaveUp.push(`${n.id}:${e.path} gave up (culprit ${e.culprit ?? '?'}: ${e.error ?? ''})`);
    }
  }
  out['no-supervisor-gave-up'] = {
    held: gaveUp.length === 0 && fleet.unexpectedExits.length === 0,
    evidence: gaveUp.length === 0 && fleet.unexpectedExits.length === 0 ? 'no supervisor gave up and no node exited on its own' : [...gaveUp, ...fleet.unexpectedExits].join('; '),
  };
  return out;
}
