#!/usr/bin/env bash
# Live lab A/B: arms of bench/node/live-lab.ts run in turn, N rounds, the order reversed every
# other round; each arm is LABEL=ARGS, ARGS passed to live-lab as words (no spaces inside one:
# JSON without spaces). As root; run from the checkout whose lab is used (--root runs another
# checkout's compiled node under it).
# usage: STATE=DIR N=5 [RATES=10000,30000,100000,200000] bench/node/live-ab.sh \
#          'base=--root /work/wt-base18 --set {"pipeline":{"nice":-10}}' 'new=--set {"pipeline":{"nice":-10}}'
# prints one JSON line per arm and rate (with the machine's 1-minute load when the run began),
# then per rate and arm the medians and (min–max) of p50, p99, loss, the main thread's wait
# for a core, the generator's rate and the load.
N=${N:-5}; RATES=${RATES:-10000,30000,100000,200000}
[ -n "$STATE" ] && [ -d "$STATE/models" ] || { echo "live-ab.sh: STATE must name a state dir with a promoted model (node --import tsx bench/node/train-state.ts DIR)" >&2; exit 2; }
[ $# -ge 1 ] || { echo "live-ab.sh: give arms as LABEL=ARGS" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(mktemp)
ARMS=("$@")
for i in $(seq 1 "$N"); do
  order=$(seq 0 $((${#ARMS[@]} - 1))); [ $((i % 2)) = 0 ] && order=$(echo "$order" | tac)
  for k in $order; do
    label=${ARMS[$k]%%=*}; args=${ARMS[$k]#*=}
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086
    (cd "$ROOT" && node --import tsx bench/node/live-lab.ts --state "$STATE" --no-tcpdump --rates "$RATES" $args 2>/dev/null) |
      node -e '
        const [label, i, load] = process.argv.slice(1);
        for (const l of require("fs").readFileSync(0, "utf8").trim().split("\n").filter(Boolean)) {
          const d = JSON.parse(l);
          if (!d.name.startsWith("node_live_decision_p99_ms_")) continue;
          console.log(JSON.stringify({ arm: label, round: Number(i), load: Number(load), rate: d.target_pps, achieved_pps: d.achieved_pps, p50_ms: d.p50_ms, p99_ms: d.value, loss: (d.sent - Math.min(d.captured, d.sent)) / d.sent, main_thread_wait_ms_per_s: d.main_thread_wait_ms_per_s, gc_max_ms: d.gc_max_ms, late_packets: d.late_packets, decisions: d.decisions }));
        }' "$label" "$i" "$load" | tee -a "$OUT"
  done
done
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const med = (a) => { a = [...a].sort((x, y) => x - y); return a.length ? a[Math.floor(a.length / 2)] : null; };
const spread = (rs, k) => { const v = rs.map((r) => r[k]).filter((x) => x !== null && x >= 0); return v.length ? { median: med(v), min: Math.min(...v), max: Math.max(...v) } : null; };
for (const rate of [...new Set(rows.map((r) => r.rate))]) for (const arm of [...new Set(rows.map((r) => r.arm))]) {
  const rs = rows.filter((r) => r.rate === rate && r.arm === arm);
  if (rs.length) console.log(JSON.stringify({ summary: true, rate, arm, runs: rs.length, p50_ms: spread(rs, "p50_ms"), p99_ms: spread(rs, "p99_ms"), loss: spread(rs, "loss"), main_thread_wait_ms_per_s: spread(rs, "main_thread_wait_ms_per_s"), achieved_pps: spread(rs, "achieved_pps"), load: spread(rs, "load") }));
}' "$OUT"
rm -f "$OUT"
