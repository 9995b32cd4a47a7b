// A Kerberos KDC's answer to a login (an AS-REQ), read from the first bytes of its datagram
// (UDP 88) or of its TCP segment after the 4-byte record mark (RFC 4120 §7.2.2), without
// allocating:
//
//   KRB-ERROR ::= [APPLICATION 30] SEQUENCE {             (§5.9.1; DER, 7e LL 30 LL)
//     pvno [0] 5, msg-type [1] 30, ctime [2] OPTIONAL, cusec [3] OPTIONAL, stime [4],
//     susec [5], error-code [6] Int32, crealm [7] OPTIONAL, cname [8] OPTIONAL, ... }
//   AS-REP ::= [APPLICATION 11] KDC-REP { pvno [0] 5, msg-type [1] 11, ... }   (§5.4.2; 6b LL 30 LL)
//
// The error-code's value lies at byte 48 at the latest from a KDC that leaves ctime out
// (Windows), 67 from MIT's (it sets ctime to the AS-REQ's nonce), 4 more over TCP: within
// PAYLOAD_HEAD_BYTES (packet-batch.ts, the arithmetic by the constant). The account the
// answer is about (cname, after the code) is not kept.
//
// What the codes mean to a login (RFC 4120 §7.5.9; Microsoft's "Kerberos error codes" and
// the events a domain controller logs for them):
//   24 KDC_ERR_PREAUTH_FAILED     the pre-authentication (the timestamp encrypted with the
//                                 password's key) was wrong: a wrong password, event 4771,
//                                 and what the domain's lockout counts (badPwdCount): FAILURE
//    6 KDC_ERR_C_PRINCIPAL_UNKNOWN no such account (event 4768 with 0x6): kerbrute userenum
//                                 sends AS-REQs without pre-authentication to learn which names
//                                 exist, thousands of them; a person's mistyped name makes one.
//                                 No password was tried, so it is no failed login: DENIED (by
//                                 rate, as HTTP's 401: only a sustained stream fills it)
//   18 KDC_ERR_CLIENT_REVOKED     the account is disabled or locked out (after a lockout the
//                                 KDC answers 18 whatever the password): DENIED, by rate
//   25 KDC_ERR_PREAUTH_REQUIRED   the first answer to every Windows logon (the client sends
//                                 its AS-REQ without pre-authentication, learns the salt and
//                                 etypes from this answer's e-data, then sends it with): NONE
//   an AS-REP                     a password proven: SUCCESS (forgives the failures before it,
//                                 as every service's login does: a typo then the logon)
// Every other code (a TGS exchange's, clock skew 37, ...) and a TGS-REP are NONE.

import { Reply } from './service-replies.ts';

/** RFC 4120 §7.5.9's error codes read here. */
export const KrbError = { C_PRINCIPAL_UNKNOWN: 6, CLIENT_REVOKED: 18, PREAUTH_FAILED: 24, PREAUTH_REQUIRED: 25 } as const;

const KRB_ERROR_TAG = 0x7e; // [APPLICATION 30], constructed
const AS_REP_TAG = 0x6b; // [APPLICATION 11], constructed
const SEQUENCE = 0x30;
const INTEGER = 0x02;
const CONTEXT_0 = 0xa0; // [0], constructed
const ERROR_CODE = 0xa6; // [6], constructed
const PVNO = 5;
const MSG_KRB_ERROR = 30;
const MSG_AS_REP = 11;

/** The offset past the last length derLength read (its second result: no object a call). */
let past = 0;

/** The DER length at h[p] (short form, or long of 1-3 bytes: a Kerberos message over TCP may pass 64 KB, never 16 MB); -1 when it is not within `end`. Sets `past`. */
function derLength(h: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const b = h[p]!;
  if (b < 0x80) {
    past = p + 1;
    return b;
  }
  const n = b & 0x7f;
  if (n === 0 || n > 3 || p + 1 + n > end) return -1;
  let v = 0;
  for (let k = 1; k <= n; k++) v = v * 256 + h[p + k]!;
  past = p + 1 + n;
  return v;
}

/** A small INTEGER [k] field at h[p] (a0+k 03 02 01 v) equal to `value`. */
function smallField(h: Uint8Array, p: number, end: number, tag: number, value: number): boolean {
  return p + 5 <= end && h[p] === tag && h[p + 1] === 3 && h[p + 2] === INTEGER && h[p + 3] === 1 && h[p + 4] === value;
}

/**
 * The opening of a Kerberos message of `tag` at h[o] whose whole length is `total` bytes:
 * its outer length and its SEQUENCE's agree with it, and pvno and msg-type follow. Returns
 * the offset past msg-type, -1 when it is not one.
 */
function opening(h: Uint8Array, o: number, end: number, total: number, tag: number, msgType: number): number {
  if (o + 2 > end || h[o] !== tag) return -1;
  const outer = derLength(h, o + 1, end);
  if (outer < 0 || past - o + outer !== total) return -1;
  const seqAt = past;
  if (seqAt >= end || h[seqAt] !== SEQUENCE) return -1;
  const seq = derLength(h, seqAt + 1, end);
  if (seq < 0 || past + seq !== o + total) return -1;
  const p = past;
  if (!smallField(h, p, end, CONTEXT_0, PVNO) || !smallField(h, p + 5, end, CONTEXT_0 + 1, msgType)) return -1;
  return p + 10;
}

/**
 * The error-code of a KRB-ERROR of `total` bytes at h[o] (`avail` of them kept), -1 when
 * the bytes are not one or its code lies past them. Its fields before the code (ctime,
 * cusec, stime, susec) are passed over by their lengths, in their order.
 */
export function krbErrorCode(h: Uint8Array, o: number, total: number, avail: number): number {
  const end = o + avail;
  let p = opening(h, o, end, total, KRB_ERROR_TAG, MSG_KRB_ERROR);
  if (p < 0) return -1;
  let last = CONTEXT_0 + 1;
  while (p < end) {
    const tag = h[p]!;
    if (tag <= last || tag > ERROR_CODE) return -1; // out of order, or error-code missing
    const n = derLength(h, p + 1, end);
    if (n < 0) return -1;
    if (tag === ERROR_CODE) {
      // INTEGER of 1-4 bytes (Int32, two's complement)
      const q = past;
      if (n < 3 || n > 6 || q + n > end || h[q] !== INTEGER || h[q + 1] !== n - 2) return -1;
      let v = h[q + 2]! & 0x80 ? -1 : 0;
      for (let k = 2; k < n; k++) v = (v << 8) | h[q + k]!;
      return v;
    }
    last = tag;
    p = past + n;
  }
  return -1;
}

/** An AS-REP of `total` bytes at h[o]. */
export function isAsRep(h: Uint8Array, o: number, total: number, avail: number): boolean {
  return opening(h, o, o + avail, total, AS_REP_TAG, MSG_AS_REP) >= 0;
}

/**
 * A KDC's answer at h[o] (`len` payload bytes, `headBytes` kept) as a login's Reply; `tcp`:
 * it starts with the record mark (a big-endian length, its top bit reserved as 0), which
 * must give the message's length; a datagram is the message.
 */
export function kerberosReply(h: Uint8Array, o: number, len: number, headBytes: number, tcp: boolean): number {
  let avail = len < headBytes ? len : headBytes;
  let total = len;
  if (tcp) {
    if (avail < 6 || h[o]! & 0x80) return Reply.NONE;
    total = ((h[o]! << 24) | (h[o + 1]! << 16) | (h[o + 2]! << 8) | h[o + 3]!) >>> 0;
    o += 4;
    avail -= 4;
    if (total < len - 4) return Reply.NONE; // the mark counts every byte of the message
  }
  const first = h[o];
  if (first === AS_REP_TAG) return isAsRep(h, o, total, avail) ? Reply.SUCCESS : Reply.NONE;
  if (first !== KRB_ERROR_TAG) return Reply.NONE;
  const code = krbErrorCode(h, o, total, avail);
  if (code === KrbError.PREAUTH_FAILED) return Reply.FAILURE;
  if (code === KrbError.C_PRINCIPAL_UNKNOWN || code === KrbError.CLIENT_REVOKED) return Reply.DENIED;
  return Reply.NONE;
}

/** A TCP server's first payload is a KDC's answer (its record mark and message agree): greetingService's test. */
export function isKerberosTcpAnswer(h: Uint8Array, o: number, len: number, headBytes: number): boolean {
  const avail = len < headBytes ? len : headBytes;
  if (avail < 16 || h[o]! & 0x80) return false;
  const total = ((h[o]! << 24) | (h[o + 1]! << 16) | (h[o + 2]! << 8) | h[o + 3]!) >>> 0;
  if (total < len - 4) return false;
  const t = h[o + 4];
  if (t === KRB_ERROR_TAG) return opening(h, o + 4, o + avail, total, KRB_ERROR_TAG, MSG_KRB_ERROR) >= 0;
  if (t === AS_REP_TAG) return isAsRep(h, o + 4, total, avail - 4);
  return t === 0x6d && opening(h, o + 4, o + avail, total, 0x6d, 13) >= 0; // TGS-REP [APPLICATION 13]
}
