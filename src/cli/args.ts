// Reading a command's flags: node's parseArgs, with errors that say where to look.

import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.ts';
import { packageFile } from '../util/package-files.ts';

export function version(): string {
  const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    // node's messages name the flag ("Unknown option '--prot'"); add where to look.
    throw new UsageError(`${(err as Error).message}. See 'autoimmune --help'.`);
  }
}

export function parsePort(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(v)}`);
  return n;
}
