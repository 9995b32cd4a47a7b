// The range's scenarios: real attack tools from Debian in the attacker namespace, and benign
// clients doing what real users do from the client namespace. Every run is bounded: counts
// and rates in the tools' own flags, word lists of a few dozen entries, and a hard time
// limit after which the runner kills the tool's whole process group.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RangeLab } from './lab.ts';
import { USERS } from './lab.ts';
import { BIG_FILE, FTP_FILE, SMALL_DIR, SMALL_FILES, WEB_PAGES } from './services.ts';
import type { Expect } from './types.ts';

export type ScenarioClass = 'scan' | 'brute' | 'flood' | 'benign';

export interface Scenario {
  name: string;
  /** The tool and its mode, for the table. */
  tool: string;
  expect: Expect;
  class: ScenarioClass;
  from: 'attacker' | 'client';
  /** The port the prober connects to from the source's address; null for spoofed floods (nothing to block). */
  probePort: number | null;
  /** Sources are forged: the capture's labels name no attacker, the victim instead. */
  spoofed: boolean;
  /** Whether fail2ban and CrowdSec run it (they have no notion of a flood alert). */
  incumbents: boolean;
  /** Hard limit on the tool's run. */
  timeoutS: number;
  note: string;
  argv(ctx: ScenarioContext): string[];
}

export interface ScenarioContext {
  lab: RangeLab;
  runDir: string;
  victim: string;
  users: string;
  passwords: string;
}

/** Names an attacker tries: common ones plus two real users of the victim. */
export const ATTACK_USERS = ['root', 'admin', 'alice', 'test', 'user', 'oracle'];
/** Common passwords; none is a real user's. */
export const ATTACK_PASSWORDS = [
  '123456', 'password', '12345678', 'qwerty', '123456789', '12345', '1234', '111111', '1234567', 'dragon',
  '123123', 'baseball', 'abc123', 'football', 'monkey', 'letmein', '696969', 'shadow', 'master', '666666',
  'qwertyuiop', '123321', 'mustang', '1234567890', 'michael', '654321', 'superman', '1qaz2wsx', '7777777', 'admin',
];

export function writeWordLists(lab: RangeLab): { users: string; passwords: string } {
  const users = join(lab.dir, 'users.txt');
  const passwords = join(lab.dir, 'passwords.txt');
  writeFileSync(users, `${ATTACK_USERS.join('\n')}\n`);
  writeFileSync(passwords, `${ATTACK_PASSWORDS.join('\n')}\n`);
  return { users, passwords };
}

const pw = (name: string) => USERS.find((u) => u.name === name)!.password;
const SSH_OPTS = '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1';
const bash = (script: string) => ['bash', '-c', script];

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'nmap-syn-scan', tool: 'nmap -sS', expect: 'ban', class: 'scan', from: 'attacker', probePort: 80, spoofed: false, incumbents: true, timeoutS: 60,
    note: 'SYN scan of ports 1-1000',
    argv: (c) => ['nmap', '-sS', '-Pn', '-n', '-T4', '--max-retries', '1', '-p', '1-1000', c.victim],
  },
  {
    name: 'nmap-connect-scan', tool: 'nmap -sT', expect: 'ban', class: 'scan', from: 'attacker', probePort: 80, spoofed: false, incumbents: true, timeoutS: 60,
    note: 'TCP connect scan of ports 1-1000',
    argv: (c) => ['nmap', '-sT', '-Pn', '-n', '-T4', '--max-retries', '1', '-p', '1-1000', c.victim],
  },
  {
    name: 'nmap-udp-scan', tool: 'nmap -sU', expect: 'ban', class: 'scan', from: 'attacker', probePort: 80, spoofed: false, incumbents: true, timeoutS: 60,
    note: 'UDP scan of the 100 most common UDP ports',
    argv: (c) => ['nmap', '-sU', '-Pn', '-n', '-T4', '--max-retries', '1', '--top-ports', '100', c.victim],
  },
  {
    name: 'nmap-version-scan', tool: 'nmap -sV', expect: 'ban', class: 'scan', from: 'attacker', probePort: 80, spoofed: false, incumbents: true, timeoutS: 90,
    note: 'service and version detection on the five service ports',
    argv: (c) => ['nmap', '-sV', '-Pn', '-n', '-T4', '-p', '21,22,53,80,2222', c.victim],
  },
  {
    name: 'nmap-aggressive', tool: 'nmap -A', expect: 'ban', class: 'scan', from: 'attacker', probePort: 80, spoofed: false, incumbents: true, timeoutS: 120,
    note: 'OS detection, versions, default scripts and traceroute on the service ports',
    argv: (c) => ['nmap', '-A', '-Pn', '-n', '-T4', '-p', '21,22,53,80,2222', c.victim],
  },
  {
    name: 'masscan', tool: 'masscan', expect: 'ban', class: 'scan', from: 'attacker', probePort: 80, spoofed: false, incumbents: true, timeoutS: 30,
    note: 'ports 1-1000 at 500 packets/s',
    // No router in the lab: masscan is given the victim's MAC; its source ports are pinned
    // away from the prober's.
    argv: (c) => ['masscan', c.victim, '-p1-1000', '--max-rate', '500', '--wait', '2', '--adapter', 'eth0', '--adapter-ip', c.lab.attacker.ip, '--adapter-port', '40000-40063', '--router-mac', c.lab.victimMac],
  },
  {
    name: 'hydra-ssh-22', tool: 'hydra ssh', expect: 'ban', class: 'brute', from: 'attacker', probePort: 22, spoofed: false, incumbents: true, timeoutS: 45,
    note: `${ATTACK_USERS.length} users x ${ATTACK_PASSWORDS.length} passwords, 4 tasks, port 22`,
    argv: (c) => ['hydra', '-I', '-q', '-t', '4', '-L', c.users, '-P', c.passwords, `ssh://${c.victim}:22`],
  },
  {
    name: 'hydra-ssh-2222', tool: 'hydra ssh', expect: 'ban', class: 'brute', from: 'attacker', probePort: 2222, spoofed: false, incumbents: true, timeoutS: 45,
    note: 'the same on the non-standard port 2222',
    argv: (c) => ['hydra', '-I', '-q', '-t', '4', '-L', c.users, '-P', c.passwords, `ssh://${c.victim}:2222`],
  },
  {
    name: 'hydra-ftp', tool: 'hydra ftp', expect: 'ban', class: 'brute', from: 'attacker', probePort: 21, spoofed: false, incumbents: true, timeoutS: 45,
    note: 'FTP logins against vsftpd, 4 tasks',
    argv: (c) => ['hydra', '-I', '-q', '-t', '4', '-L', c.users, '-P', c.passwords, `ftp://${c.victim}`],
  },
  {
    name: 'medusa-ssh', tool: 'medusa ssh', expect: 'ban', class: 'brute', from: 'attacker', probePort: 22, spoofed: false, incumbents: true, timeoutS: 45,
    note: 'medusa, 4 parallel logins, port 22',
    argv: (c) => ['medusa', '-h', c.victim, '-U', c.users, '-P', c.passwords, '-M', 'ssh', '-t', '4', '-n', '22'],
  },
  {
    name: 'ncrack-ssh-slow', tool: 'ncrack ssh (slow)', expect: 'ban', class: 'brute', from: 'attacker', probePort: 22, spoofed: false, incumbents: true, timeoutS: 150,
    note: 'one connection at a time, one password per connection, 6 s apart',
    argv: (c) => ['ncrack', '-g', 'CL=1,at=1,cd=6s', '-U', c.users, '-P', c.passwords, `ssh://${c.victim}:22`],
  },
  {
    name: 'hping3-syn-flood', tool: 'hping3 -S --rand-source', expect: 'alert', class: 'flood', from: 'attacker', probePort: null, spoofed: true, incumbents: false, timeoutS: 30,
    note: '20,000 SYNs to port 80 from random forged sources at 5,000/s',
    argv: (c) => ['hping3', '-q', '-S', '-p', '80', '-s', '40000', '--rand-source', '-c', '20000', '-i', 'u200', c.victim],
  },
  {
    name: 'hping3-icmp-flood', tool: 'hping3 --icmp', expect: 'alert', class: 'flood', from: 'attacker', probePort: 80, spoofed: false, incumbents: false, timeoutS: 30,
    note: '20,000 echo requests at 5,000/s',
    argv: (c) => ['hping3', '-q', '--icmp', '-c', '20000', '-i', 'u200', c.victim],
  },
  {
    name: 'ping-flood-large', tool: 'ping -f -s 8000', expect: 'ban', class: 'flood', from: 'attacker', probePort: 80, spoofed: false, incumbents: false, timeoutS: 30,
    note: 'ping -f of 8,000-byte echo requests (six fragments each on the lab\'s 1,500-byte MTU), at most 5,000 of them and 15 s',
    argv: (c) => ['ping', '-q', '-f', '-s', '8000', '-c', '5000', '-w', '15', c.victim],
  },
  {
    name: 'hping3-quic-initial-flood', tool: 'hping3 --udp -E (QUIC Initial)', expect: 'ban', class: 'flood', from: 'attacker', probePort: 80, spoofed: false, incumbents: false, timeoutS: 30,
    note: '3,000 QUIC Initials (RFC 9000 §17.2.2: long header, version 1, an 8-byte DCID, padded to 1,200 bytes) to UDP 443 at 1,000/s, a new source port each (session 15)',
    // the payload: a version-1 Initial's first bytes, then zeros to 1,200 (hping3 -E reads -d bytes of the file)
    argv: (c) =>
      bash(
        `f=$(mktemp); { printf '\\xc3\\x00\\x00\\x00\\x01\\x08\\x1f\\x2e\\x3d\\x4c\\x5b\\x6a\\x79\\x88\\x00\\x00\\x44\\xb0'; head -c 1184 /dev/zero; } > "$f"; ` +
          `hping3 -q --udp -p 443 -s 20000 -d 1200 -E "$f" -c 3000 -i u1000 ${c.victim}; r=$?; rm -f "$f"; exit $r`,
      ),
  },
  {
    name: 'ssh-logins', tool: 'ssh', expect: 'nothing', class: 'benign', from: 'client', probePort: 22, spoofed: false, incumbents: true, timeoutS: 60,
    note: 'six correct SSH logins in a row, a second apart',
    argv: (c) => bash(`for i in 1 2 3 4 5 6; do sshpass -p '${pw('alice')}' ssh ${SSH_OPTS} alice@${c.victim} uptime || exit 1; sleep 1; done`),
  },
  {
    name: 'ssh-admin-typo', tool: 'ssh', expect: 'nothing', class: 'benign', from: 'client', probePort: 22, spoofed: false, incumbents: true, timeoutS: 60,
    note: 'an admin mistypes the password twice, then logs in',
    argv: (c) =>
      bash(
        `sshpass -p 'Adm1n-Range-2025' ssh ${SSH_OPTS} admin@${c.victim} true; sleep 3; ` +
          `sshpass -p 'adm1n-range-2026' ssh ${SSH_OPTS} admin@${c.victim} true; sleep 4; ` +
          `sshpass -p '${pw('admin')}' ssh ${SSH_OPTS} admin@${c.victim} id`,
      ),
  },
  {
    name: 'scp-large-file', tool: 'scp', expect: 'nothing', class: 'benign', from: 'client', probePort: 22, spoofed: false, incumbents: true, timeoutS: 60,
    note: 'copies a 16 MB file from the victim',
    argv: (c) => bash(`sshpass -p '${pw('alice')}' scp ${SSH_OPTS} alice@${c.victim}:${BIG_FILE} ${join(c.runDir, 'copied.bin')} && rm -f ${join(c.runDir, 'copied.bin')}`),
  },
  {
    // What connection counters ban (fail2ban's old sshd-ddos, a "recent"/hashlimit rule on
    // port 22): automation logs in many times in a row. Ansible without ControlPersist opens a
    // connection per task, CI jobs one per step; here 20 logins, two at a time, ~10 s.
    name: 'ssh-automation', tool: 'ssh', expect: 'nothing', class: 'benign', from: 'client', probePort: 22, spoofed: false, incumbents: true, timeoutS: 60,
    note: '20 password logins in about 10 s, two at a time, each running a command (Ansible without ControlPersist, CI)',
    argv: (c) => {
      const login = (cmd: string) => `sshpass -p '${pw('alice')}' ssh ${SSH_OPTS} alice@${c.victim} ${cmd} >/dev/null`;
      return bash(`for i in $(seq 1 10); do ${login('"echo task $i"')} & a=$!; ${login('uptime')} & b=$!; wait $a || exit 1; wait $b || exit 1; sleep 0.5; done`);
    },
  },
  {
    // OpenSSH 9's scp speaks SFTP; a deploy script that copies file by file opens a session each.
    name: 'scp-many-files', tool: 'scp', expect: 'nothing', class: 'benign', from: 'client', probePort: 22, spoofed: false, incumbents: true, timeoutS: 90,
    note: `${SMALL_FILES} small files (3-8 KB), one scp (SFTP) connection each, back to back`,
    argv: (c) => {
      const dest = join(c.runDir, 'small');
      return bash(`mkdir -p ${dest} && for i in $(seq -w 1 ${SMALL_FILES}); do sshpass -p '${pw('alice')}' scp ${SSH_OPTS} alice@${c.victim}:${SMALL_DIR}/f$i.conf ${dest}/ || exit 1; done; rm -rf ${dest}`);
    },
  },
  {
    name: 'http-browsing', tool: 'curl', expect: 'nothing', class: 'benign', from: 'client', probePort: 80, spoofed: false, incumbents: true, timeoutS: 60,
    note: `10 visits, each the index and ${WEB_PAGES} pages over one kept-alive connection`,
    argv: (c) => {
      const urls = [`http://${c.victim}/`, ...Array.from({ length: WEB_PAGES }, (_, i) => `http://${c.victim}/page${i}.html`)];
      return bash(`for i in $(seq 1 10); do curl -sf ${urls.map((u) => `-o /dev/null ${u}`).join(' ')} || exit 1; sleep 0.5; done`);
    },
  },
  {
    name: 'dns-lookups', tool: 'dig', expect: 'nothing', class: 'benign', from: 'client', probePort: 80, spoofed: false, incumbents: true, timeoutS: 60,
    note: '60 lookups of names under range.test',
    argv: (c) => bash(`for i in $(seq 1 60); do dig +short +tries=1 +time=2 @${c.victim} host$i.range.test >/dev/null || exit 1; sleep 0.1; done`),
  },
  {
    name: 'ftp-downloads', tool: 'lftp', expect: 'nothing', class: 'benign', from: 'client', probePort: 21, spoofed: false, incumbents: true, timeoutS: 60,
    note: 'three FTP sessions, each downloading a 2 MB file',
    argv: (c) =>
      bash(`for i in 1 2 3; do lftp -u 'ftpuser,${pw('ftpuser')}' -e 'set net:max-retries 1; set net:timeout 10; set xfer:clobber on; get ${FTP_FILE} -o ${join(c.runDir, 'got.pdf')}; bye' ${c.victim} || exit 1; sleep 2; done; rm -f ${join(c.runDir, 'got.pdf')}`),
  },
];
