// SSH logins beyond OpenSSH's client against OpenSSH's server, recorded on a veth pair
// (test/fixtures/captures/record_ssh_clients.sh; README "Captures for the detector tests"):
// OpenSSH's client with each cipher and MAC, keyboard-interactive, Paramiko as Ansible drives
// it, a monitor's key logins, against OpenSSH 9.2 and Dropbear 2022.83; and hydra, medusa and
// a Paramiko guesser against Dropbear (and Paramiko against OpenSSH). Each session is read as
// the detector reads it (devkit/ssh-outcomes.ts over login-sessions.ts), and the rules run as
// a node runs them (two shards, the victim rules).

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { LoginEvent, LoginSessions } from '../src/detect/rules/login-sessions.ts';
import { isDropbearGreeting } from '../src/detect/rules/service-replies.ts';
import { ACK, PSH, batchOf, type Pkt } from '../devkit/packets.ts';
import { runShardedCapture } from '../devkit/sharded-rules.ts';
import { sshOutcomes, type SessionOutcome } from '../devkit/ssh-outcomes.ts';

const FIXTURES = new URL('./fixtures/captures/', import.meta.url).pathname;
const CLIENT = '198.18.0.2', SERVER = '198.18.0.1';
const fixture = (name: string) => join(FIXTURES, `recorded_${name}.pcap`);
const describeAlert = (a: Alert) => `${a.type} ${a.source}→${a.target} ${JSON.stringify(a.evidence)}`;
const count = (sessions: SessionOutcome[], ev: string) => sessions.reduce((n, s) => n + s.events.filter((e) => e === ev).length, 0);

/** Dropbear holds a failed password back 250-350 ms (svr-auth.c); PAM 2 s: the auth answers (under 128 bytes, no key exchange's) that came that late. */
const HELD_BACK_S = 0.25;
const heldBack = (sessions: SessionOutcome[]) => sessions.reduce((n, s) => n + s.segments.filter((g) => g.gap >= HELD_BACK_S && g.len <= 128).length, 0);

describe('SSH clients and servers beyond OpenSSH defaults: logins that succeed', () => {
  // [capture, sessions, of them logins, failed passwords]
  for (const [name, sessions, logins, failures] of [
    ['benign_ssh-clients-openssh-ciphers', 30, 30, 0], // 15 key, 15 sshpass logins cycling 10 cipher/MAC choices, OpenSSH
    ['benign_ssh-clients-dropbear-ciphers', 30, 30, 0], // the same with Dropbear's 5 choices (chacha20-poly1305 among them)
    ['benign_ssh-clients-dropbear-monitor', 20, 20, 0], // key logins with the client's defaults every 2 s, Dropbear
    ['benign_ssh-clients-paramiko', 32, 32, 0], // Ansible's shape, key and password, OpenSSH and Dropbear
    ['benign_ssh-clients-keyboard-interactive', 12, 11, 1], // 10 logins, a typo, a login
    ['benign_ssh-clients-dropbear-typo', 3, 2, 2], // a typo; the login; a typo then the login in one session
    ['benign_ssh-clients-dropbear-keys-then-typo', 4, 2, 2], // three refused keys before each password: a typo, the login, twice
  ] as const) {
    test(`${name}: every login read as a success, only the typos as failures, nothing undecided, nothing alerted`, () => {
      const file = fixture(name);
      const read = sshOutcomes(file);
      assert.equal(read.length, sessions);
      const show = (s: SessionOutcome) => `${s.client}:${s.clientPort} → :${s.serverPort}: ${s.events.join(' ') || 'nothing'} (sizes ${s.segments.map((g) => g.len).join(' ')})`;
      assert.equal(read.filter((s) => s.events.includes('success')).length, logins, read.filter((s) => !s.events.includes('success')).map(show).join('\n'));
      assert.equal(count(read, 'undecided'), 0);
      assert.equal(count(read, 'failure'), failures);
      assert.deepEqual(runShardedCapture(DEFAULT_RULES, file).out.map(describeAlert), []);
    });
  }

  test('the seven captures as one client on one timeline (an operator\'s automation and its admin): nothing alerted', () => {
    // the files were recorded one after another from the same address: read in order they are one morning
    const names = ['benign_ssh-clients-openssh-ciphers', 'benign_ssh-clients-dropbear-ciphers', 'benign_ssh-clients-dropbear-monitor', 'benign_ssh-clients-paramiko', 'benign_ssh-clients-keyboard-interactive', 'benign_ssh-clients-dropbear-typo', 'benign_ssh-clients-dropbear-keys-then-typo'];
    const alerts = names.flatMap((n) => runShardedCapture(DEFAULT_RULES, fixture(n)).out);
    assert.deepEqual(alerts.map(describeAlert), []);
  });
});

describe('SSH guessers against Dropbear (and Paramiko against OpenSSH): every guess read, banned by the 5th', () => {
  for (const name of ['brute_ssh-clients-hydra-dropbear', 'brute_ssh-clients-medusa-dropbear', 'brute_ssh-clients-paramiko-dropbear', 'brute_ssh-clients-paramiko-openssh']) {
    test(`${name}: each held-back answer is a failure, and the guesser is alerted as an ssh brute force by its 5th`, () => {
      const file = fixture(name);
      const read = sshOutcomes(file);
      const held = heldBack(read);
      assert.ok(held >= 20, `${held} held-back answers: the capture holds the guesses`);
      assert.equal(count(read, 'success'), 0);
      assert.equal(count(read, 'failure'), held, 'every answer held back is a failed password, and only those');
      const alerts = runShardedCapture(DEFAULT_RULES, file).out;
      for (const a of alerts) if (a.blockable) assert.equal(a.source, CLIENT, describeAlert(a));
      const first = alerts.find((a) => a.blockable);
      assert.ok(first, 'no alert');
      assert.equal(first.type, 'ssh-brute-force');
      assert.equal(first.target, SERVER);
      assert.equal(first.evidence.service, 'ssh');
      const n = first.evidence.failures;
      assert.ok(typeof n === 'number' && n >= 1 && n <= 5, `alerted on ${describeAlert(first)}`);
    });
  }
});

describe('Dropbear\'s own rules apply to Dropbear alone', () => {
  test('isDropbearGreeting: Dropbear\'s identification string, not OpenSSH\'s, not one cut short', () => {
    const bytes = (t: string) => Uint8Array.from(Buffer.from(t, 'latin1'));
    assert.equal(isDropbearGreeting(bytes('SSH-2.0-dropbear_2022.83\r\n'), 0, 16), true);
    assert.equal(isDropbearGreeting(bytes('SSH-2.0-OpenSSH_9.2p1 Debian'), 0, 16), false);
    assert.equal(isDropbearGreeting(bytes('SSH-2.0-dropbea'), 0, 15), false);
  });

  // a session as Dropbear under chacha20-poly1305 answers (sizes and gaps of
  // recorded_benign_ssh-clients-dropbear-typo.pcap): its banner, KEXINIT, the KEX reply with
  // NEWKEYS, SERVICE_ACCEPT (44) after the client's round trip, the methods (52) at once, a
  // wrong password's failure (52) 0.3 s later, the success (36)
  const session = (greeting: string): number[] => {
    const from = { src: SERVER, dst: CLIENT, sp: 2222, dp: 40000, flags: PSH | ACK };
    const pkts: Pkt[] = [
      { ...from, ts: 0, payload: 26, head: greeting },
      { ...from, ts: 0.01, payload: 512, head: [0, 0, 1, 252, 4, 20] }, // KEXINIT, 512 bytes
      { ...from, ts: 0.05, payload: 428, head: [0, 0, 1, 140, 8, 31] }, // KEX reply (400 bytes), NEWKEYS after it
      { ...from, ts: 0.1, payload: 44 },
      { ...from, ts: 0.1, payload: 52 },
      { ...from, ts: 0.4, payload: 52 },
      { ...from, ts: 0.45, payload: 36 },
    ];
    const sessions = new LoginSessions(4, DEFAULT_RULES.bruteForce.throttleS);
    sessions.open(0);
    const b = batchOf(pkts);
    return pkts.map((_, i) => sessions.segment(0, b, i));
  };

  test('Dropbear: the failure held back 0.3 s is counted, the 36-byte answer is the success', () => {
    assert.deepEqual(session('SSH-2.0-dropbear_2022.83\r\n').slice(3), [LoginEvent.NONE, LoginEvent.NONE, LoginEvent.FAILURE, LoginEvent.SUCCESS]);
  });

  test('the same sizes and gaps from OpenSSH: an answer 0.3 s late is no PAM failure, 8 under S is no success', () => {
    assert.deepEqual(session('SSH-2.0-OpenSSH_9.2p1 Debian').slice(3), [LoginEvent.NONE, LoginEvent.NONE, LoginEvent.NONE, LoginEvent.NONE]);
  });

  test('Dropbear across a 400 ms round trip: refused keys answered a round trip later are not failures, a password held back 0.3 s more is', () => {
    // what a link adds: every answer to the client comes a round trip after the server's
    // previous segment (the wait for SERVICE_ACCEPT among them), Dropbear's delay on top
    const rtt = 0.4;
    const from = { src: SERVER, dst: CLIENT, sp: 2222, dp: 40000, flags: PSH | ACK };
    let t = 0;
    const at = (dt: number) => (t += dt);
    const pkts: Pkt[] = [
      { ...from, ts: at(0), payload: 26, head: 'SSH-2.0-dropbear_2022.83\r\n' },
      { ...from, ts: at(0.01), payload: 512, head: [0, 0, 1, 252, 4, 20] },
      { ...from, ts: at(rtt + 0.01), payload: 428, head: [0, 0, 1, 140, 8, 31] },
      { ...from, ts: at(rtt + 0.04), payload: 44 }, // SERVICE_ACCEPT
      { ...from, ts: at(rtt), payload: 52 }, // the methods
      { ...from, ts: at(rtt), payload: 52 }, // three refused keys
      { ...from, ts: at(rtt), payload: 52 },
      { ...from, ts: at(rtt), payload: 52 },
      { ...from, ts: at(rtt + 0.26), payload: 52 }, // the mistyped password, held back
    ];
    const sessions = new LoginSessions(4, DEFAULT_RULES.bruteForce.throttleS);
    sessions.open(0);
    const b = batchOf(pkts);
    const events = pkts.map((_, i) => sessions.segment(0, b, i));
    assert.deepEqual(events.slice(3), [LoginEvent.NONE, LoginEvent.NONE, LoginEvent.NONE, LoginEvent.NONE, LoginEvent.NONE, LoginEvent.FAILURE]);
  });
});
