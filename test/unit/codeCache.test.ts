// The launcher's code cache (src/codeCache.ts): a start after the first runs the bundle from V8's cache, and a
// changed bundle never runs from a cache of the old one, whatever the cache folder holds.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

describe('Code cache for the bundle (src/codeCache.ts)', () => {
  let dir: string;
  let bundle: string;
  let cacheDir: string;
  const cacheFiles = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter(f => f.endsWith('.v8cache')) : []);
  /** A bundle shaped like esbuild's output: it requires a file beside it and exports functions. */
  const writeBundle = (answer: string, mtime: Date) => {
    fs.writeFileSync(bundle, `"use strict"; const helper = require('./helper.js'); exports.helper = helper.name; exports.answer = function () { return ${JSON.stringify(answer)}; };`);
    fs.utimesSync(bundle, mtime, mtime);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-code-cache-'));
    bundle = path.join(dir, 'runwatch.js');
    cacheDir = path.join(dir, 'storage', 'code-cache');
    fs.writeFileSync(path.join(dir, 'helper.js'), "exports.name = 'the helper beside the bundle';");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /**
   * One start, in a fresh process as every VS Code start is: V8's in-process compilation cache would otherwise
   * answer for a source this process compiled before, and the file cache would never be read. The launcher's
   * require (a file beside the bundle) resolves the bundle's relative requires, as in dist/.
   */
  const start = (options: { save?: boolean; cacheDir?: string } = {}): { codeCache: string; answer: string; helper: string; saved?: string | null } => {
    const launcher = path.join(dir, 'extension.js');
    fs.writeFileSync(launcher, 'module.exports = require;');
    const program = `
      const { requireWithCodeCache } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'codeCache.js'))});
      const loaded = requireWithCodeCache(${JSON.stringify(bundle)}, require(${JSON.stringify(launcher)}), ${JSON.stringify(options.cacheDir ?? cacheDir)});
      const report = saved => process.stdout.write(JSON.stringify({ codeCache: loaded.codeCache, answer: loaded.exports.answer(), helper: loaded.exports.helper, saved }));
      ${options.save ? 'loaded.saveCache().then(saved => report(saved ?? null));' : 'report();'}`;
    const r = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  it('runs the bundle as require() would, then from the cache it wrote on every later start', () => {
    writeBundle('first', new Date(2026, 0, 1));
    const first = start({ save: true });
    assert.deepEqual(first, { codeCache: 'absent', answer: 'first', helper: 'the helper beside the bundle', saved: null });
    assert.equal(cacheFiles().length, 1);
    assert.deepEqual(start({ save: true }), { codeCache: 'used', answer: 'first', helper: 'the helper beside the bundle', saved: 'in use' });
  });

  it('never runs an updated bundle from the old one\'s cache, even at the same length, and keeps only the new cache', () => {
    writeBundle('old!', new Date(2026, 0, 1));
    start({ save: true });
    assert.equal(start().codeCache, 'used');
    // The update: same length, new content and modification time (V8 alone would accept the old cache: it checks the length).
    writeBundle('new!', new Date(2026, 5, 1));
    const updated = start({ save: true });
    assert.equal(updated.codeCache, 'absent');
    assert.equal(updated.answer, 'new!');
    assert.equal(cacheFiles().length, 1, `the old bundle's cache is left behind: ${cacheFiles().join(', ')}`);
    assert.deepEqual([start().codeCache, start().answer], ['used', 'new!']);
  });

  it('compiles as usual from a damaged cache file, and loads when the cache folder cannot be written', () => {
    writeBundle('fine', new Date(2026, 0, 1));
    start({ save: true });
    const [file] = cacheFiles();
    fs.writeFileSync(path.join(cacheDir, file), 'not a V8 code cache');
    assert.deepEqual([start().codeCache, start().answer], ['rejected', 'fine']);
    // A file where the cache folder should be: nothing can be written there.
    const blocked = path.join(dir, 'blocked');
    fs.writeFileSync(blocked, '');
    const unwritable = start({ save: true, cacheDir: path.join(blocked, 'code-cache') });
    assert.equal(unwritable.answer, 'fine');
    assert.match(unwritable.saved ?? '', /EEXIST|ENOTDIR/);
  });
});
