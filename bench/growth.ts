// npm run bench:growth — the growth curve (issue 9, "The benchmark" item 4): the real scheduler, store and Boring
// Marketing adapter polling 1, 10, 100 and 1,000 active runs over loopback HTTP against the simulator, which runs
// in a child process of its own (bench/growthSim.ts) so that only the engine's work is measured here.
//
// Per size and repeat: CPU time of this process per status request (process.cpuUsage), event-loop delay p99
// (perf_hooks.monitorEventLoopDelay, beyond its 10 ms sampling interval: an idle loop reads 0), heap per run (after GC, store + plans + adapter), request and response
// bytes per status request and connections opened (counted at the simulator's sockets), and CPU-seconds per
// simulated hour. Runs sit 10 to a brand (a brand with 1,000 runs at once is not what users have). Each size
// is measured twice: as Runwatch polls (an account's runs by one list request per cadence, see scheduler.ts)
// and with per-run polls only (list batching off), the cost list batching saves or adds.
// Seeded (jitter and each run's place in its stage); the median and range of the repeats are reported.
import { fork, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SchedulerOptions } from '../src/core/contracts';
import { Scheduler } from '../src/core/scheduler';
import { RunStore } from '../src/core/store';
import { createProvider } from '../src/providers';
import { toRun } from '../src/providers/boringMarketing';
import type { Provider } from '../src/providers/provider';
import { SIM_KEYS } from '../test/simulator/keys';
import { ScaledProvider, type ScaleContext } from './scaledProvider';
import { provenance, spread, writeResult } from './provenance';
import { loopDelayMs } from './stats';
import type { GrowthCounters, GrowthSetup, GrowthSetupResult } from './growthSim';
import { seededRandom } from './random';

const ROOT = path.resolve(__dirname, '..', '..');
const SIZES = (process.env.GROWTH_SIZES ?? '1,10,100,1000').split(',').map(Number);
const REPEATS = Number(process.env.GROWTH_REPEATS ?? 3);
const SEED = Number(process.env.GROWTH_SEED ?? 9);
/** Cadences are divided by this (Boring Marketing's 10 s becomes 5 s), so a window holds more polling rounds. */
const SCALE = 2;
const CADENCE_MS = 10_000 / SCALE;
const WARMUP_MS = 2 * CADENCE_MS;
const WINDOW_MS = 3 * CADENCE_MS;
const RUNS_PER_BRAND = 10;
/**
 * How long the simulator keeps an idle connection open. Node's default (5 s) is shorter than most API front ends
 * (60 s is common); with it, requests a cadence apart cannot reuse a connection whatever the client does.
 */
const SERVER_KEEP_ALIVE_MS = Number(process.env.GROWTH_SERVER_KEEPALIVE_MS ?? 5_000);
const LOOP_RESOLUTION_MS = 10;
const OPTIONS: SchedulerOptions = { whenUnfocused: 'normal', unfocusedFactor: 1, maxConcurrentPerProvider: 4, stuckAfterMs: 15 * 60_000, minIntervalMs: {} };
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

type Mode = 'runwatch' | 'perRunPolls';

/** The same adapter with list batching off: every active run is polled on its own. */
class PerRunPolls extends ScaledProvider {
  override get capabilities() {
    return { ...this.inner.capabilities, pollsByList: false };
  }
}

class SimChild {
  private readonly child: ChildProcess = fork(path.join(__dirname, 'growthSim.js'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, GROWTH_SERVER_KEEPALIVE_MS: String(SERVER_KEEP_ALIVE_MS) },
  });
  private next = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  constructor() {
    this.child.on('message', (msg: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) p?.resolve(msg.result);
      else p?.reject(new Error(msg.error));
    });
  }
  call<T>(op: string, arg?: unknown): Promise<T> {
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, arg });
    });
  }
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const gc = (globalThis as { gc?: () => void }).gc;

/** One measured window: this process's CPU time (ms) and the event-loop delay over WINDOW_MS. */
async function measureWindow(): Promise<{ cpuMs: number; loop: IntervalHistogram }> {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const cpu = process.cpuUsage();
  await sleep(WINDOW_MS);
  const used = process.cpuUsage(cpu);
  loop.disable();
  return { cpuMs: (used.user + used.system) / 1000, loop };
}

/** This process's CPU time over a window with nothing polling (the event-loop monitor's own timer, IPC, GC): subtracted from each sample's. */
async function idleCpuMs(): Promise<number> {
  return (await measureWindow()).cpuMs;
}

interface Sample {
  activeRuns: number;
  mode: Mode;
  /** CPU ms of the whole window, before the idle baseline is taken off. */
  cpuMsRaw: number;
  statusRequests: number;
  listRequests: number;
  cpuMsPerPoll: number;
  cpuMsPerRunPerCadence: number;
  cpuSecondsPerSimulatedHour: number;
  eventLoopP99Ms: number;
  heapPerRunKB: number;
  requestBytesPerPoll: number;
  responseBytesPerPoll: number;
  bytesPerPoll: number;
  connectionsOpened: number;
}

async function measure(sim: SimChild, activeRuns: number, mode: Mode, seed: number, idleMs: number): Promise<Sample> {
  const random = seededRandom(seed);
  const brands = Array.from({ length: Math.ceil(activeRuns / RUNS_PER_BRAND) }, (_, b) => Math.min(RUNS_PER_BRAND, activeRuns - b * RUNS_PER_BRAND));
  const setup: GrowthSetup = { brands, offsetsMs: Array.from({ length: activeRuns }, () => Math.floor(random() * 3600_000)) };
  const world = await sim.call<GrowthSetupResult>('setup', setup);
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const store = new RunStore();
  const adapter = createProvider('boringMarketing', { baseUrl: world.baseUrl, getKey: async () => SIM_KEYS.boringMarketing, log: quiet, timeoutMs: 15_000 });
  const context: ScaleContext = { scale: SCALE, simNow: () => Date.now(), createdAtSim: new Map() };
  const provider: Provider = mode === 'runwatch' ? new ScaledProvider(adapter, 'growth', context, false) : new PerRunPolls(adapter, 'growth', context, false);
  // What the service's first listing leaves in the store.
  for (const brand of world.brands) for (const wire of brand.runs) store.upsert(toRun(wire as never, brand.id));
  const scheduler = new Scheduler({ store, provider: id => (id === 'boringMarketing' ? provider : undefined), onHealth: () => {}, random, timeScale: SCALE }, OPTIONS);
  scheduler.start();
  await sleep(WARMUP_MS);
  gc?.();
  const heapPerRunKB = (process.memoryUsage().heapUsed - heapBefore) / activeRuns / 1024;
  const before = await sim.call<GrowthCounters>('counters');
  const { cpuMs: cpuMsRaw, loop } = await measureWindow();
  const after = await sim.call<GrowthCounters>('counters');
  scheduler.dispose();
  await provider.dispose?.();
  const polls = Math.max(1, after.statusRequests - before.statusRequests);
  const cpuMs = Math.max(0, cpuMsRaw - idleMs);
  const bytesIn = after.bytesIn - before.bytesIn;
  const bytesOut = after.bytesOut - before.bytesOut;
  return {
    activeRuns,
    mode,
    cpuMsRaw,
    statusRequests: after.statusRequests - before.statusRequests,
    listRequests: after.listRequests - before.listRequests,
    cpuMsPerPoll: cpuMs / polls,
    cpuMsPerRunPerCadence: cpuMs / (activeRuns * (WINDOW_MS / CADENCE_MS)),
    cpuSecondsPerSimulatedHour: (cpuMs / 1000) * (3600_000 / (WINDOW_MS * SCALE)),
    // Beyond the monitor's own sampling interval: an idle loop reads 0, not LOOP_RESOLUTION_MS.
    eventLoopP99Ms: loopDelayMs(loop, LOOP_RESOLUTION_MS, 99),
    heapPerRunKB,
    requestBytesPerPoll: bytesIn / polls,
    responseBytesPerPoll: bytesOut / polls,
    bytesPerPoll: (bytesIn + bytesOut) / polls,
    // In the window, as the requests are: fewer connections than requests is keep-alive reuse.
    connectionsOpened: after.connections - before.connections,
  };
}

function summarize(samples: Sample[]) {
  const of = (field: keyof Sample, digits = 3) => spread(samples.map(s => s[field] as number), digits);
  const medians = {
    cpuMsPerPoll: of('cpuMsPerPoll'),
    eventLoopP99Ms: of('eventLoopP99Ms'),
    heapPerRunKB: of('heapPerRunKB', 1),
    bytesPerPoll: of('bytesPerPoll', 0),
    connectionsOpened: of('connectionsOpened', 0),
  };
  return {
    activeRuns: samples[0].activeRuns,
    mode: samples[0].mode,
    cpuMsPerPoll: medians.cpuMsPerPoll.median,
    eventLoopP99Ms: medians.eventLoopP99Ms.median,
    heapPerRunKB: medians.heapPerRunKB.median,
    bytesPerPoll: medians.bytesPerPoll.median,
    connectionsOpened: medians.connectionsOpened.median,
    range: {
      ...medians,
      statusRequestsPerWindow: of('statusRequests', 0),
      listRequestsPerWindow: of('listRequests', 0),
      cpuMsPerRunPerCadence: of('cpuMsPerRunPerCadence', 4),
      cpuSecondsPerSimulatedHour: of('cpuSecondsPerSimulatedHour', 2),
      cpuMsPerWindowRaw: of('cpuMsRaw', 1),
      requestBytesPerPoll: of('requestBytesPerPoll', 0),
      responseBytesPerPoll: of('responseBytesPerPoll', 0),
    },
    repeats: samples.length,
  };
}

function fmt(r: { median: number; min: number; max: number }): string {
  return `${r.median} [${r.min}–${r.max}]`;
}

async function main(): Promise<void> {
  // Taken first: the commit and state of the code this process loaded, not of the checkout when it ends.
  const origin = provenance(ROOT);
  if (!gc) console.warn('growth: run with --expose-gc (npm run bench:growth) for heap figures');
  const sim = new SimChild();
  const rows: ReturnType<typeof summarize>[] = [];
  let idle = { median: 0, min: 0, max: 0 };
  try {
    const idleSamples: number[] = [];
    for (let r = 0; r < REPEATS; r++) idleSamples.push(await idleCpuMs());
    idle = spread(idleSamples, 1);
    console.log(`idle baseline: ${fmt(idle)} CPU ms per ${WINDOW_MS / 1000} s window (subtracted from every sample)`);
    for (const size of SIZES) {
      for (const mode of ['runwatch', 'perRunPolls'] as Mode[]) {
        const samples: Sample[] = [];
        for (let r = 0; r < REPEATS; r++) samples.push(await measure(sim, size, mode, SEED * 1000 + r, idle.median));
        const row = summarize(samples);
        rows.push(row);
        console.log(
          `${String(size).padStart(5)} runs  ${mode.padEnd(11)}  requests/window ${fmt(row.range.statusRequestsPerWindow).padEnd(18)} cpu ms/request ${fmt(row.range.cpuMsPerPoll).padEnd(24)} ` +
            `cpu ms/run/cadence ${fmt(row.range.cpuMsPerRunPerCadence).padEnd(26)} loop p99 ms ${fmt(row.range.eventLoopP99Ms).padEnd(22)} heap KB/run ${fmt(row.range.heapPerRunKB).padEnd(18)} ` +
            `bytes/request ${fmt(row.range.bytesPerPoll).padEnd(22)} connections ${fmt(row.range.connectionsOpened)}`,
        );
      }
    }
  } finally {
    await sim.call('stop').catch(() => undefined);
  }
  const file = path.join(ROOT, 'bench', 'results', 'growth-latest.json');
  writeResult(file, {
    ...origin,
    what:
      'Real scheduler + store + Boring Marketing adapter against the simulator (child process), loopback HTTP. A "poll" is one status request (a run GET or a brand list GET). ' +
      `Cadence divided by ${SCALE} (10 s → ${CADENCE_MS / 1000} s); window ${WINDOW_MS / 1000} s after a ${WARMUP_MS / 1000} s warm-up; ${RUNS_PER_BRAND} runs per brand; CPU and event loop of the engine process only, CPU less an idle baseline (same window, nothing polling); bytes and connections opened (in the window, beside the window's requests) at the simulator's sockets, which keep an idle connection ${SERVER_KEEP_ALIVE_MS / 1000} s (Keep-Alive: timeout=${SERVER_KEEP_ALIVE_MS / 1000}; undici drops it 2 s before); heap per run after GC includes store, plans and adapter.`,
    scale: SCALE,
    serverKeepAliveMs: SERVER_KEEP_ALIVE_MS,
    windowMs: WINDOW_MS,
    idleCpuMsPerWindow: idle,
    runsPerBrand: RUNS_PER_BRAND,
    seed: SEED,
    repeats: REPEATS,
    growth: rows.filter(r => r.mode === 'runwatch'),
    growthPerRunPolls: rows.filter(r => r.mode === 'perRunPolls'),
  });
  console.log(`wrote ${path.relative(ROOT, file)}`);
  // The summary results file carries the curve too (issue 9's `growth`); its other fields stay as they are.
  const latest = path.join(ROOT, 'bench', 'results', 'latest.json');
  if (fs.existsSync(latest)) {
    const growth = rows.filter(r => r.mode === 'runwatch').map(({ range, ...row }) => ({ ...row, requestsPerWindow: range.statusRequestsPerWindow.median, range }));
    writeResult(latest, { ...JSON.parse(fs.readFileSync(latest, 'utf8')), growth, growthMethod: { commit: origin.commit, dirty: origin.dirty, from: 'npm run bench:growth (bench/results/growth-latest.json has the whole run)', windowMs: WINDOW_MS, serverKeepAliveMs: SERVER_KEEP_ALIVE_MS } });
    console.log(`updated growth in ${path.relative(ROOT, latest)}`);
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
