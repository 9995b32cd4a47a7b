// The run-time allow-list of a single node: `<stateDir>/allow.json` (mode 0600), written whole
// to a temporary file, fsynced and renamed (and the folder fsynced) before a change resolves,
// so it is there after a restart or a crash, like the bans.

import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../util/atomic-file.ts';
import { AllowChangeError } from './errors.ts';
import type { AllowedEntry, AllowStore } from './allow-store.ts';
import { parseCidr } from './cidr.ts';
import { allowNetProblem } from '../cluster/etcd-values.ts';
import type { MinPrefix } from './ban-guard.ts';

export const ALLOW_FILE = 'allow.json';

export class FileAllowStore implements AllowStore {
  readonly where: string;
  private readonly byNet = new Map<string, AllowedEntry>();
  /** Entries of the file wider than minPrefix (a hand edit): not applied, listed as refused. */
  private readonly refusedNets: string[] = [];

  constructor(
    stateDir: string,
    /** responder.minPrefix: a wider entry would switch the defence off for that much of the internet. */
    private readonly minPrefix: MinPrefix,
  ) {
    this.where = join(stateDir, ALLOW_FILE);
    const list = readJsonFile(this.where, [], (why) => {
      throw new AllowChangeError('AI_ERR_ALLOW_FILE', `cannot read ${this.where}: ${why}; fix it, or remove it (its addresses must then be allowed again)`, 500);
    });
    if (!Array.isArray(list)) throw new AllowChangeError('AI_ERR_ALLOW_FILE', `${this.where} does not hold a list of {net, note, at}; fix it, or remove it`, 500);
    for (const e of list as AllowedEntry[]) {
      // An entry that does not parse is skipped: the file is ours, but a hand edit may be wrong.
      try {
        const net = parseCidr(e.net).text;
        if (allowNetProblem(net, minPrefix) !== null) {
          this.refusedNets.push(net);
          continue;
        }
        this.byNet.set(net, { net, note: typeof e.note === 'string' ? e.note : null, at: typeof e.at === 'number' ? e.at : 0 });
      } catch {
        // not an address
      }
    }
  }

  entries(): AllowedEntry[] {
    return [...this.byNet.values()];
  }

  get(net: string): AllowedEntry | undefined {
    return this.byNet.get(net);
  }

  async put(entry: AllowedEntry): Promise<void> {
    // Never write what the next start would refuse.
    const problem = allowNetProblem(entry.net, this.minPrefix);
    if (problem) throw new AllowChangeError('AI_ERR_ALLOW_MALFORMED', `refusing to store allow-list entry ${JSON.stringify(entry)}: ${problem}`, 400);
    this.byNet.set(entry.net, entry);
    this.save();
  }

  async delete(net: string): Promise<boolean> {
    if (!this.byNet.delete(net)) return false;
    this.save();
    return true;
  }

  /** Only this node changes its file. */
  onChange(): () => void {
    return () => {};
  }

  refused(): string[] {
    return [...this.refusedNets];
  }

  close(): void {}

  /** The whole list, written whole and fsynced before the change resolves. */
  private save(): void {
    writeFileAtomic(this.where, `${JSON.stringify(this.entries(), null, 1)}\n`);
  }
}
