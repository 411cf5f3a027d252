// npm run bench:activation — Runwatch's activation as the real VS Code host measures it, bundle load included
// (issue 9, "The benchmark" item 6): the offline code-server (scripts/vscode-offline) started 1 + WINDOWS times,
// each with a fresh user-data dir and a fresh headless Chromium profile (a fresh window), the packaged .vsix
// installed once beforehand (what ships). In each window the figure is the one "Developer: Show Running
// Extensions" shows for Runwatch: the extension host's own codeLoadingTime + activateCallTime, that is require()
// of dist/extension.js (the launcher) plus the synchronous activate() call, which reads, compiles and runs
// dist/runwatch.js (Runwatch's bundle) and then composes Runwatch. Not included: the async work activate() starts
// without waiting for (keys checked in the background, the first list requests).
//
// The first window is the first start after an install: no code cache yet (src/codeCache.ts). It stays open
// until Runwatch has written its cache, and is reported on its own (`firstStart`). Each of the WINDOWS after it
// starts as fresh as the first, except that its user-data dir holds that cache in Runwatch's global storage
// folder, as every start after the first does on a user's machine; the gate applies to those. Each window,
// the first included, starts once the machine is idle (waitForIdleCpu), so none pays for the previous one's
// shutdown or the benchmark phase before it; its own start-up load is what it is measured under.
// Beside the host's figure, the extension's own log line gives activate()'s body (composing Runwatch, after the
// load), how long the bundle's top level ran (esbuild.js's banner and footer), how long reading and compiling
// it took and whether the code cache was used, and the launcher's whole activate() call. The host's figure less
// that call is its codeLoadingTime, whose clock the host starts before an await: it counts the code loading of
// the extensions activated just ahead of Runwatch for the same event too (read from exthost.log: aheadInBatch).
//
// The control: an extension that does nothing, installed beside Runwatch and activated on the same event; its
// figure in the same window is the floor the host's measurement puts under any extension of that batch.
//
// Writes `activation` into bench/results/latest.json (the other fields are left as they are) and
// bench/results/activation-latest.json (every window's figures). Env: ACTIVATION_WINDOWS (10).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { provenance, spread, writeResult } from './provenance';

const ROOT = path.resolve(__dirname, '..', '..');
const WINDOWS = Number(process.env.ACTIVATION_WINDOWS ?? 10);
/** issue 9: the host-measured activation, bundle included, gated at ≤ 50 ms (median of 10 fresh windows). */
const GATE_MS = 50;

// The offline tool chain is plain CommonJS shared with the UI test and the demo.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tools = require(path.join(ROOT, 'scripts', 'vscode-offline', 'tools.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureVsix } = require(path.join(ROOT, 'scripts', 'vsix.js')) as { ensureVsix(o: { log(line: string): void }): string };

export interface ActivationWindow {
  /** The host's codeLoadingTime + activateCallTime, as Running Extensions shows it (whole ms). */
  hostMs: number;
  /** What Running Extensions says, verbatim. */
  hostText: string;
  /** The host's figure, in the same window, for the control: an installed extension whose activate() does nothing (controlExtension). */
  controlHostMs?: number;
  /** The extension's own timing of activate()'s body. */
  activateBodyMs?: number;
  /** The bundle's top level, first statement to last (esbuild.js's banner and footer). */
  bundleTopLevelMs?: number;
  /** Reading and compiling dist/runwatch.js, as the launcher times it. */
  compileMs?: number;
  /** Whether that compile used the code cache: `used`, or `absent` on the first start. */
  codeCache?: string;
  /** The launcher's activate() call from its first statement to Runwatch composed: all of the call the extension can time. */
  launcherActivateMs?: number;
  /** The activation event the host logged (exthost.log), e.g. onStartupFinished. */
  activationEvent?: string;
  /** The machine before this window started (waitForIdleCpu): the CPU share idle in the last second, and how long it was waited for. */
  idleBefore?: { idleShare: number; waitedMs: number };
  /**
   * The extensions the host activated for the same event just before Runwatch (exthost.log). The host starts
   * Runwatch's codeLoadingTime before an await, so their code loading, queued ahead, is counted in it.
   */
  aheadInBatch?: string[];
}

/**
 * The extensions whose activation the host began for `activationEvent` within 50 ms before Runwatch's, in the
 * order logged: the batch ahead of Runwatch.
 */
function aheadInBatch(userDataDir: string, activationEvent: string): string[] {
  const line = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}).*ExtensionService#_doActivateExtension (\S+), startup: \w+, activationEvent: '([^']+)'/;
  for (const file of logFiles(userDataDir)) {
    const entries = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map(text => line.exec(text))
      .filter((m): m is RegExpExecArray => !!m && m[3] === activationEvent)
      .map(m => ({ at: Date.parse(m[1].replace(' ', 'T')), id: m[2] }));
    const mine = entries.findIndex(e => e.id === 'runwatch.runwatch');
    if (mine < 0) continue;
    return entries.slice(0, mine).filter(e => entries[mine].at - e.at <= 50).map(e => e.id);
  }
  return [];
}

/** Runwatch's global storage folder in a code-server user-data dir (where the launcher keeps its code cache). */
function codeCacheDir(userDataDir: string, extensionId: string): string {
  return path.join(userDataDir, 'User', 'globalStorage', extensionId.toLowerCase(), 'code-cache');
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** The window's log files (the extension host's and Runwatch's among them). */
function logFiles(userDataDir: string): string[] {
  return filesUnder(path.join(userDataDir, 'logs')).filter(f => f.endsWith('.log'));
}

/** The first match of `pattern` in any log file under the window's user-data dir. */
function findInLogs(userDataDir: string, pattern: RegExp): RegExpExecArray | undefined {
  for (const file of logFiles(userDataDir)) {
    const m = pattern.exec(fs.readFileSync(file, 'utf8'));
    if (m) return m;
  }
  return undefined;
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

/** The control's display name: Running Extensions lists it as "Activation Control 0.0.1 … Activation: N ms". */
const CONTROL_NAME = 'Activation Control';

/**
 * The control: an extension that does nothing, activated on the same event as Runwatch (onStartupFinished),
 * installed beside it from a .vsix of its own. The host's figure for it, in the same window, is what the host's
 * own measurement costs an extension whose code is next to nothing: chiefly, as that clock starts before an
 * await, the code loading of the extensions activated just ahead in the same batch. Packaged here with vsce.
 */
function controlExtension(work: string): string {
  const dir = path.join(work, 'control-extension');
  fs.mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'activation-control',
    displayName: CONTROL_NAME,
    description: 'Does nothing: the benchmark reads the host activation figure of an empty extension.',
    publisher: 'runwatch-bench',
    version: '0.0.1',
    license: 'MIT',
    engines: { vscode: '^1.90.0' },
    main: './extension.js',
    activationEvents: ['onStartupFinished'],
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(dir, 'extension.js'), 'exports.activate = function () {};\n');
  fs.writeFileSync(path.join(dir, 'LICENSE'), 'MIT\n');
  const vsix = path.join(work, 'activation-control.vsix');
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`packaging the control extension failed: ${`${r.stdout}${r.stderr}`.slice(-1000)}`);
  return vsix;
}

/** The milliseconds in a Running Extensions figure ("Activation: 83ms"). */
function msIn(text: string): number {
  return Number(/(\d+(?:\.\d+)?)\s*ms/.exec(text)![1]);
}

/** A window starts only once the machine is this idle over one second (all cores), or after IDLE_WAIT_MS regardless. */
const IDLE_SHARE = 0.9;
const IDLE_WAIT_MS = 30_000;

/** The share of CPU time all cores spent idle over `ms`. */
async function idleShareOver(ms: number): Promise<number> {
  const total = () => os.cpus().reduce((t, c) => ({ idle: t.idle + c.times.idle, all: t.all + Object.values(c.times).reduce((a, b) => a + b, 0) }), { idle: 0, all: 0 });
  const before = total();
  await new Promise(r => setTimeout(r, ms));
  const after = total();
  return after.all > before.all ? (after.idle - before.idle) / (after.all - before.all) : 1;
}

/**
 * Waits for the previous window's processes (or the benchmark phase before) to wind down, so that each window
 * is timed from the same start: an idle machine that then starts code-server, Chromium and the workbench, all
 * of whose load is measured. Gives up after IDLE_WAIT_MS; the figure says how idle it was.
 */
async function waitForIdleCpu(): Promise<{ idleShare: number; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const idleShare = await idleShareOver(1000);
    if (idleShare >= IDLE_SHARE || Date.now() - started >= IDLE_WAIT_MS) return { idleShare: Math.round(idleShare * 100) / 100, waitedMs: Date.now() - started };
  }
}

/**
 * One fresh window: a new user-data dir, code-server, a new Chromium profile; read the host's figure.
 * `codeCache`: a cache folder to place in the new user-data dir, or 'write' to wait until Runwatch writes one.
 */
async function oneWindow(extensionsDir: string, work: string, i: number, extensionId: string, codeCache: string | 'write'): Promise<ActivationWindow> {
  const idleBefore = await waitForIdleCpu();
  const userDataDir = path.join(work, `user-data-${i}`);
  tools.writeUserSettings(userDataDir, {});
  if (codeCache !== 'write') fs.cpSync(codeCache, codeCacheDir(userDataDir, extensionId), { recursive: true });
  const server = await tools.startCodeServer({ port: await tools.freePort(), userDataDir, extensionsDir });
  let context: { close(): Promise<void>; pages(): any[]; newPage(): Promise<any> } | undefined;
  try {
    context = await tools.launchChromium(path.join(work, `chromium-${i}`));
    const page = context!.pages()[0] ?? (await context!.newPage());
    await page.goto(server.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    // Runwatch activates on onStartupFinished; its log line says when activate() returned.
    const own = await until(
      () => findInLogs(userDataDir, /Runwatch activated in ([\d.]+) ms(?: \(the bundle's top level ran ([\d.]+) ms\))?(?: \(read and compiled in ([\d.]+) ms, code cache (\w+); ([\d.]+) ms since the launcher's activate\(\) began\))?/),
      90_000,
      "Runwatch's activation log line",
    );
    // The editor lists the running extensions slowest first in a virtual list: only the rows in view exist in
    // the page, and a fast Runwatch sits far down. A tall page shows every row (activation is over by now).
    await page.setViewportSize({ width: 1280, height: 4000 });
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').waitFor({ timeout: 15_000 });
    await page.keyboard.type('Developer: Show Running Extensions');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Show Running Extensions' }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    // The editor opens in the main editor area or, in newer workbenches, a modal one; each row reads
    // "Runwatch 0.1.0 <where it runs> Activation: 83ms".
    const rowOf = (name: string) => new RegExp(`${name} \\d+\\.\\d+\\.\\d+ \\S+ ((?:Startup )?Activation: \\d+(?:\\.\\d+)?\\s*ms)`);
    const seen: { runwatch?: string; control?: string } = {};
    const hostText = await until(async () => {
      const text = ((await page.locator('.monaco-workbench').first().innerText().catch(() => '')) as string).replace(/\s+/g, ' ');
      seen.runwatch ??= rowOf('Runwatch').exec(text)?.[1];
      seen.control ??= rowOf(CONTROL_NAME).exec(text)?.[1];
      // Still not in view (more extensions than the page is tall): scroll the list down a screen.
      if (!seen.runwatch || !seen.control) await page.locator('.runtime-extensions-editor .monaco-list').first().hover().then(() => page.mouse.wheel(0, 2000)).catch(() => {});
      return seen.runwatch && seen.control ? seen.runwatch : undefined;
    }, 30_000, 'the Running Extensions rows for Runwatch and the control').catch(async (e: Error) => {
      if (process.env.ACTIVATION_DEBUG_SHOT) await page.screenshot({ path: process.env.ACTIVATION_DEBUG_SHOT });
      throw e;
    });
    const event = findInLogs(userDataDir, /ExtensionService#_doActivateExtension runwatch\.runwatch, startup: \w+, activationEvent: '([^']+)'/i);
    const ahead = event ? aheadInBatch(userDataDir, event[1]) : [];
    const figures: ActivationWindow = {
      hostMs: msIn(hostText),
      hostText,
      controlHostMs: msIn(seen.control!),
      activateBodyMs: Number(own[1]),
      bundleTopLevelMs: own[2] === undefined ? undefined : Number(own[2]),
      compileMs: own[3] === undefined ? undefined : Number(own[3]),
      codeCache: own[4],
      launcherActivateMs: own[5] === undefined ? undefined : Number(own[5]),
      activationEvent: event?.[1],
      aheadInBatch: ahead,
      idleBefore,
    };
    if (codeCache === 'write') {
      const dir = codeCacheDir(userDataDir, extensionId);
      await until(() => fs.existsSync(dir) && fs.readdirSync(dir).some(f => f.endsWith('.v8cache')), 60_000, `Runwatch to write its code cache in ${dir}`);
    }
    return figures;
  } finally {
    await context?.close().catch(() => {});
    await server.stop();
  }
}

export interface ActivationFigures {
  medianMs: number;
  rangeMs: [number, number];
  samples: number;
  includesBundleLoad: true;
  gateMs: number;
  gateMet: boolean;
  what: string;
  parts: Record<string, { median: number; min: number; max: number } | undefined>;
  /** The empty control extension's host figure in the same windows, and Runwatch's less it, window by window. */
  control?: { what: string; medianMs: number; rangeMs: [number, number]; runwatchAboveControlMs?: { median: number; min: number; max: number } };
  /** The first start after the install: no code cache yet. Not in the median. */
  firstStart: ActivationWindow;
  /** Every extension the host activated just ahead of Runwatch for the same event, in any window. */
  aheadInBatch: string[];
  windows: ActivationWindow[];
  vscode: string;
}

/** Measures WINDOWS fresh windows; throws when the tool chain is missing. */
export async function runActivationBench(log: (line: string) => void = console.log): Promise<ActivationFigures> {
  tools.ensureTools();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-activation-'));
  // Outside the repository, as for the extension tests: from in here the bundle could load the repository's node_modules.
  const extensionsDir = path.join(work, 'extensions');
  try {
    const vsix = ensureVsix({ log: line => log(`  ${line}`) });
    const installed = tools.installVsix(vsix, { userDataDir: path.join(work, 'install-profile'), extensionsDir });
    const control = tools.installVsix(controlExtension(work), { userDataDir: path.join(work, 'install-profile'), extensionsDir });
    log(`  ${path.basename(vsix)} installed as ${installed.id} ${installed.version}, and the control (an extension that does nothing) as ${control.id}; the first start, then ${WINDOWS} fresh windows`);
    const describe = (w: ActivationWindow) =>
      `host ${w.hostText} (load + activate call), the control's ${w.controlHostMs ?? '?'} ms; the extension's own: read and compile ${w.compileMs ?? '?'} ms (code cache ${w.codeCache ?? '?'}), bundle top level ${w.bundleTopLevelMs ?? '?'} ms, activate() body ${w.activateBodyMs} ms, the launcher's whole activate() ${w.launcherActivateMs ?? '?'} ms; event ${w.activationEvent ?? '?'}, activated just ahead for it: ${w.aheadInBatch?.join(', ') || 'none'}; started at ${w.idleBefore ? `${Math.round(w.idleBefore.idleShare * 100)} % idle CPU after ${(w.idleBefore.waitedMs / 1000).toFixed(0)} s` : '?'}`;
    const firstStart = await oneWindow(extensionsDir, work, 0, installed.id, 'write');
    log(`  first start after the install: ${describe(firstStart)}`);
    const cache = codeCacheDir(path.join(work, 'user-data-0'), installed.id);
    const windows: ActivationWindow[] = [];
    for (let i = 1; i <= WINDOWS; i++) {
      const w = await oneWindow(extensionsDir, work, i, installed.id, cache);
      windows.push(w);
      log(`  window ${i}: ${describe(w)}`);
    }
    const host = spread(windows.map(w => w.hostMs), 1);
    const defined = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
    const part = (xs: (number | undefined)[]) => (defined(xs).length ? spread(defined(xs), 1) : undefined);
    const controlHost = part(windows.map(w => w.controlHostMs));
    const pkg = JSON.parse(fs.readFileSync(path.join(tools.VSC, 'cs', 'node_modules', 'code-server', 'package.json'), 'utf8'));
    return {
      medianMs: host.median,
      rangeMs: [host.min, host.max],
      samples: windows.length,
      includesBundleLoad: true,
      gateMs: GATE_MS,
      gateMet: host.median <= GATE_MS,
      what:
        "the extension host's own activation time for Runwatch as 'Developer: Show Running Extensions' shows it (codeLoadingTime + activateCallTime, whole ms): " +
        'require() of dist/extension.js (the launcher) plus the synchronous activate() call, which reads, compiles (with the code cache) and runs dist/runwatch.js and composes Runwatch, ' +
        'in a fresh window (fresh user-data dir and browser profile, holding the code cache the first start wrote, as on every start after the first) of code-server, ' +
        `started once the machine was at least ${IDLE_SHARE * 100} % idle over a second (at most ${IDLE_WAIT_MS / 1000} s waited; each window's idleBefore), so that no window pays for the previous one's shutdown; the load of its own start (code-server, Chromium, the workbench) is all measured; ` +
        'the .vsix installed; the first start after the install (no cache) is reported apart as firstStart; not included: the async work activate() starts without waiting for',
      parts: {
        compileMs: part(windows.map(w => w.compileMs)),
        launcherActivateMs: part(windows.map(w => w.launcherActivateMs)),
        hostLessLauncherMs: part(windows.map(w => (w.launcherActivateMs === undefined ? undefined : w.hostMs - w.launcherActivateMs))),
        activateBodyMs: part(windows.map(w => w.activateBodyMs)),
        bundleTopLevelMs: part(windows.map(w => w.bundleTopLevelMs)),
      },
      control: controlHost
        ? {
            what: `the host's figure, in the same windows, for an installed extension whose activate() does nothing (${control.id}, on onStartupFinished as Runwatch): the floor the host's measurement puts under any extension activated in that batch`,
            medianMs: controlHost.median,
            rangeMs: [controlHost.min, controlHost.max],
            runwatchAboveControlMs: part(windows.map(w => (w.controlHostMs === undefined ? undefined : w.hostMs - w.controlHostMs))),
          }
        : undefined,
      firstStart,
      aheadInBatch: [...new Set(windows.flatMap(w => w.aheadInBatch ?? []))],
      windows,
      vscode: `code-server ${pkg.version}`,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const origin = provenance(ROOT);
  console.log(`npm run bench:activation: Runwatch's activation in ${WINDOWS} fresh VS Code windows (code-server, headless Chromium)`);
  const figures = await runActivationBench();
  const { windows, ...summary } = figures;
  writeResult(path.join(ROOT, 'bench', 'results', 'activation-latest.json'), { ...origin, ...figures });
  const file = path.join(ROOT, 'bench', 'results', 'latest.json');
  if (fs.existsSync(file)) {
    const latest = JSON.parse(fs.readFileSync(file, 'utf8'));
    writeResult(file, { ...latest, activation: { ...summary, commit: origin.commit, dirty: origin.dirty, loadAverage1m: origin.loadAverage1m } });
  }
  const p = figures.parts;
  console.log(
    `\nactivation in the host, bundle load included: median ${figures.medianMs} ms, range ${figures.rangeMs[0]}–${figures.rangeMs[1]} ms over ${windows.length} fresh windows ` +
      `(gate ≤ ${GATE_MS} ms: ${figures.gateMet ? 'met' : 'NOT met'}). Of it, as the extension times it: read and compile ${p.compileMs?.median ?? '?'} ms ` +
      `[${p.compileMs?.min}–${p.compileMs?.max}], bundle top level ${p.bundleTopLevelMs?.median ?? '?'} ms ` +
      `[${p.bundleTopLevelMs?.min}–${p.bundleTopLevelMs?.max}], activate() body ${p.activateBodyMs?.median} ms [${p.activateBodyMs?.min}–${p.activateBodyMs?.max}]; ` +
      `the launcher's whole activate() call ${p.launcherActivateMs?.median ?? '?'} ms [${p.launcherActivateMs?.min}–${p.launcherActivateMs?.max}]; the host's figure less that, ` +
      `${p.hostLessLauncherMs?.median ?? '?'} ms [${p.hostLessLauncherMs?.min}–${p.hostLessLauncherMs?.max}], is the host's codeLoadingTime: requiring the 2 KB launcher, and, since the host starts that clock ` +
      `before an await, the code loading of the extensions activated just ahead of Runwatch for the same event (${figures.aheadInBatch.join(', ') || 'none'}). ` +
      (figures.control
        ? `The control, an extension that does nothing, activated for the same event in the same windows: median ${figures.control.medianMs} ms, range ${figures.control.rangeMs[0]}–${figures.control.rangeMs[1]} ms; Runwatch above it, window by window: median ${figures.control.runwatchAboveControlMs?.median} ms [${figures.control.runwatchAboveControlMs?.min}–${figures.control.runwatchAboveControlMs?.max}]. `
        : '') +
      `The first start after the install, without a code cache: ${figures.firstStart.hostMs} ms. ` +
      `Load average ${origin.loadAverage1m} on ${origin.cores} cores.`,
  );
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    e => {
      console.error('bench:activation failed:', (e as Error).stack ?? e);
      process.exit(1);
    },
  );
}
