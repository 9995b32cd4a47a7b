// Cluster benchmark on a real etcd (one member) with three node processes (dry-run firewall,
// model off, 6 shards, 2 s leases): ban propagation from a decision on one node to the rule
// on all three (against etcd's own round trips from this process, same run), failover after
// SIGKILL of a node that runs shards (against the lease TTL), and transport throughput
// between two processes (runTransportBench, against its codec loopback). A node that dies
// on its own is reported (node_crashes) and restarted, and the step it spoiled runs again.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEtcd } from '../devkit/etcd.ts';
import { TestCluster, coversOnce, placedIds } from '../devkit/cluster.ts';
import { waitFor } from '../devkit/wait.ts';
import { measureEtcdRoundTrips } from './cluster/etcd-reference.ts';
import { awaitSteady, measureFailover, pickVictim, processedById, type FailoverRun, type FailoverSetup } from './cluster/failover.ts';
import { Fleet } from './cluster/fleet.ts';
import { measureBanPropagation, type PropagationSamples } from './cluster/propagation.ts';
import { runTransportBench } from './cluster/transport.ts';
import { median, percentile, report, type Result } from './report.ts';

const SHARDS = 6;
const TTL_MS = 2000;
const BANS = 200;
const BANS_UNDER_TRAFFIC = 100;
/** Whether each failover kills the leader (true) or a follower; the replaying node is never killed. */
const FAILOVERS = [true, false, true, false, true, false];
const FLOOD = fileURLToPath(new URL('../../shared/data/pcap/D12_flood_pkt.TCP.synflood.spoofed.pcap', import.meta.url));
const PPS = 3000;
/** 37,841 spoofed SYNs over every shard; repeated so traffic lasts the whole failover phase. */
const REPLAY = { capture: { replay: { files: Array<string>(8).fill(FLOOD), pps: PPS } } };
const IDS = ['n1', 'n2', 'n3'];
/** How often a CrowdSec bouncer asks its LAPI for new decisions by default: what a ban waits there. */
const CROWDSEC_POLL_MS = 10_000;

function etcdVersion(): string {
  try {
    return /etcd Version:\s*(\S+)/.exec(execFileSync('etcd', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function propagationLines(p: PropagationSamples, ref: number, suffix: string, context: Record<string, unknown>): Result[] {
  const common = { bans: p.last.length, missing: p.missing, nodes: IDS.length, ...context };
  const p50 = percentile(p.last, 50);
  return [
    { name: `ban_propagation${suffix}_p50_ms`, value: p50, unit: 'ms', ...common, first_node_p50_ms: percentile(p.first, 50), post_answer_p50_ms: percentile(p.post, 50), note: 'wall clock just before POST /api/bans on one node (rotating) → the last of the three firewall backends applied it (its own appliedAt)' },
    { name: `ban_propagation${suffix}_p99_ms`, value: percentile(p.last, 99), unit: 'ms', ...common, max_ms: Math.max(...p.last), first_node_p99_ms: percentile(p.first, 99), post_answer_p99_ms: percentile(p.post, 99), goal_ms: 100, crowdsec_bouncer_poll_ms: CROWDSEC_POLL_MS },
    { name: `ban_propagation${suffix}_to_etcd_put_get_ratio`, value: round(p50 / ref), unit: 'ratio', note: 'ban propagation p50 over a plain etcd put + get p50 from the bench process, same run' },
  ];
}

/**
 * Runs a step; if a node crashed during it, restarts what is down, waits for `steady`, and
 * runs the step again (at most three times). Any other failure is the benchmark's to report.
 */
async function withRecovery<T>(fleet: Fleet, what: string, steady: () => Promise<void>, step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    fleet.phase = what;
    const crashes = fleet.crashes.length;
    try {
      return await step();
    } catch (err) {
      await sleep(300); // the exit of a crashed node may be seen after the failed request to it
      if (fleet.crashes.length === crashes || attempt === 3) throw err;
      fleet.phase = `recovering from a crash during ${what}`;
      await fleet.restartDown();
      await steady();
    }
  }
}

export async function run(): Promise<void> {
  const on = { etcd: etcdVersion() };
  const emit = (r: Result) => report({ ...r, ...on });
  const etcd = await startEtcd();
  const cluster = new TestCluster([etcd.endpoint], {
    http: { port: 0, blockRate: { perS: 100_000, burst: 100_000 } }, // the benchmark posts hundreds of bans a second
    firewall: { backend: 'dry-run' },
    model: { enabled: false },
    capture: { interfaces: [] },
    cluster: { name: 'bench', leaseTtlMs: TTL_MS },
    pipeline: { shards: SHARDS },
  });
  const fleet = new Fleet(cluster, IDS);
  const placed = placedIds(SHARDS);
  const setup: FailoverSetup = { fleet, placed, replayNode: 'n1', replayId: 'replay' };
  const allPlaced = () =>
    waitFor(async () => {
      const hs = await Promise.all(IDS.map((id) => cluster.health(id)));
      return hs.every((h) => h.ready && h.cluster.lease === 'held' && h.cluster.members.length === IDS.length) && coversOnce(hs, placed);
    }, 'three members placed', 30_000);
  const flowing = async () => {
    for (const id of IDS) await awaitSteady(setup, id);
  };
  let nextAddress = 0;
  const bans = async (count: number) => {
    const first = nextAddress;
    nextAddress += count; // a retried step bans fresh addresses: one applied before reads as 0 ms
    return measureBanPropagation(cluster, IDS, count, first);
  };
  try {
    // n2 first, so it leads from the start.
    await fleet.start('n2');
    await waitFor(async () => (await cluster.health('n2')).cluster.isLeader, 'n2 leads', 20_000);
    await Promise.all([fleet.start('n1'), fleet.start('n3')]);
    await allPlaced();

    fleet.phase = 'etcd reference';
    const ref = await measureEtcdRoundTrips(etcd.endpoint, 200);
    const refP50 = percentile(ref.putGet, 50);
    emit({ name: 'etcd_put_get_p50_ms', value: round(refP50), unit: 'ms', p99_ms: round(percentile(ref.putGet, 99)), samples: ref.putGet.length, note: 'reference: put + get of one key from the bench process to the same etcd' });
    emit({ name: 'etcd_lease_put_p50_ms', value: round(percentile(ref.leasePut, 50)), unit: 'ms', p99_ms: round(percentile(ref.leasePut, 99)), note: 'lease grant + put under it: the two writes the ban registry makes per ban' });

    const idle = await withRecovery(fleet, 'bans without traffic', allPlaced, () => bans(BANS));
    for (const r of propagationLines(idle, refP50, '', { traffic: 'none' })) emit(r);

    // n1 leaves gracefully and comes back replaying a SYN flood: traffic for the rest.
    await withRecovery(fleet, 'restarting n1 with a replay', flowing, async () => {
      fleet.config.set('n1', REPLAY);
      if (!fleet.down().includes('n1')) await fleet.stop('n1');
      await fleet.start('n1');
      await flowing();
    });
    const busy = await withRecovery(fleet, 'bans under traffic', flowing, () => bans(BANS_UNDER_TRAFFIC));
    for (const r of propagationLines(busy, refP50, '_under_traffic', { traffic: `replayed SYN flood, ${PPS} pps into n1` })) emit(r);

    const runs: FailoverRun[] = [];
    for (const [i, leader] of FAILOVERS.entries()) {
      runs.push(
        await withRecovery(fleet, `failover ${i + 1} (${leader ? 'leader' : 'follower'})`, flowing, async () => {
          const victim = await pickVictim(setup, leader);
          await awaitSteady(setup, victim);
          const r = await measureFailover(setup, victim);
          fleet.phase = `restarting ${victim} after failover ${i + 1}`;
          await fleet.start(victim);
          await flowing();
          return r;
        }),
      );
    }
    const done = runs.map((r) => r.doneS);
    const ttlS = TTL_MS / 1000;
    const byKind = (led: boolean) => runs.filter((r) => r.victimLed === led).map((r) => r.doneS);
    emit({
      name: 'failover_s',
      value: median(done),
      unit: 's',
      max_s: Math.max(...done),
      lease_ttl_s: ttlS,
      goal_s: ttlS + 0.5,
      runs: runs.length,
      leader_killed_s: byKind(true),
      follower_killed_s: byKind(false),
      member_gone_median_s: median(runs.map((r) => r.memberGoneS)),
      placed_median_s: median(runs.map((r) => r.placedS)),
      covered_median_s: median(runs.map((r) => r.coveredS)),
      each: runs,
      note: 'SIGKILL of a node running shards (traffic flowing) → every placed actor runs exactly once on the survivors, each moved one processed packets there and the capture confirmed more; polled every ~20 ms. Leases renew every TTL/4, so the lease lapses ¾ TTL to TTL after the kill, plus the expiry check of etcd',
    });
    emit({ name: 'failover_to_lease_ttl_ratio', value: round(median(done) / ttlS), unit: 'ratio', note: 'failover median over the lease TTL it has to wait out' });
  } catch (err) {
    process.stderr.write(`bench cluster: failed during ${fleet.phase}; the nodes' last lines:\n${cluster.log.slice(-40).join('\n')}\n`);
    for (const id of IDS) {
      const state = await Promise.all([cluster.json(id, '/api/cluster'), cluster.captureStats(id, 'replay'), processedById(setup, id).then((m) => Object.fromEntries(m))]).catch((e: Error) => e.message);
      process.stderr.write(`bench cluster: ${id} at the failure: ${JSON.stringify(state)}\n`);
    }
    throw err;
  } finally {
    emit({ name: 'node_crashes', value: fleet.crashes.length, unit: 'count', crashes: fleet.crashes, note: 'node processes that died on their own during the run (each was restarted and the step it spoiled run again)' });
    await fleet.stopAll();
    await etcd.stop();
  }

  for (const r of await runTransportBench()) emit(r);
}
