// Configuration for tests that start a node: a fresh state dir, a free port, the dry-run
// firewall (never the host's own rules) and no model unless a test asks for one.

import { mkdtempSync } from 'node:fs';
import { testTempDir } from './temp-dir.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, mergeConfig } from '../src/config/load-config.ts';
import type { Config } from '../src/config/schema.ts';

/**
 * AUTOIMMUNE_TEST_WORKERS=1: test nodes run their shards in worker threads (pipeline.workers)
 * unless a test says otherwise, so the suites written for actor shards run with threads.
 */
export const TEST_WORKERS = process.env.AUTOIMMUNE_TEST_WORKERS === '1';

/** A config's pipeline section with the threads switched on under TEST_WORKERS (a test's own value kept). */
export function withTestWorkers(pipeline: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!TEST_WORKERS || pipeline?.workers !== undefined) return pipeline;
  return { ...pipeline, workers: true };
}

export function testConfig(overrides: Record<string, unknown> = {}): Config {
  const base = {
    node: { stateDir: testTempDir('autoimmune-state-') },
    http: { port: 0 },
    firewall: { backend: 'dry-run' },
    model: { enabled: false },
  };
  const pipeline = withTestWorkers(overrides.pipeline as Record<string, unknown> | undefined);
  return loadConfig(undefined, mergeConfig(base, { ...overrides, ...(pipeline ? { pipeline } : {}) } as never) as never).config;
}
