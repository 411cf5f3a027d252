// The demo behind `npm run demo` (scripts/demo.sh builds first): the provider simulator seeded with brands and
// runs in progress, and a real VS Code (code-server) with Runwatch installed and pointed at it. Prints the URL
// to open and the simulator keys to paste into "Runwatch: Set API Key", then runs until Ctrl-C.
//
// Options: --no-browser (do not try to open the URL), --port N (VS Code, default 8080 or the next free one),
// --sim-port N (simulator, default 4010 or the next free one), --scale N (simulated time runs N times faster;
// default 1: the seeded runs are short enough to walk their stages within a minute).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const tools = require('./vscode-offline/tools');
const { ensureVsix } = require('./vsix');

const ROOT = tools.ROOT;
const WORK = path.join(ROOT, '.vscode-test', 'demo');
const DISPLAY_NAMES = { boringMarketing: 'Boring Marketing', gloriaMundo: 'GloriaMundo', automindz: 'Automindz', talonic: 'Talonic', adlyse: 'Adlyse' };

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/**
 * The simulator, in this process. Each provider's demo scenario (accounts, runs in progress) is seeded when
 * Runwatch first calls that provider with a key, so its runs start moving when the user is looking, not while
 * they are still pasting keys.
 */
async function startSimulator(port, scale) {
  const index = path.join(ROOT, 'out', 'test', 'simulator', 'index.js');
  if (!fs.existsSync(index)) throw new Error('out/test/simulator/index.js is missing: run npm run compile-tests');
  const { createSimulator } = require(index);
  const { presentedKey } = require(path.join(ROOT, 'out', 'test', 'simulator', 'server.js'));
  const sim = createSimulator({ port, timeScale: scale });
  for (const id of Object.keys(DISPLAY_NAMES)) {
    const provider = sim.provider(id);
    const handle = provider.handle.bind(provider);
    let seeded = false;
    provider.handle = req => {
      if (!seeded && presentedKey(req)) {
        seeded = true;
        provider.seedDemo?.();
        console.log(`[demo] ${DISPLAY_NAMES[id]}: first call with a key; its demo runs start now`);
      }
      return handle(req);
    };
  }
  await sim.start();
  return { origin: sim.origin, baseUrls: Object.fromEntries(Object.keys(DISPLAY_NAMES).map(id => [id, sim.baseUrl(id)])), stop: () => sim.stop() };
}

function openBrowser(url) {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  if (process.platform !== 'darwin' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

/** What to stop on the way out, newest first: each kills its process group. */
const stops = [];
let stopping = false;
async function stopAll(code, why) {
  if (stopping) return;
  stopping = true;
  if (why) console.log(`\n${why}`);
  if (stops.length) console.log('Stopping VS Code and the simulator…');
  for (const stop of stops.reverse()) await stop();
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

async function main() {
  tools.ensureTools();
  const scale = Number(option('scale', process.env.RUNWATCH_DEMO_SCALE || 1));
  // A fresh profile each time: runs remembered from an earlier simulator would only show as gone.
  fs.rmSync(WORK, { recursive: true, force: true });
  const userDataDir = path.join(WORK, 'user-data');
  const extensionsDir = path.join(WORK, 'extensions');
  const workspace = path.join(WORK, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'README.md'), '# Runwatch demo\n\nOpen the Runwatch view in the activity bar.\n');

  const simPort = await tools.freePort(Number(option('sim-port', process.env.RUNWATCH_SIM_PORT || 4010)));
  const sim = await startSimulator(simPort, scale);
  stops.push(() => sim.stop());

  // The packaged .vsix, as a user installs it (packaged first when it is older than its sources).
  tools.installVsix(ensureVsix(), { userDataDir, extensionsDir });
  const baseUrls = Object.fromEntries(Object.entries(sim.baseUrls).map(([id, url]) => [`runwatch.providers.${id}.baseUrl`, url]));
  tools.writeUserSettings(userDataDir, baseUrls, { overwrite: true });

  const port = await tools.freePort(Number(option('port', process.env.RUNWATCH_DEMO_PORT || 8080)));
  const server = await tools.startCodeServer({
    port, userDataDir, extensionsDir,
    log: fs.createWriteStream(path.join(WORK, 'code-server.log')),
    extraArgs: ['--disable-proxy'],
  });
  stops.push(() => server.stop());
  server.child.on('exit', code => void stopAll(1, `VS Code (code-server) stopped (exit ${code}); see .vscode-test/demo/code-server.log`));

  const { SIM_KEYS } = require(path.join(ROOT, 'out', 'test', 'simulator', 'keys.js'));
  const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
  const width = Math.max(...Object.values(DISPLAY_NAMES).map(n => n.length));
  console.log(`
Runwatch demo is running.

  VS Code with Runwatch:   ${url}
  Provider simulator:      ${sim.origin}  (simulated time ×${scale})

In VS Code: press F1, run "Runwatch: Set API Key", pick a provider and paste its key
(fake keys, valid only against this simulator):

${Object.entries(SIM_KEYS).map(([id, key]) => `  ${(DISPLAY_NAMES[id] || id).padEnd(width)}  ${key}`).join('\n')}

Then open the Runwatch view in the activity bar: Boring Marketing lists its brands and their runs;
the running ones move through their stages, and the status bar follows the most important one.
On another machine, forward the port first:  ssh -L ${port}:127.0.0.1:${port} <this host>

Logs: .vscode-test/demo/  ·  Ctrl-C stops everything.`);
  if (!process.argv.includes('--no-browser') && openBrowser(url)) console.log('(Opened the URL in your browser.)');
}

main().catch(e => void stopAll(1, `demo failed: ${e.message}`));
