// What a detector says: an alert names a source, a target, a type, a risk score in [0, 1]
// and the evidence behind it. Alerts are plain data (they cross the transport and are
// stored); the responder turns them into decisions by policy.

export const ALERT_TYPES = [
  'port-scan-vertical',
  'port-scan-horizontal',
  'scan-probe',
  'ssh-brute-force',
  'brute-force',
  'http-probing',
  'http-flood',
  'slow-http',
  'connection-flood',
  'syn-flood',
  'udp-amplification',
  'udp-flood',
  'tcp-reflection',
  'tcp-flood',
  'icmp-flood',
  'ip-flood',
  'anomaly',
] as const;

export type AlertType = (typeof ALERT_TYPES)[number];

/** Alert types a victim-keyed flood rule raises (src/detect/rules/victim-rules.ts, blockable false). */
export const FLOOD_ALERT_TYPES: readonly AlertType[] = ['syn-flood', 'udp-amplification', 'udp-flood', 'tcp-reflection', 'tcp-flood', 'icmp-flood', 'ip-flood'];

/** Whether `type` (any text: stored rows carry any type) is one of FLOOD_ALERT_TYPES. */
export function isFloodAlertType(type: string): boolean {
  return (FLOOD_ALERT_TYPES as readonly string[]).includes(type);
}

/**
 * Whether the evidence behind an alert could have been forged (src/detect/session-verifier.ts):
 * 'established' when it rests on connections whose handshake the source completed (or data in
 * them), which a sender forging the address cannot do; 'forgeable' when it rests on single
 * packets or half-open SYNs, which can carry any source address.
 */
export type EvidenceGrade = 'established' | 'forgeable';

export interface Alert {
  type: AlertType;
  /** Source address (text). For a flood of spoofed sources or reflectors: the top one seen, for the record. */
  source: string;
  /** Target address (text), or '*' when there is no single target (a horizontal scan). */
  target: string;
  /** Risk in [0, 1]. */
  score: number;
  /** Capture time (seconds since the epoch) of the packet that made the alert. */
  ts: number;
  /** Capture time of the first packet counted in the evidence. */
  firstTs: number;
  /**
   * Which detector: 'rules', or 'model' for the anomaly model in force, whatever its kind
   * (density or KitNET; the version is in the evidence). Stores from before this name hold
   * 'kitnet' for the model; they are renamed when opened (sql-backend.ts renameModelDetector).
   */
  detector: 'rules' | 'model';
  /**
   * Whether blocking `source` would help. False for victim-keyed floods: their sources are
   * spoofed (one or two packets each) or abused reflectors, so the alert names the victim
   * and blocking the sources is left to upstream mitigation.
   */
  blockable: boolean;
  /** Counts, window and thresholds that made the alert: numbers or short strings. */
  evidence: Record<string, number | string>;
  /** Whether that evidence could have been forged; absent: not graded (taken as established). */
  grade?: EvidenceGrade;
  /** The source has had real sessions here (a verified handshake within the verifier's memory). */
  sourceSeen?: boolean;
  /** GeoIP of the source, when the node has the databases. */
  geo?: { country: string | null; asn: number | null; asnOrg: string | null; latitude?: number | null; longitude?: number | null };
  /** The flow-feature vector of the source's packet that made the alert (flow-features.ts), for "events like this one". */
  features?: number[];
  /** When the node's response desk took it (wall clock, ms): what the dashboard shows; `ts` stays the capture time. */
  seenAt?: number;
}
