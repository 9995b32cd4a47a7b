// A local etcd (Debian's etcd-server) on loopback (or a given address): data dirs and free ports of its own,
// started and stopped by its caller. What `npm run cluster`, the tests and the cluster
// benchmark use. startEtcd() gives one member; startEtcdCluster(n) gives n members in one
// cluster, each of which can be killed (SIGKILL) and restarted. With `tls` the members serve
// clients over TLS only and require a client certificate signed by the given CA; with `auth`
// they have users and roles and refuse anonymous calls (etcd's RBAC, `auth enable`).

import { spawn, type ChildProcess } from 'node:child_process';
import { testTempDir } from './temp-dir.ts';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, Range, type IOptions } from 'etcd3';

/** A TCP port nothing listens on at `host` (loopback by default), at the time of asking. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// Whatever a crashed test leaves running is killed when the test process exits.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

interface MemberSpec {
  name: string;
  dataDir: string;
  client: string;
  peer: string;
  initialCluster: string;
  token: string;
  tls?: LocalEtcdTls;
}

/** PEM files: the members' server certificate, and the CA they trust for client certificates. */
export interface LocalEtcdTls {
  /** The CA that signed the server certificate and every client certificate etcd accepts. */
  ca: string;
  cert: string;
  key: string;
  /** A client certificate the launcher itself uses to see whether a member serves. */
  clientCert: string;
  clientKey: string;
}

/** Users etcd is given before `auth enable`: root, and each user with read-write on its prefix. */
export interface LocalEtcdAuth {
  rootPassword: string;
  users: Array<{ name: string; password: string; prefix: string }>;
}

/** What a client of the launcher's own (its probe) needs: TLS material and credentials. */
function clientOptions(tls: LocalEtcdTls | undefined, auth: { username: string; password: string } | undefined): Partial<IOptions> {
  return {
    ...(tls ? { credentials: { rootCertificate: readFileSync(tls.ca), certChain: readFileSync(tls.clientCert), privateKey: readFileSync(tls.clientKey) } } : {}),
    ...(auth ? { auth } : {}),
  };
}

interface Spawned {
  child: ChildProcess;
  stderr: () => string;
}

function spawnMember(m: MemberSpec): Spawned {
  const child = spawn(
    'etcd',
    [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.client, '--advertise-client-urls', m.client,
      '--listen-peer-urls', m.peer, '--initial-advertise-peer-urls', m.peer,
      '--initial-cluster', m.initialCluster, '--initial-cluster-token', m.token,
      '--initial-cluster-state', 'new', '--log-level', 'error',
      ...(m.tls ? ['--cert-file', m.tls.cert, '--key-file', m.tls.key, '--trusted-ca-file', m.tls.ca, '--client-cert-auth'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { child, stderr: () => err };
}

/** Waits until `endpoint` answers a linearizable read (so the member is up and has a leader). */
async function waitServing(endpoint: string, s: Spawned, client: () => Partial<IOptions>): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    // A new client per attempt: etcd3's circuit breaker would hold a client off a member
    // that failed a few times for 5 s after it came up.
    const probe = new Etcd3({ ...client(), hosts: endpoint, defaultCallOptions: () => ({ deadline: Date.now() + 1000 }) });
    try {
      await probe.get('probe').string();
      return;
    } catch {
      if (s.child.exitCode !== null || Date.now() - t0 > 20_000) {
        s.child.kill('SIGKILL');
        throw new Error(`etcd did not start on ${endpoint}: ${s.stderr().slice(-2000) || 'no output'} (is etcd-server installed? apt-get install etcd-server, or npm run setup)`);
      }
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      probe.close();
    }
  }
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

export interface TestEtcd {
  endpoint: string;
  stop(): Promise<void>;
}

/** One etcd member; `clientPort` chooses its client port (to start it where a client already waits). */
export async function startEtcd(options: { clientPort?: number } = {}): Promise<TestEtcd> {
  const cluster = await startEtcdCluster(1, options.clientPort !== undefined ? { clientPorts: [options.clientPort] } : {});
  return { endpoint: cluster.endpoints[0], stop: () => cluster.stop() };
}

export interface TestEtcdMember {
  name: string;
  endpoint: string;
  /** SIGKILL: the member dies without a goodbye, as on a power cut. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the member hangs (connections stay open, nothing answers), then goes on. */
  pause(): void;
  resume(): void;
  /** Starts the member again on its data dir and ports; resolves when it serves reads. */
  restart(): Promise<void>;
}

export interface TestEtcdCluster {
  endpoints: string[];
  members: TestEtcdMember[];
  stop(): Promise<void>;
}

/** The names startEtcdCluster(size) gives its members. */
export function etcdMemberNames(size: number): string[] {
  return size === 1 ? ['test'] : Array.from({ length: size }, (_, i) => `m${i}`);
}

export interface EtcdClusterOptions {
  clientPorts?: number[];
  dir?: string;
  /** Address the members listen on (default 127.0.0.1). */
  host?: string;
  /** Clients over TLS only, with certificates signed by tls.ca (endpoints are https). */
  tls?: LocalEtcdTls;
  /** Users and roles, then `auth enable`: anonymous calls are refused. */
  auth?: LocalEtcdAuth;
}

export async function startEtcdCluster(size: number, options: EtcdClusterOptions = {}): Promise<TestEtcdCluster> {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`cluster size must be a positive integer, got ${size}`);
  // A directory given by the caller is kept after stop (its owner decides); a temp one is removed.
  const dir = options.dir ?? testTempDir('autoimmune-etcd-');
  if (options.dir) mkdirSync(dir, { recursive: true });
  const specs: MemberSpec[] = [];
  const token = `autoimmune-test-${process.pid}-${Date.now()}`;
  const names = etcdMemberNames(size);
  for (let i = 0; i < size; i++) {
    const name = names[i]!;
    const host = options.host ?? '127.0.0.1';
    const [client, peer] = [options.clientPorts?.[i] ?? (await freePort(host)), await freePort(host)];
    specs.push({
      name,
      dataDir: join(dir, name),
      client: `${options.tls ? 'https' : 'http'}://${host}:${client}`,
      peer: `http://${host}:${peer}`,
      initialCluster: '',
      token,
      ...(options.tls ? { tls: options.tls } : {}),
    });
  }
  const initialCluster = specs.map((s) => `${s.name}=${s.peer}`).join(',');
  for (const s of specs) s.initialCluster = initialCluster;

  const procs: Spawned[] = specs.map(spawnMember);
  const stop = async () => {
    for (const p of procs) p.child.kill('SIGCONT'); // a paused member would not see SIGTERM
    await Promise.all(procs.map((p) => terminate(p.child, 'SIGTERM')));
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  };
  // Once auth is on, the launcher's probe signs in as root.
  let probeAuth: { username: string; password: string } | undefined;
  const client = () => clientOptions(options.tls, probeAuth);
  try {
    // A member of a new cluster serves reads only once a quorum has elected a leader.
    await Promise.all(specs.map((s, i) => waitServing(s.client, procs[i], client)));
    if (options.auth) {
      await enableAuth(specs.map((s) => s.client), client(), options.auth);
      probeAuth = { username: 'root', password: options.auth.rootPassword };
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    endpoints: specs.map((s) => s.client),
    members: specs.map((s, i) => ({
      name: s.name,
      endpoint: s.client,
      kill: () => terminate(procs[i].child, 'SIGKILL'),
      pause: () => void procs[i].child.kill('SIGSTOP'),
      resume: () => void procs[i].child.kill('SIGCONT'),
      async restart() {
        await terminate(procs[i].child, 'SIGKILL');
        procs[i] = spawnMember(s);
        await waitServing(s.client, procs[i], client);
      },
    })),
    stop,
  };
}

/** Creates root and the users (each a role with read-write on its prefix), then turns auth on. */
async function enableAuth(endpoints: string[], client: Partial<IOptions>, auth: LocalEtcdAuth): Promise<void> {
  const etcd = new Etcd3({ ...client, hosts: endpoints, defaultCallOptions: () => ({ deadline: Date.now() + 5000 }) });
  try {
    await etcd.role('root').create();
    await etcd.user('root').create(auth.rootPassword);
    await etcd.user('root').addRole('root');
    for (const u of auth.users) {
      const role = await etcd.role(`${u.name}-rw`).create();
      await role.grant({ permission: 'Readwrite', range: Range.prefix(u.prefix) });
      await etcd.user(u.name).create(u.password);
      await etcd.user(u.name).addRole(role);
    }
    await etcd.auth.authEnable({});
  } finally {
    etcd.close();
  }
}
