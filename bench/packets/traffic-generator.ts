// A paced UDP generator for the live-capture benchmark: sends `count` datagrams to
// 127.0.0.1:PORT at a steady `pps`, then prints one JSON line with what it really did.
//
//   node --import tsx bench/packets/traffic-generator.ts --pps 200000 --count 1000000 --port 40000
//
// It runs as its own process so its sends do not compete with the capture's event loop.
// Pacing is a token bucket refilled from the monotonic clock: each tick sends what the
// elapsed time allows (at most `burst`), then yields with setImmediate, so the rate stays
// steady instead of arriving in timer-sized lumps. Only loopback destinations are allowed.
import { createSocket } from 'node:dgram';
import type { SocketOptions } from 'node:dgram';
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
}

export class GeneratorOptionError extends Error {
  override name = 'GeneratorOptionError';
  readonly code = 'AI_ERR_GENERATOR_OPTION';
}

const USAGE = 'usage: traffic-generator --pps N --count M --port P [--host 127.0.0.1] [--size BYTES] [--burst N] [--delay-ms MS]';

export function parseGeneratorArgs(argv: readonly string[]): GeneratorOptions {
  const raw = new Map<string, string>();
  for (let k = 0; k < argv.length; k += 2) {
    const flag = argv[k];
    const value = argv[k + 1];
    if (!flag.startsWith('--') || value === undefined) throw new GeneratorOptionError(`bad argument ${JSON.stringify(flag)}; ${USAGE}`);
    raw.set(flag.slice(2), value);
  }
  const known = new Set(['pps', 'count', 'port', 'host', 'size', 'burst', 'delay-ms']);
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
  // Traffic must never leave the machine.
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) throw new GeneratorOptionError(`--host ${host} is not a loopback IPv4 address: use 127.x.y.z`);
  return {
    pps,
    count: int('count', 1, Number.MAX_SAFE_INTEGER),
    port: int('port', 1, 65535),
    host,
    size: int('size', 0, 1472, 18),
    burst: int('burst', 1, 1_000_000, Math.max(32, Math.ceil(pps / 1000))),
    delayMs: int('delay-ms', 0, 60_000, 0),
  };
}

/** Send the traffic; resolves when every datagram has been handed to the kernel. */
export function generate(o: GeneratorOptions): Promise<GeneratorReport> {
  // A synchronous lookup for the literal address: dgram otherwise defers every send by a
  // tick through dns.lookup. The socket stays unconnected on purpose: with no listener on
  // the port the kernel answers with ICMP port-unreachable, which a connected socket would
  // turn into ECONNREFUSED on a later send (a datagram not sent).
  const lookup: SocketOptions['lookup'] = (_host, _opts, cb) => cb(null, o.host, 4);
  const socket = createSocket({ type: 'udp4', lookup });
  const payload = Buffer.alloc(o.size, 0x61);
  let sent = 0;
  let errors = 0;
  socket.on('error', () => errors++);

  return new Promise((resolve) => {
    socket.bind(0, '127.0.0.1', () => {
      const srcPort = socket.address().port;
      const start = (): void => {
        const t0 = performance.now();
        const tick = (): void => {
          const due = Math.min(o.count, Math.floor(((performance.now() - t0) * o.pps) / 1000));
          const n = Math.min(due - sent, o.burst);
          for (let k = 0; k < n; k++) socket.send(payload, o.port, o.host);
          sent += n;
          if (sent < o.count) {
            setImmediate(tick);
            return;
          }
          const seconds = (performance.now() - t0) / 1000;
          // Close after the sends queued in this tick are flushed.
          setImmediate(() =>
            socket.close(() =>
              resolve({ sent: sent - errors, errors, seconds, achieved_pps: Math.round((sent - errors) / seconds), target_pps: o.pps, port: o.port, src_port: srcPort }),
            ),
          );
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
