// A node as a real process (`autoimmune start`) inside a test-made network namespace, and
// HTTP calls to it from inside that namespace (it listens on the namespace's loopback).

import { execFile } from 'node:child_process';
import { testTempDir } from './temp-dir.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { NftablesBackend } from '../src/firewall/nftables.ts';
import { withNetnsPair, type NetnsPair } from './netns.ts';
import { spawnNodeProcess, type NodeProcess } from './node-process.ts';

const run = promisify(execFile);

/** A config file in `dir`: real nftables, no model or store (a faster start), and what `over` adds. */
export function netnsNodeConfig(dir: string, over: Record<string, unknown> = {}): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ firewall: { backend: 'nftables' }, capture: { interfaces: [] }, model: { enabled: false }, store: { enabled: false }, ...over }));
  return file;
}

export function startNodeIn(ns: string, id: string, stateDir: string, config: string): Promise<NodeProcess> {
  return spawnNodeProcess({ id, etcd: [], stateDir, config, wrap: ['ip', 'netns', 'exec', ns] });
}

/** What a test of a node in a namespace works with (withNetnsNode). */
export interface NetnsNode {
  pair: NetnsPair;
  /** The test's temp dir; config.json is in it. */
  dir: string;
  /** The state dir `start` uses unless given another. */
  stateDir: string;
  config: string;
  /** The defender's nftables, in the table a node uses by default. */
  nft: NftablesBackend;
  /** `autoimmune start` in the defender with the config; every node started so is killed after the test. */
  start(id: string, stateDir?: string): Promise<NodeProcess>;
}

/**
 * A test's body with a fresh pair, a temp dir (`tmpPrefix`) holding a config (netnsNodeConfig
 * with `over`) and a state dir. However the body ends, the nodes it started are killed, the
 * defender's nftables set is flushed and the pair closed. Skipped without root.
 */
export function withNetnsNode(t: TestContext, tmpPrefix: string, over: Record<string, unknown>, body: (n: NetnsNode) => Promise<void>): Promise<void> {
  return withNetnsPair(t, 'creates network namespaces and applies real rules in them', async (pair) => {
    const dir = testTempDir(tmpPrefix);
    const stateDir = join(dir, 'state');
    const config = netnsNodeConfig(dir, over);
    const nft = new NftablesBackend({ netns: pair.defender });
    const started: NodeProcess[] = [];
    const start = async (id: string, at = stateDir): Promise<NodeProcess> => {
      const node = await startNodeIn(pair.defender, id, at, config);
      started.push(node);
      return node;
    };
    try {
      await body({ pair, dir, stateDir, config, nft, start });
    } finally {
      for (const node of started) await node.kill();
      await nft.flush().catch(() => {});
    }
  });
}

/**
 * An HTTP call made from inside the namespace; the answer's status and JSON body (null when
 * empty). `headers` adds to the bearer token (a bouncer's X-Api-Key, for instance).
 */
export async function callIn(ns: string, url: string, method: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const all = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers };
  const script = `
    const r = await fetch(process.argv[1], { method: process.argv[2], headers: JSON.parse(process.argv[3]), body: process.argv[4] || undefined });
    const text = await r.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch {}
    console.log(JSON.stringify({ status: r.status, body }));`;
  const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script, url, method, JSON.stringify(all), body === undefined ? '' : JSON.stringify(body)]);
  return JSON.parse(stdout) as { status: number; body: unknown };
}
