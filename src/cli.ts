// The `autoimmune` command: the entry file. Each command is a file of src/cli/.

import { AutoimmuneError, UsageError } from './errors.ts';
import { version } from './cli/args.ts';
import { HELP } from './cli/help.ts';
import { cmdAsk } from './cli/ask.ts';
import { cmdBans } from './cli/bans.ts';
import { cmdEval } from './cli/eval.ts';
import { cmdReplay } from './cli/replay.ts';
import { cmdStart } from './cli/start.ts';
import { cmdStatus } from './cli/status.ts';
import { runFeeds } from './cli/feeds.ts';
import { runBouncers } from './cli/bouncers.ts';
import { runInstallService } from './cli/install-service.ts';

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(HELP);
        return cmd === undefined ? 2 : 0;
      case '--version':
      case '-v':
        process.stdout.write(`${version()}\n`);
        return 0;
      case 'start':
        await cmdStart(rest);
        return -1; // keeps running
      case 'status':
        await cmdStatus(rest);
        return 0;
      case 'replay':
        return await cmdReplay(rest);
      case 'eval':
        return await cmdEval(rest);
      case 'block':
      case 'unblock':
      case 'bans':
      case 'protected':
        return await cmdBans(cmd, rest);
      case 'ask':
        return await cmdAsk(rest);
      case 'feeds':
        return await runFeeds(rest);
      case 'bouncers':
        return await runBouncers(rest);
      case 'install-service':
        return await runInstallService(rest);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}; the commands are start, status, replay, block, unblock, bans, protected, ask, feeds, bouncers, install-service and eval. See 'autoimmune --help'.`);
    }
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
