// The iptables + ipset backend, for hosts without nftables: two ipset sets (hash:net, one
// per family, timeout support on) and one chain of its own in the raw table, jumped to once
// from PREROUTING (raw: before conntrack, for local and forwarded traffic alike; see
// nft-ruleset.ts). hash:net holds overlapping nets side by side (it keeps a hash per prefix
// length in the kernel), so an address and a net around it are two bans with two timeouts.
//
// ipset has no transactions: a batch is one `ipset restore -exist` run, whose lines are
// applied in order; -exist makes adding a present element refresh its timeout and deleting an
// absent (say, just expired) element a no-op, so no line of a valid batch fails.

import type { FirewallBackend, FirewallEntry, ReconcileResult } from './backend.ts';
import type { CheckedBatch } from './entries.ts';
import { checkBatch, reconcileByApply } from './entries.ts';
import { runCommand } from './exec.ts';
import { FirewallCommandError, FirewallStateError } from './errors.ts';
import { parseCidr } from '../respond/cidr.ts';
import { ConfigError } from '../errors.ts';

export interface IptablesIpsetOptions {
  /** Sets NAME4 and NAME6, chain NAME upper-cased; default 'autoimmune'. */
  name?: string;
  /** Network namespace to work in (`ip netns exec`); default: the process's own. */
  netns?: string;
  /** Time limit per command; default 60 s. */
  commandTimeoutMs?: number;
  /** Most elements per set (ipset's maxelem); default 1,048,576. */
  maxElements?: number;
}

/** ipset's longest timeout: longer bans are stored without one (see toIpsetTimeout). */
export const IPSET_MAX_TIMEOUT_S = 2_147_483;

// Chain names are at most 28 characters, set names 31 (the set adds one).
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,27}$/;

interface Family {
  v: 4 | 6;
  iptables: 'iptables' | 'ip6tables';
  set: string;
}

export class IptablesIpsetBackend implements FirewallBackend {
  readonly name = 'iptables-ipset';
  readonly chain: string;
  readonly sets: { 4: string; 6: string };
  readonly netns: string | undefined;
  private readonly timeoutMs: number | undefined;
  private readonly maxElements: number;
  private readonly families: Family[];

  constructor(options: IptablesIpsetOptions = {}) {
    const name = options.name ?? 'autoimmune';
    if (!NAME.test(name)) {
      throw new ConfigError(`iptables/ipset name ${JSON.stringify(name)} is not acceptable: a letter, then up to 27 letters, digits, "_" or "-" (iptables chain names are at most 28 characters)`);
    }
    this.chain = name.toUpperCase();
    this.sets = { 4: `${name}4`, 6: `${name}6` };
    this.netns = options.netns;
    this.timeoutMs = options.commandTimeoutMs;
    this.maxElements = options.maxElements ?? 1_048_576;
    if (!Number.isSafeInteger(this.maxElements) || this.maxElements < 1) throw new ConfigError(`maxElements ${this.maxElements} is not a positive whole number`);
    this.families = [
      { v: 4, iptables: 'iptables', set: this.sets[4] },
      { v: 6, iptables: 'ip6tables', set: this.sets[6] },
    ];
  }

  async setup(): Promise<void> {
    // -exist: creating a set that exists with the same parameters is a no-op.
    const creates = this.families.map((f) => `create ${f.set} hash:net family ${f.v === 4 ? 'inet' : 'inet6'} timeout 0 maxelem ${this.maxElements}`);
    await this.run('ipset', ['restore', '-exist'], `${creates.join('\n')}\n`);
    for (const f of this.families) {
      const rules = await this.rawRules(f);
      const want = `-A ${this.chain} -m set --match-set ${f.set} src -j DROP`;
      const mine = rules.filter((r) => r.startsWith(`-A ${this.chain} `));
      const jumps = rules.filter((r) => r === `-A PREROUTING -j ${this.chain}`).length;
      const lines: string[] = [];
      if (!rules.includes(`-N ${this.chain}`) || mine.length !== 1 || mine[0] !== want) {
        // Declaring the chain creates it, or flushes it if it exists: in one commit.
        lines.push(`:${this.chain} - [0:0]`, want);
      }
      if (jumps === 0) lines.push(`-I PREROUTING 1 -j ${this.chain}`);
      for (let k = 1; k < jumps; k++) lines.push(`-D PREROUTING -j ${this.chain}`);
      if (lines.length > 0) await this.run(`${f.iptables}-restore`, ['-w', '--noflush'], `*raw\n${lines.join('\n')}\nCOMMIT\n`);
    }
  }

  async apply(add: readonly FirewallEntry[], remove: readonly string[]): Promise<void> {
    const batch = checkBatch(add, remove);
    if (batch.add.length === 0 && batch.remove.length === 0) return;
    await this.run('ipset', ['restore', '-exist'], this.restoreScript(batch));
  }

  async list(): Promise<FirewallEntry[]> {
    const lists = await Promise.all(this.families.map((f) => this.listSet(f.set)));
    return lists.flat();
  }

  reconcile(desired: readonly FirewallEntry[]): Promise<ReconcileResult> {
    return reconcileByApply(this, desired);
  }

  async flush(): Promise<void> {
    for (const f of this.families) {
      const rules = await this.rawRules(f);
      const lines: string[] = [];
      for (const r of rules) if (r === `-A PREROUTING -j ${this.chain}`) lines.push(`-D PREROUTING -j ${this.chain}`);
      if (rules.includes(`-N ${this.chain}`)) lines.push(`-F ${this.chain}`, `-X ${this.chain}`);
      if (lines.length > 0) await this.run(`${f.iptables}-restore`, ['-w', '--noflush'], `*raw\n${lines.join('\n')}\nCOMMIT\n`);
    }
    const present = new Set((await this.run('ipset', ['list', '-n'])).stdout.split('\n'));
    for (const f of this.families) if (present.has(f.set)) await this.destroySet(f.set);
  }

  private restoreScript(batch: CheckedBatch): string {
    const lines: string[] = [];
    const setOf = (text: string) => (text.includes(':') ? this.sets[6] : this.sets[4]);
    for (const c of batch.remove) lines.push(`del ${setOf(c.text)} ${c.text}`);
    for (const e of batch.add) lines.push(`add ${setOf(e.cidr.text)} ${e.cidr.text} timeout ${toIpsetTimeout(e.timeoutS)}`);
    return `${lines.join('\n')}\n`;
  }

  /** The raw table as `iptables -S` prints it, one rule or chain per line. */
  private async rawRules(f: Family): Promise<string[]> {
    const out = await this.run(f.iptables, ['-w', '-t', 'raw', '-S']);
    return out.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  }

  private async listSet(set: string): Promise<FirewallEntry[]> {
    let out: string;
    try {
      out = (await this.run('ipset', ['list', set, '-output', 'save'])).stdout;
    } catch (err) {
      if (err instanceof FirewallCommandError && /does not exist/.test(err.stderr)) return [];
      throw err;
    }
    const entries: FirewallEntry[] = [];
    for (const line of out.split('\n')) {
      const m = /^add (\S+) (\S+)(?: timeout (\d+))?/.exec(line);
      if (!m || m[1] !== set) continue;
      let address: string;
      try {
        address = parseCidr(m[2]!).text;
      } catch (err) {
        throw new FirewallStateError(`ipset set ${set} holds ${JSON.stringify(m[2])}, which is not an address`, { cause: err });
      }
      // ipset prints whole seconds left; timeout 0 is an element without one.
      const left = m[3] === undefined ? 0 : Number(m[3]);
      entries.push({ address, timeoutS: left === 0 ? Number.POSITIVE_INFINITY : left });
    }
    return entries;
  }

  private async destroySet(set: string): Promise<void> {
    // The kernel may drop the removed rule's reference to the set a moment after the rule
    // is gone: retry "in use" a few times (a bounded retry, not a wait for a time).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.run('ipset', ['destroy', set]);
        return;
      } catch (err) {
        if (attempt >= 10 || !(err instanceof FirewallCommandError) || !/in use/.test(err.stderr)) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
  }

  private run(file: string, args: string[], stdin?: string) {
    return runCommand(file, args, { stdin, netns: this.netns, timeoutMs: this.timeoutMs });
  }
}

/**
 * ipset cannot time out an element after more than IPSET_MAX_TIMEOUT_S (about 24.8 days):
 * a longer ban is stored without a timeout (0), lifted by the registry's expiry event or the
 * next reconcile, rather than cut short.
 */
export function toIpsetTimeout(timeoutS: number): number {
  return timeoutS > IPSET_MAX_TIMEOUT_S ? 0 : timeoutS;
}
