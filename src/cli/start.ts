// `autoimmune start`: one node, in the foreground, until SIGINT or SIGTERM.

import { loadConfig } from '../config/load-config.ts';
import { UsageError } from '../errors.ts';
import { startNode } from '../node/node.ts';
import { version, parse, parsePort } from './args.ts';

export async function cmdStart(args: string[]): Promise<void> {
  const { values } = parse(args, {
    config: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    etcd: { type: 'string' },
    'node-id': { type: 'string' },
    'state-dir': { type: 'string' },
    'join-secret': { type: 'string' },
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
  if (values['join-secret'] !== undefined) set('cluster', 'joinSecretFile', values['join-secret']);
  const { config, files } = loadConfig(values.config as string | undefined, overrides as never);
  const node = await startNode(config);
  const coord = node.cluster ? `etcd ${config.cluster.etcd.join(',')} (cluster ${config.cluster.name}, lease TTL ${config.cluster.leaseTtlMs} ms, transport ${node.cluster.transport.address})` : 'embedded (single node)';
  process.stdout.write(
    `autoimmune ${version()}: node ${config.node.id} running (config: ${files.join(' + ')})\n` +
      `  status page  ${node.url}/\n  health       ${node.url}/health\n  coordinator  ${coord}\n` +
      `  firewall     ${node.firewall.name}\n` +
      `  capture      ${node.interfaces.length > 0 ? node.interfaces.join(', ') : `none live; feed it captures with: autoimmune replay --to ${node.url} FILE`}\n` +
      (config.http.token ? '' : `  API token    ${node.http.token} (kept in ${node.stateDir}/http-token, where the CLI reads it, with the URL)\n`) +
      `Press Ctrl-C to stop.\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the actor tree in reverse order…\n`);
    // The whole stop is bounded like each actor's: whatever still runs then (a query, a
    // handler past its own bound) does not hold the process. The kernel's rules and the
    // database's write-ahead log carry what was not closed.
    const { shutdownMs } = config.supervision;
    setTimeout(() => {
      process.stderr.write(`autoimmune: the node did not stop within supervision.shutdownMs (${shutdownMs} ms); exiting now\n`);
      process.exit(1);
    }, shutdownMs).unref();
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
