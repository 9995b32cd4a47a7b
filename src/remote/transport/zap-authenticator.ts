// The ZAP (ZeroMQ RFC 27) handler that decides which CURVE clients a node's socket accepts:
// only public keys of registered peers. libzmq asks it during every handshake over an inproc
// socket bound at a fixed address in the same context; the transport's sockets set
// zapEnforceDomain, so without this handler every connection fails (closed by default).
// Decisions are made against the current key set, so setPeers changes who may connect next.

import * as zmq from 'zeromq';
import { z85Encode } from './z85.ts';

export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

export class ZapAuthenticator {
  readonly #socket: zmq.Router;
  #allowed = new Set<string>();
  #denied = 0;
  #closed = false;
  readonly #loop: Promise<void>;

  private constructor(socket: zmq.Router) {
    this.#socket = socket;
    this.#loop = this.#serve();
  }

  /** Binds the handler in `context`; it must exist before the context's server sockets bind. */
  static async start(context: zmq.Context): Promise<ZapAuthenticator> {
    const socket = new zmq.Router({ context, linger: 0 });
    await socket.bind(ZAP_ENDPOINT);
    return new ZapAuthenticator(socket);
  }

  /** The Z85 public keys that may connect from now on. */
  allow(keys: Iterable<string>): void {
    this.#allowed = new Set(keys);
  }

  /** Handshakes refused so far (unknown key or not CURVE). */
  get denied(): number {
    return this.#denied;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#socket.close();
    await this.#loop.catch(() => undefined);
  }

  async #serve(): Promise<void> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.#socket.receive();
      } catch (err) {
        if (this.#closed) return;
        throw err;
      }
      // [client routing id, empty delimiter, version, request id, domain, address, identity, mechanism, credentials...]
      const [client, delimiter, version, requestId, , , , mechanism, key] = frames;
      if (!client || !delimiter || !requestId) continue;
      const ok = version?.toString() === '1.0' && mechanism?.toString() === 'CURVE' && key?.length === 32 && this.#allowed.has(z85Encode(key));
      if (!ok) this.#denied++;
      try {
        await this.#socket.send([client, delimiter, '1.0', requestId, ok ? '200' : '400', ok ? 'OK' : 'key not registered', '', '']);
      } catch (err) {
        if (this.#closed) return;
        throw err;
      }
    }
  }
}
