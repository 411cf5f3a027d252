// The test runner the VS Code extension host loads through --extensionTestsPath (the run() contract of
// @vscode/test-electron). Runs every out/test/integration/**/*.test.js with mocha (bdd: describe/it).
// Env (passed through test-electron's extensionTestsEnv): RUNWATCH_TEST_RESULT — a JSON result file for the
// outer runner; RUNWATCH_TEST_GREP — run only tests whose title matches; RUNWATCH_TEST_EXTENSIONS_DIR — where
// scripts/runTest.js installed the packaged .vsix: the tests refuse to run against a Runwatch loaded from elsewhere
// (a source folder), so what they test is what ships.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

function testFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFiles(full));
    else if (entry.name.endsWith('.test.js')) found.push(full);
  }
  return found.sort();
}

/** Where the Runwatch in this extension host was loaded from; throws unless it is the installed .vsix. */
function installedRunwatch(): string {
  const runwatch = vscode.extensions.getExtension('runwatch.runwatch');
  if (!runwatch) throw new Error('Runwatch (runwatch.runwatch) is not installed in this VS Code');
  const at = runwatch.extensionUri.fsPath;
  const expected = process.env.RUNWATCH_TEST_EXTENSIONS_DIR;
  if (expected && path.relative(path.resolve(expected), at).startsWith('..')) {
    throw new Error(`Runwatch is loaded from ${at}, not from the .vsix installed in ${expected}`);
  }
  return `${runwatch.packageJSON.version} at ${at}`;
}

export function run(): Promise<void> {
  const uiKind = vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop';
  console.log(
    `vscode.version=${vscode.version} uiKind=${uiKind} appHost=${vscode.env.appHost} ` +
      `remoteName=${vscode.env.remoteName ?? 'none'} node=${process.version}`,
  );
  let runwatch: string;
  try {
    runwatch = installedRunwatch();
  } catch (e) {
    console.error(`${(e as Error).message}`);
    return Promise.reject(e);
  }
  console.log(`Runwatch under test: ${runwatch}`);
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  if (process.env.RUNWATCH_TEST_GREP) mocha.grep(process.env.RUNWATCH_TEST_GREP);
  // npm run bench starts the host with RUNWATCH_BENCH=1: then only the in-host scale measurements run.
  const files = process.env.RUNWATCH_BENCH === '1' ? [path.join(__dirname, 'bench.scale.js')] : testFiles(__dirname);
  for (const file of files) mocha.addFile(file);

  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run(failures => {
        const passed = runner.stats?.passes ?? 0;
        const resultFile = process.env.RUNWATCH_TEST_RESULT;
        if (resultFile) {
          fs.writeFileSync(
            resultFile,
            JSON.stringify({ passed, failed: failures, pending: runner.stats?.pending ?? 0, vscodeVersion: vscode.version, uiKind, node: process.version, runwatch }),
          );
        }
        console.log(`${passed} passed, ${failures} failed`);
        if (failures > 0) reject(new Error(`${failures} extension tests failed`));
        else resolve();
      });
    } catch (e) {
      console.error(e);
      reject(e);
    }
  });
}
