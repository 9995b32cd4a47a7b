// Entry of the event store's database thread: the TypeScript loader is per thread, so the
// thread registers it before importing its body (backend-thread-worker.ts). The loader's thread
// is started from this one and takes its name (src/util/thread-name.ts: named here by hand, as
// no TypeScript can be imported before the loader is registered); the body renames this one.
// Only from the sources: compiled (dist/), the thread starts from backend-thread-worker.js itself, with no
// loader (threadEntry in src/util/package-files.ts).
import { writeFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

try {
  writeFileSync('/proc/thread-self/comm', 'ai-store-load');
} catch {
  // not Linux: unnamed
}
register();
await import('./backend-thread-worker.ts');
