// SIGTERM with queries running: `autoimmune start` (a real process) stops within
// supervision.shutdownMs, because closing the store interrupts its queries in DuckDB. Past
// that bound the CLI exits with status 1 and says so, so status 0 is the proof it finished in
// time; every request that was waiting gets an answer. The queries are trends by minute per
// source over 300,000 stored alerts, which would run for many seconds (with a deadline of a
// minute: only the stop can end them).

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TreeSnapshot } from '../src/supervisors/cell.ts';
import { fillEvents } from '../devkit/store-fill.ts';
import { waitFor } from '../devkit/wait.ts';
import { findNode } from '../devkit/tree.ts';

const BIN = 'bin/autoimmune.js';

function storeStats(t: TreeSnapshot): Record<string, number> | undefined {
  return findNode(t, (n) => n.path === '/store')?.stats;
}

test('SIGTERM while four slow queries run: the node stops within supervision.shutdownMs and every request is answered', async () => {
  const dir = testTempDir('ai-sigterm-');
  const state = join(dir, 'state');
  mkdirSync(state, { mode: 0o700 });
  await fillEvents(join(state, 'events.duckdb'), 300_000);
  const cfg = join(dir, 'node.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      node: { stateDir: state },
      http: { port: 0, clientLimits: { perS: 100, burst: 100, inFlight: 8 } },
      capture: { interfaces: [] },
      firewall: { backend: 'dry-run' },
      model: { enabled: false },
      store: { queryTimeoutMs: 60_000 },
      supervision: { shutdownMs: 5000 },
    }),
  );
  const child = spawn(process.execPath, [BIN, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = once(child, 'exit');
  try {
    await waitFor(() => /status page\s+(http:\/\/\S+)\//.test(out) || child.exitCode !== null, 'the node started', 60_000);
    const url = /status page\s+(http:\/\/\S+)\//.exec(out)?.[1];
    assert.ok(url, `the node did not start: ${out}${err}`);
    const body = JSON.stringify({ from: '1970-01-01T00:00:00Z', bucket: 'minute', groupBy: 'source' });
    const requests = [1, 2, 3, 4].map(() =>
      fetch(`${url}/api/tools/trend_events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (r) => ({ status: r.status, body: await r.text() }),
        (e: Error) => ({ status: 0, body: String(e.cause ?? e) }),
      ),
    );
    let running = 0;
    await waitFor(async () => {
      const tree = (await (await fetch(`${url}/api/tree`)).json()) as { tree: TreeSnapshot };
      running = storeStats(tree.tree)?.running ?? 0;
      return running === 4;
    }, 'four queries running in the database');
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, `the stop finished within supervision.shutdownMs (else the CLI exits 1): ${err}`);
    assert.doesNotMatch(err, /did not stop within/);
    for (const r of await Promise.all(requests)) {
      // Answered, not left hanging: the node's answer names the store closing, or the
      // connection closed with the process.
      assert.ok(r.status === 0 || r.status === 200 || r.status === 503, `${r.status} ${r.body}`);
      if (r.status === 200) assert.match(r.body, /closing/);
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
