// The native side of live capture: node_pcap's binding (npm `pcap`, on libpcap), used
// directly rather than through pcap.js so that we own the read loop, and the rules that
// keep it from crashing the process. What the binding does, and what follows from it:
//
// - dispatch(buf, header) loops pcap_dispatch(1) until the ring is empty, copying each
//   packet into `buf` (and its pcap header into `header`) and calling the packet callback
//   given to open_live, synchronously. The buffers are only written during that call, so
//   nothing dangles once it returns (cap, by contrast, keeps a raw pointer to its buffer
//   and writes into freed memory once the buffer is garbage-collected).
// - We never call start_polling: its uv_poll handle is never uv_close()d, and stays ref'd
//   until a later packet arrives after close(). We read on a JS timer instead; with no
//   libuv handle inside the native object, garbage-collecting it is always safe.
// - close() is only pcap_breakloop(). libpcap in non-blocking mode notices the break only
//   while handling a packet, so the handle is released (pcap_close) by the first dispatch
//   that sees a packet afterwards. releaseSession() tries once, then leaves the rest to a
//   background reaper. dispatch() after that release would dereference NULL: never again.
// - A session whose open_live threw is never touched again: its handle may be half-made.
//   Filters are therefore compiled offline first, so a bad one fails before any socket.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureFilterError, CaptureLibraryError, CaptureOpenError } from './live-errors.ts';
import { LinkType } from './link-types.ts';

export interface PcapKernelStats {
  ps_recv: number;
  ps_drop: number;
  ps_ifdrop: number;
}

/**
 * open_live(device, …) and open_offline(path, …): the same arguments after the first (as in
 * node_pcap's pcap_session.cc); returns the link type's name.
 */
type PcapOpen = (
  deviceOrPath: string,
  filter: string,
  bufferSize: number,
  snaplen: number,
  dumpFile: string,
  onPacket: () => void,
  monitor: boolean,
  bufferTimeoutMs: number,
  onWarning: (message: string) => void,
  promiscuous: boolean,
) => string;

/** One pcap_t as node_pcap exposes it. */
export interface PcapBindingSession {
  open_live: PcapOpen;
  open_offline: PcapOpen;
  /** Packets handled (>= 0), -1 on error, -2 when a break was seen (the handle is then released). */
  dispatch(buf: Buffer, header: Buffer): number;
  close(): void;
  stats(): PcapKernelStats;
}

export interface PcapDevice {
  name: string;
  description?: string;
  flags?: string;
}

interface PcapBinding {
  PcapSession: new () => PcapBindingSession;
  findalldevs(): PcapDevice[];
  lib_version(): string;
}

/** dispatch() return codes (PCAP_ERROR, PCAP_ERROR_BREAK). */
export const PCAP_ERROR = -1;
export const PCAP_ERROR_BREAK = -2;

let binding: PcapBinding | null = null;

/** The native binding, loaded on first use. */
export function pcapBinding(iface: string): PcapBinding {
  if (binding !== null) return binding;
  try {
    binding = createRequire(import.meta.url)('pcap/build/Release/pcap_binding.node') as PcapBinding;
  } catch (err) {
    throw new CaptureLibraryError(
      iface,
      `the capture library (npm pcap, node_pcap on libpcap) is not usable: ${(err as Error).message.split('\n')[0]}; ` +
        'install libpcap-dev and run `npm rebuild pcap` (its install script must stay approved in package.json "allowScripts")',
      { cause: err },
    );
  }
  return binding;
}

export function libpcapVersion(): string {
  return pcapBinding('').lib_version();
}

/** Interfaces libpcap can open, in its order. */
export function listInterfaces(iface = ''): string[] {
  try {
    return pcapBinding(iface).findalldevs().map((d) => d.name);
  } catch (err) {
    if (err instanceof CaptureLibraryError) throw err;
    return []; // pcap_findalldevs found nothing
  }
}

/** LINKTYPE_* of the name open_live returns. */
export function linkTypeOf(name: string): number {
  switch (name) {
    case 'LINKTYPE_ETHERNET':
      return LinkType.ETHERNET;
    case 'LINKTYPE_NULL':
      return LinkType.NULL;
    case 'LINKTYPE_RAW':
      return LinkType.RAW;
    case 'LINKTYPE_LINUX_SLL':
      return LinkType.LINUX_SLL;
    case 'LINKTYPE_IEEE802_11_RADIO':
      return 127;
    default: {
      // "Unknown linktype N": a DLT_ value, equal to its LINKTYPE_ for everything we decode.
      const m = /(\d+)$/.exec(name);
      return m ? Number(m[1]) : 0xffff;
    }
  }
}

/**
 * The link type libpcap will pick for `iface` on Linux, from its ARPHRD type in sysfs; null
 * when unsure (the filter is then only compiled by the live open).
 */
export function expectedLinkType(iface: string): number | null {
  if (iface === 'any') return LinkType.LINUX_SLL;
  let arphrd: number;
  try {
    arphrd = Number(readFileSync(`/sys/class/net/${iface}/type`, 'utf8').trim());
  } catch {
    return null;
  }
  switch (arphrd) {
    case 1: // ARPHRD_ETHER
    case 772: // ARPHRD_LOOPBACK: libpcap presents lo as Ethernet
      return LinkType.ETHERNET;
    case 65534: // ARPHRD_NONE (tun)
      return LinkType.RAW;
    default:
      return null;
  }
}

/**
 * Compile `filter` for `linkType` against an empty capture file: a bad filter fails here,
 * before any socket exists, and the offline handle is released at once (an offline read sees
 * the break immediately).
 */
export function checkFilterOffline(iface: string, filter: string, linkType: number, snaplen: number): void {
  if (filter === '') return;
  const b = pcapBinding(iface);
  const path = join(tmpdir(), `autoimmune-bpf-${process.pid}-${Math.random().toString(36).slice(2)}.pcap`);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(snaplen, 16);
  header.writeUInt32LE(linkType, 20);
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, header);
    } finally {
      closeSync(fd);
    }
  } catch {
    return; // no writable temp dir: the live open compiles the filter alone
  }
  try {
    // First without a filter: if even that fails, the file did not open and the handle is
    // NULL, so nothing may be called on it. After that, a throw can only be the compile,
    // which leaves an open handle to release like a good one.
    const probe = new b.PcapSession();
    try {
      probe.open_offline(path, '', 0, snaplen, '', noop, false, 0, noop, false);
    } catch (err) {
      throw new CaptureOpenError(iface, `cannot check the BPF filter for ${iface}: libpcap did not open ${path}: ${(err as Error).message}`, { cause: err });
    }
    releaseOffline(probe);
    const session = new b.PcapSession();
    try {
      session.open_offline(path, filter, 0, snaplen, '', noop, false, 0, noop, false);
    } catch (err) {
      throw new CaptureFilterError(iface, filter, (err as Error).message, { cause: err });
    } finally {
      releaseOffline(session);
    }
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

/** An offline read sees the break before reading anything, so this releases at once. */
function releaseOffline(session: PcapBindingSession): void {
  session.close();
  session.dispatch(Buffer.alloc(16), Buffer.alloc(16));
}

function noop(): void {}

/**
 * Whether this process may open packet sockets: CAP_NET_RAW in the effective set (Linux);
 * elsewhere, root. null when it cannot tell (then the open itself decides).
 */
export function hasCapturePermission(): boolean | null {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/im.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return (BigInt(`0x${m[1]}`) & (1n << 13n)) !== 0n; // CAP_NET_RAW = 13
  } catch {
    // not Linux
  }
  return typeof process.geteuid === 'function' ? process.geteuid() === 0 : null;
}

// ---- releasing closed sessions

interface Lingering {
  buf: Buffer;
  header: Buffer;
  since: number;
}

/** Give up on a handle after this long (it is then simply leaked; nothing reads it again). */
const REAP_GIVE_UP_MS = 10 * 60_000;
const REAP_EVERY_MS = 100;
const lingering = new Map<PcapBindingSession, Lingering>();
let reaper: NodeJS.Timeout | null = null;

function reap(): void {
  const now = performance.now();
  for (const [session, l] of lingering) {
    if (session.dispatch(l.buf, l.header) === PCAP_ERROR_BREAK || now - l.since > REAP_GIVE_UP_MS) lingering.delete(session);
  }
  if (lingering.size === 0 && reaper !== null) {
    clearInterval(reaper);
    reaper = null;
  }
}

/**
 * Release an open session's pcap handle (its socket and kernel ring). Returns true when done
 * now; otherwise the reaper finishes it when the next packet passes its filter. The session's
 * packet callback may run once more meanwhile and must ignore what it gets.
 */
export function releaseSession(session: PcapBindingSession, buf: Buffer, header: Buffer): boolean {
  session.close();
  if (session.dispatch(buf, header) === PCAP_ERROR_BREAK) return true;
  lingering.set(session, { buf, header, since: performance.now() });
  if (reaper === null) {
    reaper = setInterval(reap, REAP_EVERY_MS);
    // Waiting for a packet that may never come must not keep the process alive.
    reaper.unref();
  }
  return false;
}

/** Closed sessions whose handle is not released yet (waiting for one more packet). */
export function pendingReleases(): number {
  return lingering.size;
}
