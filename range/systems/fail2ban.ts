// fail2ban (Debian's 1.0.2) as a Debian host runs it, in the victim namespace with a copy of
// /etc/fail2ban: the sshd and vsftpd jails on, jail.conf's defaults (maxretry 5, findtime
// 10m, bantime 10m), the nftables actions instead of Debian's default iptables ones, and
// its own socket, pid file, database and log in the run's dir. The sshd jail's ports are
// `ssh,2222`, as an admin running sshd on 2222 too would set them (with the default `ssh`
// only port 22 would be closed to a banned address).

import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runIn, sleep, startDaemon } from '../procs.ts';
import type { DefenceSystem, RunningSystem, SystemContext, Verdict } from '../types.ts';

const JAILS = ['sshd', 'vsftpd'];

export function jailLocal(authLog: string, vsftpdLog: string): string {
  return ['[DEFAULT]', 'banaction = nftables-multiport', 'banaction_allports = nftables-allports', '', '[sshd]', 'enabled = true', 'port = ssh,2222', `logpath = ${authLog}`, '', '[vsftpd]', 'enabled = true', `logpath = ${vsftpdLog}`, ''].join('\n');
}

export const fail2ban: DefenceSystem = {
  name: 'fail2ban',
  async start(ctx: SystemContext): Promise<RunningSystem> {
    const ns = ctx.lab.victim.ns;
    const conf = join(ctx.runDir, 'fail2ban');
    const sock = join(ctx.runDir, 'f2b.sock');
    const pid = join(ctx.runDir, 'f2b.pid');
    cpSync('/etc/fail2ban', conf, { recursive: true });
    writeFileSync(join(conf, 'fail2ban.local'), ['[Definition]', `logtarget = ${join(ctx.runDir, 'fail2ban.log')}`, `socket = ${sock}`, `pidfile = ${pid}`, `dbfile = ${join(ctx.runDir, 'fail2ban.sqlite3')}`, ''].join('\n'));
    writeFileSync(join(conf, 'jail.local'), jailLocal(ctx.services.authLog, ctx.services.vsftpdLog));
    const server = startDaemon('fail2ban', ns, ['fail2ban-server', '-f', '-x', '-c', conf, '-s', sock, '-p', pid], { logFile: join(ctx.runDir, 'fail2ban.out') });
    const client = (...args: string[]) => runIn(ns, ['fail2ban-client', '-s', sock, ...args], 15_000);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await client('status');
      if (r.code === 0 && JAILS.every((j) => r.stdout.includes(j))) break;
      if (server.child.exitCode !== null || Date.now() > deadline) {
        await server.stop();
        throw new Error(`fail2ban did not start its jails (see ${join(ctx.runDir, 'fail2ban.log')}): ${r.stdout}${r.stderr}`);
      }
      await sleep(300);
    }
    return {
      verdict: async (): Promise<Verdict> => {
        const banned = new Set<string>();
        for (const jail of JAILS) {
          const r = await client('status', jail);
          const list = /Banned IP list:\s*(.*)$/m.exec(r.stdout)?.[1] ?? '';
          for (const a of list.split(/\s+/).filter(Boolean)) banned.add(a);
        }
        return { banned: [...banned].sort(), alerts: [] };
      },
      stop: async () => {
        await client('stop');
        await server.stop();
      },
    };
  },
};
