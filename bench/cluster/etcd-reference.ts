// The reference for ban propagation, measured in the same run: what etcd alone costs the
// bench process. A put then a get is one write and one linearizable read; a put under a
// freshly granted lease is exactly the two writes the ban registry makes for each ban.
import { Etcd3 } from 'etcd3';

export interface EtcdRoundTrips {
  /** ms per put + get of one key. */
  putGet: number[];
  /** ms per lease grant + put under it (what EtcdBanRegistry.put does). */
  leasePut: number[];
}

export async function measureEtcdRoundTrips(endpoint: string, count: number): Promise<EtcdRoundTrips> {
  const client = new Etcd3({ hosts: endpoint });
  const putGet: number[] = [];
  const leasePut: number[] = [];
  try {
    // Warm-up: the channel, etcd3's first-call paths.
    for (let i = 0; i < 20; i++) {
      await client.put(`/bench/ref/${i}`).value('x');
      await client.get(`/bench/ref/${i}`).string();
    }
    for (let i = 0; i < count; i++) {
      const key = `/bench/ref/k${i & 15}`;
      let t = performance.now();
      await client.put(key).value(String(i));
      await client.get(key).string();
      putGet.push(performance.now() - t);
      t = performance.now();
      await client.lease(600, { autoKeepAlive: false }).put(`/bench/ref/l${i}`).value(String(i));
      leasePut.push(performance.now() - t);
    }
  } finally {
    client.close();
  }
  return { putGet, leasePut };
}
