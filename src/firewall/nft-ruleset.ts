// The nftables ruleset of the backend, as text for `nft -f -` and as read back from
// `nft -j list table`. Pure: no commands run here.
//
// Layout (table `inet autoimmune` by default):
//   set banned4 / banned6        single addresses (ipv4_addr / ipv6_addr, flags timeout)
//   set banned4_N / banned6_N    nets of prefix length N, stored as their network address
//   chain prerouting             hook prerouting, priority raw (-300), policy accept, and one
//                                rule per set: `ip saddr [& MASK] @SET counter drop`
//
// Why hash sets, one per prefix length, and not one `flags interval` set per family:
// - nft 1.0.6 checks interval sets for overlaps in user space, and that check is slow: one
//   transaction of 10,000 addresses into an interval set took 16 s on an empty set and 65 s
//   on a full one (the same batch into a hash set: 0.09 s).
// - an interval set refuses overlapping elements ("interval overlaps with an existing one"),
//   so banning 10.0.0.0/24 while 10.0.0.5 is banned would fail the whole batch, and merging
//   them would lose the longer of the two timeouts. Two nets of one prefix length are either
//   the same or disjoint, so sets per length never overlap, and every ban keeps its own
//   timeout. A packet costs one hash lookup per prefix length in use (ipset's hash:net does
//   the same inside the kernel).
// Why prerouting at raw priority: it sees every packet that enters, for this host and to be
// forwarded, after defragmentation (-400) and before conntrack (-200), so a banned source
// costs no conntrack entry: a flood from it cannot fill the conntrack table.

import type { FirewallEntry } from './backend.ts';
import type { Cidr } from '../respond/cidr.ts';
import type { CheckedEntry } from './entries.ts';
import { parseCidr } from '../respond/cidr.ts';
import { FirewallStateError } from './errors.ts';
import { formatIPv4, formatIPv6 } from '../net/address.ts';

export const CHAIN = 'prerouting';

/** The set an address or net belongs in. */
export function setNameOf(cidr: Cidr): string {
  const host = cidr.prefix === (cidr.family === 4 ? 32 : 128);
  return host ? `banned${cidr.family}` : `banned${cidr.family}_${cidr.prefix}`;
}

const SET_NAME = /^banned([46])(?:_([1-9][0-9]{0,2}))?$/;

/** Family and prefix length of one of the backend's sets, or null for any other name. */
export function parseSetName(name: string): { family: 4 | 6; prefix: number } | null {
  const m = SET_NAME.exec(name);
  if (!m) return null;
  const family = m[1] === '4' ? 4 : 6;
  const width = family === 4 ? 32 : 128;
  if (m[2] === undefined) return { family, prefix: width };
  const prefix = Number(m[2]);
  return prefix < width ? { family, prefix } : null;
}

/** Netmask text of a prefix length, as nft prints it. */
function maskText(family: 4 | 6, prefix: number): string {
  if (family === 4) return formatIPv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.min(8, Math.max(0, prefix - 8 * i));
    bytes[i] = (0xff00 >> bits) & 0xff;
  }
  return formatIPv6(bytes, 0);
}

/** The one drop rule of a set, in the form the rule is also read back as (see ruleOf). */
export function ruleFor(setName: string): string {
  const p = parseSetName(setName);
  if (!p) throw new FirewallStateError(`${setName} is not a set of this backend`);
  const proto = p.family === 4 ? 'ip' : 'ip6';
  const host = p.prefix === (p.family === 4 ? 32 : 128);
  return host ? `${proto} saddr @${setName} counter drop` : `${proto} saddr & ${maskText(p.family, p.prefix)} @${setName} counter drop`;
}

/** Rule order: IPv4 then IPv6; in each, single addresses (most bans) then nets, longest first. */
export function orderSets(names: Iterable<string>): string[] {
  const key = (n: string) => {
    const p = parseSetName(n)!;
    return (p.family === 4 ? 0 : 1000) + (p.prefix === (p.family === 4 ? 32 : 128) ? -500 : 0) - p.prefix;
  };
  return [...names].sort((a, b) => key(a) - key(b));
}

/** What the table holds now, as far as the backend cares. */
export interface NftTableState {
  exists: boolean;
  /** The backend's sets and their elements (keyed by set name). */
  sets: Map<string, FirewallEntry[]>;
  /** The chain's rules in order, in the text form of ruleFor ('?' for a rule of another shape). */
  rules: string[];
}

export const ABSENT: NftTableState = { exists: false, sets: new Map(), rules: [] };

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads the output of `nft -j list table inet TABLE` (with or without -t). */
export function parseTableListing(text: string): NftTableState {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new FirewallStateError(`nft -j printed something that is not JSON: ${text.slice(0, 200)}`, { cause: err });
  }
  const items = isObj(doc) ? doc.nftables : undefined;
  if (!Array.isArray(items)) throw new FirewallStateError('nft -j output has no "nftables" array');
  const state: NftTableState = { exists: true, sets: new Map(), rules: [] };
  for (const item of items) {
    if (!isObj(item)) continue;
    if (isObj(item.set)) {
      const set = item.set;
      const name = String(set.name);
      const p = parseSetName(name);
      if (p) state.sets.set(name, Array.isArray(set.elem) ? set.elem.map((e) => elementOf(e, name, p.family, p.prefix)) : []);
    } else if (isObj(item.rule) && item.rule.chain === CHAIN) {
      state.rules.push(ruleOf(item.rule));
    }
  }
  return state;
}

/** One element of a set: "1.2.3.4", or {elem: {val, timeout, expires}}. */
function elementOf(e: unknown, set: string, family: 4 | 6, prefix: number): FirewallEntry {
  let val: unknown = e;
  let expires: unknown;
  if (isObj(e) && isObj(e.elem)) {
    val = e.elem.val;
    expires = e.elem.expires;
  }
  if (typeof val !== 'string') throw new FirewallStateError(`set ${set} holds an element that is not an address: ${JSON.stringify(e)}`);
  const host = prefix === (family === 4 ? 32 : 128);
  let address: string;
  try {
    address = parseCidr(host ? val : `${val}/${prefix}`).text;
  } catch (err) {
    throw new FirewallStateError(`set ${set} holds ${JSON.stringify(val)}, which is not an address of its prefix length`, { cause: err });
  }
  // nft prints whole seconds left (rounded down); an element without a timeout never expires.
  return { address, timeoutS: typeof expires === 'number' ? expires : Number.POSITIVE_INFINITY };
}

/** A rule as `ip saddr [& MASK] @SET counter drop`, or '?' when it has another shape. */
function ruleOf(rule: Json): string {
  const expr = rule.expr;
  if (!Array.isArray(expr) || expr.length !== 3) return '?';
  const [m, c, d] = expr as unknown[];
  if (!isObj(m) || !isObj(m.match) || !isObj(c) || !('counter' in c) || !isObj(d) || !('drop' in d)) return '?';
  const { op, left, right } = m.match;
  if (op !== '==' || typeof right !== 'string' || !right.startsWith('@')) return '?';
  let payload: unknown = left;
  let mask = '';
  if (isObj(left) && Array.isArray(left['&']) && left['&'].length === 2 && typeof left['&'][1] === 'string') {
    payload = left['&'][0];
    mask = ` & ${left['&'][1]}`;
  }
  if (!isObj(payload) || !isObj(payload.payload) || payload.payload.field !== 'saddr') return '?';
  return `${String(payload.payload.protocol)} saddr${mask} ${right} counter drop`;
}

export interface ScriptInput {
  table: string;
  /** What the table holds now. */
  state: NftTableState;
  /** Include the table, chain, base sets and a rule check (setup and reconcile). */
  declare: boolean;
  add: readonly CheckedEntry[];
  remove: readonly Cidr[];
}

/** One `nft -f -` transaction; '' when there is nothing to do. */
export function buildScript(input: ScriptInput): { script: string; sets: string[] } {
  const { table, state } = input;
  const t = `inet ${table}`;
  const lines: string[] = [];
  const sets = new Set(state.sets.keys());
  const created: string[] = [];
  const need = (name: string) => {
    if (!sets.has(name)) {
      sets.add(name);
      created.push(name);
    }
  };
  if (input.declare) {
    lines.push(`add table ${t}`);
    lines.push(`add chain ${t} ${CHAIN} { type filter hook prerouting priority raw; policy accept; }`);
    need('banned4');
    need('banned6');
  }
  const touch = new Map<string, string[]>();
  const put = new Map<string, string[]>();
  const elem = (c: Cidr) => (c.text.includes('/') ? c.text.slice(0, c.text.indexOf('/')) : c.text);
  for (const e of input.add) {
    const name = setNameOf(e.cidr);
    need(name);
    let l = touch.get(name);
    if (!l) touch.set(name, (l = []));
    l.push(elem(e.cidr));
    let p = put.get(name);
    if (!p) put.set(name, (p = []));
    p.push(`${elem(e.cidr)} timeout ${e.timeoutS}s`);
  }
  for (const c of input.remove) {
    const name = setNameOf(c);
    // No set for its prefix length: the element cannot be there.
    if (!sets.has(name)) continue;
    let l = touch.get(name);
    if (!l) touch.set(name, (l = []));
    l.push(elem(c));
  }
  for (const name of created) {
    const type = parseSetName(name)!.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
    lines.push(`add set ${t} ${name} { type ${type}; flags timeout; }`);
  }
  const wanted = orderSets(sets).map(ruleFor);
  if (input.declare) {
    // Rewrite the chain only when it is not exactly one rule per set (in any order: they
    // all drop); flush and re-add sit in one transaction, so no packet sees the chain empty.
    const have = [...state.rules].sort();
    if (wanted.length !== have.length || [...wanted].sort().some((r, i) => r !== have[i])) {
      lines.push(`flush chain ${t} ${CHAIN}`);
      for (const r of wanted) lines.push(`add rule ${t} ${CHAIN} ${r}`);
    }
  } else {
    for (const name of created) lines.push(`add rule ${t} ${CHAIN} ${ruleFor(name)}`);
  }
  // Deleting an element that is not there fails the whole transaction, and an element can
  // expire at any moment. So every touched element is first added (a no-op when present),
  // then deleted (now it surely exists), then the wanted ones are added anew with their
  // timeouts. A plain `add element` would not set the timeout of an element present on kernels
  // before 6.x, and on 6.x a re-ban landing as the old element ran out was lost that way
  // (the chaos run, session 9): a new element cannot be collected as the old one.
  for (const [name, els] of touch) lines.push(`add element ${t} ${name} { ${els.join(', ')} }`);
  for (const [name, els] of touch) lines.push(`delete element ${t} ${name} { ${els.join(', ')} }`);
  for (const [name, els] of put) lines.push(`add element ${t} ${name} { ${els.join(', ')} }`);
  return { script: lines.length === 0 ? '' : `${lines.join('\n')}\n`, sets: [...sets] };
}
