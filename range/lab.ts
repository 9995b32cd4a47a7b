// The range's network: a victim, an attacker and a benign client, each in its own network
// namespace on the shared bridge lab (lab/bridge-lab.ts), in TEST-NET-2 (198.51.100.0/24).
// A documentation range, not 10.x: CrowdSec's bundled whitelist parser drops every event from
// 10/8, 172.16/12 and 192.168/16, so a private lab would measure the whitelist, not CrowdSec.
//
//   victim    <prefix>-victim    198.51.100.1   sshd :22 :2222, vsftpd :21, lighttpd :80, dnsmasq :53
//   attacker  <prefix>-attack    198.51.100.2   nmap, masscan, hydra, medusa, ncrack, hping3
//   client    <prefix>-client    198.51.100.3   ssh, scp, curl, dig, lftp
//
// No namespace has a default route and none has an interface in the host namespace, so attack
// traffic (forged sources included) never leaves the lab. The victim's users exist only in the
// victim: `ip netns exec` bind-mounts /etc/netns/<ns>/{passwd,shadow,group} over /etc for
// every process started in it, so the host's user database is never touched.

import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBridgeLab, type LabNode } from '../lab/bridge-lab.ts';
import { killNamespace } from './procs.ts';

export const SUBNET = '198.51.100';

export interface RangeUser {
  name: string;
  password: string;
  uid: number;
}

/** Real users on the victim, with real passwords (none of them in the attackers' word lists). */
export const USERS: readonly RangeUser[] = [
  { name: 'alice', password: 'Wonderland-7431', uid: 5101 },
  { name: 'admin', password: 'Adm1n-Range-2026', uid: 5102 },
  { name: 'ftpuser', password: 'Ftp-Range-8812', uid: 5103 },
  { name: 'bob', password: 'Builder-5520', uid: 5104 },
];

export interface RangeLab {
  prefix: string;
  /** Temp dir of this lab: users' homes, word lists, per-run dirs. */
  dir: string;
  victim: LabNode;
  attacker: LabNode;
  client: LabNode;
  /** The victim's eth0 MAC (masscan needs it: there is no router to ARP for). */
  victimMac: string;
  home(user: string): string;
  destroy(): Promise<void>;
}

function passwdHash(password: string): string {
  const r = spawnSync('openssl', ['passwd', '-6', '-stdin'], { input: password, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl passwd failed (install openssl): ${r.stderr}`);
  return r.stdout.trim();
}

function writeUserDatabase(ns: string, dir: string): void {
  const etc = join('/etc/netns', ns);
  mkdirSync(etc, { recursive: true });
  const days = Math.floor(Date.now() / 86_400_000) - 1;
  const passwd = readFileSync('/etc/passwd', 'utf8').trimEnd().split('\n');
  const shadow = readFileSync('/etc/shadow', 'utf8').trimEnd().split('\n');
  const group = readFileSync('/etc/group', 'utf8').trimEnd().split('\n');
  for (const u of USERS) {
    passwd.push(`${u.name}:x:${u.uid}:${u.uid}:range user:${join(dir, 'home', u.name)}:/bin/sh`);
    shadow.push(`${u.name}:${passwdHash(u.password)}:${days}:0:99999:7:::`);
    group.push(`${u.name}:x:${u.uid}:`);
  }
  writeFileSync(join(etc, 'passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });
  writeFileSync(join(etc, 'shadow'), `${shadow.join('\n')}\n`, { mode: 0o640 });
  writeFileSync(join(etc, 'group'), `${group.join('\n')}\n`, { mode: 0o644 });
}

function makeHomes(dir: string): void {
  for (const u of USERS) {
    const home = join(dir, 'home', u.name);
    mkdirSync(home, { recursive: true });
    chownSync(home, u.uid, u.uid);
    chmodSync(home, 0o755);
  }
}

export async function createRangeLab(options: { prefix?: string; withUsers?: boolean } = {}): Promise<RangeLab> {
  const prefix = options.prefix ?? `air${process.pid % 100_000}`;
  const dir = mkdtempSync(join(tmpdir(), 'autoimmune-range-'));
  // The victim's daemons drop privileges (sshd's users, vsftpd's chroot): the lab dir must be traversable.
  chmodSync(dir, 0o755);
  let bridge;
  try {
    bridge = await createBridgeLab(['victim', 'attack', 'client'], { prefix, subnet: SUBNET });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const [victim, attacker, client] = bridge.description.nodes as [LabNode, LabNode, LabNode];
  const etcDir = join('/etc/netns', victim.ns);
  // /etc/netns itself goes too if this lab made it.
  const madeEtcNetns = !existsSync('/etc/netns');
  const destroy = async () => {
    for (const n of bridge.description.nodes) await killNamespace(n.ns);
    await bridge.destroy();
    rmSync(etcDir, { recursive: true, force: true });
    if (madeEtcNetns) {
      try {
        rmdirSync('/etc/netns');
      } catch {
        // not empty: another lab's files are there
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (options.withUsers !== false) {
      writeUserDatabase(victim.ns, dir);
      makeHomes(dir);
    }
    const mac = spawnSync('ip', ['-n', victim.ns, '-o', 'link', 'show', 'eth0'], { encoding: 'utf8' }).stdout.match(/link\/ether ([0-9a-f:]{17})/)?.[1];
    if (!mac) throw new Error(`could not read the MAC address of eth0 in ${victim.ns}`);
    return { prefix, dir, victim, attacker, client, victimMac: mac, home: (u) => join(dir, 'home', u), destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}
