// The benchmark's "internet": the provider simulator in a child process of its own, so that the server's
// work does not share an event loop with the Runwatch engine being measured (this machine has two cores).
//
// One world per scheduling policy (Runwatch and each peer): its own simulated providers on the one shared
// clock, served by three loopback front-ends, each with its own request log: A and B are the two "windows'"
// polling adapters, S is where runs are started. So a log tells exactly which client made which request,
// and starting runs never counts as polling. A and B inject network latency (simulated 80–300 ms by default,
// seeded) and now and then leave a request unanswered, so the client's timeout fires.
//
// The parent drives it over IPC: prepare a run's script, inject faults, fetch the logs, and ask the
// lifecycle oracle when each state change happened (every simulated lifecycle is a pure function of time).
// The soak (soak.ts) runs one world, without injected transit, and adds its own ops: chaos mode, runs made
// outside Runwatch, expired MCP sessions, the accepted-starts log and each run's true status.
import { Simulator } from '../test/simulator';
import { SimClock, type AcceptedStart, type Fault, type LoggedRequest } from '../test/simulator/server';
import type { ChaosOptions } from '../test/simulator/chaos';
import { BoringMarketingSim, type BmRunKind, type BmRunScript } from '../test/simulator/boringMarketing';
import { GloriaMundoSim, type GmWorkflowSpec } from '../test/simulator/gloriaMundo';
import { AutomindzSim, type AmzRunScript } from '../test/simulator/automindz';
import { TalonicSim, documentPhase, assemblyPhase, type TalonicPipelinePlan } from '../test/simulator/talonic';
import { AdlyseSim, type RunScript as AdlyseRunScript } from '../test/simulator/adlyse';
import type { ProviderId } from '../src/core/run';
import { BUILTIN_PROVIDER_IDS as PROVIDER_IDS } from '../src/providers';
import {
  TERMINAL_ORD,
  type CreateRequest,
  type CreateResult,
  type InitRequest,
  type Observation,
  type OracleResult,
  type PrepareRequest,
  type PrepareResult,
  type SimInfo,
  type SoakSetup,
  type SoakStats,
  type TruthStatus,
} from './protocol';
import { seededRandom, subSeed } from './random';

type FrontEnd = 'A' | 'B' | 'S';

/**
 * One policy's world: its own simulated providers (own runs, own rate-limit counters: GloriaMundo's 60 polls a
 * minute are per key, so policies must not share them) on the one clock every world follows, served by three
 * front-ends. A and B share one fault list, so a count-limited fault is answered once to whichever window asks.
 */
interface World {
  providers: Map<ProviderId, unknown>;
  frontEnds: Map<FrontEnd, Simulator>;
  talonicSpecs: { schemaId?: string }[];
  adlyseWorkflows: { id: string }[];
}

let clock: SimClock | undefined;
const worlds = new Map<string, World>();
const taggedFaults = new Map<string, { world: World; fault: Fault }>();

function makeWorld(name: string, req: InitRequest): World {
  const providers = [new BoringMarketingSim(clock!), new GloriaMundoSim(clock!), new AutomindzSim(clock!), new TalonicSim(clock!), new AdlyseSim(clock!)];
  const frontEnds = new Map<FrontEnd, Simulator>();
  const faults: Fault[] = [];
  for (const fe of ['A', 'B', 'S'] as FrontEnd[]) {
    // Network transit on the polling front-ends: a latency drawn in simulated ms, now and then no answer.
    const random = seededRandom(subSeed(req.seed, `${name}/${fe}`));
    const transit =
      fe === 'S' || (req.latencyMs[1] <= 0 && req.timeoutRate <= 0)
        ? undefined
        : (r: { provider: ProviderId; method: string }) => {
            const latencySim = req.latencyMs[0] + random() * (req.latencyMs[1] - req.latencyMs[0]);
            // Timeouts only on the REST providers' GETs: an unanswered MCP handshake is a different test.
            const hang = r.provider !== 'adlyse' && r.method === 'GET' && random() < req.timeoutRate;
            return { delayMs: latencySim / req.timeScale, hang };
          };
    const sim = new Simulator({ timeScale: req.timeScale, transit });
    // Every log and every lifecycle on the one clock.
    (sim as unknown as { clock: SimClock }).clock = clock!;
    (sim as unknown as { faults: Fault[] }).faults = faults;
    for (const p of providers) sim.register(p as never);
    frontEnds.set(fe, sim);
  }
  const world: World = { providers: new Map(providers.map(p => [p.id, p])), frontEnds, talonicSpecs: [], adlyseWorkflows: [] };
  setupAccounts(world);
  return world;
}

async function init(req: InitRequest): Promise<SimInfo> {
  clock = new SimClock();
  clock.scale = req.timeScale;
  const baseUrls: SimInfo['baseUrls'] = {};
  for (const name of req.worlds) {
    const world = makeWorld(name, req);
    worlds.set(name, world);
    for (const fe of world.frontEnds.values()) await fe.start();
    baseUrls[name] = {} as SimInfo['baseUrls'][string];
    for (const [fe, sim] of world.frontEnds) baseUrls[name][fe] = Object.fromEntries(PROVIDER_IDS.map(id => [id, sim.baseUrl(id)])) as Record<ProviderId, string>;
  }
  const origin = (clock as unknown as { origin: number }).origin;
  return { origin, timeScale: req.timeScale, baseUrls };
}

const sim = <T>(world: World, id: ProviderId): T => world.providers.get(id) as T;

function setupAccounts(world: World): void {
  const tl = sim<TalonicSim>(world, 'talonic');
  tl.options.dailyBudget = 10_000; // documented default; the workload stays well inside it
  world.talonicSpecs = [
    tl.addSpec({
      name: 'Invoices',
      rail: [
        documentPhase('transfer', 'Transfer', 'transfer', 5_000),
        documentPhase('extraction', 'Extraction', 'extraction', 40_000),
        documentPhase('resolution', 'Resolution', 'resolution', 20_000),
        documentPhase('validation', 'Validation', 'validation', 10_000),
        assemblyPhase(20_000),
      ],
    }),
    tl.addSpec({
      name: 'Contracts',
      rail: [
        documentPhase('extraction', 'Extraction', 'extraction', 60_000),
        documentPhase('resolution:vendors', 'Resolution: Vendors', 'resolution', 20_000),
        documentPhase('validation:dates', 'Validation: Dates', 'validation', 15_000),
        assemblyPhase(30_000),
      ],
    }),
  ];
  const ad = sim<AdlyseSim>(world, 'adlyse');
  world.adlyseWorkflows = ['Lead enrichment', 'Competitor ad scan', 'Creative check'].map(name =>
    ad.addWorkflow({ name, input_schema: { type: 'object', properties: {} }, output_schema: null, durationMs: 5_000 }),
  );
}

// ---- preparing a run: the script the next start on that provider follows ----

function prepare(req: PrepareRequest): PrepareResult {
  const world = worlds.get(req.world)!;
  switch (req.provider) {
    case 'boringMarketing': {
      const bm = sim<BoringMarketingSim>(world, 'boringMarketing');
      // One brand per run: the API allows one active run per brand (409), and that is not what is measured.
      const brand = bm.addBrand({ domain: `bench-${req.n}.example` });
      bm.scriptNextRun(brand.id, req.script as BmRunScript);
      return { accountId: brand.id, accountLabel: brand.domain };
    }
    case 'gloriaMundo': {
      const id = `wf_bench_${req.n}`;
      sim<GloriaMundoSim>(world, 'gloriaMundo').addWorkflow(id, req.script as GmWorkflowSpec);
      return { accountId: id, accountLabel: (req.script as GmWorkflowSpec).name };
    }
    case 'automindz':
      sim<AutomindzSim>(world, 'automindz').scriptNextRun(req.script as AmzRunScript);
      return { accountId: 'leavers', accountLabel: 'Find leavers' };
    case 'talonic': {
      const { spec, plan } = req.script as { spec: number; plan: TalonicPipelinePlan };
      sim<TalonicSim>(world, 'talonic').options.plan = plan;
      const schemaId = world.talonicSpecs[spec % world.talonicSpecs.length].schemaId!;
      return { accountId: schemaId, accountLabel: `spec ${spec}` };
    }
    case 'adlyse': {
      const { workflow, ...script } = req.script as AdlyseRunScript & { workflow: number };
      sim<AdlyseSim>(world, 'adlyse').scriptNextRun(script);
      const w = world.adlyseWorkflows[workflow % world.adlyseWorkflows.length];
      return { accountId: w.id, accountLabel: w.id };
    }
    default:
      throw new Error(`"${req.provider}" is not a built-in provider`);
  }
}

// ---- the lifecycle oracle ----

/** Runs `fn` with the provider's clock reading `t` (the simulators compute every answer from their clock). */
function at<T>(provider: { clock: SimClock }, t: number, fn: () => T): T {
  const real = provider.clock;
  const frozen = { scale: real.scale, now: () => t, iso: (ms = t) => new Date(ms).toISOString(), advance() {} } as unknown as SimClock;
  (provider as { clock: SimClock }).clock = frozen;
  try {
    return fn();
  } finally {
    (provider as { clock: SimClock }).clock = real;
  }
}

interface Lifecycle {
  createdAt: number;
  /** Position of the run in its lifecycle at simulated time t: 0 queued, 1.. stages/steps/documents, TERMINAL_ORD finished. */
  ordAt(t: number): number;
  /** The same position read from what Runwatch's model showed. */
  observedOrd(o: Observation): number | undefined;
}

function lifecycle(world: World, provider: ProviderId, runId: string): Lifecycle | undefined {
  switch (provider) {
    case 'boringMarketing': {
      const bm = sim<BoringMarketingSim>(world, 'boringMarketing');
      const run = bm.runs.get(runId);
      if (!run) return undefined;
      const stateAt = (t: number) => (bm as unknown as { stateAt(r: unknown, t: number): { status: string; stageIndex: number } }).stateAt(run, t);
      return {
        createdAt: run.createdAt,
        ordAt: t => {
          const s = stateAt(t);
          return s.status === 'queued' ? 0 : s.status === 'running' ? 1 + s.stageIndex : TERMINAL_ORD;
        },
        observedOrd: o => {
          if (o.terminal) return TERMINAL_ORD;
          if (o.status === 'queued') return 0;
          const i = run.plan.findIndex(p => p.name === o.stage);
          return i >= 0 ? 1 + i : undefined;
        },
      };
    }
    case 'gloriaMundo': {
      const gm = sim<GloriaMundoSim>(world, 'gloriaMundo');
      const run = (gm as unknown as { runs: Map<string, { createdAt: number }> }).runs.get(runId);
      if (!run) return undefined;
      const body = (t: number) => at(gm, t, () => (gm as unknown as { statusBody(r: unknown): { status: string; progress: { current_step: number } } }).statusBody(run));
      const ord = (status: string, step: number | undefined) => (status === 'queued' ? 0 : status === 'running' ? 1 + (step ?? 0) : TERMINAL_ORD);
      return {
        createdAt: run.createdAt,
        ordAt: t => {
          const b = body(t);
          return ord(b.status, b.progress.current_step);
        },
        observedOrd: o => (o.terminal ? TERMINAL_ORD : ord(o.rawStatus, typeof o.step === 'number' ? o.step : undefined)),
      };
    }
    case 'automindz': {
      const amz = sim<AutomindzSim>(world, 'automindz');
      const run = (amz as unknown as { runs: Map<string, { createdAt: number }> }).runs.get(runId);
      if (!run) return undefined;
      const ord = (status: string) => (status === 'QUEUED' || status === 'queued' ? 0 : status === 'RUNNING' || status === 'running' ? 1 : TERMINAL_ORD);
      return {
        createdAt: run.createdAt,
        ordAt: t => ord(at(amz, t, () => (amz as unknown as { runBody(r: unknown): { status: string } }).runBody(run)).status),
        observedOrd: o => (o.terminal ? TERMINAL_ORD : ord(o.status)),
      };
    }
    case 'talonic': {
      const tl = sim<TalonicSim>(world, 'talonic');
      const pipeline = tl.pipelines.find(p => p.id === runId);
      if (!pipeline) return undefined;
      return {
        createdAt: pipeline.createdAt,
        ordAt: t => {
          const p = at(tl, t, () => tl.progressJson(pipeline)) as {
            totalDocuments: number;
            completedDocuments: number;
            errorDocuments: number;
            phases: { scope?: string; status?: string | null }[];
          };
          const done = p.completedDocuments + p.errorDocuments;
          const scopedDone = p.phases.filter(ph => ph.scope === 'pipeline').every(ph => ph.status === 'completed' || ph.status === 'failed' || ph.status === 'skipped');
          return done >= p.totalDocuments && scopedDone ? TERMINAL_ORD : done;
        },
        observedOrd: o => (o.terminal ? TERMINAL_ORD : typeof o.step === 'number' ? o.step : undefined),
      };
    }
    case 'adlyse': {
      const ad = sim<AdlyseSim>(world, 'adlyse');
      const run = (ad as unknown as { runs: Map<string, { createdAt: number }> }).runs.get(runId);
      if (!run) return undefined;
      const statusOf = (t: number) => (ad as unknown as { statusOf(r: unknown, t: number): string }).statusOf(run, t);
      const ord = (s: string) => (s === 'pending' || s === 'queued' ? 0 : s === 'running' ? 1 : TERMINAL_ORD);
      return {
        createdAt: run.createdAt,
        ordAt: t => ord(statusOf(t)),
        observedOrd: o => (o.terminal ? TERMINAL_ORD : ord(o.status === 'queued' ? 'pending' : o.status)),
      };
    }
  }
}

/** First integer time in [lo, hi] where pred holds, given pred(hi) holds and pred is monotone. */
function firstTime(lo: number, hi: number, pred: (t: number) => boolean): number {
  lo = Math.floor(lo);
  hi = Math.ceil(hi);
  if (pred(lo)) return lo;
  for (let i = 0; i < 64 && hi - lo > 1; i++) {
    const mid = Math.floor((lo + hi) / 2);
    if (pred(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

const DAY = 86_400_000;

function oracle({ world: name, runs }: { world: string; runs: { key: string; provider: ProviderId; runId: string; observations: Observation[] }[] }): OracleResult[] {
  const world = worlds.get(name)!;
  return runs.map(({ key, provider, runId, observations }) => {
    const life = lifecycle(world, provider, runId);
    if (!life) return { key, found: false, createdAt: 0, terminalAt: 0, milestones: [], anomalies: ['run not found in the simulator'] };
    const terminalAt = firstTime(life.createdAt, life.createdAt + 2 * DAY, t => life.ordAt(t) >= TERMINAL_ORD);
    const anomalies: string[] = [];
    const milestones: OracleResult['milestones'] = [];
    let last: number | undefined;
    for (const o of observations) {
      const ord = life.observedOrd(o);
      if (ord === undefined) {
        anomalies.push(`unreadable observation ${JSON.stringify(o)}`);
        continue;
      }
      const truth = life.ordAt(o.t);
      if (ord > truth) anomalies.push(`model ahead of the simulator at ${o.t}: ${ord} > ${truth}`);
      if (last === undefined) {
        last = ord;
        continue;
      }
      if (ord < last) {
        anomalies.push(`model went back from ${last} to ${ord}`);
        continue;
      }
      // Every change the simulator went through since the last state seen, including ones the model skipped
      // (two stages inside one interval): each was "seen" when the model first showed it or a later state.
      let m = last + 1;
      for (let guard = 0; m <= ord && guard < 10_000; guard++) {
        const tChange = firstTime(life.createdAt, o.t, t => life.ordAt(t) >= m);
        const reached = life.ordAt(tChange);
        milestones.push({ ord: Math.min(reached, ord), tChange, tSeen: o.t });
        m = reached + 1;
      }
      last = ord;
    }
    if (last !== TERMINAL_ORD) anomalies.push(`model never showed the run finished (last ${last})`);
    return { key, found: true, createdAt: life.createdAt, terminalAt, milestones, anomalies };
  });
}

function logs(name: string): Record<FrontEnd, LoggedRequest[]> {
  const out = {} as Record<FrontEnd, LoggedRequest[]>;
  for (const [fe, simulator] of worlds.get(name)!.frontEnds) {
    out[fe] = simulator.requests.map(({ time, provider, method, path, status, fault, tool, receivedAt, retryAfter, timedOut }) => ({ time, provider, method, path, status, fault, tool, receivedAt, retryAfter, timedOut }));
  }
  return out;
}

async function stop(): Promise<void> {
  for (const world of worlds.values()) for (const fe of world.frontEnds.values()) await fe.stop();
}

// ---- the soak (soak.ts): chaos, runs made outside Runwatch, the simulator's truth ----

function soakSetup(world: World): SoakSetup {
  // The providers' own limits answer with Retry-After in simulated seconds. ScaledProvider scales it for status
  // polls, but starts and lists go to the adapter unwrapped, where the engine rightly reads it as real seconds:
  // at 60× a 30 s wait is half a simulated hour. The soak's chaos plays 429s itself (Retry-After: 1), so these
  // are lifted; GloriaMundo's poll budget stays, with room for the engine's own budgeting.
  const amz = sim<AutomindzSim>(world, 'automindz');
  amz.concurrentRuns = 10_000;
  amz.requestsPerMinute = 1_000_000;
  sim<GloriaMundoSim>(world, 'gloriaMundo').rateLimits = { windowMs: 60_000, statusPolls: 120, executes: 1_000_000 };
  const ad = sim<AdlyseSim>(world, 'adlyse');
  // Its Adlyse workflows take a tag, so each start's run can be told apart by what it carried.
  const soakWorkflows = ['Soak enrichment', 'Soak scan', 'Soak check'].map(name =>
    ad.addWorkflow({ name, input_schema: { type: 'object', properties: { soak_tag: { type: 'string', title: 'Soak tag' } } }, output_schema: null, durationMs: 5_000 }),
  );
  return { adlyseWorkflows: soakWorkflows.map(w => w.id) };
}

/** A run started outside Runwatch (another tool, the provider's dashboard), for the soak to track by id. */
function createOutside(req: CreateRequest): CreateResult {
  const world = worlds.get(req.world)!;
  const now = clock!.now();
  switch (req.provider) {
    case 'boringMarketing': {
      const bm = sim<BoringMarketingSim>(world, 'boringMarketing');
      const brand = bm.addBrand({ domain: `outside-${req.n}.example` });
      const run = bm.addRun(brand.id, { kind: 'scoring', status: 'queued', queuedMs: 5_000, durationMs: req.durationMs });
      return { accountId: brand.id, runId: run.id };
    }
    case 'gloriaMundo': {
      const gm = sim<GloriaMundoSim>(world, 'gloriaMundo');
      const id = `wf_outside_${req.n}`;
      gm.addWorkflow(id, { name: `Outside ${req.n}`, steps: ['Fetch', 'Summarize', 'Send'], durations: Math.round(req.durationMs / 3) });
      return { accountId: id, runId: gm.startRun(id, { outside: req.n }) };
    }
    case 'automindz':
      return { accountId: 'leavers', runId: sim<AutomindzSim>(world, 'automindz').createRun({ orgName: `outside-${req.n}`, durationMs: req.durationMs }) };
    case 'talonic': {
      const tl = sim<TalonicSim>(world, 'talonic');
      const spec = world.talonicSpecs[req.n % world.talonicSpecs.length] as Parameters<TalonicSim['addPipeline']>[0];
      const pipeline = tl.addPipeline(spec, { documents: 4, name: `Outside ${req.n}`, plan: { queuedMs: 5_000, staggerMs: 5_000, jitter: false, failures: [] } });
      return { accountId: spec.schemaId!, runId: pipeline.id };
    }
    case 'adlyse': {
      const ad = sim<AdlyseSim>(world, 'adlyse');
      const w = world.adlyseWorkflows[req.n % world.adlyseWorkflows.length];
      ad.scriptNextRun({ durationMs: req.durationMs });
      const run = (ad as unknown as { createRun(w: unknown, input: unknown, at: number): { run_id: string } }).createRun(w, { outside: req.n }, now);
      return { accountId: w.id, runId: run.run_id };
    }
    default:
      throw new Error(`"${req.provider}" is not a built-in provider`);
  }
}

/** The status each run has in the simulator now, in the normalized words (active while queued or running). */
function truth({ world: name, runs }: { world: string; runs: { provider: ProviderId; runId: string }[] }): (TruthStatus | undefined)[] {
  const world = worlds.get(name)!;
  const now = clock!.now();
  const word = (raw: string | undefined): TruthStatus | undefined => {
    switch (raw?.toLowerCase()) {
      case undefined:
        return undefined;
      case 'done':
      case 'completed':
        return 'succeeded';
      case 'failed':
        return 'failed';
      case 'cancelled':
        return 'cancelled';
      default:
        return 'active';
    }
  };
  return runs.map(({ provider, runId }) => {
    switch (provider) {
      case 'boringMarketing': {
        const bm = sim<BoringMarketingSim>(world, 'boringMarketing');
        const run = bm.runs.get(runId);
        if (!run) return undefined;
        if (run.ended?.cancelled && now >= run.ended.at) return 'cancelled';
        return word((bm as unknown as { stateAt(r: unknown, t: number): { status: string } }).stateAt(run, now).status);
      }
      case 'gloriaMundo': {
        const gm = sim<GloriaMundoSim>(world, 'gloriaMundo');
        const run = (gm as unknown as { runs: Map<string, unknown> }).runs.get(runId);
        return run ? word((gm as unknown as { statusBody(r: unknown): { status: string } }).statusBody(run).status) : undefined;
      }
      case 'automindz': {
        const amz = sim<AutomindzSim>(world, 'automindz');
        const run = (amz as unknown as { runs: Map<string, unknown> }).runs.get(runId);
        return run ? word((amz as unknown as { runBody(r: unknown): { status: string } }).runBody(run).status) : undefined;
      }
      case 'talonic': {
        const tl = sim<TalonicSim>(world, 'talonic');
        const pipeline = tl.pipelines.find(p => p.id === runId);
        if (!pipeline) return undefined;
        // Talonic documents only `active`; the simulator's settled reading is the outcome the counts describe.
        const played = tl.options.statusMode;
        tl.options.statusMode = 'settles';
        try {
          return word((tl as unknown as { pipelineStatus(p: unknown, t: number): string }).pipelineStatus(pipeline, now));
        } finally {
          tl.options.statusMode = played;
        }
      }
      case 'adlyse': {
        const ad = sim<AdlyseSim>(world, 'adlyse');
        const run = (ad as unknown as { runs: Map<string, unknown> }).runs.get(runId);
        return run ? word((ad as unknown as { statusOf(r: unknown, t: number): string }).statusOf(run, now)) : undefined;
      }
    }
  });
}

/** Requests and faults per front-end and provider, counted here: the logs stay in this process. */
function soakStats(world: World): SoakStats {
  const out: SoakStats = { requests: {}, faults: {}, chaos: {} };
  for (const [name, fe] of world.frontEnds) {
    for (const r of fe.requests) {
      const key = `${name}:${r.provider}`;
      out.requests[key] = (out.requests[key] ?? 0) + 1;
      if (r.fault) {
        const cls = r.faultClass ?? 'scripted';
        out.faults[cls] = (out.faults[cls] ?? 0) + 1;
      }
    }
    if (fe.chaos) for (const [cls, n] of Object.entries(fe.chaos.counts)) out.chaos[cls] = (out.chaos[cls] ?? 0) + n;
  }
  return out;
}

type Message = { id: number; op: string; arg?: unknown };

process.on('message', (msg: Message) => {
  void (async () => {
    try {
      let result: unknown;
      switch (msg.op) {
        case 'init':
          result = await init(msg.arg as InitRequest);
          break;
        case 'prepare':
          result = prepare(msg.arg as PrepareRequest);
          break;
        case 'fault': {
          const { world: name, fault, tag } = msg.arg as { world: string; fault: Fault; tag?: string };
          const world = worlds.get(name)!;
          world.frontEnds.get('A')!.addFault(fault);
          // addFault copies it into the list A and B share: remember the copy, to lift a timed fault later.
          if (tag) taggedFaults.set(`${name}/${tag}`, { world, fault: (world.frontEnds.get('A') as unknown as { faults: Fault[] }).faults.at(-1)! });
          break;
        }
        case 'liftFault': {
          const { world: name, tag } = msg.arg as { world: string; tag: string };
          const tagged = taggedFaults.get(`${name}/${tag}`);
          if (tagged) {
            const list = (tagged.world.frontEnds.get('A') as unknown as { faults: Fault[] }).faults;
            const i = list.indexOf(tagged.fault);
            if (i >= 0) list.splice(i, 1); // in place: the list is shared
            taggedFaults.delete(`${name}/${tag}`);
          }
          break;
        }
        case 'logs':
          result = logs(msg.arg as string);
          break;
        case 'connections':
          result = Object.fromEntries([...worlds.get(msg.arg as string)!.frontEnds].map(([fe, s]) => [fe, s.connectionsOpened]));
          break;
        case 'oracle':
          result = oracle(msg.arg as Parameters<typeof oracle>[0]);
          break;
        case 'soakSetup':
          result = soakSetup(worlds.get(msg.arg as string)!);
          break;
        case 'chaos': {
          const { world: name, frontEnds: names, options } = msg.arg as { world: string; frontEnds: FrontEnd[]; options: ChaosOptions | undefined };
          const world = worlds.get(name)!;
          for (const fe of names) world.frontEnds.get(fe)!.setChaos(options && { ...options, seed: subSeed(options.seed ?? 1, `${name}/${fe}`) });
          break;
        }
        case 'expireSessions':
          sim<AdlyseSim>(worlds.get(msg.arg as string)!, 'adlyse').expireSessions();
          break;
        case 'createOutside':
          result = createOutside(msg.arg as CreateRequest);
          break;
        case 'accepted':
          // Every front-end serves the same providers: any one's list is the world's.
          result = worlds.get(msg.arg as string)!.frontEnds.get('S')!.acceptedStarts() satisfies AcceptedStart[];
          break;
        case 'truth':
          result = truth(msg.arg as Parameters<typeof truth>[0]);
          break;
        case 'soakStats':
          result = soakStats(worlds.get(msg.arg as string)!);
          break;
        case 'stop':
          await stop();
          break;
        default:
          throw new Error(`unknown op ${msg.op}`);
      }
      process.send!({ id: msg.id, ok: true, result });
      if (msg.op === 'stop') process.exit(0);
    } catch (e) {
      process.send!({ id: msg.id, ok: false, error: (e as Error).stack ?? String(e) });
    }
  })();
});

// The parent going away ends the simulator too: nothing is left listening.
process.on('disconnect', () => process.exit(0));

export type { BmRunKind };
