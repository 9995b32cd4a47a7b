// The node a command talks to, resolved as `start` resolves its own: --url (default
// http://127.0.0.1:8000), and the token from --token, $AUTOIMMUNE_TOKEN, or the state dir of
// --state-dir (else node.stateDir of --config, else the default one). And `--help` for a
// command: its own text, exit 0.

import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { apiTarget, type ApiTarget } from './bans.ts';
import { UsageError } from '../errors.ts';
import { readToken } from '../node/state-dir.ts';

export const TARGET_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  config: { type: 'string' },
  'state-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const TARGET_HELP = `  --url URL        the node (default http://127.0.0.1:8000)
  --token T        its API token (default: $AUTOIMMUNE_TOKEN, or the one in its state dir)
  --state-dir DIR  the node's state dir, where its token is (as given to start)
  --config FILE    the node's config file (its node.stateDir)
`;

export function nodeTarget(values: { url?: string; token?: string; config?: string; 'state-dir'?: string }): ApiTarget {
  const t = apiTarget(values);
  if (values['state-dir'] !== undefined && !values.token) t.token = readToken(resolve(values['state-dir']), undefined);
  return t;
}

/** Flags and positionals of a subcommand; a bad flag is a UsageError naming it and the command's help. */
export function parseSub<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, command: string) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. See 'autoimmune ${command} --help'.`);
  }
}
