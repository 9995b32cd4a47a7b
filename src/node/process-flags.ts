// The flags and the environment `node` is started with wherever this project starts a node
// process: `npm start` (package.json), the installed command's first line (bin/autoimmune.js),
// the systemd unit (`autoimmune install-service`), the node benchmark
// (bench/node/node-run-command.ts) and the devkit's cluster nodes (devkit/node-process.ts:
// the chaos run, the cluster tests and benchmark).
// They must be given on node's command line: V8 sizes an isolate's heap when it creates it,
// so `v8.setFlagsFromString` at run time reaches only threads started later, not the main
// thread (measured: the main thread's new space stayed at 30 MB).
//
// --max-semi-space-size=4 (session 18; 8 from session 6): the young generation's two
// semi-spaces at most 4 MB each instead of Node's 16 on 64-bit. At 4 (README, "Where the
// memory goes", session 18) the main thread's heap at the peak is 56 MB against 65 and the RSS
// when the replay starts 153 against 166 (the store thread's young generation shrinks with
// it), for twice the scavenges: the CPU a packet the same within the noise (9 passes, 3 runs
// each alternated, with the old-space flag below). Session 6's, 8 against 16: the main thread allocates ~540 bytes a packet, so under traffic its
// new space grows to the whole 2 × 16 MB and stays committed (32 MB at the node benchmark's
// peak, 1–4 MB of it in use). At 8 it is 15–16 MB, the node's peak RSS 311 against 333 MB
// (2 passes over the shared captures, 3 runs each alternated) with twice the scavenges
// (17–20 against 11 a run) and no more CPU a packet (main 8.6 against 8.9 µs, every thread
// 16.3 against 16.4). It holds for every isolate of the process: the store's thread, sized
// by its own resourceLimits to ~3 MB semi-spaces, gets 8 (its heap 25 MB against 18 at the
// peak: counted in the figures above); shard threads (`pipeline.workers`) 8 instead of 16.
//
// --max-old-space-size=512: the old generation's ceiling, which V8 also reads as how much memory
// the machine can spare: below 2 GB it lowers the factor by which the old generation may grow
// past what the last mark-compact left (heap-controller.cc, MaxGrowingFactor: 1.3 at 256 MB,
// 2.0 at 2 GB, linear between, and 4.0 from 2 GB, where Node's default on this 24 GB machine is
// 4,144 MB). At 4.0 a node that runs on at full rate let the main heap reach 116–168 MB of
// which 53 were live (session 17's 120-pass run); at 512 the factor is at most 1.4, so V8 runs
// a mark-compact before garbage piles up (test/process-flags.test.ts: a churn holding 16 MB
// peaks at 41 MB against 95). With both flags, 30 passes over the shared captures, 4 pairs
// alternated: peak RSS 431.5 against 483.5 MB, the RSS left after the run 353 against 458.5,
// the CPU a packet the same within the noise. 512 MB is ten times the live heap of that run (53 MB, every table
// at its bound but GeoIP's, whose address cache adds 13 at its bound): a ceiling that is not
// reached; past it V8 stops the process (out of memory), as it would at its default, later.
// It holds for every isolate (the store's thread, shard threads), as the semi-space flag.

/** node's own flags, before the script's path. */
export const NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=4', '--max-old-space-size=512']);

// MALLOC_MMAP_THRESHOLD_=131072: glibc's malloc keeps its own default thresholds (mallopt(3):
// blocks of 128 KiB and more are mmapped, the heap's free top given back past 128 KiB) instead
// of raising them: by default each freed mmapped block raises the mmap threshold to its size
// (up to 32 MiB) and the trim threshold to twice that, so later large blocks (typed arrays'
// memory, the store's batches, the V8 compiler's zones in its threads' arenas) come from the
// heap and stay resident once freed. Setting the value turns that off (the documented way;
// lighthouse and Kodi do the same against the same growth: sigp/lighthouse#2937,
// xbmc/xbmc#11722). Measured (README, "Where the memory goes, round 8"): the node benchmark's
// peak RSS 294 against 312 MB (medians of 6 alternated pairs), 23 MB less already when the
// replay starts (startup's freed memory given back), for 1.7 times the page faults (memory
// given back is faulted in again), mostly on V8's helper threads; the main thread's CPU a
// packet the same. Other C libraries ignore the variable.

/** The environment a node process is started with (besides the caller's): glibc's malloc thresholds held at their defaults. */
export const NODE_ENV_VARS: Readonly<Record<string, string>> = Object.freeze({ MALLOC_MMAP_THRESHOLD_: '131072' });

/** `base` (default: this process's environment) with NODE_ENV_VARS set: what a node the product starts gets. */
export function nodeEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, ...NODE_ENV_VARS };
}

/** NODE_ENV_VARS as `NAME=value` words: a shell's or env(1)'s prefix, systemd's `Environment=`. */
export const NODE_ENV_WORDS: readonly string[] = Object.freeze(Object.entries(NODE_ENV_VARS).map(([k, v]) => `${k}=${v}`));
