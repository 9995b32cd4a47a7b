// Configuration for tests that start a node: a fresh state dir, a free port, the dry-run
// firewall (never the host's own rules) and no model unless a test asks for one.

import { mkdtempSync } from 'node:fs';
import { testTempDir } from './temp-dir.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, mergeConfig } from '../src/config/load-config.ts';
import type { Config } from '../src/config/schema.ts';

export function testConfig(overrides: Record<string, unknown> = {}): Config {
  const base = {
    node: { stateDir: testTempDir('autoimmune-state-') },
    http: { port: 0 },
    firewall: { backend: 'dry-run' },
    model: { enabled: false },
  };
  return loadConfig(undefined, mergeConfig(base, overrides as never) as never).config;
}
