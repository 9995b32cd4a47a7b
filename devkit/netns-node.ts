// A node as a real process (`autoimmune start`) inside a test-made network namespace, and
// HTTP calls to it from inside that namespace (it listens on the namespace's loopback).

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
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
