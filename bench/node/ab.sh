#!/usr/bin/env bash
# Whole-node A/B: alternated pairs of compiled node-run (2 actor shards) on the shared captures.
# usage: STATE=DIR N=5 WARM=0 bench/node/ab.sh BASE_CHECKOUT NEW_CHECKOUT   (both built: node scripts/build.mjs --if-stale)
# STATE: a state dir with a promoted model (bench/node/train-state.ts DIR); each run gets a copy.
# BASE and NEW are checkouts, each built (node scripts/build.mjs --if-stale).
# WARM=1: one pass read first and not counted, then PASSES (default 2) counted (warm); else PASSES cold.
# runs each checkout as the product starts node: its own NODE_FLAGS and NODE_ENV_VARS (src/node/process-flags.ts, compiled)
# prints one JSON line a run with "who", then medians of pps, main-thread cpu µs/packet, rss.
# B_FLAGS: node flags added to NEW's runs only, B_ARGS: node-run arguments added to them (e.g.
# B_FLAGS=--maglev, or B_ARGS='--set {"pipeline":{"warmUpPackets":0}}'): to measure a flag or a
# setting against the same checkout (BASE and NEW may then be the same path; "who" names both).
# AB_LOG=FILE: every run's full line kept in FILE; `node bench/node/ab-pairs.mjs FILE` prints the per-pair ratios.
N=${N:-5}; A=$1; B=$2; P=$(cd "$(dirname "$0")/../../../shared/data/pcap" && pwd)
[ -n "$STATE" ] && [ -d "$STATE/models" ] || { echo "ab.sh: STATE must name a state dir with a promoted model (make one: node --import tsx bench/node/train-state.ts DIR), got \"$STATE\"" >&2; exit 2; }
FILES=$(ls $P/D*.pcap* | sort)
PASSES=${PASSES:-2}
if [ "${WARM:-0}" = 1 ]; then EXTRA="--warmup 112205 --packets $(( (PASSES + 1) * 112205 ))"; else EXTRA="--packets $(( PASSES * 112205 ))"; fi
OUT=$(mktemp)
declare -A FLAGS ENVS
for who in $A $B; do
  FLAGS[$who]=$(cd $who && node -e "import('./dist/src/node/process-flags.js').then((m) => console.log(m.NODE_FLAGS.join(' ')))")
  ENVS[$who]=$(cd $who && node -e "import('./dist/src/node/process-flags.js').then((m) => console.log(m.NODE_ENV_WORDS.join(' ')))")
  echo "{\"who\":\"$who\",\"flags\":\"${FLAGS[$who]}\",\"env\":\"${ENVS[$who]}\"}"
done
for i in $(seq 1 $N); do
  for who in $( [ $((i % 2)) = 1 ] && echo "A B" || echo "B A" ); do
    S=$(mktemp -d); cp -r "$STATE"/. $S/
    if [ "$who" = B ]; then dir=$B; flags=$B_FLAGS; args=$B_ARGS; else dir=$A; flags=; args=; fi
    line=$(cd $dir && env ${ENVS[$dir]} node ${FLAGS[$dir]} $flags dist/bench/node/node-run.js --state $S --shards 2 $EXTRA ${args:+"${args%% *}" "${args#* }"} $FILES 2>/dev/null | tail -1)
    rm -rf $S
    label="$dir${flags:+ $flags}${args:+ $args}"
    echo "{\"who\":$(node -p 'JSON.stringify(process.argv[1])' "$label"),\"r\":$line}" | tee -a $OUT | cut -c1-200
  done
done
node -e '
const rows=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(l=>JSON.parse(l));
const med=a=>{a=[...a].sort((x,y)=>x-y);return a[Math.floor(a.length/2)]};
const span=a=>[Math.min(...a),Math.max(...a)];
for (const who of [...new Set(rows.map(r=>r.who))]) { const rs=rows.filter(r=>r.who===who).map(r=>r.r);
  console.log(JSON.stringify({who, runs:rs.length, pps:med(rs.map(r=>r.pps)), main_us:med(rs.map(r=>r.cpu_us_per_packet.main)), all_us:med(rs.map(r=>r.cpu_us_per_packet.all)), rss_peak_mb:med(rs.map(r=>r.rss_peak_run_mb)), vm_hwm_mb:med(rs.map(r=>r.vm_hwm_mb)), alloc_b:med(rs.map(r=>r.alloc_main_bytes_per_packet)), faults:med(rs.map(r=>r.page_faults)), spread:{pps:span(rs.map(r=>r.pps)), main_us:span(rs.map(r=>r.cpu_us_per_packet.main)), all_us:span(rs.map(r=>r.cpu_us_per_packet.all))}})); }
' $OUT
[ -n "$AB_LOG" ] && cp $OUT "$AB_LOG"   # AB_LOG=FILE: every run's full line kept there
rm -f $OUT
