// npm run bench:startup — Runwatch's start-up with the bundle load (issue 9, "The benchmark" item 6), as far as
// it can be measured without starting VS Code ten times: each sample is a FRESH Node process that require()s
// dist/extension.js (the launcher) and calls activate() with a stub of the vscode module (bench/vscodeStub.ts),
// which reads, compiles and runs dist/runwatch.js (the shipped bundle) and composes Runwatch. All samples share
// one global storage folder: the first (reported apart) is the first start after an install and writes the code
// cache (src/codeCache.ts) when it deactivates; the others, like every later start on a user's machine, use it. What that leaves out: the extension host's own work around an
// activation (manifest scan, activation events, building the real vscode API object for the extension), and
// the async work activate() starts but does not wait for. The lazily loaded MCP client (dist/mcp.js) is timed
// on the first Adlyse call (list_workflows against the simulator), next to a second call that finds it loaded.
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Run } from '../src/core/run';
import { RunStore } from '../src/core/store';
import { createSimulator } from '../test/simulator';
import { SIM_KEYS } from '../test/simulator/keys';
import { provenance, spread, writeResult } from './provenance';
import { round } from './stats';
import { createContext, createVscodeStub } from './vscodeStub';

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'extension.js');
const RUNWATCH_BUNDLE = path.join(ROOT, 'dist', 'runwatch.js');
const MCP_BUNDLE = path.join(ROOT, 'dist', 'mcp.js');
const SAMPLES = Number(process.env.STARTUP_SAMPLES ?? 10);
/** The returning user's saved state: this many Boring Marketing brands, each with one running run and 49 finished (the store keeps 50 finished per account). */
const RETURNING_BRANDS = 20;
const FINISHED_PER_BRAND = 49;

interface Sample {
  requireMs: number;
  activateMs: number;
  totalMs: number;
  mcpLoadedAtActivation: boolean;
  mcpFirstCallMs?: number;
  mcpSecondCallMs?: number;
  mcpLoadedAfterFirstCall?: boolean;
  /** Whether the launcher compiled dist/runwatch.js with the code cache (`used`) or without (`absent`). */
  codeCache?: string;
  error?: string;
}

/** One fresh process: require the bundle, activate, then two Adlyse calls. */
async function sample(): Promise<Sample> {
  if (process.env.STARTUP_SCENARIO === 'icu') return icuFirstUse();
  const returning = process.env.STARTUP_SCENARIO === 'returning';
  const adlyseUrl = returning ? undefined : process.env.STARTUP_ADLYSE_URL;
  const bmUrl = process.env.STARTUP_BM_URL;
  const stub = createVscodeStub(adlyseUrl ? { 'runwatch.providers.adlyse.baseUrl': adlyseUrl } : returning && bmUrl ? { 'runwatch.providers.boringMarketing.baseUrl': bmUrl } : {});
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('node:module') as { _load(request: string, parent: unknown, isMain: boolean): unknown };
  const load = Module._load;
  Module._load = function (request: string, parent: unknown, isMain: boolean) {
    return request === 'vscode' ? stub : load.call(this, request, parent, isMain);
  };
  const secrets: Record<string, string> = adlyseUrl ? { 'runwatch.key.adlyse': SIM_KEYS.adlyse } : returning ? { 'runwatch.key.boringMarketing': SIM_KEYS.boringMarketing } : {};
  const globalState = returning ? (JSON.parse(fs.readFileSync(process.env.STARTUP_STATE!, 'utf8')) as Record<string, unknown>) : {};
  const context = createContext(ROOT, secrets, globalState, process.env.STARTUP_STORAGE);
  const mcpLoaded = () => Object.keys(require.cache).some(k => path.resolve(k) === MCP_BUNDLE);
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const extension = require(BUNDLE) as { activate(context: unknown): { service: { provider(id: string): { listAccounts(): Promise<unknown> } } }; deactivate(): Promise<void> };
  const t1 = performance.now();
  const api = extension.activate(context);
  const t2 = performance.now();
  // How the launcher loaded the bundle (src/launcher.ts sets it: LaunchFigures).
  const codeCache = (globalThis as { __runwatchLaunch?: { codeCache?: string } }).__runwatchLaunch?.codeCache;
  const result: Sample = { requireMs: t1 - t0, activateMs: t2 - t1, totalMs: t2 - t0, mcpLoadedAtActivation: mcpLoaded(), codeCache };
  if (adlyseUrl) {
    const adlyse = api.service.provider('adlyse');
    const m0 = performance.now();
    await adlyse.listAccounts();
    const m1 = performance.now();
    await adlyse.listAccounts();
    const m2 = performance.now();
    Object.assign(result, { mcpFirstCallMs: m1 - m0, mcpSecondCallMs: m2 - m1, mcpLoadedAfterFirstCall: mcpLoaded() });
  }
  // As a closing window does: the first start's launcher writes its code cache here.
  await extension.deactivate();
  return result;
}

/** A fresh process's first use of Intl (ICU's locale data loaded): what the first formatted duration or date costs anyone. */
async function icuFirstUse(): Promise<Sample> {
  const t0 = performance.now();
  new Intl.NumberFormat('en', { style: 'unit', unit: 'minute', unitDisplay: 'narrow' }).format(5);
  const t1 = performance.now();
  return { requireMs: 0, activateMs: t1 - t0, totalMs: t1 - t0, mcpLoadedAtActivation: false };
}

/** A returning user's globalState: RETURNING_BRANDS brands of running and finished runs, the key remembered as set. */
async function returningUserState(): Promise<{ state: Record<string, unknown>; runs: number; active: number }> {
  const state: Record<string, unknown> = {};
  const store = new RunStore({ storage: { get: <T>(key: string) => state[key] as T | undefined, update: async (key, value) => void (state[key] = value) } });
  const base = Date.now() - 30 * 86_400_000;
  let active = 0;
  for (let b = 0; b < RETURNING_BRANDS; b++) {
    for (let i = 0; i <= FINISHED_PER_BRAND; i++) {
      const running = i === FINISHED_PER_BRAND;
      const startedAt = running ? Date.now() - 5 * 60_000 : base + (b * FINISHED_PER_BRAND + i) * 30 * 60_000;
      const run: Run = {
        provider: 'boringMarketing',
        accountId: `brand-${b}`,
        id: `run-${b}-${i}`,
        kind: 'full',
        status: running ? 'running' : 'succeeded',
        rawStatus: running ? 'running' : 'done',
        startedAt: new Date(startedAt).toISOString(),
        finishedAt: running ? undefined : new Date(startedAt + 20 * 60_000).toISOString(),
        progress: { current: running ? 'semantic_analysis' : 'queue_building', index: running ? 2 : 6, total: 6 },
      };
      store.upsert(run);
      if (running) active++;
    }
  }
  await store.flush();
  state['runwatch.keyedProviders.v1'] = ['boringMarketing'];
  return { state, runs: store.all().length, active };
}

/** `count` fresh processes (plus a first start, reported apart) of one scenario, sharing one global storage folder. */
async function series(count: number, env: Record<string, string>, label: string): Promise<{ samples: Sample[]; firstStart?: Sample }> {
  const samples: Sample[] = [];
  let firstStart: Sample | undefined;
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-startup-storage-'));
  try {
    for (let i = env.STARTUP_SCENARIO === 'icu' ? 0 : -1; i < count; i++) {
      const child = fork(__filename, ['sample'], { env: { ...process.env, ...env, STARTUP_STORAGE: storage }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const s = await new Promise<Sample>((resolve, reject) => {
        child.once('message', m => resolve(m as Sample));
        child.once('exit', code => reject(new Error(`sample process exited (${code}) without a result`)));
      });
      if (s.error) throw new Error(s.error);
      if (i < 0) {
        firstStart = s;
        console.log(`${label}: first start (no code cache yet: ${s.codeCache}): require ${s.requireMs.toFixed(1)} ms + activate ${s.activateMs.toFixed(1)} ms = ${s.totalMs.toFixed(1)} ms`);
        continue;
      }
      if (env.STARTUP_SCENARIO !== 'icu' && s.codeCache !== 'used') throw new Error(`${label} sample ${i + 1} did not use the code cache the first start wrote (${s.codeCache})`);
      samples.push(s);
      if (env.STARTUP_SCENARIO === 'icu') {
        console.log(`${label} sample ${i + 1}: ${s.totalMs.toFixed(1)} ms`);
        continue;
      }
      console.log(`${label} sample ${i + 1}: require ${s.requireMs.toFixed(1)} ms + activate ${s.activateMs.toFixed(1)} ms = ${s.totalMs.toFixed(1)} ms${s.mcpFirstCallMs === undefined ? '' : `; first Adlyse call ${s.mcpFirstCallMs.toFixed(1)} ms, second ${s.mcpSecondCallMs?.toFixed(1)} ms`}`);
    }
  } finally {
    fs.rmSync(storage, { recursive: true, force: true });
  }
  return { samples, firstStart };
}

async function main(): Promise<void> {
  // Taken first: the commit and state of the code measured, not of the checkout when it ends.
  const origin = provenance(ROOT);
  if (!fs.existsSync(BUNDLE)) throw new Error('dist/extension.js is missing: npm run build');
  const sim = createSimulator();
  await sim.start();
  const stateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-startup-state-')), 'globalState.json');
  let fresh: Awaited<ReturnType<typeof series>>;
  let returning: Awaited<ReturnType<typeof series>>;
  let icu: Awaited<ReturnType<typeof series>>;
  let saved: Awaited<ReturnType<typeof returningUserState>>;
  try {
    fresh = await series(SAMPLES, { STARTUP_SCENARIO: 'fresh', STARTUP_ADLYSE_URL: sim.baseUrl('adlyse') }, 'fresh install');
    saved = await returningUserState();
    fs.writeFileSync(stateFile, JSON.stringify(saved.state));
    returning = await series(SAMPLES, { STARTUP_SCENARIO: 'returning', STARTUP_BM_URL: sim.baseUrl('boringMarketing'), STARTUP_STATE: stateFile }, 'returning user');
    icu = await series(5, { STARTUP_SCENARIO: 'icu' }, 'first use of Intl');
  } finally {
    await sim.stop();
    fs.rmSync(path.dirname(stateFile), { recursive: true, force: true });
  }
  const { samples, firstStart } = fresh;
  const total = spread(samples.map(s => s.totalMs), 1);
  const returningTotal = spread(returning.samples.map(s => s.totalMs), 1);
  const kb = (file: string) => Math.round(fs.statSync(file).size / 1024);
  const result = {
    ...origin,
    medianMs: total.median,
    rangeMs: [total.min, total.max],
    includesBundleLoad: true,
    samples: samples.length,
    where:
      `plain Node ${process.version}, a fresh process per sample: require('dist/extension.js') (the launcher) + the activate() call with a stub vscode module, which reads, compiles ` +
      '(with the code cache the first start wrote, as on every later start) and runs dist/runwatch.js and composes Runwatch. ' +
      "Not included: the extension host's work around the activation (its own figure adds that) and the async work activate() starts without waiting for.",
    parts: { requireMs: spread(samples.map(s => s.requireMs), 1), activateMs: spread(samples.map(s => s.activateMs), 1) },
    firstStart: firstStart && { totalMs: round(firstStart.totalMs, 1), codeCache: firstStart.codeCache },
    returningUser: {
      what:
        `the same, for a user coming back: ${saved.runs} saved runs under ${RETURNING_BRANDS} Boring Marketing brands (${saved.active} running, the rest finished: the store keeps 50 finished per account), ` +
        "the key set, so activate() parses every saved run, composes the status bar's text for the running ones and publishes the store for other windows. Its own code cache, written by its own first start, as a returning user's is.",
      runs: saved.runs,
      activeRuns: saved.active,
      medianMs: returningTotal.median,
      rangeMs: [returningTotal.min, returningTotal.max],
      firstStart: returning.firstStart && { totalMs: round(returning.firstStart.totalMs, 1), codeCache: returning.firstStart.codeCache },
    },
    icuFirstUseMs: {
      ...spread(icu.samples.map(s => s.totalMs), 1),
      what: "a fresh Node process's first Intl formatter (ICU's locale data loaded): paid once per process by whoever formats first, a returning user's activation included (the status bar's \"~N min left\")",
    },
    bundleKB: { launcher: kb(BUNDLE), runwatch: kb(RUNWATCH_BUNDLE), mcp: kb(MCP_BUNDLE) },
    mcp: {
      loadedAtActivation: samples.some(s => s.mcpLoadedAtActivation),
      loadedAfterFirstCall: samples.every(s => s.mcpLoadedAfterFirstCall),
      firstAdlyseCallMs: spread(samples.map(s => s.mcpFirstCallMs ?? NaN), 1),
      secondAdlyseCallMs: spread(samples.map(s => s.mcpSecondCallMs ?? NaN), 1),
      what: 'list_workflows against the simulator on loopback: the first call loads dist/mcp.js and opens the MCP session (initialize); the second finds both ready',
    },
  };
  writeResult(path.join(ROOT, 'bench', 'results', 'startup-latest.json'), result);
  console.log(`start-up (require + activate, code cache used): median ${total.median} ms, range ${total.min}–${total.max} ms over ${samples.length} fresh processes; MCP first call ${result.mcp.firstAdlyseCallMs.median} ms [${result.mcp.firstAdlyseCallMs.min}–${result.mcp.firstAdlyseCallMs.max}], second ${result.mcp.secondAdlyseCallMs.median} ms; the first start, without a code cache: ${result.firstStart?.totalMs} ms`);
  const r = result.returningUser;
  console.log(`returning user (${r.runs} saved runs, ${r.activeRuns} running, key set): median ${r.medianMs} ms, range ${r.rangeMs[0]}–${r.rangeMs[1]} ms; of which a process's first use of Intl alone costs ${result.icuFirstUseMs.median} ms [${result.icuFirstUseMs.min}–${result.icuFirstUseMs.max}] here`);
}

if (process.argv[2] === 'sample') {
  sample().then(
    s => process.send!(s, () => process.exit(0)),
    (e: Error) => process.send!({ error: e.stack ?? String(e) }, () => process.exit(1)),
  );
} else {
  main().catch(e => {
    console.error(e);
    process.exit(1);
  });
}
