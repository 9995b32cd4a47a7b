// Live-capture loss on `lo`: the paced generator (its own process) sends UDP to a port
// nobody listens on, LiveCapture reads it with its production defaults and a filter for
// that port, and a consumer pulls the batches and routes them to shards like the
// CaptureActor does. Loss = (sent - captured) / sent. tcpdump on the same generator in the
// same run is the reference.
//
//   node --import tsx bench/packets/live.ts [--seconds N]     one JSON line per result
//
// Needs root or CAP_NET_RAW; without it, says so on stderr and reports nothing.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { canCapture, LiveCapture } from '../../src/net/live-capture.ts';
import type { LiveCaptureOptions } from '../../src/net/live-capture.ts';
import { ShardRouter } from '../../src/net/shard-router.ts';
import { report, type Result } from '../report.ts';
import type { GeneratorReport } from './traffic-generator.ts';
import { runJsonChild } from '../child-json.ts';

const GENERATOR = fileURLToPath(new URL('./traffic-generator.ts', import.meta.url));
const RATES = [10_000, 50_000, 100_000, 200_000];
const LOSS_UNIT = 'ratio (packets lost / sent)';
/** Lets the capture (or tcpdump) open before the first datagram. */
const START_DELAY_MS = 300;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A UDP port free right now; nothing listens on it during the run, so nothing reads the traffic. */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function runGenerator(pps: number, count: number, port: number): Promise<GeneratorReport> {
  const args = ['--import', 'tsx', GENERATOR, '--pps', String(pps), '--count', String(count), '--port', String(port), '--delay-ms', String(START_DELAY_MS)];
  return runJsonChild<GeneratorReport>(process.execPath, args, 'traffic generator');
}

/** Wait until `count()` reaches `target` or stops moving for a while (bounded). */
async function settle(count: () => number, target: number): Promise<void> {
  const deadline = performance.now() + 5000;
  let last = -1;
  let stillSince = performance.now();
  while (count() < target && performance.now() < deadline) {
    const c = count();
    if (c !== last) {
      last = c;
      stillSince = performance.now();
    } else if (performance.now() - stillSince > 300) {
      return;
    }
    await sleep(10);
  }
}

/** One LiveCapture run at `pps`: the consumer pulls and routes, as the CaptureActor does. */
async function liveRun(pps: number, seconds: number, options: Partial<LiveCaptureOptions> = {}): Promise<Record<string, number>> {
  const port = await freePort();
  const capture = LiveCapture.open({ ...options, iface: 'lo', filter: `udp and dst port ${port}` });
  let captured = 0;
  let routed = 0;
  const router = new ShardRouter(4, capture.batchSize, (_s, b) => (routed += b.length));
  const consumer = (async () => {
    for (;;) {
      const b = await capture.next();
      if (b === null) return;
      captured += b.length;
      router.route(b);
      router.flush();
      // One event-loop turn per batch, like the actor's self-addressed pump message.
      await new Promise((r) => setImmediate(r));
    }
  })();
  let gen: GeneratorReport;
  try {
    gen = await runGenerator(pps, Math.round(pps * seconds), port);
    await settle(() => captured, gen.sent);
  } finally {
    await capture.close();
    await consumer;
  }
  const s = capture.stats();
  return {
    sent: gen.sent,
    captured,
    routed,
    kernel_drops: s.kernelDrops,
    shed: s.shed,
    achieved_pps: gen.achieved_pps,
    target_pps: pps,
    loss: (gen.sent - captured) / gen.sent,
  };
}

/** tcpdump -B 4096 (4 MiB) writing to /dev/null on the same generator; null when tcpdump is missing. */
async function tcpdumpRun(pps: number, seconds: number): Promise<Record<string, number> | null> {
  const port = await freePort();
  const td = spawn('tcpdump', ['-i', 'lo', '-B', '4096', '-nn', '-w', '/dev/null', `udp and dst port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  td.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => {
    td.on('exit', (code) => r(code));
    td.on('error', () => r(null));
  });
  const deadline = performance.now() + 10_000;
  while (!err.includes('listening on') && td.exitCode === null && performance.now() < deadline) await sleep(10);
  if (!err.includes('listening on')) {
    td.kill('SIGKILL');
    await exited;
    process.stderr.write(`bench live: tcpdump did not start: ${err.trim() || 'not installed?'}\n`);
    return null;
  }
  const gen = await runGenerator(pps, Math.round(pps * seconds), port);
  // tcpdump's ring hands over a partly filled block only after its 1 s timeout.
  await sleep(1500);
  td.kill('SIGINT');
  await exited;
  const num = (re: RegExp): number => Number(re.exec(err)?.[1] ?? NaN);
  const captured = num(/(\d+) packets? captured/);
  return {
    sent: gen.sent,
    captured,
    kernel_drops: num(/(\d+) packets? dropped by kernel/),
    received_by_filter: num(/(\d+) packets? received by filter/),
    achieved_pps: gen.achieved_pps,
    target_pps: pps,
    loss: (gen.sent - captured) / gen.sent,
  };
}

const round = (x: number): number => Number(x.toFixed(6));

export async function benchLive(seconds = 3): Promise<Result[]> {
  if (canCapture() === false) {
    process.stderr.write('bench live: skipped: capturing on lo needs root or CAP_NET_RAW; run the benchmark as root\n');
    return [];
  }
  const results: Result[] = [];
  for (const pps of RATES) {
    const { loss, ...r } = await liveRun(pps, seconds);
    results.push({ name: `live_loss_ratio_${pps / 1000}k`, value: round(loss), unit: LOSS_UNIT, ...r });
    if (pps === 200_000) results.push({ name: 'generator_achieved_pps_200k', value: r.achieved_pps, unit: 'packets/s sent (target 200000)' });
  }
  // A snaplen as large as tcpdump's switches LiveCapture to TPACKET_V3 blocks: measured for comparison.
  {
    const { loss, ...r } = await liveRun(200_000, seconds, { snaplen: 262144 });
    results.push({ name: 'live_loss_ratio_200k_snaplen_262144', value: round(loss), unit: LOSS_UNIT, ...r });
  }
  const td = await tcpdumpRun(200_000, seconds);
  if (td !== null) {
    const { loss, ...r } = td;
    results.push({ name: 'tcpdump_loss_ratio_200k', value: round(loss), unit: `${LOSS_UNIT}, tcpdump -B 4096 -w /dev/null`, ...r });
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--seconds');
  const seconds = i > 0 ? Number(process.argv[i + 1]) : 3;
  if (!(seconds > 0 && seconds <= 600)) {
    process.stderr.write(`bench live: --seconds ${process.argv[i + 1]} is invalid: use a number from 0 to 600\n`);
    process.exit(2);
  }
  for (const r of await benchLive(seconds)) report(r);
}
