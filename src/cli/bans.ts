// `autoimmune block|unblock|bans|protected`: talk to a running node's JSON API (the same one the
// dashboard uses), found and authorised by the shared resolver (node-target.ts).

import { UsageError } from '../errors.ts';
import type { Ban } from '../respond/ban-registry.ts';
import type { BanView } from '../http/ban-view-api.ts';
import { callApi, getJson, nodeTarget, parseSub, refused, TARGET_HELP, TARGET_OPTIONS, type ApiTarget } from './node-target.ts';
import { parseTtl, shortDuration } from './durations.ts';
import { table } from './table.ts';

export const BLOCK_HELP = `Usage: autoimmune block ADDR [--ttl 10m] [--reason TEXT] [--force]

Ban an address or CIDR on every firewall of the node for a TTL (default responder.manualTtl).
Protected addresses are refused; the network's infrastructure (a gateway, resolver or NTP
server) only with --force. Blocking an address that is banned already replaces its ban and
says what it replaced (reason and TTL, old → new).

Options:
  --ttl D          600, 600s, 10m, 2h, 1d
  --reason TEXT    why (shown in bans, alerts and the dashboard)
  --force          ban protected infrastructure that turned hostile
${TARGET_HELP}`;

export const UNBLOCK_HELP = `Usage: autoimmune unblock ADDR

Lift a ban (and forget the address's remembered offences).

Options:
${TARGET_HELP}`;

export const BANS_HELP = `Usage: autoimmune bans [--json]

The bans in force: address, origin (detection, operator or feed:NAME), reason, country and AS
(the node's GeoIP), and time left.

Options:
  --json           the node's JSON (GET /api/bans), as it always was
${TARGET_HELP}`;

export const PROTECTED_HELP = `Usage: autoimmune protected [--json]

What is never banned, with where each entry came from (loopback, this node, the allow-list,
the cluster, etcd, gateways, resolvers, NTP), and the bans the firewall set aside.

Options:
  --json           the node's JSON
${TARGET_HELP}`;

/** A ban's reason for the table: an operator's or a feed's own words; for detection, the rule and the offence (the whole reason: --json). */
function shortReason(b: BanView): string {
  if (b.origin !== 'detection') return b.reason;
  return `${b.detector}${b.offence > 1 ? `, offence ${b.offence}` : ''}`;
}

function asText(b: BanView): string {
  if (b.asn === null) return '-';
  return b.asnOrg ? `AS${b.asn} ${b.asnOrg}` : `AS${b.asn}`;
}

export async function block(t: ApiTarget, address: string, ttl: number | undefined, reason: string | undefined, force = false): Promise<string> {
  const { status, json } = await callApi(t, 'POST', '/api/bans', { address, ...(ttl !== undefined ? { ttl } : {}), ...(reason ? { reason } : {}), ...(force ? { force } : {}) });
  if (status !== 201) refused(status, json, t);
  const forced = json.forced ? ' (forced: it is protected infrastructure)' : '';
  const old = json.replaced as Ban | undefined;
  if (!old) return `banned ${json.address} for ${shortDuration(json.ttl)} (${json.reason})${forced}`;
  const left = Math.max(0, (old.expiresAt - json.at) / 1000);
  return `re-banned ${json.address}: it replaced the ban by ${old.origin ?? old.detector} "${old.reason}" (${shortDuration(old.ttl)}, ${shortDuration(left)} left) → "${json.reason}" for ${shortDuration(json.ttl)}${forced}`;
}

export async function unblock(t: ApiTarget, address: string): Promise<string> {
  const { status, json } = await callApi(t, 'DELETE', `/api/bans/${encodeURIComponent(address)}`);
  if (status !== 200) refused(status, json, t);
  return `unbanned ${json.address}`;
}

export async function listBans(t: ApiTarget, asJson: boolean): Promise<string> {
  if (asJson) return JSON.stringify(await getJson(t, '/api/bans'), null, 2);
  const rows = (await getJson(t, '/api/bans/view')) as BanView[];
  if (rows.length === 0) return 'no bans in force';
  return table(
    ['ADDRESS', 'ORIGIN', 'COUNTRY', 'AS', 'LEFT', 'REASON'],
    rows.map((b) => [b.address, b.origin, b.country ?? '-', asText(b), shortDuration(b.remainingS), shortReason(b)]),
  );
}

export async function listProtected(t: ApiTarget, asJson: boolean): Promise<string> {
  const json = await getJson(t, '/api/protected');
  if (asJson) return JSON.stringify(json, null, 2);
  const p = json as { entries: Array<{ net: string; why: string; forceable: boolean }>; setAside: Array<{ address: string; why: string }> };
  const lines = [table(['ADDRESS', 'FORCE', 'WHY'], p.entries.map((e) => [e.net, e.forceable ? 'yes' : 'no', e.why]))];
  if (p.setAside.length > 0) lines.push('', `bans the firewall set aside (${p.setAside.length}):`, ...p.setAside.map((s) => `  ${s.address}: ${s.why}`));
  return lines.join('\n');
}

export async function cmdBans(cmd: 'block' | 'unblock' | 'bans' | 'protected', args: string[]): Promise<number> {
  const opts = { ...TARGET_OPTIONS, ttl: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' }, force: { type: 'boolean' } } as const;
  const { values, positionals } = parseSub(args, opts, cmd);
  const want = cmd === 'bans' || cmd === 'protected' ? 0 : 1;
  if (positionals.length !== want) throw new UsageError(want === 0 ? `${cmd} takes no address, got ${positionals.join(' ')}` : `${cmd} takes one address or CIDR, e.g. 'autoimmune ${cmd} 203.0.113.7'`);
  if (cmd !== 'block' && (values.force || values.ttl !== undefined || values.reason !== undefined)) throw new UsageError(`--ttl, --reason and --force go with block only. See 'autoimmune ${cmd} --help'.`);
  if ((cmd === 'block' || cmd === 'unblock') && values.json) throw new UsageError(`--json goes with bans and protected. See 'autoimmune ${cmd} --help'.`);
  const t = nodeTarget(values);
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
