// A model in force for the node benchmark: the flow features of the benign shared captures
// (one shard's extractor, as the grace period would see them) trained with the node's own
// shelf into `<stateDir>/models` and promoted, so a node started on that state dir scores
// every packet from its first one. Fewer rows and epochs than the defaults: the cost of
// *scoring* depends on the model's shape (groups of at most maxGroupSize features), not on
// how long it was trained.

import type { Config } from '../../src/config/schema.ts';
import { openModelShelf } from '../../src/detect/model-shelf.ts';
import { FlowFeatureExtractor } from '../../src/detect/flow-features.ts';
import { Enrichment } from '../../src/detect/enrichment.ts';
import { FileSource } from '../../src/net/file-source.ts';

export async function trainBenchModel(stateDir: string, benign: string[], model: Config['model'], rows: number): Promise<{ version: number; rows: number; trainS: number }> {
  const shelf = await openModelShelf(stateDir, model);
  const enrich = new Enrichment(0, new FlowFeatureExtractor({}), null);
  const fc = enrich.features.featureCount;
  const all = new Float64Array(rows * fc);
  let count = 0;
  const source = new FileSource(benign, { backToBackGapS: 1, batchSize: 1024, limit: rows });
  for (let b = await source.next(); b !== null; b = await source.next()) {
    const out = enrich.enrich(b, true);
    all.set(out.features.subarray(0, b.length * fc), count * fc);
    count += b.length;
  }
  const t0 = performance.now();
  const scorer = await shelf.train(all, count);
  await shelf.promote(scorer.version);
  return { version: scorer.version, rows: count, trainS: Math.round((performance.now() - t0) / 100) / 10 };
}
