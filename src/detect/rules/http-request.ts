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

// Bytes that may follow a path prefix for the target still to be that path: the end of the
// target (SP), its query (RFC 3986 §3.4 "?"), a fragment "#" (not sent, but harmless), a
// parameter ";" (Java's ";jsessionid="), a deeper segment "/", or an extension ".".
const BOUNDARY = new Uint8Array(256);
for (const c of ' ?#;/.') BOUNDARY[c.charCodeAt(0)] = 1;

/**
 * Which of `prefixes`, from index `from` on, the request target at `bytes[at]` starts with (`end`: where the kept
 * bytes end; `cut`: the segment goes on past them), or -1. Letters compare without case (IIS,
 * ASP.NET and Windows file systems serve /Login as /login; a guesser may write either). A
 * prefix longer than what is kept of a cut segment is matched on what is kept ("POST
 * /wp-login.php" keeps "/wp-login.p"); a prefix kept whole must
 * end the path or be followed by a boundary (SP ? # ; / .), so "/login" is not "/logins" nor
 * "/loginhelp". Each prefix is lower-case bytes, starting with "/". Pure, no allocation.
 */
export function targetPrefix(bytes: Uint8Array, at: number, end: number, cut: boolean, prefixes: readonly Uint8Array[], from = 0): number {
  const visible = end - at;
  if (visible < 2 || bytes[at] !== 0x2f) return -1;
  const second = bytes[at + 1]! | 0x20;
  for (let p = from; p < prefixes.length; p++) {
    const pre = prefixes[p]!;
    if ((pre[1]! | 0x20) !== second || (pre.length > visible && !cut)) continue;
    const n = pre.length < visible ? pre.length : visible;
    let k = 1;
    for (; k < n; k++) {
      let b = bytes[at + k]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      if (b !== pre[k]) break;
    }
    if (k < n) continue;
    if (pre.length < visible && !BOUNDARY[bytes[at + pre.length]!]) continue;
    return p;
  }
  return -1;
}

/** Whether the target at `bytes[at]` has its query ("?") right after its first `length` bytes, within the kept bytes. */
export function queryAfter(bytes: Uint8Array, at: number, end: number, length: number): boolean {
  return at + length < end && bytes[at + length] === 0x3f;
}

// A SIP request line has the same shape (RFC 3261 §7.1, its grammar §25.1):
//
//   Request-Line = Method SP Request-URI SP SIP-Version CRLF
//
// Methods are tokens, case-sensitive, upper-case by convention: the six of RFC 3261 and the
// extensions' (SUBSCRIBE and NOTIFY, REFER, MESSAGE, INFO, PRACK, UPDATE, PUBLISH), from ACK's
// 3 letters to SUBSCRIBE's 9; the Request-URI a sip: or sips: URI (schemes compare without
// case, §19.1.4). "SUBSCRIBE sips:" is 15 bytes: every such line shows in PAYLOAD_HEAD_BYTES.

const SIP_METHOD_MIN = 3;
const SIP_METHOD_MAX = 9;

/** Whether the bytes at `bytes[offset]` (`length` present) start a SIP request line: an upper-case method of 3 to 9 letters, a space, "sip:" or "sips:". Pure, no allocation. */
export function sipRequest(bytes: Uint8Array, offset: number, length: number): boolean {
  let n = 0;
  while (n < length && n <= SIP_METHOD_MAX) {
    const b = bytes[offset + n]!;
    if (b < 0x41 || b > 0x5a) break;
    n++;
  }
  if (n < SIP_METHOD_MIN || n > SIP_METHOD_MAX || length < n + 5 || bytes[offset + n] !== SP) return false;
  const o = offset + n + 1;
  if ((bytes[o]! | 0x20) !== 0x73 || (bytes[o + 1]! | 0x20) !== 0x69 || (bytes[o + 2]! | 0x20) !== 0x70) return false;
  if (bytes[o + 3] === 0x3a) return true;
  return length >= n + 6 && (bytes[o + 3]! | 0x20) === 0x73 && bytes[o + 4] === 0x3a;
}
