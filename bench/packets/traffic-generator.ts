// A paced UDP generator for the live-capture benchmark: sends `count` datagrams to
// 127.0.0.1:PORT at a steady `pps`, then prints one JSON line with what it really did.
//
//   node --import tsx bench/packets/traffic-generator.ts --pps 200000 --count 1000000 --port 40000
//
// It runs as its own process so its sends do not compete with the capture's event loop.
// Pacing is a token bucket refilled from the monotonic clock: each tick sends what the
// elapsed time allows (at most `burst`), then yields with setImmediate, so the rate stays
// steady instead of arriving in timer-sized lumps. Only local destinations are allowed:
// 127.x.y.z, or an address of one of this host's (or namespace's) interfaces.
//
// With --scan-every N, every Nth datagram is a probe of a port scanner instead: scanners are
// sockets bound to consecutive addresses from --scan-from (which must be local: a namespace
// with `ip route add local 198.18.0.0/15 dev lo`, see bench/node/live-lab.ts), each sending
// to --scan-ports distinct ports of the host, then replaced by the next address. Each
// scanner is one ban for the node to decide.
import { createSocket } from 'node:dgram';
import type { Socket, SocketOptions } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface GeneratorOptions {
  pps: number;
  count: number;
  port: number;
  /** Loopback address to send to (default 127.0.0.1). */
  host: string;
  /** UDP payload bytes (default 18: a 60-byte frame on lo, the smallest Ethernet frame). */
  size: number;
  /** Most datagrams sent in one tick, however late the tick is (default pps / 1000, >= 32). */
  burst: number;
  /** Wait this long before the first send (lets a capture finish opening). */
  delayMs: number;
  /** Every Nth datagram is a scanner's probe; 0: no scanners. */
  scanEvery: number;
  /** First scanner source address (IPv4, local); the next scanner takes the next address. */
  scanFrom: string;
  /** Distinct destination ports per scanner. */
  scanPorts: number;
}

export interface GeneratorReport {
  /** Datagrams the kernel took (send calls minus failed ones). */
  sent: number;
  errors: number;
  seconds: number;
  achieved_pps: number;
  target_pps: number;
  port: number;
  src_port: number;
  /** Scanner sources used (each sent scanPorts probes, the last one maybe fewer). */
  scanners: number;
  /** Probes sent by scanners (part of `sent`). */
  scan_probes: number;
}

export class GeneratorOptionError extends Error {
  override name = 'GeneratorOptionError';
  readonly code = 'AI_ERR_GENERATOR_OPTION';
}

const USAGE = 'usage: traffic-generator --pps N --count M --port P [--host 127.0.0.1] [--size BYTES] [--burst N] [--delay-ms MS] [--scan-every N --scan-from ADDR --scan-ports K]';

export function parseGeneratorArgs(argv: readonly string[]): GeneratorOptions {
  const raw = new Map<string, string>();
  for (let k = 0; k < argv.length; k += 2) {
    const flag = argv[k];
    const value = argv[k + 1];
    if (!flag.startsWith('--') || value === undefined) throw new GeneratorOptionError(`bad argument ${JSON.stringify(flag)}; ${USAGE}`);
    raw.set(flag.slice(2), value);
  }
  const known = new Set(['pps', 'count', 'port', 'host', 'size', 'burst', 'delay-ms', 'scan-every', 'scan-from', 'scan-ports']);
  for (const k of raw.keys()) if (!known.has(k)) throw new GeneratorOptionError(`unknown flag --${k}; ${USAGE}`);
  const int = (name: string, min: number, max: number, fallback?: number): number => {
    const s = raw.get(name);
    if (s === undefined) {
      if (fallback === undefined) throw new GeneratorOptionError(`--${name} is required; ${USAGE}`);
      return fallback;
    }
    const n = Number(s);
    if (!Number.isInteger(n) || n < min || n > max) throw new GeneratorOptionError(`--${name} ${s} is invalid: use an integer from ${min} to ${max}`);
    return n;
  };
  const pps = int('pps', 1, 10_000_000);
  const host = raw.get('host') ?? '127.0.0.1';
  // Traffic must never leave the machine (or the namespace it runs in).
  if (!isLocalIpv4(host)) throw new GeneratorOptionError(`--host ${host} is not a local IPv4 address: use 127.x.y.z or an address of this host's interfaces`);
  const scanFrom = raw.get('scan-from') ?? '198.18.1.0';
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(scanFrom)) throw new GeneratorOptionError(`--scan-from ${scanFrom} is not an IPv4 address`);
  return {
    pps,
    count: int('count', 1, Number.MAX_SAFE_INTEGER),
    port: int('port', 1, 65535),
    host,
    size: int('size', 0, 1472, 18),
    burst: int('burst', 1, 1_000_000, Math.max(32, Math.ceil(pps / 1000))),
    delayMs: int('delay-ms', 0, 60_000, 0),
    scanEvery: int('scan-every', 0, 1_000_000, 0),
    scanFrom,
    scanPorts: int('scan-ports', 1, 1000, 12),
  };
}

function isLocalIpv4(host: string): boolean {
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.family === 'IPv4' && a.address === host));
}

function ipv4Add(text: string, k: number): string {
  const n = (text.split('.').reduce((a, o) => a * 256 + Number(o), 0) + k) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Scanner sockets, bound ahead of use (binding is asynchronous): `take()` returns a bound one
 * or null when none is ready yet (that probe is sent as ordinary traffic instead).
 */
class ScannerPool {
  private readonly ready: Socket[] = [];
  private next = 0;
  private binding = 0;
  used = 0;

  constructor(
    private readonly o: GeneratorOptions,
    private readonly lookup: SocketOptions['lookup'],
    private readonly ahead = 32,
  ) {
    this.fill();
  }

  take(): Socket | null {
    const s = this.ready.shift() ?? null;
    if (s) this.used++;
    this.fill();
    return s;
  }

  private fill(): void {
    while (this.ready.length + this.binding < this.ahead) {
      const address = ipv4Add(this.o.scanFrom, this.next++);
      const s = createSocket({ type: 'udp4', lookup: this.lookup });
      this.binding++;
      s.on('error', (err) => {
        // A source that cannot be bound is a set-up error (no local route for it): stop.
        process.stderr.write(`traffic-generator: scanner ${address}: ${err.message}\n`);
        process.exit(2);
      });
      s.bind(0, address, () => {
        this.binding--;
        this.ready.push(s);
      });
    }
  }

  close(): void {
    for (const s of this.ready.splice(0)) s.close();
  }
}

/** Send the traffic; resolves when every datagram has been handed to the kernel. */
export function generate(o: GeneratorOptions): Promise<GeneratorReport> {
  // A synchronous lookup for literal addresses (all ours are): dgram otherwise defers every send by a
  // tick through dns.lookup. The socket stays unconnected on purpose: with no listener on
  // the port the kernel answers with ICMP port-unreachable, which a connected socket would
  // turn into ECONNREFUSED on a later send (a datagram not sent).
  const lookup: SocketOptions['lookup'] = (host, _opts, cb) => cb(null, host, 4);
  const socket = createSocket({ type: 'udp4', lookup });
  const payload = Buffer.alloc(o.size, 0x61);
  let sent = 0;
  let errors = 0;
  socket.on('error', () => errors++);
  const pool = o.scanEvery > 0 ? new ScannerPool(o, lookup) : null;
  let scanner: Socket | null = null;
  let scannerPort = 0;
  let scanProbes = 0;
  const scanners: Socket[] = [];
  /** One datagram: the k-th of the run. */
  const sendOne = (k: number): void => {
    if (pool && k % o.scanEvery === 0) {
      if (scanner === null) {
        scanner = pool.take();
        scannerPort = 0;
      }
      if (scanner !== null) {
        scanner.send(payload, 1024 + scannerPort, o.host);
        scanProbes++;
        if (++scannerPort >= o.scanPorts) {
          scanners.push(scanner);
          scanner = null;
        }
        return;
      }
    }
    socket.send(payload, o.port, o.host);
  };

  return new Promise((resolve) => {
    socket.bind(0, o.host, () => {
      const srcPort = socket.address().port;
      const start = (): void => {
        const t0 = performance.now();
        const tick = (): void => {
          const due = Math.min(o.count, Math.floor(((performance.now() - t0) * o.pps) / 1000));
          const n = Math.min(due - sent, o.burst);
          for (let k = 0; k < n; k++) sendOne(sent + k);
          sent += n;
          if (sent < o.count) {
            setImmediate(tick);
            return;
          }
          const seconds = (performance.now() - t0) / 1000;
          // Close after the sends queued in this tick are flushed.
          setImmediate(() => {
            pool?.close();
            for (const s of scanners) s.close();
            (scanner as Socket | null)?.close();
            socket.close(() =>
              resolve({ sent: sent - errors, errors, seconds, achieved_pps: Math.round((sent - errors) / seconds), target_pps: o.pps, port: o.port, src_port: srcPort, scanners: pool?.used ?? 0, scan_probes: scanProbes }),
            );
          });
        };
        tick();
      };
      if (o.delayMs > 0) setTimeout(start, o.delayMs);
      else start();
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const report = await generate(parseGeneratorArgs(process.argv.slice(2)));
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } catch (err) {
    process.stderr.write(`traffic-generator: ${(err as Error).message}\n`);
    process.exit(2);
  }
}
