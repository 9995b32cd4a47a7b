// The rules as a node runs them, for tests: a session verifier marks each batch (as the
// capture does), two SourceRules shards take their share by source hash, and one VictimRules
// adds up the shards' victim tallies.

import type { Alert } from '../src/detect/alert.ts';
import type { RulesConfig } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';
import { VictimRules } from '../src/detect/rules/victim-rules.ts';
import { clearVictimTally, newVictimTally } from '../src/detect/rules/victim-tally.ts';
import { SessionVerifier } from '../src/detect/session-verifier.ts';
import { PacketBatch } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { batchOf, type Pkt } from './packets.ts';

export class ShardedRules {
  readonly verifier = new SessionVerifier();
  readonly shards: SourceRules[];
  readonly victims: VictimRules;
  readonly out: Alert[] = [];
  private readonly tallies = [newVictimTally(), newVictimTally()];

  constructor(config: RulesConfig) {
    this.shards = [new SourceRules(config), new SourceRules(config)];
    this.victims = new VictimRules(config);
  }

  /** One batch, marked here (the batch's marks change). */
  feed(all: PacketBatch): void {
    this.verifier.mark(all);
    const parts = [new PacketBatch(all.length), new PacketBatch(all.length)];
    for (let i = 0; i < all.length; i++) parts[all.srcHash(i) % 2]!.appendRow(all, i);
    for (let k = 0; k < 2; k++) {
      clearVictimTally(this.tallies[k]!);
      this.shards[k]!.scan(parts[k]!, this.out, this.tallies[k]);
      this.victims.add(this.tallies[k]!, this.out);
    }
  }
}

export function runSharded(config: RulesConfig, batches: Pkt[][]): { out: Alert[]; victims: VictimRules; shards: SourceRules[] } {
  const r = new ShardedRules(config);
  for (const pkts of batches) r.feed(batchOf(pkts));
  return r;
}

/** The same over a capture file, batch by batch as its reader gives them. */
export function runShardedCapture(config: RulesConfig, file: string): { out: Alert[]; victims: VictimRules; shards: SourceRules[] } {
  const r = new ShardedRules(config);
  readCaptureSync(file, (b) => r.feed(b));
  return r;
}
