// Per-pair ratios of an ab.sh run (AB_LOG=FILE): runs alternate A B, B A, ..., so pair i is runs 2i and 2i+1; prints B/A of CPU µs a packet (main, every thread) and packets/s, each pair and the medians.
// usage: node bench/node/ab-pairs.mjs FILE
import { readFileSync } from 'node:fs';
const rows=readFileSync(process.argv[2],'utf8').trim().split('\n').map(l=>JSON.parse(l));
const whos=[...new Set(rows.map(r=>r.who))]; const [A,B]=whos;
const out={main:[],all:[],pps:[]};
for(let i=0;i+1<rows.length;i+=2){const a=rows[i].who===A?rows[i]:rows[i+1], b=rows[i].who===B?rows[i]:rows[i+1];
 out.main.push(+(b.r.cpu_us_per_packet.main/a.r.cpu_us_per_packet.main).toFixed(3)); out.all.push(+(b.r.cpu_us_per_packet.all/a.r.cpu_us_per_packet.all).toFixed(3)); out.pps.push(+(b.r.pps/a.r.pps).toFixed(3));}
const med=a=>{a=[...a].sort((x,y)=>x-y);return a[Math.floor(a.length/2)]};
console.log(JSON.stringify({A,B,main_ratio_median:med(out.main),all_ratio_median:med(out.all),pps_ratio_median:med(out.pps),pairs:out, warm_up:[...new Set(rows.map(r=>r.who+': '+r.r.warm_up))]}));
