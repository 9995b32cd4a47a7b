// Detection and response benchmark: capture-to-decision latency at 20k pps through the
// whole node (the event loop's delay in the same run as the floor), the anomaly model's
// batched scoring rate and backend, the flow meter's rate (the flow features' in the same run
// as its reference), and the firewall backends' batched transactions (as root, in a namespace
// of their own; the tool's no-op command is their reference).
import { report } from './report.ts';
import { benchFirewall } from './detect/firewall.ts';
import { benchFlowMeter } from './detect/flow-meter.ts';
import { benchLatency } from './detect/latency.ts';
import { benchModel } from './detect/model.ts';

export async function run(): Promise<void> {
  const l = await benchLatency(20_000, 10);
  const common = { pps: l.pps, achieved_pps: l.achievedPps, decisions: l.decisions, attackers: l.attackers, dropped_batches: l.droppedBatches, model_backend: l.backend };
  report({ name: 'decision_latency_p50_ms', value: l.p50, unit: 'ms', ...common, note: 'packet capture timestamp → ban decision, whole node with the model in force (goal p99 < 5)' });
  report({ name: 'decision_latency_p99_ms', value: l.p99, unit: 'ms', ...common, max_ms: l.max });
  report({ name: 'event_loop_delay_p99_ms', value: l.loopDelayP99, unit: 'ms', p50_ms: l.loopDelayP50, note: 'reference: the event loop\'s own delay over the same run' });
  report({ name: 'decision_latency_ratio_to_loop_delay_p99', value: Math.round((l.p99 / Math.max(l.loopDelayP99, 1e-3)) * 100) / 100, unit: 'ratio' });
  for (const r of await benchModel()) report(r);
  for (const r of benchFlowMeter()) report(r);
  if (process.getuid?.() === 0) for (const r of await benchFirewall()) report(r);
  else process.stderr.write('bench detect: not root, firewall backends skipped\n');
}
