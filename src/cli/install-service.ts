// `autoimmune install-service`: a systemd unit that runs the node as a service with only the
// two capabilities it needs, CAP_NET_RAW (capture) and CAP_NET_ADMIN (the packet filter), not
// as full root: a dynamic user (or --user), its state in /var/lib/autoimmune (StateDirectory),
// the firewall table lock in /run/autoimmune (RuntimeDirectory), the rest of the file system
// read-only, no new privileges. `systemd-analyze verify` checks it (the tests do).

import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.ts';
import { loadConfig } from '../config/load-config.ts';
import { parseSub } from './node-target.ts';
import { packageFile } from '../util/package-files.ts';
import { NODE_ENV_WORDS, NODE_FLAGS } from '../node/process-flags.ts';

export const INSTALL_SERVICE_HELP = `Usage:
  autoimmune install-service [--config FILE] [--state-dir DIR] [--user NAME]
                             [--name autoimmune] [--unit-dir /etc/systemd/system]
                             [--print] [--force]
      Write a systemd unit that runs 'autoimmune start' as a service: a dynamic user
      (or --user) with CAP_NET_RAW and CAP_NET_ADMIN only, not full root; its state in
      /var/lib/autoimmune (or --state-dir), the rest of the system read-only. Then:
        systemctl daemon-reload && systemctl enable --now autoimmune
      The CLI on the same host finds the token with --state-dir /var/lib/autoimmune.

Options:
  --config FILE    the node's config file (checked now, read by the service at start)
  --state-dir DIR  the node's state (default /var/lib/autoimmune, made by systemd)
  --user NAME      run as this existing user instead of a dynamic one
  --name NAME      the unit's name (default autoimmune: autoimmune.service)
  --unit-dir DIR   where to write it (default /etc/systemd/system)
  --print          print the unit instead of writing it
  --force          replace an existing unit file
`;

export interface UnitOptions {
  /** Absolute path of the node binary. */
  node: string;
  /** Absolute path of bin/autoimmune.js. */
  command: string;
  /** The project folder (the service's working directory). */
  workDir: string;
  config: string | null;
  stateDir: string;
  user: string | null;
  name: string;
}

const DEFAULT_STATE = '/var/lib/autoimmune';

/** Quotes a word for a unit's command line when it needs it. */
function q(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/(["\\$])/g, '\\$1').replace(/%/g, '%%')}"`;
}

/** The unit file's text. Pure. */
export function unitText(o: UnitOptions): string {
  const managedState = o.stateDir.startsWith('/var/lib/') ? o.stateDir.slice('/var/lib/'.length) : null;
  const exec = [o.node, ...NODE_FLAGS, o.command, 'start', '--state-dir', o.stateDir, ...(o.config ? ['--config', o.config] : [])].map(q).join(' ');
  return `# Written by 'autoimmune install-service'. The node with CAP_NET_RAW (capture) and
# CAP_NET_ADMIN (nftables / iptables) only, not full root.
[Unit]
Description=autoimmune network-defence node (${o.name})
Documentation=file://${join(o.workDir, 'README.md')}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${exec}
WorkingDirectory=${q(o.workDir)}
${o.user ? `User=${o.user}` : 'DynamicUser=yes'}
${managedState ? `StateDirectory=${managedState}\nStateDirectoryMode=0700` : `ReadWritePaths=${q(o.stateDir)}`}
# The firewall table's owner lock (/run/autoimmune).
RuntimeDirectory=autoimmune
RuntimeDirectoryMode=0700
Environment=NODE_ENV=production
${NODE_ENV_WORDS.map((w) => `Environment=${w}\n`).join('')}AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN
CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
# AF_NETLINK: nftables; AF_PACKET: capture.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET
SystemCallArchitectures=native
# Not MemoryDenyWriteExecute: V8's JIT needs writable code pages.
UMask=0077
Restart=on-failure
RestartSec=2
# supervision.shutdownMs (5 s) and a margin.
TimeoutStopSec=20
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}

export async function runInstallService(args: string[]): Promise<number> {
  const { values, positionals } = parseSub(
    args,
    {
      config: { type: 'string' },
      'state-dir': { type: 'string' },
      user: { type: 'string' },
      name: { type: 'string' },
      'unit-dir': { type: 'string' },
      print: { type: 'boolean' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    'install-service',
  );
  if (positionals.length > 0) throw new UsageError(`install-service takes no arguments, got ${positionals.join(' ')}. See 'autoimmune install-service --help'.`);
  const name = values.name ?? 'autoimmune';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(name)) throw new UsageError(`--name must be a unit name such as autoimmune or autoimmune-web1, got ${JSON.stringify(name)}`);
  const stateDir = values['state-dir'] ?? DEFAULT_STATE;
  if (!isAbsolute(stateDir)) throw new UsageError(`--state-dir must be an absolute path (the service does not run here), got ${JSON.stringify(stateDir)}`);
  if (values.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(values.user)) throw new UsageError(`--user must be a user name, got ${JSON.stringify(values.user)}`);
  const config = values.config ? resolve(values.config) : null;
  // A config error shows now, not when the service starts.
  if (config) loadConfig(config);
  const command = fileURLToPath(packageFile('bin/autoimmune.js'));
  const text = unitText({ node: process.execPath, command, workDir: dirname(dirname(command)), config, stateDir, user: values.user ?? null, name });
  if (values.print) {
    process.stdout.write(text);
    return 0;
  }
  const dir = values['unit-dir'] ?? '/etc/systemd/system';
  const file = join(dir, `${name}.service`);
  if (existsSync(file) && !values.force) throw new UsageError(`${file} exists already: pass --force to replace it, or --name for another unit`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text, { mode: 0o644 });
  } catch (err) {
    throw new UsageError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; run as root, or pass --unit-dir or --print`);
  }
  const closed = unreadableAncestor(dirname(dirname(command)));
  if (!values.user && closed) process.stderr.write(`autoimmune: warning: ${closed} is not open to other users, so the service's dynamic user cannot read the program: install the project where others may read it (e.g. /opt/autoimmune), or pass --user with an account that can\n`);
  process.stdout.write(`wrote ${file}\nnext: systemctl daemon-reload && systemctl enable --now ${name}\nthe CLI on this host: autoimmune bans --state-dir ${stateDir}\n`);
  return 0;
}

/** The first folder from `/` down to `dir` that other users cannot enter (no o+x), or null. */
export function unreadableAncestor(dir: string): string | null {
  const parts = dir.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const path = `/${parts.slice(0, i).join('/')}`;
    try {
      if ((statSync(path).mode & 0o001) === 0) return path;
    } catch {
      return path;
    }
  }
  return null;
}
