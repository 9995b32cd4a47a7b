// API abuse benchmark (`npm run bench -- api`, ~15 s): a real node process (`autoimmune
// start`, default limits) is sent ten ~1 MB tool requests at once, each a list of 65,000 CIDRs
// (the abuse: 55,000 of them kept DuckDB busy for minutes and ten took 9.6 GB), first
// with a Content-Length, then chunked (no length: read until the limit). Then ten requests just
// under the body limit whose list is over its cap. Reported: time to each refusal (p50, max) and
// the node's RSS before, at most while they ran (sampled every 20 ms), and after.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, report } from './report.ts';
import { NODE_FLAGS, nodeEnv } from '../src/node/process-flags.ts';

const REQUESTS = 10;

/** Resident memory of a process, MB (/proc). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startNodeProcess(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const cfg = join(dir, 'node.json');
  writeFileSync(cfg, JSON.stringify({ node: { stateDir: join(dir, 'state') }, http: { port: 0 }, capture: { interfaces: [] }, firewall: { backend: 'dry-run' }, model: { enabled: false } }));
  // As the installed command runs it: the product's node flags and environment (its RSS is reported).
  const child = spawn(process.execPath, [...NODE_FLAGS, 'bin/autoimmune.js', 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'inherit'], env: nodeEnv() });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /status page\s+(http:\/\/\S+)\//.exec(out);
    if (m) return { child, url: m[1]! };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the node did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** POSTs `body` and resolves with the status and the ms until the answer (or the connection's end). */
function post(url: string, path: string, body: string, chunked: boolean): Promise<{ status: number; ms: number }> {
  const u = new URL(url);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method: 'POST', path, headers: { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    // Refused before the whole body is read, the connection may close under the upload.
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    for (let i = 0; i < body.length; i += 65_536) req.write(body.slice(i, i + 65_536));
    req.end();
  });
}

async function burst(url: string, pid: number, name: string, body: string, chunked: boolean): Promise<void> {
  const before = rssMb(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
  const t0 = performance.now();
  const answers = await Promise.all(Array.from({ length: REQUESTS }, () => post(url, '/api/tools/count_events', body, chunked)));
  const allMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 1000)); // anything still running would show now
  clearInterval(sampler);
  const after = rssMb(pid);
  const ms = answers.map((a) => a.ms);
  const statuses = [...new Set(answers.map((a) => a.status))].join(',');
  const common = { requests: REQUESTS, bodyBytes: Buffer.byteLength(body), statuses };
  report({ name: `${name}_refusal_p50_ms`, value: Number(median(ms).toFixed(1)), unit: 'ms', ...common });
  report({ name: `${name}_refusal_max_ms`, value: Number(Math.max(...ms).toFixed(1)), unit: 'ms', allMs: Number(allMs.toFixed(1)), ...common });
  report({ name: `${name}_rss_mb`, value: Number(after.toFixed(1)), unit: 'MB', before: Number(before.toFixed(1)), peak: Number(peak.toFixed(1)), delta: Number((after - before).toFixed(1)), ...common });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-bench-api-'));
  const { child, url } = await startNodeProcess(dir);
  try {
    const pid = child.pid!;
    await new Promise((r) => setTimeout(r, 1000)); // the node settles after start
    const cidrs = Array.from({ length: 65_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);
    const big = JSON.stringify({ source: cidrs });
    await burst(url, pid, 'api_oversized_1mb', big, false);
    await burst(url, pid, 'api_oversized_1mb_chunked', big, true);
    // Under the 64 KiB body limit, over the list's cap of 100: refused by the schema.
    const capped = JSON.stringify({ source: cidrs.slice(0, 3_500) });
    await burst(url, pid, 'api_over_cap_60kb', capped, false);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
