// The `autoimmune` command: the entry file. Each command is a file of src/cli/, with its help.

import { AutoimmuneError, UsageError } from './errors.ts';
import { version } from './cli/args.ts';
import { HELP, START_HELP } from './cli/help.ts';

interface Command {
  help: string;
  /** The exit status; -1 keeps the process running (start). */
  run: (args: string[]) => Promise<number>;
}

/** A command whose module is imported when it runs or shows its help. */
function lazy<M>(load: () => Promise<M>, help: (m: M) => string, run: (m: M, args: string[]) => Promise<number>): () => Promise<Command> {
  return async () => {
    const m = await load();
    return { help: help(m), run: (args) => run(m, args) };
  };
}

// `--help`, `--version` and each command load only what they use (every command's modules
// together: about 0.7 s of CPU at each start).
export const COMMANDS: Record<string, () => Promise<Command>> = {
  start: lazy(() => import('./cli/start.ts'), () => START_HELP, async (m, a) => (await m.cmdStart(a), -1)),
  status: lazy(() => import('./cli/status.ts'), (m) => m.STATUS_HELP, (m, a) => m.cmdStatus(a)),
  replay: lazy(() => import('./cli/replay.ts'), (m) => m.REPLAY_HELP, (m, a) => m.cmdReplay(a)),
  block: lazy(() => import('./cli/bans.ts'), (m) => m.BLOCK_HELP, (m, a) => m.cmdBans('block', a)),
  unblock: lazy(() => import('./cli/bans.ts'), (m) => m.UNBLOCK_HELP, (m, a) => m.cmdBans('unblock', a)),
  bans: lazy(() => import('./cli/bans.ts'), (m) => m.BANS_HELP, (m, a) => m.cmdBans('bans', a)),
  protected: lazy(() => import('./cli/bans.ts'), (m) => m.PROTECTED_HELP, (m, a) => m.cmdBans('protected', a)),
  alerts: lazy(() => import('./cli/alerts.ts'), (m) => m.ALERTS_HELP, (m, a) => m.cmdAlerts(a)),
  allow: lazy(() => import('./cli/allow.ts'), (m) => m.ALLOW_HELP, (m, a) => m.cmdAllow(a)),
  ask: lazy(() => import('./cli/ask.ts'), (m) => m.ASK_HELP, (m, a) => m.cmdAsk(a)),
  feeds: lazy(() => import('./cli/feeds.ts'), (m) => m.FEEDS_HELP, (m, a) => m.runFeeds(a)),
  bouncers: lazy(() => import('./cli/bouncers.ts'), (m) => m.BOUNCERS_HELP, (m, a) => m.runBouncers(a)),
  'install-service': lazy(() => import('./cli/install-service.ts'), (m) => m.INSTALL_SERVICE_HELP, (m, a) => m.runInstallService(a)),
  eval: lazy(() => import('./cli/eval.ts'), (m) => m.EVAL_HELP, (m, a) => m.cmdEval(a)),
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
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) throw new UsageError(`unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(', ')}. See 'autoimmune --help'.`);
    const command = await load();
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
