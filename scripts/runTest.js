// Runs the extension tests (out/test/integration) inside a real VS Code extension host with @vscode/test-electron.
// Offline (the default) the "VS Code executable" is scripts/vscode-offline/vscode-shim.js: VS Code 1.139.1 from the
// code-server npm package, driven by headless Chromium. With RUNWATCH_VSCODE=desktop, test-electron downloads
// desktop VS Code as usual (needs internet). Writes .vscode-test/integration/result.json and prints
// "N passed, N failed" as its last line.
//
// What is tested is what ships: the packaged runwatch-<version>.vsix (packaged first when it is missing or older
// than its sources) is installed into the run's extensions dir with `--install-extension`, and the folder it was
// installed to is also the extension-development path: VS Code gives the extension under development
// ExtensionMode.Test, the only mode in which Runwatch's activate() returns the API the tests read
// (src/vscode/testApi.ts). Loaded from there, it is still the .vsix's content, not a source folder.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { runTests, downloadAndUnzipVSCode, resolveCliArgsFromVSCodeExecutablePath } = require('@vscode/test-electron');
const { ensureVsix } = require('./vsix');

const ROOT = path.resolve(__dirname, '..');
// RUNWATCH_BENCH=1 (npm run bench): the host runs test/integration/bench.scale.ts instead of the tests, in a
// work folder of its own, and it writes its figures to RUNWATCH_BENCH_OUT.
const BENCH = process.env.RUNWATCH_BENCH === '1';
const RUNS = path.join(ROOT, '.vscode-test', BENCH ? 'bench' : 'integration');
// One folder per run: two runs at once in one checkout would otherwise share a profile, and with it the
// window lease, and one of them would become a passive follower window.
const WORK = path.join(RUNS, `run-${process.pid}`);

/** Removes the folders of earlier runs whose process is gone. */
function removeFinishedRuns() {
  for (const name of fs.existsSync(RUNS) ? fs.readdirSync(RUNS) : []) {
    const pid = Number(/^run-(\d+)$/.exec(name)?.[1]);
    let alive = false;
    try {
      alive = pid > 0 && (process.kill(pid, 0), true);
    } catch {
      alive = false;
    }
    if (!alive) fs.rmSync(path.join(RUNS, name), { recursive: true, force: true });
  }
}

/** `code --install-extension <vsix>` into this run's profile: the desktop VS Code CLI, or the offline shim's. */
function installVsix(vsix, vscodeExecutablePath, { desktop, userDataDir, extensionsDir }) {
  const [cli, ...cliArgs] = desktop ? [resolveCliArgsFromVSCodeExecutablePath(vscodeExecutablePath)[0]] : [process.execPath, vscodeExecutablePath];
  const r = spawnSync(
    cli,
    [...cliArgs, '--install-extension', vsix, `--extensions-dir=${extensionsDir}`, `--user-data-dir=${userDataDir}`],
    { stdio: 'inherit', shell: process.platform === 'win32' },
  );
  if (r.status !== 0) throw new Error(`installing ${path.basename(vsix)} failed (exit ${r.status ?? r.signal})`);
}

/** The folder `--install-extension` put an extension in, from the extensions dir's own index. */
function installedFolder(extensionsDir, id) {
  const index = JSON.parse(fs.readFileSync(path.join(extensionsDir, 'extensions.json'), 'utf8'));
  const entry = index.find(e => e.identifier?.id?.toLowerCase() === id.toLowerCase());
  if (!entry?.location?.path || !fs.existsSync(entry.location.path)) throw new Error(`${id} is not in ${extensionsDir} after installing`);
  return entry.location.path;
}

/**
 * Puts the compiled tests (out/) inside the installed extension's folder and returns the test runner there.
 * VS Code hands a file the `vscode` API object of the extension whose folder holds it, and the tests answer
 * Runwatch's quick picks and input boxes by replacing functions on that object: from anywhere else they would
 * get an object of their own. The tests reach their packages (mocha, the simulator's) through out/node_modules,
 * a link to the repository's; the bundle (dist/) cannot, as the extensions dir lies outside the repository, so a
 * package the bundle lacks fails here as it would for a user. Nothing of this is in the .vsix.
 */
function placeTests(extensionDir) {
  const out = path.join(extensionDir, 'out');
  fs.cpSync(path.join(ROOT, 'out'), out, { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'), 'junction');
  return path.join(out, 'test', 'integration', 'index.js');
}

async function main() {
  const desktop = process.env.RUNWATCH_VSCODE === 'desktop';
  const shim = path.join(__dirname, 'vscode-offline', 'vscode-shim.js');
  if (!desktop) {
    require('./vscode-offline/tools').ensureTools();
    fs.chmodSync(shim, 0o755); // test-electron spawns it directly; a checkout may have lost the exec bit
  }

  const testsPath = path.join(ROOT, 'out', 'test', 'integration', 'index.js');
  if (!fs.existsSync(testsPath)) throw new Error(`${path.relative(ROOT, testsPath)} is missing: run npm run compile-tests`);

  // A fresh profile, extensions dir and workspace folder every run: no state leaks between runs.
  removeFinishedRuns();
  fs.rmSync(WORK, { recursive: true, force: true });
  const workspace = path.join(WORK, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'README.md'), '# Runwatch integration test workspace\n');
  const resultFile = path.join(WORK, 'result.json');
  const userDataDir = path.join(WORK, 'user-data');
  // Outside the repository: from in here the installed bundle could load the repository's node_modules.
  const extensionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-extensions-'));

  const started = Date.now();
  let vsix;
  let runError;
  try {
    vsix = ensureVsix();
    const vscodeExecutablePath = desktop ? await downloadAndUnzipVSCode() : shim;
    installVsix(vsix, vscodeExecutablePath, { desktop, userDataDir, extensionsDir });
    const { publisher, name } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const installed = installedFolder(extensionsDir, `${publisher}.${name}`);
    const installedTests = placeTests(installed);
    await runTests({
      vscodeExecutablePath,
      // The installed .vsix is the extension under development, so it runs in ExtensionMode.Test (see above).
      extensionDevelopmentPath: installed,
      extensionTestsPath: installedTests,
      launchArgs: [workspace, `--user-data-dir=${userDataDir}`, `--extensions-dir=${extensionsDir}`],
      extensionTestsEnv: {
        RUNWATCH_TEST_RESULT: resultFile,
        // index.ts checks that the Runwatch it tests was loaded from here, not from a source folder.
        RUNWATCH_TEST_EXTENSIONS_DIR: extensionsDir,
        RUNWATCH_TEST_GREP: process.env.RUNWATCH_TEST_GREP || '',
        RUNWATCH_BENCH: BENCH ? '1' : '',
        RUNWATCH_BENCH_OUT: process.env.RUNWATCH_BENCH_OUT || '',
        // The tree-at-scale case writes bench/results/tree-latest.json with the checkout's commit.
        RUNWATCH_REPO_ROOT: BENCH ? ROOT : '',
      },
    });
  } catch (e) {
    runError = e;
  } finally {
    fs.rmSync(extensionsDir, { recursive: true, force: true });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  let result;
  try {
    result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  } catch {
    result = undefined;
  }
  if (!result) {
    console.error(`Extension tests did not report a result (${runError ? runError.message : 'no result file'}) after ${seconds} s`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  console.log(`Extension tests ran in VS Code ${result.vscodeVersion} (${result.uiKind}, Node ${result.node}) in ${seconds} s`);
  if (result.runwatch) console.log(`Runwatch under test: ${result.runwatch} (installed from ${path.basename(vsix)})`);
  console.log(`${result.passed} passed, ${result.failed} failed`);
  return result.failed > 0 || runError ? 1 : 0;
}

main().then(
  code => process.exit(code),
  e => {
    console.error('Failed to run extension tests:', e.message);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
