// The build: `npm run build` compiles the program to dist/ (tsc -p tsconfig.build.json); `npm
// start` and bin/autoimmune.js call ensureBuilt(), which builds only when a file of the build
// changed since the last one. Deciding costs a stat of each file listed in dist/.sources
// (~300, a few ms); a build that finds nothing to do still costs tsc ~7 s of CPU, so it runs
// only when needed. Plain JavaScript: it runs before there is a dist/ and with no loader.
//   node scripts/build.mjs             build now, every file
//   node scripts/build.mjs --if-stale  build when a file of the last build changed
//   node scripts/build.mjs --check     say whether dist/ is up to date (exit 1 if not), build nothing

import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = `${ROOT}dist/`;
/**
 * The project's files the last build read (from tsc's build info), one per line from ROOT
 * with their mtime and size then: `MTIME_MS SIZE PATH`. Written last, so it also says that
 * the build finished.
 */
const SOURCES = `${DIST}.sources`;
const LOCK = `${DIST}.build-lock`;
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

/**
 * Why dist/ must be built again (a sentence), or null when it is up to date. A file differs
 * when its mtime or size does, either way: a checkout gives it a new time, a copy that keeps
 * times (rsync -a, cp -p) may give it an older one than the build's.
 */
export function staleReason() {
  let list;
  try {
    list = readFileSync(SOURCES, 'utf8').split('\n').filter(Boolean);
  } catch {
    return 'dist/ has not been built';
  }
  for (const line of list) {
    const [mtime, size, f] = line.split(' ', 3);
    let st;
    try {
      st = statSync(ROOT + f);
    } catch {
      return `${f} is gone since the last build`;
    }
    if (st.mtimeMs !== Number(mtime) || st.size !== Number(size)) return `${f} changed since the last build`;
  }
  return null;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** One build at a time (commands started together may all find dist/ stale): a lock file with the builder's pid. */
function withLock(fn) {
  mkdirSync(DIST, { recursive: true });
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(LOCK, 'utf8'));
    } catch {}
    if (holder > 0 && !alive(holder)) rmSync(LOCK, { force: true });
    else sleep(100);
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

function projectFiles() {
  const info = JSON.parse(readFileSync(`${DIST}.tsbuildinfo`, 'utf8'));
  // fileNames are relative to dist/ (where the build info is): '../src/cli.ts'.
  const own = info.fileNames.filter((f) => f.startsWith('../') && !f.includes('/node_modules/')).map((f) => f.slice(3));
  return [...own, ...CONFIGS];
}

/** Runs tsc; throws with what it printed when it fails. Its output goes to stderr (stdout may be a command's answer). */
function compile() {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new Error('TypeScript is not installed (a devDependency): run `npm ci` (not --omit=dev), then `npm run build`');
  }
  const started = Date.now();
  rmSync(SOURCES, { force: true });
  const r = spawnSync(process.execPath, [tsc, '-p', `${ROOT}tsconfig.build.json`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  // A file changed while tsc ran may not be in its output: recorded as mtime 0, it is stale next time.
  const lines = projectFiles().map((f) => {
    const st = statSync(ROOT + f);
    return `${st.mtimeMs >= started ? 0 : st.mtimeMs} ${st.size} ${f}`;
  });
  writeFileSync(SOURCES, `${lines.join('\n')}\n`);
}

/** Builds dist/ now, every file (without its build info tsc re-emits only what changed, and an edited dist/ file would stay). */
export function build() {
  withLock(() => {
    rmSync(`${DIST}.tsbuildinfo`, { force: true });
    compile();
  });
}

/** Builds dist/ when it is stale; returns the reason it built, or null when it was up to date. */
export function ensureBuilt() {
  if (staleReason() === null) return null;
  return withLock(() => {
    const why = staleReason();
    if (why !== null) compile();
    return why;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    if (process.argv.includes('--check')) {
      const why = staleReason();
      process.stdout.write(why === null ? 'dist/ is up to date\n' : `dist/ is stale: ${why}\n`);
      process.exit(why === null ? 0 : 1);
    } else if (process.argv.includes('--if-stale')) {
      const why = ensureBuilt();
      process.stderr.write(why === null ? 'build: dist/ is up to date\n' : `build: built dist/ (${why})\n`);
    } else {
      build();
      process.stderr.write('build: built dist/\n');
    }
  } catch (err) {
    process.stderr.write(`build: ${err.message}\n`);
    process.exit(1);
  }
}
