// `autoimmune bouncers add NAME [--raw] | list | delete NAME`: the CrowdSec bouncers allowed to
// read this node's decisions, as `cscli bouncers` manages them on a CrowdSec LAPI. The key is
// printed once (with --raw, the key alone, for scripts); the node keeps only its hash.

import { UsageError } from '../errors.ts';
import type { BouncerRecord } from '../bouncer/bouncer-keys.ts';
import { callApi, nodeTarget, parseSub, refused, TARGET_HELP, TARGET_OPTIONS } from './node-target.ts';
import { utcTime } from './durations.ts';

export const BOUNCERS_HELP = `Usage:
  autoimmune bouncers add NAME [--raw]
      Register a CrowdSec bouncer and print its API key (shown once). Point the bouncer's
      api_url at this node (http://HOST:PORT/) and its api_key at the key: it then pulls
      the node's bans from /v1/decisions/stream like from a CrowdSec LAPI.
  autoimmune bouncers list [--json]
      The registered bouncers, with their last pull, address and version.
  autoimmune bouncers delete NAME
      Revoke a bouncer's key.

Options:
  --raw            print only the key
  --json           print the node's JSON answer
${TARGET_HELP}`;

export async function runBouncers(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseSub(rest, { ...TARGET_OPTIONS, raw: { type: 'boolean' }, json: { type: 'boolean' } }, 'bouncers');
  if (sub === undefined) {
    process.stderr.write(BOUNCERS_HELP);
    return 2;
  }
  const t = nodeTarget(values);
  const fail = (status: number, json: any): never => refused(status, json, t);
  if (sub === 'add') {
    if (positionals.length !== 1) throw new UsageError("bouncers add takes one name, e.g. 'autoimmune bouncers add firewall-web1'");
    const { status, json } = await callApi(t, 'POST', '/api/bouncers', { name: positionals[0] });
    if (status !== 201) fail(status, json);
    if (values.raw) process.stdout.write(`${json.key}\n`);
    else {
      process.stdout.write(
        `API key for '${json.name}':\n\n   ${json.key}\n\nKeep it: it cannot be shown again. In the bouncer's configuration:\n  api_url: ${json.apiUrl}\n  api_key: ${json.key}\n` +
          (json.lapiEnabled ? '' : 'Note: the bouncer API is off on this node (lapi.enabled: false); turn it on for the key to be of use.\n'),
      );
    }
    return 0;
  }
  if (sub === 'list') {
    const { status, json } = await callApi(t, 'GET', '/api/bouncers');
    if (status !== 200) fail(status, json);
    const list = json as Array<Omit<BouncerRecord, 'keyHash'>>;
    if (values.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else if (list.length === 0) process.stdout.write("no bouncers: add one with 'autoimmune bouncers add NAME'\n");
    else {
      const w = Math.max(4, ...list.map((b) => b.name.length));
      process.stdout.write(`${['NAME'.padEnd(w) + '  LAST PULL             IP               VERSION', ...list.map((b) => `${b.name.padEnd(w)}  ${(b.lastPull === null ? 'never' : utcTime(b.lastPull)).padEnd(20)}  ${(b.ip ?? '-').padEnd(15)}  ${b.version ?? '-'}`)].join('\n')}\n`);
    }
    return 0;
  }
  if (sub === 'delete') {
    if (positionals.length !== 1) throw new UsageError('bouncers delete takes one name');
    const { status, json } = await callApi(t, 'DELETE', `/api/bouncers/${encodeURIComponent(positionals[0]!)}`);
    if (status !== 200) fail(status, json);
    process.stdout.write(`deleted bouncer ${json.deleted}: its key no longer works\n`);
    return 0;
  }
  throw new UsageError(`unknown bouncers command ${JSON.stringify(sub)}: add, list or delete. See 'autoimmune bouncers --help'.`);
}
