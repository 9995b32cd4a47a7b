// A real etcd for a test: Debian's etcd-server on a temp data dir and free loopback ports,
// started by the test and stopped after it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestEtcd {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'autoimmune-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const child: ChildProcess = spawn(
    'etcd',
    [
      '--name', 'test', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `test=http://127.0.0.1:${peer}`, '--log-level', 'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const probe = new Etcd3({ hosts: endpoint });
  const t0 = Date.now();
  for (;;) {
    try {
      await probe.get('probe').string();
      break;
    } catch {
      if (child.exitCode !== null || Date.now() - t0 > 20_000) {
        child.kill('SIGKILL');
        probe.close();
        throw new Error(`etcd did not start on ${endpoint}: ${err || 'no output'} (is etcd-server installed? npm run setup)`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  probe.close();
  return {
    endpoint,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
