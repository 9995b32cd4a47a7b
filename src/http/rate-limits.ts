// The API's rate limits, refused with a 429 that says how long to wait (TooManyRequestsError):
// - ClientLimits: what one client may ask of the expensive routes (POST /api/ask, POST
//   /api/tools/*): a token bucket per client (requests per second, in bursts) and a count of
//   its requests still running. Clients are kept in a bounded LRU table, so a scan from many
//   addresses costs memory only up to MAX_CLIENTS.
// - BlockGate: operator bans through the API (http.blockRate), one bucket shared by POST
//   /api/bans and the block_addresses tool, so neither is a way around the other.
// Pure: the clock is given.

import { TokenBucket } from '../respond/ban-budget.ts';
import { AutoimmuneError } from '../errors.ts';
import { LruMap } from '../util/lru.ts';
import { parseIpv4, parseIpv6 } from '../net/address.ts';

/** http.clientLimits: per client, `perS` requests a second in bursts of `burst`, `inFlight` running at once. */
export interface ClientLimitSetting {
  perS: number;
  burst: number;
  inFlight: number;
}

/** A request refused for the client's rate or its requests in flight (HTTP 429). */
export class TooManyRequestsError extends AutoimmuneError {
  readonly retryAfterS: number;
  constructor(code: 'AI_ERR_RATE_LIMITED' | 'AI_ERR_TOO_MANY_IN_FLIGHT', message: string, retryAfterS: number) {
    super(code, message, { statusCode: 429 });
    this.retryAfterS = retryAfterS;
  }
}

/** Clients remembered at once: ~200 bytes each, so about 2 MB at most. */
export const MAX_CLIENTS = 10_000;

interface Client {
  bucket: TokenBucket;
  inFlight: number;
}

/**
 * The key a client's limits are kept under: its address (an IPv6 client by its /64, the
 * smallest network a host is usually given, so one host cannot take a fresh budget per
 * address), and whether it showed the valid token (so an operator's dashboard keeps its own
 * budget beside anonymous callers from the same address).
 */
export function clientKey(address: string, authorised: boolean): string {
  const tag = authorised ? '+token' : '';
  if (parseIpv4(address) >= 0) return address + tag;
  const g = new Uint16Array(8);
  if (!address.includes(':') || !parseIpv6(address, g)) return address + tag;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) return `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}${tag}`;
  return `${[g[0], g[1], g[2], g[3]].map((x) => x.toString(16)).join(':')}::/64${tag}`;
}

export class ClientLimits {
  private readonly clients: LruMap<string, Client>;

  constructor(
    readonly setting: ClientLimitSetting,
    private readonly now: () => number = Date.now,
    maxClients = MAX_CLIENTS,
  ) {
    this.clients = new LruMap(maxClients);
  }

  /**
   * Admits one request of `key` (clientKey), or throws TooManyRequestsError. An admitted
   * request counts as in flight until the returned release() is called (once, when its work
   * is done, not when its client hangs up: the work goes on until then).
   */
  admit(key: string, route: string): () => void {
    const now = this.now();
    const { perS, burst, inFlight } = this.setting;
    let c = this.clients.get(key);
    if (!c) {
      c = { bucket: new TokenBucket({ bans: burst, perS: burst / perS }, now), inFlight: 0 };
      this.clients.set(key, c);
    }
    if (c.inFlight >= inFlight) {
      throw new TooManyRequestsError(
        'AI_ERR_TOO_MANY_IN_FLIGHT',
        `${key} already has ${c.inFlight} request${c.inFlight === 1 ? '' : 's'} running on ${route} (at most ${inFlight} at once, http.clientLimits.inFlight): wait for one to finish`,
        1,
      );
    }
    const waitMs = c.bucket.take(now);
    if (waitMs > 0) {
      const retryAfterS = Math.max(1, Math.ceil(waitMs / 1000));
      throw new TooManyRequestsError(
        'AI_ERR_RATE_LIMITED',
        `too many requests from ${key} on ${route}: at most ${perS} per second in bursts of ${burst} (http.clientLimits); try again in ${retryAfterS} s`,
        retryAfterS,
      );
    }
    c.inFlight++;
    const client = c;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      client.inFlight--;
    };
  }

  /** Clients remembered now (for tests and metrics). */
  get size(): number {
    return this.clients.size;
  }
}

/** http.blockRate: operator bans through the API, per second in bursts. */
export interface BlockRate {
  perS: number;
  burst: number;
}

export class BlockGate {
  private readonly bucket: TokenBucket;

  constructor(
    readonly rate: BlockRate,
    private readonly now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket({ bans: rate.burst, perS: rate.burst / rate.perS }, now());
  }

  /**
   * Takes `n` bans at once, or none: throws TooManyRequestsError naming how many are free and
   * when `n` will be (a batch larger than the burst never will: the caller refuses it first).
   */
  take(n: number, what: string): void {
    const now = this.now();
    const free = this.bucket.available(now);
    const { perS, burst } = this.rate;
    if (free < n) {
      const waitS = Math.max(1, Math.ceil((n - free) / perS));
      throw new TooManyRequestsError(
        'AI_ERR_RATE_LIMITED',
        `too many block requests: ${what} needs ${n} ban${n === 1 ? '' : 's'} and ${free} ${free === 1 ? 'is' : 'are'} free; operator bans through the API are at most ${perS} per second in bursts of ${burst} (http.blockRate, shared by POST /api/bans and block_addresses); try again in ${waitS} s`,
        waitS,
      );
    }
    for (let i = 0; i < n; i++) this.bucket.take(now);
  }
}
