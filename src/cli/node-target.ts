// The node a command talks to, resolved as `start` resolves its own, and the calls to its API.
// One resolver for every command that talks to a node:
//   state dir  --state-dir, else node.stateDir of --config, else the default one;
//   URL        --url, else the one the node wrote in that state dir when it started, else
//              http.host:http.port of the config;
//   token      --token, else $AUTOIMMUNE_TOKEN, else http.token of the config, else the one
//              the node keeps in that state dir.

import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import { AutoimmuneError, UsageError } from '../errors.ts';
import { readNodeUrl, readToken, resolveStateDir, TOKEN_FILE } from '../node/state-dir.ts';

export interface ApiTarget {
  base: string;
  token: string | null;
  /** Where the token came from, for a refusal's message. */
  tokenFrom: string;
}

export const TARGET_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  config: { type: 'string' },
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const TARGET_HELP = `  --url URL        the node (default: the URL the node wrote in its state dir at start,
                   else http.host:http.port of the config, http://127.0.0.1:8000)
  --token T        its API token (default: $AUTOIMMUNE_TOKEN, http.token of the config,
                   or the one the node keeps in its state dir)
  --state-dir DIR  the node's state dir, as given to start (default: node.stateDir)
  --config FILE    the node's config file (its node.stateDir, http.port, http.token)
`;

/** A URL a client on this host can reach a server listening on host:port at. */
export function localUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export function nodeTarget(values: { url?: string; token?: string; config?: string; 'state-dir'?: string }, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const { config } = loadConfig(values.config);
  const stateDir = values['state-dir'] !== undefined ? resolve(values['state-dir']) : resolveStateDir(config.node.stateDir, env);
  const base = (values.url ?? readNodeUrl(stateDir) ?? localUrl(config.http.host, config.http.port || 8000)).replace(/\/+$/, '');
  let parsed: URL | undefined;
  try {
    parsed = new URL(base);
  } catch {
    // below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new UsageError(`--url must be an http URL such as http://127.0.0.1:8000, got ${JSON.stringify(values.url ?? base)}`);
  if (values.token) return { base, token: values.token, tokenFrom: '--token' };
  if (env.AUTOIMMUNE_TOKEN) return { base, token: env.AUTOIMMUNE_TOKEN, tokenFrom: '$AUTOIMMUNE_TOKEN' };
  if (config.http.token) return { base, token: config.http.token, tokenFrom: 'http.token of the config' };
  const token = readToken(stateDir, undefined, {});
  return { base, token, tokenFrom: token ? `${stateDir}/${TOKEN_FILE}` : `none in ${stateDir}` };
}

/** Flags and positionals of a command; a bad flag is a UsageError naming it and the command's help. */
export function parseSub<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, command: string) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See 'autoimmune ${command} --help'.`);
  }
}

/** A call to the node's API: `body` as JSON, or as it is when a `contentType` is given (a feed's text, a capture). */
export async function callApi(t: ApiTarget, method: string, path: string, body?: unknown, contentType?: string, timeoutMs?: number): Promise<{ status: number; json: any }> {
  let res: Response;
  try {
    res = await fetch(`${t.base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': contentType ?? 'application/json' } : {}), ...(t.token ? { authorization: `Bearer ${t.token}` } : {}) },
      ...(body !== undefined ? { body: contentType ? (body as string | Blob) : JSON.stringify(body) } : {}),
      // A big feed or capture takes longer than a block.
      signal: AbortSignal.timeout(timeoutMs ?? (contentType ? 120_000 : 10_000)),
    });
  } catch (err) {
    throw new AutoimmuneError('AI_ERR_NODE_UNREACHABLE', `no node answers at ${t.base} (${(err as Error).cause ?? (err as Error).message}); start one with 'autoimmune start', or pass --url (or --state-dir of the node)`);
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { error: text };
  }
  return { status: res.status, json };
}

/** An answer other than the one wanted: the node's refusal as an error (exit 2). */
export function refused(status: number, json: any, t: ApiTarget): never {
  if (status === 401) {
    throw new AutoimmuneError('AI_ERR_UNAUTHORISED', `the node at ${t.base} refused the token (${t.tokenFrom}): pass --token, set AUTOIMMUNE_TOKEN, or --state-dir of that node on its host`);
  }
  throw new AutoimmuneError(json?.code ?? 'AI_ERR_API', `${json?.error ?? `the node at ${t.base} answered HTTP ${status}`}`);
}

/** GET path and the JSON answer, or the refusal as an error. */
export async function getJson(t: ApiTarget, path: string): Promise<any> {
  const { status, json } = await callApi(t, 'GET', path);
  if (status !== 200) refused(status, json, t);
  return json;
}
