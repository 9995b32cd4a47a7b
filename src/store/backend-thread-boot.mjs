// Entry of the event store's database thread: the TypeScript loader is per thread, so the
// thread registers it before importing its body (backend-thread-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./backend-thread-worker.ts');
