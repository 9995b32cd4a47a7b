// Trained models on disk: one JSON file per version (kitnet-v000001.json, ...; the name is
// historical: a file holds a model of either kind, see anomaly-model.ts) in one folder. The store assigns versions, monotonic: one more than the highest file present.
// A save writes a temporary file, syncs it, and then links it to its final name, which is
// atomic and, unlike rename, fails if the name exists: two trainers saving at once get two
// versions, not one file overwritten. Readers never see a half-written model.

import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoimmuneError } from '../../errors.ts';
import { ModelFormatError } from './errors.ts';
import { modelFromJSON, type AnomalyModel } from './anomaly-model.ts';

const FILE = /^kitnet-v(\d+)\.json$/;

/** No model file of that version in the store. */
export class ModelNotFoundError extends AutoimmuneError {
  readonly file: string;
  constructor(file: string) {
    super('AI_ERR_MODEL_NOT_FOUND', `model ${file} does not exist: list the store's versions() for the ones it holds`);
    this.file = file;
  }
}

export interface ModelStoreOptions {
  /** Refuse models trained on another number of features (the node's current count). */
  featureCount?: number;
}

export class ModelStore {
  constructor(
    readonly dir: string,
    private readonly options: ModelStoreOptions = {},
  ) {}

  /** The path of a version's file. */
  fileOf(version: number): string {
    return join(this.dir, `kitnet-v${String(version).padStart(6, '0')}.json`);
  }

  /** Versions held, ascending. */
  async versions(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: number[] = [];
    for (const n of names) {
      const m = FILE.exec(n);
      if (m) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  /** Writes the model under the next version, sets model.version to it and returns it. */
  async save(model: AnomalyModel): Promise<number> {
    if (this.options.featureCount !== undefined && model.featureCount !== this.options.featureCount) {
      throw new RangeError(`model store ${this.dir}: model has ${model.featureCount} features, the store holds models of ${this.options.featureCount}`);
    }
    await mkdir(this.dir, { recursive: true });
    const existing = await this.versions();
    let version = (existing[existing.length - 1] ?? 0) + 1;
    const tmp = join(this.dir, `.kitnet-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    try {
      for (;;) {
        const text = `${JSON.stringify({ ...model.toJSON(), version })}\n`;
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(text);
          await fh.sync();
        } finally {
          await fh.close();
        }
        try {
          await publish(tmp, this.fileOf(version));
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          version++; // another writer took this version meanwhile
        }
      }
    } finally {
      await unlink(tmp).catch(() => {});
    }
    model.version = version;
    return version;
  }

  /** The model of that version; throws ModelNotFoundError, ModelFormatError or ModelFeatureCountError. */
  async load(version: number): Promise<AnomalyModel> {
    const file = this.fileOf(version);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelNotFoundError(file);
      throw new ModelFormatError(file, `cannot be read: ${(err as Error).message}`, { cause: err });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ModelFormatError(file, `is not valid JSON (${(err as Error).message}): the file is damaged; delete it to fall back to an older version`, { cause: err });
    }
    const model = modelFromJSON(json, { file, ...(this.options.featureCount !== undefined ? { featureCount: this.options.featureCount } : {}) });
    if (model.version !== version) throw new ModelFormatError(file, `says it is version ${model.version}, but its name says ${version}`);
    return model;
  }

  /** The newest model, or null if the store holds none. A damaged newest file is an error, not skipped. */
  async latest(): Promise<AnomalyModel | null> {
    const all = await this.versions();
    const last = all[all.length - 1];
    return last === undefined ? null : this.load(last);
  }
}

/** Gives tmp its final name atomically, refusing to replace an existing file. */
async function publish(tmp: string, final: string): Promise<void> {
  try {
    await link(tmp, final);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // File systems without hard links: a rename is still atomic, only not exclusive.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') await rename(tmp, final);
    else throw err;
  }
}
