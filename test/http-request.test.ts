// The request-line reader (src/detect/rules/http-request.ts): methods from the first bytes a
// segment keeps, and the near-misses that must not read as requests.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { PAYLOAD_HEAD_BYTES } from '../src/net/packet-batch.ts';
import { HTTP_METHOD_NAMES, HttpMethod, httpMethod, queryAfter, sipRequest, targetOffset, targetPrefix } from '../src/detect/rules/http-request.ts';

/** A segment's kept head at offset 3 of a larger buffer (as a batch's head column holds it), `keep` bytes of it at most (a snap length may keep fewer). */
function head(text: string, keep = PAYLOAD_HEAD_BYTES): { h: Uint8Array; o: number; len: number } {
  const b = Buffer.from(text, 'latin1').subarray(0, keep);
  const h = new Uint8Array(3 + PAYLOAD_HEAD_BYTES + 5).fill(0x41);
  h.set(b, 3);
  return { h, o: 3, len: b.length };
}
const method = (text: string) => {
  const s = head(text);
  return httpMethod(s.h, s.o, s.len);
};

describe('httpMethod', () => {
  test('reads every method of RFC 9110 and PATCH, in origin, absolute, authority and asterisk form', () => {
    assert.equal(method('GET / HTTP/1.1\r\nHost: a\r\n'), HttpMethod.GET);
    assert.equal(method('HEAD /index.html HTTP/1.1'), HttpMethod.HEAD);
    assert.equal(method('POST /login.php HTTP/1.1'), HttpMethod.POST);
    assert.equal(method('PUT /a HTTP/1.1'), HttpMethod.PUT);
    assert.equal(method('DELETE /a HTTP/1.1'), HttpMethod.DELETE);
    assert.equal(method('CONNECT example.org:443 HTTP/1.1'), HttpMethod.CONNECT);
    assert.equal(method('OPTIONS * HTTP/1.1'), HttpMethod.OPTIONS);
    assert.equal(method('TRACE / HTTP/1.1'), HttpMethod.TRACE);
    assert.equal(method('PATCH /items/1 HTTP/1.1'), HttpMethod.PATCH);
    assert.equal(method('GET http://example.org/ HTTP/1.1'), HttpMethod.GET);
    for (let m = 1; m < HTTP_METHOD_NAMES.length; m++) assert.equal(method(`${HTTP_METHOD_NAMES[m]} /x HTTP/1.1`), m);
  });

  test('the target starts after the method and its space', () => {
    const s = head('POST /login.php HTTP/1.1');
    const at = targetOffset(httpMethod(s.h, s.o, s.len), s.o);
    assert.equal(Buffer.from(s.h.subarray(at, s.o + s.len)).toString('latin1'), '/login.php HTTP/1.1'.slice(0, PAYLOAD_HEAD_BYTES - 5));
  });

  test('near-misses are not requests', () => {
    assert.equal(method('get / HTTP/1.1'), HttpMethod.NONE, 'methods are case-sensitive');
    assert.equal(method('GETS / HTTP/1.1'), HttpMethod.NONE);
    assert.equal(method('GET  / HTTP/1.1'), HttpMethod.NONE, 'two spaces: no target');
    assert.equal(method('GET\t/ HTTP/1.1'), HttpMethod.NONE);
    assert.equal(method('POSTAL code'), HttpMethod.NONE);
    assert.equal(method('PUSH / HTTP/1.1'), HttpMethod.NONE);
    assert.equal(method('HTTP/1.1 200 OK\r\n'), HttpMethod.NONE, 'a status line');
    assert.equal(method('PRI * HTTP/2.0\r\n'), HttpMethod.NONE, "HTTP/2's connection preface");
    assert.equal(method('Get-Item: x'), HttpMethod.NONE);
    assert.equal(method('GET '), HttpMethod.NONE, 'cut before the target');
    assert.equal(method('OPTIONS'), HttpMethod.NONE);
    assert.equal(method(''), HttpMethod.NONE);
    assert.equal(method('\x16\x03\x01\x02\x00\x01'), HttpMethod.NONE, 'a TLS ClientHello');
  });
});

describe('targetPrefix', () => {
  const PREFIXES = ['/wp-login.php', '/login', '/user/login', '/j_security_check', '/session'].map((p) => Uint8Array.from(Buffer.from(p, 'latin1')));
  /** The index of the prefix the request's target starts with, from the kept bytes only (`keep` of them at most), and whether a query follows it. */
  const match = (text: string, keep = PAYLOAD_HEAD_BYTES) => {
    const s = head(text, keep);
    const m = httpMethod(s.h, s.o, s.len);
    const at = targetOffset(m, s.o);
    const p = targetPrefix(s.h, at, s.o + s.len, text.length > keep, PREFIXES);
    return { p, query: p >= 0 && queryAfter(s.h, at, s.o + s.len, PREFIXES[p]!.length) };
  };

  test('a prefix longer than the kept bytes matches on what is kept (16 kept, as a snap length can cut)', () => {
    assert.equal(match('POST /wp-login.php HTTP/1.1', 16).p, 0, '"/wp-login.p" kept');
    assert.equal(match('POST /j_security_check HTTP/1.1', 16).p, 3, '"/j_security" kept');
    assert.equal(match('POST /user/login HTTP/1.1', 16).p, 2, 'exactly the kept bytes');
    assert.equal(match('POST /user/login', 16).p, 2, 'a segment that ends there');
    assert.equal(match('POST /j_securit', 16).p, -1, 'a segment that ends before the prefix does: its target is shorter');
    assert.equal(match('POST /j_security_check HTTP/1.1').p, 3, 'all of it kept');
  });

  test('a prefix kept whole ends the path or is followed by a boundary', () => {
    for (const t of ['/login ', '/login.php', '/login/', '/login?next=', '/login;jsessionid', '/session HTTP']) assert.notEqual(match(`POST ${t}`).p, -1, t);
    for (const t of ['/logins ', '/loginhelp', '/login-x', '/sessions', '/log', '/', '/wp-admin/x', '/users/login', '/api/login']) assert.equal(match(`POST ${t}`).p, -1, t);
  });

  test('letters compare without case; other bytes exactly', () => {
    assert.equal(match('POST /LOGIN HTTP/1.1').p, 1);
    assert.equal(match('POST /Wp-Login.PHP HTTP/1.1').p, 0);
    assert.equal(match('POST /j_Security_Check HTTP/1.1').p, 3);
    assert.equal(match('POST /j_Security_Check HTTP/1.1', 16).p, 3, 'cut');
    assert.equal(match('POST /j\security').p, -1, '"\\" is no "_"');
    assert.equal(match('POST \x0flogin HTTP').p, -1, 'a byte that is "/" only with the case bit set');
  });

  test('only origin-form targets ("/..."), and not past the kept bytes', () => {
    assert.equal(match('POST http://a/login HTTP/1.1').p, -1);
    assert.equal(match('OPTIONS * HTTP/1.1').p, -1);
    assert.equal(match('POST /').p, -1, 'one byte of target');
  });

  test('a query right after the prefix, when it is kept', () => {
    assert.deepEqual(match('GET /login?user=a&pass=b HTTP/1.1'), { p: 1, query: true });
    assert.deepEqual(match('GET /login HTTP/1.1'), { p: 1, query: false });
    assert.deepEqual(match('GET /login/?u=a HTTP/1.1'), { p: 1, query: false }, 'the "?" after "/login/", not after "/login"');
    assert.deepEqual(match('GET /wp-login.php?action=x', 16), { p: 0, query: false }, 'not kept: "/wp-login.ph"');
    assert.deepEqual(match('GET /wp-login.php?action=x'), { p: 0, query: PAYLOAD_HEAD_BYTES >= 19 }, 'kept from 19 bytes');
  });
});

describe('sipRequest (RFC 3261 §7.1)', () => {
  const sip = (text: string) => {
    const s = head(text);
    return sipRequest(s.h, s.o, s.len);
  };
  test('a method of 3 to 9 upper-case letters, a space, a sip: or sips: URI', () => {
    assert.equal(sip('REGISTER sip:10.20.0.80 SIP/2.0\r\n'), true);
    assert.equal(sip('INVITE sip:+49300000000@10.20.0.80'), true);
    assert.equal(sip('OPTIONS sip:100@pbx SIP/2.0'), true);
    assert.equal(sip('ACK sip:a'), true);
    assert.equal(sip('SUBSCRIBE sips:a@b'), true, '15 bytes, all kept');
    assert.equal(sip('BYE SIP:a@b SIP/2.0'), true, 'schemes compare without case');
  });
  test('near misses are no request', () => {
    assert.equal(sip('SIP/2.0 403 Forbidden\r\n'), false, 'a status line');
    assert.equal(sip('GET / HTTP/1.1\r\n'), false);
    assert.equal(sip('register sip:a SIP/2.0'), false, 'methods are case-sensitive');
    assert.equal(sip('GO sip:a'), false, 'two letters');
    assert.equal(sip('REGISTERED sip:a'), false, 'ten letters');
    assert.equal(sip('REGISTER tel:+49'), false);
    assert.equal(sip('REGISTER sips'), false, 'no colon');
    assert.equal(sip('REGISTER sip'), false, 'cut before the colon');
    assert.equal(sip('\x12\x34\x01\x00\x00\x01 sip:'), false, 'a DNS query');
  });
});
