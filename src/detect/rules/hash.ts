// Small integer hashes for the rule tables and sketches (no allocation).

/** murmur3's 32-bit finaliser, as an int32: every input bit reaches every output bit. */
export function mix32(v: number): number {
  v = Math.imul(v ^ (v >>> 16), 0x85ebca6b);
  v = Math.imul(v ^ (v >>> 13), 0xc2b2ae35);
  return v ^ (v >>> 16);
}

/** FNV-1a over UTF-16 units, as an int32 (for IPv6 address texts, which are short). */
export function hashText(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
