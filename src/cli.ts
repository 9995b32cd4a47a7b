// The `autoimmune` command: the entry file. Each command is a file of src/cli/, with its help.

import { AutoimmuneError, UsageError } from './errors.ts';
import { version } from './cli/args.ts';
import { HELP, START_HELP } from './cli/help.ts';
import { ASK_HELP, cmdAsk } from './cli/ask.ts';
import { BANS_HELP, BLOCK_HELP, cmdBans, PROTECTED_HELP, UNBLOCK_HELP } from './cli/bans.ts';
import { ALERTS_HELP, cmdAlerts } from './cli/alerts.ts';
import { ALLOW_HELP, cmdAllow } from './cli/allow.ts';
import { cmdEval, EVAL_HELP } from './cli/eval.ts';
import { cmdReplay, REPLAY_HELP } from './cli/replay.ts';
import { cmdStart } from './cli/start.ts';
import { cmdStatus, STATUS_HELP } from './cli/status.ts';
import { FEEDS_HELP, runFeeds } from './cli/feeds.ts';
import { BOUNCERS_HELP, runBouncers } from './cli/bouncers.ts';
import { INSTALL_SERVICE_HELP, runInstallService } from './cli/install-service.ts';

interface Command {
  help: string;
  /** The exit status; -1 keeps the process running (start). */
  run: (args: string[]) => Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  start: { help: START_HELP, run: async (a) => (await cmdStart(a), -1) },
  status: { help: STATUS_HELP, run: cmdStatus },
  replay: { help: REPLAY_HELP, run: cmdReplay },
  block: { help: BLOCK_HELP, run: (a) => cmdBans('block', a) },
  unblock: { help: UNBLOCK_HELP, run: (a) => cmdBans('unblock', a) },
  bans: { help: BANS_HELP, run: (a) => cmdBans('bans', a) },
  protected: { help: PROTECTED_HELP, run: (a) => cmdBans('protected', a) },
  alerts: { help: ALERTS_HELP, run: cmdAlerts },
  allow: { help: ALLOW_HELP, run: cmdAllow },
  ask: { help: ASK_HELP, run: cmdAsk },
  feeds: { help: FEEDS_HELP, run: runFeeds },
  bouncers: { help: BOUNCERS_HELP, run: runBouncers },
  'install-service': { help: INSTALL_SERVICE_HELP, run: runInstallService },
  eval: { help: EVAL_HELP, run: cmdEval },
};

/** `--help` or `-h` among a command's arguments (before a `--`): its help, whatever else is there. */
function asksHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '-h' || cmd === '--help' || (cmd === 'help' && rest.length === 0)) {
      (cmd === undefined ? process.stderr : process.stdout).write(HELP);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      process.stdout.write(`${version()}\n`);
      return 0;
    }
    const name = cmd === 'help' ? rest[0]! : cmd;
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(', ')}. See 'autoimmune --help'.`);
    if (cmd === 'help' || asksHelp(rest)) {
      process.stdout.write(command.help);
      return 0;
    }
    return await command.run(rest);
  } catch (err) {
    if (err instanceof AutoimmuneError) {
      process.stderr.write(`autoimmune: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`autoimmune: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/src/cli.ts')) {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exit(code);
}
