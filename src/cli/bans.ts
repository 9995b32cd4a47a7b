// `autoimmune block|unblock|bans|protected`: talk to a running node's JSON API (the same one the
// dashboard uses), with the token from --token, $AUTOIMMUNE_TOKEN or the node's state dir.

import { loadConfig } from '../config/load-config.ts';
import { AutoimmuneError, UsageError } from '../errors.ts';
import { readToken, resolveStateDir } from '../node/state-dir.ts';
import { parseCommand } from './args.ts';

export interface ApiTarget {
  base: string;
  token: string | null;
}

export function apiTarget(values: { url?: string; token?: string; config?: string }): ApiTarget {
  const base = (values.url ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
  try {
    new URL(base);
  } catch {
    throw new UsageError(`--url must be an http URL such as http://127.0.0.1:8000, got ${JSON.stringify(values.url)}`);
  }
  const { config } = loadConfig(values.config);
  return { base, token: readToken(resolveStateDir(config.node.stateDir), values.token) };
}

/** A call to the node's API: `body` as JSON, or as it is when a `contentType` is given (a feed's text). */
export async function callApi(t: ApiTarget, method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; json: any }> {
  let res: Response;
  try {
    res = await fetch(`${t.base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': contentType ?? 'application/json' } : {}), ...(t.token ? { authorization: `Bearer ${t.token}` } : {}) },
      ...(body !== undefined ? { body: contentType ? (body as string) : JSON.stringify(body) } : {}),
      // A big feed takes longer than a block.
      signal: AbortSignal.timeout(contentType ? 120_000 : 10_000),
    });
  } catch (err) {
    throw new AutoimmuneError('AI_ERR_NODE_UNREACHABLE', `no node answers at ${t.base} (${(err as Error).cause ?? (err as Error).message}); start one with 'npm start' or pass --url`);
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

function refused(status: number, json: any, t: ApiTarget): never {
  if (status === 401) {
    throw new AutoimmuneError('AI_ERR_UNAUTHORISED', `the node at ${t.base} refused the token${t.token ? '' : ' (none found)'}: pass --token, set AUTOIMMUNE_TOKEN, or run on the node's host where its state dir holds it`);
  }
  throw new AutoimmuneError(json?.code ?? 'AI_ERR_API', `${json?.error ?? `HTTP ${status}`}`);
}

export function parseTtl(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(s|m|h|d)?$/.exec(v);
  if (!m) throw new UsageError(`--ttl must be a duration such as 600, 600s, 10m, 2h or 1d, got ${JSON.stringify(v)}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's'];
}

export async function block(t: ApiTarget, address: string, ttl: number | undefined, reason: string | undefined, force = false): Promise<string> {
  const { status, json } = await callApi(t, 'POST', '/api/bans', { address, ...(ttl !== undefined ? { ttl } : {}), ...(reason ? { reason } : {}), ...(force ? { force } : {}) });
  if (status !== 201) refused(status, json, t);
  return `banned ${json.address} for ${json.ttl} s (${json.reason})${json.forced ? ' (forced: it is protected infrastructure)' : ''}`;
}

export async function listProtected(t: ApiTarget, asJson: boolean): Promise<string> {
  const { status, json } = await callApi(t, 'GET', '/api/protected');
  if (status !== 200) refused(status, json, t);
  if (asJson) return JSON.stringify(json, null, 2);
  const p = json as { entries: Array<{ net: string; why: string; forceable: boolean }>; setAside: Array<{ address: string; why: string }> };
  const w = Math.max(7, ...p.entries.map((e) => e.net.length));
  const lines = [`${'ADDRESS'.padEnd(w)}  FORCE  WHY`, ...p.entries.map((e) => `${e.net.padEnd(w)}  ${e.forceable ? 'yes' : 'no '}    ${e.why}`)];
  if (p.setAside.length > 0) lines.push('', `bans the firewall set aside (${p.setAside.length}):`, ...p.setAside.map((s) => `  ${s.address}: ${s.why}`));
  return lines.join('\n');
}

export async function unblock(t: ApiTarget, address: string): Promise<string> {
  const { status, json } = await callApi(t, 'DELETE', `/api/bans/${encodeURIComponent(address)}`);
  if (status !== 200) refused(status, json, t);
  return `unbanned ${json.address}`;
}

export async function listBans(t: ApiTarget, asJson: boolean): Promise<string> {
  const { status, json } = await callApi(t, 'GET', '/api/bans');
  if (status !== 200) refused(status, json, t);
  if (asJson) return JSON.stringify(json, null, 2);
  const rows = json as Array<{ address: string; remainingS: number; detector: string; offence: number; reason: string }>;
  if (rows.length === 0) return 'no bans in force';
  const w = Math.max(7, ...rows.map((r) => r.address.length));
  return [`${'ADDRESS'.padEnd(w)}  LEFT      BY                    #  REASON`, ...rows.map((r) => `${r.address.padEnd(w)}  ${`${r.remainingS}s`.padEnd(8)}  ${r.detector.padEnd(20)}  ${r.offence}  ${r.reason}`)].join('\n');
}

export async function cmdBans(cmd: 'block' | 'unblock' | 'bans' | 'protected', args: string[]): Promise<number> {
  const opts = { url: { type: 'string' }, token: { type: 'string' }, config: { type: 'string' }, ttl: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' } } as const;
  const { values, positionals } = parseCommand(args, opts);
  const want = cmd === 'bans' || cmd === 'protected' ? 0 : 1;
  if (positionals.length !== want) throw new UsageError(want === 0 ? `${cmd} takes no address, got ${positionals.join(' ')}` : `${cmd} takes one address or CIDR, e.g. 'autoimmune ${cmd} 203.0.113.7'`);
  if (values.force && cmd !== 'block') throw new UsageError(`--force goes with block only`);
  const t = apiTarget(values);
  const out =
    cmd === 'block'
      ? await block(t, positionals[0]!, parseTtl(values.ttl), values.reason, Boolean(values.force))
      : cmd === 'unblock'
        ? await unblock(t, positionals[0]!)
        : cmd === 'protected'
          ? await listProtected(t, Boolean(values.json))
          : await listBans(t, Boolean(values.json));
  process.stdout.write(`${out}\n`);
  return 0;
}
