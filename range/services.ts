// The victim's real services from Debian, each with its own config, pid and log files in the
// run's dir, started inside the victim namespace and stopped after the run:
//   sshd (openssh-server) on 22 and 2222, password logins through PAM as Debian ships it;
//   vsftpd on 21 with local users, logging to its own file in its own format (Debian's default);
//   lighttpd on 80; dnsmasq on 53 answering for range.test.
// sshd runs in the foreground with -e; its log lines are written to auth.log in syslog's
// format ("Dec  5 17:02:42 victim sshd[123]: Failed password for …"), which is what fail2ban's
// and CrowdSec's sshd parsers read on a Debian host. (The lab has no /dev/log of its own, and
// the host's must not receive the lab's logs.)

import { appendFileSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { USERS, type RangeLab } from './lab.ts';
import { startDaemon, waitListening, type Daemon } from './procs.ts';

export interface Services {
  authLog: string;
  vsftpdLog: string;
  stop(): Promise<void>;
}

export const SSH_PORTS = [22, 2222] as const;
export const BIG_FILE = 'big.bin';
export const FTP_FILE = 'report.pdf';
/** Alice's dir of small files (SMALL_FILES of them, 3-8 KB each) that the scp-many-files client copies one connection each. */
export const SMALL_DIR = 'small';
export const SMALL_FILES = 30;
export const WEB_PAGES = 40;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** A BSD syslog line as rsyslog writes it to /var/log/auth.log. */
export function syslogLine(at: Date, host: string, program: string, pid: number, message: string): string {
  const stamp = `${MONTHS[at.getMonth()]} ${String(at.getDate()).padStart(2, ' ')} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
  return `${stamp} ${host} ${program}[${pid}]: ${message}`;
}

/** lighttpd on the victim's port 80, serving the lab's www dir (makeContent). */
export function startWebServer(lab: RangeLab, runDir: string): Daemon {
  const lighttpdConf = join(runDir, 'lighttpd.conf');
  writeFileSync(
    lighttpdConf,
    [
      `server.document-root = "${join(lab.dir, 'www')}"`,
      `server.bind = "${lab.victim.ip}"`,
      'server.port = 80',
      `server.pid-file = "${join(runDir, 'lighttpd.pid')}"`,
      `server.errorlog = "${join(runDir, 'lighttpd-error.log')}"`,
      'server.modules = ( "mod_accesslog" )',
      `accesslog.filename = "${join(runDir, 'lighttpd-access.log')}"`,
      'index-file.names = ( "index.html" )',
      'mimetype.assign = ( ".html" => "text/html" )',
      '',
    ].join('\n'),
  );
  return startDaemon('lighttpd', lab.victim.ns, ['lighttpd', '-D', '-f', lighttpdConf], { logFile: join(runDir, 'lighttpd.out') });
}

/** Files the benign clients fetch (web pages; with `withFiles` the users' files too): made once per lab. */
export function makeContent(lab: RangeLab, withFiles = true): void {
  const www = join(lab.dir, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, 'index.html'), '<!doctype html><title>range</title><h1>range.test</h1>\n');
  for (let i = 0; i < WEB_PAGES; i++) writeFileSync(join(www, `page${i}.html`), `<!doctype html><p>page ${i}</p>${'x'.repeat(2000 + i * 50)}\n`);
  if (!withFiles) return;
  const own = (path: string, user: string) => {
    const uid = USERS.find((u) => u.name === user)!.uid; // (the lab's /etc/passwd has these)
    chownSync(path, uid, uid);
  };
  const make = (user: string, name: string, mb: number) => {
    const file = join(lab.home(user), name);
    const r = spawnSync('head', ['-c', String(mb * 1024 * 1024), '/dev/urandom'], { maxBuffer: mb * 1024 * 1024 + 1 });
    writeFileSync(file, r.stdout);
    own(file, user);
  };
  make('alice', BIG_FILE, 16);
  make('ftpuser', FTP_FILE, 2);
  const small = join(lab.home('alice'), SMALL_DIR);
  mkdirSync(small, { recursive: true });
  own(small, 'alice');
  for (let i = 1; i <= SMALL_FILES; i++) {
    const file = join(small, `f${String(i).padStart(2, '0')}.conf`);
    writeFileSync(file, `# file ${i}\n${'k = v\n'.repeat(400 + i * 30)}`);
    own(file, 'alice');
  }
}

export async function startServices(lab: RangeLab, runDir: string): Promise<Services> {
  const v = lab.victim;
  const authLog = join(runDir, 'auth.log');
  const vsftpdLog = join(runDir, 'vsftpd.log');
  writeFileSync(authLog, '');
  writeFileSync(vsftpdLog, '');
  const daemons: Daemon[] = [];
  const stop = async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  };
  try {
    // sshd
    const hostKey = join(lab.dir, 'ssh_host_ed25519_key');
    if (spawnSync('test', ['-f', hostKey]).status !== 0) {
      const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
      if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
    }
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const sshdConf = join(runDir, 'sshd_config');
    writeFileSync(
      sshdConf,
      [...SSH_PORTS.map((p) => `Port ${p}`), `ListenAddress ${v.ip}`, `HostKey ${hostKey}`, `PidFile ${join(runDir, 'sshd.pid')}`, 'UsePAM yes', 'KbdInteractiveAuthentication no', 'PasswordAuthentication yes', 'PrintMotd no', 'Subsystem sftp /usr/lib/openssh/sftp-server', ''].join('\n'),
    );
    const sshd = startDaemon('sshd', v.ns, ['/usr/sbin/sshd', '-D', '-e', '-f', sshdConf], {
      onLine: (line) => {
        if (line.trim()) appendFileSync(authLog, `${syslogLine(new Date(), 'victim', 'sshd', sshd.child.pid ?? 0, line)}\n`);
      },
    });
    daemons.push(sshd);
    // vsftpd
    const vsftpdConf = join(runDir, 'vsftpd.conf');
    writeFileSync(
      vsftpdConf,
      [
        'listen=YES',
        'listen_ipv6=NO',
        `listen_address=${v.ip}`,
        'background=NO',
        'anonymous_enable=NO',
        'local_enable=YES',
        'write_enable=NO',
        'use_localtime=YES',
        'xferlog_enable=YES',
        `vsftpd_log_file=${vsftpdLog}`,
        'connect_from_port_20=NO',
        'secure_chroot_dir=/var/run/vsftpd/empty',
        'pam_service_name=vsftpd',
        'ssl_enable=NO',
        '',
      ].join('\n'),
    );
    mkdirSync('/var/run/vsftpd/empty', { recursive: true });
    daemons.push(startDaemon('vsftpd', v.ns, ['/usr/sbin/vsftpd', vsftpdConf], { logFile: join(runDir, 'vsftpd.out') }));
    daemons.push(startWebServer(lab, runDir));
    // dnsmasq
    const dnsConf = join(runDir, 'dnsmasq.conf');
    writeFileSync(
      dnsConf,
      ['no-resolv', 'no-hosts', `listen-address=${v.ip}`, 'bind-interfaces', 'port=53', `address=/range.test/${v.ip}`, `pid-file=${join(runDir, 'dnsmasq.pid')}`, 'user=root', ''].join('\n'),
    );
    daemons.push(startDaemon('dnsmasq', v.ns, ['dnsmasq', '-k', '-C', dnsConf], { logFile: join(runDir, 'dnsmasq.out') }));
    await waitListening(v.ns, [
      { proto: 'tcp', port: 22 },
      { proto: 'tcp', port: 2222 },
      { proto: 'tcp', port: 21 },
      { proto: 'tcp', port: 80 },
      { proto: 'udp', port: 53 },
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { authLog, vsftpdLog, stop };
}
