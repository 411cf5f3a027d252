// `npm test`: lints, packages the extension, then runs the three suites in order against that package, streaming
// their output, then prints one summary line "N passed, N failed" (all suites together) alone on the last
// line. Exits non-zero if packaging or any suite failed.
//   lint         npm run lint (scripts/lint.js): eslint's layer rules and the import-cycle check, one count each
//   package      npm run package: the production bundle and runwatch-<version>.vsix (its size and file count)
//   unit         mocha in plain Node against the simulator (out/test/unit), including what the .vsix holds
//   integration  mocha inside a real VS Code extension host, the .vsix installed (scripts/runTest.js)
//   ui           the UI smoke test in headless Chromium, the .vsix installed (test/ui/ui-smoke.js)
// usage: node scripts/test-all.js [lint] [package] [unit] [integration] [ui]   (default: all five)
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const SUITES = {
  lint: { command: [process.execPath, path.join(__dirname, 'lint.js')], parse: lastSummaryLine },
  package: {
    command: [process.platform === 'win32' ? 'npm.cmd' : 'npm', 'run', 'package'],
    // not a test suite: a step that must succeed, summarised by scripts/vsix.js's "runwatch-0.1.0.vsix: 448.1 KB, 12 files"
    parse(out) {
      const summary = /^(\S+\.vsix: .+ files)$/m.exec(out);
      return summary ? { passed: 0, failed: 0, detail: summary[1] } : undefined;
    },
  },
  unit: {
    command: [process.execPath, require.resolve('mocha/bin/mocha.js'), '--config', '.mocharc.json', '--reporter', 'spec'],
    // mocha's spec reporter: "  12 passing (3s)" / "  2 failing" / "  1 pending"
    parse(out) {
      const passing = /^\s*(\d+) passing/m.exec(out);
      const failing = /^\s*(\d+) failing/m.exec(out);
      return passing || failing ? { passed: Number(passing?.[1] ?? 0), failed: Number(failing?.[1] ?? 0) } : undefined;
    },
  },
  integration: { command: [process.execPath, path.join(__dirname, 'runTest.js')], parse: lastSummaryLine },
  ui: { command: [process.execPath, path.join(ROOT, 'test', 'ui', 'ui-smoke.js')], parse: lastSummaryLine },
};

function lastSummaryLine(out) {
  const all = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)];
  const last = all[all.length - 1];
  return last ? { passed: Number(last[1]), failed: Number(last[2]) } : undefined;
}

function runSuite(name) {
  const { command } = SUITES[name];
  console.log(`\n=== ${name}: ${command.map(c => (c === process.execPath ? 'node' : path.isAbsolute(c) ? path.relative(ROOT, c) || c : c)).join(' ')}`);
  const started = Date.now();
  return new Promise(resolve => {
    const child = spawn(command[0], command.slice(1), {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' }, shell: process.platform === 'win32',
    });
    let out = '';
    child.stdout.on('data', d => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', d => {
      out += d;
      process.stderr.write(d);
    });
    const stop = () => child.kill('SIGINT');
    process.on('SIGINT', stop);
    child.on('close', code => {
      process.removeListener('SIGINT', stop);
      const seconds = (Date.now() - started) / 1000;
      let counts = SUITES[name].parse(out);
      let note = '';
      if (!counts) {
        counts = { passed: 0, failed: 1 };
        note = name === 'package' ? ` (packaging failed, exit code ${code})` : ' (no test summary: the suite did not run)';
      } else if (code !== 0 && counts.failed === 0) {
        counts = { ...counts, failed: 1 };
        note = ` (exit code ${code} although no test failed)`;
      }
      resolve({ name, ...counts, code, seconds, note });
    });
  });
}

async function main() {
  const chosen = process.argv.slice(2).filter(a => !a.startsWith('-'));
  const unknown = chosen.filter(n => !SUITES[n]);
  if (unknown.length) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; choose from ${Object.keys(SUITES).join(', ')}`);
    return 2;
  }
  const started = Date.now();
  const results = [];
  for (const name of chosen.length ? chosen : Object.keys(SUITES)) results.push(await runSuite(name));

  console.log('\n=== summary');
  for (const r of results) {
    const what = r.detail && !r.failed ? r.detail.padEnd(28) : `${String(r.passed).padStart(4)} passed, ${String(r.failed).padStart(3)} failed`;
    console.log(`${r.name.padEnd(12)} ${what}  ${r.seconds.toFixed(1).padStart(6)} s${r.note}`);
  }
  console.log(`${'total'.padEnd(12)} ${' '.repeat(30)}${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && results.every(r => r.code === 0) ? 0 : 1;
}

main().then(code => process.exit(code));
