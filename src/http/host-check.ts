// The Host header allow-list, against DNS rebinding: a page on attacker.example whose name
// the attacker re-points at 127.0.0.1 makes the browser send requests (and open WebSockets) to
// this node as if they were same-origin, with `Host: attacker.example`. The node answers only
// the names it is known by: localhost, 127.0.0.1, [::1], the address it is bound to (every
// address of the machine when bound to all of them), and http.allowedHosts. Ports do not
// matter. Pure but for the machine's interface list, read when a wildcard bind needs it.

import { networkInterfaces } from 'node:os';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const LOCAL_NAMES = ['localhost', '127.0.0.1', '::1'];

/**
 * The host name of a Host header (or of a configured name): lower case, without port, an
 * IPv6 literal without its brackets, without a trailing dot. '' when there is none.
 */
export function hostName(value: string): string {
  let h = value.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end > 0 ? h.slice(1, end) : h.slice(1);
  } else {
    const colon = h.indexOf(':');
    // One colon: name:port. More: a bare IPv6 literal (allowed in the configuration only).
    if (colon >= 0 && colon === h.lastIndexOf(':')) h = h.slice(0, colon);
  }
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

export interface HostAllowListOptions {
  /** http.host: the address the server is bound to. */
  bound: string;
  /** http.allowedHosts: further names (or addresses) the node is reached by. */
  allowed: readonly string[];
  /** The machine's own addresses (default: os.networkInterfaces()); asked only for a wildcard bind. */
  interfaces?: () => string[];
}

function machineAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => hostName(i.address)));
}

export class HostAllowList {
  private readonly names: Set<string>;
  private readonly wildcard: boolean;
  private readonly interfaces: () => string[];

  constructor(o: HostAllowListOptions) {
    const bound = hostName(o.bound);
    this.wildcard = WILDCARDS.has(bound);
    this.names = new Set([...LOCAL_NAMES, bound, ...o.allowed.map(hostName)].filter((n) => n !== ''));
    this.interfaces = o.interfaces ?? machineAddresses;
  }

  /** Whether a request with this Host header may be answered. No Host header: refused. */
  allows(header: string | undefined): boolean {
    if (header === undefined) return false;
    const name = hostName(header);
    if (name === '') return false;
    if (this.names.has(name)) return true;
    // Bound to every address: any of the machine's own is the bound address.
    return this.wildcard && this.interfaces().includes(name);
  }

  /** The one-line refusal: names the Host and the setting to change. */
  refusal(header: string | undefined): { error: string; code: string } {
    if (header === undefined || hostName(header) === '') {
      return { error: 'a request needs a Host header naming this node (localhost, its address, or a name in http.allowedHosts)', code: 'AI_ERR_HOST_NOT_ALLOWED' };
    }
    const name = hostName(header).slice(0, 100);
    return {
      error: `Host ${JSON.stringify(header.slice(0, 100))} is not a name of this node, so it is refused (a guard against DNS rebinding); if the node is reached by that name, add ${JSON.stringify(name)} to http.allowedHosts`,
      code: 'AI_ERR_HOST_NOT_ALLOWED',
    };
  }
}
