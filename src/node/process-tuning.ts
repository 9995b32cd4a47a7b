// How the node's process is started: V8 flags and malloc settings that must be in place
// before the process runs (neither can be changed from inside it). The launchers that
// start a node use them: `npm start` (package.json, the same values written out), the
// systemd unit from `autoimmune install-service`, and the node benchmark's node-run.
//
// - `--max-semi-space-size=4`: V8's young generation is three semi-spaces; Node 20's default
//   semi-space on 64-bit is 16 MiB, so up to 48 MiB of young generation per thread (the main
//   thread and each shard thread), most of it garbage between two scavenges. At 4 MiB a
//   scavenge comes four times as often, and costs about the same each (its cost follows the
//   objects still alive, not the space's size). Node's docs: "--max-semi-space-size".
// - `MALLOC_MMAP_THRESHOLD_=131072`: glibc serves allocations of 128 KiB and more with mmap
//   and gives them back to the kernel when freed; by default the threshold moves up to the
//   largest block freed so far (up to 32 MiB), after which the typed-array tables, batches and
//   the store thread's messages land in the brk heap, whose holes are never returned (the
//   heap reached 130 MB at the node benchmark's peak). Setting it fixes the threshold
//   (mallopt(3), M_MMAP_THRESHOLD).

/** V8 flags for the node's process, before the script. */
export const TUNED_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=4']);

/** Environment for the node's process (read by glibc when the process starts). */
export const TUNED_ENV: Readonly<Record<string, string>> = Object.freeze({ MALLOC_MMAP_THRESHOLD_: '131072' });

/** Whether this process was started with TUNED_ENV's settings (so a launcher need not restart it). */
export function startedTuned(env: NodeJS.ProcessEnv = process.env): boolean {
  return Object.entries(TUNED_ENV).every(([k, v]) => env[k] === v);
}
