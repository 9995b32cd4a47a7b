// Ground truth for an evaluation: which addresses are attackers, and for flood captures
// (whose sources are spoofed or reflectors) which victims an alert should name. Read from a
// labels.tsv (columns file, class, attackers, victims; '-' for none, several separated by
// commas) or from a plain list of addresses, one per line ('#' starts a comment).

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.ts';

export interface FileLabel {
  file: string;
  class: string;
  attackers: string[];
  victims: string[];
  /** The note column ('' when none; absent in labels not read from a table). */
  note?: string;
}

export interface Labels {
  /** Per capture file (by base name), when the labels came as a table. */
  files: Map<string, FileLabel>;
  /** Attackers named without a file (plain list). */
  attackers: Set<string>;
}

const split = (cell: string | undefined): string[] => (!cell || cell === '-' ? [] : cell.split(',').map((s) => s.trim()).filter(Boolean));

export function parseLabels(text: string, source = 'labels'): Labels {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  const labels: Labels = { files: new Map(), attackers: new Set() };
  if (lines.length === 0) throw new UsageError(`${source} names no attackers: give a labels.tsv (file, class, attackers, victims) or one address per line`);
  const header = lines[0]!.split('\t');
  if (header.includes('attackers')) {
    const col = (name: string) => header.indexOf(name);
    for (const [k, line] of lines.slice(1).entries()) {
      const cells = line.split('\t');
      const file = cells[col('file')];
      if (!file) throw new UsageError(`${source} line ${k + 2}: no file name`);
      labels.files.set(basename(file), { file: basename(file), class: cells[col('class')] ?? '', attackers: split(cells[col('attackers')]), victims: split(cells[col('victims')]), note: cells[col('note')] ?? '' });
    }
    return labels;
  }
  for (const line of lines) {
    if (/\s/.test(line)) throw new UsageError(`${source}: ${JSON.stringify(line)} is not one address; give one address per line or a labels.tsv with a header`);
    labels.attackers.add(line);
  }
  return labels;
}

export function readLabels(file: string): Labels {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--attackers ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parseLabels(text, file);
}
