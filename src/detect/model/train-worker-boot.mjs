// Entry of the training worker thread: the TypeScript loader is per thread, so the worker
// registers it before importing its body (train-worker.ts).
// Only from the sources: compiled (dist/), the thread starts from train-worker.js itself, with no
// loader (threadEntry in src/util/package-files.ts).
import { register } from 'tsx/esm/api';

register();
await import('./train-worker.ts');
