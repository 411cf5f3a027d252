// The packaged extension, runwatch-<version>.vsix: where it is, whether it is older than what it is built from,
// what it holds (a .vsix is a zip; read with yauzl, the reader vsce itself uses), and packaging it again.
// Plain Node on purpose: `npm run package` runs it before anything is compiled.
//
// As a script (the last step of `npm run package`) it prints the size and file count of the .vsix, one line
// "runwatch-<version>.vsix: N KB, N files" (scripts/test-all.js reads it), then the files with their sizes.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const yauzl = require('yauzl');

const ROOT = path.resolve(__dirname, '..');

function manifest(root = ROOT) {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
}

/** Where `vsce package` writes the .vsix: `<name>-<version>.vsix` in the repository root. */
function vsixPath(root = ROOT) {
  const { name, version } = manifest(root);
  return path.join(root, `${name}-${version}.vsix`);
}

/** What the .vsix is built from: when any of it is newer than the .vsix, the .vsix is out of date. */
const PACKAGE_INPUTS = ['src', 'media', 'package.json', 'package.nls.json', 'l10n', 'package-lock.json', 'esbuild.js', 'tsconfig.json',
  '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE'];

/** The newest input file and its modification time. */
function newestInput(root = ROOT) {
  let newest = { file: undefined, mtimeMs: 0 };
  const visit = file => {
    if (!fs.existsSync(file)) return;
    const stat = fs.statSync(file);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(file)) visit(path.join(file, name));
    } else if (stat.mtimeMs > newest.mtimeMs) {
      newest = { file, mtimeMs: stat.mtimeMs };
    }
  };
  for (const input of PACKAGE_INPUTS) visit(path.join(root, input));
  return newest;
}

/** Why the .vsix must be packaged again, or undefined when it is up to date. */
function whyStale(root = ROOT) {
  const vsix = vsixPath(root);
  if (!fs.existsSync(vsix)) return `${path.basename(vsix)} is missing`;
  const newest = newestInput(root);
  if (newest.mtimeMs > fs.statSync(vsix).mtimeMs) return `${path.relative(root, newest.file)} is newer than ${path.basename(vsix)}`;
  return undefined;
}

/** Runs `npm run package` (production bundle, vsce package, the summary); throws when it fails. */
function packageVsix(root = ROOT) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'package'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`npm run package failed (exit ${r.status ?? r.signal})`);
  return vsixPath(root);
}

/** The .vsix, packaged first when it is missing or older than its sources. `log` says why it packages. */
function ensureVsix({ root = ROOT, log = console.log } = {}) {
  const why = whyStale(root);
  if (why) {
    log(`Packaging the extension first: ${why}`);
    packageVsix(root);
  }
  return vsixPath(root);
}

/** The entries of a .vsix (zip): name (forward slashes), uncompressed and compressed size. */
function listVsix(file) {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const entries = [];
      zip.on('entry', e => {
        if (!e.fileName.endsWith('/')) entries.push({ name: e.fileName, size: e.uncompressedSize, compressedSize: e.compressedSize });
        zip.readEntry();
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** The text of one entry of a .vsix, or undefined when it has no such entry. */
function readVsixEntry(file, name) {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      let found = false;
      zip.on('entry', e => {
        if (e.fileName !== name) return zip.readEntry();
        found = true;
        zip.openReadStream(e, (streamErr, stream) => {
          if (streamErr) return reject(streamErr);
          const chunks = [];
          stream.on('data', c => chunks.push(c));
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => {
        if (!found) resolve(undefined);
      });
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

const kb = bytes => `${(bytes / 1024).toFixed(1)} KB`;

async function printSummary(file = vsixPath()) {
  const entries = await listVsix(file);
  console.log(`${path.basename(file)}: ${kb(fs.statSync(file).size)}, ${entries.length} files`);
  for (const e of entries) console.log(`  ${e.name.padEnd(40)} ${kb(e.size).padStart(10)}`);
}

module.exports = { ROOT, PACKAGE_INPUTS, vsixPath, whyStale, packageVsix, ensureVsix, listVsix, readVsixEntry };

if (require.main === module) {
  printSummary().catch(e => {
    console.error(`Cannot read the .vsix: ${e.message}`);
    process.exit(1);
  });
}
