// `autoimmune allow add|remove|list`: the allow-list changed at run time through the node's
// API, kept in its state dir across restarts. Allowing a banned address lifts its ban and
// says so.

import { UsageError } from '../errors.ts';
import type { AllowedEntry, LiftedBan } from '../respond/operator-allow.ts';
import { callApi, getJson, nodeTarget, parseSub, refused, TARGET_HELP, TARGET_OPTIONS } from './node-target.ts';
import { shortDuration, utcTime } from './durations.ts';
import { table } from './table.ts';

export const ALLOW_HELP = `Usage: autoimmune allow add ADDR [--note TEXT]
       autoimmune allow remove ADDR
       autoimmune allow list [--json]

The allow-list at run time: addresses and nets the node never bans, whoever asks (its
detection, an operator, a feed, a bouncer's source). Kept in the node's state dir across
restarts, beside responder.allow of the configuration (which only the config changes).
Allowing an address that is banned lifts the ban and says which.

Options:
  --note TEXT      why it is allowed ("office NAT"), shown by list and in refusals
  --json           the node's JSON
${TARGET_HELP}`;

function liftedText(l: LiftedBan): string {
  return `  unbanned ${l.address}: it was banned by ${l.origin ?? l.detector} (${l.reason}), ${shortDuration(l.remainingS)} left`;
}

export async function cmdAllow(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseSub(rest, { ...TARGET_OPTIONS, note: { type: 'string' }, json: { type: 'boolean' } }, 'allow');
  if (sub === undefined) throw new UsageError("allow needs a command: add ADDR, remove ADDR or list. See 'autoimmune allow --help'.");
  if (values.note !== undefined && sub !== 'add') throw new UsageError('--note goes with allow add');
  if (sub === 'add' || sub === 'remove') {
    if (positionals.length !== 1) throw new UsageError(`allow ${sub} takes one address or CIDR, e.g. 'autoimmune allow ${sub} 203.0.113.7'`);
    const t = nodeTarget(values);
    const address = positionals[0]!;
    if (sub === 'add') {
      const { status, json } = await callApi(t, 'POST', '/api/allow', { address, ...(values.note !== undefined ? { note: values.note } : {}) });
      if (status !== 200 && status !== 201) refused(status, json, t);
      if (values.json) {
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        return 0;
      }
      const e = json.entry as AllowedEntry;
      const lifted = json.lifted as LiftedBan[];
      const lines = [`${json.existed ? 'already allowed' : 'allowed'} ${e.net}${e.note ? ` (${e.note})` : ''}: it will not be banned`];
      if (lifted.length > 0) lines.push(...lifted.map(liftedText));
      else lines.push('  no ban covered it');
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    }
    const { status, json } = await callApi(t, 'DELETE', `/api/allow/${encodeURIComponent(address)}`);
    if (status !== 200) refused(status, json, t);
    process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `removed ${json.removed.net} from the allow-list: it may be banned again\n`);
    return 0;
  }
  if (sub === 'list') {
    if (positionals.length > 0) throw new UsageError(`allow list takes no arguments, got ${positionals.join(' ')}`);
    const json = (await getJson(nodeTarget(values), '/api/allow')) as { configured: string[]; runtime: AllowedEntry[] };
    if (values.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    else if (json.configured.length + json.runtime.length === 0) process.stdout.write("the allow-list is empty: add with 'autoimmune allow add ADDR' (loopback, this node and the network's infrastructure are protected anyway: see 'autoimmune protected')\n");
    else {
      const rows = [...json.configured.map((net) => [net, 'config (responder.allow)', '-', '-']), ...json.runtime.map((e) => [e.net, 'run time', utcTime(e.at), e.note ?? '-'])];
      process.stdout.write(`${table(['ADDRESS', 'FROM', 'ADDED', 'NOTE'], rows)}\n`);
    }
    return 0;
  }
  throw new UsageError(`unknown allow command ${JSON.stringify(sub)}: add, remove or list. See 'autoimmune allow --help'.`);
}
