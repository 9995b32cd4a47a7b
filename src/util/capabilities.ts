// Whether this process holds a Linux capability in its effective set (/proc/self/status's
// CapEff), so a node run as a service user with CAP_NET_ADMIN / CAP_NET_RAW (and not as root)
// is known to be able to change the packet filter and capture.

import { readFileSync } from 'node:fs';

export const CAP_NET_ADMIN = 12;
export const CAP_NET_RAW = 13;

export function hasCapability(bit: number, status?: string): boolean {
  let text = status;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return false;
    }
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(bit)) & 1n) === 1n;
}
