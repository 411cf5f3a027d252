// Requests and staleness, Runwatch beside its peers. One repeat of the mixed workload, played at once in one
// world per policy (bench/simHost.ts): same seed, workload, faults, simulator code and adapters; only the
// scheduling policy differs.
//
// - `runwatch`: the real engine (Scheduler + RunStore + the five real adapters over HTTP) in two "windows" in
//   this process sharing one temporary folder through FileLease + SharedStateFile, as two VS Code windows
//   would. Window A leads and polls; B follows.
// - the peers (bench/policies.ts): small policy objects driving the same adapters.
//
// Every count comes from the simulator's request logs (server side); staleness from what each policy's model
// showed against the simulator's lifecycle oracle. Simulated time runs S× faster than real time.
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { KeyVault, RunwatchService, SchedulerOptions } from '../src/core/contracts';
import { silentLogger, validateBaseUrl } from '../src/core/http';
import { FileLease } from '../src/core/lease';
import { SharedStateFile } from '../src/core/sharedState';
import { isTerminal, keyOf, type ProviderId, type Run } from '../src/core/run';
import { BUILTIN_PROVIDER_IDS as PROVIDER_IDS } from '../src/providers';
import { Scheduler } from '../src/core/scheduler';
import { asUserAction } from '../src/core/gate';
import { createRunwatchService } from '../src/core/service';
import { createDefaultServiceDeps } from '../src/serviceDeps';
import { MemoryStorage, RunStore, type StoreChange } from '../src/core/store';
import { createAdapter, redactingProvider } from '../src/providers';
import type { Provider } from '../src/providers/provider';
import { SIM_KEYS } from '../test/simulator/keys';
import type { LoggedRequest } from '../test/simulator/server';
import { cadenceAt, cadenceReference, budgetFloor, causeBreakdown, classifyStale, knowableAt, lowerBound, pausesFromLog, retryAfterViolations, stalenessSummary, type Outage, type RunFacts, type Stale, type StaleDetail } from './metrics';
import { PEER_POLICIES, PeerWindow, type PeerPolicy } from './policies';
import type { InitRequest, Observation, OracleResult, PrepareResult, SimInfo } from './protocol';
import { seededRandom, subSeed } from './random';
import { ScaledProvider, type ScaleContext } from './scaledProvider';
import { buildFaults, buildWorkload, type PlannedFault, type PlannedRun } from './workload';
import { loopDelayMs, percentile, round } from './stats';

const SCHEDULER_OPTIONS: SchedulerOptions = {
  whenUnfocused: 'normal',
  unfocusedFactor: 1,
  maxConcurrentPerProvider: 4, // the setting's default
  stuckAfterMs: 0, // stuck detection compares wall-clock ages: meaningless on a scaled clock
  minIntervalMs: {},
};

/** The setting's default request timeout, 15 s, in simulated time; floored at 0.5 real s against machine noise. */
const REQUEST_TIMEOUT_SIM_MS = 15_000;
const MIN_REAL_TIMEOUT_MS = 500;
/** The event-loop monitor's sampling interval (ms). */
const LOOP_RESOLUTION_MS = 5;
/** A request sent within this many real ms of a Retry-After answer was on its way already. */
const RETRY_AFTER_GRACE_REAL_MS = 5;

export interface PollingBenchOptions {
  timeScale: number;
  seed: number;
  /** Multiplies the workload's run counts (1: 210 runs). */
  size: number;
  /** The short workload (time-scale check). */
  short?: boolean;
  /** Simulated ms over which runs are started. */
  startWindowMs: number;
  /** Simulated ms of idle tail once every run has finished (longer than the longest timer). */
  idleTailSimMs: number;
  latencyMs: [number, number];
  timeoutRate: number;
  /** Peers to run beside Runwatch (default: all). */
  peers?: PeerPolicy[];
  log(line: string): void;
}

export const RUNWATCH = 'runwatch';
// ---- the simulator process ----

export class SimProcess {
  private readonly child: ChildProcess;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();

  constructor() {
    this.child = fork(path.join(__dirname, 'simHost.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (msg: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`simulator: ${msg.error}`));
    });
    this.child.on('exit', code => {
      for (const p of this.pending.values()) p.reject(new Error(`simulator process exited (${code})`));
      this.pending.clear();
    });
  }

  call<T>(op: string, arg?: unknown, timeoutMs = 60_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`simulator: ${op} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ id, op, arg });
    });
  }

  async stop(): Promise<void> {
    try {
      await this.call('stop', undefined, 10_000);
    } catch {
      // already gone
    }
    if (this.child.exitCode === null) this.child.kill();
  }
}

// ---- one "window": the engine as the extension builds it, minus VS Code ----

interface BenchWindow {
  name: 'A' | 'B';
  store: RunStore;
  scheduler: Scheduler;
  lease: FileLease;
  shared: SharedStateFile;
  adapters: Map<ProviderId, ScaledProvider>;
  roleChanges: { at: number; leader: boolean }[];
  dispose(): Promise<void>;
}

/** The bare adapter behind each one benchProvider built: Talonic's hand-over reaches its pipeline names. */
const bareAdapters = new WeakMap<Provider, Provider>();

/** A real adapter as createProvider builds it (behind the redaction boundary), over one front-end. */
function benchProvider(id: ProviderId, baseUrl: string, scale: ScaleContext): Provider {
  const timeoutMs = Math.max(MIN_REAL_TIMEOUT_MS, REQUEST_TIMEOUT_SIM_MS / scale.scale);
  const bare = createAdapter(id, { baseUrl, getKey: async () => SIM_KEYS[id], getSecret: async () => 'bench-third-party-secret', log: silentLogger, timeoutMs });
  const provider = redactingProvider(bare);
  bareAdapters.set(provider, bare);
  return provider;
}

/** The Talonic adapter's names of the pipelines it knows, by pipeline id (the service's adapters are proxies that reach it). */
const talonicMeta = (provider: Provider) => ((bareAdapters.get(provider) ?? provider) as unknown as { meta: Map<string, unknown> }).meta;

/** The five real adapters over one front-end, each behind the time-scaling decorator. */
function makeAdapters(window: string, baseUrls: Record<ProviderId, string>, scale: ScaleContext): Map<ProviderId, ScaledProvider> {
  return new Map(PROVIDER_IDS.map(id => [id, new ScaledProvider(benchProvider(id, baseUrls[id], scale), window, scale)]));
}

function makeWindow(name: 'A' | 'B', dir: string, baseUrls: Record<ProviderId, string>, scale: ScaleContext, random: () => number): BenchWindow {
  const store = new RunStore();
  const adapters = makeAdapters(name, baseUrls, scale);
  const lease = new FileLease(dir, { id: `bench-window-${name}` });
  let scheduler: Scheduler | undefined;
  const shared = new SharedStateFile(dir, store, {
    id: lease.id,
    health: () => Object.fromEntries(PROVIDER_IDS.map(id => [id, scheduler!.health(id)])),
  });
  scheduler = new Scheduler(
    {
      store,
      provider: id => adapters.get(id),
      onHealth: () => shared.publishSoon(),
      // Its own time constants (cadence floor, back-off cap and bases) scaled like every other interval.
      timeScale: scale.scale,
      random,
    },
    SCHEDULER_OPTIONS,
  );
  const roleChanges: BenchWindow['roleChanges'] = [];
  // As the service wires it (src/core/service.ts coordinateWindows).
  const applyRole = (leader: boolean) => {
    scheduler!.setPassive(!leader);
    shared.setRole(leader ? 'leader' : 'follower');
    if (roleChanges[roleChanges.length - 1]?.leader !== leader) roleChanges.push({ at: Date.now(), leader });
  };
  lease.onDidChangeLeadership(applyRole);
  lease.start();
  applyRole(lease.isLeader);
  scheduler.start();
  return {
    name,
    store,
    scheduler,
    lease,
    shared,
    adapters,
    roleChanges,
    async dispose() {
      scheduler!.dispose();
      shared.dispose();
      lease.dispose();
      for (const a of adapters.values()) await a.dispose().catch(() => undefined);
    },
  };
}

// ---- what the model showed ----

function observe(run: Run, t: number): Observation {
  const raw = (run.raw ?? {}) as Record<string, unknown>;
  const o: Observation = { t, status: run.status, rawStatus: run.rawStatus, terminal: isTerminal(run.status) };
  if (run.provider === 'boringMarketing') o.stage = (raw['meta.current_stage'] as string | null | undefined) ?? null;
  if (run.provider === 'gloriaMundo') o.step = (raw.progress as { current_step?: number } | undefined)?.current_step;
  if (run.provider === 'talonic') {
    const d = run.progress?.documents;
    o.step = d ? d.completed + d.errors : 0;
  }
  return o;
}

const signature = (o: Observation) => `${o.status}|${o.rawStatus}|${o.stage ?? ''}|${o.step ?? ''}`;

/** Requests a poller makes to read one run's status, by provider (everything else is session or list overhead). */
function isStatusPoll(r: Pick<LoggedRequest, 'provider' | 'method' | 'path' | 'tool'>): boolean {
  switch (r.provider) {
    case 'boringMarketing':
      return r.method === 'GET' && /^\/brands\/[^/]+\/runs\/[^/]+$/.test(r.path);
    case 'gloriaMundo':
      return r.method === 'GET' && /^\/runs\/[^/]+\/status$/.test(r.path);
    case 'automindz':
      return r.method === 'GET' && /^(\/v1)?\/runs\/[^/]+$/.test(r.path);
    case 'talonic':
      return r.method === 'GET' && /^\/v1\/pipelines\/[^/]+\/progress$/.test(r.path);
    case 'adlyse':
      return r.tool === 'get_run_status';
    default:
      return false;
  }
}

const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, Math.max(0, ms)));

/** One policy's part of a repeat: what its polling window's model showed, and when it first knew each run. */
interface PolicyState {
  name: string;
  windows: 1 | 2;
  summary: string;
  scale: ScaleContext;
  starters: Map<ProviderId, Provider>;
  /** Adapters of the polling window (for cadences and Talonic's hand-over) and, where it polls, the second's. */
  pollingAdapters: Map<ProviderId, ScaledProvider>[];
  observations: Map<string, Observation[]>;
  lastSig: Map<string, string>;
  lastRun: Map<string, Run>;
  knownAt: Map<string, number>;
  started: Map<string, { plan: PlannedRun; key: string; runId: string; accountId: string; provider: ProviderId }>;
  /** A run was started in this world: hand it to the policy's window(s). */
  onStarted(key: string, run: Run, window: 'A' | 'B', createdSim: number): void;
  finished(): boolean;
  unfinished(): string[];
  stop(): void;
  dispose(): Promise<void>;
  extra?: () => Record<string, unknown>;
  /** Once every run finished, before the idle tail. */
  beforeIdle?(): Promise<void>;
}

function record(state: PolicyState, run: Run, t: number): void {
  const key = keyOf(run);
  state.lastRun.set(key, run);
  const o = observe(run, t);
  const sig = signature(o);
  if (state.lastSig.get(key) === sig) return;
  state.lastSig.set(key, sig);
  let list = state.observations.get(key);
  if (!list) state.observations.set(key, (list = []));
  list.push(o);
}

function baseState(name: string, windows: 1 | 2, summary: string, scale: ScaleContext, baseUrls: SimInfo['baseUrls'][string]): Omit<PolicyState, 'onStarted' | 'finished' | 'unfinished' | 'stop' | 'dispose' | 'pollingAdapters'> {
  return {
    name,
    windows,
    summary,
    scale,
    starters: new Map(PROVIDER_IDS.map(id => [id, benchProvider(id, baseUrls.S[id], scale)])),
    observations: new Map(),
    lastSig: new Map(),
    lastRun: new Map(),
    knownAt: new Map(),
    started: new Map(),
  };
}

/** Runwatch's end test: every run the workload started has ended (finished or gone) in the polling window's store. */
function endedAsStoreKnows(startedKeys: () => Iterable<string>, store: Pick<RunStore, 'get'>): Pick<PolicyState, 'finished' | 'unfinished'> {
  const ended = (key: string) => {
    const t = store.get(key);
    return !!t && (isTerminal(t.run.status) || t.gone);
  };
  return {
    finished: () => [...startedKeys()].every(ended),
    unfinished: () => [...startedKeys()].filter(key => !ended(key)),
  };
}

function runwatchState(baseUrls: SimInfo['baseUrls'][string], scale: ScaleContext, dir: string, random: () => number): PolicyState {
  const A = makeWindow('A', dir, baseUrls.A, scale, random);
  const B = makeWindow('B', dir, baseUrls.B, scale, random);
  if (!A.lease.isLeader || B.lease.isLeader) throw new Error('window A should lead and B follow from the start');
  const state: PolicyState = {
    ...baseState(RUNWATCH, 2, "Runwatch's engine: Scheduler + RunStore + lease, window A leads, B follows", scale, baseUrls),
    pollingAdapters: [A.adapters, B.adapters],
    onStarted(key, run, window) {
      // As the service's startRun does, in the window the user started it from.
      const win = window === 'A' ? A : B;
      if (window === 'A') state.knownAt.set(key, scale.simNow());
      win.store.upsert(run, { pinned: true });
      win.scheduler.wake(key);
    },
    ...endedAsStoreKnows(() => state.started.keys(), A.store),
    stop() {
      A.scheduler.dispose();
      B.scheduler.dispose();
    },
    async dispose() {
      await A.dispose().catch(() => undefined);
      await B.dispose().catch(() => undefined);
    },
    extra: () => ({ leaderChanges: { A: A.roleChanges.length - 1, B: B.roleChanges.length - 1 } }),
  };
  // What the polling window's model showed, as it showed it; a run started in B is known to A from here.
  A.store.onDidChange((change: StoreChange) => {
    const t = scale.simNow();
    for (const key of change.keys) {
      const tracked = A.store.get(key);
      if (!tracked) continue;
      if (!state.knownAt.has(key)) state.knownAt.set(key, t);
      record(state, tracked.run, t);
    }
  });
  return state;
}

/** The list refresh while the view is visible: the service's default, 60 s, in simulated time. */
const LIST_REFRESH_SIM_MS = 60_000;

const benchVault: KeyVault = {
  getKey: async id => SIM_KEYS[id],
  getSecret: async () => 'bench-third-party-secret',
  hasKey: () => true,
};

/**
 * Runwatch as the extension runs it: two windows of the real RunwatchService (createRunwatchService: scheduler,
 * store, gates, lease and shared state, the real adapters) sharing one folder, each with the Runs view visible
 * (its 60 s list refresh on) and every provider's accounts loaded as the view does when it renders. A leads; B
 * follows and must make no request of any kind: its lists come from the leader.
 */
function runwatchServiceState(baseUrls: SimInfo['baseUrls'][string], scale: ScaleContext, dir: string): PolicyState {
  const adapters = { A: new Map<ProviderId, ScaledProvider>(), B: new Map<ProviderId, ScaledProvider>() };
  const make = (name: 'A' | 'B'): RunwatchService =>
    createRunwatchService({
      storage: new MemoryStorage(),
      keys: benchVault,
      baseUrl: id => validateBaseUrl(baseUrls[name][id]),
      log: silentLogger,
      scheduler: SCHEDULER_OPTIONS,
      sharedDir: dir,
      timeoutMs: Math.max(MIN_REAL_TIMEOUT_MS, REQUEST_TIMEOUT_SIM_MS / scale.scale),
      timeScale: scale.scale,
      listRefreshMs: LIST_REFRESH_SIM_MS / scale.scale,
      wrapProvider: provider => {
        const scaled = new ScaledProvider(provider, name, scale);
        adapters[name].set(provider.id, scaled);
        return scaled;
      },
    }, createDefaultServiceDeps());
  const A = make('A');
  const B = make('B');
  const windows = { A, B };
  for (const svc of [A, B]) {
    svc.setViewVisible(true);
    // The view renders every provider: its accounts (and, for a leader, each account's runs) are loaded.
    for (const id of svc.providerIds()) void svc.refreshAccounts(id).catch(() => undefined);
  }
  // The adapters exist from here on (the analysis reads their cadences).
  for (const id of PROVIDER_IDS) for (const svc of [A, B]) svc.provider(id);
  const state: PolicyState = {
    ...baseState(RUNWATCH, 2, 'the real RunwatchService in two windows sharing one folder, the Runs view visible in both (60 s list refresh); A leads, B follows', scale, baseUrls),
    pollingAdapters: [adapters.A, adapters.B],
    onStarted(key, run, window) {
      // As the service's startRun keeps a run it started, in the window the user started it from.
      if (window === 'A') state.knownAt.set(key, scale.simNow());
      windows[window].store.upsert(run, { pinned: true });
    },
    ...endedAsStoreKnows(() => state.started.keys(), A.store),
    async beforeIdle() {
      // The bench makes each run's account (brand, workflow, spec) just before starting it, so the view's first
      // listing found none; a user's accounts exist before they start runs. The user refreshes the view once
      // (counted), so the idle tail measures the 60 s list refresh over every account, as the extension makes it.
      await asUserAction(async () => {
        for (const id of A.providerIds()) {
          const accounts = await A.refreshAccounts(id).catch(() => []);
          for (const account of accounts) await A.refreshRuns(id, account).catch(() => undefined);
        }
      });
    },
    stop() {
      // Nothing more is asked once measuring ends (dispose() releases the lease and adapters after the logs are read).
      A.setViewVisible(false);
      B.setViewVisible(false);
    },
    async dispose() {
      A.dispose();
      B.dispose();
    },
  };
  A.store.onDidChange((change: StoreChange) => {
    const t = scale.simNow();
    for (const key of change.keys) {
      const tracked = A.store.get(key);
      if (!tracked || !state.started.has(key)) continue;
      if (!state.knownAt.has(key)) state.knownAt.set(key, t);
      record(state, tracked.run, t);
    }
  });
  return state;
}

function peerState(policy: PeerPolicy, baseUrls: SimInfo['baseUrls'][string], scale: ScaleContext, random: () => number, tickOriginSim: number): PolicyState {
  const windows: PeerWindow[] = [];
  const adapters = (['A', 'B'] as const).slice(0, policy.windows).map(w => makeAdapters(w, baseUrls[w], scale));
  const state: PolicyState = {
    ...baseState(policy.name, policy.windows, policy.summary, scale, baseUrls),
    pollingAdapters: adapters,
    onStarted(key, run, _window, createdSim) {
      // A peer tool knows the runs it was asked to watch from their start, in every window it is open in.
      const known = scale.simNow();
      state.knownAt.set(key, known);
      record(state, run, known);
      for (const w of windows) w.track(key, { accountId: run.accountId, id: run.id, kind: run.kind }, run, createdSim, known);
    },
    finished: () => windows[0].idle && state.started.size > 0,
    unfinished: () => windows[0].unfinished(),
    stop: () => windows.forEach(w => w.dispose()),
    async dispose() {
      for (const w of windows) w.dispose();
      for (const map of adapters) for (const a of map.values()) await a.dispose().catch(() => undefined);
    },
  };
  adapters.forEach((map, i) => {
    // The user looks at the first window: its answers are the model whose staleness is measured.
    const onAnswer = i === 0 ? (_key: string, run: Run, at: number) => record(state, run, at) : () => undefined;
    // A second window's timers are not in step with the first's: its first poll comes up to a cadence later.
    const phase = i === 0 ? () => 0 : () => random() * 1_000;
    windows.push(new PeerWindow(policy, map, { scale: scale.scale, simNow: scale.simNow }, phase, onAnswer, tickOriginSim));
  });
  return state;
}

export async function runPollingRepeat(options: PollingBenchOptions) {
  const S = options.timeScale;
  const peers = options.peers ?? PEER_POLICIES;
  const names = [RUNWATCH, ...peers.map(p => p.name)];
  const simProcess = new SimProcess();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-bench-'));
  const states: PolicyState[] = [];
  try {
    const init: InitRequest = { timeScale: S, worlds: names, seed: options.seed, latencyMs: options.latencyMs, timeoutRate: options.timeoutRate };
    const info = await simProcess.call<SimInfo>('init', init);
    const simAt = (real: number) => info.origin + (real - info.origin) * S;
    const simNow = () => simAt(Date.now());
    const scaleFor = (): ScaleContext => ({ scale: S, simNow, createdAtSim: new Map() });

    const t0 = Date.now();
    const t0Sim = simNow();
    // BENCH_RUNWATCH=engine: the scheduler alone, as measured before the service was (no view, no list refresh).
    states.push(
      process.env.BENCH_RUNWATCH === 'engine' ? runwatchState(info.baseUrls[RUNWATCH], scaleFor(), dir, seededRandom(subSeed(options.seed, 'engine'))) : runwatchServiceState(info.baseUrls[RUNWATCH], scaleFor(), dir),
    );
    for (const policy of peers) states.push(peerState(policy, info.baseUrls[policy.name], scaleFor(), seededRandom(subSeed(options.seed, policy.name)), t0Sim));
    const byName = new Map(states.map(s => [s.name, s]));

    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loopDelay.enable();
    const loadBefore = os.loadavg()[0];
    const cpuBefore = process.cpuUsage();

    const plan = buildWorkload({ startWindowMs: options.startWindowMs, seed: options.seed, size: options.size, short: options.short });
    const faults = buildFaults(options.startWindowMs);
    const startErrors: string[] = [];
    const chains = new Map<string, Promise<void>>();

    const startOne = async (state: PolicyState, run: PlannedRun) => {
      const prep = await simProcess.call<PrepareResult>('prepare', { world: state.name, provider: run.provider, n: run.n, script: run.script });
      const starter = state.starters.get(run.provider)!;
      const account = { provider: run.provider, id: prep.accountId, label: prep.accountLabel };
      const kinds = await starter.listKinds(account);
      const kind = kinds.find(k => k.id === run.kindId) ?? kinds[0];
      const before = simNow();
      const result = await starter.startRun(account, kind, run.input);
      const key = keyOf(result.run);
      state.scale.createdAtSim.set(key, before);
      if (run.provider === 'talonic') {
        // In the extension the adapter that starts a pipeline also polls it and remembers its name; here a
        // separate one started it, so hand over what it learned (else each poller fetches it once more).
        const meta = talonicMeta(starter).get(result.run.id);
        for (const map of state.pollingAdapters) talonicMeta(map.get('talonic')!.inner).set(result.run.id, meta);
      }
      state.started.set(key, { plan: run, key, runId: result.run.id, accountId: result.run.accountId, provider: run.provider });
      state.onStarted(key, result.run, run.window, before);
    };

    const lifts: Promise<void>[] = [];
    const injected: { at: number; what: string }[] = [];
    // Time-limited faults (the 5xx storm): while one lasts, no policy can read what changed at that provider.
    const outages: Outage[] = [];
    options.log(`  workload: ${plan.length} runs started over ${round(options.startWindowMs / 60_000, 1)} simulated min, time scale ${S}, seed ${options.seed}, ${names.length} policies side by side`);
    const driver = (async () => {
      const events: ({ at: number; run: PlannedRun } | { at: number; fault: PlannedFault })[] = [...plan.map(run => ({ at: run.startAt, run })), ...faults.map(fault => ({ at: fault.at, fault }))].sort((a, b) => a.at - b.at);
      for (const event of events) {
        await sleep(t0 + event.at / S - Date.now());
        if ('run' in event) {
          for (const state of states) {
            // One start at a time per world and provider, so the simulator's scripts are taken in order.
            const id = `${state.name}/${event.run.provider}`;
            const chain = (chains.get(id) ?? Promise.resolve()).then(() =>
              startOne(state, event.run).catch(e => {
                startErrors.push(`${state.name} ${event.run.provider} #${event.run.n}: ${(e as Error).message.split('\n')[0]}`);
              }),
            );
            chains.set(id, chain);
          }
        } else {
          const { fault } = event;
          const tags = fault.faults.map((_, i) => `${fault.at}-${i}`);
          for (const name of names) for (const [i, f] of fault.faults.entries()) await simProcess.call('fault', { world: name, fault: f, tag: tags[i] });
          injected.push({ at: simNow() - t0Sim, what: fault.what });
          if (fault.durationMs !== undefined) {
            const outage: Outage[] = fault.faults.map(f => ({ provider: f.provider as ProviderId, from: simNow(), to: Infinity }));
            outages.push(...outage);
            lifts.push(sleep(fault.durationMs / S).then(async () => {
              for (const name of names) for (const tag of tags) await simProcess.call('liftFault', { world: name, tag });
              for (const o of outage) o.to = simNow();
            }));
          }
        }
      }
      await Promise.all([...chains.values(), ...lifts]);
    })();

    // Wait (bounded) until every run started and every policy's polling window saw every run finished.
    const longest = Math.max(...plan.map(r => r.startAt + r.plannedMs));
    const deadline = t0 + longest / S + 20_000;
    let allStarted = false;
    void driver.then(() => (allStarted = true));
    for (;;) {
      await sleep(200);
      if ((allStarted && states.every(s => s.finished())) || Date.now() > deadline) break;
    }
    const workloadRealMs = Date.now() - t0;
    // Bounded: a refresh that never settles (a lease hand-over under load) must not hold the benchmark up.
    const idleReady: Record<string, boolean> = {};
    for (const s of states) {
      if (!s.beforeIdle) continue;
      idleReady[s.name] = await Promise.race([s.beforeIdle().then(() => true), sleep(20_000).then(() => false)]);
      if (!idleReady[s.name]) options.log(`  ${s.name}: the view refresh before the idle tail did not settle within 20 s`);
    }

    // Idle tail: only finished runs are tracked; nothing may be asked of any provider.
    const tailStartSim = simNow();
    await sleep(options.idleTailSimMs / S);
    const tailEndSim = simNow();
    loopDelay.disable();
    const cpu = process.cpuUsage(cpuBefore);
    const machine = {
      loadAverage1mBefore: round(loadBefore, 2),
      loadAverage1mAfter: round(os.loadavg()[0], 2),
      benchProcessCpuSeconds: round((cpu.user + cpu.system) / 1e6, 1),
      // The histogram holds the intervals of a 5 ms sampling timer: the delay is what exceeds 5 ms.
      eventLoopDelayMs: {
        p50: round(loopDelayMs(loopDelay, LOOP_RESOLUTION_MS, 50), 1),
        p99: round(loopDelayMs(loopDelay, LOOP_RESOLUTION_MS, 99), 1),
        max: round(loopDelayMs(loopDelay, LOOP_RESOLUTION_MS, 'max'), 1),
      },
    };
    const unfinished = Object.fromEntries(states.map(s => [s.name, s.unfinished()]).filter(([, u]) => u.length));
    for (const s of states) s.stop();

    const policies = [];
    for (const state of states) {
      const logs = await simProcess.call<Record<'A' | 'B' | 'S', LoggedRequest[]>>('logs', state.name);
      const connections = await simProcess.call<Record<'A' | 'B' | 'S', number>>('connections', state.name);
      const oracle = await simProcess.call<OracleResult[]>(
        'oracle',
        { world: state.name, runs: [...state.started.values()].map(r => ({ key: r.key, provider: r.provider, runId: r.runId, observations: state.observations.get(r.key) ?? [] })) },
        120_000,
      );
      policies.push({ ...analysePolicy(state, byName, logs, oracle, { startSim: tailStartSim, endSim: tailEndSim }, S, outages), connectionsOpened: connections.A + connections.B });
    }
    return {
      timeScale: S,
      seed: options.seed,
      workloadRealSeconds: round(workloadRealMs / 1000, 1),
      workloadSimulatedMinutes: round((workloadRealMs * S) / 60_000, 1),
      runsPlanned: plan.length,
      startErrors,
      unfinished,
      faultsInjected: injected.map(f => ({ ...f, at: `${round(f.at / 60_000, 1)} min` })),
      machine,
      idleReady,
      policies,
    };
  } finally {
    for (const s of states) await s.dispose().catch(() => undefined);
    await simProcess.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- analysis of one policy ----

function analysePolicy(state: PolicyState, _all: Map<string, PolicyState>, logs: Record<'A' | 'B' | 'S', LoggedRequest[]>, oracle: OracleResult[], tail: { startSim: number; endSim: number }, S: number, outages: Outage[]) {
  const plane = [...logs.A, ...logs.B].sort((a, b) => (a.receivedAt ?? a.time) - (b.receivedAt ?? b.time));
  const adapters = state.pollingAdapters[0];
  const byKey = new Map(oracle.map(o => [o.key, o]));
  const facts: RunFacts[] = [];
  const anomalies: string[] = [];
  for (const r of state.started.values()) {
    const life = byKey.get(r.key);
    if (!life?.found) continue;
    for (const a of life.anomalies) anomalies.push(`${r.key}: ${a}`);
    const run = state.lastRun.get(r.key);
    const knownAt = state.knownAt.get(r.key);
    if (!run || knownAt === undefined) continue;
    facts.push({ key: r.key, provider: r.provider, accountId: r.accountId, createdAt: life.createdAt, knownAt, terminalAt: life.terminalAt, run });
  }
  const pauses = pausesFromLog(plane);
  const violations = retryAfterViolations(plane, pauses, RETRY_AFTER_GRACE_REAL_MS * S);

  const stale: Stale[] = [];
  const details: StaleDetail[] = [];
  const byProvider = PROVIDER_IDS.map(id => {
    const adapter = adapters.get(id)!.inner;
    const runs = facts.filter(f => f.provider === id);
    const floorAt = budgetFloor(adapter, runs);
    const own: Stale[] = [];
    for (const f of runs) {
      const runId = f.key.slice(f.key.indexOf(':') + 1);
      const runRequests = plane.filter(r => r.provider === id && r.path.includes(runId));
      for (const m of byKey.get(f.key)!.milestones) {
        const s: Stale = { provider: id, ms: m.tSeen - m.tChange, cadence: cadenceAt(adapter, f, m.tChange, floorAt) };
        own.push(s);
        const knowable = knowableAt(m.tChange, f, pauses, outages, s.cadence);
        const d = { ...s, key: f.key, tChange: m.tChange, tSeen: m.tSeen, knowable: knowable.at };
        details.push({ ...d, cause: classifyStale(d, knowable.cause, runRequests) });
      }
    }
    stale.push(...own);
    const http = plane.filter(r => r.provider === id);
    const reference = runs.reduce((a, f) => a + cadenceReference(adapter, f), 0);
    const bound = lowerBound(adapter, runs, pauses);
    return {
      provider: id,
      runs: runs.length,
      requests: http.length,
      statusPolls: http.filter(isStatusPoll).length,
      cadenceReference: reference,
      lowerBound: bound,
      requestsPerLowerBound: round(http.length / bound, 3),
      requestsPerCadenceReference: round(http.length / reference, 3),
      timeouts: http.filter(r => r.timedOut).length,
      staleness: stalenessSummary(own),
    };
  });
  const requests = plane.length;
  const lowerBoundTotal = byProvider.reduce((a, p) => a + p.lowerBound, 0);
  const referenceTotal = byProvider.reduce((a, p) => a + p.cadenceReference, 0);
  const tailHours = (tail.endSim - tail.startSim) / 3_600_000;
  const idle = plane.filter(r => r.time >= tail.startSim && r.time <= tail.endSim).length;
  const staleness = stalenessSummary(stale);
  // The same changes timed from when the window could first know of them (inherent waits removed).
  const fromKnowable = stalenessSummary(details.map(d => ({ provider: d.provider, ms: Math.max(0, d.tSeen - d.knowable), cadence: d.cadence })));
  const p95Fraction = staleness.p95;
  const lateTail = details.filter(d => d.ms / d.cadence >= p95Fraction);
  return {
    name: state.name,
    summary: state.summary,
    windows: state.windows,
    requests,
    lowerBound: lowerBoundTotal,
    requestsPerLowerBound: round(requests / lowerBoundTotal, 3),
    cadenceReference: referenceTotal,
    requestsPerCadenceReference: round(requests / referenceTotal, 3),
    stalenessP50: round(staleness.p50Ms / 1000, 2),
    stalenessP95: round(staleness.p95Ms / 1000, 2),
    stalenessMax: round(staleness.maxMs / 1000, 2),
    stalenessP50Cadence: staleness.p50,
    stalenessP95Cadence: staleness.p95,
    stalenessMaxCadence: staleness.max,
    stalenessChanges: staleness.changes,
    stalenessKnowableP50Cadence: fromKnowable.p50,
    stalenessKnowableP95Cadence: fromKnowable.p95,
    stalenessKnowableMaxCadence: fromKnowable.max,
    stalenessCauses: causeBreakdown(details),
    stalenessTailCauses: Object.fromEntries(Object.entries(causeBreakdown(lateTail)).map(([k, v]) => [k, v.changes])),
    stalenessTailByProvider: Object.fromEntries(PROVIDER_IDS.map(id => [id, lateTail.filter(d => d.provider === id).length]).filter(([, n]) => n)),
    retryAfterViolations: violations.count,
    retryAfterPauses: pauses.length,
    retryAfterViolationSamples: violations.samples,
    resumeAfterPauseP50: round(percentile(violations.resumeMs, 50) / 1000, 1),
    // One window only: a second window was not simulated for this peer (it would double its requests).
    secondWindowRequests: state.windows === 2 ? logs.B.length : null,
    idleRequestsPerHour: round(idle / tailHours, 1),
    idleTailSimulatedSeconds: round((tail.endSim - tail.startSim) / 1000, 0),
    timeouts: plane.filter(r => r.timedOut).length,
    runsMeasured: facts.length,
    byProvider,
    ...(process.env.BENCH_DEBUG_DUMP
      ? {
          staleDetails: details.filter(d => d.ms / d.cadence > 3).map(d => ({ ...d, x: round(d.ms / d.cadence, 2) })),
          idleRequests: plane.filter(r => r.time >= tail.startSim && r.time <= tail.endSim).map(r => ({ t: r.time - tail.startSim, provider: r.provider, path: r.path, status: r.status })),
          perRun: facts.map(f => ({
            key: f.key,
            knownAt: f.knownAt,
            createdAt: f.createdAt,
            terminalAt: f.terminalAt,
            reference: cadenceReference(adapters.get(f.provider)!.inner, f),
            requests: plane.filter(r => r.path.includes(f.key.slice(f.key.indexOf(':') + 1))).map(r => ({ t: r.receivedAt ?? r.time, done: r.time, status: r.status })),
          })),
        }
      : {}),
    oracleAnomalies: anomalies.slice(0, 5),
    oracleAnomalyCount: anomalies.length,
    ...(state.extra?.() ?? {}),
  };
}

export type PollingRepeat = Awaited<ReturnType<typeof runPollingRepeat>>;
export type PolicyFigures = PollingRepeat['policies'][number];
