// Live capture on one interface through libpcap, decoded straight into PacketBatch rows.
//
// Library: npm `pcap` (node_pcap), not `cap`. cap hard-codes snaplen 65535 with immediate
// mode, so libpcap's TPACKET_V2 ring reserves ~64 KiB per packet: a 10 MiB buffer holds 80
// packets (the "1,000-packet burst delivered ~80" bug) and zero loss at 200k pps on lo needs
// ~256 MiB of kernel memory, which a 20 ms event-loop stall still overruns. cap also has no
// pcap_stats (so no kernel drop counts), keeps a raw pointer to the JS capture buffer (the
// segfault once that buffer is collected) and never uv_close()s its poll handle. node_pcap
// takes a snaplen, so each ring slot is ~600 bytes, and reports ps_drop/ps_ifdrop. See
// live-pcap.ts for how we drive its binding safely. (On `lo` the ring also gets the sent copy
// of every packet, which libpcap then skips: it holds half as many packets there.)
//
// Reading: a timer every `flushMs` (1 ms) calls dispatch, which drains the kernel ring
// synchronously, decoding every packet into the current batch. A batch is handed on when
// it reaches `batchSize` rows or at the end of the tick that filled it partly, whichever
// comes first, so no packet waits much more than `flushMs` once the kernel has it.
// Immediate mode (TPACKET_V2, the default for snaplen <= 2048) makes every packet readable
// at once; otherwise libpcap uses TPACKET_V3 blocks, packed by real packet size but handed
// over only when full or after a `flushMs` block timeout.
import { CopyFilter } from './copy-filter.ts';
import { decodeFrame } from './decode.ts';
import { DecodeStats } from './decode-stats.ts';
import type { DecodeStatsSnapshot } from './decode-stats.ts';
import {
  CaptureInterfaceError,
  CaptureModeError,
  CaptureOpenError,
  CapturePermissionError,
  CaptureReadError,
  LiveCaptureError,
} from './live-errors.ts';
import {
  checkFilterOffline,
  expectedLinkType,
  hasCapturePermission,
  linkTypeOf,
  listInterfaces,
  pcapBinding,
  PCAP_ERROR_BREAK,
  pendingReleases,
  releaseSession,
} from './live-pcap.ts';
import type { PcapBindingSession } from './live-pcap.ts';
import { BatchPool } from './batch-pool.ts';
import { PacketBatch } from './packet-batch.ts';
import type { PacketSource, SourceStats } from './packet-source.ts';
import { CaptureOptionError } from './pcap-file.ts';

export * from './live-errors.ts';

/** Enough for every header the decoder reads (Ethernet, VLANs, IPv6 extensions, TCP options). */
export const DEFAULT_LIVE_SNAPLEN = 512;
export const DEFAULT_LIVE_BUFFER_SIZE = 16 * 1024 * 1024;
export const DEFAULT_LIVE_BATCH_SIZE = 1024;
export const DEFAULT_FLUSH_MS = 1;
export const DEFAULT_MAX_QUEUED_BATCHES = 256;
/** Immediate mode reserves a snaplen-sized ring slot per packet, so it is the default only up to here. */
export const IMMEDIATE_MAX_SNAPLEN = 2048;

/** New batches start this small and grow with the traffic (a batch buffer is ~100 bytes a row). */
const MIN_BATCH_CAPACITY = 64;
/**
 * One dispatch drains the ring for as long as packets keep coming. Past this, the rest of that
 * read is counted and discarded (`shed`): otherwise a consumer slower than the traffic would
 * never get the event loop back.
 */
const READ_BUDGET_MS = 50;
/** Pull mode: batches kept to be refilled (what next() handed out, outgrown small ones). */
const SPARE_BATCHES = 4;
/** libpcap keeps 32-bit counters: read them often enough to see every wrap. */
const KERNEL_STATS_EVERY_MS = 1000;

export interface LiveCaptureOptions {
  /** Interface name as libpcap knows it (`lo`, `eth0`, `any`). */
  iface: string;
  /** BPF filter in tcpdump syntax; '' (default) captures everything. */
  filter?: string;
  /** Default false: only traffic addressed to this host. */
  promiscuous?: boolean;
  /** Bytes kept of each packet (default 512; 64..262144). */
  snaplen?: number;
  /** Kernel ring buffer in bytes (default 16 MiB). */
  bufferSize?: number;
  /** Deliver each packet at once (TPACKET_V2). Default: snaplen <= 2048. */
  immediate?: boolean;
  /** Rows per handed-on batch (default 1024). */
  batchSize?: number;
  /** Read tick in ms, the longest a partial batch waits (default 1). */
  flushMs?: number;
  /** Value of every row's `iface` column (default 0). */
  ifaceIndex?: number;
  /**
   * Push mode: called with each batch (a new object the callee may keep). Without it the
   * capture is pulled with next(). Called from a timer, never inside libpcap; a throw
   * propagates from that timer like any callback's.
   */
  onBatch?: (batch: PacketBatch) => void;
  /** Push mode: a read failure after opening. Without it the error is thrown from the timer. */
  onError?: (err: LiveCaptureError) => void;
  /** Pull mode: batches waiting for next() before reading pauses and the kernel ring fills (default 256). */
  maxQueuedBatches?: number;
  /** Decode outcomes accumulate here (default: a new DecodeStats). */
  stats?: DecodeStats;
}

export interface LiveCaptureStats extends SourceStats {
  iface: string;
  /** Packets decoded into batches (every packet read; decode failures are rows with a status). */
  packets: number;
  /** Batches handed on or queued. */
  batches: number;
  /**
   * ps_recv: packets that passed the filter in the kernel, dropped ones included. On `lo`
   * each packet is seen twice (sent and received copies; libpcap hands on one).
   */
  kernelReceived: number;
  /** ps_drop: lost because the kernel ring was full (counted per copy on `lo`). */
  kernelDrops: number;
  /** ps_ifdrop: dropped by the interface or its driver. */
  interfaceDrops: number;
  /** Read but discarded because one read ran past its time budget (see READ_BUDGET_MS). */
  shed: number;
  decode: DecodeStatsSnapshot;
}

type State = 'open' | 'closed' | 'failed';

interface Waiter {
  resolve: (b: PacketBatch | null) => void;
  reject: (err: unknown) => void;
}

function intOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CaptureOptionError(`live capture option ${name}=${value} is invalid: use an integer from ${min} to ${max}`);
  }
  return value;
}

function boolOption(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new CaptureOptionError(`live capture option ${name}=${String(value)} is invalid: use true or false`);
  return value;
}

function nextPow2(n: number): number {
  return n <= 1 ? 1 : 2 ** (32 - Math.clz32(n - 1));
}

function noop(): void {}

/** Interfaces libpcap can capture on here. */
export function captureInterfaces(): string[] {
  return listInterfaces();
}

/** Whether this process may capture (root or CAP_NET_RAW); null when it cannot tell. */
export function canCapture(): boolean | null {
  return hasCapturePermission();
}

export class LiveCapture implements PacketSource {
  readonly name: string;
  readonly iface: string;
  readonly filter: string;
  readonly promiscuous: boolean;
  readonly snaplen: number;
  readonly bufferSize: number;
  readonly immediate: boolean;
  readonly batchSize: number;
  readonly flushMs: number;
  readonly ifaceIndex: number;
  /** LINKTYPE_* of the interface (1 Ethernet, also for `lo`; 113 for `any`). */
  readonly linkType: number;
  /** Second sightings of forwarded packets on a cooked (`any`) capture, dropped (copy-filter.ts); `copies` counts them. */
  readonly copyFilter = new CopyFilter();
  readonly decodeStats: DecodeStats;

  private readonly session: PcapBindingSession;
  // The binding copies each packet and its header here during dispatch() only.
  private readonly buf: Buffer;
  private readonly header: Buffer;
  /** header as [tv_sec, tv_usec, caplen, len], host order as libpcap wrote them. */
  private readonly hdr: Uint32Array;
  private readonly onBatch: ((batch: PacketBatch) => void) | undefined;
  private readonly onError: ((err: LiveCaptureError) => void) | undefined;
  private readonly maxQueued: number;
  private readonly timer: NodeJS.Timeout;

  private state: State = 'open';
  private failure: LiveCaptureError | null = null;
  private batch: PacketBatch | null = null;
  private nextCapacity: number;
  private readonly ready: PacketBatch[] = [];
  private readonly waiters: Waiter[] = [];
  /**
   * Pull mode: the batch the last next() handed out, the caller's until its next call
   * (PacketSource), then refilled; with outgrown ones, in `spare`. A new batch each read (a
   * few KB, and a typed-array view per column) was garbage every millisecond.
   */
  private lent: PacketBatch | null = null;
  private readonly spare: BatchPool;
  private delivering = false;

  private packets = 0;
  private batches = 0;
  private shed = 0;
  private readPackets = 0;
  private readStart = 0;
  private shedding = false;

  private kernelReceived = 0;
  private kernelDrops = 0;
  private interfaceDrops = 0;
  private lastRecv = 0;
  private lastDrop = 0;
  private lastIfDrop = 0;
  private lastKernelPoll = 0;

  /**
   * Open `options.iface` and start reading. Throws CaptureInterfaceError (unknown interface),
   * CaptureFilterError, CapturePermissionError (no root / CAP_NET_RAW), CaptureOpenError,
   * CaptureLibraryError or CaptureOptionError.
   */
  static open(options: LiveCaptureOptions): LiveCapture {
    return new LiveCapture(options);
  }

  /** Closed sessions whose kernel socket waits for one more packet to be released (see live-pcap.ts). */
  static get pendingReleases(): number {
    return pendingReleases();
  }

  private constructor(options: LiveCaptureOptions) {
    const iface = options.iface;
    if (typeof iface !== 'string' || iface === '') {
      throw new CaptureOptionError(`live capture option iface=${JSON.stringify(iface)} is invalid: name an interface, e.g. "lo" or "eth0"`);
    }
    this.iface = iface;
    this.name = `live:${iface}`;
    this.filter = options.filter ?? '';
    if (typeof this.filter !== 'string') throw new CaptureOptionError(`live capture option filter=${String(this.filter)} is invalid: use a BPF filter string ('' for everything)`);
    this.promiscuous = boolOption('promiscuous', options.promiscuous, false);
    this.snaplen = intOption('snaplen', options.snaplen, DEFAULT_LIVE_SNAPLEN, 64, 262144);
    // node_pcap passes the size as an int32.
    this.bufferSize = intOption('bufferSize', options.bufferSize, DEFAULT_LIVE_BUFFER_SIZE, 65536, 2 ** 31 - 1);
    this.immediate = boolOption('immediate', options.immediate, this.snaplen <= IMMEDIATE_MAX_SNAPLEN);
    this.batchSize = intOption('batchSize', options.batchSize, DEFAULT_LIVE_BATCH_SIZE, 1, 65536);
    this.flushMs = intOption('flushMs', options.flushMs, DEFAULT_FLUSH_MS, 1, 1000);
    this.ifaceIndex = intOption('ifaceIndex', options.ifaceIndex, 0, 0, 65535);
    this.maxQueued = intOption('maxQueuedBatches', options.maxQueuedBatches, DEFAULT_MAX_QUEUED_BATCHES, 1, 1_000_000);
    this.onBatch = options.onBatch;
    this.onError = options.onError;
    this.decodeStats = options.stats ?? new DecodeStats();
    this.nextCapacity = Math.min(MIN_BATCH_CAPACITY, this.batchSize);
    this.spare = new BatchPool(this.batchSize, SPARE_BATCHES);
    this.buf = Buffer.alloc(this.snaplen);
    this.header = Buffer.alloc(16);
    this.hdr = new Uint32Array(this.header.buffer, this.header.byteOffset, 4);

    // Cheap, unprivileged checks first, so each mistake gets its own one-line answer.
    const b = pcapBinding(iface);
    const available = listInterfaces(iface);
    if (!available.includes(iface)) throw new CaptureInterfaceError(iface, available);
    const expected = expectedLinkType(iface);
    if (expected !== null) checkFilterOffline(iface, this.filter, expected, this.snaplen);
    if (hasCapturePermission() === false) throw new CapturePermissionError(iface);

    const session = new b.PcapSession();
    let linkName: string;
    try {
      linkName = session.open_live(
        iface,
        this.filter,
        this.bufferSize,
        this.snaplen,
        '',
        this.onPacket,
        false,
        // 0 asks node_pcap for immediate mode; otherwise it is the TPACKET_V3 block timeout.
        this.immediate ? 0 : this.flushMs,
        // pcap_lookupnet warnings (no IPv4 address): only `ip broadcast` filters need the netmask.
        noop,
        this.promiscuous,
      );
    } catch (err) {
      // The half-opened session is dropped untouched (live-pcap.ts says why).
      throw openError(iface, err);
    }
    this.session = session;
    this.linkType = linkTypeOf(linkName);
    this.lastKernelPoll = performance.now();
    this.timer = setInterval(this.tick, this.flushMs);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * Pull mode: the next batch, waiting for traffic; null once closed and drained. After a
   * read failure the batches already read come first, then this rejects with the error.
   */
  next(): Promise<PacketBatch | null> {
    if (this.onBatch !== undefined) {
      return Promise.reject(new CaptureModeError(this.iface, `the capture on ${this.iface} delivers to onBatch; open it without onBatch to pull with next()`));
    }
    if (this.lent !== null) {
      this.keep(this.lent);
      this.lent = null;
    }
    const b = this.ready.shift();
    if (b !== undefined) return Promise.resolve((this.lent = b));
    if (this.state === 'failed') return Promise.reject(this.failure);
    if (this.state === 'closed') return Promise.resolve(null);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  stats(): LiveCaptureStats {
    if (this.state === 'open') this.pollKernel();
    return {
      iface: this.iface,
      packets: this.packets,
      batches: this.batches,
      kernelReceived: this.kernelReceived,
      kernelDrops: this.kernelDrops,
      interfaceDrops: this.interfaceDrops,
      shed: this.shed,
      decode: this.decodeStats.toJSON(),
    };
  }

  /**
   * Stop: read what the kernel already holds and hand it on, then release the socket.
   * Safe to call any number of times, also from onBatch. Pending next() calls get the
   * remaining batches, then null.
   */
  close(): Promise<void> {
    this.closeSync();
    return Promise.resolve();
  }

  closeSync(): void {
    if (this.state !== 'open') return;
    clearInterval(this.timer);
    const r = this.read();
    this.pollKernel();
    this.state = 'closed';
    // A break seen by that read already released the handle; another dispatch would crash.
    if (r !== PCAP_ERROR_BREAK) releaseSession(this.session, this.buf, this.header);
    this.flush();
    this.deliver();
  }

  // ---- internals

  /** Runs inside dispatch() for each packet: decode into the current batch, nothing else. */
  private readonly onPacket = (): void => {
    if (this.state !== 'open') return; // a packet seen while releasing the handle
    if (this.shedding) {
      this.shed++;
      return;
    }
    let b = this.batch;
    if (b === null) b = this.batch = this.take(this.nextCapacity);
    const h = this.hdr;
    const i = b.length;
    const caplen = h[2] < this.snaplen ? h[2] : this.snaplen;
    const lt = this.linkType;
    decodeFrame(b, i, this.buf, 0, caplen, h[3], lt, h[0] + h[1] / 1e6, this.decodeStats);
    b.iface[i] = this.ifaceIndex;
    // `-i any` (Linux cooked) on a router sees each forwarded packet on both sides, a sensor
    // fed by two mirror sessions each packet between their hosts from both: one counts
    if (this.copyFilter.seenTwice(b, i, this.buf, 0, caplen, lt, 0, 1)) return;
    b.length = i + 1;
    this.packets++;
    if (b.length === b.capacity) this.batchFull(b);
    if ((++this.readPackets & 255) === 0 && performance.now() - this.readStart > READ_BUDGET_MS) this.shedding = true;
  };

  private batchFull(b: PacketBatch): void {
    if (b.capacity < this.batchSize) {
      // Started small for light traffic; more came: carry on in a full-size batch.
      const big = this.take(this.batchSize);
      for (let k = 0; k < b.length; k++) big.appendRow(b, k);
      this.batch = big;
      this.keep(b);
      return;
    }
    this.ready.push(b);
    this.batches++;
    this.batch = null;
  }

  /** An empty batch of at least `rows` rows: a spare one (pull mode) or a new one. */
  private take(rows: number): PacketBatch {
    return this.spare.take(rows);
  }

  /** Keeps a batch nobody else holds any more, to be refilled (pull mode only: push mode hands its batches away for good). */
  private keep(b: PacketBatch): void {
    if (this.onBatch === undefined) this.spare.give(b);
  }

  private readonly tick = (): void => {
    if (this.state !== 'open') return;
    // Pull mode with nobody pulling: stop reading and let the kernel ring absorb (and count) it.
    if (this.onBatch === undefined && this.ready.length >= this.maxQueued) {
      this.pollKernelEvery();
      return;
    }
    const r = this.read();
    if (r < 0) {
      this.fail(r);
      return;
    }
    this.pollKernelEvery();
    this.flush();
    this.deliver();
  };

  /** One dispatch: drains the ring. Returns its code (packets, -1 error, -2 break). */
  private read(): number {
    this.readPackets = 0;
    this.shedding = false;
    this.readStart = performance.now();
    const r = this.session.dispatch(this.buf, this.header);
    this.shedding = false;
    // Size the next batch for what one tick brings.
    const n = this.readPackets;
    this.nextCapacity = Math.min(this.batchSize, n <= MIN_BATCH_CAPACITY ? MIN_BATCH_CAPACITY : nextPow2(n));
    return r;
  }

  private flush(): void {
    const b = this.batch;
    if (b !== null && b.length > 0) {
      this.ready.push(b);
      this.batches++;
      this.batch = null;
    }
  }

  private deliver(): void {
    const onBatch = this.onBatch;
    if (onBatch !== undefined) {
      // A close() from inside onBatch flushes here again; the running loop delivers that.
      if (this.delivering) return;
      this.delivering = true;
      try {
        for (let b = this.ready.shift(); b !== undefined; b = this.ready.shift()) onBatch(b);
      } finally {
        this.delivering = false;
      }
      return;
    }
    while (this.waiters.length > 0 && this.ready.length > 0) this.waiters.shift()!.resolve((this.lent = this.ready.shift()!));
    if (this.state !== 'open' && this.ready.length === 0) {
      for (let w = this.waiters.shift(); w !== undefined; w = this.waiters.shift()) {
        if (this.state === 'failed') w.reject(this.failure);
        else w.resolve(null);
      }
    }
  }

  private fail(code: number): void {
    clearInterval(this.timer);
    const released = code === PCAP_ERROR_BREAK;
    if (!released) this.pollKernel();
    const err = new CaptureReadError(
      this.iface,
      released
        ? `the capture on ${this.iface} stopped: libpcap released its handle unasked; open it again`
        : `reading from ${this.iface} failed: the interface may have gone down or away; open the capture again once it is back`,
    );
    this.state = 'failed';
    this.failure = err;
    if (!released) releaseSession(this.session, this.buf, this.header);
    this.flush();
    this.deliver();
    if (this.onBatch !== undefined) {
      if (this.onError !== undefined) this.onError(err);
      else throw err;
    }
  }

  private pollKernelEvery(): void {
    if (performance.now() - this.lastKernelPoll >= KERNEL_STATS_EVERY_MS) this.pollKernel();
  }

  private pollKernel(): void {
    let s;
    try {
      s = this.session.stats();
    } catch {
      return;
    }
    this.lastKernelPoll = performance.now();
    // Deltas modulo 2^32: libpcap's counters are 32-bit and wrap on long runs.
    const recv = s.ps_recv >>> 0;
    const drop = s.ps_drop >>> 0;
    const ifdrop = s.ps_ifdrop >>> 0;
    this.kernelReceived += (recv - this.lastRecv) >>> 0;
    this.kernelDrops += (drop - this.lastDrop) >>> 0;
    this.interfaceDrops += (ifdrop - this.lastIfDrop) >>> 0;
    this.lastRecv = recv;
    this.lastDrop = drop;
    this.lastIfDrop = ifdrop;
  }
}

function openError(iface: string, err: unknown): LiveCaptureError {
  const msg = (err as Error).message ?? String(err);
  if (/permission|not permitted/i.test(msg)) return new CapturePermissionError(iface, { cause: err });
  if (/no such device/i.test(msg)) return new CaptureInterfaceError(iface, listInterfaces(iface), { cause: err });
  return new CaptureOpenError(iface, `cannot capture on ${iface}: ${msg}`, { cause: err });
}
