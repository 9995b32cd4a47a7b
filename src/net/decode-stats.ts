// Why the decoder stopped on a packet. Every decoded packet ends with exactly one status,
// so the counts in DecodeStats always add up to the packets seen.

/** Status names in code order; the code is the index (stored in PacketBatch.status). */
export const DECODE_STATUS_NAMES = [
  'ok',
  // Well-formed, but nothing we decode further (flag UNSUPPORTED).
  'unknown_linktype',
  'unsupported_ethertype',
  'unsupported_family',
  'unsupported_arp',
  // PPPoE discovery (RFC 2516 §5) and PPP's own control protocols (LCP, IPCP, CHAP...; RFC
  // 1661 §2): a link's signalling, not IP
  'pppoe_discovery',
  'unsupported_ppp_protocol',
  // An MPLS payload that is no IP and no Ethernet: a pseudowire's associated channel (RFC 4385 §3)
  'unsupported_mpls_payload',
  // Truncated or inconsistent (flag MALFORMED).
  'truncated_ethernet',
  'truncated_sll',
  'truncated_sll2',
  'truncated_null',
  'truncated_vlan',
  'too_many_vlan_tags',
  'truncated_mpls',
  'truncated_pppoe',
  'bad_pppoe_header',
  'truncated_ppp',
  'truncated_hdlc',
  'bad_hdlc_address',
  'too_many_encapsulations',
  'truncated_nflog',
  'bad_nflog_tlv',
  'truncated_arp',
  'bad_ip_version',
  'truncated_ipv4',
  'bad_ipv4_version',
  'bad_ipv4_header_length',
  'bad_ipv4_total_length',
  'bad_ipv4_fragment',
  'truncated_ipv6',
  'bad_ipv6_version',
  'bad_ipv6_payload_length',
  'truncated_ipv6_ext',
  'bad_ipv6_ext_length',
  'too_many_ipv6_ext',
  'truncated_tcp',
  'bad_tcp_header_length',
  'bad_tcp_options',
  'truncated_udp',
  'bad_udp_length',
  'truncated_icmp',
  'bad_icmp_length',
  'truncated_icmpv6',
  'bad_icmpv6_length',
  // A decoder bug caught by its safety net; the fuzz test asserts this stays 0.
  'internal_error',
] as const;

export type DecodeStatusName = (typeof DECODE_STATUS_NAMES)[number];

/** Status codes by name, e.g. DecodeStatus.truncated_tcp. */
export const DecodeStatus = Object.fromEntries(DECODE_STATUS_NAMES.map((n, i) => [n, i])) as {
  readonly [K in DecodeStatusName]: number;
};

/** Codes below this (and above ok) are "unsupported"; from it on, "malformed". */
export const FIRST_MALFORMED_STATUS = DecodeStatus.truncated_ethernet;

export function isMalformedStatus(code: number): boolean {
  return code >= FIRST_MALFORMED_STATUS;
}

export function decodeStatusName(code: number): DecodeStatusName | 'invalid' {
  return DECODE_STATUS_NAMES[code] ?? 'invalid';
}

export interface DecodeStatsSnapshot {
  packets: number;
  ok: number;
  unsupported: number;
  malformed: number;
  /** Frames read from inside a mirror tunnel (present when any was). */
  tunnelled?: number;
  /** Frames read under an MPLS label stack (present when any was). */
  mpls?: number;
  /** Frames read in a PPPoE session (present when any was). */
  pppoe?: number;
  /** Non-zero counts by status name, ok excluded. */
  byReason: Partial<Record<DecodeStatusName, number>>;
}

export class DecodeStats {
  /** Packets per status code (float64: never wraps on long runs). */
  readonly counts = new Float64Array(DECODE_STATUS_NAMES.length);
  /** Of those, frames read from inside a mirror tunnel (VXLAN, Geneve, ERSPAN: decode.ts). */
  tunnelled = 0;
  /** Frames whose decode went under an MPLS label stack (RFC 3032; decode.ts), whatever their status. */
  mpls = 0;
  /** Frames whose decode went into a PPPoE session (RFC 2516; decode.ts), whatever their status. */
  pppoe = 0;

  get packets(): number {
    let n = 0;
    for (let k = 0; k < this.counts.length; k++) n += this.counts[k];
    return n;
  }

  get ok(): number {
    return this.counts[0];
  }

  get unsupported(): number {
    let n = 0;
    for (let k = 1; k < FIRST_MALFORMED_STATUS; k++) n += this.counts[k];
    return n;
  }

  get malformed(): number {
    let n = 0;
    for (let k = FIRST_MALFORMED_STATUS; k < this.counts.length; k++) n += this.counts[k];
    return n;
  }

  count(name: DecodeStatusName): number {
    return this.counts[DecodeStatus[name]];
  }

  /** Add another stats object's counts into this one (e.g. per-shard totals). */
  merge(other: DecodeStats): void {
    for (let k = 0; k < this.counts.length; k++) this.counts[k] += other.counts[k];
    this.tunnelled += other.tunnelled;
    this.mpls += other.mpls;
    this.pppoe += other.pppoe;
  }

  reset(): void {
    this.counts.fill(0);
    this.tunnelled = 0;
    this.mpls = 0;
    this.pppoe = 0;
  }

  toJSON(): DecodeStatsSnapshot {
    const byReason: Partial<Record<DecodeStatusName, number>> = {};
    for (let k = 1; k < this.counts.length; k++) {
      if (this.counts[k] !== 0) byReason[DECODE_STATUS_NAMES[k]] = this.counts[k];
    }
    return { packets: this.packets, ok: this.ok, unsupported: this.unsupported, malformed: this.malformed, ...(this.tunnelled ? { tunnelled: this.tunnelled } : {}), ...(this.mpls ? { mpls: this.mpls } : {}), ...(this.pppoe ? { pppoe: this.pppoe } : {}), byReason };
  }
}
