// A per-flow summary as the flow meter (flow-meter.ts) emits it when a flow ends: one
// direction of a 5-tuple, as NetFlow/IPFIX meter it. Detector shards are keyed by source, so
// a flow's packets all reach one shard and a direction is metered whole there; the replies
// are the reverse flow, metered by the shard of their source.

import type { AttemptSummary } from './attempt-aggregates.ts';

/** Why a flow record was emitted. */
export type FlowEnd =
  /** TCP FIN or RST seen from this side. */
  | 'fin'
  | 'rst'
  /** No packet for the idle timeout. */
  | 'idle'
  /** Open longer than the active timeout: a long flow is reported in parts. */
  | 'active'
  /** The meter was full and this was the least recently seen flow. */
  | 'evicted'
  /** The meter was stopped (actor stop or restart): what was open is reported as it was. */
  | 'flush'
  /** An aggregate of unverified attempts (attempt-aggregates.ts) whose time slot ended. */
  | 'slot';

export interface FlowRecord {
  source: string;
  target: string;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …). */
  protocol: number;
  /** Ports for TCP/UDP/SCTP; for ICMP and ICMPv6 sport 0 and dport type·256 + code (as NetFlow does). */
  sport: number;
  dport: number;
  /**
   * The port the flow is counted under (its service) when it is not `dport`: an unanswered
   * TCP reply's source port (FlowMeter: a SYN-ACK never acknowledged or a reset, from an
   * unverified source), the service that replied. Absent: dport.
   */
  servicePort?: number;
  /** Capture time of the first and last packet, seconds. */
  firstTs: number;
  lastTs: number;
  packets: number;
  /** Sum of the packets' wire lengths. */
  bytes: number;
  /** OR of the TCP flags seen (0 for other protocols). */
  tcpFlags: number;
  /** Packets the anomaly model scored over its threshold (0 with no model). */
  anomalous: number;
  /** Packets the model scored at all. */
  scored: number;
  /** The source's GeoIP, from the flow's first packet that had one. */
  country: string | null;
  asn: number | null;
  end: FlowEnd;
  /**
   * Present on an aggregate of unverified attempts (attempt-aggregates.ts): the record sums
   * `attempts.flows` flows; its source is '*' unless they all came from one.
   */
  attempts?: AttemptSummary;
}
