// What a node keeps in memory grows with traffic only up to a bound from the config, and the
// bound is reported (table-report.ts: `table.NAME` and `table.NAME.bound` in /api/tree and
// autoimmune_table_entries / _bound). A store with no database (store.backend "memory")
// kept every row of store.memoryMinutes whatever store.memoryRows said, and every alert's
// vector in the similarity index for ever; the trainer's rows, the flood watch's victims and
// the store's tiers were bounded but not reported.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { ModelTrainer } from '../src/detect/model-trainer.ts';
import type { AnomalyScorer } from '../src/detect/detector-shard.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { VictimRules } from '../src/detect/rules/victim-rules.ts';
import { tableCounters } from '../src/detect/table-report.ts';
import { trainerSpec } from '../src/actors/trainer.ts';
import { EventStore } from '../src/store/event-store.ts';
import { SimilarIndex } from '../src/store/similar-index.ts';

const DIM = 4;

function alert(i: number): Alert {
  const ts = 1_700_000_000 + i;
  return {
    type: 'port-scan-vertical', source: `203.0.113.${(i % 250) + 1}`, target: '10.0.0.1', score: 0.9, ts, firstTs: ts,
    detector: 'rules', blockable: true, evidence: {}, features: [i, i % 7, i % 11, 1],
  } as Alert;
}

test('a store with no database holds at most memoryRows rows, and its similarity index forgets the alerts it lets go', () => {
  const index = new SimilarIndex({ dimensions: DIM, fitCount: 8 });
  // Every row inside memoryMs (one hour, the clock still): only the row bound can hold.
  const store = new EventStore({ node: 'n1', backend: null, index, memoryMs: 3_600_000, maxMemoryRows: 1000, now: () => 1_700_000_000_000 });
  const rows = Array.from({ length: 2500 }, (_, i) => store.addAlert(alert(i)));
  assert.equal(store.stats.memoryRows, 1000, 'the memory tier stops at memoryRows');
  // Each alert let go is removed from the index (usearch 2.25.3 fails some removals: see the README, Benchmarks, session 17).
  assert.equal(store.stats.forgotten, 1500);
  for (const r of rows.slice(0, 1000)) assert.equal(index.has(r.id), false, `alert ${r.id} let go is not in the index`);
  for (const r of rows.slice(1500)) assert.equal(index.has(r.id), true, `alert ${r.id} held is in the index`);
  const counters = tableCounters(store.tables());
  assert.equal(counters['table.storeMemoryRows'], 1000);
  assert.equal(counters['table.storeMemoryRows.bound'], 1000);
  assert.equal(counters['table.storePending'], undefined, 'no queue without a database');
});

test("the trainer's rows are reported against max(graceRows, retrainRows)", async () => {
  const board = { current: null, candidate: null, grace: true };
  const train = async (): Promise<AnomalyScorer> => ({ version: 1, threshold: 1, typical: 0.5, scoreBatch: () => {} }) as unknown as AnomalyScorer;
  const trainer = new ModelTrainer(board, { featureCount: 2, graceRows: 30, retrainRows: 20, minRetrainRows: 3, shadowRows: 100, promoteMaxAlertRatio: 1.2 }, train, async () => {});
  trainer.addRows(new Float64Array(2 * 12), 12);
  assert.deepEqual(tableCounters(trainer.tables()), { 'table.trainingRows': 12, 'table.trainingRows.bound': 30 });
  // As the tree shows it: the trainer actor's counters.
  const stats = trainerSpec(trainer, 0).stats!();
  assert.equal(stats['table.trainingRows'], 12);
  assert.equal(stats['table.trainingRows.bound'], 30);
});

test("the flood watch's victims (and carpet-bombed prefixes) are reported against their bounds", () => {
  const v = new VictimRules(DEFAULT_RULES, { maxVictims: 1024, maxPrefixes: 256 });
  assert.deepEqual(tableCounters(v.tables()), { 'table.floodVictims': 0, 'table.floodVictims.bound': 1024, 'table.floodPrefixes': 0, 'table.floodPrefixes.bound': 256 });
  const off = new VictimRules({ ...DEFAULT_RULES, carpetBombing: { ...DEFAULT_RULES.carpetBombing, enabled: false } }, { maxVictims: 1024 });
  assert.deepEqual(tableCounters(off.tables()), { 'table.floodVictims': 0, 'table.floodVictims.bound': 1024 });
});
