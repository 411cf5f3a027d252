// What ships is the .vsix `npm run package` writes (packaged here first when it is missing or older than its
// sources). It must hold the bundle, its icons and manifest files, and nothing else: no source,
// tests, compiled tests, source maps, esbuild metafiles or node_modules. The allow-list in .vscodeignore is
// also checked on its own, in a folder holding every kind of file a development build, the tests and npm
// leave behind.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

interface VsixEntry {
  name: string;
  size: number;
}

interface VsixTools {
  ensureVsix(options?: { log?: (line: string) => void }): string;
  listVsix(file: string): Promise<VsixEntry[]>;
  readVsixEntry(file: string, name: string): Promise<string | undefined>;
}

// scripts/vsix.js is plain Node (npm run package runs it before anything is compiled), so it is loaded, not imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const vsixTools = require(path.join(ROOT, 'scripts', 'vsix.js')) as VsixTools;

/** Every file a .vsix may hold: vsce's two manifests, and what .vscodeignore lets in (under extension/), translations included. */
const ALLOWED = [
  /^extension\.vsixmanifest$/,
  /^\[Content_Types\]\.xml$/,
  /^extension\/(package\.json|package\.nls(\.[\w-]+)?\.json|readme\.md|changelog\.md|LICENSE\.txt)$/,
  /^extension\/l10n\/bundle\.l10n(\.[\w-]+)?\.json$/,
  /^extension\/dist\/[^/]+\.js$/,
  /^extension\/media\/.+$/,
];

/** What must never ship, and why. */
const FORBIDDEN: [RegExp, string][] = [
  [/(^|\/)src\//, 'TypeScript sources'],
  [/(^|\/)(test|out|bench|scripts)\//, 'tests, compiled tests, the benchmark or scripts'],
  [/(^|\/)node_modules\//, 'node_modules (the bundle holds every dependency)'],
  [/\.map$/, 'a source map'],
  [/\.meta\.json$/, 'an esbuild metafile'],
  [/\.ts$/, 'TypeScript'],
];

function forbiddenIn(names: string[]): string[] {
  return names.flatMap(name => FORBIDDEN.filter(([pattern]) => pattern.test(name)).map(([, why]) => `${name} (${why})`));
}

/** The relative images README.md shows, as Markdown images or <img> tags. */
function readmeImages(readme: string): string[] {
  const markdown = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map(m => m[1]);
  const html = [...readme.matchAll(/<img[^>]+src=["']([^"']+)["']/g)].map(m => m[1]);
  return [...markdown, ...html].filter(link => !/^[a-z]+:/i.test(link) && !link.startsWith('#'));
}

describe('the packaged extension (.vsix)', function () {
  // Packaging (the production bundle and vsce) takes a few seconds on a busy machine.
  this.timeout(180_000);
  let vsix: string;
  let entries: VsixEntry[];
  let names: string[];

  before(async () => {
    vsix = vsixTools.ensureVsix({ log: line => console.log(`      ${line}`) });
    entries = await vsixTools.listVsix(vsix);
    names = entries.map(e => e.name);
    const kb = (fs.statSync(vsix).size / 1024).toFixed(1);
    console.log(`      ${path.basename(vsix)}: ${kb} KB, ${entries.length} files`);
  });

  it('holds only the bundle, the icons, the README, the changelog, licence and manifest', () => {
    const unexpected = names.filter(name => !ALLOWED.some(pattern => pattern.test(name)));
    assert.deepEqual(unexpected, [], `${path.basename(vsix)} holds files the allow-list does not name`);
  });

  it('holds the manifest texts and the l10n bundle of the code, so every %key% and l10n.t string resolves when installed', async () => {
    const manifest = JSON.parse((await vsixTools.readVsixEntry(vsix, 'extension/package.json')) ?? '{}');
    const nls = JSON.parse((await vsixTools.readVsixEntry(vsix, 'extension/package.nls.json')) ?? '{}');
    const keys = [...JSON.stringify(manifest).matchAll(/"%([^%"\s]+)%"/g)].map(m => m[1]);
    assert.ok(keys.length > 0, 'the packaged package.json has no %key% texts');
    assert.deepEqual(keys.filter(key => typeof nls[key] !== 'string'), [], 'placeholders the packaged package.nls.json does not resolve');
    assert.equal(manifest.l10n, './l10n');
    const bundle = await vsixTools.readVsixEntry(vsix, 'extension/l10n/bundle.l10n.json');
    assert.deepEqual(JSON.parse(bundle ?? '{}'), JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.json'), 'utf8')));
  });

  it('has no source, tests, compiled tests, source maps, esbuild metafiles or node_modules', () => {
    assert.deepEqual(forbiddenIn(names), []);
  });

  it('keeps what is compiled at every start (the launcher and the bundle it runs) within its 700 KB budget (the MCP client and undici apart, loaded on first use)', () => {
    // A full `import { z } from 'zod'` alone adds about 450 KB; the extension parses with zod/mini.
    const launcher = entries.find(e => e.name === 'extension/dist/extension.js');
    const bundle = entries.find(e => e.name === 'extension/dist/runwatch.js');
    assert.ok(launcher, 'no extension/dist/extension.js in the .vsix');
    assert.ok(bundle, 'no extension/dist/runwatch.js in the .vsix');
    const kb = (launcher.size + bundle.size) / 1024;
    assert.ok(kb <= 700, `dist/extension.js and dist/runwatch.js are ${kb.toFixed(1)} KB, over the 700 KB budget`);
  });

  it('holds the entry point package.json names and every file the bundle loads lazily', async () => {
    const manifest = JSON.parse((await vsixTools.readVsixEntry(vsix, 'extension/package.json')) ?? '{}');
    const source = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(manifest.name, source.name);
    assert.equal(manifest.version, source.version);
    assert.equal(manifest.main, source.main);
    const main = `extension/${path.posix.normalize(manifest.main)}`;
    assert.ok(names.includes(main), `the entry point ${main} is not in the .vsix`);
    // The entry point is a launcher that runs the bundle (dist/runwatch.js); the bundle keeps the MCP client
    // (require("./mcp.js"), loaded on first Adlyse use) and undici (require("./undici.js"), loaded on the first
    // request) in files of their own.
    const bundled = names.filter(name => /^extension\/dist\/[^/]+\.js$/.test(name));
    const loads = new Set<string>();
    for (const name of bundled) {
      const text = (await vsixTools.readVsixEntry(vsix, name)) ?? '';
      for (const m of text.matchAll(/\b(?:require|import)\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)) loads.add(path.posix.join(path.posix.dirname(name), m[1]));
      // The launcher runs the bundle by its path beside it: path.join(__dirname, "runwatch.js").
      for (const m of text.matchAll(/__dirname\s*,\s*["']([^"'/]+\.js)["']/g)) loads.add(path.posix.join(path.posix.dirname(name), m[1]));
    }
    assert.ok(loads.has('extension/dist/runwatch.js'), 'the entry point does not run Runwatch\'s bundle dist/runwatch.js');
    assert.ok(loads.has('extension/dist/mcp.js'), 'the bundle does not load the MCP client from a file of its own');
    assert.ok(loads.has('extension/dist/undici.js'), 'the bundle does not load undici from a file of its own');
    for (const file of loads) assert.ok(names.includes(file), `the bundle loads ${file}, which is not in the .vsix`);
  });

  it('holds the icon, and keeps the README as written: its images relative, no repository URL made up', async () => {
    const { icon } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.ok(names.includes(`extension/${path.posix.normalize(icon)}`), `the icon ${icon} is not in the .vsix`);
    const packaged = (await vsixTools.readVsixEntry(vsix, 'extension/readme.md')) ?? '';
    const source = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.ok(readmeImages(source).length > 0, 'the README shows no screenshot');
    assert.deepEqual(readmeImages(packaged), readmeImages(source), 'vsce rewrote the README\'s images (to a made-up repository URL?)');
  });

  it('.vscodeignore keeps out what a development build, the tests and npm leave behind (vsce ls)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-vscodeignore-'));
    try {
      for (const file of ['package.json', 'package.nls.json', 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'media', 'docs']) {
        fs.cpSync(path.join(ROOT, file), path.join(dir, file), { recursive: true });
      }
      const leftBehind = [
        'dist/extension.js', 'dist/runwatch.js', 'dist/undici.js', 'dist/mcp.js', // the bundle: these four ship
        'dist/extension.js.map', 'dist/runwatch.js.map', 'dist/mcp.js.map', 'dist/extension.js.meta.json', 'dist/runwatch.js.meta.json', 'dist/mcp.js.meta.json',
        'src/extension.ts', 'test/unit/vsix.test.ts', 'out/src/extension.js', 'out/src/extension.js.map',
        'node_modules/zod/index.js', 'bench/results/latest.json', 'scripts/vsix.js', 'esbuild.js', 'tsconfig.json',
        'CONTRIBUTING.md', '.ci/run', '.vscode-test/integration/result.json', 'runwatch-0.0.1.vsix',
      ];
      for (const file of leftBehind) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), '');
      }
      const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
      const r = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.equal(r.status, 0, `vsce ls failed: ${r.stderr}`);
      const listed = r.stdout.split('\n').map(line => line.trim()).filter(Boolean).sort();
      const shipped = ['CHANGELOG.md', 'LICENSE', 'README.md', 'dist/extension.js', 'dist/mcp.js', 'dist/runwatch.js', 'dist/undici.js', 'l10n/bundle.l10n.json', 'package.json', 'package.nls.json'];
      const media = path.join(ROOT, 'media');
      for (const file of fs.readdirSync(media, { recursive: true, encoding: 'utf8' })) {
        if (fs.statSync(path.join(media, file)).isFile()) shipped.push(`media/${file.split(path.sep).join('/')}`);
      }
      assert.deepEqual(listed, shipped.sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
