// `autoimmune eval`: precision, recall and time to detection of bans on labelled captures.

import { statSync } from 'node:fs';
import { loadConfig } from '../config/load-config.ts';
import { UsageError } from '../errors.ts';
import { evaluate } from '../eval/harness.ts';
import { readLabels } from '../eval/labels.ts';
import { openConfiguredGeo } from '../geo/from-config.ts';
import { parse } from './args.ts';

export const EVAL_HELP = `Usage: autoimmune eval --benign FILE [--benign FILE]... --attack FILE [--attack FILE]...
                       --attackers FILE [--config FILE] [--shards N]

Lays the captures back to back on one timeline (benign first, in the order given, then the
attacks), runs the whole node on it with the dry-run firewall, and prints JSON.

  --benign FILE     a capture with no attacker in it; repeat the flag for each file
  --attack FILE     a capture with attacks; repeat the flag for each file
  --attackers FILE  a labels.tsv (file, class, attackers, victims) or one address per line
  --config FILE     a JSON file laid over config/default.json
  --shards N        detector shards (default: pipeline.shards)

The report: bans' precision and recall per address, non-attackers banned; time to detection
per file and per class (first attacker packet to its ban; floods: to the first alert naming
the victim); for brute force, the attempts before the ban (failed logins read from the
servers' replies, and connections opened) per file and per class; the model's ROC AUC and
detection at 1 % false positives on the held-out benign packets.

Example (every shared capture):
  autoimmune eval --benign D01.pcap --benign D02.pcap --attack D09.pcap --attack D17.pcap \\
                  --attackers labels.tsv
`;

export async function cmdEval(args: string[]): Promise<number> {
  const { values } = parse(args, {
    benign: { type: 'string', multiple: true },
    attack: { type: 'string', multiple: true },
    attackers: { type: 'string' },
    config: { type: 'string' },
    shards: { type: 'string' },
  });
  const benign = (values.benign as string[] | undefined) ?? [];
  const attack = (values.attack as string[] | undefined) ?? [];
  if (benign.length === 0 || attack.length === 0 || !values.attackers) {
    throw new UsageError("eval needs --benign FILE (one or more), --attack FILE (one or more) and --attackers FILE (a labels.tsv or one address per line); repeat a flag for several files");
  }
  for (const f of [...benign, ...attack]) {
    try {
      if (!statSync(f).isFile()) throw new Error('not a regular file');
    } catch (err) {
      throw new UsageError(`cannot read capture ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const labels = readLabels(values.attackers as string);
  const overrides: Record<string, unknown> = {};
  if (values.shards !== undefined) {
    const n = Number(values.shards);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--shards must be an integer from 1 to 64, got ${JSON.stringify(values.shards)}`);
    overrides.pipeline = { shards: n };
  }
  const { config } = loadConfig(values.config as string | undefined, overrides as never);
  const geo = await openConfiguredGeo(config.geo);
  const report = await evaluate({ benign, attack, labels, config, geo, onProgress: (l) => process.stderr.write(`${l}\r`) });
  process.stderr.write('\n');
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}
