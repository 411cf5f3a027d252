// npm run soak: the real RunwatchService under chaos, with figures. Not a test: it measures, prints what it
// measured next to the targets, writes bench/results/soak-latest.json and exits 0 whether targets are met or not.
//
// Two windows of the real service (createRunwatchService, the real adapters and HTTP client, one lease folder)
// run 1,000+ runs across the five providers against the simulator (bench/simHost.ts, a child process) in chaos
// mode, over loopback HTTP, on simulated time S× faster than real time (as `npm run bench` runs it):
//   - runs are started through the service's startRun (some double-clicked), some made outside and tracked by id;
//   - the simulator answers a share of requests with faults (test/simulator/chaos.ts): 429 and 5xx, timeouts and
//     resets, lost answers to starts it carried out, HTML 502 pages, truncated JSON, wrong types, unknown
//     statuses, 10 MB bodies, slow-loris answers, MCP streams cut mid-event; plus 429 bursts and 5xx storms,
//     and Adlyse's MCP sessions expiring;
//   - the shared state file is overwritten with garbage, then with a snapshot holding a bad entry; the second
//     window starts from the 0.1 state format (a bare array of tracked runs).
// Then chaos stops, and after a quiet period the stores are compared with the simulator's truth, and each
// start the simulator accepted (its own log) with what the caller was told.
//
// Options (env): SOAK_TIME_SCALE (default 60), SOAK_SEEDS (workload copies, default 6), SOAK_WINDOW_MINUTES
// (simulated minutes over which runs start, default 110).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KeyVault, RunwatchService, SchedulerOptions } from '../src/core/contracts';
import { validateBaseUrl, type Logger } from '../src/core/http';
import { STATE_FILE } from '../src/core/sharedState';
import { isTerminal, runKey, type ProviderId, type RunStatus } from '../src/core/run';
import { BUILTIN_PROVIDER_IDS as PROVIDER_IDS } from '../src/providers';
import { createRunwatchService } from '../src/core/service';
import { createDefaultServiceDeps } from '../src/serviceDeps';
import { isStartInDoubt } from '../src/core/starts';
import { MemoryStorage } from '../src/core/store';
import type { Account, PipelineKind } from '../src/providers/provider';
import type { ChaosRule } from '../test/simulator/chaos';
import { SIM_KEYS } from '../test/simulator/keys';
import type { AcceptedStart, Fault } from '../test/simulator/server';
import { SimProcess } from './polling';
import type { CreateResult, InitRequest, PrepareResult, SimInfo, SoakSetup, SoakStats, TruthStatus } from './protocol';
import { ScaledProvider, type ScaleContext } from './scaledProvider';
import { round, table } from './stats';
import { buildWorkload, type PlannedFault, type PlannedRun } from './workload';
import { provenance } from './provenance';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'bench', 'results');
const RESULT_FILE = path.join(RESULTS, 'soak-latest.json');
const MINUTE = 60_000;

const TIME_SCALE = Number(process.env.SOAK_TIME_SCALE || 60);
/** The soak's one world in the simulator process (the benchmark runs one per policy). */
const WORLD = 'soak';
/** Seeds the chaos draws (bench/random.ts: one stream per front-end, derived from it). */
const CHAOS_SEED = 7;
const SEEDS = Number(process.env.SOAK_SEEDS || 6);
const START_WINDOW_MS = Number(process.env.SOAK_WINDOW_MINUTES || 110) * MINUTE;
/** Real ms a provider call may take (the setting's unit, unscaled): hung requests cost this much. */
const REQUEST_TIMEOUT_MS = 2_000;
/** Real ms to wait for the simulator's runs to finish after the last start, and for the stores to converge. */
const FINISH_MAX_MS = 60_000;
const QUIET_MAX_MS = 30_000;

const TARGETS = { diverged: 0, duplicateStarts: 0, lostStarts: 0, unhandledRejections: 0 };

const SCHEDULER_OPTIONS: SchedulerOptions = {
  whenUnfocused: 'normal',
  unfocusedFactor: 1,
  maxConcurrentPerProvider: 4, // the setting's default
  stuckAfterMs: 0, // stuck detection compares wall-clock ages: meaningless on a scaled clock
  minIntervalMs: {},
};

// ---- what happened to the process ----

const processTrouble = { unhandledRejections: 0, uncaughtExceptions: 0, samples: [] as string[] };
const note = (what: string, e: unknown) => {
  if (processTrouble.samples.length < 10) processTrouble.samples.push(`${what}: ${(e as Error)?.stack?.split('\n').slice(0, 3).join(' | ') ?? String(e)}`);
};
process.on('unhandledRejection', e => {
  processTrouble.unhandledRejections++;
  note('unhandledRejection', e);
});
// An exception thrown from a timer or an fs.watch callback would end a real extension host's work the same
// way; here it is counted and the soak carries on.
process.on('uncaughtException', e => {
  processTrouble.uncaughtExceptions++;
  note('uncaughtException', e);
});

class CountingLogger implements Logger {
  readonly counts = { trace: 0, debug: 0, info: 0, warn: 0, error: 0 };
  readonly samples: string[] = [];
  trace() {
    this.counts.trace++;
  }
  debug() {
    this.counts.debug++;
  }
  info() {
    this.counts.info++;
  }
  warn(message: string) {
    this.counts.warn++;
    this.keep(message);
  }
  error(message: string) {
    this.counts.error++;
    this.keep(message);
  }
  private keep(message: string) {
    if (this.samples.length < 40 && !this.samples.includes(message)) this.samples.push(message);
  }
}

class SimVault implements KeyVault {
  async getKey(id: ProviderId) {
    return SIM_KEYS[id];
  }
  async getSecret() {
    return 'soak-third-party-secret';
  }
  hasKey() {
    return true;
  }
}

// ---- the workload ----

type Mode = 'start' | 'doubleClick' | 'outside';

interface Intent {
  n: number;
  plan: PlannedRun;
  mode: Mode;
  window: 'A' | 'B';
  /** What tells this intent's runs apart in the simulator's start log. */
  tag: string;
  accountId?: string;
  calls: CallOutcome[];
  /** outside: the run made in the simulator, and whether tracking it by id succeeded. */
  outsideRunId?: string;
  tracked?: boolean;
  /** Why nothing was started (kinds could not be read). */
  skipped?: string;
}

interface CallOutcome {
  ok: boolean;
  runId?: string;
  adopted?: boolean;
  errorKind?: string;
  message?: string;
  /** The caller was told the start may have happened (a distinct kind or flag on the error or result). */
  inDoubt?: boolean;
}

/**
 * The bench's seeded workload, several times over (different seeds), spread over a longer window. Two thirds
 * of the 15–30 min Boring Marketing analyses are left out: they would make most of the requests.
 */
function buildIntents(): Intent[] {
  const plans: PlannedRun[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const runs = buildWorkload({ startWindowMs: START_WINDOW_MS, seed: 20261122 + seed });
    let full = 0;
    plans.push(...runs.filter(r => !(r.provider === 'boringMarketing' && r.label === 'full' && full++ % 3 !== 0)));
  }
  plans.sort((a, b) => a.startAt - b.startAt);
  return plans.map((plan, i) => {
    const n = i + 1;
    // Every 15th is double-clicked, every 20th started elsewhere and tracked by id; every 6th from window B.
    const mode: Mode = n % 20 === 0 ? 'outside' : n % 15 === 0 ? 'doubleClick' : 'start';
    return { n, plan: { ...plan, n }, mode, window: n % 6 === 0 ? 'B' : 'A', tag: `soak-${n}`, calls: [] };
  });
}

/** The start input, with the intent's tag where the provider keeps something of it. */
function inputFor(intent: Intent): Record<string, unknown> {
  const { plan, tag } = intent;
  switch (plan.provider) {
    case 'boringMarketing':
      return plan.input; // one brand per intent: the brand is the tag
    case 'gloriaMundo':
      return { input: { ...(plan.input.input as object), soak_tag: tag } };
    case 'automindz':
      return { ...plan.input, org_name: tag };
    case 'talonic':
      return { ...plan.input, name: tag };
    case 'adlyse':
      return { soak_tag: tag };
    default:
      throw new Error(`"${plan.provider}" is not a built-in provider`);
  }
}

/** The intent an accepted start belongs to: by its brand or workflow where those are per intent, else by the tag it carried. */
function tagOf(start: AcceptedStart): string | undefined {
  const input = (start.input ?? {}) as Record<string, unknown>;
  switch (start.provider) {
    case 'boringMarketing':
    case 'gloriaMundo':
      return `account:${start.accountId}`;
    case 'automindz':
      return typeof input.org_name === 'string' ? input.org_name : undefined;
    case 'talonic':
      return typeof input.name === 'string' ? input.name : undefined;
    case 'adlyse':
      return typeof input.soak_tag === 'string' ? input.soak_tag : undefined;
  }
}

const MESSAGE_SAYS_MAYBE = /may have (been )?start|might have (been )?start|may already be running|not sure .* started/i;

// ---- chaos ----

const START_PATHS: Record<Exclude<ProviderId, 'adlyse'>, string> = {
  boringMarketing: '^/brands/[^/]+/(analyze|discover|discover-competitors|enrich/[a-z]+|synthesize|score|brief|execute)$',
  gloriaMundo: '^/workflows/[^/]+/execute$',
  automindz: 'hiring-signals/leavers$',
  talonic: '^/v1/pipelines$',
};

/** Chaos on start requests, per provider: the answer lost after the run was created, and failures before it was. */
function startRules(): ChaosRule[] {
  const rules: ChaosRule[] = [];
  for (const provider of PROVIDER_IDS) {
    const where: Partial<Fault> =
      provider === 'adlyse' ? { provider, method: 'POST', tool: 'run_workflow' } : { provider, method: 'POST', path: START_PATHS[provider] };
    rules.push(
      { name: 'start: created, answer lost (timeout)', ...where, afterProvider: true, hang: true, probability: 0.03 },
      { name: 'start: created, connection reset', ...where, afterProvider: true, reset: true, probability: 0.025 },
      { name: 'start: created, then HTML 502', ...where, afterProvider: true, status: 502, html: true, probability: 0.02 },
      { name: 'start: created, slow-loris answer', ...where, trickle: { bytes: 4, everyMs: 300 }, probability: 0.015 },
      { name: 'start: timeout (not created)', ...where, hang: true, probability: 0.015 },
      { name: 'start: reset (not created)', ...where, reset: true, probability: 0.015 },
      { name: 'start: 429 Retry-After', ...where, status: 429, headers: { 'retry-after': '1' }, body: { detail: 'Too many requests' }, probability: 0.02 },
      { name: 'start: 503', ...where, status: 503, body: { detail: 'Service unavailable' }, probability: 0.015 },
    );
    if (provider === 'adlyse') rules.push({ name: 'start: created, SSE cut mid-event', ...where, cut: true, probability: 0.04 });
  }
  return rules;
}

/** Chaos on every request (polls above all). Adlyse's rules name POST: its GET is a long-lived stream. */
function requestRules(): ChaosRule[] {
  const on = (provider?: ProviderId): Partial<Fault> => (provider === 'adlyse' ? { provider, method: 'POST' } : provider ? { provider } : {});
  const rest = PROVIDER_IDS.filter(p => p !== 'adlyse');
  return [
    { name: 'timeout', hang: true, probability: 0.004 },
    { name: 'connection reset', reset: true, probability: 0.004 },
    { name: '429 Retry-After', status: 429, headers: { 'retry-after': '1' }, body: { detail: 'Too many requests' }, probability: 0.003 },
    { name: '5xx', status: 503, body: { detail: 'Service unavailable' }, probability: 0.004 },
    { name: 'HTML 502 page', status: 502, html: true, probability: 0.004 },
    ...rest.map(p => ({ name: 'truncated JSON', ...on(p), rewrite: 'truncate' as const, probability: 0.004 })),
    { name: 'truncated MCP answer', ...on('adlyse'), rewrite: 'truncate', probability: 0.004 },
    { name: 'wrong types', ...on(), rewrite: 'wrongTypes', probability: 0.004 },
    { name: 'unknown status', ...on(), rewrite: 'unknownStatus', probability: 0.005 },
    ...rest.map(p => ({ name: '10 MB body', ...on(p), hugeBytes: 10 * 1024 * 1024, probability: 0.0008, max: 3 })),
    { name: 'MCP 10 MB tool result', provider: 'adlyse', method: 'POST', tool: 'get_run_status', rewrite: 'inflate', inflateBytes: 10 * 1024 * 1024, probability: 0.003, max: 2 },
    { name: 'slow-loris (past the timeout)', ...on(), trickle: { bytes: 8, everyMs: 250 }, probability: 0.003 },
    { name: 'slow-loris (in time)', ...on(), trickle: { bytes: 128, everyMs: 100 }, probability: 0.003 },
    { name: 'SSE stream cut mid-event', ...on('adlyse'), cut: true, probability: 0.008 },
  ];
}

/** 429 bursts with Retry-After and 5xx storms, one provider at a time, on every request of that provider. */
function storms(): PlannedFault[] {
  const out: PlannedFault[] = [];
  const count = 10;
  for (let k = 0; k < count; k++) {
    const provider = PROVIDER_IDS[k % PROVIDER_IDS.length];
    const at = Math.round(((k + 0.5) / count) * START_WINDOW_MS);
    const method = provider === 'adlyse' ? 'POST' : undefined;
    if (k % 2 === 0) {
      const fault = { name: '429 burst', provider, method, status: 429, headers: { 'retry-after': '1' }, body: { detail: 'Rate limit exceeded' }, times: 8 };
      out.push({ at, what: `${provider}: 8 × 429 with Retry-After: 1`, faults: [fault] });
    } else {
      out.push({ at, durationMs: 2 * MINUTE, what: `${provider}: 5xx storm, 2 min of 503`, faults: [{ name: '5xx storm', provider, method, status: 503, times: 1_000_000 } as Fault] });
      out.push({ at: at + 2 * MINUTE, durationMs: MINUTE, what: `${provider}: then 1 min of 502 (HTML)`, faults: [{ name: '5xx storm', provider, method, status: 502, html: true, times: 1_000_000 } as Fault] });
    }
  }
  return out;
}

// ---- helpers ----

const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, Math.max(0, ms)));
const MB = 1024 * 1024;
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const heapMB = () => round(process.memoryUsage().heapUsed / MB, 1);

/** Where a run's status stands against the simulator's: queued, running and unknown are all 'active'. */
function classOf(status: RunStatus | undefined): TruthStatus | 'missing' {
  if (!status) return 'missing';
  return isTerminal(status) ? (status as TruthStatus) : 'active';
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

// ---- the soak ----

async function main(): Promise<void> {
  const wallStart = Date.now();
  const S = TIME_SCALE;
  if (!(S >= 1 && S <= 600)) throw new Error('SOAK_TIME_SCALE must be between 1 and 600');
  const git = provenance(ROOT);
  const intents = buildIntents();
  log(`Runwatch soak: ${intents.length} start intents over ${START_WINDOW_MS / MINUTE} simulated minutes, time scale ${S} (${round(START_WINDOW_MS / S / 1000, 0)} s real), chaos on`);

  const simProcess = new SimProcess();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runwatch-soak-'));
  const windows: RunwatchService[] = [];
  const loggers = { A: new CountingLogger(), B: new CountingLogger() };
  let peakMB = 0;
  const sampler = setInterval(() => (peakMB = Math.max(peakMB, heapMB())), 100);
  try {
    // No injected latency or timeouts: the chaos rules play the network's faults.
    const init: InitRequest = { timeScale: S, worlds: [WORLD], seed: CHAOS_SEED, latencyMs: [0, 0], timeoutRate: 0 };
    const info = await simProcess.call<SimInfo>('init', init);
    const setup = await simProcess.call<SoakSetup>('soakSetup', WORLD);
    const simNow = () => info.origin + (Date.now() - info.origin) * S;
    const scale: ScaleContext = { scale: S, simNow, createdAtSim: new Map() };
    const vault = new SimVault();

    const makeWindow = (name: 'A' | 'B', storage: MemoryStorage) =>
      createRunwatchService({
        storage,
        keys: vault,
        baseUrl: id => validateBaseUrl(info.baseUrls[WORLD][name][id]),
        log: loggers[name],
        scheduler: SCHEDULER_OPTIONS,
        sharedDir: dir,
        timeoutMs: REQUEST_TIMEOUT_MS,
        timeScale: S,
        wrapProvider: provider => new ScaledProvider(provider, name, scale, false),
      }, createDefaultServiceDeps());

    gc();
    const heapStartMB = heapMB();
    peakMB = heapStartMB;
    const A = makeWindow('A', new MemoryStorage());
    windows.push(A);
    let B: RunwatchService | undefined;

    // Chaos on both windows' front-ends (B only starts runs: it follows).
    await simProcess.call('chaos', { world: WORLD, frontEnds: ['A', 'B'], options: { rules: [...startRules(), ...requestRules()], seed: CHAOS_SEED } });

    const kindCache = new Map<string, Promise<PipelineKind | undefined>>();
    const kindFor = (svc: RunwatchService, provider: ProviderId, account: Account, kindId: string): Promise<PipelineKind | undefined> => {
      const key = `${provider}\u0000${provider === 'adlyse' ? account.id : ''}\u0000${kindId}`;
      let found = kindCache.get(key);
      if (!found) {
        found = (async () => {
          // A user whose Start Run list did not load tries again.
          for (let attempt = 0; attempt < 6; attempt++) {
            try {
              return (await svc.kinds(provider, account)).find(k => k.id === kindId);
            } catch {
              await sleep(500);
            }
          }
          return undefined;
        })();
        kindCache.set(key, found);
        void found.then(k => k ?? kindCache.delete(key));
      }
      return found;
    };

    const startOne = async (svc: RunwatchService, intent: Intent, account: Account, kind: PipelineKind): Promise<CallOutcome> => {
      try {
        const result = await svc.startRun(intent.plan.provider, account, kind, inputFor(intent));
        if (result?.run?.id) {
          scale.createdAtSim.set(runKey(intent.plan.provider, result.run.id), simNow());
          return { ok: true, runId: result.run.id, adopted: !!result.adopted };
        }
        return { ok: false, errorKind: 'noRun' };
      } catch (e) {
        const err = e as { kind?: string; message?: string };
        // The engine's own signal that the start may have happened (StartInDoubtError), not a guess from the text.
        return { ok: false, errorKind: err?.kind ?? 'thrown', message: err?.message?.slice(0, 200), inDoubt: isStartInDoubt(e) };
      }
    };

    const fire = async (intent: Intent): Promise<void> => {
      const svc = intent.window === 'B' && B ? B : A;
      if (svc === A) intent.window = 'A';
      const provider = intent.plan.provider;
      if (intent.mode === 'outside') {
        const made = await simProcess.call<CreateResult>('createOutside', { world: WORLD, provider, n: intent.n, durationMs: Math.round(Math.min(intent.plan.plannedMs, 20 * MINUTE)) });
        intent.accountId = made.accountId;
        intent.outsideRunId = made.runId;
        scale.createdAtSim.set(runKey(provider, made.runId), simNow());
        for (let attempt = 0; attempt < 6 && !intent.tracked; attempt++) {
          try {
            await svc.trackRun(provider, made.accountId, made.runId);
            intent.tracked = true;
          } catch {
            await sleep(500);
          }
        }
        return;
      }
      const prepared = await simProcess.call<PrepareResult>('prepare', { world: WORLD, provider: intent.plan.provider, n: intent.n, script: intent.plan.script });
      const accountId = provider === 'adlyse' ? setup.adlyseWorkflows[intent.n % setup.adlyseWorkflows.length] : prepared.accountId;
      intent.accountId = accountId;
      if (provider === 'boringMarketing' || provider === 'gloriaMundo') intent.tag = `account:${accountId}`;
      const account: Account = { provider, id: accountId, label: prepared.accountLabel };
      const kind = await kindFor(svc, provider, account, intent.plan.kindId);
      if (!kind) {
        intent.skipped = 'the kinds could not be read';
        return;
      }
      const clicks = intent.mode === 'doubleClick' ? 2 : 1;
      intent.calls = await Promise.all(Array.from({ length: clicks }, () => startOne(svc, intent, account, kind)));
    };

    // ---- drive it ----
    const t0 = Date.now();
    const realAt = (simMs: number) => t0 + simMs / S;
    const pending: Promise<void>[] = [];
    const events: { at: number; what: string }[] = [];
    const timers: NodeJS.Timeout[] = [];
    const at = (simMs: number, fn: () => void | Promise<void>) =>
      timers.push(
        setTimeout(() => {
          const p = Promise.resolve()
            .then(fn)
            .catch(e => note('soak driver', e));
          pending.push(p);
        }, realAt(simMs) - Date.now()),
      );

    for (const intent of intents) at(intent.plan.startAt, () => fire(intent));

    let stormTag = 0;
    for (const storm of storms()) {
      at(storm.at, async () => {
        events.push({ at: Date.now() - t0, what: storm.what });
        const tags: string[] = [];
        // One fault list serves both windows' front-ends: a burst of 8 is 8, to whichever window asks.
        for (const fault of storm.faults) {
          const tag = `storm-${++stormTag}`;
          tags.push(tag);
          await simProcess.call('fault', { world: WORLD, fault, tag });
        }
        if (storm.durationMs) {
          await sleep(storm.durationMs / S);
          for (const tag of tags) await simProcess.call('liftFault', { world: WORLD, tag });
        }
      });
    }

    // Adlyse's sessions end every ~15 simulated minutes (a server restart, an idle timeout), in the middle of runs.
    for (let t = 7 * MINUTE; t < START_WINDOW_MS; t += 15 * MINUTE) {
      at(t, async () => {
        events.push({ at: Date.now() - t0, what: 'Adlyse: every MCP session expired' });
        await simProcess.call('expireSessions', WORLD);
      });
    }

    // The second window opens with the 0.1 state format in its storage: a bare array of tracked runs (A's, as they were).
    at(START_WINDOW_MS * 0.25, () => {
      const storage = new MemoryStorage();
      storage.data.set('runwatch.trackedRuns.v1', JSON.parse(JSON.stringify(A.store.all())));
      B = makeWindow('B', storage);
      windows.push(B);
      events.push({ at: Date.now() - t0, what: `window B opened on a 0.1 state (${A.store.size} runs, bare array); A polls: ${A.isPollingWindow()}, B polls: ${B.isPollingWindow()}` });
    });

    // The shared state file corrupted mid-run: garbage, then a cut-off copy, then a snapshot with one bad entry first.
    const stateFile = path.join(dir, STATE_FILE);
    const overwrite = (text: string) => {
      const tmp = `${stateFile}.soak.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, stateFile);
    };
    at(START_WINDOW_MS * 0.4, () => {
      overwrite('\u0000\u0007garbage{{{ not json');
      events.push({ at: Date.now() - t0, what: 'shared state file overwritten with garbage' });
    });
    at(START_WINDOW_MS * 0.55, () => {
      const text = fs.readFileSync(stateFile, 'utf8');
      overwrite(text.slice(0, Math.floor(text.length / 2)));
      events.push({ at: Date.now() - t0, what: 'shared state file cut in half' });
    });
    at(START_WINDOW_MS * 0.7, () => {
      const snapshot = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { writerId: string; seq: number; runs: { run: { progress?: unknown }; lastConfirmedAt?: number }[] };
      const victim = snapshot.runs.find(r => (r.run as { status?: string }).status === 'running') ?? snapshot.runs[0];
      if (!victim) return;
      const bad = JSON.parse(JSON.stringify(victim)) as typeof victim;
      bad.run.progress = { stages: 'not an array' };
      bad.lastConfirmedAt = Date.now() + 1;
      overwrite(JSON.stringify({ ...snapshot, writerId: 'soak-older-window', seq: 1, runs: [bad, ...snapshot.runs] }));
      events.push({ at: Date.now() - t0, what: `shared state file: a snapshot whose first entry has progress.stages not an array (${snapshot.runs.length} good entries after it)` });
    });

    // ---- the end: the simulator's runs finish under chaos, then chaos stops and the engine may converge ----
    await sleep(realAt(START_WINDOW_MS) - Date.now() + 50);
    for (let i = 0; i < 1000 && pending.length < timers.length; i++) await sleep(100);
    await Promise.allSettled(pending);
    const startsDone = Date.now();

    const judgedRuns = (): { provider: ProviderId; runId: string }[] => {
      const keys = new Map<string, { provider: ProviderId; runId: string }>();
      for (const intent of intents) {
        const provider = intent.plan.provider;
        for (const call of intent.calls) if (call.runId) keys.set(runKey(provider, call.runId), { provider, runId: call.runId });
        if (intent.outsideRunId && intent.tracked) keys.set(runKey(provider, intent.outsideRunId), { provider, runId: intent.outsideRunId });
      }
      return [...keys.values()];
    };
    const accepted0 = await simProcess.call<AcceptedStart[]>('accepted', WORLD);
    const allSimRuns = () => [
      ...accepted0.map(s => ({ provider: s.provider, runId: s.runId })),
      ...intents.filter(i => i.outsideRunId).map(i => ({ provider: i.plan.provider, runId: i.outsideRunId! })),
    ];
    for (const finishBy = Date.now() + FINISH_MAX_MS; Date.now() < finishBy; ) {
      const truth = await simProcess.call<(TruthStatus | undefined)[]>('truth', { world: WORLD, runs: allSimRuns() });
      if (!truth.some(t => t === 'active')) break;
      await sleep(1_000);
    }
    const simFinished = Date.now();

    await simProcess.call('chaos', { world: WORLD, frontEnds: ['A', 'B'], options: undefined });
    for (let tag = 1; tag <= stormTag; tag++) await simProcess.call('liftFault', { world: WORLD, tag: `storm-${tag}` });
    const chaosOff = Date.now();

    // Quiet period: no chaos; stop as soon as every window's store agrees with the simulator.
    const divergence = async () => {
      const runs = judgedRuns();
      const truth = await simProcess.call<(TruthStatus | undefined)[]>('truth', { world: WORLD, runs });
      const out: { key: string; provider: ProviderId; window: string; store: string; truth: string; detail: string }[] = [];
      runs.forEach((r, i) => {
        const key = runKey(r.provider, r.runId);
        const windowList: [string, RunwatchService][] = [['A', A], ...(B ? [['B', B] as [string, RunwatchService]] : [])];
        for (const [name, svc] of windowList) {
          const tracked = svc.store.get(key);
          const got = classOf(tracked?.run.status);
          const want = truth[i] ?? 'missing';
          if (got !== want) {
            const detail = tracked ? `${tracked.run.status} (raw ${JSON.stringify(tracked.run.rawStatus)})${tracked.stale ? ', stale' : ''}${tracked.gone ? ', gone' : ''}${tracked.lastError ? `, last error: ${tracked.lastError.slice(0, 120)}` : ''}` : 'not in the store';
            out.push({ key, provider: r.provider, window: name, store: got, truth: want, detail });
          }
        }
      });
      return out;
    };
    let diverging = await divergence();
    for (const quietBy = Date.now() + QUIET_MAX_MS; diverging.length && Date.now() < quietBy; ) {
      await sleep(1_000);
      diverging = await divergence();
    }
    const quietSeconds = round((Date.now() - chaosOff) / 1000, 1);

    // ---- starts, from the simulator's side ----
    const accepted = await simProcess.call<AcceptedStart[]>('accepted', WORLD);
    const byTag = new Map<string, Intent>();
    for (const intent of intents) if (intent.mode !== 'outside') byTag.set(intent.tag, intent);
    const createdBy = new Map<Intent, AcceptedStart[]>();
    const unmatched: AcceptedStart[] = [];
    for (const start of accepted) {
      const tag = tagOf(start);
      const intent = tag ? byTag.get(tag) : undefined;
      if (!intent) {
        unmatched.push(start);
        continue;
      }
      createdBy.set(intent, [...(createdBy.get(intent) ?? []), start]);
    }
    const trackedAnywhere = (key: string) => windows.some(w => !!w.store.get(key));
    const duplicates: { provider: ProviderId; mode: Mode; created: number; calls: string[] }[] = [];
    const lost: { provider: ProviderId; runId: string; mode: Mode; calls: string[] }[] = [];
    let inDoubtReported = 0;
    let inDoubtByMessageOnly = 0;
    const describe = (c: CallOutcome) => (c.ok ? `ok${c.adopted ? ' (adopted)' : ''}${c.inDoubt ? ' (in doubt)' : ''}` : `${c.errorKind}${c.inDoubt ? ' (in doubt)' : ''}: ${c.message ?? ''}`);
    for (const [intent, created] of createdBy) {
      const calls = intent.calls.map(describe);
      if (created.length > 1) duplicates.push({ provider: intent.plan.provider, mode: intent.mode, created: created.length, calls });
      const reported = intent.calls.some(c => c.inDoubt);
      for (const start of created) {
        if (trackedAnywhere(runKey(start.provider, start.runId))) continue;
        if (reported) {
          inDoubtReported++;
          continue;
        }
        if (intent.calls.some(c => !c.ok && MESSAGE_SAYS_MAYBE.test(c.message ?? ''))) inDoubtByMessageOnly++;
        lost.push({ provider: start.provider, runId: start.runId, mode: intent.mode, calls });
      }
    }
    const duplicateStarts = duplicates.reduce((a, d) => a + d.created - 1, 0);

    // ---- requests, faults, heap ----
    const stats = await simProcess.call<SoakStats>('soakStats', WORLD);
    const requests = Object.values(stats.requests).reduce((a, b) => a + b, 0);
    gc();
    const heapEndMB = heapMB();
    const storeSizes = { A: A.store.size, B: B?.store.size ?? 0 };
    const calls = intents.flatMap(i => i.calls);
    const outside = intents.filter(i => i.mode === 'outside');
    const divergedKeys = new Set(diverging.map(d => d.key));

    const report = {
      commit: git.commit,
      dirty: git.dirty,
      runs: accepted.length + outside.filter(i => i.outsideRunId).length,
      diverged: divergedKeys.size,
      duplicateStarts,
      lostStarts: lost.length,
      unhandledRejections: processTrouble.unhandledRejections,
      heapStartMB,
      heapPeakMB: round(Math.max(peakMB, heapEndMB), 1),
      heapEndMB,
      // ---- more ----
      date: new Date().toISOString(),
      targets: TARGETS,
      uncaughtExceptions: processTrouble.uncaughtExceptions,
      processTroubleSamples: processTrouble.samples,
      wallSeconds: round((Date.now() - wallStart) / 1000, 1),
      phases: {
        startsSeconds: round((startsDone - t0) / 1000, 1),
        finishSeconds: round((simFinished - startsDone) / 1000, 1),
        quietSeconds,
      },
      timeScale: S,
      machine: { cpus: os.cpus().length, node: process.version, loadAverage1m: round(os.loadavg()[0], 2), gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function' },
      intents: { total: intents.length, byMode: countBy(intents, i => i.mode), byProvider: countBy(intents, i => i.plan.provider), byWindow: countBy(intents, i => i.window), skipped: intents.filter(i => i.skipped).length },
      startCalls: { total: calls.length, outcomes: countBy(calls, c => (c.ok ? (c.adopted ? 'ok (adopted)' : 'ok') : `error: ${c.errorKind}`)), inDoubtSignals: calls.filter(c => c.inDoubt).length },
      acceptedStarts: { total: accepted.length, byProvider: countBy(accepted, s => s.provider), unmatched: unmatched.length },
      inDoubtReported,
      inDoubtByMessageOnly,
      trackedById: { total: outside.length, trackFailed: outside.filter(i => !i.tracked).length },
      byProvider: Object.fromEntries(
        PROVIDER_IDS.map(id => [
          id,
          {
            intents: intents.filter(i => i.plan.provider === id).length,
            accepted: accepted.filter(a => a.provider === id).length,
            duplicates: duplicates.filter(d => d.provider === id).reduce((a, d) => a + d.created - 1, 0),
            lost: lost.filter(l => l.provider === id).length,
            diverged: new Set(diverging.filter(d => d.provider === id).map(d => d.key)).size,
            requests: Object.entries(stats.requests).filter(([k]) => k.endsWith(`:${id}`)).reduce((a, [, v]) => a + v, 0),
          },
        ]),
      ) as Record<ProviderId, { intents: number; accepted: number; duplicates: number; lost: number; diverged: number; requests: number }>,
      divergedByWindow: countBy(diverging, d => d.window),
      divergedByProvider: countBy(diverging, d => d.provider),
      divergedSamples: diverging.slice(0, 15),
      duplicatesByProvider: countBy(duplicates, d => `${d.provider} (${d.mode})`),
      duplicateSamples: duplicates.slice(0, 10),
      lostByProvider: countBy(lost, l => l.provider),
      lostSamples: lost.slice(0, 10),
      requests,
      requestsByFrontEnd: stats.requests,
      faultsByClass: stats.faults,
      storeSizes,
      events,
      logs: { A: loggers.A.counts, B: loggers.B.counts, samples: [...loggers.A.samples.slice(0, 12), ...loggers.B.samples.slice(0, 8)] },
    };

    printReport(report);
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(RESULT_FILE, `${JSON.stringify(report, null, 2)}\n`);
    log(`\nwritten to ${path.relative(ROOT, RESULT_FILE)}`);
    for (const t of timers) clearTimeout(t);
  } finally {
    clearInterval(sampler);
    for (const w of windows) {
      try {
        w.dispose();
      } catch (e) {
        note('dispose', e);
      }
    }
    await simProcess.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type Report = Record<string, unknown> & {
  runs: number;
  diverged: number;
  duplicateStarts: number;
  lostStarts: number;
  unhandledRejections: number;
  uncaughtExceptions: number;
  heapStartMB: number;
  heapPeakMB: number;
  heapEndMB: number;
  requests: number;
  wallSeconds: number;
  faultsByClass: Record<string, number>;
  byProvider: Record<ProviderId, { intents: number; accepted: number; duplicates: number; lost: number; diverged: number; requests: number }>;
};

function printReport(r: Report): void {
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');
  log('');
  const faults = Object.entries(r.faultsByClass).sort((a, b) => b[1] - a[1]);
  log(table([['Fault class', 'requests answered'], ...faults.map(([k, v]) => [k, v] as (string | number)[]), ['all faults', faults.reduce((a, [, v]) => a + v, 0)]]));
  log('');
  const perProvider: (string | number)[][] = [['Provider', 'start intents', 'runs created', 'duplicates', 'lost', 'diverged', 'requests']];
  for (const [id, p] of Object.entries(r.byProvider)) perProvider.push([id, p.intents, p.accepted, p.duplicates, p.lost, p.diverged, p.requests]);
  log(table(perProvider));
  log('');
  const rows: (string | number)[][] = [
    ['Figure', 'measured', 'target', ''],
    ['runs (created in the simulator)', r.runs, '≥ 1000', mark(r.runs >= 1000)],
    ['diverged (final state ≠ simulator, any window)', r.diverged, `${TARGETS.diverged}`, mark(r.diverged === TARGETS.diverged)],
    ['duplicate starts (simulator side)', r.duplicateStarts, `${TARGETS.duplicateStarts}`, mark(r.duplicateStarts === TARGETS.duplicateStarts)],
    ['lost starts (created, untracked, not reported)', r.lostStarts, `${TARGETS.lostStarts}`, mark(r.lostStarts === TARGETS.lostStarts)],
    ['unhandled rejections', r.unhandledRejections, `${TARGETS.unhandledRejections}`, mark(r.unhandledRejections === TARGETS.unhandledRejections)],
    ['uncaught exceptions', r.uncaughtExceptions, '0', mark(r.uncaughtExceptions === 0)],
    ['heap MB: start / peak / end', `${r.heapStartMB} / ${r.heapPeakMB} / ${r.heapEndMB}`, '', ''],
    ['requests', r.requests, '', ''],
    ['wall time (s)', r.wallSeconds, '', ''],
  ];
  log(table(rows));
  const missed = rows.filter(row => row[3] === 'MISSED').map(row => String(row[0]));
  log(missed.length ? `\nTargets MISSED: ${missed.join('; ')}` : '\nEvery target met.');
  const detail = (title: string, value: unknown) => {
    if (value && (!Array.isArray(value) || value.length)) log(`\n${title}:\n${JSON.stringify(value, null, 1).split('\n').slice(0, 40).join('\n')}`);
  };
  if (r.diverged) detail('diverged, by window / provider / first few', { byWindow: r.divergedByWindow, byProvider: r.divergedByProvider, samples: (r.divergedSamples as unknown[]).slice(0, 5) });
  if (r.duplicateStarts) detail('duplicate starts', { byProvider: r.duplicatesByProvider, samples: (r.duplicateSamples as unknown[]).slice(0, 4) });
  if (r.lostStarts) detail('lost starts', { byProvider: r.lostByProvider, samples: (r.lostSamples as unknown[]).slice(0, 4) });
  if (r.unhandledRejections || r.uncaughtExceptions) detail('process trouble', r.processTroubleSamples);
}

main()
  .catch(e => {
    console.error(e);
    process.exitCode = 1;
  })
  // A measurement: missed targets still exit 0. Leftover keep-alive sockets must not hold the process open.
  .finally(() => setTimeout(() => process.exit(), 200).unref());
