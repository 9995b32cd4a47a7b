// What a node checks before it starts anything: every setting that can be wrong in a way only
// the machine shows (a file that is not there, an interface that does not exist, a setting the
// mode does not support). All of them are checked and reported together, as one error, before
// any actor, port, lock or connection exists: an operator fixes the file once, not once per
// problem, and never sees a half-started node.

import { existsSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { AutoimmuneError, ConfigError } from '../errors.ts';
import { loadEtcdSecurity, type EtcdSecurity } from '../cluster/etcd-security.ts';
import { openConfiguredGeo } from '../geo/from-config.ts';
import type { GeoLookup } from '../geo/geo-lookup.ts';
import { LiveCapture, type LiveCaptureOptions } from '../net/live-capture.ts';
import { activeFailpoints } from './failpoints.ts';
import { ensureStateDir, resolveStateDir } from './state-dir.ts';

export interface Checked {
  /** Interfaces live capture can use (empty without root or CAP_NET_RAW, said in a notice). */
  interfaces: string[];
  geo: GeoLookup;
  /** The etcd TLS material and credentials, read (cluster mode). */
  etcdSecurity: EtcdSecurity | undefined;
  stateDir: string;
  /** Fail points switched on, for a loud notice. */
  failpoints: string[];
}

export function liveOptions(config: Config, iface: string, index: number): LiveCaptureOptions {
  const c = config.capture;
  return { iface, filter: c.filter, promiscuous: c.promiscuous, snaplen: c.snaplen, bufferSize: c.bufferMb * 2 ** 20, batchSize: config.pipeline.batchSize, ifaceIndex: index, maxQueuedBatches: c.queueBatches };
}

/**
 * The interfaces live capture can use. Without root or CAP_NET_RAW it says so in one line and
 * the node runs without them; any other problem (an unknown interface, a bad filter) is a
 * configuration error.
 */
async function usableInterfaces(config: Config, notice: (line: string) => void, problems: string[]): Promise<string[]> {
  const ok: string[] = [];
  for (const [i, iface] of config.capture.interfaces.entries()) {
    try {
      await LiveCapture.open(liveOptions(config, iface, i)).close();
      ok.push(iface);
    } catch (err) {
      if ((err as { code?: string }).code === 'AI_ERR_CAPTURE_NOT_PERMITTED') {
        notice(`autoimmune: ${(err as Error).message}`);
        return [];
      }
      problems.push(`capture.interfaces: ${(err as Error).message}`);
    }
  }
  return ok;
}

/** A check's problem (an AutoimmuneError: the operator's to fix) is collected; anything else is the program's own and thrown. */
function collect<T>(problems: string[], f: () => T): T | undefined {
  try {
    return f();
  } catch (err) {
    if (!(err instanceof AutoimmuneError)) throw err;
    problems.push(err.message);
    return undefined;
  }
}

/** The problems, as one error: one line for one, a list for several. */
export function problemsError(problems: readonly string[]): ConfigError {
  if (problems.length === 1) return new ConfigError(problems[0]!);
  return new ConfigError(`${problems.length} problems with the configuration; nothing was started:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/**
 * Checks everything a start would trip over later, all of it, and throws one ConfigError
 * listing every problem found. `sources`: the caller brings its own packet sources (no live
 * capture to check).
 */
export async function preflight(config: Config, o: { notice: (line: string) => void; sources: boolean }): Promise<Checked> {
  const problems: string[] = [];
  const clustered = config.cluster.etcd.length > 0;
  const failpoints = collect(problems, () => activeFailpoints()) ?? [];
  for (const f of config.capture.replay.files) if (!existsSync(f)) problems.push(`capture.replay.files: ${JSON.stringify(f)} does not exist`);
  const etcdSecurity = clustered ? collect(problems, () => loadEtcdSecurity(config.cluster, o.notice)) : undefined;
  const stateDir = collect(problems, () => ensureStateDir(resolveStateDir(config.node.stateDir)));
  let geo: GeoLookup | undefined;
  try {
    geo = await openConfiguredGeo(config.geo);
  } catch (err) {
    if (!(err instanceof AutoimmuneError)) throw err;
    problems.push(err.message);
  }
  const interfaces = o.sources ? [] : await usableInterfaces(config, o.notice, problems);
  if (problems.length > 0) throw problemsError(problems);
  return { interfaces, geo: geo!, etcdSecurity, stateDir: stateDir!, failpoints };
}
