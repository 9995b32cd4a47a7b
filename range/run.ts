// One run: a scenario against one defence system, with fresh services and an empty firewall.
//   services up → the system up → tcpdump on the victim's eth0 → the prober answered (the
//   baseline) → the tool, to its end or its hard limit (killed early once its source is
//   blocked) → a tail for late bans → the system's verdict → everything stopped, the victim's
//   ruleset flushed.
// Time to block = the prober's first unanswered probe of the final silence − the source's
// first packet in the capture (both wall-clock on this host).

import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../src/firewall/exec.ts';
import type { RangeLab } from './lab.ts';
import { killNamespace, startDaemon, runIn, sleep } from './procs.ts';
import { blockedAt, probeFilter, proberArgv, type Probe } from './prober.ts';
import type { Scenario, ScenarioContext } from './scenarios.ts';
import { startServices, type Services } from './services.ts';
import type { DefenceSystem, SystemName, Verdict } from './types.ts';

/** How long after the tool's end a ban may still come (CrowdSec's bouncer polls every 10 s). */
export const TAIL_MS = 12_000;
const BASELINE_MS = 5_000;

export interface RunResult {
  scenario: string;
  system: SystemName;
  /** 'ran', or why the scenario could not run (never counted as passed). */
  status: 'ran' | 'could-not-run';
  reason?: string;
  /** The source address (attacker or client). */
  source: string;
  banned: string[];
  sourceBanned: boolean;
  /** An alert about the source, or for floods one naming the victim. */
  alerted: boolean;
  timeToBlockS: number | null;
  /** How the tool ended: exit code, or killed (limit / blocked). */
  tool: string;
  packets: number;
  pcap: string | null;
  durationS: number;
}

export interface RunOptions {
  /** Where to keep the capture (autoimmune runs); null: captures are made and deleted. */
  keepPcapIn: string | null;
  progress: (msg: string) => void;
  /** Where to keep the victim's auth.log and vsftpd.log of every run (what the incumbents read); null: not kept. */
  keepLogsIn?: string | null;
  /** What to start on the victim (default: every service, startServices). */
  services?: (lab: RangeLab, runDir: string) => Promise<Services>;
}

async function firstPacketAt(pcap: string, src: string): Promise<number | null> {
  try {
    const { stdout } = await runCommand('tcpdump', ['-r', pcap, '-n', '-tt', '-c', '1', `ip src ${src}`], { timeoutMs: 30_000 });
    const t = Number(stdout.split(' ')[0]);
    return Number.isFinite(t) && t > 0 ? t * 1000 : null;
  } catch {
    return null;
  }
}

async function countPackets(pcap: string): Promise<number> {
  try {
    const { stdout } = await runCommand('sh', ['-c', 'tcpdump -r "$1" -n -q 2>/dev/null | wc -l', 'sh', pcap], { timeoutMs: 60_000 });
    return Number(stdout.trim()) || 0;
  } catch {
    return 0;
  }
}

export async function runOne(lab: RangeLab, scenario: Scenario, system: DefenceSystem, files: { users: string; passwords: string }, options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const runDir = join(lab.dir, 'runs', `${scenario.name}-${system.name}`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const src = scenario.from === 'attacker' ? lab.attacker : lab.client;
  const base: RunResult = { scenario: scenario.name, system: system.name, status: 'ran', source: src.ip, banned: [], sourceBanned: false, alerted: false, timeToBlockS: null, tool: '', packets: 0, pcap: null, durationS: 0 };
  const filter = probeFilter([lab.attacker.ip, lab.client.ip]);
  const say = (msg: string) => options.progress(`${scenario.name} · ${system.name}: ${msg}`);
  const cannot = (reason: string): RunResult => ({ ...base, status: 'could-not-run', reason, durationS: (Date.now() - started) / 1000 });

  say('starting the services');
  let services: Services;
  try {
    services = await (options.services ?? startServices)(lab, runDir);
  } catch (err) {
    return cannot(`the services did not start: ${(err as Error).message}`);
  }
  try {
    say(`starting ${system.name}`);
    let running;
    try {
      running = await system.start({ lab, runDir, services, probeFilter: filter });
    } catch (err) {
      return cannot(`${system.name} did not start: ${(err as Error).message}`);
    }
    let verdict: Verdict;
    let pcap = join(runDir, 'capture.pcap');
    let toolEnd = '';
    let blockTime: number | null = null;
    try {
      let capturing = false;
      const tcpdump = startDaemon('tcpdump', lab.victim.ns, ['tcpdump', '-i', 'eth0', '-n', '-U', '-s', '256', '-w', pcap, filter], {
        onLine: (l) => {
          if (l.includes('listening on')) capturing = true;
        },
      });
      const capDeadline = Date.now() + 10_000;
      while (!capturing && Date.now() < capDeadline && tcpdump.child.exitCode === null) await sleep(50);
      if (!capturing) {
        await tcpdump.stop();
        return cannot('tcpdump did not start capturing on the victim');
      }
      const probes: Probe[] = [];
      const prober =
        scenario.probePort === null
          ? null
          : startDaemon('prober', src.ns, proberArgv(lab.victim.ip, scenario.probePort, src.ip), {
              onLine: (l) => {
                if (l.startsWith('{')) probes.push(JSON.parse(l) as Probe);
              },
            });
      try {
        if (prober) {
          const deadline = Date.now() + BASELINE_MS;
          while (!probes.some((p) => p.ok) && Date.now() < deadline) await sleep(50);
          if (!probes.some((p) => p.ok)) return cannot(`the prober got no answer from ${lab.victim.ip}:${scenario.probePort} before the attack (${probes.at(-1)?.why ?? 'no probe finished'})`);
        }
        say(`running ${scenario.tool}`);
        const t0 = Date.now();
        const ctx: ScenarioContext = { lab, runDir, victim: lab.victim.ip, ...files };
        const abort = new AbortController();
        let blockedEarly = false;
        const tool = runIn(src.ns, scenario.argv(ctx), scenario.timeoutS * 1000, { cwd: runDir, abort: abort.signal });
        let toolDone = false;
        void tool.then(() => (toolDone = true));
        // A tool is stopped once its source is blocked (2 s of silence): the rest would only
        // retry into the drop (a benign client blocked is a false ban whatever follows).
        while (!toolDone) {
          await sleep(200);
          const b = blockedAt(probes, t0);
          if (b !== null && Date.now() - b > 2000) {
            blockedEarly = true;
            abort.abort();
          }
        }
        const result = await tool;
        if (result.code === 127 || result.code === 126) return cannot(`${scenario.argv(ctx)[0]} could not be run: ${result.stderr.trim().slice(0, 300)}`);
        toolEnd = blockedEarly ? 'stopped (source blocked)' : result.timedOut ? `killed at its ${scenario.timeoutS} s limit` : `exit ${result.code ?? result.signal}`;
        if (!blockedEarly && result.code !== 0 && !result.timedOut) toolEnd += `: ${(result.stderr.trim().split('\n').at(-1) ?? '').slice(0, 160)}`;
        // The tail: wait for late bans, ending early once the source is seen blocked.
        const tailEnd = Date.now() + (scenario.probePort === null ? 3000 : TAIL_MS);
        while (Date.now() < tailEnd && !(prober && blockedAt(probes, t0) !== null)) await sleep(200);
        if (prober) blockTime = blockedAt(probes, t0);
      } finally {
        await prober?.stop();
        await tcpdump.stop();
      }
      verdict = await running.verdict();
    } finally {
      say(`stopping ${system.name}`);
      await running.stop();
    }
    const first = scenario.spoofed ? null : await firstPacketAt(pcap, src.ip);
    const packets = await countPackets(pcap);
    const fromSource = scenario.spoofed ? packets : first === null ? 0 : 1;
    if (options.keepPcapIn) {
      const kept = join(options.keepPcapIn, `range_${scenario.class}_${scenario.name}.pcap`);
      await runCommand('cp', [pcap, kept]);
      pcap = kept;
    } else {
      rmSync(pcap, { force: true });
    }
    if (fromSource === 0) return { ...cannot(`no packet from ${src.ip} reached the victim (the tool: ${toolEnd})`), packets };
    const victim = lab.victim.ip;
    const alerted = verdict.alerts.some((a) => a.source === src.ip || (scenario.class === 'flood' && a.target === victim));
    const ttb = blockTime !== null && first !== null ? Math.max(0, (blockTime - first) / 1000) : null;
    return {
      ...base,
      banned: verdict.banned,
      sourceBanned: verdict.banned.includes(src.ip),
      alerted,
      timeToBlockS: ttb === null ? null : Math.round(ttb * 100) / 100,
      tool: toolEnd,
      packets,
      pcap: options.keepPcapIn ? pcap : null,
      durationS: (Date.now() - started) / 1000,
    };
  } finally {
    await services.stop();
    // What outlived its daemon (sshd's per-connection children, a tool's leftovers) goes too.
    for (const n of [lab.victim, lab.attacker, lab.client]) await killNamespace(n.ns);
    await runCommand('nft', ['flush', 'ruleset'], { netns: lab.victim.ns }).catch(() => {});
    // after the cleanup: a copy that fails (disk full) must not leave the next run a dirty lab
    if (options.keepLogsIn) {
      for (const [log, name] of [[services.authLog, 'auth.log'], [services.vsftpdLog, 'vsftpd.log']] as const) {
        if (existsSync(log)) copyFileSync(log, join(options.keepLogsIn, `${scenario.name}-${system.name}.${name}`));
      }
    }
  }
}
