// Entry of a shard's worker thread: the TypeScript loader is per thread, so the thread
// registers it before importing its body (shard-thread.ts).
import { register } from 'tsx/esm/api';

register();
await import('./shard-thread.ts');
