// npm run lint: the two checks that keep the layers apart (CONTRIBUTING.md), run by `npm test` as a suite.
//   eslint   eslint.config.mjs: src/core imports neither VS Code nor the adapters, src/providers no VS Code,
//            and a few rules the code keeps
//   cycles   madge over src/: no import cycle, type-only imports (`import type`, `import('…').T`) included,
//            as a type cycle ties files together as much as a runtime one does
// Prints each problem, then "N passed, N failed" (one per check) alone on the last line; exit 1 on any problem.
'use strict';
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const LINTED = ['src', 'test', 'bench'];

async function eslintCheck() {
  const { ESLint } = await import('eslint');
  const eslint = new ESLint({ cwd: ROOT });
  const results = await eslint.lintFiles(LINTED);
  const problems = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
  const text = (await eslint.loadFormatter('stylish')).format(results);
  if (text) console.log(text);
  return { ok: problems === 0, summary: `eslint: ${problems} problem(s) in ${results.length} files (${LINTED.join(', ')})` };
}

async function cycleCheck() {
  const madge = require('madge');
  const graph = await madge(path.join(ROOT, 'src'), {
    fileExtensions: ['ts'],
    tsConfig: path.join(ROOT, 'tsconfig.json'),
    // detective-typescript drops `import type` when asked to; it must not be.
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
  const cycles = graph.circular();
  const { skipped } = graph.warnings();
  for (const cycle of cycles) console.log(`  import cycle: ${[...cycle, cycle[0]].map(f => `src/${f}`).join(' -> ')}`);
  // An import madge cannot resolve is an edge it cannot see: that must fail too, not pass quietly.
  for (const file of skipped) console.log(`  unresolved import: ${file}`);
  const files = Object.keys(graph.obj()).length;
  return { ok: cycles.length === 0 && skipped.length === 0, summary: `import cycles: ${cycles.length} in ${files} files under src/${skipped.length ? `, ${skipped.length} unresolved` : ''}` };
}

async function main() {
  let passed = 0;
  let failed = 0;
  for (const check of [eslintCheck, cycleCheck]) {
    try {
      const { ok, summary } = await check();
      console.log(`${ok ? '✔' : '✘'} ${summary}`);
      if (ok) passed++;
      else failed++;
    } catch (e) {
      console.log(`✘ ${check.name} did not run: ${e.message}`);
      failed++;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then(code => process.exit(code));
