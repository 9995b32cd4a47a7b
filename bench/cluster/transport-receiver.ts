// The receiving node of the transport benchmark, in its own process: answers every delivery
// as handled at once and reports its counters when asked. Driven over the IPC channel.
import { decodeKey } from '../../src/remote/envelope/envelope-key.ts';
import { KeyRing } from '../../src/remote/envelope/key-ring.ts';
import { startZmqTransport } from '../../src/remote/transport/zmq-transport.ts';
import type { PeerInfo, Transport } from '../../src/remote/transport/types.ts';

interface Start {
  type: 'start';
  nodeId: string;
  keys: { publicKey: string; secretKey: string };
  curve: boolean;
  /** An envelope key (encodeKey form): seal every frame with the AES-GCM KeyRing. */
  envelopeKey: string | null;
}
type Command = Start | { type: 'peers'; peers: PeerInfo[] } | { type: 'stats' } | { type: 'stop' };

let transport: Transport | null = null;
const reply = (m: unknown): void => void process.send!(m);

process.on('message', (cmd: Command) => {
  void (async () => {
    if (cmd.type === 'start') {
      transport = await startZmqTransport({
        nodeId: cmd.nodeId,
        bind: 'tcp://127.0.0.1:0',
        keys: cmd.keys,
        curve: cmd.curve,
        sealer: cmd.envelopeKey ? new KeyRing([decodeKey(cmd.envelopeKey)]) : null,
        handlers: {
          deliver: (_from, _to, _msg, _priority, settle) => settle('handled'),
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
