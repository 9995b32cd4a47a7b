// Handshakes whose SYN-ACK the capture lost (a sensor under load, a mirror port dropping a
// burst, one leg of a bonded link): the client's SYN and ACK are seen, the server's SYN-ACK
// is not. The session verifier takes the server's first segment at the number the client
// acknowledged, acknowledging the client's SYN, for the lost SYN-ACK (CLAIMED,
// SYNACK_LOST with ESTABLISHED): only the two ends know both numbers. The rules then follow the server's
// side from that segment (greeting-first services included) and take the sweep's host back.
// A third party forging the client's ACK, or the server's replies, without both numbers
// verifies nothing. Each class-file test here failed on 0253761 (false bans, or no ban).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { PacketFlags } from '../src/net/packet-batch.ts';
import { ACK, FIN, PSH, RST, SYN, batchOf, type Pkt } from '../devkit/packets.ts';
import { runSharded, runShardedCapture } from '../devkit/sharded-rules.ts';
import { readFrames, withoutSynAcks, writePcap } from '../devkit/capture-rewrite.ts';
import type { Alert } from '../src/detect/alert.ts';

const CLIENT = '203.0.113.7', SERVER = '10.9.0.21';
const STANDIN = PacketFlags.SYNACK_LOST | PacketFlags.ESTABLISHED;
const describe = (a: Alert) => `${a.type} ${a.source}→${a.target} blockable=${a.blockable} ${JSON.stringify(a.evidence)}`;

/** The verifier's marks of a batch of `pkts`: ESTABLISHED, and the stand-in (SYNACK_LOST with ESTABLISHED), by row. */
function marks(pkts: Pkt[]): { est: (k: number) => boolean; standIn: (k: number) => boolean; lost: (k: number) => boolean } {
  const b = batchOf(pkts);
  new SessionVerifier().mark(b);
  return { est: (k) => (b.flags[k]! & PacketFlags.ESTABLISHED) !== 0, standIn: (k) => (b.flags[k]! & STANDIN) === STANDIN, lost: (k) => (b.flags[k]! & PacketFlags.SYNACK_LOST) !== 0 };
}

// the client's ISN 1000, the server's 5000 (its SYN-ACK, seq 5000 ack 1001, lost)
const c = (ts: number, flags: number, seq: number, ack: number, payload = 0): Pkt => ({ ts, src: CLIENT, dst: SERVER, sp: 50000, dp: 22, flags, seq, ack, payload });
const s = (ts: number, flags: number, seq: number, ack: number, payload = 0): Pkt => ({ ts, src: SERVER, dst: CLIENT, sp: 22, dp: 50000, flags, seq, ack, payload });
const SYN_ = c(1, SYN, 1000, 0);
const ACK_ = c(1.01, ACK, 1001, 5001);

test('the verifier: the server\'s first segment at the number its client acknowledged, acknowledging the client\'s SYN, stands for the lost SYN-ACK', () => {
  // a greeting-first server (SSH): SYN, ACK, the server's banner, the client's banner
  let m = marks([SYN_, ACK_, s(1.02, ACK | PSH, 5001, 1001, 40), c(1.03, ACK | PSH, 1001, 5041, 30)]);
  assert.equal(m.est(1), false, 'the client\'s ACK alone proves nothing: anyone can send it');
  assert.ok(m.lost(1), 'the client\'s ACK is marked as claiming a SYN-ACK not seen (the sweep\'s slow bucket reads it)');
  assert.ok(m.est(2) && m.standIn(2), 'the banner at the claimed number, acknowledging the SYN');
  assert.ok(m.est(3) && !m.standIn(3));
  // a client-first one (HTTP): the request, then the answer acknowledging its bytes
  m = marks([SYN_, ACK_, c(1.02, ACK | PSH, 1001, 5001, 120), s(1.05, ACK | PSH, 5001, 1121, 600)]);
  assert.equal(m.est(2), false);
  assert.ok(m.est(3) && m.standIn(3));
  // a connect check closed with a FIN: the server's FIN acknowledges the client's
  m = marks([SYN_, ACK_, c(1.02, FIN | ACK, 1001, 5001), s(1.03, FIN | ACK, 5001, 1002)]);
  assert.ok(m.est(3) && m.standIn(3));
  // the server's first segment lost too: its next one, at the number the client's latest ACK claimed
  m = marks([SYN_, ACK_, c(1.02, ACK | PSH, 1001, 5001, 30), c(1.04, ACK, 1031, 5041), s(1.05, ACK | PSH, 5041, 1031, 20)]);
  assert.ok(m.est(4) && m.standIn(4));
});

test('the verifier: a forged client ACK, or a forged server reply, without both numbers verifies nothing', () => {
  // the server's segment at another number than the client claimed (a forger of the server's
  // address never saw the client's ACK), or acknowledging none of the client's bytes (it never
  // saw the SYN): never the stand-in, and nothing after it verified
  for (const [seq, ack, why] of [[5001 + 1460, 1001, 'another seq'], [5001, 1001 + 70_000, 'an ack past the window'], [5001, 999, 'an ack before the SYN'], [9999, 77_777, 'neither']] as const) {
    const m = marks([SYN_, ACK_, s(1.02, ACK | PSH, seq, ack, 40)]);
    assert.equal(m.est(2) || m.standIn(2), false, why);
  }
  // a forger sending a client's SYN and an ACK of a guessed ISN: the real server refuses the
  // ACK with a bare RST at the guessed number (RFC 9293 §3.10.7.3): no ACK, no stand-in; the
  // forger's request after it stays unverified
  const forged = c(1.01, ACK, 1001, 123_456);
  let m = marks([SYN_, forged, s(1.02, RST, 123_456, 0), c(1.03, ACK | PSH, 1001, 123_456, 40)]);
  assert.equal(m.est(2) || m.est(3), false);
  // ... and an answer the real server does send (its retransmitted stream at its own number) does not match the claim
  m = marks([SYN_, forged, s(1.02, ACK | PSH, 5001, 1001, 40), c(1.03, ACK | PSH, 1001, 123_456, 40)]);
  assert.equal(m.est(2) || m.standIn(2) || m.est(3), false);
  // a server's RST+ACK at the claimed number is no stand-in either (a refusal, not an answer)
  m = marks([SYN_, ACK_, s(1.02, RST | ACK, 5001, 1001)]);
  assert.equal(m.est(2), false);
  // with the SYN-ACK seen, the client's ACK must match it as before: the rule is only for a lost one
  m = marks([SYN_, s(1.005, SYN | ACK, 5000, 1001), c(1.01, ACK, 1001, 777), s(1.02, ACK | PSH, 777, 1001, 40)]);
  assert.equal(m.est(3), false);
  assert.equal(m.lost(2), false, 'an ACK after a SYN-ACK seen claims nothing lost');
});

/**
 * `n` FTP connections of the client, each SYN, ACK, then the server's 220, the client's USER and
 * PASS, the server's 331 and 530, a FIN; every SYN-ACK lost. `forge`: the server's lines sent by
 * a third party who does not know the server's numbers (each at `seqOff` from the real one) or the
 * client's (its acks `ackOff` from the real ones); the real client then acknowledges none of them.
 */
function ftpLogins(n: number, seqOff = 0, ackOff = 0): Pkt[] {
  const pkts: Pkt[] = [];
  for (let k = 0; k < n; k++) {
    const t = 100 + k * 2, sp = 40000 + k, A = 7001 + k * 1000, C = 1001 + k * 500;
    const cl = (dt: number, flags: number, seq: number, ack: number, head?: string): Pkt => ({ ts: t + dt, src: CLIENT, dst: SERVER, sp, dp: 21, flags, seq, ack, payload: head?.length ?? 0, head });
    const sv = (dt: number, seq: number, ack: number, head: string): Pkt => ({ ts: t + dt, src: SERVER, dst: CLIENT, sp: 21, dp: sp, flags: ACK | PSH, seq: seq + seqOff, ack: ack + ackOff, payload: head.length, head });
    const g = '220 (vsFTPd 3.0.5)\r\n', u = '331 Please specify the password.\r\n', f = '530 Login incorrect.\r\n';
    const forged = seqOff !== 0 || ackOff !== 0;
    pkts.push(cl(0, SYN, C - 1, 0), cl(0.001, ACK, C, A));
    pkts.push(sv(0.002, A, C, g));
    const a1 = forged ? A : A + g.length;
    pkts.push(cl(0.003, ACK | PSH, C, a1, 'USER admin\r\n'), sv(0.004, A + g.length, C + 12, u));
    const a2 = forged ? A : A + g.length + u.length;
    pkts.push(cl(0.005, ACK | PSH, C + 12, a2, 'PASS secret\r\n'), sv(0.3, A + g.length + u.length, C + 25, f));
    pkts.push(cl(0.31, FIN | ACK, C + 25, forged ? A : A + g.length + u.length + f.length));
  }
  return pkts;
}

test('an FTP guesser whose every SYN-ACK the capture lost is banned from its 530s; the same 530s forged without the server\'s or the client\'s numbers are never read', () => {
  const real = runSharded(DEFAULT_RULES, [ftpLogins(12)]).out.filter((a) => a.source === CLIENT && a.blockable);
  assert.ok(real.some((a) => a.type === 'brute-force' && a.evidence.service === 'ftp'), `no FTP brute-force alert: ${real.map(describe).join('; ')}`);
  for (const [seqOff, ackOff, why] of [[100_000, 0, 'the server\'s numbers guessed wrong'], [0, 100_000, 'the client\'s numbers guessed wrong']] as const) {
    const alerts = runSharded(DEFAULT_RULES, [ftpLogins(12, seqOff, ackOff)]).out.filter((a) => a.source === CLIENT && a.type === 'brute-force');
    assert.deepEqual(alerts.map(describe), [], why);
  }
});

/**
 * `n` one-request HTTP connections of the client to port 80 (a Hulk-like flood), every SYN-ACK
 * lost: SYN, ACK, GET, the server's answer, FINs. `forged`: a third party sends the client's
 * packets with an ACK of a guessed ISN; the real server refuses that ACK with a bare RST at the
 * guessed number (RFC 9293 §3.10.7.3) and answers nothing.
 */
function getFlood(n: number, forged: boolean): Pkt[] {
  const pkts: Pkt[] = [];
  const get = 'GET /?a=1 HTTP/1.1\r\nHost: www.example.org\r\n\r\n';
  for (let k = 0; k < n; k++) {
    const t = 100 + k * 0.002, sp = 20000 + k, A = 9001 + k * 777, C = 3001 + k * 333, guess = A + 1_000_000;
    const cl = (dt: number, flags: number, seq: number, ack: number, head?: string): Pkt => ({ ts: t + dt, src: CLIENT, dst: SERVER, sp, dp: 80, flags, seq, ack, payload: head?.length ?? 0, head });
    const sv = (dt: number, flags: number, seq: number, ack: number, payload = 0): Pkt => ({ ts: t + dt, src: SERVER, dst: CLIENT, sp: 80, dp: sp, flags, seq, ack, payload, head: payload ? 'HTTP/1.1 200 OK\r\n' : undefined });
    pkts.push(cl(0, SYN, C - 1, 0), cl(0.0005, ACK, C, forged ? guess : A), cl(0.0006, ACK | PSH, C, forged ? guess : A, get));
    if (forged) pkts.push(sv(0.0008, RST, guess, 0));
    else pkts.push(sv(0.0008, ACK | PSH, A, C + get.length, 600), cl(0.0009, FIN | ACK, C + get.length, A + 600), sv(0.001, FIN | ACK, A + 600, C + get.length + 1), cl(0.0011, ACK, C + get.length + 1, A + 601));
  }
  return pkts;
}

test('a one-request HTTP flood whose SYN-ACKs were lost is counted once the server confirms each connection; the same requests from a forged address never are', () => {
  const real = runSharded(DEFAULT_RULES, [getFlood(300, false)]).out.filter((a) => a.source === CLIENT);
  assert.ok(real.some((a) => a.type === 'http-flood' && a.blockable), `no http-flood alert: ${real.map(describe).join('; ')}`);
  const forged = runSharded(DEFAULT_RULES, [getFlood(300, true)]).out.filter((a) => a.source === CLIENT && (a.type === 'http-flood' || a.type === 'connection-flood'));
  assert.deepEqual(forged.map(describe), []);
});

const CLASSES = new URL('./fixtures/captures/classes/', import.meta.url).pathname;
const LABELS = new Map(readFileSync(join(CLASSES, 'labels.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => {
  const col = l.split('\t');
  return [col[0]!, { attackers: col[2] === '-' ? [] : col[2]!.split(','), victims: col[3] === '-' ? [] : col[3]!.split(',') }] as const;
}));

/** The rules' blockable alerts on a class file with every SYN-ACK dropped. */
function blockableWithoutSynAcks(file: string): Alert[] {
  const dir = mkdtempSync(join(tmpdir(), 'synack-'));
  try {
    const path = join(dir, file);
    writePcap(path, withoutSynAcks(readFrames(join(CLASSES, file))));
    return runShardedCapture(DEFAULT_RULES, path).out.filter((a) => a.blockable);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// connect checks whose SYN-ACKs are lost: no sweep. HAProxy's connect-and-RST never gets a
// server segment (its ACK takes the slow bucket's unit back); the kubelet's FIN is answered by
// the server's FIN, the blackbox exporter's connect by the SSH banner (the stand-ins)
for (const file of ['classes_benign_health_checks.pcap', 'classes_benign_kubelet_probes.pcap', 'classes_benign_haproxy_ports.pcap', 'classes_benign_blackbox_ports.pcap']) {
  test(`${file}, every SYN-ACK lost: nothing blockable`, () => {
    assert.deepEqual(blockableWithoutSynAcks(file).map(describe), []);
  });
}

// guessers with one answer a connection, greeting-first ones included, every SYN-ACK lost
for (const [file, type, service] of [
  ['classes_brute_mysql_hydra.pcap', 'brute-force', 'mysql'],
  ['classes_brute_postgres_hydra.pcap', 'brute-force', 'postgresql'],
  ['classes_brute_ssh_kex_timeouts.pcap', 'ssh-brute-force', 'ssh'],
  ['classes_brute_ipv6_ssh.pcap', 'ssh-brute-force', 'ssh'],
  ['classes_brute_vnc_hydra.pcap', 'brute-force', 'vnc'],
  ['classes_brute_ldap_ad_hydra.pcap', 'brute-force', 'ldap'],
  ['classes_brute_kerberos_spray_tcp.pcap', 'brute-force', 'kerberos'],
  ['classes_brute_http_medusa.pcap', 'brute-force', 'http'],
  ['classes_scan_web_nikto.pcap', 'http-probing', undefined],
  ['classes_brute_form_hydra_4.pcap', 'brute-force', 'http-form'],
  // floods from one source: each request, ClientHello or empty connection counted once the
  // server's side confirms its connection
  ['classes_flood_http_hulk.pcap', 'http-flood', undefined],
  ['classes_flood_http_slowloris.pcap', 'slow-http', undefined],
  ['classes_flood_http_slow_read.pcap', 'slow-http', undefined],
  ['classes_flood_tls_handshakes.pcap', 'connection-flood', undefined],
  ['classes_flood_connect_443.pcap', 'connection-flood', undefined],
] as const) {
  test(`${file}, every SYN-ACK lost: the attacker is flagged (${type}${service ? `, ${service}` : ''}), nobody else`, () => {
    const { attackers: [attacker], victims: [victim] } = LABELS.get(file)!;
    const alerts = blockableWithoutSynAcks(file);
    const first = alerts.find((a) => a.source === attacker);
    assert.ok(first, `no alert: ${alerts.map(describe).join('; ')}`);
    assert.equal(first.type, type);
    if (victim) assert.equal(first.target, victim);
    if (service) assert.equal(first.evidence.service, service);
    for (const a of alerts) assert.equal(a.source, attacker, describe(a));
  });
}
