// The request-line reader (src/detect/rules/http-request.ts): methods from the first bytes a
// segment keeps, and the near-misses that must not read as requests.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { PAYLOAD_HEAD_BYTES } from '../src/net/packet-batch.ts';
import { HTTP_METHOD_NAMES, HttpMethod, httpMethod, targetOffset } from '../src/detect/rules/http-request.ts';

/** A segment's kept head at offset 3 of a larger buffer (as a batch's head column holds it). */
function head(text: string): { h: Uint8Array; o: number; len: number } {
  const b = Buffer.from(text, 'latin1').subarray(0, PAYLOAD_HEAD_BYTES);
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
    assert.equal(Buffer.from(s.h.subarray(at, s.o + s.len)).toString('latin1'), '/login.php ');
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
