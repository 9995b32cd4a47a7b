// Login replies on connections whose opening the capture did not see (a sensor restarted,
// tcpdump started late, a rotated file; a SYN-ACK a loaded sensor dropped): the session
// verifier verifies such a connection when one side acknowledges bytes the other sent, and a
// server's side is followed from a reply that tells its service (midstream-service.ts). A
// reply forged in a server's name toward a client (to get the client banned) is never
// acknowledged by the client, so it is never read.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { midstreamService, DIALECT_SHIFT, httpFieldLine } from '../src/detect/rules/midstream-service.ts';
import { Service } from '../src/detect/rules/service-replies.ts';
import { ACK, PSH, RST, batchOf, type Pkt } from '../devkit/packets.ts';
import { runSharded, runShardedCapture } from '../devkit/sharded-rules.ts';
import { lateStart, readFrames, withoutSynAcks, writePcap } from '../devkit/capture-rewrite.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../src/detect/alert.ts';
import { PacketFlags } from '../src/net/packet-batch.ts';

const CLIENT = '203.0.113.7', SERVER = '10.9.0.21';
const describe = (a: Alert) => `${a.type} ${a.source}→${a.target} blockable=${a.blockable} ${JSON.stringify(a.evidence)}`;

/** The attacker's first blockable alert among `alerts` is of `type` against `victim` (its service `service` when given); with `alone`, nobody else has one. */
function flagged(alerts: Alert[], attacker: string, victim: string, type: string, service?: string, alone = false): void {
  const first = alerts.find((a) => a.blockable && a.source === attacker);
  assert.ok(first, `no alert: ${alerts.map(describe).join('; ')}`);
  assert.equal(first.type, type);
  assert.equal(first.target, victim);
  if (service !== undefined) assert.equal(first.evidence.service, service);
  if (alone) for (const a of alerts) if (a.blockable) assert.equal(a.source, attacker, describe(a));
}

test('the verifier: a connection first seen mid-stream is verified when the other side acknowledges bytes the first sent, not before, and not by an ack of none of them', () => {
  const mark = (pkts: Pkt[]) => {
    const b = batchOf(pkts);
    new SessionVerifier().mark(b);
    return (k: number) => (b.flags[k]! & PacketFlags.ESTABLISHED) !== 0;
  };
  // the client's PASS (12 bytes from 1000), the server's 530 acknowledging it, the client's next
  const pass: Pkt = { ts: 1, src: CLIENT, dst: SERVER, sp: 50000, dp: 21, flags: ACK | PSH, seq: 1000, ack: 5000, payload: 12 };
  const reply = (ack: number): Pkt => ({ ts: 1.5, src: SERVER, dst: CLIENT, sp: 21, dp: 50000, flags: ACK | PSH, seq: 5000, ack, payload: 24 });
  const next: Pkt = { ts: 2, src: CLIENT, dst: SERVER, sp: 50000, dp: 21, flags: ACK | PSH, seq: 1012, ack: 5024, payload: 12 };
  let at = mark([pass, reply(1012), next]);
  assert.equal(at(0), false, 'the first segment seen proves nothing');
  assert.ok(at(1), 'the server acknowledging the client\'s bytes verifies the connection');
  assert.ok(at(2));
  for (const ack of [1000, 1013, 900]) {
    at = mark([pass, reply(ack), next]);
    assert.equal(at(1), false, `an ack of ${ack}: none of the bytes seen, or beyond them`);
  }
  // the server speaks first in the capture (a reply to a request before it began): the client's ACK verifies
  at = mark([reply(1000), { ...next, seq: 1000, ack: 5024 }, { ...reply(1012), ts: 2.5, seq: 5024 }]);
  assert.equal(at(0), false);
  assert.ok(at(1) && at(2));
});

test('midstreamService: self-naming replies on any port, line codes only on their own ports', () => {
  const svc = (text: string, port: number) => {
    const h = new Uint8Array(64);
    const bytes = Buffer.from(text);
    h.set(bytes.subarray(0, 16));
    return midstreamService(h, 0, bytes.length, Math.min(16, bytes.length), port);
  };
  assert.equal(svc('HTTP/1.1 401 Unauthorized\r\n', 8080), Service.HTTP);
  assert.equal(svc('-WRONGPASS invalid username-password pair\r\n', 7000), Service.REDIS);
  assert.equal(svc('530 Login incorrect.\r\n', 21), Service.CODES | (1 << DIALECT_SHIFT));
  assert.equal(svc('535 5.7.8 Error: authentication failed\r\n', 587), Service.CODES | (2 << DIALECT_SHIFT));
  assert.equal(svc('a7 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n', 143), Service.IMAP);
  assert.equal(svc('-ERR [AUTH] Authentication failed.\r\n', 110), Service.POP3);
  assert.equal(svc('530 Login incorrect.\r\n', 8080), Service.OTHER, 'a code on a port of no line protocol: any text may start so');
  assert.equal(svc('a7 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n', 21), Service.OTHER);
  assert.equal(svc('SSH-2.0-OpenSSH_9.6\r\n', 22), Service.OTHER, 'SSH is not followed mid-stream (its sizes come from the key exchange)');
});

test('midstreamService: XMPP\'s SASL elements by their namespace on any port (cut by a snap length past its registry prefix), NNTP\'s codes on its ports only', () => {
  const svc = (text: string, port: number, kept = 72) => {
    const h = new Uint8Array(72);
    const bytes = Buffer.from(text);
    h.set(bytes.subarray(0, Math.min(kept, 72)));
    return midstreamService(h, 0, bytes.length, Math.min(kept, 72, bytes.length), port);
  };
  const sasl = "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'";
  assert.equal(svc(`<failure ${sasl}><not-authorized/></failure>`, 5222), Service.XMPP);
  assert.equal(svc(`<challenge ${sasl}>cmVhbG09InNvbWVyZWFsbSIsbm9uY2U9Ik9BNk1HOXRFUUdtMmhoIg==</challenge>`, 5222), Service.XMPP);
  assert.equal(svc(`<success ${sasl.replaceAll("'", '"')}/>`, 15222), Service.XMPP, 'either quote, any port');
  assert.equal(svc(`<challenge ${sasl}>cmVhbG09</challenge>`, 5222, 42), Service.XMPP, 'the namespace cut after urn:ietf:params:xml:ns:x');
  assert.equal(svc(`<failure ${sasl}><not-authorized/></failure>`, 5222, 30), Service.XMPP, 'tcpdump -s 96 with TCP timestamps: "<failure xmlns=\'urn:ietf:param"');
  assert.equal(svc(`<failure ${sasl}><not-authorized/></failure>`, 5222, 20), Service.OTHER, 'too little kept to see "urn:ietf:"');
  assert.equal(svc("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 5222), Service.OTHER, 'STARTTLS\'s failure');
  assert.equal(svc("<failure xmlns='urn:example:billing'><code>481</code></failure>", 5222), Service.OTHER, 'another document\'s <failure>');
  assert.equal(svc('<?xml version="1.0"?><stream:stream xmlns="jabber:client">', 5222), Service.OTHER, 'a stream header: any XML document starts so');
  assert.equal(svc('481 Authentication failed\r\n', 119), Service.NNTP);
  assert.equal(svc('381 Enter password\r\n', 433), Service.NNTP);
  assert.equal(svc('481 Authentication failed\r\n', 8119), Service.OTHER, 'a code on a port of no line protocol');
});

test('midstreamService: an SSH server\'s KEXINIT in the clear (message 20, then algorithm names) on any port; another packet, or names that are no names, not', () => {
  const kexinit = (msg: number, names: string) => {
    const h = new Uint8Array(72);
    const body = Buffer.concat([Buffer.from([msg]), Buffer.alloc(16, 0xa5), Buffer.from([0, 0, (names.length >> 8) & 255, names.length & 255]), Buffer.from(names, 'latin1')]);
    const plen = 1 + body.length + 8; // padding length byte, the body, 8 bytes of padding
    const pkt = Buffer.concat([Buffer.from([0, 0, plen >> 8, plen & 255, 8]), body, Buffer.alloc(8)]);
    h.set(pkt.subarray(0, 72));
    return midstreamService(h, 0, pkt.length, Math.min(72, pkt.length), 40022);
  };
  assert.equal(kexinit(20, 'sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,ext-info-s'), Service.SSH);
  assert.equal(kexinit(20, 'curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group14-sha256'), Service.SSH);
  assert.equal(kexinit(31, 'sntrup761x25519-sha512,curve25519-sha256,ext-info-s'), Service.OTHER, 'a KEX reply is no start');
  assert.equal(kexinit(20, 'Q\u0001\u00ff\u0010binary data, not names'), Service.OTHER);
});

/** An FTP control connection opened before the capture: `n` PASS guesses answered 530 two seconds apart (`resend`: each 530 sent twice). */
function ftpGuesses(n: number, port = 21, resend = false): Pkt[] {
  const pkts: Pkt[] = [];
  let cs = 1000, ss = 5000;
  for (let k = 0; k < n; k++) {
    const t = 100 + k * 2;
    pkts.push({ ts: t, src: CLIENT, dst: SERVER, sp: 50000, dp: port, flags: ACK | PSH, seq: cs, ack: ss, payload: 12, head: 'PASS secret\r\n' });
    cs += 12;
    const r: Pkt = { ts: t + 1, src: SERVER, dst: CLIENT, sp: port, dp: 50000, flags: ACK | PSH, seq: ss, ack: cs, payload: 22, head: '530 Login incorrect.\r\n' };
    pkts.push(r);
    if (resend) pkts.push({ ...r, ts: t + 1.3 }); // its retransmission: the same bytes
    ss += 22;
    pkts.push({ ts: t + 1.01, src: CLIENT, dst: SERVER, sp: 50000, dp: port, flags: ACK, seq: cs, ack: ss });
  }
  return pkts;
}

test('an FTP guesser on a control connection opened before the capture began: its 530s are read from the first acknowledged one', () => {
  flagged(runSharded(DEFAULT_RULES, [ftpGuesses(8)]).out, CLIENT, SERVER, 'brute-force', 'ftp');
});

test('mid-stream bytes are read once: 4 failed logins each sent twice are 4, under the 5 that ban', () => {
  const alerts = runSharded(DEFAULT_RULES, [ftpGuesses(4, 21, true)]).out;
  assert.deepEqual(alerts.filter((a) => a.source === CLIENT).map(describe), []);
  const more = runSharded(DEFAULT_RULES, [ftpGuesses(5, 21, true)]).out;
  assert.ok(more.some((a) => a.type === 'brute-force' && a.source === CLIENT), 'the 5th bans');
});

/** An XMPP stream opened before the capture: `n` PLAIN guesses (<auth/> with its initial response) refused at once, one a second, the response's length changing with the password (base64: steps of 4). */
function xmppGuesses(n: number): Pkt[] {
  const pkts: Pkt[] = [];
  let cs = 1000, ss = 5000;
  const failure = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>";
  for (let k = 0; k < n; k++) {
    const t = 100 + k;
    const auth = 80 + 4 * (k % 5);
    pkts.push({ ts: t, src: CLIENT, dst: SERVER, sp: 50000, dp: 5222, flags: ACK | PSH, seq: cs, ack: ss, payload: auth, head: "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" });
    cs += auth;
    pkts.push({ ts: t + 0.01, src: SERVER, dst: CLIENT, sp: 5222, dp: 50000, flags: ACK | PSH, seq: ss, ack: cs, payload: failure.length, head: failure });
    ss += failure.length;
    pkts.push({ ts: t + 0.02, src: CLIENT, dst: SERVER, sp: 50000, dp: 5222, flags: ACK, seq: cs, ack: ss });
  }
  return pkts;
}

test('an XMPP guesser on a stream opened before the capture: its refusals are read from the first acknowledged one, that one not counted (its request unseen)', () => {
  flagged(runSharded(DEFAULT_RULES, [xmppGuesses(12)]).out, CLIENT, SERVER, 'brute-force', 'xmpp');
  // the first refusal read answers a request not seen: two more make two failures, under any threshold
  assert.deepEqual(runSharded(DEFAULT_RULES, [xmppGuesses(3)]).out.filter((a) => a.source === CLIENT).map(describe), []);
});

test('a client with a stale XMPP password reconnecting at once, each stream picked up mid-stream (its SYN-ACK lost): each stream\'s one refusal answers a request not seen, not counted', () => {
  // 40 streams in 10 s, one PLAIN <auth/> of one length each, refused; seen whole, counted once by length
  const pkts = Array.from({ length: 40 }, (_, k) => xmppGuesses(1).map((p) => ({ ...p, ts: p.ts + k * 0.25, ...(p.src === CLIENT ? { sp: 40000 + k } : { dp: 40000 + k }) }))).flat();
  assert.deepEqual(runSharded(DEFAULT_RULES, [pkts]).out.filter((a) => a.source === CLIENT).map(describe), []);
});

test('XMPP refusals forged in the server\'s name toward a client are never read: the client acknowledges none of them', () => {
  const forged = xmppGuesses(12).filter((p) => p.src === SERVER).map((p, k) => ({ ...p, seq: 70_000 + k * 80, ack: 1000 }));
  const pkts = forged.flatMap((p): Pkt[] => [p, { ts: p.ts + 0.01, src: CLIENT, dst: SERVER, sp: 50000, dp: 5222, flags: RST, seq: 1000 }]);
  assert.deepEqual(runSharded(DEFAULT_RULES, [pkts]).out.filter((a) => a.source === CLIENT).map(describe), []);
});

test('530s on a port of no line protocol are not read mid-stream', () => {
  const alerts = runSharded(DEFAULT_RULES, [ftpGuesses(8, 8021)]).out;
  assert.deepEqual(alerts.filter((a) => a.source === CLIENT).map(describe), []);
});

test('530s forged in the server\'s name toward a client are never read: the client acknowledges none of them (it resets them, or has a connection of other numbers)', () => {
  for (const answer of ['reset', 'own connection', 'silent'] as const) {
    const pkts: Pkt[] = [];
    for (let k = 0; k < 12; k++) {
      const t = 100 + k;
      const seq = 7000 + k * 22;
      pkts.push({ ts: t, src: SERVER, dst: CLIENT, sp: 21, dp: 50000, flags: ACK | PSH, seq, ack: 1000, payload: 22, head: '530 Login incorrect.\r\n' });
      // a real client answers a segment of no connection with a RST of its ack (RFC 9293 §3.10.7.1);
      // one with a connection on those ports acknowledges its own numbers, not the forger's
      if (answer === 'reset') pkts.push({ ts: t + 0.01, src: CLIENT, dst: SERVER, sp: 50000, dp: 21, flags: RST, seq: 1000 });
      if (answer === 'own connection') pkts.push({ ts: t + 0.01, src: CLIENT, dst: SERVER, sp: 50000, dp: 21, flags: ACK, seq: 1000, ack: 90_000 });
    }
    const alerts = runSharded(DEFAULT_RULES, [pkts]).out;
    assert.deepEqual(alerts.filter((a) => a.source === CLIENT).map(describe), [], answer);
  }
});

const CLASSES = new URL('./fixtures/captures/classes/', import.meta.url).pathname;
const LABELS = new Map(readFileSync(join(CLASSES, 'labels.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => {
  const c = l.split('\t');
  return [c[0]!, { attackers: c[2] === '-' ? [] : c[2]!.split(','), victims: c[3] === '-' ? [] : c[3]!.split(',') }] as const;
}));

/** The rules' blockable alerts on a class file, rewritten by `rewrite` (into a temporary file) when given. */
function blockable(file: string, rewrite?: (f: ReturnType<typeof readFrames>) => ReturnType<typeof readFrames>): Alert[] {
  let path = join(CLASSES, file);
  const dir = rewrite ? mkdtempSync(join(tmpdir(), 'midstream-')) : '';
  try {
    if (rewrite) {
      const frames = readFrames(path);
      path = join(dir, file);
      writePcap(path, rewrite(frames));
    }
    return runShardedCapture(DEFAULT_RULES, path).out.filter((a) => a.blockable);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

// the crafted captures that begin after the guessers' connections opened (craft_classes.py
// midstream), and class files whose first quarter is cut or whose SYN-ACKs are all lost: each
// missed before session 16 (c18951d)
const quarter = (frames: ReturnType<typeof readFrames>) => lateStart(frames, (frames.at(-1)!.ts - frames[0]!.ts) / 4);
const tenth = (frames: ReturnType<typeof readFrames>) => lateStart(frames, (frames.at(-1)!.ts - frames[0]!.ts) / 10);
for (const [file, service, rewrite, how] of [
  ['classes_brute_imap_midstream.pcap', 'imap', undefined, ''],
  ['classes_brute_smtp_auth_midstream.pcap', 'smtp', undefined, ''],
  ['classes_brute_http_keepalive.pcap', 'http', quarter, ', its first quarter cut'],
  ['classes_brute_redis_hydra.pcap', 'redis', quarter, ', its first quarter cut'],
  ['classes_brute_smb2_netexec.pcap', 'smb', quarter, ', its first quarter cut'],
  ['classes_brute_ldap_rebind.pcap', 'ldap', quarter, ', its first quarter cut'],
  // session 17 (each missed on 0253761)
  ['classes_brute_xmpp_hydra.pcap', 'xmpp', quarter, ', its first quarter cut'],
  ['classes_brute_xmpp_one_at_a_time.pcap', 'xmpp', quarter, ', its first quarter cut'],
  ['classes_brute_nntp_hydra.pcap', 'nntp', quarter, ', its first quarter cut'],
  ['classes_brute_ftp_ncrack.pcap', 'ftp', withoutSynAcks, ', every SYN-ACK lost'],
  ['classes_brute_smb1_hydra.pcap', 'smb', withoutSynAcks, ', every SYN-ACK lost'],
] as const) {
  test(`${file}${how}: the guesser is flagged (brute-force, ${service}), nobody else`, () => {
    const { attackers: [attacker], victims: [victim] } = LABELS.get(file)!;
    flagged(blockable(file, rewrite), attacker!, victim!, 'brute-force', service, true);
  });
}

// look-alikes: mail clients picked up mid-stream; memcached's stale-password pool (a refusal a
// connection, each its connection's first answer read when the SYN-ACKs are lost: not counted)
for (const [file, rewrite, how] of [
  ['classes_benign_mail_midstream.pcap', undefined, ''],
  ['classes_benign_memcached.pcap', withoutSynAcks, ', every SYN-ACK lost'],
  ['classes_benign_redis.pcap', quarter, ', its first quarter cut'],
  ['classes_benign_http_auth.pcap', quarter, ', its first quarter cut'],
  ['classes_benign_xmpp.pcap', quarter, ', its first quarter cut'],
  ['classes_benign_xmpp.pcap', withoutSynAcks, ', every SYN-ACK lost'],
  ['classes_benign_nntp.pcap', quarter, ', its first quarter cut'],
  ['classes_benign_nntp.pcap', withoutSynAcks, ', every SYN-ACK lost'],
] as const) {
  test(`${file}${how}: nothing blockable`, () => {
    assert.deepEqual(blockable(file, rewrite).map(describe), []);
  });
}

test('classes_scan_udp_source_port_53.pcap, its first quarter cut (nmap -sU -g 53 seen from its probes of ports above 1023 on): the scanner is flagged, nobody else (missed on 0253761)', () => {
  const file = 'classes_scan_udp_source_port_53.pcap';
  const { attackers: [attacker], victims: [victim] } = LABELS.get(file)!;
  flagged(blockable(file, quarter), attacker!, victim!, 'port-scan-vertical', undefined, true);
});

// hydra's SSH tasks whose handshakes the capture missed (a tenth cut: it begins between their
// SYNs and their banners): read from the server's KEXINIT on; missed on 0253761. With a
// quarter cut, 12 packets of 121 are left, the four tasks' one failure each (52 bytes, 4.45 s
// in) and the client's next request: no key exchange, no size known, and each failure before
// the client's acknowledgment that would verify its connection: nothing to read.
for (const file of ['classes_brute_ssh_port_40022.pcap', 'classes_brute_ipv6_ssh.pcap']) {
  test(`${file}, its first tenth cut: the guesser is flagged (ssh-brute-force), nobody else`, () => {
    const { attackers: [attacker], victims: [victim] } = LABELS.get(file)!;
    flagged(blockable(file, tenth), attacker!, victim!, 'ssh-brute-force', 'ssh', true);
  });
}

for (const [rewrite, how] of [[tenth, 'a tenth'], [quarter, 'a quarter']] as const) {
  test(`classes_benign_ipv6_ssh_admin_typo.pcap, its first ${how} cut: nothing blockable`, () => {
    assert.deepEqual(blockable('classes_benign_ipv6_ssh_admin_typo.pcap', rewrite).map(describe), []);
  });
}

// a real recording (record_xmpp.sh: prosody, 40 passwords on one stream, tcpdump -s 96: 30
// bytes of each refusal kept, "<failure xmlns='urn:ietf:param"), its first tenth cut: the
// stream picked up at its first acknowledged refusal; missed on 0253761
test('recorded_brute_xmpp-list-one-stream.pcap, its first tenth cut: the guesser is flagged (brute-force, xmpp), nobody else', () => {
  const frames = readFrames(join(CLASSES, '..', 'recorded_brute_xmpp-list-one-stream.pcap'));
  const dir = mkdtempSync(join(tmpdir(), 'midstream-'));
  try {
    const path = join(dir, 'cut.pcap');
    writePcap(path, tenth(frames));
    const alerts = runShardedCapture(DEFAULT_RULES, path).out.filter((a) => a.blockable);
    assert.deepEqual(alerts.map((a) => `${a.type} ${a.source} ${a.evidence.service}`), ['brute-force 198.18.0.2 xmpp']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('httpFieldLine: a client\'s header field line on HTTP\'s ports (Zeek\'s), not elsewhere, and not a request line or a form body', () => {
  const line = (text: string, port: number) => {
    const h = new Uint8Array(72);
    const b = Buffer.from(text);
    h.set(b.subarray(0, 72));
    return httpFieldLine(h, 0, Math.min(72, b.length), port);
  };
  assert.ok(line('X-a: 4711\r\n', 80));
  assert.ok(line('Accept-Language: en\r\n', 8080));
  assert.equal(line('X-a: 4711\r\n', 9000), false, 'a port of no HTTP: any text may start so');
  assert.equal(line('GET / HTTP/1.1\r\n', 80), false);
  assert.equal(line('user=admin&password=x', 80), false);
  assert.equal(line('no colon in this line at all\r\n', 80), false);
});

// slowloris's 150 connections were all opened before the capture began (its first quarter
// cut): picked up at their header lines, their trickles read as on connections seen whole;
// missed on 0253761. The benign stalled readers and long polls cut so: nothing.
test('classes_flood_http_slowloris.pcap, its first quarter cut: the client is flagged (slow-http), nobody else', () => {
  const { attackers: [attacker], victims: [victim] } = LABELS.get('classes_flood_http_slowloris.pcap')!;
  flagged(blockable('classes_flood_http_slowloris.pcap', quarter), attacker!, victim!, 'slow-http', undefined, true);
});
for (const file of ['classes_benign_web_stalled_readers.pcap', 'classes_benign_web_websocket_longpoll.pcap', 'classes_benign_web_api_client.pcap']) {
  test(`${file}, its first quarter cut: nothing blockable`, () => {
    assert.deepEqual(blockable(file, quarter).map(describe), []);
  });
}
