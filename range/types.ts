// Shapes shared by the range's modules.

import type { RangeLab } from './lab.ts';
import type { Services } from './services.ts';

export const SYSTEMS = ['autoimmune', 'fail2ban', 'crowdsec'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export type Expect = 'ban' | 'alert' | 'nothing';

export interface SystemContext {
  lab: RangeLab;
  /** This run's own dir: configs, state, logs. */
  runDir: string;
  services: Services;
  /** BPF of the prober's packets to leave out of a capture (prober.ts). */
  probeFilter: string;
}

export interface Verdict {
  /** Every address the system has banned by the end of the run. */
  banned: string[];
  /** Alerts it raised: source, target and type (empty for systems without alerts). */
  alerts: { source: string; target: string; type: string }[];
}

export interface RunningSystem {
  verdict(): Promise<Verdict>;
  /** Stops the daemons; leaves the firewall to the runner (which empties it). */
  stop(): Promise<void>;
}

export interface DefenceSystem {
  name: SystemName;
  start(ctx: SystemContext): Promise<RunningSystem>;
}
