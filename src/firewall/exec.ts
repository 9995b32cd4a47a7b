// Runs one firewall command (nft, iptables, ipset, ...), optionally inside a network
// namespace, with its script on stdin and a time limit. Arguments go to the program as argv,
// never through a shell.

import { spawn } from 'node:child_process';
import { FirewallCommandError, FirewallToolMissingError } from './errors.ts';
import { ConfigError } from '../errors.ts';

export interface RunOptions {
  /** Written to the command's stdin, which is then closed. */
  stdin?: string;
  /** Run as `ip netns exec NETNS …`. */
  netns?: string;
  /** Killed (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  /** More environment for the command (it gets the process's own plus LC_ALL=C). */
  env?: Record<string, string>;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Debian packages of the tools, for the "not installed" message. */
const PACKAGE_OF: Record<string, string> = {
  nft: 'nftables',
  iptables: 'iptables',
  'iptables-restore': 'iptables',
  ip6tables: 'iptables',
  'ip6tables-restore': 'iptables',
  ipset: 'ipset',
  ip: 'iproute2',
  'xdp-filter': 'xdp-tools',
  bpftool: 'bpftool',
  mount: 'mount',
  umount: 'mount',
  unshare: 'util-linux',
};

const NETNS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

/** Checks a network namespace name (a file name under /var/run/netns). */
export function checkNetnsName(netns: string): string {
  if (!NETNS_NAME.test(netns) || netns === '..') {
    throw new ConfigError(`network namespace name ${JSON.stringify(netns)} is not acceptable: use letters, digits, "_", "." and "-"`);
  }
  return netns;
}

/**
 * Runs `file args…` and resolves with its output when it exits 0. Rejects with
 * FirewallToolMissingError when the program (or `ip`, for a namespace) is not installed, and
 * FirewallCommandError (command, exit code, stderr) on any other failure or the time limit.
 */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    // (A bad namespace name thrown here rejects the promise.)
    const argv = options.netns !== undefined ? ['ip', 'netns', 'exec', checkNetnsName(options.netns), file, ...args] : [file, ...args];
    // LC_ALL=C: the messages matched below (and shown to people) are the untranslated ones.
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A command that exits before reading all of stdin closes the pipe (EPIPE): its exit
    // status says what went wrong, so the write error itself is not the story.
    child.stdin.on('error', () => {});
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (spawnError) {
        if (spawnError.code === 'ENOENT' || spawnError.code === 'EACCES') {
          reject(new FirewallToolMissingError(argv[0]!, PACKAGE_OF[argv[0]!], { cause: spawnError, denied: spawnError.code === 'EACCES' }));
        } else {
          reject(new FirewallCommandError(argv, null, null, spawnError.message));
        }
        return;
      }
      // `ip netns exec` reports a program it cannot find this way (and exits 255 or 1).
      const missing = /exec of "([^"]+)" failed: No such file or directory/.exec(stderr);
      if (code !== 0 && missing && missing[1] === file) {
        reject(new FirewallToolMissingError(file, PACKAGE_OF[file]));
        return;
      }
      if (timedOut) reject(new FirewallCommandError(argv, code, signal, stderr, timeoutMs));
      else if (code !== 0) reject(new FirewallCommandError(argv, code, signal, stderr));
      else resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
