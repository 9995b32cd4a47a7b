// Failover under traffic: SIGKILL of a node that runs shards, timed until everything it ran
// runs exactly once on the survivors and is processing there. Polled every ~20 ms over HTTP,
// so each time is when a poll first saw the condition (an upper bound, ~20 ms resolution).
// The parts say where the time went: the lease running out (members), a new leader when the
// killed node led, the leader's new placement (epoch), the survivors running it (covered).
import { coversOnce, type Health } from '../../devkit/cluster.ts';
import { waitFor } from '../../devkit/wait.ts';
import type { Fleet } from './fleet.ts';
import { eachNode } from '../../devkit/tree.ts';

export interface FailoverRun {
  victim: string;
  victimLed: boolean;
  /** Placed actors the victim ran, which had to move. */
  moved: number;
  /** s from SIGKILL until no survivor lists the victim as a member (its lease expired). */
  memberGoneS: number;
  /** s until the survivors agree on a leader other than the victim (only when it led). */
  leaderS: number | null;
  /** s until a survivor saw a new placement epoch. */
  placedS: number;
  /** s until the survivors together run every placed actor exactly once. */
  coveredS: number;
  /** s until every moved actor processed packets on its new node and the capture confirmed more. */
  doneS: number;
}

export interface FailoverSetup {
  fleet: Fleet;
  /** Placed actor ids (shards and singletons) that must run exactly once. */
  placed: string[];
  /** The node whose replay capture carries the traffic (never a victim). */
  replayNode: string;
  replayId: string;
}

interface TreeNode {
  id: string;
  type: string;
  processed?: number;
  children?: TreeNode[];
}

/** Messages processed by each worker of a node's supervision tree, by id. */
export async function processedById(s: FailoverSetup, id: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  eachNode((await s.fleet.cluster.json<{ tree: TreeNode }>(id, '/api/tree')).tree, (t) => {
    if (t.type === 'worker') out.set(t.id, t.processed ?? 0);
  });
  return out;
}

async function confirmed(s: FailoverSetup): Promise<number> {
  return (await s.fleet.cluster.captureStats(s.replayNode, s.replayId))?.confirmed ?? 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.round(ms) / 1000;

/** Waits until every node is a member with a lease, everything is placed once, and `id` processes traffic on shards of its own. */
export async function awaitSteady(s: FailoverSetup, id: string): Promise<void> {
  const { fleet, placed } = s;
  // One condition, read afresh each time: a rejoin moves shards for a while, so what `id`
  // owns must be read together with what its shards processed.
  await waitFor(async () => {
    const hs = await Promise.all(fleet.ids.map((n) => fleet.cluster.health(n)));
    const mine = hs[fleet.ids.indexOf(id)]!.cluster.owned.filter((a) => placed.includes(a));
    if (!(hs.every((h) => h.cluster.lease === 'held' && h.cluster.members.length === fleet.ids.length) && coversOnce(hs, placed) && mine.length > 0)) return false;
    const p = await processedById(s, id);
    return mine.every((a) => (p.get(a) ?? 0) > 0);
  }, `${id} in the cluster with traffic through shards of its own`, 30_000);
}

/** A node other than the replaying one: the leader if `leader` and it is one of them, else a follower. */
export async function pickVictim(s: FailoverSetup, leader: boolean): Promise<string> {
  const candidates = s.fleet.ids.filter((id) => id !== s.replayNode);
  const led = await Promise.all(candidates.map(async (id) => (await s.fleet.cluster.health(id)).cluster.isLeader));
  const pick = candidates.find((_, i) => led[i] === leader);
  return pick ?? candidates[0]!;
}

export async function measureFailover(s: FailoverSetup, victim: string): Promise<FailoverRun> {
  const { fleet, placed: want } = s;
  const survivors = fleet.ids.filter((id) => id !== victim);
  const before = await fleet.cluster.health(victim);
  const moved = before.cluster.owned.filter((a) => want.includes(a));
  const victimLed = before.cluster.isLeader;
  const healths = () => Promise.all(survivors.map((id) => fleet.cluster.health(id)));
  const epoch0 = Math.max(...(await healths()).map((h) => h.cluster.epoch));
  // What the survivors' workers had processed before: a moved actor must go past it.
  const base = new Map(await Promise.all(survivors.map(async (id) => [id, await processedById(s, id)] as const)));

  const t0 = performance.now();
  await fleet.kill(victim);
  let memberGone: number | null = null;
  let leader: number | null = null;
  let placed: number | null = null;
  let covered: number | null = null;
  let confirmedAtCover = 0;
  let owners = new Map<string, string>();
  for (;;) {
    const polled = performance.now();
    const hs: Health[] = await healths();
    const now = performance.now() - t0;
    memberGone ??= hs.every((h) => !h.cluster.members.includes(victim)) ? now : null;
    if (victimLed) leader ??= hs.every((h) => h.cluster.leader !== null && h.cluster.leader !== victim && h.cluster.leader === hs[0]!.cluster.leader) ? now : null;
    placed ??= hs.some((h) => h.cluster.epoch > epoch0) ? now : null;
    if (covered === null && coversOnce(hs, want)) {
      covered = now;
      confirmedAtCover = await confirmed(s);
      owners = new Map(moved.map((a) => [a, survivors[hs.findIndex((h) => h.cluster.owned.includes(a))]!]));
    }
    if (covered !== null) {
      const trees = new Map(await Promise.all([...new Set(owners.values())].map(async (id) => [id, await processedById(s, id)] as const)));
      const moving = moved.every((a) => {
        const on = owners.get(a)!;
        return (trees.get(on)!.get(a) ?? 0) > (base.get(on)!.get(a) ?? 0);
      });
      if (moving && (await confirmed(s)) > confirmedAtCover) {
        const done = performance.now() - t0;
        return {
          victim,
          victimLed,
          moved: moved.length,
          memberGoneS: seconds(memberGone ?? done),
          leaderS: victimLed ? seconds(leader ?? done) : null,
          placedS: seconds(placed ?? done),
          coveredS: seconds(covered),
          doneS: seconds(done),
        };
      }
    }
    // Hang guard: a failover that never completes is an error of the build, not a number.
    if (now > 30_000) throw new Error(`failover after SIGKILL of ${victim} did not complete in 30 s: ${JSON.stringify(hs.map((h) => h.cluster))}`);
    await sleep(Math.max(0, 20 - (performance.now() - polled)));
  }
}
