// The benchmark's "internet": the provider simulator in a child process of its own, so that the server's
// work does not share an event loop with the Runwatch engine being measured (this machine has two cores).
//
// One set of simulated providers (one clock, one state) is served by three loopback front-ends, each with
// its own request log: A and B are the two "windows'" polling adapters, S is where runs are started. So a
// log tells exactly which client made which request, and starting runs never counts as polling.
//
// The parent drives it over IPC: prepare a run's script, inject faults, fetch the logs, and ask the
// lifecycle oracle when each state change happened (every simulated lifecycle is a pure function of time).
import { createSimulator, Simulator } from '../test/simulator';
import type { AcceptedStart, Fault, LoggedRequest, SimClock } from '../test/simulator/server';
import type { ChaosOptions } from '../test/simulator/chaos';
import type { BoringMarketingSim, BmRunKind, BmRunScript } from '../test/simulator/boringMarketing';
import type { GloriaMundoSim, GmWorkflowSpec } from '../test/simulator/gloriaMundo';
import type { AutomindzSim, AmzRunScript } from '../test/simulator/automindz';
import { documentPhase, assemblyPhase, type TalonicSim, type TalonicPipelinePlan } from '../test/simulator/talonic';
import type { AdlyseSim, RunScript as AdlyseRunScript } from '../test/simulator/adlyse';
import { PROVIDER_IDS, type ProviderId } from '../src/core/run';
import {
  TERMINAL_ORD,
  type CreateRequest,
  type CreateResult,
  type Observation,
  type OracleResult,
  type PrepareRequest,
  type PrepareResult,
  type SimInfo,
  type SoakSetup,
  type SoakStats,
  type TruthStatus,
} from './protocol';

type FrontEnd = 'A' | 'B' | 'S';

let main: Simulator | undefined;
const frontEnds = new Map<FrontEnd, Simulator>();
const taggedFaults = new Map<string, { fe: Simulator; fault: Fault }>();

/** A second HTTP server over the same simulated providers, with its own request log, on the main clock. */
function frontEnd(source: Simulator, timeScale: number): Simulator {
  const fe = new Simulator({ timeScale });
  // The log's times must be on the one clock every lifecycle follows.
  (fe as unknown as { clock: SimClock }).clock = source.clock;
  for (const id of PROVIDER_IDS) fe.register(source.provider(id));
  return fe;
}

async function init(timeScale: number): Promise<SimInfo> {
  main = createSimulator({ timeScale });
  frontEnds.set('A', frontEnd(main, timeScale));
  frontEnds.set('B', frontEnd(main, timeScale));
  frontEnds.set('S', frontEnd(main, timeScale));
  for (const fe of frontEnds.values()) await fe.start();
  setupAccounts();
  const origin = (main.clock as unknown as { origin: number }).origin;
  const baseUrls = {} as SimInfo['baseUrls'];
  for (const [name, fe] of frontEnds) baseUrls[name] = Object.fromEntries(PROVIDER_IDS.map(id => [id, fe.baseUrl(id)])) as Record<ProviderId, string>;
  return { origin, timeScale, baseUrls, talonicSpecs: talonicSpecs.map(s => s.schemaId!), adlyseWorkflows: adlyseWorkflows.map(w => w.id) };
}

const sim = <T>(id: ProviderId): T => main!.provider(id) as unknown as T;

let talonicSpecs: { schemaId?: string }[] = [];
let adlyseWorkflows: { id: string }[] = [];

function setupAccounts(): void {
  const tl = sim<TalonicSim>('talonic');
  tl.options.dailyBudget = 10_000; // documented default; the workload stays well inside it
  talonicSpecs = [
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
  const ad = sim<AdlyseSim>('adlyse');
  adlyseWorkflows = ['Lead enrichment', 'Competitor ad scan', 'Creative check'].map(name =>
    ad.addWorkflow({ name, input_schema: { type: 'object', properties: {} }, output_schema: null, durationMs: 5_000 }),
  );
}

// ---- preparing a run: the script the next start on that provider follows ----

function prepare(req: PrepareRequest): PrepareResult {
  switch (req.provider) {
    case 'boringMarketing': {
      const bm = sim<BoringMarketingSim>('boringMarketing');
      // One brand per run: the API allows one active run per brand (409), and that is not what is measured.
      const brand = bm.addBrand({ domain: `bench-${req.n}.example` });
      bm.scriptNextRun(brand.id, req.script as BmRunScript);
      return { accountId: brand.id, accountLabel: brand.domain };
    }
    case 'gloriaMundo': {
      const id = `wf_bench_${req.n}`;
      sim<GloriaMundoSim>('gloriaMundo').addWorkflow(id, req.script as GmWorkflowSpec);
      return { accountId: id, accountLabel: (req.script as GmWorkflowSpec).name };
    }
    case 'automindz':
      sim<AutomindzSim>('automindz').scriptNextRun(req.script as AmzRunScript);
      return { accountId: 'leavers', accountLabel: 'Find leavers' };
    case 'talonic': {
      const { spec, plan } = req.script as { spec: number; plan: TalonicPipelinePlan };
      sim<TalonicSim>('talonic').options.plan = plan;
      const schemaId = talonicSpecs[spec % talonicSpecs.length].schemaId!;
      return { accountId: schemaId, accountLabel: `spec ${spec}` };
    }
    case 'adlyse': {
      const { workflow, ...script } = req.script as AdlyseRunScript & { workflow: number };
      sim<AdlyseSim>('adlyse').scriptNextRun(script);
      const w = adlyseWorkflows[workflow % adlyseWorkflows.length];
      return { accountId: w.id, accountLabel: w.id };
    }
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

function lifecycle(provider: ProviderId, runId: string): Lifecycle | undefined {
  switch (provider) {
    case 'boringMarketing': {
      const bm = sim<BoringMarketingSim>('boringMarketing');
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
      const gm = sim<GloriaMundoSim>('gloriaMundo');
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
      const amz = sim<AutomindzSim>('automindz');
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
      const tl = sim<TalonicSim>('talonic');
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
      const ad = sim<AdlyseSim>('adlyse');
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

function oracle(runs: { key: string; provider: ProviderId; runId: string; observations: Observation[] }[]): OracleResult[] {
  return runs.map(({ key, provider, runId, observations }) => {
    const life = lifecycle(provider, runId);
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

function logs(): Record<FrontEnd, LoggedRequest[]> {
  const out = {} as Record<FrontEnd, LoggedRequest[]>;
  for (const [name, fe] of frontEnds) out[name] = fe.requests.map(({ time, provider, method, path, status, fault, tool }) => ({ time, provider, method, path, status, fault, tool }));
  return out;
}

async function stop(): Promise<void> {
  for (const fe of frontEnds.values()) await fe.stop();
}

// ---- the soak (soak.ts): chaos, runs made outside Runwatch, the simulator's truth ----

/** The soak's Adlyse workflows take a tag, so each start's run can be told apart by what it carried. */
let soakWorkflows: { id: string }[] = [];

function soakSetup(): SoakSetup {
  // The providers' own limits answer with Retry-After in simulated seconds, which the engine rightly reads as
  // real ones: at 60× a 30 s wait is half a simulated hour. The soak's chaos plays 429s itself (Retry-After: 1),
  // so these are lifted; GloriaMundo's poll budget stays, with room for the engine's own budgeting.
  const amz = sim<AutomindzSim>('automindz');
  amz.concurrentRuns = 10_000;
  amz.requestsPerMinute = 1_000_000;
  sim<GloriaMundoSim>('gloriaMundo').rateLimits = { windowMs: 60_000, statusPolls: 120, executes: 1_000_000 };
  const ad = sim<AdlyseSim>('adlyse');
  soakWorkflows = ['Soak enrichment', 'Soak scan', 'Soak check'].map(name =>
    ad.addWorkflow({ name, input_schema: { type: 'object', properties: { soak_tag: { type: 'string', title: 'Soak tag' } } }, output_schema: null, durationMs: 5_000 }),
  );
  return { adlyseWorkflows: soakWorkflows.map(w => w.id) };
}

/** A run started outside Runwatch (another tool, the provider's dashboard), for the soak to track by id. */
function createOutside(req: CreateRequest): CreateResult {
  const now = main!.clock.now();
  switch (req.provider) {
    case 'boringMarketing': {
      const bm = sim<BoringMarketingSim>('boringMarketing');
      const brand = bm.addBrand({ domain: `outside-${req.n}.example` });
      const run = bm.addRun(brand.id, { kind: 'scoring', status: 'queued', queuedMs: 5_000, durationMs: req.durationMs });
      return { accountId: brand.id, runId: run.id };
    }
    case 'gloriaMundo': {
      const gm = sim<GloriaMundoSim>('gloriaMundo');
      const id = `wf_outside_${req.n}`;
      gm.addWorkflow(id, { name: `Outside ${req.n}`, steps: ['Fetch', 'Summarize', 'Send'], durations: Math.round(req.durationMs / 3) });
      return { accountId: id, runId: gm.startRun(id, { outside: req.n }) };
    }
    case 'automindz':
      return { accountId: 'leavers', runId: sim<AutomindzSim>('automindz').createRun({ orgName: `outside-${req.n}`, durationMs: req.durationMs }) };
    case 'talonic': {
      const tl = sim<TalonicSim>('talonic');
      const spec = talonicSpecs[req.n % talonicSpecs.length] as Parameters<TalonicSim['addPipeline']>[0];
      const pipeline = tl.addPipeline(spec, { documents: 4, name: `Outside ${req.n}`, plan: { queuedMs: 5_000, staggerMs: 5_000, jitter: false, failures: [] } });
      return { accountId: spec.schemaId!, runId: pipeline.id };
    }
    case 'adlyse': {
      const ad = sim<AdlyseSim>('adlyse');
      const w = adlyseWorkflows[req.n % adlyseWorkflows.length];
      ad.scriptNextRun({ durationMs: req.durationMs });
      const run = (ad as unknown as { createRun(w: unknown, input: unknown, at: number): { run_id: string } }).createRun(w, { outside: req.n }, now);
      return { accountId: w.id, runId: run.run_id };
    }
  }
}

/** The status each run has in the simulator now, in the normalized words (active while queued or running). */
function truth(runs: { provider: ProviderId; runId: string }[]): (TruthStatus | undefined)[] {
  const now = main!.clock.now();
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
        const bm = sim<BoringMarketingSim>('boringMarketing');
        const run = bm.runs.get(runId);
        if (!run) return undefined;
        if (run.ended?.cancelled && now >= run.ended.at) return 'cancelled';
        return word((bm as unknown as { stateAt(r: unknown, t: number): { status: string } }).stateAt(run, now).status);
      }
      case 'gloriaMundo': {
        const gm = sim<GloriaMundoSim>('gloriaMundo');
        const run = (gm as unknown as { runs: Map<string, unknown> }).runs.get(runId);
        return run ? word((gm as unknown as { statusBody(r: unknown): { status: string } }).statusBody(run).status) : undefined;
      }
      case 'automindz': {
        const amz = sim<AutomindzSim>('automindz');
        const run = (amz as unknown as { runs: Map<string, unknown> }).runs.get(runId);
        return run ? word((amz as unknown as { runBody(r: unknown): { status: string } }).runBody(run).status) : undefined;
      }
      case 'talonic': {
        const tl = sim<TalonicSim>('talonic');
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
        const ad = sim<AdlyseSim>('adlyse');
        const run = (ad as unknown as { runs: Map<string, unknown> }).runs.get(runId);
        return run ? word((ad as unknown as { statusOf(r: unknown, t: number): string }).statusOf(run, now)) : undefined;
      }
    }
  });
}

/** Requests and faults per front-end and provider, counted here: the logs stay in this process. */
function soakStats(): SoakStats {
  const out: SoakStats = { requests: {}, faults: {}, chaos: {} };
  for (const [name, fe] of frontEnds) {
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
          result = await init(msg.arg as number);
          break;
        case 'prepare':
          result = prepare(msg.arg as PrepareRequest);
          break;
        case 'fault': {
          const { frontEnd: name, fault, tag } = msg.arg as { frontEnd: FrontEnd; fault: Fault; tag?: string };
          const fe = frontEnds.get(name)!;
          fe.addFault(fault);
          // addFault copies it: remember the copy, to lift a timed fault later.
          if (tag) taggedFaults.set(tag, { fe, fault: (fe as unknown as { faults: Fault[] }).faults.at(-1)! });
          break;
        }
        case 'liftFault': {
          const tagged = taggedFaults.get(msg.arg as string);
          if (tagged) {
            const holder = tagged.fe as unknown as { faults: Fault[] };
            holder.faults = holder.faults.filter(f => f !== tagged.fault);
            taggedFaults.delete(msg.arg as string);
          }
          break;
        }
        case 'logs':
          result = logs();
          break;
        case 'soakSetup':
          result = soakSetup();
          break;
        case 'chaos': {
          const { frontEnds: names, options } = msg.arg as { frontEnds: FrontEnd[]; options: ChaosOptions | undefined };
          names.forEach((name, i) => frontEnds.get(name)!.setChaos(options && { ...options, seed: (options.seed ?? 1) + i }));
          break;
        }
        case 'expireSessions':
          sim<AdlyseSim>('adlyse').expireSessions();
          break;
        case 'createOutside':
          result = createOutside(msg.arg as CreateRequest);
          break;
        case 'accepted':
          result = main!.acceptedStarts() satisfies AcceptedStart[];
          break;
        case 'truth':
          result = truth(msg.arg as { provider: ProviderId; runId: string }[]);
          break;
        case 'soakStats':
          result = soakStats();
          break;
        case 'oracle':
          result = oracle(msg.arg as Parameters<typeof oracle>[0]);
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
