// Where a drop-rate round's packets stopped, from the kernel's own counters, so a line with
// nothing dropped says why instead of printing an empty rate (drop-rate.ts). Pure: the lab
// reads the counters, this says what they mean.
//
// The path, in the relay lab: the generator (hping3 in the attacker, or xdp-live-frames.py in
// the relay) → the relay's redirect program on in0 → out0 hands each frame to the defender's
// veth (ndo_xdp_xmit: out0's tx_queue_0_xdp_xmit, or tx_dropped when the defender's ring is
// full or its NAPI is off) → the defender's XDP program runs on it (eth0's rx_queue_N_xdp_packets)
// → the kind under test drops it (its own counter). In the veth lab there is no relay: the
// attacker's eth0 sends (tx_packets), the defender's eth0 receives (rx_packets).

/** How the flood's process ended, and what it said. */
export interface GeneratorOutcome {
  /** The command, for the message. */
  command: string;
  /** Exit code; null when a signal ended it. */
  exitCode: number | null;
  signal: string | null;
  /** The exit code of a run that went as planned (hping3 is stopped by `timeout`: 124; the live generator stops itself: 0). */
  expectedExit: number;
  /** Frames the generator says it ran (the live generator prints them), if it says. */
  frames?: number;
  /** The end of its standard error. */
  stderr: string;
}

/** Counter deltas over one round (undefined: not known in this lab). */
export interface FramePath {
  generator?: GeneratorOutcome;
  /** Frames the attacker's eth0 sent (veth lab, hping3). */
  sent?: number;
  /** Frames the relay's out0 handed to the defender's veth. */
  queued?: number;
  /** Frames the relay's out0 could not hand over (tx_dropped). */
  lost?: number;
  /** Frames the defender's eth0 received (its XDP program's runs in the relay lab, rx_packets in the veth lab). */
  received?: number;
  /** Frames the kind under test counted as dropped. */
  dropped: number;
}

/** The last non-empty line of `text`, at most 300 characters. */
function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const l = lines[lines.length - 1] ?? '';
  return l.length > 300 ? `${l.slice(0, 297)}...` : l;
}

/**
 * Why a round has no rate: its generator failed (whatever else was counted: stray packets
 * such as the attacker's ARP also reach the defender), or nothing was dropped — then the
 * first stage of the path where the frames stopped, in words, with the counters that show
 * it. Null when the round is good. `counter` names what counted the drops.
 */
export function whyNoRate(p: FramePath, counter: string): string | null {
  const g = p.generator;
  if (g && g.exitCode === g.expectedExit && p.dropped > 0) return null;
  if (!g && p.dropped > 0) return null;
  if (g) {
    if (g.exitCode !== g.expectedExit) {
      const how = g.exitCode === null ? `was killed by ${g.signal}` : g.exitCode === 127 ? 'was not found (exit 127)' : `exited with ${g.exitCode} (expected ${g.expectedExit})`;
      const said = lastLine(g.stderr);
      return `the generator (${g.command}) ${how}${said ? `: ${said}` : ', printing nothing on stderr'}`;
    }
    if (g.frames === 0) return `the generator (${g.command}) ran no frames`;
  }
  if (p.sent === 0) return "the attacker's eth0 sent no packets (the generator sent nothing)";
  if (p.queued !== undefined && p.lost !== undefined && p.queued + p.lost === 0) {
    const ran = g?.frames === undefined ? '' : ` the generator ran ${g.frames} frames but`;
    return `${ran} none reached the relay's out0: the relay's redirect program did not send them (is it attached to in0, redirecting to out0?)`.trim();
  }
  if (p.queued === 0 && (p.lost ?? 0) > 0) return `the relay's out0 could hand none of its frames to the defender's veth (tx_dropped ${p.lost}): the defender's NAPI is not running (no XDP program and GRO off on its eth0?)`;
  if (p.received === 0) return `the defender's eth0 received none of the frames${p.queued === undefined ? '' : ` (the relay queued ${p.queued} to it)`}`;
  return `the defender's eth0 received ${p.received ?? 'its'} frames and ${counter} counted none dropped: the ban is not where the program or rule looks, or the counter was not read`;
}
