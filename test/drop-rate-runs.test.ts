// bench/node/drop-rate-runs.ts: several drop-rate runs in one view; ratios only within a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarise } from '../bench/node/drop-rate-runs.ts';

// (median: the upper middle of an even count, as bench/report.ts's)
const P = 'firewall_drop_pps_per_core_xdp_frames_live_';

test('medians over runs, ratios to the same run\'s nftables line, missing lines named', () => {
  const runs = [
    [{ name: `${P}xdp_native`, value: 4e6, cpu_ns_per_packet: 250 }, { name: `${P}nftables`, value: 1e6, cpu_ns_per_packet: 1000 }],
    [{ name: `${P}xdp_native`, value: 2e6, cpu_ns_per_packet: 500 }, { name: `${P}nftables`, value: 2e6, cpu_ns_per_packet: 500 }],
    [{ name: `${P}xdp_native`, value: null, missing: 'no rate: the generator exited with 1' }, { name: `${P}nftables`, value: 1.5e6, cpu_ns_per_packet: 667 }],
  ];
  const [xdp, nft] = summarise(runs);
  assert.deepEqual(xdp, { name: `${P}xdp_native`, runs: 3, measured: 2, ns_per_packet_median: 500, ns_per_packet: [250, 500], ratio_to_nftables_median: 4, ratio_to_nftables: [4, 1] });
  assert.equal(nft!.ns_per_packet_median, 667);
  assert.equal(nft!.ratio_to_nftables, undefined);
  const none = summarise([[{ name: `${P}xdp_min`, value: null, missing: 'no rate: x' }]]);
  assert.deepEqual(none, [{ name: `${P}xdp_min`, runs: 1, measured: 0, missing: ['no rate: x'] }]);
});
