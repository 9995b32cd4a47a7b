// The reply parsers of service-replies.ts over the bytes a capture keeps (PAYLOAD_HEAD_BYTES a segment):
// MySQL/MariaDB, HTTP, VNC, SMB, PostgreSQL and Redis greetings and answers, and near-misses
// that must not parse.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { PAYLOAD_HEAD_BYTES } from '../src/net/packet-batch.ts';
import { MYSQL_ACCESS_DENIED, NtStatus, PgAuth, Reply, Service, greetingService, isAmiError, isPgError, isPreamble, loginReply, mysqlReply, pgAuthRequest, rdpConfirm, RdpProtocol, redisReply, respFrame, smbReply, vncSecurityResult, sipReply, mqttConnack, ldapBindResult, LDAP_CODE_UNSEEN, LDAP_NOT_BIND, memcachedResponse, xmppSaslReply } from '../src/detect/rules/service-replies.ts';
import { httpStatus, sipStatus } from '../src/detect/rules/http-status.ts';
import { LoginEvent, LoginSessions } from '../src/detect/rules/login-sessions.ts';
import { ACK, PSH, batchOf, type Pkt } from '../devkit/packets.ts';

const H = PAYLOAD_HEAD_BYTES;

/** A segment as the batch holds it: its first 16 bytes at an offset inside a larger buffer (what a batch row is), and its whole length. */
function seg(bytes: number[] | string, len?: number): { h: Uint8Array; o: number; len: number } {
  const b = typeof bytes === 'string' ? [...Buffer.from(bytes, 'latin1')] : bytes;
  const h = new Uint8Array(3 * H).fill(0xee); // rows before and after hold other bytes
  h.set(b.slice(0, H), H);
  return { h, o: H, len: len ?? b.length };
}

/** A MySQL packet: 3-byte little-endian payload length, sequence id, payload. */
const mysqlPacket = (seq: number, payload: number[]) => [payload.length & 255, (payload.length >> 8) & 255, payload.length >> 16, seq, ...payload];
/** MySQL 8.0's Initial Handshake (its first bytes; 78 of payload in all). */
const mysqlGreeting = (version = '8.0.36', plen = 78) => {
  const v = [...Buffer.from(version, 'latin1')];
  return { bytes: [plen & 255, plen >> 8, 0, 0, 10, ...v, 0, 8, 0, 0, 0], len: plen + 4 };
};
const err = (seq: number, code: number, text = '#28000Access denied for user') => mysqlPacket(seq, [0xff, code & 255, code >> 8, ...Buffer.from(text, 'latin1')]);

const greet = (bytes: number[] | string, len?: number) => {
  const s = seg(bytes, len);
  return greetingService(s.h, s.o, s.len, H);
};
const reply = (service: number, bytes: number[] | string, len?: number) => {
  const s = seg(bytes, len);
  return loginReply(service, s.h, s.o, s.len, H);
};

describe('MySQL/MariaDB', () => {
  test('the Initial Handshake names MySQL and MariaDB, by its header and protocol version 10', () => {
    const g = mysqlGreeting();
    assert.equal(greet(g.bytes, g.len), Service.MYSQL);
    const m = mysqlGreeting('5.5.5-10.11.6-MariaDB-0+deb12u1', 104);
    assert.equal(greet(m.bytes, m.len), Service.MYSQL);
  });

  test('near-misses are no MySQL greeting: a length that does not fill the segment, sequence 1, protocol 9, a first error packet, a tiny packet', () => {
    const g = mysqlGreeting();
    assert.equal(greet(g.bytes, g.len + 10), Service.OTHER, 'more bytes than the packet holds');
    assert.equal(greet(g.bytes, g.len - 1), Service.OTHER, 'fewer');
    assert.equal(greet([...g.bytes.slice(0, 3), 1, ...g.bytes.slice(4)], g.len), Service.OTHER, 'sequence 1');
    assert.equal(greet([...g.bytes.slice(0, 4), 9, ...g.bytes.slice(5)], g.len), Service.OTHER, 'protocol 9');
    // a server refusing the host at once sends an ERR packet instead of its greeting (1130)
    const refused = err(0, 1130, "Host '10.0.0.9' is not allowed");
    assert.equal(greet(refused, refused.length), Service.OTHER);
    const tiny = mysqlPacket(0, [10, 0x38, 0]);
    assert.equal(greet(tiny, tiny.length), Service.OTHER, 'a packet too short for a handshake');
  });

  test('ERR 1045 is a failure; other errors, an AuthSwitchRequest and AuthMoreData alone are neither; OK is a success', () => {
    assert.equal(MYSQL_ACCESS_DENIED, 0x0415);
    const denied = err(2, 1045);
    assert.deepEqual(denied.slice(4, 7), [0xff, 0x15, 0x04]);
    assert.equal(reply(Service.MYSQL, denied, denied.length), Reply.FAILURE);
    assert.equal(reply(Service.MYSQL, err(4, 1045), 80), Reply.FAILURE, 'after an auth switch (sequence 4)');
    assert.equal(reply(Service.MYSQL, err(2, 1040, '#08004Too many connections'), 32), Reply.NONE, 'too many connections');
    assert.equal(reply(Service.MYSQL, err(2, 1129, '#HY000Host is blocked'), 40), Reply.NONE, 'host blocked');
    assert.equal(reply(Service.MYSQL, err(2, 0x0504), 40), Reply.NONE, 'the code\'s bytes the other way round (1284)');
    const authSwitch = mysqlPacket(2, [0xfe, ...Buffer.from('mysql_native_password\0', 'latin1'), ...new Array(21).fill(0x41)]);
    assert.equal(reply(Service.MYSQL, authSwitch, authSwitch.length), Reply.NONE);
    const ok = mysqlPacket(2, [0, 0, 0, 2, 0, 0, 0]);
    assert.equal(reply(Service.MYSQL, ok, ok.length), Reply.SUCCESS);
    assert.equal(reply(Service.MYSQL, mysqlPacket(2, [0, 0, 0]), 7), Reply.NONE, 'a 0x00 packet too short for an OK');
    // caching_sha2_password: perform_full_authentication (0x01 0x04) alone: the answer comes later
    const full = mysqlPacket(2, [1, 4]);
    assert.equal(reply(Service.MYSQL, full, full.length), Reply.NONE);
    // fast_auth_success (0x01 0x03) then OK in the same segment: the OK is read
    const fast = [...mysqlPacket(2, [1, 3]), ...mysqlPacket(3, [0, 0, 0, 2, 0, 0, 0])];
    assert.equal(reply(Service.MYSQL, fast, fast.length), Reply.SUCCESS);
    // ... and a 1045 after a full authentication's AuthMoreData in the same segment
    const fullThenDenied = [...mysqlPacket(4, [1, 4]), ...err(5, 1045)];
    assert.equal(reply(Service.MYSQL, fullThenDenied, fullThenDenied.length), Reply.FAILURE);
  });

  test('a segment that does not start at a packet boundary is not read: a length beyond the segment, sequence 0', () => {
    const denied = err(2, 1045);
    assert.equal(reply(Service.MYSQL, denied, 10), Reply.NONE, 'the packet says it is longer than the segment');
    assert.equal(reply(Service.MYSQL, err(0, 1045), 60), Reply.NONE, 'sequence 0 begins an exchange, it answers none');
    const s = seg(denied, denied.length);
    assert.equal(mysqlReply(s.h, s.o, s.len, 6), Reply.NONE, 'the code lies past the bytes kept');
  });
});

describe('HTTP', () => {
  test('a status line names HTTP and gives its code; 401 and 407 are DENIED, never a failure; 200 and 403 are nothing', () => {
    assert.equal(greet('HTTP/1.0 401 Unauthorized\r\n'), Service.HTTP);
    assert.equal(greet('HTTP/1.1 200 OK\r\n'), Service.HTTP);
    const s = seg('HTTP/1.1 401 Unauthorized\r\n');
    assert.equal(httpStatus(s.h, s.o, H), 401);
    assert.equal(reply(Service.HTTP, 'HTTP/1.1 401 Unauthorized\r\n'), Reply.DENIED);
    assert.equal(reply(Service.HTTP, 'HTTP/1.1 407 Proxy Authentication Required\r\n'), Reply.DENIED);
    assert.equal(reply(Service.HTTP, 'HTTP/1.1 401\r\n\r\n'), Reply.DENIED, 'an empty reason phrase');
    for (const line of ['HTTP/1.1 200 OK\r\n', 'HTTP/1.1 403 Forbidden\r\n', 'HTTP/1.1 404 Not Found\r\n', 'HTTP/1.1 302 Found\r\n']) assert.equal(reply(Service.HTTP, line), Reply.NONE, line);
  });

  test('near-misses are no status line: HTTP/2\'s preface, lower case, a code of two or four digits, a body that mentions 401, a request', () => {
    for (const text of ['HTTP/2 401 \r\n', 'http/1.1 401 Unauthorized', 'HTTP/1.1 40 Unauthorized', 'HTTP/1.1 4011 Unauthorized', 'HTTP/1.1 401-Unauthorized', '<h1>401 Unauthorized</h1>', 'GET / HTTP/1.1\r\n', 'HTTP/1.1 401']) {
      const s = seg(text, 200);
      assert.equal(httpStatus(s.h, s.o, Math.min(text.length, H)), 0, text);
      assert.equal(reply(Service.HTTP, text, 200), Reply.NONE, text);
    }
    assert.equal(greet('HTTP/1.1 9xx Odd\r\n'), Service.OTHER);
  });
});

describe('VNC', () => {
  test('"RFB 003.00x\\n" names VNC; its SecurityResult: 1 failed (3.3/3.7, and 3.8 with its reason), 0 OK', () => {
    assert.equal(greet('RFB 003.008\n'), Service.VNC);
    assert.equal(greet('RFB 003.003\n'), Service.VNC);
    assert.equal(greet('RFB 004.001\n'), Service.OTHER, 'no such version');
    assert.equal(greet('RFB003.008\n'), Service.OTHER);
    const r = (bytes: number[], len = bytes.length) => {
      const s = seg(bytes, len);
      return vncSecurityResult(s.h, s.o, s.len, H);
    };
    assert.equal(r([0, 0, 0, 1]), Reply.FAILURE);
    assert.equal(r([0, 0, 0, 0]), Reply.SUCCESS);
    const reason = [...Buffer.from('Authentication failed', 'latin1')];
    assert.equal(r([0, 0, 0, 1, 0, 0, 0, reason.length, ...reason]), Reply.FAILURE, 'RFB 3.8: with its reason');
    assert.equal(r([0, 0, 0, 1, 0, 0, 0, 40, ...reason], 8 + reason.length), Reply.NONE, 'a reason length that does not fit');
    assert.equal(r([0, 0, 0, 2]), Reply.NONE, 'no such result');
    assert.equal(r([0, 0, 0, 0, 0, 0, 0, 4]), Reply.NONE, 'an OK is four bytes alone');
    assert.equal(r([1, 0, 0, 1]), Reply.NONE);
  });
});

/** An SMB2 reply's first 16 bytes: the session header (length `mlen`), 0xFE "SMB", StructureSize 64, CreditCharge 1, the status (little-endian). */
const smb2 = (status: number, mlen = 72) => [0, (mlen >> 16) & 255, (mlen >> 8) & 255, mlen & 255, 0xfe, 0x53, 0x4d, 0x42, 64, 0, 1, 0,
  status & 255, (status >>> 8) & 255, (status >>> 16) & 255, status >>> 24];
/** An SMB1 reply's first 16 bytes: the session header, 0xFF "SMB", the command, the status (4 bytes), flags, flags2. */
const smb1 = (command: number, status: number[], flags2: number, mlen = 35) => [0, 0, mlen >> 8, mlen & 255, 0xff, 0x53, 0x4d, 0x42, command, ...status, 0x88, flags2 & 255, flags2 >> 8];
const le32 = (x: number) => [x & 255, (x >>> 8) & 255, (x >>> 16) & 255, x >>> 24];

describe('SMB', () => {
  test('an SMB2 or SMB1 header behind the session header names SMB (the NEGOTIATE answer)', () => {
    assert.equal(greet(smb2(NtStatus.SUCCESS, 248), 252), Service.SMB);
    assert.equal(greet(smb1(0x72, le32(0), 0xc801, 81), 85), Service.SMB);
  });

  test('near-misses name no SMB: a session request (0x81), SMB2 with another StructureSize, a header longer than the segment, "SMB" in text, the transform header 0xFD', () => {
    assert.equal(greet([0x81, ...smb2(0).slice(1)], 76), Service.OTHER);
    assert.equal(greet([...smb2(0).slice(0, 8), 65, 0, ...smb2(0).slice(10)], 76), Service.OTHER);
    assert.equal(greet(smb2(0), 40), Service.OTHER, 'a segment shorter than an SMB2 header');
    assert.equal(greet([0, 0, 0, 40, 0xfd, 0x53, 0x4d, 0x42, 64, 0, 1, 0, 0, 0, 0, 0], 100), Service.OTHER);
    assert.equal(greet('xSMB protocol'), Service.OTHER);
  });

  test('SESSION_SETUP\'s authentication errors are failed logins: LOGON_FAILURE, WRONG_PASSWORD, NO_SUCH_USER, ACCOUNT_LOCKED_OUT', () => {
    const r = (bytes: number[], len = 72 + 4) => { const s = seg(bytes, len); return smbReply(s.h, s.o, s.len, H); };
    for (const st of [NtStatus.LOGON_FAILURE, NtStatus.WRONG_PASSWORD, NtStatus.NO_SUCH_USER, NtStatus.ACCOUNT_LOCKED_OUT]) assert.equal(r(smb2(st)), Reply.FAILURE, st.toString(16));
    assert.equal(reply(Service.SMB, smb2(NtStatus.LOGON_FAILURE), 76), Reply.FAILURE, 'through loginReply');
  });

  test('not a guess: the NTLM challenge, SUCCESS (maybe a guest session), a right password on an account that may not log in, ACCESS_DENIED, a read\'s data', () => {
    const r = (bytes: number[], len = 76) => { const s = seg(bytes, len); return smbReply(s.h, s.o, s.len, H); };
    for (const st of [NtStatus.MORE_PROCESSING_REQUIRED, NtStatus.SUCCESS, NtStatus.PASSWORD_EXPIRED, NtStatus.ACCOUNT_DISABLED, NtStatus.ACCOUNT_EXPIRED, NtStatus.PASSWORD_MUST_CHANGE, NtStatus.ACCESS_DENIED]) {
      assert.equal(r(smb2(st)), Reply.NONE, st.toString(16));
    }
    // a READ answer's later segment: file data that happens to hold LOGON_FAILURE's bytes, but no SMB header
    assert.equal(r([0x41, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...le32(NtStatus.LOGON_FAILURE)], 1448), Reply.NONE);
    // the status bytes one place off (an SMB1 reading of an SMB2 header)
    assert.equal(r([...smb2(0).slice(0, 9), ...le32(NtStatus.LOGON_FAILURE), 0, 0, 0]), Reply.NONE);
  });

  test('SMB1: SESSION_SETUP_ANDX (0x73) answered LOGON_FAILURE (NT status) or ERRSRV/ERRbadpw (a DOS error) fails; other commands and DOS errors do not', () => {
    const r = (bytes: number[], len = 39) => { const s = seg(bytes, len); return smbReply(s.h, s.o, s.len, H); };
    assert.equal(r(smb1(0x73, le32(NtStatus.LOGON_FAILURE), 0xc801)), Reply.FAILURE);
    assert.equal(r(smb1(0x73, [2, 0, 2, 0], 0x8001)), Reply.FAILURE, 'DOS error ERRSRV/ERRbadpw');
    assert.equal(r(smb1(0x73, [2, 0, 2, 0], 0xc801)), Reply.NONE, 'the same bytes as an NT status');
    assert.equal(r(smb1(0x75, le32(NtStatus.LOGON_FAILURE), 0xc801)), Reply.NONE, 'TREE_CONNECT_ANDX');
    assert.equal(r(smb1(0x73, le32(NtStatus.MORE_PROCESSING_REQUIRED), 0xc801)), Reply.NONE);
    assert.equal(r(smb1(0x73, [1, 0, 5, 0], 0x8001)), Reply.NONE, 'ERRDOS/ERRnoaccess');
  });

  test("a message's later segments are passed over by its length: a READ of a file whose bytes look like LOGON_FAILURE answers at every segment counts nothing for its reader; a real failure after it still counts", () => {
    const sessions = new LoginSessions(4, 1);
    sessions.open(0);
    const srv = (ts: number, head: number[], payload: number): Pkt => ({ ts, src: '10.0.0.22', dst: '10.0.0.1', sp: 445, dp: 50000, flags: ACK | PSH, payload, head, verified: true });
    const fake = smb2(NtStatus.LOGON_FAILURE, 73);
    const pkts = [
      srv(1, smb2(NtStatus.SUCCESS, 248), 252), // NEGOTIATE's answer
      srv(1.1, smb2(NtStatus.SUCCESS, 80 + 65536), 1448), // a READ's answer: 64 kB of the file follow
      ...Array.from({ length: 45 }, (_, k) => srv(1.2 + k * 0.001, fake, 1448)),
      srv(2, fake, 77), // a SESSION_SETUP answered LOGON_FAILURE
    ];
    const b = batchOf(pkts);
    const events = pkts.map((_, i) => sessions.segment(0, b, i));
    assert.equal(events.filter((e) => e === LoginEvent.FAILURE).length, 1);
    assert.equal(events.at(-1), LoginEvent.FAILURE);
  });
});

/** A PostgreSQL Authentication request: 'R', int32 length, int32 type, then `data`. */
const pgR = (type: number, data: number[] = []) => [0x52, 0, 0, 0, 8 + data.length, 0, 0, 0, type, ...data];
const pgE = (fields: string) => { const f = [...Buffer.from(fields, 'latin1'), 0]; const n = f.length + 4; return [0x45, 0, 0, n >> 8, n & 255, ...f]; };

describe('PostgreSQL', () => {
  test('an Authentication request names PostgreSQL: cleartext, MD5 (with its salt), SASL (with its mechanisms), trust\'s AuthenticationOk', () => {
    assert.equal(greet(pgR(PgAuth.CLEARTEXT)), Service.POSTGRES);
    assert.equal(greet(pgR(PgAuth.MD5, [1, 2, 3, 4])), Service.POSTGRES);
    const sasl = pgR(PgAuth.SASL, [...Buffer.from('SCRAM-SHA-256\0\0', 'latin1')]);
    assert.equal(greet(sasl, sasl.length), Service.POSTGRES);
    // trust: AuthenticationOk, then ParameterStatus messages in the same segment
    assert.equal(greet(pgR(PgAuth.OK), 380), Service.POSTGRES);
  });

  test('near-misses name no PostgreSQL and no request: a length that does not fit its type, a type out of the table, a message past the segment, an "R" in text', () => {
    const t = (bytes: number[], len = bytes.length) => { const s = seg(bytes, len); return pgAuthRequest(s.h, s.o, s.len, Math.min(s.len, H)); };
    assert.equal(t(pgR(PgAuth.MD5)), -1, 'MD5 without its salt');
    assert.equal(t(pgR(PgAuth.CLEARTEXT, [0])), -1, 'cleartext with data');
    assert.equal(t(pgR(4)), -1, 'type 4 (crypt, gone since 8.4)');
    assert.equal(t(pgR(PgAuth.SASL)), -1, 'SASL without mechanisms');
    assert.equal(t([0x52, 0, 0, 1, 0, 0, 0, 0, 10, 0x53, 0x43, 0x52, 0x41, 0x4d, 0x2d, 0x53], 40), -1, 'longer than the segment');
    assert.equal(greet('Redis is up and'), Service.OTHER);
    assert.equal(greet('RFB 003.008\n'), Service.VNC, 'VNC keeps its own');
  });

  test('an ErrorResponse starts with "E", its length, its severity field "S"; a notice, a short one and a length past the segment are not', () => {
    const e = (bytes: number[], len = bytes.length) => { const s = seg(bytes, len); return isPgError(s.h, s.o, s.len, Math.min(s.len, H)); };
    const fatal = pgE('SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "postgres"\0');
    assert.ok(e(fatal));
    assert.ok(!e([0x4e, ...fatal.slice(1)]), 'a NoticeResponse');
    assert.ok(!e(fatal, 20), 'a length past the segment');
    assert.ok(!e([0x45, 0, 0, 0, 5, 0x53]), 'too short to hold a field');
    assert.ok(!e([0x45, 0, 0, 0, 40, 0x43, ...fatal.slice(6)], 41), 'the first field is not the severity');
  });

  test('the one-byte "N" refusing SSL and NetBIOS\'s session response come before the greeting; "S" (TLS follows) and other single bytes do not', () => {
    const p = (bytes: number[]) => { const s = seg(bytes); return isPreamble(s.h, s.o, s.len); };
    assert.ok(p([0x4e]));
    assert.ok(p([0x82, 0, 0, 0]));
    assert.ok(!p([0x53]));
    assert.ok(!p([0x4e, 0x4f]));
    assert.ok(!p([0x83, 0, 0, 1]), 'a negative session response');
  });
});

describe('Redis', () => {
  test('-WRONGPASS (6.0+), -ERR invalid password (before 6.0) and -NOAUTH name Redis; the first two are failed logins', () => {
    assert.equal(greet('-WRONGPASS invalid username-password pair or user is disabled.\r\n'.slice(0, 16), 66), Service.REDIS);
    assert.equal(greet('-ERR invalid password\r\n'.slice(0, 16), 23), Service.REDIS);
    assert.equal(greet('-NOAUTH Authentication required.\r\n'.slice(0, 16), 34), Service.REDIS);
    const r = (text: string, len: number) => { const s = seg(text.slice(0, 16), len); return redisReply(s.h, s.o, s.len, H); };
    assert.equal(r('-WRONGPASS invalid username-password pair', 66), Reply.FAILURE);
    assert.equal(r('-ERR invalid password\r\n', 23), Reply.FAILURE);
    assert.equal(reply(Service.REDIS, '-WRONGPASS invalid', 66), Reply.FAILURE, 'through loginReply');
  });

  test('not a failure: -NOAUTH (a command before AUTH), AUTH with no password set, +OK, other errors, a value', () => {
    const r = (text: string) => { const s = seg(text.slice(0, 16), text.length); return redisReply(s.h, s.o, s.len, H); };
    assert.equal(r('-NOAUTH Authentication required.\r\n'), Reply.NONE);
    assert.equal(r('-ERR AUTH <password> called without any password configured for the default user.\r\n'), Reply.NONE);
    assert.equal(r('-ERR Client sent AUTH, but no password is set\r\n'), Reply.NONE);
    assert.equal(r('+OK\r\n'), Reply.NONE);
    assert.equal(r('-ERR invalid expire time in set\r\n'), Reply.NONE);
    assert.equal(r('$11\r\n-WRONGPASS \r\n'), Reply.NONE, 'a bulk string holding the words');
    assert.equal(greet('+OK\r\n'), Service.POP3, 'a bare +OK names nothing new (POP3 keeps its greeting)');
    assert.equal(greet('-ERR unknown command'), Service.OTHER);
  });
});

describe('Redis replies framed (RESP)', () => {
  const frame = (text: string, len = text.length, at = 0, kept = H) => { const s = seg(text.slice(0, kept), len); return respFrame(s.h, s.o, s.len, Math.min(s.len, kept), at); };
  test('where the next value starts: after lines, bulk strings by their length, nulls, aggregates\' elements', () => {
    assert.equal(frame('+OK\r\n'), 0);
    assert.equal(frame('-WRONGPASS invalid username-password pair or user is disabled.\r\n', undefined, 0, 32), 0, 'a line past the kept bytes ends with its segment');
    assert.equal(frame('-WRONGPASS invalid username-password pair or user is disabled.\r\n'), 0, 'the same line kept whole');
    assert.equal(frame(':1\r\n+OK\r\n$-1\r\n'), 0, 'pipelined, all kept');
    assert.equal(frame('$4000\r\n', 1448), 4008 - 1448 + 1, 'a bulk string\'s bytes go on past the segment');
    assert.equal(frame('$3\r\nfoo\r\n'), 0);
    assert.equal(frame('*2\r\n$1\r\na\r\n:7\r\n'), 0, 'an array\'s elements are values');
    assert.equal(frame('-WRONGPASS inval', 1448, 2561), 2561 - 1448, 'a segment inside a value: nothing read');
    assert.equal(frame('ab\r\n+OK\r\n', 9, 4), 0, 'a value ending inside the segment, then a line');
  });
  test('cannot tell: a value ending past the kept bytes inside the segment, a cut header, no type byte, a line going on into the next segment', () => {
    assert.equal(frame('$24\r\n', 100), -1, 'the 31-byte bulk string ends inside the 100-byte segment, past the kept bytes');
    assert.equal(frame('*2\r\n$3\r\nfoo\r\n$300', 1448), -1, 'the second element\'s header is cut');
    assert.equal(frame('hello world\r\n'), -1);
    assert.equal(frame('$?\r\n;4\r\nHell'), -1, 'a RESP3 streamed string');
    assert.equal(frame('-WRONGPASS'), -1, 'the line\'s end is in the next segment');
  });
  test('a followed session: a GET of a value whose bytes start "-WRONGPASS" at segment boundaries counts nothing; the real answers after it do, a retransmitted one once', () => {
    const sessions = new LoginSessions(4, 1);
    sessions.open(0);
    let seq = 1000;
    const srv = (ts: number, head: string, payload: number, at = seq): Pkt => {
      seq = at + payload;
      return { ts, src: '10.0.0.6', dst: '10.0.0.1', sp: 6379, dp: 50000, flags: ACK | PSH, payload, head, seq: at, verified: true };
    };
    const wrong = '-WRONGPASS invalid username-password pair or user is disabled.\r\n';
    const pkts = [
      srv(1, '-NOAUTH Authentication required.\r\n', 34),
      srv(1.1, wrong, wrong.length), // a typo
      srv(1.2, '+OK\r\n', 5), // the login
      srv(1.3, '$4000\r\n-WRONGPASS ', 1448), // GET of a value: 4000 bytes of "-WRONGPASS ..." lines
      srv(1.31, wrong, 1448),
      srv(1.32, wrong, 4000 + 9 - 2 * 1448),
      srv(2, wrong, wrong.length), // AUTH as another user, wrong
    ];
    const again = pkts.at(-1)!;
    pkts.push({ ...again, ts: 2.2 }); // retransmitted
    const b = batchOf(pkts);
    const events = pkts.map((_, i) => sessions.segment(0, b, i));
    assert.deepEqual(events.map((e) => (e === LoginEvent.FAILURE ? 'F' : '-')).join(''), '-F----F-');
  });
  test('framing lost (an array element past the kept bytes): no -WRONGPASS read after it', () => {
    const sessions = new LoginSessions(4, 1);
    sessions.open(0);
    const pkts: Pkt[] = [
      { ts: 1, src: '10.0.0.6', dst: '10.0.0.1', sp: 6379, dp: 50000, flags: ACK | PSH, payload: 34, head: '-NOAUTH Authentication required.\r\n', seq: 0, verified: true },
      { ts: 2, src: '10.0.0.6', dst: '10.0.0.1', sp: 6379, dp: 50000, flags: ACK | PSH, payload: 1448, head: '*2\r\n$3\r\nfoo\r\n$300', seq: 34, verified: true },
      { ts: 3, src: '10.0.0.6', dst: '10.0.0.1', sp: 6379, dp: 50000, flags: ACK | PSH, payload: 66, head: '-WRONGPASS invalid', seq: 1482, verified: true },
    ];
    const b = batchOf(pkts);
    assert.deepEqual(pkts.map((_, i) => sessions.segment(0, b, i)), [LoginEvent.NONE, LoginEvent.NONE, LoginEvent.NONE]);
  });
});

describe('RDP', () => {
  /** The X.224 Connection Confirm in its TPKT with an RDP_NEG_RSP selecting `protocol`. */
  const cc = (protocol: number) => [3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, protocol, 0, 0, 0];
  const confirm = (bytes: number[], len = bytes.length) => { const s = seg(bytes, len); return rdpConfirm(s.h, s.o, s.len, Math.min(s.len, H)); };

  test('the Connection Confirm names RDP and gives the security chosen: NLA (HYBRID, HYBRID_EX), TLS, standard RDP security (no RDP_NEG_RSP)', () => {
    assert.equal(greet(cc(RdpProtocol.HYBRID)), Service.RDP);
    assert.equal(confirm(cc(RdpProtocol.HYBRID)), RdpProtocol.HYBRID);
    assert.equal(confirm(cc(RdpProtocol.HYBRID_EX)), RdpProtocol.HYBRID_EX);
    assert.equal(confirm(cc(RdpProtocol.SSL)), RdpProtocol.SSL);
    assert.equal(confirm([3, 0, 0, 11, 6, 0xd0, 0, 0, 0x12, 0x34, 0]), RdpProtocol.RDP);
  });

  test('near-misses are no Confirm: a Connection Request (0xE0), an RDP_NEG_FAILURE, a TPKT length that is not the segment\'s, a wrong LI, TLS', () => {
    assert.equal(confirm([...cc(2).slice(0, 5), 0xe0, ...cc(2).slice(6)]), -1);
    assert.equal(confirm([...cc(2).slice(0, 11), 3, ...cc(2).slice(12)]), -1, 'RDP_NEG_FAILURE');
    assert.equal(confirm(cc(2), 40), -1, 'more in the segment than the TPKT holds');
    assert.equal(confirm([3, 0, 0, 19, 13, ...cc(2).slice(5)]), -1, 'LI 13');
    assert.equal(greet([0x16, 3, 3, 0, 0x40, 2, 0, 0, 0x3c, 3, 3, 0, 0, 0, 0, 0], 69), Service.OTHER);
  });
});

describe('the services known before still parse as they did', () => {
  test('SSH, FTP/SMTP, POP3, IMAP, Telnet greetings; a segment shorter than 4 bytes reads no stale byte', () => {
    assert.equal(greet('SSH-2.0-OpenSSH_9.2p1'), Service.SSH);
    assert.equal(greet('220 (vsFTPd 3.0.3)'), Service.CODES);
    assert.equal(greet('+OK Dovecot ready.'), Service.POP3);
    assert.equal(greet('* OK [CAPABILITY'), Service.IMAP);
    assert.equal(greet([0xff, 0xfd, 0x18]), Service.TELNET);
    // "220" and, in the buffer's next byte, a space: three bytes of payload are not a greeting
    const s = seg('220 ', 3);
    assert.equal(greetingService(s.h, s.o, 3, H), Service.OTHER);
  });
});

describe('SIP status lines (RFC 3261 §7.2)', () => {
  const code = (text: string) => {
    const x = seg(text);
    return sipStatus(x.h, x.o, x.len);
  };
  const reply = (text: string) => {
    const x = seg(text);
    return sipReply(x.h, x.o, x.len);
  };
  test('codes, and what each means to the login rules', () => {
    assert.equal(code('SIP/2.0 403 Forbidden\r\n'), 403);
    assert.equal(code('SIP/2.0 401 Unauthorized\r\n'), 401);
    assert.equal(code('SIP/2.0 606 Not Acceptable'), 606);
    assert.equal(reply('SIP/2.0 403 Forbidden\r\n'), Reply.FAILURE);
    assert.equal(reply('SIP/2.0 401 Unauthorized\r\n'), Reply.DENIED);
    assert.equal(reply('SIP/2.0 404 Not Found\r\n'), Reply.DENIED);
    assert.equal(reply('SIP/2.0 407 Proxy Authentication'), Reply.NONE, "a proxy's challenge to every call a trunk places");
    assert.equal(reply('SIP/2.0 200 OK\r\nVia: x'), Reply.NONE, 'a 200 forgives nothing');
  });
  test('near-misses are not status lines', () => {
    assert.equal(code('SIP/2.1 403 Forbidden'), 0);
    assert.equal(code('SIP/2.0 4031Forbidden'), 0);
    assert.equal(code('SIP/2.0 703 Nope    '), 0);
    assert.equal(code('sip/2.0 403 Forbidden'), 0);
    assert.equal(code('HTTP/1.1 403 Forbidden'), 0);
    assert.equal(code('REGISTER sip:a SIP/2.0'), 0);
    assert.equal(code('SIP/2.0 40'), 0);
  });
  test('over TCP, a SIP server is known by its first status line', () => {
    const x = seg('SIP/2.0 401 Unauthorized\r\n');
    assert.equal(greetingService(x.h, x.o, x.len, H), Service.SIP);
  });
});

describe('SQL Server (MS-TDS)', () => {
  /** A TDS packet: type, status 1 (end of message), big-endian length, SPID 0, packet id 1, window 0, then the body. */
  const tds = (type: number, body: number[]) => [type, 1, (8 + body.length) >> 8, (8 + body.length) & 255, 0, 0, 1, 0, ...body];
  /** An ERROR token (MS-TDS 2.2.7.10): 0xAA, a 2-byte length, the little-endian number, state, class. */
  const error = (n: number) => tds(4, [0xaa, 0x66, 0, n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24, 1, 14, 0x2a, 0]);

  test('the answer to PRELOGIN (type 4, its VERSION option first) and the answers to a login name SQL Server', () => {
    assert.equal(greet(tds(4, [0, 0, 0x1a, 0, 6, 1, 0, 0x20, 0, 1])), Service.MSSQL);
    assert.equal(greet(error(18456), 108), Service.MSSQL, 'hydra sends its login at once: the first answer is the refusal');
    assert.equal(greet(tds(4, [0xe3, 0x1b, 0, 1, 6, 0x6d])), Service.MSSQL);
  });

  test('an ERROR token of 18456 (Login failed for user) or 18486 (locked out) first is a failed login; ENVCHANGE or LOGINACK first a successful one', () => {
    assert.equal(reply(Service.MSSQL, error(18456), 108), Reply.FAILURE);
    assert.equal(reply(Service.MSSQL, error(18486), 108), Reply.FAILURE);
    assert.equal(reply(Service.MSSQL, tds(4, [0xe3, 0x1b, 0, 1, 6, 0x6d, 0])), Reply.SUCCESS);
    assert.equal(reply(Service.MSSQL, tds(4, [0xad, 0x36, 0, 1, 0x74, 0, 0, 4])), Reply.SUCCESS);
  });

  test('not a login\'s answer: other errors (a query\'s syntax 102, a database 4060), a query\'s rows, TLS inside PRELOGIN packets, a packet cut before its number', () => {
    assert.equal(reply(Service.MSSQL, error(102), 108), Reply.NONE);
    assert.equal(reply(Service.MSSQL, error(4060), 108), Reply.NONE);
    assert.equal(reply(Service.MSSQL, tds(4, [0x81, 1, 0, 0, 0])), Reply.NONE);
    assert.equal(reply(Service.MSSQL, tds(0x12, [0x16, 3, 3, 5, 0, 2])), Reply.NONE);
    assert.equal(reply(Service.MSSQL, error(18456).slice(0, 12), 12), Reply.NONE);
  });

  test('what is not TDS is not SQL Server: a type-4 packet with a window, with another first byte, too short', () => {
    const p = tds(4, [0, 0, 0x1a, 0, 6, 1, 0]);
    p[7] = 3;
    assert.equal(greet(p), Service.OTHER);
    assert.equal(greet(tds(4, [0x55, 1, 2, 3])), Service.OTHER);
    assert.equal(greet([4, 1, 0, 8, 0, 0, 1, 0]), Service.OTHER);
  });
});

describe('MQTT CONNACK (OASIS MQTT 3.1.1 §3.2, 5.0 §3.2)', () => {
  test('a CONNACK alone in its segment names MQTT; 4 and 5 (3.1.1), 0x86 and 0x87 (5.0) are failed logins, 0 a success', () => {
    assert.equal(greet([0x20, 2, 0, 5]), Service.MQTT);
    assert.equal(greet([0x20, 3, 0, 0x87, 0]), Service.MQTT, '5.0, no properties');
    assert.equal(greet([0x20, 9, 1, 0, 6, 0x22, 0, 10, 0x21, 0, 20]), Service.MQTT, '5.0 with properties, session present');
    for (const c of [4, 5]) assert.equal(reply(Service.MQTT, [0x20, 2, 0, c]), Reply.FAILURE, `3.1.1 code ${c}`);
    for (const c of [0x86, 0x87]) assert.equal(reply(Service.MQTT, [0x20, 3, 0, c, 0]), Reply.FAILURE, `5.0 reason ${c}`);
    assert.equal(reply(Service.MQTT, [0x20, 2, 0, 0]), Reply.SUCCESS);
    assert.equal(reply(Service.MQTT, [0x20, 3, 0, 0, 0]), Reply.SUCCESS);
    for (const c of [1, 2, 3]) assert.equal(reply(Service.MQTT, [0x20, 2, 0, c]), Reply.NONE, `3.1.1 code ${c}: protocol, identifier, unavailable`);
    assert.equal(reply(Service.MQTT, [0x20, 3, 0, 0x89, 0]), Reply.NONE, '5.0 server busy');
  });

  test('near-misses are no CONNACK: another length than the remaining length says, flags above 1, a 3.1.1 code above 5, a 5.0 property length that does not add up, other packet types', () => {
    for (const [bytes, len] of [
      [[0x20, 2, 0, 5], 5], [[0x20, 2, 2, 5], 4], [[0x20, 2, 0, 6], 4], [[0x20, 3, 0, 0x87, 1], 5], [[0x20, 3, 0, 0x10, 0], 5],
      [[0x30, 2, 0, 5], 4], [[0xd0, 0], 2], [[0x21, 2, 0, 5], 4],
    ] as Array<[number[], number]>) {
      assert.equal(greet(bytes, len), Service.OTHER, JSON.stringify(bytes));
      assert.equal(mqttConnack(seg(bytes, len).h, H, len, H), -1, JSON.stringify(bytes));
    }
  });
});

describe('LDAP BindResponse (RFC 4511 §4.2.2)', () => {
  /** An LDAPMessage holding a BindResponse: short lengths (OpenLDAP) or 4-byte ones (Active Directory). */
  const bindResponse = (code: number, id = [1], long = false) => {
    const content = [0x0a, 1, code, 4, 0, 4, 0];
    const op = long ? [0x61, 0x84, 0, 0, 0, content.length, ...content] : [0x61, content.length, ...content];
    const body = [2, id.length, ...id, ...op];
    return long ? [0x30, 0x84, 0, 0, 0, body.length, ...body] : [0x30, body.length, ...body];
  };
  test('a BindResponse names LDAP; 49 (invalidCredentials) is a failed login, 0 a success, other codes nothing', () => {
    assert.equal(greet(bindResponse(49)), Service.LDAP);
    assert.equal(reply(Service.LDAP, bindResponse(49)), Reply.FAILURE);
    assert.equal(reply(Service.LDAP, bindResponse(49, [0x01, 0x2c])), Reply.FAILURE, 'a messageID of two bytes (300)');
    assert.equal(reply(Service.LDAP, bindResponse(0)), Reply.SUCCESS);
    for (const c of [14, 50, 53]) assert.equal(reply(Service.LDAP, bindResponse(c)), Reply.NONE, `resultCode ${c}`);
  });
  test('Active Directory\'s 4-byte lengths put the code at byte 17 (21 with a 4-byte messageID): read in the bytes kept, unseen where a snap length kept 16', () => {
    const ad = bindResponse(49, [1], true);
    assert.equal(ldapBindResult(seg(ad).h, H, H), 49);
    assert.equal(ldapBindResult(seg(ad).h, H, 16), LDAP_CODE_UNSEEN, 'cut at 16 bytes');
    assert.equal(greet(ad), Service.LDAP);
    assert.equal(reply(Service.LDAP, ad), Reply.FAILURE);
    assert.equal(reply(Service.LDAP, bindResponse(0, [1], true)), Reply.SUCCESS);
    assert.equal(reply(Service.LDAP, bindResponse(49, [0x01, 0x00, 0x00, 0x07], true)), Reply.FAILURE, 'a messageID of four bytes');
    assert.equal(reply(Service.LDAP, bindResponse(14, [2], true)), Reply.NONE, 'saslBindInProgress (an NTLM or GSS-SPNEGO bind\'s first leg)');
  });
  test('other messages are no BindResponse: a search entry, a search done, an extended response (StartTLS), a BER sequence of something else', () => {
    for (const bytes of [
      [0x30, 0x0c, 2, 1, 2, 0x64, 0x07, 4, 1, 0x61, 0x30, 0],
      [0x30, 0x0c, 2, 1, 2, 0x65, 0x07, 0x0a, 1, 0, 4, 0, 4, 0],
      [0x30, 0x0c, 2, 1, 1, 0x78, 0x07, 0x0a, 1, 0, 4, 0, 4, 0],
      [0x30, 0x0c, 4, 1, 1, 0x61, 0x07, 0x0a, 1, 49, 4, 0, 4, 0],
      [0x30, 0x0c, 2, 1, 1, 0x61, 0x07, 0x02, 1, 49, 4, 0, 4, 0],
    ]) {
      assert.equal(ldapBindResult(seg(bytes).h, H, Math.min(bytes.length, H)), LDAP_NOT_BIND, JSON.stringify(bytes));
      assert.notEqual(greet(bytes), Service.LDAP, JSON.stringify(bytes));
    }
  });
  test('a followed session: each refused bind read with its BindRequest\'s length, the first from the SYN-ACK\'s acknowledgment, later ones from the answer before', () => {
    const sessions = new LoginSessions(4, 1);
    const srv = (ts: number, head: number[], ack: number): Pkt => ({ ts, src: '10.0.0.31', dst: '10.0.0.1', sp: 389, dp: 50000, flags: ACK | PSH, payload: head.length, head, ack, verified: true });
    const search = [0x30, 0x0c, 2, 1, 2, 0x65, 0x07, 0x0a, 1, 0, 4, 0, 4, 0];
    // the SYN-ACK acknowledged 1001 (the client's ISN + 1): a 60-byte bind refused, a search
    // (30 bytes) answered, a 58-byte bind refused, a 58-byte bind accepted
    sessions.open(0, 1001);
    const b = batchOf([srv(1, bindResponse(49, [1], true), 1061), srv(1.1, search, 1091), srv(1.2, bindResponse(49, [3], true), 1149), srv(1.3, bindResponse(0, [4], true), 1207)]);
    const got: Array<[number, number]> = [0, 1, 2, 3].map((i) => [sessions.segment(0, b, i), sessions.credentialBytesOf(0)]);
    assert.deepEqual(got.map(([e]) => e), [LoginEvent.FAILURE, LoginEvent.NONE, LoginEvent.FAILURE, LoginEvent.SUCCESS]);
    assert.equal(sessions.nameOf(0), 'ldap');
    assert.deepEqual([got[0]![1], got[2]![1], got[3]![1]], [60, 58, 58]);
    // a session opened without the SYN-ACK's acknowledgment: the first bind's length unknown
    sessions.open(1);
    assert.equal(sessions.segment(1, batchOf([srv(1, bindResponse(49), 5000)]), 0), LoginEvent.FAILURE);
    assert.equal(sessions.credentialBytesOf(1), 0);
  });
});

describe('SOCKS5 username/password (RFC 1928 §3, RFC 1929 §2)', () => {
  test('the METHOD selection 05 02 alone names SOCKS5; its status 01 00 is a success, 01 and any other status a failure', () => {
    assert.equal(greet([5, 2]), Service.SOCKS5);
    assert.equal(reply(Service.SOCKS5, [1, 0]), Reply.SUCCESS);
    for (const s of [1, 2, 0xff]) assert.equal(reply(Service.SOCKS5, [1, s]), Reply.FAILURE, `status ${s}`);
  });
  test('near-misses: no authentication (05 00), GSSAPI (05 01), none acceptable (05 FF), SOCKS4\'s grant, 05 02 with more behind it; a status not alone or of another version', () => {
    for (const [bytes, len] of [[[5, 0], 2], [[5, 1], 2], [[5, 0xff], 2], [[0, 0x5a, 0, 80, 10, 0, 0, 1], 8], [[5, 2, 0, 1], 4], [[5, 2], 3]] as Array<[number[], number]>) {
      assert.equal(greet(bytes, len), Service.OTHER, JSON.stringify(bytes));
    }
    assert.equal(reply(Service.SOCKS5, [1, 1, 0], 3), Reply.NONE);
    assert.equal(reply(Service.SOCKS5, [5, 0], 2), Reply.NONE, 'a CONNECT reply is no status');
    assert.equal(reply(Service.SOCKS5, [5, 0, 0, 1, 10, 0, 0, 1, 0, 80]), Reply.NONE);
  });
  test('a followed session: the status after 05 02 is read once, with the credentials\' length the two answers\' acknowledgments tell; nothing after it', () => {
    const sessions = new LoginSessions(4, 1);
    const srv = (ts: number, head: number[], ack: number): Pkt => ({ ts, src: '10.0.0.6', dst: '10.0.0.1', sp: 1080, dp: 50000, flags: ACK | PSH, payload: head.length, head, ack, verified: true });
    // hydra: offer 05 02 00 02 (4 bytes), then 01 02 "op" 05 "12345" (10 bytes), refused 01 01
    sessions.open(0);
    let b = batchOf([srv(1, [5, 2], 5), srv(1.1, [1, 1], 15), srv(1.2, [1, 1], 40)]);
    assert.deepEqual([0, 1, 2].map((i) => sessions.segment(0, b, i)), [LoginEvent.NONE, LoginEvent.FAILURE, LoginEvent.NONE]);
    assert.equal(sessions.nameOf(0), 'socks5');
    assert.equal(sessions.credentialBytesOf(0), 10);
    // curl's login, then the CONNECT reply and the tunnel's bytes (a 2-byte 01 01 of the traffic)
    sessions.open(1);
    b = batchOf([srv(1, [5, 2], 0xfffffffe), srv(1.1, [1, 0], 20), srv(1.2, [5, 0, 0, 1, 10, 0, 0, 1, 0, 80], 30), srv(1.3, [1, 1], 40)]);
    assert.deepEqual([0, 1, 2, 3].map((i) => sessions.segment(1, b, i)), [LoginEvent.NONE, LoginEvent.SUCCESS, LoginEvent.NONE, LoginEvent.NONE]);
    assert.equal(sessions.credentialBytesOf(1), 22, 'across the wrap of the acknowledgment numbers');
    // a client that sent its credentials with its offer: the selection acknowledged them already
    sessions.open(2);
    b = batchOf([srv(1, [5, 2], 20), srv(1.1, [1, 1], 20)]);
    assert.deepEqual([0, 1].map((i) => sessions.segment(2, b, i)), [LoginEvent.NONE, LoginEvent.FAILURE]);
    assert.equal(sessions.credentialBytesOf(2), 0);
  });
});

describe("Asterisk's manager interface, AMI (main/manager.c)", () => {
  const srv = (ts: number, head: string, ack: number, flags = ACK | PSH, payload = head.length): Pkt => ({ ts, src: '10.0.0.6', dst: '10.0.0.1', sp: 5038, dp: 50000, flags, payload, head, ack, verified: true });
  const GREETING = 'Asterisk Call Manager/5.0.2\r\n';
  const REFUSED = 'Response: Error\r\nMessage: Authentication failed\r\n\r\n';
  test('the greeting names AMI; an error answer starts "Response: Error", a success or an event does not', () => {
    assert.equal(greet(GREETING), Service.AMI);
    assert.equal(greet('Asterisk Call Manager/1.1\r\n'), Service.AMI);
    assert.equal(greet('Asterisk Call Mgr'), Service.OTHER);
    assert.ok(isAmiError(seg(REFUSED).h, H, H));
    assert.ok(!isAmiError(seg('Response: Success\r\nMessage: Authentication accepted\r\n\r\n').h, H, H));
    assert.ok(!isAmiError(seg('Event: FullyBooted\r\n').h, H, H));
  });
  test('a refused Login is an error the server hangs up after, the client silent since; the Login action\'s length is what the error acknowledged', () => {
    const sessions = new LoginSessions(4, 1);
    // hydra asterisk: "Action: Login\r\nUsername: admin\r\nSecret: 123456\r\n\r\n" (49 bytes), refused 1 s later, then the server's FIN
    sessions.open(0);
    const b = batchOf([srv(1, GREETING, 1), srv(2.1, REFUSED, 50), srv(2.1001, '', 50, ACK | 1, 0)]);
    assert.deepEqual([0, 1].map((i) => sessions.segment(0, b, i)), [LoginEvent.NONE, LoginEvent.NONE]);
    assert.equal(sessions.close(0, 2.1001, b.tcpAck[2]), LoginEvent.FAILURE);
    assert.equal(sessions.nameOf(0), 'ami');
    assert.equal(sessions.credentialBytesOf(0), 49);
    // an action before any login ("Authentication Required"), the client quits: the server's FIN acknowledges the client's
    sessions.open(1);
    const q = batchOf([srv(1, GREETING, 1), srv(1.1, 'Response: Error\r\nMessage: Authentication Required\r\n\r\n', 20)]);
    [0, 1].forEach((i) => sessions.segment(1, q, i));
    assert.equal(sessions.close(1, 1.2, 21), LoginEvent.NONE);
    // an error, then the login accepted, then the session ends: nothing
    sessions.open(2);
    const ok = batchOf([srv(1, GREETING, 1), srv(1.1, 'Response: Error\r\nMessage: Missing action in request\r\n\r\n', 10), srv(1.2, 'Response: Success\r\nMessage: Authentication accepted\r\n\r\n', 60)]);
    [0, 1, 2].forEach((i) => sessions.segment(2, ok, i));
    assert.equal(sessions.close(2, 9, 80), LoginEvent.NONE);
  });
});

describe('memcached binary protocol SASL (protocol_binary.h, proto_bin.c)', () => {
  /** A response header (magic 0x81) and its body: opcode, status, body. */
  const mc = (op: number, status: number, body: string, key = '', extras = 0) => {
    const b = [...Buffer.from(key + body, 'latin1')];
    const n = b.length + extras;
    return [0x81, op, key.length >> 8, key.length & 255, extras, 0, status >> 8, status & 255, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...new Array(extras).fill(0), ...b];
  };
  test('a whole response names memcached; SASL_AUTH and SASL_STEP answered 0x0020 are refusals, 0 logins', () => {
    assert.equal(greet(mc(0x20, 0, 'PLAIN')), Service.MEMCACHED);
    assert.equal(greet(mc(0x21, 0x20, 'Auth failure.')), Service.MEMCACHED);
    assert.equal(reply(Service.MEMCACHED, mc(0x21, 0x20, 'Auth failure.')), Reply.FAILURE);
    assert.equal(reply(Service.MEMCACHED, mc(0x22, 0x20, 'Auth failure.')), Reply.FAILURE);
    assert.equal(reply(Service.MEMCACHED, mc(0x21, 0, 'Authenticated')), Reply.SUCCESS);
    assert.equal(reply(Service.MEMCACHED, mc(0x22, 0, 'Authenticated')), Reply.SUCCESS);
  });
  test('no guess: a command before authenticating refused, SASL_AUTH_CONTINUE, the mechanisms, another status, a response not filling its segment', () => {
    assert.equal(reply(Service.MEMCACHED, mc(0x00, 0x20, 'Auth failure.')), Reply.NONE, 'a GET before SASL');
    assert.equal(reply(Service.MEMCACHED, mc(0x21, 0x21, 'challenge')), Reply.NONE, 'AUTH_CONTINUE');
    assert.equal(reply(Service.MEMCACHED, mc(0x20, 0, 'PLAIN')), Reply.NONE);
    assert.equal(reply(Service.MEMCACHED, mc(0x21, 0x81, 'Unknown command')), Reply.NONE);
    const r = mc(0x21, 0x20, 'Auth failure.');
    assert.equal(reply(Service.MEMCACHED, r, r.length + 1), Reply.NONE, 'bytes past the response: no whole response');
    assert.equal(reply(Service.MEMCACHED, r, r.length - 1), Reply.NONE);
  });
  test('what is not a memcached response: a request (0x80), another data type, key and extras past the body, too few bytes kept', () => {
    const r = mc(0x21, 0x20, 'Auth failure.');
    assert.equal(memcachedResponse(seg([0x80, ...r.slice(1)]).h, H, r.length, H), -1);
    const typed = [...r]; typed[5] = 1;
    assert.equal(memcachedResponse(seg(typed).h, H, r.length, H), -1);
    const keyed = [...r]; keyed[3] = 14;
    assert.equal(memcachedResponse(seg(keyed).h, H, r.length, H), -1);
    assert.equal(memcachedResponse(seg(r).h, H, r.length, 11), -1);
    assert.equal(memcachedResponse(seg(mc(0x21, 0, 'x', '', 4)).h, H, 29, H), 0x21);
    assert.equal(greet('Auth failure.\r\n'), Service.OTHER);
  });
  test('a session: the refusals read with the SASL request\'s length (the acknowledgments between answers), the first answer\'s unknown', () => {
    const sessions = new LoginSessions(4, 1);
    const srv = (ts: number, bytes: number[], ack: number): Pkt => ({ ts, src: '10.0.0.7', dst: '10.0.0.1', sp: 11211, dp: 40000, flags: ACK | PSH, payload: bytes.length, head: bytes.slice(0, H), ack, verified: true });
    // libmemcached: LIST_MECHS (24 bytes), AUTH PLAIN "\0memcache\0123456" (24 + 5 + 16 = 45), then "\0memcache\0password" (47), then a GET before authenticating
    sessions.open(0);
    const b = batchOf([srv(1, mc(0x20, 0, 'PLAIN'), 25), srv(1.1, mc(0x21, 0x20, 'Auth failure.'), 70), srv(1.2, mc(0x21, 0x20, 'Auth failure.'), 117), srv(1.3, mc(0x00, 0x20, 'Auth failure.'), 147)]);
    const events: number[] = [], lengths: number[] = [];
    for (let i = 0; i < 4; i++) {
      events.push(sessions.segment(0, b, i));
      lengths.push(sessions.credentialBytesOf(0));
    }
    assert.equal(sessions.nameOf(0), 'memcached');
    assert.deepEqual(events, [LoginEvent.NONE, LoginEvent.FAILURE, LoginEvent.FAILURE, LoginEvent.NONE]);
    assert.deepEqual(lengths, [0, 45, 47, 30]);
  });
});

describe('XMPP SASL (RFC 6120 §6) and NNTP AUTHINFO (RFC 4643)', () => {
  const NS = "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'";
  const NOT_AUTHORIZED = `<failure ${NS}><not-authorized/><text>Unable to authorize you with the authentication credentials you've sent.</text></failure>`;
  test("the server's stream header names XMPP (with or without the XML declaration); NNTP's 200 and 201 greetings name NNTP", () => {
    assert.equal(greet("<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"), Service.XMPP);
    assert.equal(greet('<?xml version="1.0" encoding="UTF-8"?><stream:stream'), Service.XMPP);
    assert.equal(greet("<stream:stream xmlns='jabber:client' version='1.0'>"), Service.XMPP);
    assert.equal(greet('200 news.example.org InterNetNews NNRP server INN 2.7.1 ready (posting ok)\r\n'), Service.NNTP);
    assert.equal(greet('201 news.example.org ready (no posting)\r\n'), Service.NNTP);
    assert.equal(greet('220 mail.example.org ESMTP Postfix\r\n'), Service.CODES, 'FTP and SMTP stay CODES');
    assert.equal(greet('<html><body>'), Service.OTHER);
    assert.equal(greet('<?xm'), Service.OTHER, 'too few bytes to tell');
    assert.equal(greet('2000 items\r\n'), Service.OTHER);
    assert.equal(greet('202 ok\r\n'), Service.OTHER);
  });
  test('a SASL <failure/> of any condition is a refusal, <success/> a login; the 16 bytes kept and the length tell them from STARTTLS\'s failure', () => {
    assert.equal(reply(Service.XMPP, NOT_AUTHORIZED), Reply.FAILURE);
    assert.equal(reply(Service.XMPP, `<failure ${NS}><not-authorized/></failure>`), Reply.FAILURE);
    assert.equal(reply(Service.XMPP, `<failure ${NS}><aborted/></failure>`), Reply.FAILURE, 'the shortest condition, 70 bytes');
    assert.equal(reply(Service.XMPP, `<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><temporary-auth-failure/></failure>`), Reply.FAILURE);
    assert.equal(reply(Service.XMPP, `<success ${NS}/>`), Reply.SUCCESS);
    assert.equal(reply(Service.XMPP, `<success ${NS}>dj1wWmZ3c1lnY0F5T0JqTDdFdz09</success>`), Reply.SUCCESS, 'SCRAM\'s server-final message');
    assert.equal(reply(Service.XMPP, "<success/>"), Reply.SUCCESS);
    assert.equal(reply(Service.XMPP, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), Reply.NONE, 'STARTTLS refused: 50 bytes');
    assert.equal(reply(Service.XMPP, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"), Reply.NONE, 'and the stream closed after it, 66');
    assert.equal(reply(Service.XMPP, `<challenge ${NS}>=</challenge>`), Reply.NONE);
    assert.equal(reply(Service.XMPP, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), Reply.NONE);
    assert.equal(reply(Service.XMPP, "<successor/>"), Reply.NONE);
    assert.equal(reply(Service.XMPP, "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"), Reply.NONE, 'a stream error is no SASL answer');
    assert.equal(reply(Service.XMPP, ` ${NOT_AUTHORIZED}`), Reply.NONE, 'not at the segment\'s start');
    const s = seg(NOT_AUTHORIZED);
    assert.equal(xmppSaslReply(s.h, s.o, s.len, 8), Reply.NONE, 'too few bytes kept');
  });
  test('NNTP: 481 a refusal, 281 a login; 381, 482, 483 and 502 none', () => {
    assert.equal(reply(Service.NNTP, '481 Authentication failed\r\n'), Reply.FAILURE);
    assert.equal(reply(Service.NNTP, '281 Authentication accepted\r\n'), Reply.SUCCESS);
    for (const line of ['381 Enter password\r\n', '482 Authentication commands issued out of sequence\r\n', '483 Encryption required\r\n', '502 Permission denied\r\n', '480 Authentication required\r\n'])
      assert.equal(reply(Service.NNTP, line), Reply.NONE, line);
  });
  test('a session: each refusal read with its credential\'s length (the acknowledgments between answers), a length refused twice on one stream told', () => {
    const sessions = new LoginSessions(4, 1);
    const srv = (ts: number, text: string, ack: number): Pkt => ({ ts, src: '10.0.0.7', dst: '10.0.0.1', sp: 5222, dp: 40000, flags: ACK | PSH, payload: text.length, head: [...Buffer.from(text.slice(0, H), 'latin1')], ack, verified: true });
    // the client's stream header (100 bytes), then <auth/>s of 90, 94, 90 bytes, the last a login
    sessions.open(0);
    const b = batchOf([srv(1, "<?xml version='1.0'?><stream:stream xmlns='jabber:client'><stream:features/>", 101), srv(1.1, NOT_AUTHORIZED, 191), srv(1.2, NOT_AUTHORIZED, 285), srv(1.3, NOT_AUTHORIZED, 375), srv(1.4, `<success ${NS}/>`, 465)]);
    const events: number[] = [], lengths: number[] = [], again: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      events.push(sessions.segment(0, b, i));
      lengths.push(sessions.credentialBytesOf(0));
      again.push(sessions.refusedAgainOf(0));
    }
    assert.equal(sessions.nameOf(0), 'xmpp');
    assert.deepEqual(events, [LoginEvent.NONE, LoginEvent.FAILURE, LoginEvent.FAILURE, LoginEvent.FAILURE, LoginEvent.SUCCESS]);
    assert.deepEqual(lengths, [0, 90, 94, 90, 90]);
    assert.deepEqual(again, [false, false, false, true, true]);
    // NNTP: the greeting, USER (answered 381), PASS of 24 bytes refused, USER, PASS of 22 refused
    sessions.open(1);
    const nsrv = (ts: number, text: string, ack: number): Pkt => ({ ...srv(ts, text, ack), sp: 119 });
    const n = batchOf([nsrv(1, '200 news ready\r\n', 1), nsrv(1.1, '381 Enter password\r\n', 20), nsrv(1.2, '481 Authentication failed\r\n', 44), nsrv(1.3, '381 Enter password\r\n', 63), nsrv(1.4, '481 Authentication failed\r\n', 85)]);
    const nev: number[] = [], nlen: number[] = [];
    for (let i = 0; i < 5; i++) {
      nev.push(sessions.segment(1, n, i));
      nlen.push(sessions.credentialBytesOf(1));
    }
    assert.equal(sessions.nameOf(1), 'nntp');
    assert.deepEqual(nev, [LoginEvent.NONE, LoginEvent.NONE, LoginEvent.FAILURE, LoginEvent.NONE, LoginEvent.FAILURE]);
    assert.deepEqual(nlen, [0, 19, 24, 19, 22]);
    assert.equal(sessions.refusedAgainOf(1), false);
  });
});
