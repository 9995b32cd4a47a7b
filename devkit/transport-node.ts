// A transport node in its own process (devkit/transport-child.ts forks it): the receiver of
// the transport benchmark, and the node the failover test SIGKILLs mid-stream. Driven over
// IPC: start → started { address }, peers → ok, stats → stats { stats, cpu }, stop → stopped.
// It answers every delivery as handled, at once or after `answerDelayMs` (so that at any
// moment some messages are in flight to it).
import { decodeKey } from '../src/remote/envelope/envelope-key.ts';
import { KeyRing } from '../src/remote/envelope/key-ring.ts';
import { startZmqTransport } from '../src/remote/transport/zmq-transport.ts';
import type { PeerInfo, Transport } from '../src/remote/transport/types.ts';

export interface TransportNodeStart {
  type: 'start';
  nodeId: string;
  keys: { publicKey: string; secretKey: string };
  /** Default: the transport's (on). */
  curve?: boolean;
  /** An envelope key (encodeKey form): seal every frame with the AES-GCM KeyRing. */
  envelopeKey?: string | null;
  /** Default 0: answered in the delivery itself. */
  answerDelayMs?: number;
}
type Command = TransportNodeStart | { type: 'peers'; peers: PeerInfo[] } | { type: 'stats' } | { type: 'stop' };

let transport: Transport | null = null;
const reply = (m: unknown): void => void process.send!(m);

process.on('message', (cmd: Command) => {
  void (async () => {
    if (cmd.type === 'start') {
      const delay = cmd.answerDelayMs ?? 0;
      transport = await startZmqTransport({
        nodeId: cmd.nodeId,
        bind: 'tcp://127.0.0.1:0',
        keys: cmd.keys,
        curve: cmd.curve,
        sealer: cmd.envelopeKey ? new KeyRing([decodeKey(cmd.envelopeKey)]) : null,
        handlers: {
          deliver: (_from, _to, _msg, _priority, settle) => (delay > 0 ? void setTimeout(() => settle('handled'), delay) : settle('handled')),
          onRefused: () => undefined,
          onOrphaned: () => undefined,
        },
      });
      reply({ type: 'started', address: transport.address });
    } else if (cmd.type === 'peers') {
      transport!.setPeers(cmd.peers);
      reply({ type: 'ok' });
    } else if (cmd.type === 'stats') {
      reply({ type: 'stats', stats: transport!.stats(), cpu: process.cpuUsage() });
    } else {
      await transport?.close();
      reply({ type: 'stopped' });
      process.disconnect();
    }
  })();
});
