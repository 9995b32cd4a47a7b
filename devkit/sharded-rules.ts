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
import { batchOf, type Pkt } from './packets.ts';

export function runSharded(config: RulesConfig, batches: Pkt[][]): { out: Alert[]; victims: VictimRules; shards: SourceRules[] } {
  const verifier = new SessionVerifier();
  const shards = [new SourceRules(config), new SourceRules(config)];
  const tallies = [newVictimTally(), newVictimTally()];
  const victims = new VictimRules(config);
  const out: Alert[] = [];
  for (const pkts of batches) {
    const all = batchOf(pkts);
    verifier.mark(all);
    const parts = [new PacketBatch(all.length), new PacketBatch(all.length)];
    for (let i = 0; i < all.length; i++) parts[all.srcHash(i) % 2]!.appendRow(all, i);
    for (let k = 0; k < 2; k++) {
      clearVictimTally(tallies[k]!);
      shards[k]!.scan(parts[k]!, out, tallies[k]);
      victims.add(tallies[k]!, out);
    }
  }
  return { out, victims, shards };
}
