// Entry of the event store's database thread: the TypeScript loader is per thread, so the
// thread registers it before importing its body (backend-thread-worker.ts).
// Only from the sources: compiled (dist/), the thread starts from backend-thread-worker.js itself, with no
// loader (threadEntry in src/util/package-files.ts).
import { register } from 'tsx/esm/api';

register();
await import('./backend-thread-worker.ts');
