// The status code of an HTTP/1.x status line (RFC 9112 §4):
//
//   status-line = HTTP-version SP status-code SP [ reason-phrase ]
//   HTTP-version = "HTTP/" DIGIT "." DIGIT,  status-code = 3DIGIT
//
// RTSP's status lines are HTTP's grammar with "RTSP/1.0" (RFC 2326 §7.1) or "RTSP/2.0"
// (RFC 7826 §8.1), and its codes are HTTP's (401 challenges, 404 knows no such stream): a
// camera's or media server's answers are read as HTTP's, so a guesser of its credentials
// (hydra rtsp, Cameradar) fills the login rules' HTTP-denied bucket and one guessing its
// stream paths the web-probing rule, at the same thresholds as on a web server.
// And of a SIP status line, the same grammar with "SIP/2.0" (RFC 3261 §7.2), whose codes
// mean what HTTP's do (401 and 407 challenge, 403 refuses, 404 knows no such user).
//
// read from the first bytes a segment kept (PAYLOAD_HEAD_BYTES: "HTTP/1.1 404 Not" fits).
// The one reader of status lines: the web-probing rule's (http-errors.ts) and the login
// rules' HTTP service (service-replies.ts).
// Pure, no allocation. HTTP/2 and HTTP/3 carry their status in compressed binary headers
// (HPACK, QPACK) and are not read; nor is anything inside TLS.

const H = 0x48, T = 0x54, P = 0x50, R = 0x52, S = 0x53, I = 0x49, TWO = 0x32, SLASH = 0x2f, DOT = 0x2e, SP = 0x20, CR = 0x0d, ZERO = 0x30, ONE = 0x31;

/** Bytes of "HTTP/1.1 404 ": the shortest status line (the space after the code is in the grammar). */
export const STATUS_LINE_MIN = 13;

const digit = (b: number): number => (b >= ZERO && b <= ZERO + 9 ? b - ZERO : -1);

/**
 * The status code (100-599) of the HTTP/1.x or RTSP/1.0-2.0 status line at `bytes[offset]`,
 * of which `length` bytes are present; 0 when they are not one. After the code, the 13th
 * byte must be the space before the reason phrase, or the CR of a line without one (servers
 * that leave out the space the grammar asks for).
 */
export function httpStatus(bytes: Uint8Array, offset: number, length: number): number {
  if (length < STATUS_LINE_MIN) return 0;
  const o = offset;
  if (bytes[o + 4] !== SLASH || bytes[o + 6] !== DOT || bytes[o + 8] !== SP) return 0;
  const major = bytes[o + 5];
  if (bytes[o] === H && bytes[o + 1] === T && bytes[o + 2] === T && bytes[o + 3] === P) {
    // HTTP/1.0 and 1.1 only: HTTP/2 and 3 have no status line (a binary ":status" field)
    if (major !== ONE || digit(bytes[o + 7]!) < 0) return 0;
  } else if (bytes[o] === R && bytes[o + 1] === T && bytes[o + 2] === S && bytes[o + 3] === P) {
    if ((major !== ONE && major !== TWO) || bytes[o + 7] !== ZERO) return 0; // RTSP/1.0, RTSP/2.0
  } else return 0;
  return codeAt(bytes, o + 9);
}


/** The status code (100-699) of the SIP/2.0 status line at `bytes[offset]` (`length` bytes present); 0 when it is not one. */
export function sipStatus(bytes: Uint8Array, offset: number, length: number): number {
  if (length < STATUS_LINE_MIN) return 0;
  const o = offset;
  if (bytes[o] !== S || bytes[o + 1] !== I || bytes[o + 2] !== P || bytes[o + 3] !== SLASH) return 0;
  if (bytes[o + 4] !== TWO || bytes[o + 5] !== DOT || bytes[o + 6] !== ZERO || bytes[o + 7] !== SP) return 0;
  return codeAt(bytes, o + 8, 6);
}

/** Three digits (the first 1 to `maxFirst`), then the space before the reason phrase or a CR; the code, or 0. */
function codeAt(bytes: Uint8Array, o: number, maxFirst = 5): number {
  const a = digit(bytes[o]!), b = digit(bytes[o + 1]!), c = digit(bytes[o + 2]!);
  if (a < 1 || a > maxFirst || b < 0 || c < 0) return 0;
  const next = bytes[o + 3];
  if (next !== SP && next !== CR) return 0;
  return a * 100 + b * 10 + c;
}
