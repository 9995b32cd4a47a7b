// IP fragments after the first carry no transport header, so no ports to judge them by:
// they take the verdict of the last first fragment (offset 0, More Fragments set) from the
// same source to the same destination. A datagram's fragments leave its sender back to
// back (RFC 791 §3.2, RFC 8200 §4.5) and one source's packets all reach the same shard, so
// the last first fragment of that pair is almost always their own. A pair whose first
// fragment was not seen (lost, reordered, never sent) has no verdict: its fragments count.
//
// A direct-mapped table of `size` slots keyed by a hash of both addresses (a 32-bit tag
// checks the pair; a collision only makes a fragment count), no allocation per packet.

import { PacketFlags, hashAddress16, type PacketBatch } from '../../net/packet-batch.ts';
import { mix32 } from './hash.ts';

export class FragmentVerdicts {
  private readonly tags: Int32Array;
  /** 0: no verdict; 1: counted; 2: not counted. */
  private readonly verdicts: Uint8Array;
  private readonly mask: number;

  constructor(size = 4096) {
    let n = 16;
    while (n < size) n *= 2;
    this.tags = new Int32Array(n);
    this.verdicts = new Uint8Array(n);
    this.mask = n - 1;
  }

  /** Note whether the first fragment at row i was counted. */
  mark(batch: PacketBatch, i: number, counted: boolean): void {
    const h = pairHash(batch, i);
    const s = h & this.mask;
    this.tags[s] = h;
    this.verdicts[s] = counted ? 1 : 2;
  }

  /** True only when the last first fragment of row i's pair was seen and counted. */
  marked(batch: PacketBatch, i: number): boolean {
    const h = pairHash(batch, i);
    const s = h & this.mask;
    return this.tags[s] === h && this.verdicts[s] === 1;
  }

  /** False when the last first fragment of row i's pair was not counted; true otherwise (also when none was seen). */
  counts(batch: PacketBatch, i: number): boolean {
    const h = pairHash(batch, i);
    const s = h & this.mask;
    return this.tags[s] !== h || this.verdicts[s] !== 2;
  }
}

/** A hash of the row's (source, destination): from the IPv4 words directly, from the 16 address bytes for IPv6. */
function pairHash(batch: PacketBatch, i: number): number {
  if (batch.flags[i] & PacketFlags.IPV6) return mix32(hashAddress16(batch.src, i * 16) ^ Math.imul(hashAddress16(batch.dst, i * 16), 0x9e3779b1)) | 0;
  return mix32(mix32(batch.src4[i] | 0) ^ Math.imul(batch.dst4[i] | 0, 0x9e3779b1)) | 0;
}
