// Entry of a shard's worker thread: the TypeScript loader is per thread, so the thread
// registers it before importing its body (shard-thread.ts).
// Only from the sources: compiled (dist/), the thread starts from shard-thread.js itself, with no
// loader (threadEntry in src/util/package-files.ts).
import { register } from 'tsx/esm/api';

register();
await import('./shard-thread.ts');
