// Localization: every text of the manifest comes from package.nls.json, and every text the code translates
// (vscode.l10n.t in the VS Code layer, @vscode/l10n's t where `vscode` cannot be imported) is in
// l10n/bundle.l10n.json, the file translators start from. `npm run l10n` regenerates the bundle.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { englishManifest, manifestStrings, placeholderKey, readJson, ROOT } from './manifestText';

interface L10nDev {
  getL10nJson(files: { extension: string; contents: string }[]): Promise<Record<string, string | { message: string }>>;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const SOURCES = sourceFiles(path.join(ROOT, 'src')).map(file => ({ file: path.relative(ROOT, file), contents: fs.readFileSync(file, 'utf8') }));

/**
 * The first argument of every `l10n.t('…')` in the source, read with a plain pattern (independent of
 * @vscode/l10n-dev, so a call its parser skips is still noticed). Template literals are not allowed there.
 */
function translatedLiterals(): { file: string; message: string }[] {
  const out: { file: string; message: string }[] = [];
  const call = /\bl10n\.t\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(`))/g;
  for (const { file, contents } of SOURCES) {
    for (const m of contents.matchAll(call)) {
      assert.equal(m[3], undefined, `${file}: l10n.t with a template literal; use '…{0}…' and pass the value`);
      const raw = m[1] ?? m[2];
      out.push({ file, message: raw.replace(/\\(u\{?[0-9a-fA-F]+\}?|.)/g, (_, esc: string) => (esc.startsWith('u') ? String.fromCodePoint(parseInt(esc.replace(/[u{}]/g, ''), 16)) : esc === 'n' ? '\n' : esc)) });
    }
  }
  return out;
}

describe('localization', () => {
  const pkg = readJson('package.json');
  const nls = readJson<Record<string, string>>('package.nls.json');
  const bundle = readJson<Record<string, string>>('l10n/bundle.l10n.json');

  describe('the manifest (package.nls.json)', () => {
    it('names its l10n folder, and every %key% in package.json has an English text', () => {
      assert.equal(pkg.l10n, './l10n');
      const missing = manifestStrings(pkg)
        .map(([at, text]) => [at, placeholderKey(text)] as const)
        .filter(([, key]) => key !== undefined && typeof nls[key] !== 'string');
      assert.deepEqual(missing, [], 'placeholders without a text in package.nls.json');
    });

    it('uses every text of package.nls.json', () => {
      const used = new Set(manifestStrings(pkg).map(([, text]) => placeholderKey(text)));
      assert.deepEqual(Object.keys(nls).filter(key => !used.has(key)), [], 'texts no placeholder uses');
    });

    it('leaves no text a user reads in package.json itself', () => {
      // What people read: names, titles, categories, descriptions; not ids, when-clauses, enums or defaults.
      const read = /(^|\.)(displayName|description|markdownDescription|title|category|name|contextualTitle|contents|enumDescriptions\.\d+|userDescription|modelDescription)$/;
      const notText = /^(name|publisher|contributes\.languageModelTools\.\d+\.name)$/;
      // A snippet's body is an example value (a declaration's `displayName: "My API"`), inserted as written.
      const snippetBody = /\.defaultSnippets\.\d+\.body\./;
      const literal = manifestStrings(pkg).filter(([at, text]) => read.test(at) && !notText.test(at) && !snippetBody.test(at) && placeholderKey(text) === undefined);
      assert.deepEqual(literal, [], 'manifest texts written in package.json instead of package.nls.json');
    });

    it('reads in English as before: command titles and the welcome text resolve', () => {
      const english = englishManifest();
      const setKey = english.contributes.commands.find((c: { command: string }) => c.command === 'runwatch.setApiKey');
      assert.equal(setKey.title, 'Set API Key');
      assert.equal(setKey.category, 'Runwatch');
      assert.equal(english.displayName, 'Runwatch');
      assert.match(english.contributes.viewsWelcome[0].contents, /\[Set API Key\]\(command:runwatch\.setApiKey\)/);
      assert.deepEqual(manifestStrings(english).filter(([, text]) => placeholderKey(text) !== undefined), [], 'placeholders left after resolving');
    });
  });

  describe('the code (l10n/bundle.l10n.json)', () => {
    it('has in the bundle every string the source translates', () => {
      const literals = translatedLiterals();
      assert.ok(literals.length > 300, `only ${literals.length} l10n.t calls found: the pattern no longer matches the source`);
      const missing = literals.filter(l => !(l.message in bundle)).map(l => `${l.file}: ${l.message}`);
      assert.deepEqual(missing, [], 'strings missing from l10n/bundle.l10n.json: run `npm run l10n`');
    });

    it('is exactly what @vscode/l10n-dev extracts from the source now (npm run l10n)', async function () {
      // The extractor loads tree-sitter (WebAssembly) on first use.
      this.timeout(60_000);
      const l10nDev = (await import('@vscode/l10n-dev')) as unknown as L10nDev;
      const extracted = await l10nDev.getL10nJson(SOURCES.map(s => ({ extension: '.ts', contents: s.contents })));
      const want = Object.keys(extracted).sort();
      const have = Object.keys(bundle).sort();
      assert.deepEqual(
        { missing: want.filter(k => !have.includes(k)), stale: have.filter(k => !want.includes(k)) },
        { missing: [], stale: [] },
        'l10n/bundle.l10n.json is out of date: run `npm run l10n`',
      );
      // Every file that translates is one the extractor reads: it only follows `vscode` and `@vscode/l10n` imports.
      const unread = SOURCES.filter(s => /\bl10n\.t\(/.test(s.contents) && !/from '(vscode|@vscode\/l10n)'/.test(s.contents)).map(s => s.file);
      assert.deepEqual(unread, []);
    });

    it('keeps src/core free of `vscode`: it translates through @vscode/l10n only', () => {
      const core = SOURCES.filter(s => /^src[\\/](core|providers)[\\/]/.test(s.file) && /from 'vscode'|require\('vscode'\)/.test(s.contents)).map(s => s.file);
      assert.deepEqual(core, []);
    });
  });
});
