// The body of a shard's worker thread (see shard-protocol.ts): one enricher and its detector,
// as the enricher and detector actors run them on the main thread, on batches transferred
// in. The model-wait flush and the flow tick run on the thread's own timers and post what
// they produce. A failure is posted (then the thread exits), so the actor crashes and its
// supervisor restarts it with a new thread.

import { parentPort, workerData, type Transferable } from 'node:worker_threads';
import { DetectorShard, newModelBoard, type DetectorOutput } from '../detect/detector-shard.ts';
import { Enrichment } from '../detect/enrichment.ts';
import { FlowFeatureExtractor } from '../detect/flow-features.ts';
import { FlowMeter } from '../detect/flow-meter.ts';
import type { FlowRecord } from '../detect/flow-record.ts';
import { encodeFlows } from './flow-columns.ts';
import { openGeoLookup, type GeoInfo } from '../geo/geo-lookup.ts';
import { PacketBatch } from '../net/packet-batch.ts';
import type { FromThread, ModelSlot, ShardOutput, ShardStats, ShardThreadData, ToThread } from './shard-protocol.ts';
import { tableCounters } from '../detect/table-report.ts';
import { nameThread } from '../util/thread-name.ts';
import { warmUp } from '../detect/warm-up.ts';

const TICK_MS = 1000;
/** Flow summaries sent with a batch's reply, without waiting for the tick, past this many. */
const FLOW_BATCH = 512;
/** The stats (for the tree) go with a batch's reply at most this often, and with each flow tick (its ended flows move flowsOpen with no batch). */
const STATS_MS = 250;

const port = parentPort!;
const d = workerData as ShardThreadData;
nameThread(`ai-shard-${d.shard}`);
const post = (m: FromThread, transfer: Transferable[] = []) => port.postMessage(m, transfer);

function fail(err: unknown): void {
  post({ t: 'failed', message: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack });
  process.exit(1);
}

try {
  const geo = d.geo ? await openGeoLookup(d.geo) : null;
  const enrichment = new Enrichment<GeoInfo | undefined>(d.shard, new FlowFeatureExtractor(d.features), geo as never);
  const detector = new DetectorShard(d.shard, d.rules, d.settings, d.flows ? new FlowMeter(d.flows) : null, d.settings.ruleLimits, null);
  const board = newModelBoard(null, d.grace, d.flowScoring);
  let waitTimer: NodeJS.Timeout | null = null;
  let lastBatchAt = Date.now();

  // Models are loaded only once one arrives, tfjs only for KitNET (it takes a while, and a
  // rules-only node never needs it).
  const scorerOf = async (slot: ModelSlot) => {
    if (slot === null) return null;
    const { asScorer } = await import('../detect/model-shelf.ts');
    const { modelFromJSON } = await import('../detect/model/anomaly-model.ts');
    const model = modelFromJSON(JSON.parse(slot.text), { file: `model v${slot.version}`, featureCount: enrichment.features.featureCount });
    if (model.backend !== 'js') await (await import('../detect/model/tf-backend.ts')).initTensorflow();
    return asScorer(slot.version, model, d.flowScoring);
  };

  /**
   * What to post for `o`, and the packet buffers of its batches, now done with: their feature
   * buffers go back to the enrichment here (a new one per batch was ~200 KB of garbage), the
   * packet buffers to the main thread's pool.
   */
  const output = (o: DetectorOutput, flows: FlowRecord[]): { out: ShardOutput; transfer: Transferable[]; buffers: ArrayBuffer[] } => {
    const buffers: ArrayBuffer[] = [];
    for (const s of o.scored) {
      buffers.push(s.batch.packets.buffer);
      s.batch.release?.();
    }
    const transfer: Transferable[] = o.sample ? [o.sample.rows.buffer as ArrayBuffer, ...(o.sample.flowContext ? [o.sample.flowContext.buffer as ArrayBuffer] : [])] : [];
    transfer.push(...buffers);
    const columns = flows.length > 0 ? encodeFlows(flows) : null;
    if (columns) transfer.push(columns.numbers.buffer as ArrayBuffer);
    return { out: { alerts: o.alerts, tally: o.tally, sample: o.sample, shadow: o.shadow, flows: columns }, transfer, buffers };
  };

  /** When the stats were last posted (0: never). */
  let statsAt = 0;
  /** The stats if they are due: the first reply's, then every STATS_MS (the tick's too: it ends flows with no packet). */
  const dueStats = (now: number): ShardStats | undefined => {
    if (statsAt !== 0 && now - statsAt < STATS_MS) return undefined;
    statsAt = now;
    return stats();
  };

  const stats = (): ShardStats => {
    const f = enrichment.features.stats();
    const r = detector.rules.stats();
    const m = detector.meter?.stats();
    return {
      packets: detector.packets,
      scored: detector.scored,
      late: detector.late,
      anomalous: detector.gate.anomalous,
      alerts: r.alerts + detector.gate.alerts,
      hosts: f.hosts.entries,
      pairs: f.pairs.entries,
      sockets: f.sockets.entries,
      evictions: f.hosts.evictions + f.pairs.evictions + f.sockets.evictions,
      flowsOpen: m?.open ?? 0,
      flowsEnded: m?.ended ?? 0,
      tables: tableCounters({ ...enrichment.features.tables(), ...detector.tables(), ...(geo ? geo.tables() : {}) }),
    };
  };

  /** Rows wait for the model at most modelWaitMs, then are scored whatever their number. */
  const armWait = () => {
    if (detector.waiting > 0 && !waitTimer) {
      waitTimer = setTimeout(() => {
        waitTimer = null;
        try {
          const { out, transfer, buffers } = output(detector.flush(board), detector.endedFlows >= FLOW_BATCH ? detector.takeFlows() : []);
          post({ t: 'out', out, buffers }, transfer);
        } catch (err) {
          fail(err);
        }
      }, d.modelWaitMs);
    } else if (detector.waiting === 0 && waitTimer) {
      clearTimeout(waitTimer);
      waitTimer = null;
    }
  };

  // Each second: flows idle by then end (a quiet link still ends its flows), and the stats go with it (at most every STATS_MS).
  const tick = setInterval(() => {
    try {
      const now = Date.now();
      let columns = null;
      if (d.flows) {
        detector.expireFlows((now - lastBatchAt) / 1000);
        const flows = detector.takeFlows();
        if (flows.length > 0) columns = encodeFlows(flows);
      }
      const s = dueStats(now);
      if (columns || s) post({ t: 'out', out: { alerts: [], tally: null, sample: null, shadow: null, flows: columns }, ...(s ? { stats: s } : {}) }, columns ? [columns.numbers.buffer as ArrayBuffer] : []);
    } catch (err) {
      fail(err);
    }
  }, TICK_MS);

  let queue = Promise.resolve();
  port.on('message', (m: ToThread) => {
    // One message at a time, in order (a model must be in place before the batches after it).
    queue = queue.then(async () => {
      try {
        if (m.t === 'batch') {
          const batch = new PacketBatch(m.capacity, m.buffer);
          batch.length = m.length;
          lastBatchAt = Date.now();
          const o = detector.process(enrichment.enrich(batch, false, m.late), board);
          armWait();
          const { out, transfer, buffers } = output(o, detector.endedFlows >= FLOW_BATCH ? detector.takeFlows() : []);
          const s = dueStats(lastBatchAt);
          post(s ? { t: 'done', id: m.id, out, stats: s, buffers } : { t: 'done', id: m.id, out, buffers }, transfer);
        } else if (m.t === 'board') {
          if (m.grace !== undefined) board.grace = m.grace;
          if (m.flagged) for (const k of m.flagged) board.flagged!.addKey(k);
          if (m.current !== undefined) board.current = await scorerOf(m.current);
          if (m.candidate !== undefined) board.candidate = await scorerOf(m.candidate);
        } else if (m.t === 'stop') {
          if (waitTimer) clearTimeout(waitTimer);
          clearInterval(tick);
          const o = detector.flush(board);
          // Open flows are reported as they are: a stop or a restart loses none.
          detector.flushFlows();
          const { out, transfer } = output(o, detector.takeFlows());
          post({ t: 'stopped', out, stats: stats() }, transfer);
          port.close();
        }
      } catch (err) {
        fail(err);
      }
    });
  });
  // The model in force first, then the warm-up (its scoring included), all before the first batch.
  if (d.current) board.current = await scorerOf(d.current);
  const warmed = warmUp({ packets: d.warmUpPackets, shard: { features: d.features, rules: d.rules, settings: d.settings, flows: d.flows, geo: geo as never, model: board.current, flowScoring: d.flowScoring, grace: d.grace } });
  post({ t: 'ready', warmedMs: Math.round(warmed.ms) });
} catch (err) {
  fail(err);
}
