// The method of an HTTP/1.x request line (RFC 9112 §3):
//
//   request-line = method SP request-target SP HTTP-version
//
// read from the first bytes a client's segment kept (PAYLOAD_HEAD_BYTES: "POST /login.php " fits,
// so the first 10 or 11 bytes of the target after the method too). The one reader of request
// lines: the rules that judge what a web client asks (request rates, form logins) take the
// method and where the target starts from here. Pure, no allocation. Methods are the nine of
// RFC 9110 §9 plus PATCH (RFC 5789); they are case-sensitive (RFC 9110 §9.1), so "get /" is
// not a request. HTTP/2 and HTTP/3 frame their requests in binary and are not read; nor is
// anything inside TLS.

export const HttpMethod = { NONE: 0, GET: 1, HEAD: 2, POST: 3, PUT: 4, DELETE: 5, CONNECT: 6, OPTIONS: 7, TRACE: 8, PATCH: 9 } as const;
export type HttpMethod = (typeof HttpMethod)[keyof typeof HttpMethod];

export const HTTP_METHOD_NAMES: readonly string[] = ['none', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

const SP = 0x20;
/** Each method's bytes, indexed by HttpMethod. */
const METHOD_BYTES: readonly Uint8Array[] = HTTP_METHOD_NAMES.map((m, i) => (i === 0 ? new Uint8Array(0) : new Uint8Array(Buffer.from(m, 'latin1'))));

/**
 * The method of the request line at `bytes[offset]` (`length` bytes present), or NONE. The
 * method must be followed by a space and then a target's first byte ("/" origin form, "*"
 * for OPTIONS, or a letter of an absolute or authority form), so a segment that merely starts
 * with "GET" (a continuation of a body, a header line) is not one.
 */
export function httpMethod(bytes: Uint8Array, offset: number, length: number): HttpMethod {
  if (length < 5) return HttpMethod.NONE;
  let m: HttpMethod;
  switch (bytes[offset]) {
    case 0x47: m = HttpMethod.GET; break; // G
    case 0x48: m = HttpMethod.HEAD; break; // H
    case 0x50: // P: POST, PUT, PATCH
      m = bytes[offset + 1] === 0x4f ? HttpMethod.POST : bytes[offset + 1] === 0x55 ? HttpMethod.PUT : HttpMethod.PATCH;
      break;
    case 0x44: m = HttpMethod.DELETE; break; // D
    case 0x43: m = HttpMethod.CONNECT; break; // C
    case 0x4f: m = HttpMethod.OPTIONS; break; // O
    case 0x54: m = HttpMethod.TRACE; break; // T
    default: return HttpMethod.NONE;
  }
  const name = METHOD_BYTES[m]!;
  const n = name.length;
  if (length < n + 2) return HttpMethod.NONE;
  for (let k = 1; k < n; k++) if (bytes[offset + k] !== name[k]) return HttpMethod.NONE;
  if (bytes[offset + n] !== SP) return HttpMethod.NONE;
  const t = bytes[offset + n + 1]!;
  const letter = (t | 0x20) >= 0x61 && (t | 0x20) <= 0x7a;
  return t === 0x2f || t === 0x2a || letter ? m : HttpMethod.NONE;
}

/** Where the request target starts, for a line whose method `httpMethod` read: offset + the method's length + 1. */
export function targetOffset(method: HttpMethod, offset: number): number {
  return offset + METHOD_BYTES[method]!.length + 1;
}
