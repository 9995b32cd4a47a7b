// The nftables backend: a table of its own (see nft-ruleset.ts for its layout and why),
// every change one `nft -f -` transaction. It never lists or touches other tables.

import type { FirewallBackend, FirewallEntry, ReconcileResult } from './backend.ts';
import type { NftTableState } from './nft-ruleset.ts';
import type { CheckedEntry } from './entries.ts';
import type { Cidr } from '../respond/cidr.ts';
import { ABSENT, buildScript, parseTableListing } from './nft-ruleset.ts';
import { checkBatch, planReconcile } from './entries.ts';
import { runCommand } from './exec.ts';
import { FirewallCommandError } from './errors.ts';
import { ConfigError } from '../errors.ts';

export interface NftablesOptions {
  /** Table name (family inet); default 'autoimmune'. */
  table?: string;
  /** Network namespace to work in (`ip netns exec`); default: the process's own. */
  netns?: string;
  /** Time limit per nft command; default 60 s. */
  commandTimeoutMs?: number;
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,30}$/;

export class NftablesBackend implements FirewallBackend {
  readonly name = 'nftables';
  readonly table: string;
  readonly netns: string | undefined;
  private readonly timeoutMs: number | undefined;
  /**
   * Names of the sets known to exist, so a batch needs no listing first; null until read,
   * and again after any failure (the table may have been changed under us).
   */
  private knownSets: Set<string> | null = null;

  constructor(options: NftablesOptions = {}) {
    this.table = options.table ?? 'autoimmune';
    if (!TABLE_NAME.test(this.table)) {
      throw new ConfigError(`nftables table name ${JSON.stringify(this.table)} is not acceptable: a letter, then up to 30 letters, digits, "_" or "-"`);
    }
    this.netns = options.netns;
    this.timeoutMs = options.commandTimeoutMs;
  }

  async setup(): Promise<void> {
    await this.transact(await this.read(false), true, [], []);
  }

  async apply(add: readonly FirewallEntry[], remove: readonly string[]): Promise<void> {
    const batch = checkBatch(add, remove);
    if (batch.add.length === 0 && batch.remove.length === 0) return;
    let state: NftTableState;
    if (this.knownSets) {
      // Only the set names matter to the script; the elements are not read for a batch.
      state = { exists: true, sets: new Map([...this.knownSets].map((n) => [n, []])), rules: [] };
    } else {
      state = await this.read(true);
    }
    await this.transact(state, false, batch.add, batch.remove);
  }

  async list(): Promise<FirewallEntry[]> {
    const state = await this.read(false);
    return [...state.sets.values()].flat();
  }

  async reconcile(desired: readonly FirewallEntry[]): Promise<ReconcileResult> {
    const state = await this.read(false);
    const plan = planReconcile([...state.sets.values()].flat(), desired);
    const batch = checkBatch(plan.add, plan.remove);
    await this.transact(state, true, batch.add, batch.remove);
    return plan.result;
  }

  async flush(): Promise<void> {
    this.knownSets = null;
    // Adding first makes the delete succeed whether or not the table is there.
    await this.nft(['-f', '-'], `add table inet ${this.table}\ndelete table inet ${this.table}\n`);
  }

  /** What the table holds (terse: set names and rules only, no elements). */
  private async read(terse: boolean): Promise<NftTableState> {
    let out: string;
    try {
      out = (await this.nft(terse ? ['-j', '-t', 'list', 'table', 'inet', this.table] : ['-j', 'list', 'table', 'inet', this.table])).stdout;
    } catch (err) {
      if (err instanceof FirewallCommandError && /No such file or directory/.test(err.stderr)) return ABSENT;
      throw err;
    }
    return parseTableListing(out);
  }

  private async transact(state: NftTableState, declare: boolean, add: readonly CheckedEntry[], remove: readonly Cidr[]): Promise<void> {
    // Every add deletes the element first and adds it anew, even where the kernel would set
    // the timeout of one present (6.x): a re-ban that lands as the old element's timeout runs
    // out was lost that way in the chaos run (journalled as applied with 20 s, gone 0.1 s
    // later, on every node at once; 5 of 30 runs of its seed), the new element cannot be.
    const { script, sets } = buildScript({ table: this.table, state, declare, add, remove });
    if (script !== '') await this.nft(['-f', '-'], script);
    this.knownSets = state.exists || declare ? new Set(sets) : null;
  }

  private async nft(args: string[], stdin?: string) {
    try {
      return await runCommand('nft', args, { stdin, netns: this.netns, timeoutMs: this.timeoutMs });
    } catch (err) {
      this.knownSets = null;
      if (err instanceof FirewallCommandError && new RegExp(`syntax error, unexpected ${this.table}\\b`).test(err.stderr)) {
        throw new ConfigError(`nftables table name ${JSON.stringify(this.table)} is an nft keyword and cannot name a table: choose another (firewall.table)`, { cause: err });
      }
      throw err;
    }
  }
}
