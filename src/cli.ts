// The `autoimmune` command.

import { readFileSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from './config/load-config.ts';
import { AutoimmuneError, UsageError } from './errors.ts';
import { startNode } from './node.ts';
import { parseSpeed } from './net/file-source.ts';
import { replay, type ReplaySummary } from './replay.ts';
import { apiTarget, block, listBans, parseTtl, unblock } from './cli-bans.ts';
import { askNode, confirmTool } from './cli-ask.ts';
import { runFeeds } from './cli/feeds.ts';
import { runBouncers } from './cli/bouncers.ts';
import { runInstallService } from './cli/install-service.ts';
import { evaluate } from './evaluate.ts';
import { readLabels } from './eval/labels.ts';
import { openConfiguredGeo } from './geo/from-config.ts';
import type { TreeSnapshot } from './supervisors/cell.ts';
import type { SystemSnapshot } from './supervisors/actor-system.ts';

const HELP = `autoimmune — a fault-tolerant, distributed network-defence system

Usage:
  autoimmune start [--config FILE] [--host ADDR] [--port N]
                   [--etcd URL[,URL…] --node-id ID] [--state-dir DIR]
      Run one node: the supervised actor tree and the status page and API on
      http://127.0.0.1:8000 by default. Without --etcd it runs alone on the
      embedded coordinator; with --etcd it joins that cluster: it registers under
      a lease, takes part in the leader election and runs the shards placement
      gives it (config/cluster-3.json is a three-node example; see npm run cluster).
  autoimmune status [--url URL] [--json]
      Print the running node's actor tree through its HTTP API.
  autoimmune replay FILE... [--speed max|1x|10x] [--shards N] [--json]
      Send .pcap/.pcapng files through the packet path (decode, shards, flow
      features, GeoIP) with a progress bar, then print a summary.
  autoimmune block ADDR [--ttl 10m] [--reason TEXT]
      Ban an address or CIDR on every firewall of the node for a TTL (default
      from responder.manualTtl). Allow-listed addresses are refused.
  autoimmune unblock ADDR
      Lift a ban.
  autoimmune bans [--json]
      The bans in force, with time left, who decided and why.
  autoimmune ask "QUESTION" [--node ID] [--tz ZONE] [--json]
      Ask the running node about the stored alerts, bans and flows, in Spanish or
      English ("¿Qué amenazas hemos visto desde China hoy?", "top 5 sources in the
      last hour", "how many flows to port 22 today"). Answers from the data, across the cluster unless --node, with the
      query it ran. A command ("bloquea …") gives a dry run to confirm with
      autoimmune ask --confirm ID --tool block_addresses.
  autoimmune feeds import FILE [--format F] [--ttl 24h] | list | refresh NAME
      Ban the addresses of a threat-intel list (FireHOL, Spamhaus DROP, abuse.ch Feodo,
      CrowdSec CSV/JSON, plain) on the running node, applying only the difference.
  autoimmune bouncers add NAME [--raw] | list | delete NAME
      CrowdSec bouncers that enforce this node's bans through its /v1/decisions API.
  autoimmune install-service [--state-dir DIR] [--config FILE] [--print]
      Write a systemd unit running the node with CAP_NET_RAW/CAP_NET_ADMIN, not root.
  autoimmune eval --benign FILE... --attack FILE... --attackers FILE
      Merge benign and attack captures on one timeline, run the whole pipeline with
      the dry-run firewall and print JSON: precision and recall of blocks, time to
      detection, the model's ROC AUC.
  autoimmune --help | --version

Options:
  --config FILE   a JSON file laid over config/default.json; unknown keys are errors
  --host ADDR     address to listen on (http.host)
  --port N        port to listen on, 0 for any free one (http.port)
  --etcd URLS     etcd endpoints, comma-separated (cluster.etcd), e.g. http://127.0.0.1:2379
  --node-id ID    this node's id in the cluster (node.id; default: the host name)
  --state-dir DIR where the node keeps its token, keys and models (node.stateDir)
  --url URL       the node to ask (default http://127.0.0.1:8000)
  --json          print the raw JSON (status: the snapshot; replay: the summary)
  --speed S       replay as fast as possible (max, the default) or at the recorded
                  timing sped up: 1x, 10x, …
  --shards N      enricher shards for replay (default 2)
  --token T       API token for block/unblock (default: $AUTOIMMUNE_TOKEN, or the
                  one the node keeps in its state dir)
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Flags and positional arguments of a command that takes both (block, ask…). */
function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See 'autoimmune --help'.`);
  }
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    // node's messages name the flag ("Unknown option '--prot'"); add where to look.
    throw new UsageError(`${(err as Error).message}. See 'autoimmune --help'.`);
  }
}

function parsePort(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(v)}`);
  return n;
}

async function cmdStart(args: string[]): Promise<void> {
  const { values } = parse(args, {
    config: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    etcd: { type: 'string' },
    'node-id': { type: 'string' },
    'state-dir': { type: 'string' },
  });
  const port = parsePort(values.port as string | undefined);
  const overrides: Record<string, Record<string, unknown>> = {};
  const set = (section: string, key: string, v: unknown) => ((overrides[section] ??= {})[key] = v);
  if (values.host !== undefined) set('http', 'host', values.host);
  if (port !== undefined) set('http', 'port', port);
  if (values.etcd !== undefined) {
    const endpoints = (values.etcd as string).split(',').map((e) => e.trim()).filter(Boolean);
    for (const e of endpoints) if (!/^https?:\/\/[^/]+/.test(e)) throw new UsageError(`--etcd takes http(s) URLs such as http://127.0.0.1:2379, got ${JSON.stringify(e)}`);
    set('cluster', 'etcd', endpoints);
  }
  if (values['node-id'] !== undefined) set('node', 'id', values['node-id']);
  if (values['state-dir'] !== undefined) set('node', 'stateDir', values['state-dir']);
  const { config, files } = loadConfig(values.config as string | undefined, overrides as never);
  const node = await startNode(config);
  const coord = node.cluster ? `etcd ${config.cluster.etcd.join(',')} (cluster ${config.cluster.name}, lease TTL ${config.cluster.leaseTtlMs} ms, transport ${node.cluster.transport.address})` : 'embedded (single node)';
  process.stdout.write(
    `autoimmune ${version()}: node ${config.node.id} running (config: ${files.join(' + ')})\n` +
      `  status page  ${node.url}/\n  health       ${node.url}/health\n  coordinator  ${coord}\n` +
      `  firewall     ${node.firewall.name}\n` +
      (config.http.token ? '' : `  API token    ${node.http.token} (kept in ${node.stateDir}/http-token; the CLI reads it there)\n`) +
      `Press Ctrl-C to stop.\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the actor tree in reverse order…\n`);
    node.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`autoimmune: error while stopping: ${err}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function printTree(t: TreeSnapshot, depth: number, out: string[]): void {
  const name = t.path === '/' ? '/' : t.id;
  const mailbox = t.type === 'worker' ? `mailbox ${t.mailboxDepth}/${t.mailboxCapacity}` : `${t.strategy}`;
  const err = t.lastError ? `  last error: ${t.lastError}` : '';
  out.push(`${'  '.repeat(depth)}${name.padEnd(Math.max(1, 24 - depth * 2))} ${t.kind.padEnd(12)} ${t.status.padEnd(10)} restarts ${String(t.restarts).padStart(3)}  ${mailbox.padEnd(18)} processed ${t.processed} (${t.rate}/s)${err}`);
  for (const c of t.children ?? []) printTree(c, depth + 1, out);
}

function bar(fraction: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${'█'.repeat(n)}${'░'.repeat(width - n)}`;
}

async function cmdReplay(args: string[]): Promise<number> {
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

async function cmdStatus(args: string[]): Promise<void> {
  const { values } = parse(args, { url: { type: 'string' }, json: { type: 'boolean' } });
  const base = ((values.url as string | undefined) ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${base}/api/tree`);
  } catch {
    throw new UsageError(`--url must be an http URL such as http://127.0.0.1:8000, got ${JSON.stringify(values.url)}`);
  }
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    throw new AutoimmuneError('AI_ERR_NODE_UNREACHABLE', `no node answers at ${base} (${(err as Error).cause ?? (err as Error).message}); start one with 'npm start' or pass --url`);
  }
  if (!res.ok) throw new AutoimmuneError('AI_ERR_NODE_UNREACHABLE', `${url} answered ${res.status}: ${await res.text()}`);
  const snap = (await res.json()) as SystemSnapshot;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(snap, null, 2)}\n`);
    return;
  }
  const lines = [`node ${snap.node} at ${base} — ${new Date(snap.at).toISOString()} — dead letters ${snap.deadLetters.total}`];
  printTree(snap.tree, 0, lines);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function cmdEval(args: string[]): Promise<number> {
  const { values } = parse(args, {
    benign: { type: 'string', multiple: true },
    attack: { type: 'string', multiple: true },
    attackers: { type: 'string' },
    config: { type: 'string' },
    shards: { type: 'string' },
  });
  const benign = (values.benign as string[] | undefined) ?? [];
  const attack = (values.attack as string[] | undefined) ?? [];
  if (benign.length === 0 || attack.length === 0 || !values.attackers) {
    throw new UsageError("eval needs --benign FILE (one or more), --attack FILE (one or more) and --attackers FILE (a labels.tsv or one address per line); repeat a flag for several files");
  }
  for (const f of [...benign, ...attack]) {
    try {
      if (!statSync(f).isFile()) throw new Error('not a regular file');
    } catch (err) {
      throw new UsageError(`cannot read capture ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const labels = readLabels(values.attackers as string);
  const overrides: Record<string, unknown> = {};
  if (values.shards !== undefined) {
    const n = Number(values.shards);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--shards must be an integer from 1 to 64, got ${JSON.stringify(values.shards)}`);
    overrides.pipeline = { shards: n };
  }
  const { config } = loadConfig(values.config as string | undefined, overrides as never);
  const geo = await openConfiguredGeo(config.geo);
  const report = await evaluate({ benign, attack, labels, config, geo, onProgress: (l) => process.stderr.write(`${l}\r`) });
  process.stderr.write('\n');
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

async function cmdBans(cmd: 'block' | 'unblock' | 'bans', args: string[]): Promise<number> {
  const opts = { url: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' }, ttl: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } } as const;
  const { values, positionals } = parseCommand(args, opts);
  const want = cmd === 'bans' ? 0 : 1;
  if (positionals.length !== want) throw new UsageError(cmd === 'bans' ? `bans takes no address, got ${positionals.join(' ')}` : `${cmd} takes one address or CIDR, e.g. 'autoimmune ${cmd} 203.0.113.7'`);
  const t = apiTarget(values);
  const out =
    cmd === 'block' ? await block(t, positionals[0]!, parseTtl(values.ttl), values.reason) : cmd === 'unblock' ? await unblock(t, positionals[0]!) : await listBans(t, Boolean(values.json));
  process.stdout.write(`${out}\n`);
  return 0;
}

async function cmdAsk(args: string[]): Promise<number> {
  const opts = { url: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' }, node: { type: 'string' }, tz: { type: 'string' }, json: { type: 'boolean' }, confirm: { type: 'string' }, tool: { type: 'string' } } as const;
  const { values, positionals } = parseCommand(args, opts);
  const t = apiTarget(values);
  if (values.confirm !== undefined) {
    if (positionals.length > 0) throw new UsageError('ask --confirm ID takes no question');
    process.stdout.write(`${await confirmTool(t, values.tool ?? 'block_addresses', values.confirm)}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`ask takes one question in quotes, e.g. autoimmune ask "how many alerts today?"; got ${positionals.length} arguments`);
  process.stdout.write(`${await askNode(t, positionals[0]!, { json: Boolean(values.json), ...(values.node ? { node: values.node } : {}), ...(values.tz ? { timeZone: values.tz } : {}) })}\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(HELP);
        return cmd === undefined ? 2 : 0;
      case '--version':
      case '-v':
        process.stdout.write(`${version()}\n`);
        return 0;
      case 'start':
        await cmdStart(rest);
        return -1; // keeps running
      case 'status':
        await cmdStatus(rest);
        return 0;
      case 'replay':
        return await cmdReplay(rest);
      case 'eval':
        return await cmdEval(rest);
      case 'block':
      case 'unblock':
      case 'bans':
        return await cmdBans(cmd, rest);
      case 'ask':
        return await cmdAsk(rest);
      case 'feeds':
        return await runFeeds(rest);
      case 'bouncers':
        return await runBouncers(rest);
      case 'install-service':
        return await runInstallService(rest);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}; the commands are start, status, replay, block, unblock, bans, ask, feeds, bouncers, install-service and eval. See 'autoimmune --help'.`);
    }
  } catch (err) {
    if (err instanceof AutoimmuneError) {
      process.stderr.write(`autoimmune: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`autoimmune: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/src/cli.ts')) {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
}
