// The rules as a node runs them (devkit/sharded-rules.ts: the session verifier, two source-rules
// shards, the victim rules) over every crafted class file, or the files given, as recorded or
// rewritten as a lossy or late sensor would have seen them (devkit/capture-rewrite.ts). One TSV
// line a file, so two checkouts' outputs can be diffed (run it from each):
//
//   node --import tsx scripts/rules-all.ts [--rewrite none|quarter|tenth|half|nosynack] [FILE...]
//
// Columns: file, class, rewrite, attackers flagged/attackers, `FALSE:n:addresses` for blockable
// alerts on sources that are not attackers (a false ban) or `-`, the first attacker alert's
// type/service. Flood files show 0/n by design: a flood is scored by its alert on the victim.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runShardedCapture } from '../devkit/sharded-rules.ts';
import { lateStart, readFrames, withoutSynAcks, writePcap } from '../devkit/capture-rewrite.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';

const CLASSES = fileURLToPath(new URL('../test/fixtures/captures/classes/', import.meta.url));
const CUTS: Record<string, number> = { tenth: 0.1, quarter: 0.25, half: 0.5 };
const REWRITES = ['none', 'nosynack', ...Object.keys(CUTS)];

const HELP = `Usage: node --import tsx scripts/rules-all.ts [--rewrite ${REWRITES.join('|')}] [FILE...]

Runs the rules as a node runs them over every class file (test/fixtures/captures/classes,
labelled in its labels.tsv) or the FILEs given, and prints one TSV line a file: name, class,
rewrite, attackers flagged/attackers, FALSE:n:addresses (non-attackers flagged blockable) or -,
the first attacker alert's type/service. Rewrites: none; nosynack (every SYN-ACK dropped);
tenth, quarter, half (that share of the capture's time cut from its start).`;

function main(argv: string[]): void {
  let mode = 'none';
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') { console.log(HELP); return; }
    if (a === '--rewrite') {
      mode = argv[++i] ?? '';
      if (!REWRITES.includes(mode)) throw new Error(`rules-all: --rewrite must be one of ${REWRITES.join(', ')}, got "${mode}"`);
    } else files.push(a);
  }
  const labels = new Map<string, { cls: string; attackers: string[] }>();
  for (const line of readFileSync(join(CLASSES, 'labels.tsv'), 'utf8').split('\n').slice(1)) {
    const [file, cls, attackers] = line.split('\t');
    if (file) labels.set(file, { cls: cls ?? '?', attackers: (attackers ?? '').split(/[ ,]+/).filter((x) => x !== '' && x !== '-') });
  }
  if (files.length === 0) for (const f of labels.keys()) files.push(join(CLASSES, f));
  const dir = mkdtempSync(join(tmpdir(), 'rules-all-'));
  try {
    for (const f of files) {
      const name = basename(f);
      const label = labels.get(name) ?? { cls: '?', attackers: [] };
      let path = f;
      if (mode !== 'none') {
        const frames = readFrames(f);
        const cut = CUTS[mode];
        const rewritten = cut === undefined ? withoutSynAcks(frames) : lateStart(frames, (frames.at(-1)!.ts - frames[0]!.ts) * cut);
        path = join(dir, name);
        writePcap(path, rewritten);
      }
      const alerts = runShardedCapture(DEFAULT_RULES, path).out.filter((a) => a.blockable);
      const flagged = new Set(alerts.map((a) => a.source));
      const hit = label.attackers.filter((a) => flagged.has(a));
      const wrong = [...flagged].filter((s) => !label.attackers.includes(s));
      const first = alerts.find((a) => label.attackers.includes(a.source));
      const service = first?.evidence.service;
      console.log([name, label.cls, mode, `${hit.length}/${label.attackers.length}`,
        wrong.length > 0 ? `FALSE:${wrong.length}:${wrong.slice(0, 3).join(',')}` : '-',
        first ? `${first.type}/${typeof service === 'string' ? service : ''}` : ''].join('\t'));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(2);
}
