// Sections 1 and 2 of the benchmark: requests against the physical minimum, and staleness.
//
// The real engine (Scheduler + RunStore + the five real adapters over HTTP), twice: two "windows" in this
// process sharing one temporary folder through FileLease + SharedStateFile, as two VS Code windows would.
// The simulator runs in a child process (simHost.ts). Simulated time runs S× faster than real time.
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SchedulerOptions } from '../src/core/contracts';
import { silentLogger } from '../src/core/http';
import { FileLease, SharedStateFile } from '../src/core/lease';
import { PROVIDER_IDS, isTerminal, keyOf, type ProviderId, type Run } from '../src/core/run';
import { Scheduler } from '../src/core/scheduler';
import { RunStore, type StoreChange } from '../src/core/store';
import { createProvider } from '../src/providers';
import type { Provider } from '../src/providers/provider';
import { SIM_KEYS } from '../test/simulator/keys';
import type { LoggedRequest } from '../test/simulator/server';
import { TERMINAL_ORD, type Observation, type OracleResult, type PrepareResult, type SimInfo } from './protocol';
import { ScaledProvider, type PollRecord, type ScaleContext } from './scaledProvider';
import { buildFaults, buildWorkload, type PlannedFault, type PlannedRun } from './workload';
import { percentile, round } from './stats';

const SCHEDULER_OPTIONS: SchedulerOptions = {
  whenUnfocused: 'normal',
  unfocusedFactor: 1,
  maxConcurrentPerProvider: 4, // the setting's default
  stuckAfterMs: 0, // stuck detection compares wall-clock ages: meaningless on a scaled clock
  minIntervalMs: {},
};

export interface PollingBenchOptions {
  timeScale: number;
  /** Simulated ms over which runs are started. */
  startWindowMs: number;
  /** Real ms of idle tail once every run has finished. */
  idleTailMs: number;
  log(line: string): void;
}

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

function makeWindow(name: 'A' | 'B', dir: string, baseUrls: Record<ProviderId, string>, scale: ScaleContext): BenchWindow {
  const store = new RunStore();
  const adapters = new Map<ProviderId, ScaledProvider>();
  for (const id of PROVIDER_IDS) {
    const inner = createProvider(id, {
      baseUrl: baseUrls[id],
      getKey: async () => SIM_KEYS[id],
      getSecret: async () => 'bench-third-party-secret',
      log: silentLogger,
    });
    adapters.set(id, new ScaledProvider(inner, name, scale));
  }
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

/** Requests a poller makes to read one run's status, by provider (everything else is session or detail overhead). */
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

interface Registered {
  plan: PlannedRun;
  key: string;
  runId: string;
  provider: ProviderId;
  /** Real ms when the start answer arrived, and the simulated time then (when Runwatch first knew the run). */
  startedReal: number;
  firstSeenSim: number;
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, Math.max(0, ms)));

export async function runPollingBench(options: PollingBenchOptions) {
  const S = options.timeScale;
  const simProcess = new SimProcess();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-bench-'));
  const windows: BenchWindow[] = [];
  try {
    const info = await simProcess.call<SimInfo>('init', S);
    const simAt = (real: number) => info.origin + (real - info.origin) * S;
    const simNow = () => simAt(Date.now());
    const scale: ScaleContext = { scale: S, simNow, createdAtSim: new Map() };

    // Window A first, so it wins the lease; B follows.
    const A = makeWindow('A', dir, info.baseUrls.A, scale);
    const B = makeWindow('B', dir, info.baseUrls.B, scale);
    windows.push(A, B);
    if (!A.lease.isLeader || B.lease.isLeader) throw new Error('window A should lead and B follow from the start');

    // Where runs are started: separate adapters on front-end S, so starting never counts as polling.
    const starters = new Map<ProviderId, Provider>(
      PROVIDER_IDS.map(id => [
        id,
        createProvider(id, { baseUrl: info.baseUrls.S[id], getKey: async () => SIM_KEYS[id], getSecret: async () => 'bench-third-party-secret', log: silentLogger }),
      ]),
    );

    // What each window's model showed, as it showed it.
    const observations = new Map<string, Observation[]>();
    const lastSig = new Map<string, string>();
    const seenByA = new Map<string, number>(); // `${key}|${sig}` → real ms
    const followerLags: number[] = [];
    const seenByB = new Set<string>();
    A.store.onDidChange((change: StoreChange) => {
      const t = simNow();
      const real = Date.now();
      for (const key of change.keys) {
        const tracked = A.store.get(key);
        if (!tracked) continue;
        const o = observe(tracked.run, t);
        const sig = signature(o);
        if (lastSig.get(key) === sig) continue;
        lastSig.set(key, sig);
        let list = observations.get(key);
        if (!list) observations.set(key, (list = []));
        list.push(o);
        if (!seenByA.has(`${key}|${sig}`)) seenByA.set(`${key}|${sig}`, real);
      }
    });
    B.store.onDidChange((change: StoreChange) => {
      const real = Date.now();
      for (const key of change.keys) {
        const tracked = B.store.get(key);
        if (!tracked) continue;
        const id = `${key}|${signature(observe(tracked.run, 0))}`;
        if (seenByB.has(id)) continue;
        seenByB.add(id);
        const a = seenByA.get(id);
        if (a !== undefined) followerLags.push(real - a);
      }
    });

    // How late this process's timers fire: at time scale S each late millisecond is S simulated ones.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const loadBefore = os.loadavg()[0];

    const plan = buildWorkload({ startWindowMs: options.startWindowMs });
    const faults = buildFaults(options.startWindowMs);
    const registry = new Map<string, Registered>();
    const startErrors: string[] = [];
    const chains = new Map<ProviderId, Promise<void>>();
    const t0 = Date.now();
    const t0Sim = simNow();
    options.log(`  workload: ${plan.length} runs started over ${round(options.startWindowMs / 60_000, 1)} simulated min (${round(options.startWindowMs / S / 1000, 1)} s real), time scale ${S}`);

    const startOne = async (run: PlannedRun) => {
      const prep = await simProcess.call<PrepareResult>('prepare', { provider: run.provider, n: run.n, script: run.script });
      const starter = starters.get(run.provider)!;
      const account = { provider: run.provider, id: prep.accountId, label: prep.accountLabel };
      const kinds = await starter.listKinds(account);
      const kind = kinds.find(k => k.id === run.kindId) ?? kinds[0];
      const before = simNow();
      const result = await starter.startRun(account, kind, run.input);
      const key = keyOf(result.run);
      scale.createdAtSim.set(key, before);
      if (run.provider === 'talonic') {
        // In the extension the adapter that starts a pipeline also polls it and remembers its name; here a
        // separate one started it, so hand over what it learned (else each poller fetches it once more).
        const meta = (starter as unknown as { meta: Map<string, unknown> }).meta.get(result.run.id);
        for (const w of windows) (w.adapters.get('talonic')!.inner as unknown as { meta: Map<string, unknown> }).meta.set(result.run.id, meta);
      }
      const win = run.window === 'A' ? A : B;
      registry.set(key, { plan: run, key, runId: result.run.id, provider: run.provider, startedReal: Date.now(), firstSeenSim: simNow() });
      // As the service's startRun does.
      win.store.upsert(result.run, { pinned: true });
      win.scheduler.wake(key);
    };

    const injected: { at: number; what: string; leader: 'A' | 'B' }[] = [];
    const lifts: Promise<void>[] = [];
    const lifted: { provider: ProviderId; at: number }[] = [];
    const driver = (async () => {
      const events: ({ at: number; run: PlannedRun } | { at: number; fault: PlannedFault })[] = [...plan.map(run => ({ at: run.startAt, run })), ...faults.map(fault => ({ at: fault.at, fault }))].sort(
        (a, b) => a.at - b.at,
      );
      for (const event of events) {
        await sleep(t0 + event.at / S - Date.now());
        if ('run' in event) {
          const { run } = event;
          // One start at a time per provider, so the simulator's scripts are taken in order.
          const chain = (chains.get(run.provider) ?? Promise.resolve()).then(() =>
            startOne(run).catch(e => {
              startErrors.push(`${run.provider} #${run.n}: ${(e as Error).message}`);
            }),
          );
          chains.set(run.provider, chain);
        } else {
          const leader = A.lease.isLeader ? 'A' : 'B';
          const { fault } = event;
          const tags = fault.faults.map((f, i) => `${fault.at}-${i}`);
          for (const [i, f] of fault.faults.entries()) await simProcess.call('fault', { frontEnd: leader, fault: f, tag: tags[i] });
          injected.push({ at: simNow() - t0Sim, what: fault.what, leader });
          if (fault.durationMs !== undefined) {
            lifts.push(
              sleep(fault.durationMs / S).then(async () => {
                for (const tag of tags) await simProcess.call('liftFault', tag);
                lifted.push({ provider: fault.faults[0].provider!, at: simNow() });
              }),
            );
          }
        }
      }
      await Promise.all([...chains.values(), ...lifts]);
    })();

    // Wait (bounded) until every run started and the polling window shows every one of them finished.
    const longest = Math.max(...plan.map(r => r.startAt + r.plannedMs));
    const deadline = t0 + longest / S + 30_000;
    let allStarted = false;
    void driver.then(() => (allStarted = true));
    for (;;) {
      await sleep(200);
      const finished = allStarted && [...registry.values()].every(r => {
        const t = A.store.get(r.key);
        return !!t && (isTerminal(t.run.status) || t.gone);
      });
      if (finished || Date.now() > deadline) break;
    }
    const workloadRealMs = Date.now() - t0;
    loopDelay.disable();
    const machine = {
      loadAverage1mBefore: round(loadBefore, 2),
      loadAverage1mAfter: round(os.loadavg()[0], 2),
      // The histogram holds the intervals of a 5 ms sampling timer: the delay is what exceeds 5 ms.
      eventLoopDelayMs: {
        p50: round(Math.max(0, loopDelay.percentile(50) / 1e6 - 5), 1),
        p99: round(Math.max(0, loopDelay.percentile(99) / 1e6 - 5), 1),
        max: round(Math.max(0, loopDelay.max / 1e6 - 5), 1),
      },
    };
    const unfinished = [...registry.values()].filter(r => {
      const t = A.store.get(r.key);
      return !t || !(isTerminal(t.run.status) || t.gone);
    });

    // Idle tail: only finished runs are tracked; nothing may be asked of any provider.
    const tailStartReal = Date.now();
    const tailStartSim = simNow();
    await sleep(options.idleTailMs);
    const tailEndReal = Date.now();
    const tailEndSim = simNow();

    for (const w of windows) {
      w.scheduler.dispose();
    }
    const logs = await simProcess.call<Record<'A' | 'B' | 'S', LoggedRequest[]>>('logs');
    const polls: PollRecord[] = [...A.adapters.values(), ...B.adapters.values()].flatMap(a => a.polls);
    const oracle = await simProcess.call<OracleResult[]>(
      'oracle',
      [...registry.values()].map(r => ({ key: r.key, provider: r.provider, runId: r.runId, observations: observations.get(r.key) ?? [] })),
      120_000,
    );
    const byKey = new Map(oracle.map(o => [o.key, o]));
    if (process.env.BENCH_DEBUG_DUMP) {
      fs.writeFileSync(
        process.env.BENCH_DEBUG_DUMP,
        JSON.stringify({ info, t0, t0Sim, polls, registry: [...registry.values()], oracle, observations: Object.fromEntries(observations), health: PROVIDER_IDS.map(id => [id, A.scheduler.health(id)]) }),
      );
    }

    return analyse({
      S,
      simAt,
      t0Sim,
      plan,
      registry,
      byKey,
      logs,
      polls,
      windows: { A, B },
      tail: { startReal: tailStartReal, endReal: tailEndReal, startSim: tailStartSim, endSim: tailEndSim },
      followerLags,
      injected,
      startErrors,
      unfinished: unfinished.map(r => `${r.key} (${r.plan.label}, last ${A.store.get(r.key)?.run.status ?? 'never seen'})`),
      workloadRealMs,
      machine,
      lifted,
    });
  } finally {
    for (const w of windows) await w.dispose().catch(() => undefined);
    await simProcess.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- analysis ----

interface AnalyseInput {
  S: number;
  simAt(real: number): number;
  t0Sim: number;
  plan: PlannedRun[];
  registry: Map<string, Registered>;
  byKey: Map<string, OracleResult>;
  logs: Record<'A' | 'B' | 'S', LoggedRequest[]>;
  polls: PollRecord[];
  windows: { A: BenchWindow; B: BenchWindow };
  tail: { startReal: number; endReal: number; startSim: number; endSim: number };
  followerLags: number[];
  injected: { at: number; what: string; leader: 'A' | 'B' }[];
  startErrors: string[];
  unfinished: string[];
  workloadRealMs: number;
  /** Timed faults and when they were lifted (simulated ms). */
  lifted: { provider: ProviderId; at: number }[];
  machine: { loadAverage1mBefore: number; loadAverage1mAfter: number; eventLoopDelayMs: { p50: number; p99: number; max: number } };
}

const RETRY_AFTER_FLOOR_MS = 1_000; // the scheduler's clampRetryAfter
const RETRY_AFTER_CAP_MS = 60 * 60_000;

function analyse(x: AnalyseInput) {
  const { A, B } = x.windows;
  const inTail = (r: LoggedRequest) => r.time >= x.tail.startSim && r.time <= x.tail.endSim;
  const pollPlane = [...x.logs.A, ...x.logs.B];

  // Physical minimum per run: one request per documented cadence interval from when Runwatch knew the run
  // until the simulator finished it (the poll that sees it finished included).
  const minimumOf = (r: Registered, life: OracleResult): number => {
    const adapter = A.adapters.get(r.provider)!;
    const run = A.store.get(r.key)?.run;
    if (!run) return 0;
    let t = r.firstSeenSim;
    let n = 0;
    while (t < life.terminalAt && n < 100_000) {
      t += adapter.inner.cadenceMs(run, { ageMs: Math.max(0, t - life.createdAt), polls: n });
      n++;
    }
    return n;
  };

  const providers = PROVIDER_IDS.map(id => {
    const runs = [...x.registry.values()].filter(r => r.provider === id);
    const minimum = runs.reduce((a, r) => a + minimumOf(r, x.byKey.get(r.key)!), 0);
    const http = pollPlane.filter(r => r.provider === id);
    const statusPolls = http.filter(isStatusPoll).length;
    const failed = runs.filter(r => A.store.get(r.key)?.run.status === 'failed').length;
    return {
      provider: id,
      runs: runs.length,
      failedRuns: failed,
      minimum,
      httpRequests: http.length,
      statusPolls,
      otherRequests: http.length - statusPolls,
      faultAnswers: http.filter(r => r.fault).length,
      otherRequestKinds: countBy(http.filter(r => !isStatusPoll(r)).map(r => (r.tool ? `${r.method} tools/call ${r.tool}` : `${r.method} ${r.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|agent_run_\w+/g, '{id}')}`))),
      ratio: minimum ? http.length / minimum : 0,
      pollCalls: x.polls.filter(p => p.provider === id).length,
    };
  });
  const totalMinimum = providers.reduce((a, p) => a + p.minimum, 0);
  const totalHttp = providers.reduce((a, p) => a + p.httpRequests, 0);

  // Requests made inside a Retry-After window the provider announced (client side: when each poll was sent).
  const windowsByProvider = new Map<ProviderId, { from: number; to: number }[]>();
  for (const p of x.polls) {
    if (p.retryAfterMs === undefined || (p.errorKind !== 'rateLimited' && p.errorKind !== 'server')) continue;
    const wait = Math.min(RETRY_AFTER_CAP_MS, Math.max(RETRY_AFTER_FLOOR_MS, p.retryAfterMs));
    const list = windowsByProvider.get(p.provider) ?? [];
    list.push({ from: p.settledAt, to: p.settledAt + wait });
    windowsByProvider.set(p.provider, list);
  }
  const inRetryAfter = x.polls.filter(p => (windowsByProvider.get(p.provider) ?? []).some(w => p.sentAt > w.from && p.sentAt < w.to));
  const retryAfterWindows = [...windowsByProvider.values()].reduce((a, l) => a + l.length, 0);

  // Staleness: every lifecycle change of a run started in the polling window, from when the simulator made
  // it to when the store announced it, as a fraction of the cadence that run was polled at.
  const gmRuns = [...x.registry.values()].filter(r => r.provider === 'gloriaMundo');
  const gmBudget = A.adapters.get('gloriaMundo')!.inner.pollBudget;
  const pollsByKey = new Map<string, PollRecord[]>();
  for (const p of x.polls) {
    if (p.window !== 'A') continue;
    const list = pollsByKey.get(p.key) ?? [];
    list.push(p);
    pollsByKey.set(p.key, list);
  }
  // When each provider was impaired: from a failed poll until the provider's next successful one (a pause
  // after a 429 or a back-off after a storm holds every run of the provider, not just the one that failed).
  const impaired = new Map<ProviderId, { from: number; to: number }[]>();
  for (const id of PROVIDER_IDS) {
    const list: { from: number; to: number }[] = [];
    const ordered = x.polls.filter(p => p.provider === id && p.window === 'A').sort((a, b) => a.settledAt - b.settledAt);
    let open: number | undefined;
    for (const p of ordered) {
      if (!p.ok && open === undefined) open = x.simAt(p.sentAt);
      if (p.ok && open !== undefined) {
        list.push({ from: open, to: x.simAt(p.settledAt) });
        open = undefined;
      }
    }
    if (open !== undefined) list.push({ from: open, to: Infinity });
    impaired.set(id, list);
  }
  interface Stale {
    provider: ProviderId;
    ms: number;
    cadence: number;
    fraction: number;
    /** Until the poll that saw it was sent (its own transit left out), × cadence: the engine's part. */
    askedFraction: number;
    faultAffected: boolean;
  }
  const stale: Stale[] = [];
  const anomalies: string[] = [];
  for (const r of x.registry.values()) {
    const life = x.byKey.get(r.key);
    if (!life) continue;
    for (const a of life.anomalies) anomalies.push(`${r.key}: ${a}`);
    if (r.plan.window !== 'A') continue;
    const polls = pollsByKey.get(r.key) ?? [];
    for (const m of life.milestones) {
      // The cadence that planned the poll which saw it.
      const seenBy = [...polls].reverse().find(p => p.ok && x.simAt(p.sentAt) <= m.tSeen);
      let cadence = seenBy?.cadenceSim ?? A.adapters.get(r.provider)!.inner.cadenceMs(A.store.get(r.key)!.run, { ageMs: m.tChange - life.createdAt, polls: 0 });
      if (r.provider === 'gloriaMundo' && gmBudget) {
        // GloriaMundo's documented budget, shared by its active runs, may stretch the interval: that is the cadence then.
        const active = gmRuns.filter(g => g.firstSeenSim <= m.tSeen && (x.byKey.get(g.key)?.terminalAt ?? Infinity) > m.tSeen).length;
        cadence = Math.max(cadence, (active * gmBudget.perMs * 1.02) / gmBudget.requests);
      }
      const ms = m.tSeen - m.tChange;
      const faultAffected = (impaired.get(r.provider) ?? []).some(w => w.from <= m.tSeen && w.to >= m.tChange - cadence);
      const asked = seenBy ? Math.max(0, x.simAt(seenBy.sentAt) - m.tChange) : ms;
      stale.push({ provider: r.provider, ms, cadence, fraction: ms / cadence, askedFraction: asked / cadence, faultAffected });
    }
  }
  const staleSummary = (list: Stale[]) => ({
    milestones: list.length,
    p95Asked: round(percentile(list.map(s => s.askedFraction), 95), 3),
    p50: round(percentile(list.map(s => s.fraction), 50), 3),
    p95: round(percentile(list.map(s => s.fraction), 95), 3),
    max: round(percentile(list.map(s => s.fraction), 100), 3),
    p50Ms: Math.round(percentile(list.map(s => s.ms), 50)),
    p95Ms: Math.round(percentile(list.map(s => s.ms), 95)),
    maxMs: Math.round(percentile(list.map(s => s.ms), 100)),
  });
  const staleness = {
    all: staleSummary(stale),
    outsideFaults: staleSummary(stale.filter(s => !s.faultAffected)),
    byProvider: Object.fromEntries(PROVIDER_IDS.map(id => [id, staleSummary(stale.filter(s => s.provider === id))])),
    byProviderOutsideFaults: Object.fromEntries(PROVIDER_IDS.map(id => [id, staleSummary(stale.filter(s => s.provider === id && !s.faultAffected))])),
  };

  // Runs started in the follower window: how long until the polling window first polled them (real ms).
  const pickups = [...x.registry.values()]
    .filter(r => r.plan.window === 'B')
    .map(r => {
      const first = x.polls.find(p => p.window === 'A' && p.key === r.key);
      return first ? first.sentAt - r.startedReal : Infinity;
    });

  // How long a poll takes, real ms, and what that is in simulated time against the provider's shortest cadence:
  // at time scale S every millisecond of latency is S simulated ones, which a poll-based observer adds to staleness.
  const latency = Object.fromEntries(
    PROVIDER_IDS.map(id => {
      const ms = x.polls.filter(p => p.provider === id && p.ok && p.window === 'A').map(p => p.settledAt - p.sentAt);
      const cadences = x.polls.filter(p => p.provider === id && p.cadenceSim !== undefined).map(p => p.cadenceSim!);
      const shortest = cadences.length ? Math.min(...cadences) : NaN;
      const p50 = percentile(ms, 50);
      return [id, { p50Ms: round(p50, 1), p95Ms: round(percentile(ms, 95), 1), shortestCadenceSimMs: shortest, cadenceFraction: round((p50 * x.S) / shortest, 3) }];
    }),
  ) as Record<ProviderId, { p50Ms: number; p95Ms: number; shortestCadenceSimMs: number; cadenceFraction: number }>;

  // How late the scheduler sent each poll against its own plan (the previous answer + the cadence), real ms:
  // the engine's timing, whatever the time scale. GloriaMundo is left out: its budget defers polls on purpose.
  const lateness: number[] = [];
  const latenessFraction: number[] = [];
  for (const [key, list] of pollsByKey) {
    if (key.startsWith('gloriaMundo:')) continue;
    const ordered = [...list].sort((a, b) => a.sentAt - b.sentAt);
    for (let i = 1; i < ordered.length; i++) {
      const prev = ordered[i - 1];
      const p = ordered[i];
      if (!prev.ok || p.cadenceSim === undefined) continue;
      const planned = prev.settledAt + p.cadenceSim / x.S;
      const late = p.sentAt - planned;
      // Held by a provider pause (Retry-After, back-off) on purpose: not the timer's lateness.
      const provider = key.slice(0, key.indexOf(':')) as ProviderId;
      if ((impaired.get(provider) ?? []).some(w => w.from <= x.simAt(p.sentAt) && w.to >= x.simAt(planned))) continue;
      lateness.push(late);
      latenessFraction.push((late * x.S) / p.cadenceSim);
    }
  }
  const schedulerTiming = {
    samples: lateness.length,
    lateMs: { p50: round(percentile(lateness, 50), 2), p95: round(percentile(lateness, 95), 2), max: round(percentile(lateness, 100), 2) },
    lateCadenceFraction: { p50: round(percentile(latenessFraction, 50), 3), p95: round(percentile(latenessFraction, 95), 3) },
  };

  // After a storm ends: how long until the provider answers a poll again (the last lift per provider).
  const lastLift = new Map<ProviderId, number>();
  for (const l of x.lifted) lastLift.set(l.provider, Math.max(lastLift.get(l.provider) ?? 0, l.at));
  const recoveries = [...lastLift].map(([provider, at]) => {
    const first = x.polls.filter(p => p.provider === provider && p.ok && x.simAt(p.sentAt) >= at).sort((a, b) => a.sentAt - b.sentAt)[0];
    const cadence = first?.cadenceSim ?? NaN;
    const after = first ? x.simAt(first.sentAt) - at : NaN;
    return { provider, afterSimSeconds: round(after / 1000, 1), cadences: round(after / cadence, 1) };
  });

  const idleRequests = pollPlane.filter(inTail).length;
  const idlePolls = x.polls.filter(p => p.sentAt >= x.tail.startReal && p.sentAt <= x.tail.endReal).length;

  return {
    timeScale: x.S,
    workloadRealSeconds: round(x.workloadRealMs / 1000, 1),
    workloadSimulatedMinutes: round((x.workloadRealMs * x.S) / 60_000, 1),
    runsPlanned: x.plan.length,
    runsStarted: x.registry.size,
    startErrors: x.startErrors,
    unfinished: x.unfinished,
    faultsInjected: x.injected.map(f => ({ ...f, at: `${round(f.at / 60_000, 1)} min` })),
    requests: {
      providers: providers.map(p => ({ ...p, ratio: round(p.ratio, 3) })),
      total: { runs: x.registry.size, minimum: totalMinimum, httpRequests: totalHttp, ratio: round(totalHttp / totalMinimum, 3) },
      startRequests: x.logs.S.length,
    },
    retryAfter: { windows: retryAfterWindows, requestsInside: inRetryAfter.length, offenders: inRetryAfter.slice(0, 5) },
    idle: { seconds: round((x.tail.endReal - x.tail.startReal) / 1000, 1), httpRequests: idleRequests, polls: idlePolls },
    secondWindow: {
      httpRequests: x.logs.B.length,
      polls: x.polls.filter(p => p.window === 'B').length,
      leaderChanges: { A: A.roleChanges.length - 1, B: B.roleChanges.length - 1 },
      followerLagMs: { samples: x.followerLags.length, p50: Math.round(percentile(x.followerLags, 50)), p95: Math.round(percentile(x.followerLags, 95)), max: Math.round(percentile(x.followerLags, 100)) },
      runsStartedThere: pickups.length,
      pickupMs: { p50: Math.round(percentile(pickups, 50)), p95: Math.round(percentile(pickups, 95)), max: Math.round(percentile(pickups, 100)) },
    },
    staleness,
    latency,
    schedulerTiming,
    recoveries,
    machine: x.machine,
    oracleAnomalies: anomalies.slice(0, 20),
    oracleAnomalyCount: anomalies.length,
    terminalOrd: TERMINAL_ORD,
  };
}

export type PollingBenchResult = Awaited<ReturnType<typeof runPollingBench>>;
