// Errors of the firewall backends. Codes are stable:
//
//   AI_ERR_FIREWALL_COMMAND       nft/iptables/ipset/ip failed or timed out: the command, its
//                                 exit code and its stderr are on the error
//   AI_ERR_FIREWALL_TOOL_MISSING  a program the backend needs is not installed
//   AI_ERR_FIREWALL_ENTRY         an address or timeout that will not be put into a rule
//   AI_ERR_FIREWALL_STATE         what the kernel reports is not what the backend wrote

import { AutoimmuneError } from '../errors.ts';

/** A firewall command exited non-zero, was killed, or did not finish in time. */
export class FirewallCommandError extends AutoimmuneError {
  /** The argv run, `ip netns exec NS` included. */
  readonly command: readonly string[];
  /** Exit code; null when killed by a signal (a timeout kills with SIGKILL). */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  readonly timedOut: boolean;
  constructor(command: readonly string[], exitCode: number | null, signal: string | null, stderr: string, timedOutAfterMs?: number) {
    const how =
      timedOutAfterMs !== undefined
        ? `did not finish within ${timedOutAfterMs} ms and was killed`
        : exitCode !== null
          ? `exited with code ${exitCode}`
          : `was killed by ${signal}`;
    const err = stderr.trim();
    super(
      'AI_ERR_FIREWALL_COMMAND',
      `firewall command \`${command.join(' ')}\` ${how}${err ? `: ${clip(err)}` : ''}`,
    );
    this.command = command;
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderr = stderr;
    this.timedOut = timedOutAfterMs !== undefined;
  }
}

/** A program the backend runs is not installed (or not on PATH), or may not be run. */
export class FirewallToolMissingError extends AutoimmuneError {
  readonly tool: string;
  constructor(tool: string, debianPackage: string | undefined, options?: { cause?: unknown; denied?: boolean }) {
    super(
      'AI_ERR_FIREWALL_TOOL_MISSING',
      `firewall tool ${JSON.stringify(tool)} ` +
        (options?.denied
          ? 'cannot be run: permission denied (it is not executable, or a directory on PATH cannot be searched by this user)'
          : 'is not installed or not on PATH') +
        (debianPackage ? `: install the ${debianPackage} package (apt-get install ${debianPackage})` : '') +
        ', or choose another firewall backend (firewall.backend in the configuration)',
      options,
    );
    this.tool = tool;
  }
}

/** An address or timeout the backends refuse to write into a rule. */
export class FirewallEntryError extends AutoimmuneError {
  readonly value: unknown;
  constructor(value: unknown, problem: string, options?: { cause?: unknown }) {
    super('AI_ERR_FIREWALL_ENTRY', `firewall entry ${JSON.stringify(value) ?? String(value)} refused: ${problem}`, options);
    this.value = value;
  }
}

/** The kernel's listing of what the backend owns cannot be read as what it wrote. */
export class FirewallStateError extends AutoimmuneError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('AI_ERR_FIREWALL_STATE', `firewall state not understood: ${what}`, options);
  }
}

/** Long stderr (a 10,000-element script echoed back) is cut so the message stays readable. */
function clip(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
