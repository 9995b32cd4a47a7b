// Kerberos' KDC answers (kerberos-reply.ts) over the bytes a row keeps, and the brute-force
// rule over session 16's crafted Kerberos captures (craft_classes.py group kerberos): the
// sprayers, the account guesser, the name enumerator banned; a domain's logons, a stale
// password, a mistyped name and a NAT's typos read and never alerted.

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { KrbError, kerberosReply, krbErrorCode } from '../src/detect/rules/kerberos-reply.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { Reply } from '../src/detect/rules/service-replies.ts';
import { LoginAttempts } from '../src/eval/login-attempts.ts';
import { readLabels } from '../src/eval/labels.ts';
import { PAYLOAD_HEAD_BYTES } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { runShardedCapture } from '../devkit/sharded-rules.ts';

// DER as the KDCs write it (minimal lengths: short, 81 LL, 82 LL LL)
function der(tag: number, body: number[]): number[] {
  const n = body.length;
  const len = n < 128 ? [n] : n < 256 ? [0x81, n] : [0x82, n >> 8, n & 255];
  return [tag, ...len, ...body];
}
const int = (v: number) => der(0x02, v < 128 ? [v] : v < 32768 ? [v >> 8, v & 255] : [v >> 16, (v >> 8) & 255, v & 255]);
const time = () => der(0x18, [...Buffer.from('20261207160000Z')]);
/** A KRB-ERROR of `code`; `ctime`: MIT's (the nonce as a time); `pad`: bytes of e-data, for its lengths' form. */
function krbError(code: number, o: { ctime?: boolean; pad?: number } = {}): number[] {
  const body = [...der(0xa0, int(5)), ...der(0xa1, int(30)), ...(o.ctime ? der(0xa2, time()) : []), ...der(0xa4, time()), ...der(0xa5, int(999999)), ...der(0xa6, int(code)),
    ...der(0xa9, der(0x1b, [...Buffer.from('CORP.EXAMPLE.ORG')])), ...(o.pad ? der(0xac, der(0x04, new Array(o.pad).fill(7))) : [])];
  return der(0x7e, der(0x30, body));
}
const asRep = () => der(0x6b, der(0x30, [...der(0xa0, int(5)), ...der(0xa1, int(11)), ...der(0xa5, der(0x61, new Array(900).fill(3)))]));
const tcp = (m: number[]) => [(m.length >>> 24) & 255, (m.length >>> 16) & 255, (m.length >>> 8) & 255, m.length & 255, ...m];
/** The reply as a row reads it: the first PAYLOAD_HEAD_BYTES (or `kept`) bytes at an offset. */
function read(msg: number[], overTcp: boolean, kept = PAYLOAD_HEAD_BYTES): number {
  const h = new Uint8Array(5 + PAYLOAD_HEAD_BYTES);
  h.set(msg.slice(0, Math.min(kept, PAYLOAD_HEAD_BYTES)), 5);
  return kerberosReply(h, 5, msg.length, kept, overTcp);
}

describe('kerberos-reply: a KDC\'s answers from the bytes a row keeps', () => {
  test('the error-code is read past every field before it: Windows (no ctime) with 1- and 2-byte lengths, MIT (ctime) over TCP', () => {
    for (const pad of [0, 150, 400]) {
      const m = krbError(KrbError.PREAUTH_FAILED, { pad });
      assert.equal(krbErrorCode(new Uint8Array(m), 0, m.length, m.length), 24, `e-data ${pad}`);
      assert.equal(read(m, false), Reply.FAILURE, `UDP, e-data ${pad}`);
      assert.equal(read(tcp(m), true), Reply.FAILURE, `TCP, e-data ${pad}`);
      assert.equal(read(tcp(krbError(24, { pad, ctime: true })), true), Reply.FAILURE, `MIT over TCP, e-data ${pad}`);
    }
    // MIT's with 2-byte lengths over TCP puts the code at byte 71: the last one kept
    const mit = tcp(krbError(24, { pad: 400, ctime: true }));
    assert.equal(mit.indexOf(0xa6, 40) + 4, 71);
    assert.equal(PAYLOAD_HEAD_BYTES >= 72, true);
  });
  test('24 a failed login, 6 and 18 refusals by rate, 25 and other codes nothing, an AS-REP a login', () => {
    assert.equal(read(krbError(KrbError.C_PRINCIPAL_UNKNOWN), false), Reply.DENIED);
    assert.equal(read(krbError(KrbError.CLIENT_REVOKED), false), Reply.DENIED);
    assert.equal(read(krbError(KrbError.PREAUTH_REQUIRED, { pad: 200 }), false), Reply.NONE);
    assert.equal(read(krbError(37), false), Reply.NONE); // clock skew
    assert.equal(read(asRep(), false), Reply.SUCCESS);
    assert.equal(read(tcp(asRep()), true), Reply.SUCCESS);
  });
  test('nothing is read where the code was not kept, the lengths disagree with the datagram or the record mark, or the fields are out of order', () => {
    const m = krbError(24, { pad: 400 });
    assert.equal(read(m, false, m.indexOf(0xa6, 40) + 4), Reply.NONE, 'a snap length that cuts the code off');
    assert.equal(read(m, false, m.indexOf(0xa6, 40) + 5), Reply.FAILURE);
    assert.equal(kerberosReply(new Uint8Array(m), 0, m.length + 1, m.length, false), Reply.NONE, 'a datagram longer than its message');
    const t = tcp(m);
    t[3]! -= 1;
    assert.equal(read(t, true), Reply.NONE, 'a record mark shorter than the segment');
    const swapped = krbError(24);
    const at = swapped.indexOf(0xa4, 10);
    swapped[at] = 0xa7;
    assert.equal(read(swapped, false), Reply.NONE, 'a field after error-code where stime should be');
    assert.equal(read(tcp(krbError(24)), false), Reply.NONE, 'a TCP segment read as a datagram');
  });
});

const dir = join(new URL('./fixtures/captures/classes/', import.meta.url).pathname);
const labels = readLabels(join(dir, 'labels.tsv')).files;

function failuresOf(file: string): Map<string, number[]> {
  const la = new LoginAttempts();
  readCaptureSync(join(dir, file), (b) => la.scan(b));
  return new Map([...la.clients].map(([k, v]) => [k, v.failures]));
}

describe('Kerberos sprayers and guessers on crafted captures (brute-force, service kerberos)', () => {
  // [file, failures read in all, refusals read before the alert, the test that fires]: a
  // refusal is a failed login when its AS-REQ's length is new for the client, so the sprays
  // (first.last names, whose lengths repeat) are banned at their 5th new length, the 10th
  // name; bruteuser (one account, one length) by rate: its first refusal, then 20 more
  for (const [file, all, before, by] of [
    ['classes_brute_kerberos_spray.pcap', 300, 10, 'maxretry'],
    ['classes_brute_kerberos_slowspray.pcap', 40, 10, 'maxretry'],
    ['classes_brute_kerberos_bruteuser.pcap', 100, 21, 'threshold'],
    ['classes_brute_kerberos_userenum.pcap', 1960, 20, 'threshold'],
    ['classes_brute_kerberos_spray_tcp.pcap', 100, 10, 'maxretry'],
  ] as const) {
    test(`${file}: every refusal read (${all}); the client is flagged at its ${before}th (${by}), nobody else`, () => {
      const label = labels.get(file)!;
      const attacker = label.attackers[0]!;
      const alerts = runShardedCapture(DEFAULT_RULES, join(dir, file)).out;
      const first = alerts.find((a) => a.blockable && a.source === attacker);
      assert.ok(first, `no alert: ${JSON.stringify(alerts)}`);
      assert.equal(first.type, 'brute-force');
      assert.equal(first.target, label.victims[0]);
      assert.equal(first.evidence.service, 'kerberos');
      assert.ok(by in first.evidence, JSON.stringify(first.evidence));
      for (const a of alerts) assert.equal(a.source, attacker);
      const failures = failuresOf(file).get(attacker)!;
      assert.equal(failures.length, all);
      assert.equal(failures.filter((t) => t <= first.ts).length, before);
    });
  }
  test('classes_benign_kerberos.pcap: 100 logons (25 then an AS-REP), a stale password refused 3 and then 4 times around a logon, a service\'s stale password refused 150 times in 30 minutes (one length), a mistyped name, five typos behind a NAT: read, nothing alerted', () => {
    const failures = failuresOf('classes_benign_kerberos.pcap');
    for (const [client, n] of [['10.20.5.20', 7], ['10.20.5.21', 1], ['10.20.5.22', 150], ['198.51.100.46', 5], ['10.20.4.14', 0]] as const) assert.equal(failures.get(client)?.length ?? 0, n, client);
    assert.deepEqual(runShardedCapture(DEFAULT_RULES, join(dir, 'classes_benign_kerberos.pcap')).out, []);
  });
});
