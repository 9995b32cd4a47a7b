// Sums a sampled heap profile (node-run --heap-sample FILE, or any .heapprofile) by function:
// the bytes allocated in each (self), per packet when given the run's packet count, and the
// call paths that allocate most (innermost first, four frames).
//
//   node --import tsx bench/node/alloc-top.ts FILE.heapprofile [PACKETS] [LINES]

import { readFileSync } from 'node:fs';

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  callFrame: Frame;
  selfSize: number;
  children?: ProfileNode[];
}

const [file, packetsArg, linesArg] = process.argv.slice(2);
if (!file) throw new Error('usage: alloc-top FILE.heapprofile [PACKETS] [LINES]');
const per = Number(packetsArg ?? 1) || 1;
const lines = Number(linesArg ?? 30) || 30;
const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode }).head;

const name = (f: Frame) => `${f.functionName || '(anonymous)'} ${f.url.slice(f.url.lastIndexOf('/') + 1)}:${f.lineNumber + 1}`;
const bySelf = new Map<string, number>();
const byPath = new Map<string, number>();
let total = 0;
// depth-first with an explicit stack: a deep profile would overflow recursion
const stack: Array<{ node: ProfileNode; path: string[] }> = [{ node: head, path: [] }];
while (stack.length > 0) {
  const { node, path } = stack.pop()!;
  const here = [name(node.callFrame), ...path].slice(0, 4);
  if (node.selfSize > 0) {
    total += node.selfSize;
    bySelf.set(here[0]!, (bySelf.get(here[0]!) ?? 0) + node.selfSize);
    const key = here.join(' < ');
    byPath.set(key, (byPath.get(key) ?? 0) + node.selfSize);
  }
  for (const c of node.children ?? []) stack.push({ node: c, path: here });
}

const show = (m: Map<string, number>) => {
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, lines)) {
    process.stdout.write(`${(v / per).toFixed(1).padStart(9)} ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}\n`);
  }
};
process.stdout.write(`sampled bytes ${total}, per packet ${(total / per).toFixed(1)}\n-- by function (bytes per packet, share)\n`);
show(bySelf);
process.stdout.write('-- by call path\n');
show(byPath);
