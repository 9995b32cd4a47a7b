// `autoimmune replay`: capture files through the packet path, with a progress bar and a summary.

import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import { UsageError } from '../errors.ts';
import { parseSpeed } from '../net/file-source.ts';
import { replay, type ReplaySummary } from '../node/replay.ts';
import { openConfiguredGeo } from '../geo/from-config.ts';

function bar(fraction: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${'█'.repeat(n)}${'░'.repeat(width - n)}`;
}

export async function cmdReplay(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { speed: { type: 'string' }, shards: { type: 'string' }, json: { type: 'boolean' } }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See 'autoimmune --help'.`);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError("replay needs at least one capture file: autoimmune replay FILE... (see 'autoimmune --help')");
  let speed: number;
  try {
    speed = parseSpeed((values.speed as string | undefined) ?? 'max');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { config } = loadConfig();
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
        `  decoded ${d.ok.toLocaleString('en')}, unsupported ${d.unsupported}, malformed ${d.malformed}${reasons ? ` (${reasons})` : ''}\n` +
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
