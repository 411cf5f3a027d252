// Loads a CommonJS bundle as require() would, but compiled with V8's code cache (vm.Script's cachedData), kept in
// a folder of Runwatch's own. Compiling the bundle is the largest single part of activation (issue 9, start-up);
// with the cache V8 deserializes the compiled code instead, functions first compiled during the previous start
// included. Scoped to Runwatch's bundle: nothing process-wide (unlike module.enableCompileCache) is changed.
//
// The cache file's name carries the bundle's size and modification time and V8's version: V8 itself only checks
// its own version, flags and the source's LENGTH, so a changed bundle of the same length must never meet an old
// cache. An install or update of the extension writes the bundle anew, which changes its modification time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** What the code cache did for this load: `absent` and `rejected` compile as usual (and write a cache later). */
export type CodeCacheUse = 'used' | 'rejected' | 'absent' | 'off';

export interface CachedLoad<T> {
  readonly exports: T;
  readonly codeCache: CodeCacheUse;
  /** Reading the bundle and its cache and compiling (or deserializing) it, in ms. */
  readonly compileMs: number;
  /**
   * Writes the cache if this load did not use one, with every function compiled by then: call it once the start
   * is over, so the next start finds those ready too. Never throws; resolves to why it did not write, if it did not.
   */
  saveCache(): Promise<string | undefined>;
}

/** What the launcher (src/launcher.ts) tells src/extension.ts's "activated in" line: how it loaded the bundle, since when. */
export interface LaunchFigures {
  activateStart: number;
  codeCache?: CodeCacheUse;
  compileMs?: number;
}

const CACHE_SUFFIX = '.v8cache';

/** Node's CommonJS wrapper: the bundle sees exports, require, module, __filename and __dirname as under require(). */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
}

function cacheFileOf(file: string, cacheDir: string, stat: fs.Stats): string {
  return path.join(cacheDir, `${path.basename(file)}-${stat.size}-${Math.round(stat.mtimeMs)}-v8-${process.versions.v8}${CACHE_SUFFIX}`);
}

/**
 * Runs `file` with `localRequire` as its require (so relative requires resolve beside the caller, and VS Code
 * hands `require('vscode')` the caller's API object). `cacheDir` undefined: no cache, a plain compile.
 */
export function requireWithCodeCache<T>(file: string, localRequire: NodeJS.Require, cacheDir: string | undefined): CachedLoad<T> {
  const started = performance.now();
  const source = fs.readFileSync(file, 'utf8');
  let cacheFile: string | undefined;
  let cachedData: Buffer | undefined;
  if (cacheDir) {
    try {
      cacheFile = cacheFileOf(file, cacheDir, fs.statSync(file));
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      // No cache yet (the first start after an install), or an unreadable one: compile as usual.
    }
  }
  const script = new vm.Script(wrap(source), { filename: file, cachedData });
  const codeCache: CodeCacheUse = !cacheFile ? 'off' : !cachedData ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used';
  const compileMs = performance.now() - started;
  const module = { exports: {} as T };
  const run = script.runInThisContext() as (exports: T, require: NodeJS.Require, module: { exports: T }, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, localRequire, module, file, path.dirname(file));
  let saved: Promise<string | undefined> | undefined;
  return {
    exports: module.exports,
    codeCache,
    compileMs,
    saveCache: () => {
      if (codeCache === 'used') return Promise.resolve('in use');
      if (!cacheFile) return Promise.resolve('off');
      return (saved ??= writeCache(script, cacheFile, `${path.basename(file)}-`));
    },
  };
}

/** Writes the cache, and removes the caches of the same bundle (`bundlePrefix`) that no start will read again. */
async function writeCache(script: vm.Script, cacheFile: string, bundlePrefix: string): Promise<string | undefined> {
  const cacheDir = path.dirname(cacheFile);
  try {
    const data = script.createCachedData();
    await fs.promises.mkdir(cacheDir, { recursive: true });
    // Temp file and rename: a start that reads the cache while this writes it sees the old file or the new one.
    const temp = `${cacheFile}.${process.pid}.tmp`;
    await fs.promises.writeFile(temp, data);
    await fs.promises.rename(temp, cacheFile);
    // Caches of earlier versions of the bundle (or another V8) are never read again.
    for (const name of await fs.promises.readdir(cacheDir)) {
      if (name.startsWith(bundlePrefix) && name.endsWith(CACHE_SUFFIX) && path.join(cacheDir, name) !== cacheFile) await fs.promises.rm(path.join(cacheDir, name), { force: true });
    }
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
