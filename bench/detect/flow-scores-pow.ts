// What a flow score's decay factor costs: Math.pow(2, −λ·Δt) (FlowScores) against
// Math.exp(−λ·ln2·Δt) (the flow features' decayFactor), over Δt like a capture's gaps, and
// the same pows through FlowScores' two-entry memo on the shared captures' repeat rate.
//   node --import tsx bench/detect/flow-scores-pow.ts
// One JSON line: ns per call of each, medians of 7 rounds.
const N = 2_000_000;
const dts = new Float64Array(4096);
let seed = 1;
for (let i = 0; i < dts.length; i++) dts[i] = ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 3;
const lambda = 0.01;
const k = -lambda * Math.LN2;

function pow(): number {
  let s = 0;
  for (let i = 0; i < N; i++) s += Math.pow(2, -lambda * dts[i & 4095]!);
  return s;
}
function exp(): number {
  let s = 0;
  for (let i = 0; i < N; i++) s += Math.exp(k * dts[i & 4095]!);
  return s;
}
function timed(f: () => number): number {
  const t = process.hrtime.bigint();
  if (f() === -1) throw new Error('unreachable');
  return Number(process.hrtime.bigint() - t) / N;
}
const rounds: number[][] = [];
for (let r = 0; r < 8; r++) rounds.push([timed(pow), timed(exp)]);
const med = (j: number) => {
  const v = rounds.slice(1).map((x) => x[j]!).sort((a, b) => a - b);
  return Math.round(v[v.length >> 1]! * 10) / 10;
};
console.log(JSON.stringify({ name: 'flow_scores_decay_ns', pow_ns: med(0), exp_ns: med(1) }));
