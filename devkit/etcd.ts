// A real etcd for a test: the local launcher (devkit/local-etcd.ts) on temp data dirs
// and free loopback ports, started by the test and stopped after it.

export { freePort, startEtcd, startEtcdCluster, type TestEtcd, type TestEtcdCluster, type TestEtcdMember } from './local-etcd.ts';
