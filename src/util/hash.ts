// Small integer hashes, allocation-free: murmur3's 32-bit finaliser and FNV-1a over text.
// One home for them: shard routing, the flow and rule tables and rendezvous placement all
// spread keys with the same finaliser.

/** murmur3's fmix32, as an int32: every input bit reaches every output bit (`>>> 0` for a uint32). */
export function mix32(v: number): number {
  v = Math.imul(v ^ (v >>> 16), 0x85ebca6b);
  v = Math.imul(v ^ (v >>> 13), 0xc2b2ae35);
  return v ^ (v >>> 16);
}

/** FNV-1a over UTF-16 units, as an int32 (short texts: IPv6 addresses, actor ids). */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
