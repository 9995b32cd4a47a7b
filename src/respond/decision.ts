// A decision of the responder (or of an operator): ban an address for a TTL, or lift a
// ban. Every decision is kept with its reason for the dashboard and the CLI.

export type DecisionAction = 'ban' | 'unban';

export interface Decision {
  /** Address or CIDR, normalised text (see respond/cidr.ts). */
  address: string;
  action: DecisionAction;
  /** Ban length in seconds (0 for unban). */
  ttl: number;
  reason: string;
  /** The alert type or model that asked for it, or 'operator' for a manual decision. */
  detector: string;
  /** Risk score of the alert behind it (1 for operator decisions). */
  score: number;
  /** Wall-clock time of the decision, ms since the epoch. */
  at: number;
  /** Capture time (seconds) of the packet whose alert led to it, when there is one. */
  captureTs?: number;
  /** How many bans this address has had within the offence memory (1 for the first). */
  offence?: number;
  /** What the alert's evidence rests on: 'established' (unforgeable) or 'forgeable'; 'operator' for manual decisions. */
  evidence?: 'established' | 'forgeable' | 'operator';
  /** An operator's forced ban of a forceable protected address. */
  forced?: boolean;
}
