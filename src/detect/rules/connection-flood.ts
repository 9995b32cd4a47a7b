// Connection floods from one client at one server, whatever the service: connections the
// client completed that either open with a TLS ClientHello (an HTTPS Hulk or LOIC, a TLS
// handshake flood: each costs the server a key exchange, and TLS hides the requests from
// http-flood.ts) or that it closes without having sent a byte (a connect flood, nping
// --tcp-connect, a flood holding an SSH or SMTP server's pre-login slots: sshd's MaxStartups).
// Read in the CLIENT's shard (source-rules.ts), on connections the session verifier saw the
// client complete (the caller checks it): the address did it itself, so the alert names it
// and is blockable, with established evidence. Per (client, server) as http-flood's
// connection bucket, with the same numbers (rules-config.ts: a browser keeps at most 6
// connections to a host and reuses them; TLS resumption saves a handshake's work, not its
// connection). Not seen: a flood of connections that each carry something other than a
// ClientHello (HTTP is http-flood's; a database's or a mail server's clients send their
// protocol's first bytes), TLS over UDP (QUIC, DTLS).
// An FTP client's passive data connections (RFC 959 §4.1.1 PASV, RFC 2428 EPSV) carry nothing
// from it when it downloads or lists: once the client asks a server for PASV or EPSV, its
// empty connections to that server's unprivileged ports (RFC 959 leaves the data port to the
// server; vsftpd's and ProFTPD's ranges are above 1023) are data, not a flood, for the next
// PASSIVE_S seconds. A mirror fetching small files opens one a file.
// Bounded: one (client, server) table (LRU, evictions counted), nothing allocated per packet.

import type { Alert } from '../alert.ts';
import { FlowTable, type AddressKey } from '../flow-table.ts';
import type { PacketBatch } from '../../net/packet-batch.ts';
import { checkCapacity } from '../../util/lru.ts';
import { BucketTable } from './leaky-bucket.ts';
import { ruleAlert, seconds } from './rule-alert.ts';

import type { RulesConfig } from './rules-config.ts';

/** Seconds after a PASV or EPSV during which the client's empty connections to the server's ports above 1023 are FTP data. */
const PASSIVE_S = 60;
const FIRST_UNPRIVILEGED_PORT = 1024;

/** Whether `len` bytes at h[o] begin an FTP PASV or EPSV command (RFC 959, RFC 2428; commands are case-insensitive). */
export function ftpPassiveCommand(h: Uint8Array, o: number, len: number): boolean {
  if (len < 4) return false;
  const a = h[o]! | 0x20;
  if (a !== 0x70 && a !== 0x65) return false; // "p", "e"
  // "asv" after "p", "psv" after "e"
  return (h[o + 1]! | 0x20) === (a === 0x70 ? 0x61 : 0x70) && (h[o + 2]! | 0x20) === 0x73 && (h[o + 3]! | 0x20) === 0x76 && (len === 4 || h[o + 4] === 0x0d || h[o + 4] === 0x20);
}

/** What a counted connection was. */
export const enum ConnectionKind {
  TLS = 0,
  EMPTY = 1,
}

export class ConnectionFlood {
  private readonly cfg: RulesConfig['connectionFlood'];
  private readonly clients: FlowTable;
  private readonly bucket: BucketTable;
  /** Per (client, server) slot, the episode's TLS handshakes (the rest of its units are empty connections). */
  private readonly tls: Int32Array;
  /** Per slot, the capture time until which the client's empty connections to the server's unprivileged ports are FTP data (0: none). */
  private readonly passiveUntil: Float64Array;
  suppressed = 0;

  constructor(config: RulesConfig, maxClients: number) {
    this.cfg = config.connectionFlood;
    this.clients = new FlowTable(checkCapacity(maxClients));
    this.bucket = new BucketTable(maxClients, this.cfg.threshold, this.cfg.leakPerS, config.cooldownS);
    this.tls = new Int32Array(maxClients);
    this.passiveUntil = new Float64Array(maxClients);
  }

  get enabled(): boolean {
    return this.cfg.enabled;
  }

  /** The (client, server) table: its size and evictions for the stats, its bound for the report. */
  get clientTable(): FlowTable {
    return this.clients;
  }

  /**
   * The client (row i's source) completed a connection to `server` that opened with a
   * ClientHello (TLS) or that it closes having sent nothing (EMPTY). Returns the alert it
   * made, if any (the caller grades and raises it).
   */
  connection(batch: PacketBatch, i: number, client: AddressKey, server: AddressKey, kind: ConnectionKind): Alert | null {
    const ts = batch.ts[i];
    const c = this.slot(client, server);
    // an FTP data connection it asked for
    if (kind === ConnectionKind.EMPTY && batch.dstPort[i] >= FIRST_UNPRIVILEGED_PORT && ts <= this.passiveUntil[c]! && ts >= this.passiveUntil[c]! - PASSIVE_S) return null;
    const b = this.bucket;
    if (b.cooling(c, ts)) {
      this.suppressed++;
      return null;
    }
    if (b.leakTo(c, ts) <= 0) this.tls[c] = 0;
    if (kind === ConnectionKind.TLS) this.tls[c]++;
    if (!b.pour(c, ts, 1)) return null;
    const firstTs = b.firstTs(c);
    const score = b.overflowScore(c, ts, firstTs);
    const connections = b.episodeUnits(c);
    const tls = this.tls[c]!;
    b.trip(c, ts);
    this.tls[c] = 0;
    return ruleAlert('connection-flood', batch.formatAddress(i, 'src'), batch.formatAddress(i, 'dst'), score, ts, firstTs, true, {
      connections, tls, empty: connections - tls, windowS: seconds(ts - firstTs),
      threshold: this.cfg.threshold, leakPerS: this.cfg.leakPerS, port: batch.dstPort[i],
    });
  }

  /** The client (row i's source) asked `server` for a passive data connection (PASV, EPSV, on a verified connection). */
  passive(batch: PacketBatch, i: number, client: AddressKey, server: AddressKey): void {
    this.passiveUntil[this.slot(client, server)] = batch.ts[i] + PASSIVE_S;
  }

  private slot(client: AddressKey, server: AddressKey): number {
    let c = this.clients.find(client, server, 0, 0);
    if (c < 0) {
      c = this.clients.insert(client, server, 0, 0);
      this.bucket.reset(c);
      this.tls[c] = 0;
      this.passiveUntil[c] = 0;
    }
    return c;
  }
}
