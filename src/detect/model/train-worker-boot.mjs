// Entry of the training worker thread: the TypeScript loader is per thread, so the worker
// registers it before importing its body (train-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./train-worker.ts');
