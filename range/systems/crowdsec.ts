// CrowdSec (Debian's 1.4.6, its bundled offline hub) and crowdsec-firewall-bouncer in
// nftables mode, in the victim namespace with a copy of /etc/crowdsec: the collections
// Debian enables at install (sshd among them) plus crowdsecurity/vsftpd, linked from the
// offline hub the way Debian's postinst links its own (`cscli collections install` needs the
// network to read the hub's branch); the default profile (a 4 h ban); the bouncer's default
// 10 s poll. Local API on the victim's loopback, no Central API, no metrics port; the
// database, credentials, logs and pid files in the run's dir.

import { cpSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runIn, sleep, startDaemon, waitListening, type Daemon } from '../procs.ts';
import type { DefenceSystem, RunningSystem, SystemContext, Verdict } from '../types.ts';

const HUB = '/var/lib/crowdsec/hub';
const LAPI_PORT = 8080;

/** Items of crowdsecurity/vsftpd in the offline hub, and where Debian's layout links them. */
const VSFTPD_ITEMS: [string, string][] = [
  ['collections/crowdsecurity/vsftpd.yaml', 'collections/vsftpd.yaml'],
  ['parsers/s01-parse/crowdsecurity/vsftpd-logs.yaml', 'parsers/s01-parse/vsftpd-logs.yaml'],
  ['scenarios/crowdsecurity/vsftpd-bf.yaml', 'scenarios/vsftpd-bf.yaml'],
];

export function crowdsecConfig(dir: string): string {
  return `common:
  daemonize: false
  log_media: file
  log_level: info
  log_dir: ${dir}/logs/
  working_dir: .
config_paths:
  config_dir: ${dir}/etc/
  data_dir: ${dir}/data/
  simulation_path: ${dir}/etc/simulation.yaml
  hub_dir: ${HUB}/
  index_path: ${HUB}/.index.json
  notification_dir: ${dir}/etc/notifications/
  plugin_dir: /usr/lib/crowdsec/plugins/
crowdsec_service:
  acquisition_path: ${dir}/etc/acquis.yaml
  parser_routines: 1
cscli:
  output: human
  color: auto
db_config:
  log_level: info
  type: sqlite
  db_path: ${dir}/data/crowdsec.db
  use_wal: true
  flush:
    max_items: 5000
    max_age: 7d
plugin_config:
  user: nobody
  group: nogroup
api:
  client:
    insecure_skip_verify: false
    credentials_path: ${dir}/etc/local_api_credentials.yaml
  server:
    log_level: info
    listen_uri: 127.0.0.1:${LAPI_PORT}
    profiles_path: ${dir}/etc/profiles.yaml
    console_path: ${dir}/etc/console.yaml
    trusted_ips:
      - 127.0.0.1
      - ::1
prometheus:
  enabled: false
  level: full
  listen_addr: 127.0.0.1
  listen_port: 6060
`;
}

/** Debian's bouncer yaml with the range's key, paths, foreground mode and no metrics port. */
export function bouncerConfig(template: string, dir: string, key: string): string {
  return template
    .replace('${BACKEND}', 'nftables')
    .replace('${API_KEY}', key)
    .replace(/^pid_dir: .*$/m, `pid_dir: ${dir}/`)
    .replace(/^daemonize: .*$/m, 'daemonize: false')
    .replace(/^log_dir: .*$/m, `log_dir: ${dir}/logs/`)
    .replace(/^api_url: .*$/m, `api_url: http://127.0.0.1:${LAPI_PORT}/`)
    .replace(/^prometheus:\n {2}enabled: true/m, 'prometheus:\n  enabled: false');
}

export const crowdsec: DefenceSystem = {
  name: 'crowdsec',
  async start(ctx: SystemContext): Promise<RunningSystem> {
    const ns = ctx.lab.victim.ns;
    const dir = join(ctx.runDir, 'crowdsec');
    const etc = join(dir, 'etc');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    mkdirSync(join(dir, 'data'), { recursive: true });
    cpSync('/etc/crowdsec', etc, { recursive: true, verbatimSymlinks: true });
    for (const f of ['local_api_credentials.yaml', 'online_api_credentials.yaml', 'config.yaml.local', 'bouncers']) rmSync(join(etc, f), { recursive: true, force: true });
    for (const f of readdirSync('/usr/share/crowdsec/data')) copyFileSync(join('/usr/share/crowdsec/data', f), join(dir, 'data', f));
    for (const [item, link] of VSFTPD_ITEMS) {
      rmSync(join(etc, link), { force: true });
      mkdirSync(join(etc, link, '..'), { recursive: true });
      symlinkSync(join(HUB, item), join(etc, link));
    }
    const config = join(etc, 'config.yaml');
    writeFileSync(config, crowdsecConfig(dir));
    writeFileSync(
      join(etc, 'acquis.yaml'),
      `filenames:\n  - ${ctx.services.authLog}\nlabels:\n  type: syslog\n---\nfilenames:\n  - ${ctx.services.vsftpdLog}\nlabels:\n  type: vsftpd\n`,
    );
    const cscli = (...args: string[]) => runIn(ns, ['cscli', '-c', config, ...args], 30_000, { cwd: dir });
    const must = async (what: string, ...args: string[]) => {
      const r = await cscli(...args);
      if (r.code !== 0) throw new Error(`cscli ${what} failed: ${r.stderr.trim() || r.stdout.trim()}`);
      return r;
    };
    await must('machines add', 'machines', 'add', '-a', '--force');
    const key = randomBytes(16).toString('hex');
    await must('bouncers add', 'bouncers', 'add', 'range-firewall-bouncer', '-k', key);
    const daemons: Daemon[] = [];
    const stop = async () => {
      for (const d of daemons.reverse()) await d.stop();
    };
    try {
      const agent = startDaemon('crowdsec', ns, ['crowdsec', '-c', config], { cwd: dir, logFile: join(dir, 'crowdsec.out') });
      daemons.push(agent);
      await waitListening(ns, [{ proto: 'tcp', port: LAPI_PORT }], 30_000);
      // The agent reads its files once its acquisition is set up; the log says so.
      const deadline = Date.now() + 30_000;
      while (!readFileSync(join(dir, 'logs', 'crowdsec.log'), 'utf8').includes('Starting processing data')) {
        if (Date.now() > deadline || agent.child.exitCode !== null) throw new Error(`crowdsec did not start processing (see ${join(dir, 'logs', 'crowdsec.log')})`);
        await sleep(200);
      }
      const bouncerYaml = join(dir, 'crowdsec-firewall-bouncer.yaml');
      writeFileSync(bouncerYaml, bouncerConfig(readFileSync('/etc/crowdsec/bouncers/crowdsec-firewall-bouncer.yaml', 'utf8'), dir, key));
      const bouncer = startDaemon('crowdsec-firewall-bouncer', ns, ['crowdsec-firewall-bouncer', '-c', bouncerYaml], { cwd: dir, logFile: join(dir, 'bouncer.out') });
      daemons.push(bouncer);
      const bouncerLog = join(dir, 'logs', 'crowdsec-firewall-bouncer.log');
      const bDeadline = Date.now() + 30_000;
      for (;;) {
        let text = '';
        try {
          text = readFileSync(bouncerLog, 'utf8');
        } catch {
          // not written yet
        }
        if (text.includes('Processing new and deleted decisions')) break;
        if (Date.now() > bDeadline || bouncer.child.exitCode !== null) throw new Error(`crowdsec-firewall-bouncer did not start (see ${bouncerLog})`);
        await sleep(200);
      }
    } catch (err) {
      await stop();
      throw err;
    }
    return {
      verdict: async (): Promise<Verdict> => {
        const r = await cscli('decisions', 'list', '-o', 'json');
        if (r.code !== 0) throw new Error(`cscli decisions list failed: ${r.stderr.trim()}`);
        const list = (JSON.parse(r.stdout.trim() || 'null') ?? []) as { decisions?: { value: string; type: string }[] }[];
        const banned = new Set<string>();
        for (const alert of list) for (const d of alert.decisions ?? []) if (d.type === 'ban') banned.add(d.value.replace(/\/32$/, ''));
        return { banned: [...banned].sort(), alerts: [] };
      },
      stop,
    };
  },
};
