// The node's state directory: trained models and the HTTP API token, kept across restarts.

import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';

/** `node.stateDir` as an absolute path ("auto": the XDG state directory). */
export function resolveStateDir(setting: string, env: NodeJS.ProcessEnv = process.env): string {
  if (setting !== 'auto') return resolve(setting);
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'autoimmune');
}

/** Creates the directory (owner-only) if needed; a clear error when it cannot. */
export function ensureStateDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ConfigError(`node.stateDir ${dir} cannot be created (${(err as NodeJS.ErrnoException).code}); set node.stateDir to a writable directory`, { cause: err });
  }
  return dir;
}

export const TOKEN_FILE = 'http-token';

/**
 * The API token: the configured one, else the one generated at the first start and kept in
 * the state directory (mode 0600), so the CLI on the same host can read it.
 */
export function loadOrCreateToken(dir: string, configured: string | null): { token: string; generated: boolean; file: string } {
  const file = join(dir, TOKEN_FILE);
  if (configured) return { token: configured, generated: false, file };
  try {
    const t = readFileSync(file, 'utf8').trim();
    if (t.length >= 16) return { token: t, generated: false, file };
  } catch {
    // first start: make one
  }
  const token = randomBytes(24).toString('hex');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, generated: true, file };
}

/** The token for a CLI call: --token, then $AUTOIMMUNE_TOKEN, then the state directory's file. */
export function readToken(dir: string, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (flag) return flag;
  if (env.AUTOIMMUNE_TOKEN) return env.AUTOIMMUNE_TOKEN;
  try {
    return readFileSync(join(dir, TOKEN_FILE), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export const URL_FILE = 'http-url';

/**
 * Where a running node's API is, written at start beside its token so the CLI on the same host
 * finds both from the state dir alone (a node on port 0, on another port, on 0.0.0.0).
 */
export function writeNodeUrl(dir: string, url: string): void {
  writeFileSync(join(dir, URL_FILE), `${url}\n`, { mode: 0o600 });
}

/** The URL a node wrote in `dir`, or null when there is none. */
export function readNodeUrl(dir: string): string | null {
  try {
    return readFileSync(join(dir, URL_FILE), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Removes the URL file at a clean stop, when it still names this node's URL (not a newer node's). */
export function clearNodeUrl(dir: string, url: string): void {
  if (readNodeUrl(dir) === url) rmSync(join(dir, URL_FILE), { force: true });
}
