// `autoimmune eval`: precision, recall and time to detection of bans on labelled captures.

import { statSync } from 'node:fs';
import { loadConfig } from '../config/load-config.ts';
import { UsageError } from '../errors.ts';
import { evaluate } from '../eval/harness.ts';
import { readLabels } from '../eval/labels.ts';
import { openConfiguredGeo } from '../geo/from-config.ts';
import { parse } from './args.ts';

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
