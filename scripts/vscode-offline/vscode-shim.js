#!/usr/bin/env node
// A stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }).
// It accepts the command line test-electron gives Electron VS Code
//   [folder] --extensionTestsPath=P --extensionDevelopmentPath=D [--user-data-dir=U] [--extensions-dir=E] ...
// and instead starts code-server (the real VS Code server + Node extension host, installed by setup.sh) on a
// free 127.0.0.1 port, opens the workbench in headless Chromium with the Extension-Development-Host "payload"
// query (honoured only with the smoke-test driver on), prints what the extension host logs, waits for
// window.codeAutomationExit(code), stops everything and exits with the tests' exit code.
//
// Like the real `code` CLI it also installs an extension and exits:
//   --install-extension <file.vsix> [--extensions-dir=E] [--user-data-dir=U]
// (scripts/runTest.js installs the packaged .vsix that way, so the tests run what ships).
//
// The environment it was started with (test-electron's extensionTestsEnv included) reaches the extension
// host: code-server's extension host inherits the server's environment.
//
// Optional env: RUNWATCH_VSC (tool dir, default .vscode-test/offline), CHROMIUM, SHIM_TIMEOUT_MS (default
// 300000), SHIM_PRINT_SERVER_LOG=0 (do not print code-server's log when VS Code itself failed), SHIM_VERBOSE=1 (also print the
// workbench's own console chatter).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');
const tools = require('./tools');

const devPaths = [];
const positional = [];
let testsPath;
let userDataDir;
let extensionsDir;
let installVsix;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(args[i]);
  if (!m) {
    positional.push(args[i]);
    continue;
  }
  const [, k, v] = m;
  if (k === 'extensionDevelopmentPath') devPaths.push(v);
  else if (k === 'extensionTestsPath') testsPath = v;
  else if (k === 'user-data-dir') userDataDir = v;
  else if (k === 'extensions-dir') extensionsDir = v;
  else if (k === 'install-extension') installVsix = v ?? args[++i];
  // the Electron-only flags (--no-sandbox, --disable-updates, --skip-welcome, ...) mean nothing here
}

const log = (...a) => console.log('[vscode-shim]', ...a);

if (installVsix) {
  try {
    tools.ensureTools();
    userDataDir = path.resolve(userDataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-shim-ud-')));
    const installed = tools.installVsix(installVsix, { userDataDir, extensionsDir: path.resolve(extensionsDir || path.join(userDataDir, 'extensions')) });
    log(`installed ${path.basename(installVsix)} as ${installed.id} ${installed.version} in ${installed.dir}`);
    process.exit(0);
  } catch (e) {
    console.error(`[vscode-shim] ${e.message}`);
    process.exit(1);
  }
}
if (!testsPath || devPaths.length === 0) {
  console.error('vscode-shim: need --extensionTestsPath and --extensionDevelopmentPath (or --install-extension)');
  process.exit(2);
}

(async () => {
  const t0 = Date.now();
  tools.ensureTools();
  userDataDir = path.resolve(userDataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-shim-ud-')));
  extensionsDir = path.resolve(extensionsDir || path.join(userDataDir, 'extensions'));
  fs.mkdirSync(extensionsDir, { recursive: true });
  tools.writeUserSettings(userDataDir);

  const port = await tools.freePort();
  const server = await tools.startCodeServer({
    port, userDataDir, extensionsDir,
    extraArgs: ['--vscode-option', 'enable-smoke-test-driver', '--disable-proxy', '--reconnection-grace-time', '5'],
  });
  log(`code-server (VS Code server) up on ${server.url} after ${Date.now() - t0} ms`);

  let context;
  let browserDir;
  let done = false;
  let testsFinished = false;
  let silenced = false;
  const finish = async (code, why) => {
    if (done) return;
    done = true;
    // Log messages travel over the same channel as the exit call; give the last ones a moment to land.
    await new Promise(r => setTimeout(r, 300));
    silenced = true; // what follows is shutdown noise ("Canceled")
    log(`${why}; exit code ${code} after ${Date.now() - t0} ms`);
    if (code !== 0 && !testsFinished && process.env.SHIM_PRINT_SERVER_LOG !== '0') {
      process.stderr.write(`[vscode-shim] code-server log (tail):\n${server.output().slice(-4000)}\n`);
    }
    if (context) await context.close().catch(() => {});
    if (browserDir) fs.rmSync(browserDir, { recursive: true, force: true });
    await server.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void finish(130, 'SIGINT'));
  process.on('SIGTERM', () => void finish(143, 'SIGTERM'));
  server.child.on('exit', c => void finish(c || 3, `code-server exited early (${c})`));
  setTimeout(() => void finish(124, 'timeout'), Number(process.env.SHIM_TIMEOUT_MS || 300000)).unref();

  const authority = `127.0.0.1:${port}`;
  const remote = p => `vscode-remote://${authority}${path.resolve(p)}`;
  const payload = [
    ...devPaths.map(d => ['extensionDevelopmentPath', remote(d)]),
    ['extensionTestsPath', remote(testsPath)],
    ['skipWelcome', 'true'],
  ];
  const target = positional[0] ? path.resolve(positional[0]) : undefined;
  const where = !target ? 'ew=true'
    : target.endsWith('.code-workspace') ? `workspace=${encodeURIComponent(target)}` : `folder=${encodeURIComponent(target)}`;
  const url = `${server.url}/?${where}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

  browserDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-shim-chr-'));
  context = await tools.launchChromium(browserDir);
  const page = context.pages()[0] || (await context.newPage());
  // The extension host's console (mocha's reporter included) arrives here through the smoke-test driver, mixed
  // with the workbench's own chatter about connections and the (disabled) gallery: that is left out.
  const workbenchChatter = /^(Resolving connection token|Resolved connection token|Creating a socket|\[reconnection-grace-time\]|Ignoring fetching additional builtin extensions|Updating additional builtin extensions cache|\[Service Worker\]|\[AgentHost|\[AccountPolicyGate\])/;
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    if (silenced) return;
    const line = util.format(...(Array.isArray(args) ? args : [args])); // printf-style, as console.log itself
    if (!process.env.SHIM_VERBOSE && workbenchChatter.test(line)) return;
    (type === 'error' || type === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
  });
  await page.exposeFunction('codeAutomationExit', code => {
    testsFinished = true; // a test failure, not a broken VS Code: no server log needed
    return finish(code, 'tests finished (codeAutomationExit)');
  });
  page.on('pageerror', e => process.stderr.write(`[vscode-shim] page error: ${e.message}\n`));
  await page.goto(url);
})().catch(e => {
  console.error('[vscode-shim] FAILED', e);
  process.exit(1);
});
