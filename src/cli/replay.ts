// `autoimmune replay`: capture files through the packet path, with a progress bar and a
// summary. With --to URL, into a running node's own packet path (detection, bans) through
// its API; without, through a decode-and-enrich tree of this process (no detection).

import { openAsBlob, statSync } from 'node:fs';
import { basename } from 'node:path';
import { loadConfig } from '../config/load-config.ts';
import { UsageError } from '../errors.ts';
import { tooLargeText, type CaptureUploadStatus } from '../node/capture-uploads.ts';
import { callApi, getJson, nodeTarget, parseSub, refused, TARGET_HELP, type ApiTarget } from './node-target.ts';
import { parseSpeed } from '../net/file-source.ts';
import type { DecodeStatsSnapshot } from '../net/decode-stats.ts';
import { replay, type ReplaySummary } from '../node/replay.ts';
import { openConfiguredGeo } from '../geo/from-config.ts';

function bar(fraction: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${'█'.repeat(n)}${'░'.repeat(width - n)}`;
}

export const REPLAY_HELP = `Usage: autoimmune replay --to URL FILE... [--speed max|1x|10x] [--json]
       autoimmune replay FILE... [--speed max|1x|10x] [--shards N] [--json]

With --to, each capture (.pcap, .pcapng) is sent to the running node at URL, which replays
it through its own packet path beside live capture (shards, rules, the model, the responder,
the firewall): what the capture holds is detected and banned as if it had been seen live.
Prints what the node made of it: packets, and the alerts and bans it raised meanwhile
(autoimmune alerts shows them). A node without root (no live capture) is fed this way.

Without --to, the files go through a decode-and-enrich tree in this process (decoding,
shards, flow features, GeoIP) and the counts are printed: nothing is detected or banned.
It checks captures and measures the packet path.

Options:
  --to URL         the node to replay into (its token as for every command: see below)
  --speed S        as fast as possible (max, the default) or the recorded timing sped up: 1x, 10x
  --shards N       shards of the offline tree (default pipeline.shards)
  --json           the node's status of each replay, or the offline summary, as JSON
${TARGET_HELP.split('\n').filter((l) => !l.includes('--url') && !l.includes('else http.host')).join('\n')}`;

function checkFile(f: string): number {
  try {
    const st = statSync(f);
    if (!st.isFile()) throw new Error('not a regular file');
    return st.size;
  } catch (err) {
    throw new UsageError(`cannot read capture ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** One capture into the node at `t`: sent, then followed until the node has handled every packet. */
async function replayInto(t: ApiTarget, file: string, speed: string, tty: boolean): Promise<CaptureUploadStatus> {
  // The node's limit first: past it the node cuts the upload short, and the answer may be lost to the broken pipe.
  const limits = await callApi(t, 'GET', '/api/captures/limits');
  const size = statSync(file).size;
  if (limits.status === 200 && typeof limits.json?.maxBytes === 'number' && size > limits.json.maxBytes) throw new UsageError(tooLargeText(basename(file), size.toLocaleString('en'), limits.json.maxBytes));
  const q = new URLSearchParams({ name: basename(file), speed });
  const { status, json } = await callApi(t, 'POST', `/api/captures?${q}`, await openAsBlob(file), 'application/vnd.tcpdump.pcap', 600_000);
  if (status !== 202) refused(status, json, t);
  let s = json as CaptureUploadStatus;
  let lastLine = 0;
  const t0 = Date.now();
  while (s.state !== 'done') {
    await new Promise((r) => setTimeout(r, 250));
    s = (await getJson(t, `/api/captures/${encodeURIComponent(s.id)}`)) as CaptureUploadStatus;
    const line = `replay ${basename(file)} into ${t.base}: ${s.packets.toLocaleString('en')} packets, ${s.confirmed.toLocaleString('en')} handled, alerts ${s.alerts}, bans ${s.bans}`;
    const elapsed = (Date.now() - t0) / 1000;
    if (tty) process.stderr.write(`\r${line}`);
    else if (elapsed - lastLine >= 2) {
      lastLine = elapsed;
      process.stderr.write(`${line}\n`);
    }
  }
  if (tty) process.stderr.write('\n');
  return s;
}

/** What the frames were read under, when anything: mirror tunnels, MPLS label stacks, PPPoE sessions (decode.ts). */
function carriedText(d: DecodeStatsSnapshot): string {
  const parts = [d.tunnelled ? `${d.tunnelled.toLocaleString('en')} from mirror tunnels` : '', d.mpls ? `${d.mpls.toLocaleString('en')} under MPLS` : '', d.pppoe ? `${d.pppoe.toLocaleString('en')} in PPPoE` : ''].filter(Boolean);
  return parts.length ? `; ${parts.join(', ')}` : '';
}

function intoText(s: CaptureUploadStatus, base: string): string {
  const secs = ((s.endedAt ?? Date.now()) - s.startedAt) / 1000;
  const d = s.decode;
  return (
    `replayed ${s.name} into ${base}: ${s.packets.toLocaleString('en')} packets in ${secs.toFixed(1)} s (decoded ${d.ok.toLocaleString('en')}, unsupported ${d.unsupported}, malformed ${d.malformed}${s.lost ? `, lost ${s.lost}` : ''})\n` +
    `  the node raised ${s.alerts} alert${s.alerts === 1 ? '' : 's'} and made ${s.bans} ban${s.bans === 1 ? '' : 's'} meanwhile${s.alerts + s.bans > 0 ? ` (autoimmune alerts --url ${base}; autoimmune bans --url ${base})` : ''}\n` +
    s.errors.map((e) => `  file error: ${e}\n`).join('')
  );
}

async function cmdReplayInto(values: { to?: string; token?: string; config?: string; 'state-dir'?: string; speed?: string; json?: boolean; shards?: string }, files: string[]): Promise<number> {
  if (values.shards !== undefined) throw new UsageError('--shards goes with the offline replay; with --to the node replays through its own shards');
  for (const f of files) checkFile(f);
  const t = nodeTarget({ ...values, url: values.to! });
  const speed = values.speed ?? 'max';
  const all: CaptureUploadStatus[] = [];
  for (const f of files) {
    const s = await replayInto(t, f, speed, process.stderr.isTTY);
    all.push(s);
    if (!values.json) process.stdout.write(intoText(s, t.base));
  }
  if (values.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
  return all.some((s) => s.errors.length > 0) ? 1 : 0;
}

export async function cmdReplay(args: string[]): Promise<number> {
  const { values, positionals } = parseSub(
    args,
    { to: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, speed: { type: 'string' }, shards: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    'replay',
  );
  if (positionals.length === 0) throw new UsageError("replay needs at least one capture file: autoimmune replay --to URL FILE... (see 'autoimmune replay --help')");
  let speed: number;
  try {
    speed = parseSpeed(values.speed ?? 'max');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.to !== undefined) return cmdReplayInto(values, positionals);
  if (values.token !== undefined || values['state-dir'] !== undefined) throw new UsageError('--token and --state-dir go with --to URL (the offline replay talks to no node)');
  const { config } = loadConfig(values.config);
  const shardsText = (values.shards as string | undefined) ?? String(config.pipeline.shards);
  const shards = Number(shardsText);
  if (!/^\d+$/.test(shardsText) || shards < 1 || shards > 64) throw new UsageError(`--shards must be an integer from 1 to 64, got ${JSON.stringify(shardsText)}`);
  const geo = await openConfiguredGeo(config.geo);
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  let summary: ReplaySummary;
  try {
    summary = await replay(positionals, {
      speed,
      shards,
      batchSize: config.pipeline.batchSize,
      features: config.features,
      geo,
      supervision: config.supervision,
      onProgress: (p) => {
        const pct = p.bytesTotal > 0 ? p.bytesRead / p.bytesTotal : 0;
        const line = `replay ${bar(pct)} ${(pct * 100).toFixed(0).padStart(3)}%  file ${p.fileIndex + 1}/${p.files}  ${p.packets.toLocaleString('en')} packets  ${Math.round(p.packets / Math.max(p.elapsedS, 1e-3)).toLocaleString('en')} pkt/s`;
        if (tty) process.stderr.write(`\r${line}`);
        else if (p.elapsedS - lastLine >= 2) {
          lastLine = p.elapsedS;
          process.stderr.write(`${line}\n`);
        }
      },
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  if (tty) process.stderr.write('\n');
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const d = summary.decode;
    const reasons = Object.entries(d.byReason).map(([k, v]) => `${k} ${v}`).join(', ');
    process.stdout.write(
      `replayed ${summary.files.length} file(s): ${summary.packets.toLocaleString('en')} packets in ${summary.elapsedS.toFixed(2)} s (${summary.packetsPerS.toLocaleString('en')} pkt/s)\n` +
        `  decoded ${d.ok.toLocaleString('en')}, unsupported ${d.unsupported}, malformed ${d.malformed}${reasons ? ` (${reasons})` : ''}${carriedText(d)}\n` +
        `  routed to ${summary.shards.length} shards: ${summary.shards.map((s) => s.packets.toLocaleString('en')).join(' / ')}; dropped ${summary.dropped}; restarts ${summary.restarts}\n` +
        `  GeoIP: ${geo.stats().lookups.toLocaleString('en')} lookups, ${geo.stats().cacheHits.toLocaleString('en')} cache hits, ${geo.stats().reserved.toLocaleString('en')} private/reserved\n` +
        `  flows tracked: ${summary.shards.map((s) => `${s.flows?.hosts.entries ?? 0} hosts, ${s.flows?.pairs.entries ?? 0} pairs, ${s.flows?.sockets.entries ?? 0} sockets`).join(' | ')}\n`,
    );
  }
  for (const e of summary.fileErrors) process.stderr.write(`autoimmune: ${e.message}\n`);
  if (summary.error) {
    process.stderr.write(`autoimmune: replay stopped early: ${summary.error}\n`);
    return 1;
  }
  if (summary.fileErrors.length > 0) return 1;
  return 0;
}
