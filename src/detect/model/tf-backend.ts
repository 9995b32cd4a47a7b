// Which TensorFlow.js backend runs the anomaly model, chosen once per process:
// 1. @tensorflow/tfjs-node (native libtensorflow) when it can be imported. It is not a
//    dependency: its install downloads libtensorflow, which this project's machines cannot
//    fetch. A deployment that has it gets it without a code change.
// 2. @tensorflow/tfjs with the WebAssembly backend (XNNPACK kernels, SIMD when the runtime
//    validates it). The .wasm binaries are read from node_modules, so it works offline.
//    tfjs disables wasm threads under Node (WASM_HAS_MULTITHREAD_SUPPORT is false there), so
//    it runs on the calling thread; parallelism comes from running shards in separate
//    threads or processes.
// 3. the plain JavaScript 'cpu' backend, only if wasm fails to start: ~30× slower on the
//    model's matrix products, and the reason is returned so the caller can log it.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs');

export interface TensorflowRuntime {
  tf: Tf;
  /** The backend that runs: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  backend: string;
  /** Whether the wasm backend runs its SIMD build (false for the other backends). */
  simd: boolean;
  /** Why a faster backend was passed over, for the log; empty when wasm or native runs. */
  fallbackReason: string;
}

let runtime: Promise<TensorflowRuntime> | undefined;
let ready: TensorflowRuntime | undefined;

/** Starts TensorFlow.js once; every later call returns the same runtime. */
export function initTensorflow(): Promise<TensorflowRuntime> {
  runtime ??= start().then((r) => (ready = r));
  return runtime;
}

/** The runtime if initTensorflow() has completed, else undefined (for synchronous callers). */
export function tensorflowIfReady(): TensorflowRuntime | undefined {
  return ready;
}

async function start(): Promise<TensorflowRuntime> {
  // A variable module name keeps TypeScript and bundlers from requiring its types or files.
  const nativeModule = '@tensorflow/tfjs-node';
  try {
    const tf = (await import(nativeModule)) as Tf;
    await tf.ready();
    return { tf, backend: tf.getBackend(), simd: false, fallbackReason: '' };
  } catch {
    // not installed (the usual case): go on with wasm
  }
  const tf = await import('@tensorflow/tfjs');
  let reason = '';
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    // A folder prefix: the backend picks tfjs-backend-wasm(-simd).wasm inside it by feature test.
    wasm.setWasmPaths(`${dist}/`);
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      return { tf, backend: 'wasm', simd, fallbackReason: '' };
    }
    reason = 'the wasm backend failed to initialise';
  } catch (err) {
    reason = `the wasm backend failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!(await tf.setBackend('cpu'))) throw new Error(`TensorFlow.js: no backend could start (${reason}; the cpu backend failed too)`);
  await tf.ready();
  return { tf, backend: 'cpu', simd: false, fallbackReason: `${reason}; running on the slow JavaScript cpu backend` };
}
