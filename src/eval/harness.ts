// `autoimmune eval`: benign and attack captures laid back to back on one timeline (benign
// first), run through the whole node (capture → enrichers → detectors and model → responder
// → dry-run firewall) and scored against the labels.
//
// The anomaly model needs benign traffic to learn from before it scores anything, as on a
// live node. Here its grace period is the first `graceRows` packets of the timeline, at most
// two thirds of the benign packets, so the rest of the benign traffic is scored as held-out
// data (without it the ROC AUC would have no negatives). The replay stops at the end of the
// grace period until the first model is trained, then goes on from the next packet.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { captureSpec, type CaptureProgress } from '../actors/capture.ts';
import type { Alert } from '../detect/alert.ts';
import { MemoryBanRegistry } from '../respond/memory-ban-registry.ts';
import { CaptureClock } from './capture-clock.ts';
import type { Config } from '../config/schema.ts';
import { assembleDefence } from '../node/defence.ts';
import type { ModelShelf } from '../detect/model-shelf.ts';
import { featureCount } from '../detect/flow-features.ts';
import { LoginAttempts } from './login-attempts.ts';
import { rocAuc } from './roc-auc.ts';
import { CaptureOrderFlows, inCaptureOrder } from './capture-order.ts';
import type { Labels } from './labels.ts';
import { LATE_S, firstSeenKey, scoreRun, type EvalFile } from './score.ts';
import { DryRunBackend } from '../firewall/dry-run.ts';
import type { GeoLookup } from '../geo/geo-lookup.ts';
import { FileSource, type FileSpan } from '../net/file-source.ts';
import { buildPipeline } from '../node/pipeline.ts';
import type { Decision } from '../respond/decision.ts';
import { ActorSystem } from '../supervisors/actor-system.ts';
import { TRAINER_PATH, detectorPath } from '../actors/tree-layout.ts';

export interface EvalOptions {
  benign: string[];
  attack: string[];
  labels: Labels;
  config: Config;
  geo?: GeoLookup | null;
  /** Instead of a fresh model shelf in a temporary directory (null: rules only). */
  models?: ModelShelf | null;
  onProgress?: (line: string) => void;
}

const GAP_S = 1;
/** Seconds of capture time the evaluation runs on after the last packet: as long as score.ts credits a ban made after its file ends. */
const DRAIN_S = LATE_S;

/** Reads the files once to know where each lands on the merged timeline. */
async function layOut(files: string[]): Promise<FileSpan[]> {
  const s = new FileSource(files, { backToBackGapS: GAP_S, batchSize: 4096 });
  while (await s.next());
  for (const e of s.errors) throw new RangeError(`cannot evaluate on ${e.file}: ${e.message}`);
  return s.spans;
}

function spanIndexAt(spans: FileSpan[], ts: number): number {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (spans[mid]!.firstTs <= ts) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

async function until(what: string, cond: () => boolean, limitMs = 600_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > limitMs) throw new Error(`evaluation stuck waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function evaluate(o: EvalOptions) {
  if (o.benign.length === 0 || o.attack.length === 0) throw new RangeError('eval needs at least one --benign and one --attack capture');
  const files = [...o.benign, ...o.attack];
  const t0 = performance.now();
  const spans = await layOut(files);
  const benignPackets = spans.filter((s) => s.index < o.benign.length).reduce((a, s) => a + s.packets, 0);
  const config: Config = structuredClone(o.config);
  config.model.retrainIntervalS = 0; // one model for the whole run: the numbers are about it
  const graceRows = Math.max(100, Math.min(config.model.graceRows, Math.floor((benignPackets * 2) / 3)));
  config.model.graceRows = graceRows;

  let tmp: string | undefined;
  let models = o.models;
  if (models === undefined && config.model.enabled) {
    tmp = mkdtempSync(join(tmpdir(), 'autoimmune-eval-'));
    // Loaded only when the model is on: tfjs takes a while to load.
    const { openModelShelf } = await import('../detect/model-shelf.ts');
    models = await openModelShelf(tmp, config.model);
  }
  // Trained and scored in capture order, whatever order the shards' work met in this run (capture-order.ts).
  if (models) models = inCaptureOrder(models);
  // the responder and the registry on the captures' timeline (capture-clock.ts)
  const clock = new CaptureClock();
  const registry = new MemoryBanRegistry(clock);
  const firewall = new DryRunBackend();
  const decisions: Decision[] = [];
  const alerts: Alert[] = [];
  const firstSeen = new Map<string, number>();
  const benignSources = new Set<string>();
  const attackerSet = new Set<string>([...o.labels.attackers]);
  for (const f of o.labels.files.values()) for (const a of f.attackers) attackerSet.add(a);
  const attempts = new LoginAttempts();
  const scores: number[] = [];
  const packetScores: number[] = [];
  const flows = new CaptureOrderFlows();
  const positive: boolean[] = [];
  let detected = 0;
  const isAttackSpan = (k: number) => spans[k]!.index >= o.benign.length;

  const defence = await assembleDefence({
    config,
    registry,
    firewall,
    models: models ?? null,
    featureCount: featureCount(),
    // The captures' own addresses are what is judged, not this machine's.
    interfaces: {},
    clock,
    onScored(batch, s, ps) {
      const p = batch.packets;
      if (p.length > 0) clock.reach(p.ts[p.length - 1]! * 1000);
      attempts.scan(p);
      for (let i = 0; i < p.length; i++) {
        const k = spanIndexAt(spans, p.ts[i]!);
        const src = p.formatAddress(i, 'src');
        if (!isAttackSpan(k)) benignSources.add(src);
        else if (attackerSet.has(src)) {
          const key = firstSeenKey(basename(spans[k]!.file), src);
          const t = firstSeen.get(key);
          if (t === undefined || p.ts[i]! < t) firstSeen.set(key, p.ts[i]!);
        }
        if (s) {
          scores.push(s[i]!);
          packetScores.push(ps ? ps[i]! : s[i]!);
          flows.add(p, i, ps ? ps[i]! : s[i]!);
          positive.push(isAttackSpan(k));
        }
      }
      detected += p.length;
    },
  });
  defence.desk.onDecision((d) => decisions.push(d));
  defence.desk.onAlert((a) => alerts.push(a));

  let failed: Error | undefined;
  const ends: Array<() => void> = [];
  const ended = (k: number) => new Promise<void>((r) => (ends[k] = r));
  const phase1End = ended(0);
  const phase2End = ended(1);
  const batchSize = config.pipeline.batchSize;
  const withModel = defence.trainer !== null;
  const pipeline = buildPipeline({
    sources: [
      {
        id: 'grace',
        restart: 'transient',
        open: (skip) => new FileSource(files, { backToBackGapS: GAP_S, batchSize, skip, limit: (withModel ? graceRows : Infinity) - skip }),
        onEnd: () => ends[0]!(),
      },
    ],
    shards: config.pipeline.shards,
    batchSize,
    highWater: config.pipeline.highWater,
    features: config.features,
    geo: o.geo ?? null,
    shardMailbox: config.pipeline.shardMailbox,
    next: (shard) => detectorPath(shard),
  });
  const system = new ActorSystem({
    nodeId: 'eval',
    defaults: config.supervision,
    onRootGaveUp: (e) => (failed = e),
    root: { strategy: 'one_for_one', children: [defence.detection.response, defence.detection.detection, pipeline.spec] },
  });
  const progress = setInterval(() => o.onProgress?.(`eval: ${detected} packets through detection, ${alerts.length} alerts, ${decisions.length} decisions`), 1000);
  // Rows routed to the shards: unroutable ones (malformed, unsupported) never reach a
  // detector, so waiting for them too hung the run for the 10-minute limit on any capture
  // that had one among the scored packets (an IP protocol scan's bare headers).
  const delivered = (c: CaptureProgress | undefined) => (c ? c.delivered : 0);
  const idle = () => system.paths().every((p) => system.depth(p) === 0);
  let trainMs = 0;
  try {
    await system.start();
    await phase1End;
    const grace = pipeline.captures.get('grace')!;
    await until('the detectors to see the grace packets', () => failed !== undefined || (detected >= grace.delivered && idle()));
    if (withModel) {
      const t = performance.now();
      system.send(TRAINER_PATH, { trainNow: true });
      await until('the first model', () => failed !== undefined || defence.board.current !== null);
      trainMs = performance.now() - t;
      const rest = captureSpec({
        id: 'scored',
        restart: 'transient',
        shards: pipeline.shardPaths,
        batchSize,
        highWater: config.pipeline.highWater,
        open: (skip) => new FileSource(files, { backToBackGapS: GAP_S, batchSize, skip: graceRows + skip }),
        onEnd: () => ends[1]!(),
        // The same link goes on: what the grace part verified (handshakes, hop counts) still holds.
        verifier: pipeline.verifier('grace'),
      });
      await system.startChild('/pipeline', rest);
      await phase2End;
      await until('the detectors to see every packet', () => failed !== undefined || (detected >= grace.delivered + delivered(rest.progress) && idle()));
    }
    if (failed) throw failed;
    // The node would go on after the last packet: the bans its rate limit held back are made as
    // tokens free, and the scoring counts a ban up to a minute after its file's end (score.ts)
    for (let s = 0; s < DRAIN_S; s++) {
      clock.reach(clock.now() + 1000);
      await defence.desk.settled();
    }
  } finally {
    clearInterval(progress);
    await system.stop();
    defence.close();
    await registry.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  const elapsedS = (performance.now() - t0) / 1000;

  const evalFiles: EvalFile[] = spans.map((s) => ({
    file: basename(s.file),
    role: s.index < o.benign.length ? 'benign' : 'attack',
    ...(o.labels.files.get(basename(s.file)) ? { label: o.labels.files.get(basename(s.file))! } : {}),
    firstTs: s.firstTs,
    lastTs: s.lastTs,
    packets: s.packets,
  }));
  const scored = scoreRun({
    files: evalFiles, extraAttackers: o.labels.attackers, firstSeen, benignSources, decisions, alerts,
    attempts: (address, from, to) => attempts.between(address, from, to),
  });
  return {
    benign: o.benign.map((f) => basename(f)),
    attack: o.attack.map((f) => basename(f)),
    packets: spans.reduce((a, s) => a + s.packets, 0),
    elapsedS: Math.round(elapsedS * 100) / 100,
    packetsPerS: Math.round(detected / elapsedS),
    ...scored,
    decisions: decisions.length,
    skipped: defence.desk.log.counts().bySkipReason,
    // skipped['rate-limited'] counts each refusal; what became of the refused bans
    rateLimit: defence.desk.deferred(),
    model: withModel ? { kind: config.model.kind, flowScoring: config.model.flowScoring, ...modelReport(config.model.flowScoring ? Array.from(flows.scores(defence.board.current!.typical)) : packetScores, scores, packetScores, positive, defence.board.current!.threshold, graceRows, trainMs, models!.backend) } : null,
  };
}

const r4 = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10_000) / 10_000);
const rate = (xs: number[], t: number) => (xs.length ? xs.filter((x) => x > t).length / xs.length : null);

/** ROC AUC and the detection rate at the score above which 1 % of held-out benign packets lie. */
function separation(scores: number[], positive: boolean[]) {
  const neg = scores.filter((_, i) => !positive[i]).sort((a, b) => a - b);
  const pos = scores.filter((_, i) => positive[i]);
  const t1 = neg.length ? neg[Math.min(neg.length - 1, Math.floor(neg.length * 0.99))]! : NaN;
  return { neg, pos, rocAuc: r4(rocAuc(scores, positive)), atOnePercentFpr: { threshold: r4(t1), truePositiveRate: r4(rate(pos, t1)) } };
}

/**
 * The scores that count (per flow when flow scoring is on, recomputed in capture order:
 * capture-order.ts) against the held-out benign and the attack packets; beside them the flow
 * scores as the shards computed them in this run (they move with how the shards' work
 * interleaved), and the per-packet scores they all came from.
 */
function modelReport(scores: number[], asScored: number[], packetScores: number[], positive: boolean[], threshold: number, graceRows: number, trainMs: number, backend: string) {
  const s = separation(scores, positive);
  const a = separation(asScored, positive);
  const p = separation(packetScores, positive);
  return {
    backend,
    trainedOnPackets: graceRows,
    trainS: Math.round(trainMs / 100) / 10,
    scoredPackets: scores.length,
    heldOutBenignPackets: s.neg.length,
    attackPackets: s.pos.length,
    rocAuc: s.rocAuc,
    threshold: r4(threshold),
    atThreshold: { falsePositiveRate: r4(rate(s.neg, threshold)), truePositiveRate: r4(rate(s.pos, threshold)) },
    atOnePercentFpr: s.atOnePercentFpr,
    asScored: { rocAuc: a.rocAuc, atThreshold: { falsePositiveRate: r4(rate(a.neg, threshold)), truePositiveRate: r4(rate(a.pos, threshold)) }, atOnePercentFpr: a.atOnePercentFpr },
    perPacket: { rocAuc: p.rocAuc, atOnePercentFpr: p.atOnePercentFpr, heldOutBenignMax: r4(p.neg[p.neg.length - 1] ?? null) },
  };
}
