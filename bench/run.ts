// npm run bench: Runwatch's polling engine beside its peers, measured. Prints a Pareto table, writes
// bench/results/latest.json, and regenerates the README's benchmark table from it (bench/readmeTable.ts).
// Not a test: it reports what it measures, Runwatch ahead or not.
//
//   1. Requests and staleness, 10 seeded repeats: Runwatch's real engine and the peer policies side by side,
//      each in its own simulated world with the same workload, faults, latency and timeouts (polling.ts)
//   2. Scale: RunStore with 10,000 runs (plain Node) and the Runs tree inside the real VS Code host
//   3. Start-up: bundle sizes and activate() in the real VS Code host
//
//   1b. Time scales: the short workload at time scales 1, 10 and 60, one repeat each (BENCH_SCALES=none skips)
//
// Options: --skip-host (no VS Code part), --only=polling|scales|store|host|bundle, --no-readme;
// env BENCH_REPEATS (10), BENCH_SEED (first repeat's; +1 each), BENCH_TIME_SCALE (default 20),
// BENCH_SIZE (run counts × this; default 0.3 = 63 runs), BENCH_START_WINDOW_MIN (3), BENCH_LONG=1 (the
// documented durations at time scale 60), BENCH_DEBUG_DUMP=file.json (every repeat's figures, per run).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNWATCH, runPollingRepeat, type PolicyFigures, type PollingRepeat } from './polling';
import { PEER_POLICIES } from './policies';
import { writeReadmeTable } from './readmeTable';
import { round, table } from './stats';
import { runStoreScaleBench } from './storeScale';
import { provenance } from './provenance';
import { runActivationBench } from './activation';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'bench', 'results');
const HOST_TIMEOUT_MS = 180_000;

const args = process.argv.slice(2);
const only = args.find(a => a.startsWith('--only='))?.slice('--only='.length);
const wants = (section: string) => !only || only === section;
const skipHost = args.includes('--skip-host');

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function bundleSizes() {
  const size = (file: string) => {
    try {
      return round(fs.statSync(path.join(ROOT, file)).size / 1024, 1);
    } catch {
      return undefined;
    }
  };
  // The production build minifies; a development build would make the figure meaningless.
  const text = (() => {
    try {
      return fs.readFileSync(path.join(ROOT, 'dist', 'runwatch.js'), 'utf8');
    } catch {
      return '';
    }
  })();
  const lines = text.split('\n').length;
  // extensionKB: what is compiled at every start, the launcher (dist/extension.js) and the bundle it runs.
  const launcherKB = size('dist/extension.js');
  const runwatchKB = size('dist/runwatch.js');
  const extensionKB = launcherKB !== undefined && runwatchKB !== undefined ? round(launcherKB + runwatchKB, 1) : undefined;
  return { extensionKB, launcherKB, runwatchKB, undiciKB: size('dist/undici.js'), mcpKB: size('dist/mcp.js'), minified: text.length > 0 && !text.includes('sourceMappingURL=') && text.length / lines > 1000 };
}

/** The rendered-view tree case's figures, when this bench run wrote them (not a stale file from an earlier run). */
function renderedTreeCase(since: number): Record<string, any> | undefined {
  try {
    const tree = JSON.parse(fs.readFileSync(path.join(RESULTS, 'tree-latest.json'), 'utf8'));
    return Date.parse(tree.date) >= since && typeof tree.updateMs === 'number' ? tree : undefined;
  } catch {
    return undefined;
  }
}

/** The in-host part: scripts/runTest.js with RUNWATCH_BENCH=1 runs test/integration/bench.scale.ts in VS Code. */
async function hostBench(): Promise<{ ok: boolean; result?: Record<string, unknown>; why?: string; seconds: number }> {
  const out = path.join(os.tmpdir(), `runwatch-bench-host-${process.pid}.json`);
  fs.rmSync(out, { force: true });
  const started = Date.now();
  if (!fs.existsSync(path.join(ROOT, 'out', 'test', 'integration', 'bench.scale.js')) || !fs.existsSync(path.join(ROOT, 'scripts', 'runTest.js'))) {
    return { ok: false, why: 'the VS Code test runner or out/test/integration/bench.scale.js is missing', seconds: 0 };
  }
  const output: string[] = [];
  const code = await new Promise<number | null>(resolve => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'runTest.js')], {
      cwd: ROOT,
      env: { ...process.env, RUNWATCH_BENCH: '1', RUNWATCH_BENCH_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (b: Buffer) => output.push(b.toString());
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const timer = setTimeout(() => {
      output.push(`\n(bench: VS Code part stopped after ${HOST_TIMEOUT_MS / 1000} s)\n`);
      try {
        process.kill(-child.pid!, 'SIGTERM'); // its process group: the runner, code-server and Chromium
      } catch {
        child.kill('SIGTERM');
      }
    }, HOST_TIMEOUT_MS);
    child.on('exit', c => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const seconds = round((Date.now() - started) / 1000, 1);
  let result: Record<string, unknown> | undefined;
  try {
    result = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch {
    result = undefined;
  }
  fs.rmSync(out, { force: true });
  if (!result || result.error) {
    const tail = output.join('').split('\n').filter(Boolean).slice(-12).join('\n');
    return { ok: false, result, why: `${result?.error ? String(result.error).split('\n')[0] : `no figures from the VS Code host (runner exit ${code})`}\n${tail}`, seconds };
  }
  return { ok: true, result, seconds };
}

const fmt = (v: unknown, digits = 2) => (typeof v === 'number' ? (Number.isFinite(v) ? String(round(v, digits)) : String(v)) : v === undefined || v === null ? '–' : String(v));

/** Figures of a policy taken over the repeats as median and range. */
const FIGURES = [
  'requests',
  'lowerBound',
  'requestsPerLowerBound',
  'cadenceReference',
  'requestsPerCadenceReference',
  'stalenessP50',
  'stalenessP95',
  'stalenessMax',
  'stalenessP50Cadence',
  'stalenessP95Cadence',
  'stalenessMaxCadence',
  'stalenessKnowableP50Cadence',
  'stalenessKnowableP95Cadence',
  'stalenessKnowableMaxCadence',
  'retryAfterViolations',
  'retryAfterPauses',
  'resumeAfterPauseP50',
  'secondWindowRequests',
  'idleRequestsPerHour',
  'timeouts',
  'connectionsOpened',
] as const;
const PROVIDER_FIGURES = ['requests', 'cadenceReference', 'lowerBound', 'requestsPerLowerBound', 'requestsPerCadenceReference', 'timeouts'] as const;

export interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
}

/** Median (the middle repeat; the lower middle for an even count) and range; null when not measured. */
function spread(values: (number | null | undefined)[]): Spread {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return { median: null, min: null, max: null };
  return { median: v[Math.ceil(v.length / 2) - 1], min: v[0], max: v[v.length - 1] };
}

function aggregate(repeats: PollingRepeat[]) {
  const names = repeats[0].policies.map(p => p.name);
  return names.map(name => {
    const runs = repeats.map(r => r.policies.find(p => p.name === name)!) as PolicyFigures[];
    const entry: Record<string, unknown> = { name, summary: runs[0].summary, windows: runs[0].windows };
    const range: Record<string, [number | null, number | null]> = {};
    for (const f of FIGURES) {
      const s = spread(runs.map(r => r[f] as number | null));
      entry[f] = s.median;
      range[f] = [s.min, s.max];
    }
    entry.range = range;
    // Why changes were seen late, summed over the repeats (bench/metrics.ts classifyStale).
    const causes: Record<string, { changes: number; over3Cadences: number }> = {};
    const tailCauses: Record<string, number> = {};
    for (const r of runs) {
      for (const [cause, c] of Object.entries(r.stalenessCauses)) {
        const sum = (causes[cause] ??= { changes: 0, over3Cadences: 0 });
        sum.changes += c.changes;
        sum.over3Cadences += c.over3Cadences;
      }
      for (const [cause, n] of Object.entries(r.stalenessTailCauses)) tailCauses[cause] = (tailCauses[cause] ?? 0) + n;
    }
    entry.stalenessCauses = causes;
    entry.stalenessTailCauses = tailCauses;
    entry.byProvider = runs[0].byProvider.map(p0 => {
      const per = runs.map(r => r.byProvider.find(p => p.provider === p0.provider)!);
      const out: Record<string, unknown> = { provider: p0.provider, runs: p0.runs };
      const prange: Record<string, [number | null, number | null]> = {};
      for (const f of PROVIDER_FIGURES) {
        const s = spread(per.map(p => p[f]));
        out[f] = s.median;
        prange[f] = [s.min, s.max];
      }
      for (const f of ['p50', 'p95', 'max'] as const) {
        const s = spread(per.map(p => p.staleness[f]));
        out[`staleness${f === 'p50' ? 'P50' : f === 'p95' ? 'P95' : 'Max'}Cadence`] = s.median;
        prange[`staleness${f === 'p50' ? 'P50' : f === 'p95' ? 'P95' : 'Max'}Cadence`] = [s.min, s.max];
      }
      const sec = spread(per.map(p => p.staleness.p95Ms / 1000));
      out.stalenessP95 = sec.median;
      prange.stalenessP95 = [sec.min, sec.max];
      out.range = prange;
      return out;
    });
    return entry;
  });
}

type Aggregated = ReturnType<typeof aggregate>[number] & Record<string, any>;

/** Not dominated on (requests ÷ lower bound, p95 staleness × cadence, Retry-After violations), all lower-is-better. */
function paretoFront(policies: Aggregated[]): Set<string> {
  const key = (p: Aggregated) => [p.requestsPerLowerBound as number, p.stalenessP95Cadence as number, p.retryAfterViolations as number];
  const front = new Set<string>();
  for (const p of policies) {
    const a = key(p);
    const dominated = policies.some(q => {
      if (q === p) return false;
      const b = key(q);
      return b.every((x, i) => x <= a[i]) && b.some((x, i) => x < a[i]);
    });
    if (!dominated) front.add(p.name);
  }
  return front;
}

/** "median (min–max)", or the one value when every repeat agreed. */
function cell(p: Record<string, any>, f: string, digits = 2): string {
  const m = p[f];
  const [lo, hi] = (p.range?.[f] ?? [m, m]) as [number | null, number | null];
  if (m === null || m === undefined) return '–';
  if (lo === hi) return fmt(m, digits);
  return `${fmt(m, digits)} (${fmt(lo, digits)}–${fmt(hi, digits)})`;
}


async function main(): Promise<void> {
  const benchStarted = Date.now();
  // The default is the short workload at time scale 20: six worlds side by side on two shared cores keep up
  // with Adlyse's 1 s cadence (50 real ms) there. BENCH_LONG=1: the documented durations (Boring Marketing's
  // full runs 15–30 min) at time scale 60, about a minute of real time per repeat.
  const long = process.env.BENCH_LONG === '1';
  const scale = Number(process.env.BENCH_TIME_SCALE || (long ? 60 : 20));
  // Ten, not the five the issue asks for at least: one repeat's p95 rests on the ~14 slowest of ~270 changes,
  // so the same seed moves by several cadences from one bench run to the next; ten steady the medians.
  const repeats = Number(process.env.BENCH_REPEATS || 10);
  const seed = Number(process.env.BENCH_SEED || 20261122);
  const size = Number(process.env.BENCH_SIZE || (long ? 0.6 : 0.3));
  if (!(scale >= 1 && scale <= 600)) throw new Error('BENCH_TIME_SCALE must be between 1 and 600');
  const report: Record<string, unknown> = {
    // commit, dirty (uncommitted changes to tracked files, results files aside), cores, load, Node, date.
    ...provenance(ROOT),
    machine: { cpuModel: os.cpus()[0]?.model, platform: `${os.platform()} ${os.release()}`, loadAverage1mAtStart: round(os.loadavg()[0], 2) },
  };
  log(`Runwatch benchmark: ${repeats} repeats, time scale ${scale} (one simulated hour per ${round(60 / scale, 2)} real minute${scale === 60 ? '' : 's'}), ${os.cpus().length} cores, load ${round(os.loadavg()[0], 2)}`);

  let policies: Aggregated[] | undefined;
  const repeatResults: PollingRepeat[] = [];
  if (wants('polling')) {
    const method = {
      timeScale: scale,
      size,
      startWindowMs: Number(process.env.BENCH_START_WINDOW_MIN || (long ? 24 : 3)) * 60_000,
      // Longer than the longest timer (the 60 s tick, a 60 s Retry-After, the engine's 60 s back-off cap).
      // Three periods of the longest timer (the 60 s list refresh and tick): 130 s held two or three of them by
      // phase, so one repeat in five read 637 an hour where the others read 997.
      idleTailSimMs: 180_000,
      latencyMs: [80, 300] as [number, number],
      timeoutRate: 0.005,
      short: !long,
    };
    for (let i = 0; i < repeats; i++) {
      log(`\n[1] repeat ${i + 1} of ${repeats}: requests and staleness, Runwatch and peers side by side…`);
      // BENCH_PEERS=a,b: only those peers beside Runwatch (to investigate; the results file wants them all).
      const only = process.env.BENCH_PEERS?.split(',');
      const r = await runPollingRepeat({ ...method, seed: seed + i, log, peers: only && PEER_POLICIES.filter(p => only.includes(p.name)) });
      repeatResults.push(r);
      const rw = r.policies.find(p => p.name === RUNWATCH)!;
      const fc = r.policies.find(p => p.name === 'fixed-cadence');
      log(`  ${r.workloadRealSeconds} s real; runwatch ÷ lower bound ${rw.requestsPerLowerBound}, p95 ${rw.stalenessP95Cadence} × cadence; fixed-cadence ÷ reference ${fc?.requestsPerCadenceReference}; event loop p99 ${r.machine.eventLoopDelayMs.p99} ms, load ${r.machine.loadAverage1mAfter}`);
    }
    policies = aggregate(repeatResults) as Aggregated[];
    const front = paretoFront(policies);
    for (const p of policies) p.pareto = front.has(p.name);
    const selfTest = policies.find(p => p.name === 'fixed-cadence');
    report.repeats = repeats;
    report.seeds = repeatResults.map(r => r.seed);
    report.method = { ...method, requestTimeoutSimulatedMs: 15_000, retryAfter: 'simulated seconds; violations counted from the simulator log' };
    report.selfTest = selfTest
      ? { policy: 'fixed-cadence', requestsPerCadenceReference: selfTest.requestsPerCadenceReference, range: selfTest.range.requestsPerCadenceReference, target: '1.00 ± 0.03', met: Math.abs((selfTest.requestsPerCadenceReference as number) - 1) <= 0.03 }
      : undefined;
    report.policies = policies;
    report.repeatsDetail = repeatResults.map(r => ({ seed: r.seed, workloadRealSeconds: r.workloadRealSeconds, runsPlanned: r.runsPlanned, startErrors: r.startErrors.slice(0, 5), unfinished: r.unfinished, faultsInjected: r.faultsInjected, machine: r.machine, policies: r.policies }));
  }
  if (wants('scales') && process.env.BENCH_SCALES !== 'none') {
    // Issue 9, "Realism": the same short workload at time scales 1, 10 and 60, one repeat each with one seed, to
    // show what the figures owe to the scale: at S a real millisecond late is S simulated ones.
    const scales = (process.env.BENCH_SCALES ?? '1,10,60').split(',').map(Number);
    const method = { size: 0.15, startWindowMs: 60_000, idleTailSimMs: 15_000, latencyMs: [80, 300] as [number, number], timeoutRate: 0.005, short: true };
    const byScale = [];
    for (const timeScale of scales) {
      log(`\n[1b] time scale ${timeScale}: the short workload (${method.startWindowMs / 60_000} simulated min of starts, size ${method.size}), one repeat, seed ${seed}…`);
      const r = await runPollingRepeat({ ...method, timeScale, seed, log });
      const pick = (p: PolicyFigures) => ({
        name: p.name,
        requests: p.requests,
        requestsPerLowerBound: p.requestsPerLowerBound,
        requestsPerCadenceReference: p.requestsPerCadenceReference,
        stalenessP50Cadence: p.stalenessP50Cadence,
        stalenessP95Cadence: p.stalenessP95Cadence,
        stalenessKnowableP95Cadence: p.stalenessKnowableP95Cadence,
        retryAfterViolations: p.retryAfterViolations,
      });
      byScale.push({ timeScale, seed, runsPlanned: r.runsPlanned, workloadRealSeconds: r.workloadRealSeconds, eventLoopDelayP99Ms: r.machine.eventLoopDelayMs.p99, policies: r.policies.map(pick) });
      const rw = r.policies.find(p => p.name === RUNWATCH)!;
      const fc = r.policies.find(p => p.name === 'fixed-cadence');
      log(`  ${r.workloadRealSeconds} s real; runwatch ÷ lower bound ${rw.requestsPerLowerBound}, p95 ${rw.stalenessP95Cadence} × cadence (from knowable ${rw.stalenessKnowableP95Cadence}); fixed-cadence ÷ reference ${fc?.requestsPerCadenceReference}`);
    }
    report.timeScales = {
      commit: report.commit,
      dirty: report.dirty,
      what: 'the short workload at each time scale, one repeat with the same seed (every policy); lower bound and staleness as in `policies`. A figure that moves with the scale measures the machine keeping time, not the policy.',
      method,
      byScale,
    };
  }
  let store: Awaited<ReturnType<typeof runStoreScaleBench>> | undefined;
  if (wants('store')) {
    log('\n[2] RunStore with 10,000 runs (plain Node)…');
    store = await runStoreScaleBench();
    report.store = store;
  }
  const bundle = wants('bundle') || wants('host') ? bundleSizes() : undefined;
  if (bundle) report.bundle = bundle;
  let host: Awaited<ReturnType<typeof hostBench>> | undefined;
  if ((wants('host') || !only) && !skipHost) {
    log('[2–3] inside the real VS Code extension host (scripts/runTest.js, RUNWATCH_BENCH=1)…');
    host = await hostBench();
  }
  const h = host?.ok ? (host.result as Record<string, any>) : undefined;
  if (h) {
    const change = h.oneRunChange ?? {};
    // The tree figure (issue 9, "Tree at scale"): the rendered-view case of test/integration/bench.scale.ts,
    // which writes tree-latest.json in this same host run (read only if written after this bench started).
    const rendered = renderedTreeCase(benchStarted);
    report.tree = {
      ...(rendered
        ? {
            activeRuns: rendered.activeRuns,
            getChildrenCalls: rendered.getChildrenCalls,
            getTreeItemCalls: rendered.getTreeItemCalls,
            updateMs: rendered.updateMs,
            what: 'one run going running→succeeded under a brand of 1,000 active runs, the Runs view rendered in the real workbench: the getChildren/getTreeItem calls the workbench made after the change (median of the samples) and updateMs = store change → the last of those calls (extension host clock; the paint is not included)',
            completion: rendered.completion,
            stageMove: rendered.stageMove,
            ageRedrawWithCountCatchUp: rendered.ageRedrawWithCountCatchUp,
            ageRedrawPlain: rendered.ageRedrawPlain,
            initialRender: rendered.initialRender,
          }
        : { activeRuns: null, getChildrenCalls: null, updateMs: null, notMeasured: 'the rendered-view case wrote no tree-latest.json in this run' }),
      // Beside it, with 10,000 runs in the store: a progress change on an already FINISHED run, no view rendered.
      finishedRunChange: {
        runsInStore: h.trackedRuns,
        nodesPerChange: change.nodesPerChange,
        fullRefreshes: change.fullRefreshes,
        storeToFireMsP95: change.storeToFireMs?.p95,
        getChildren1000RunsMs: { first: h.getChildren1000FirstMs, warm: h.getChildren1000WarmMs },
        getTreeItem1000Ms: h.getTreeItem1000Ms,
        heapUsedMB: h.heapUsedMB,
        heapForRunsMB: h.heapForRunsMB,
      },
    };
    report.activation =
      typeof h.activateCallMs === 'number'
        ? { medianMs: h.activateCallMs, samples: 1, includesBundleLoad: true, how: 'ext.activate() timed by the test in the host, the extension not yet active: loads dist/extension.js', extensionTimedActivateMs: h.activationMs, extensionTimedIncludesBundleLoad: false }
        : { medianMs: h.activationMs, samples: 1, includesBundleLoad: false, how: "the extension's own timing of activate(): the bundle was already loaded" };
  } else if (host) {
    report.tree = { notMeasured: host.why?.split('\n')[0] };
    report.activation = { notMeasured: host.why?.split('\n')[0] };
  }
  if (host) {
    // The gated figure: the host's own activation time in 10 fresh windows (activation.ts). The single in-test
    // figure above stays only when those could not be measured.
    log('[3] activation in 10 fresh VS Code windows (bench/activation.ts)…');
    try {
      const { windows, ...activation } = await runActivationBench(line => log(line));
      report.activation = { ...activation, windows: windows.map(w => w.hostMs) };
    } catch (e) {
      log(`activation in fresh windows not measured: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  // ---- the tables ----
  if (policies) {
    log('\nPareto table: medians over the repeats, (min–max) where they differ. Staleness: simulator change → the policy\'s model.');
    const rows: string[][] = [['policy', 'requests', '÷ lower bound', '÷ cadence ref.', 'staleness p50 / p95 / max s', '× cadence p50 / p95 / max', 'Retry-After violations', 'resume s', 'idle req/h', '2nd-window req', 'connections', 'Pareto']];
    for (const p of policies) {
      rows.push([
        p.name,
        cell(p, 'requests', 0),
        cell(p, 'requestsPerLowerBound', 3),
        cell(p, 'requestsPerCadenceReference', 3),
        `${cell(p, 'stalenessP50', 1)} / ${cell(p, 'stalenessP95', 1)} / ${cell(p, 'stalenessMax', 1)}`,
        `${cell(p, 'stalenessP50Cadence')} / ${cell(p, 'stalenessP95Cadence')} / ${cell(p, 'stalenessMaxCadence')}`,
        cell(p, 'retryAfterViolations', 0),
        cell(p, 'resumeAfterPauseP50', 1),
        cell(p, 'idleRequestsPerHour', 1),
        p.windows === 2 ? cell(p, 'secondWindowRequests', 0) : '– (1 window)',
        cell(p, 'connectionsOpened', 0),
        p.pareto ? 'yes' : '',
      ]);
    }
    log(table(rows));
    for (const name of [RUNWATCH, 'fixed-cadence']) {
      const p = policies.find(x => x.name === name);
      if (!p) continue;
      log(`\n${name} per provider (medians, ranges):`);
      const prow: string[][] = [['provider', 'runs', 'requests', 'cadence ref.', 'lower bound', '÷ lower bound', '÷ cadence ref.', 'p95 staleness s', 'p95 × cadence', 'timeouts']];
      for (const q of p.byProvider as Record<string, any>[]) {
        prow.push([q.provider, String(q.runs), cell(q, 'requests', 0), cell(q, 'cadenceReference', 0), cell(q, 'lowerBound', 0), cell(q, 'requestsPerLowerBound', 3), cell(q, 'requestsPerCadenceReference', 3), cell(q, 'stalenessP95', 1), cell(q, 'stalenessP95Cadence'), cell(q, 'timeouts', 0)]);
      }
      prow.push(['overall', '', cell(p, 'requests', 0), cell(p, 'cadenceReference', 0), cell(p, 'lowerBound', 0), cell(p, 'requestsPerLowerBound', 3), cell(p, 'requestsPerCadenceReference', 3), cell(p, 'stalenessP95', 1), cell(p, 'stalenessP95Cadence'), cell(p, 'timeouts', 0)]);
      log(table(prow));
    }
    log('\nWhy changes were seen late (every repeat summed): changes per cause, (how many > 3 cadences late); the tail is the changes at or above the p95. Inherent: notKnownYet (the window did not know the run yet), retryAfter (inside a pause the provider announced), outage (inside the 5xx storm). The policy\'s: timeout, errorAnswer (a count-limited 429/5xx), policy (its own timing).');
    const crow: string[][] = [['policy', 'p95 × cadence from knowable', ...['notKnownYet', 'retryAfter', 'outage', 'timeout', 'errorAnswer', 'policy', 'onTime'].map(c => c), 'tail: causes']];
    for (const p of policies) {
      const c = p.stalenessCauses as Record<string, { changes: number; over3Cadences: number }>;
      crow.push([p.name, cell(p, 'stalenessKnowableP95Cadence'), ...['notKnownYet', 'retryAfter', 'outage', 'timeout', 'errorAnswer', 'policy', 'onTime'].map(k => (c[k] ? `${c[k].changes} (${c[k].over3Cadences})` : '0')), Object.entries(p.stalenessTailCauses as Record<string, number>).map(([k, n]) => `${k} ${n}`).join(', ')]);
    }
    log(table(crow));
    const st = report.selfTest as { requestsPerCadenceReference: number; range: unknown; met: boolean } | undefined;
    if (st) log(`\nself-test: fixed-cadence requests ÷ cadence reference = ${st.requestsPerCadenceReference} (range ${JSON.stringify(st.range)}), target 1.00 ± 0.03: ${st.met ? 'met' : 'MISSED'}`);
    const notes: string[] = [];
    const machines = repeatResults.map(r => r.machine);
    notes.push(`machine: ${os.cpus().length} cores, load ${machines.map(m => m.loadAverage1mAfter).join(' / ')} after each repeat; event-loop delay p99 ${machines.map(m => m.eventLoopDelayMs.p99).join(' / ')} ms (at time scale ${scale} every real ms late is ${scale} simulated ms of staleness: on a shared machine the tails measure the machine too)`);
    for (const r of repeatResults) {
      if (r.startErrors.length) notes.push(`seed ${r.seed}: start errors: ${r.startErrors.slice(0, 3).join('; ')}`);
      for (const [name, keys] of Object.entries(r.unfinished)) notes.push(`seed ${r.seed}: ${name} never saw ${(keys as string[]).length} run(s) finished by the deadline`);
    }
    notes.push(`faults in every world: ${repeatResults[0].faultsInjected.map(f => `${f.what} at ${f.at}`).join('; ')}`);
    log(`\n${notes.map(n => `- ${n}`).join('\n')}`);
  }

  const summary: (string | number)[][] = [['Figure', 'measured']];
  if (store) {
    summary.push(['RunStore: fill 10,000 runs (ms, in one tick / yielding every 100)', `${fmt(store.fillMs, 1)} / ${fmt(store.fillYieldingEvery100Ms, 1)}`]);
    summary.push(['RunStore: upsert of one change, 10,000 runs (ms, median / p95)', `${fmt(store.upsertOneChangeMs.median, 4)} / ${fmt(store.upsertOneChangeMs.p95, 4)}`]);
    summary.push(['RunStore: heap for 10,000 runs (MB)', fmt(store.storeHeapMB, 1)]);
  }
  if (h) {
    const t = report.tree as Record<string, any>;
    const c = t.completion;
    if (c) {
      summary.push([`tree, view rendered, 1,000 active runs: workbench getChildren / getTreeItem calls after a completion (median, range over ${c.samples})`, `${c.getChildrenCalls.median} (${c.getChildrenCalls.min}–${c.getChildrenCalls.max}) / ${c.getTreeItemCalls.median} (${c.getTreeItemCalls.min}–${c.getTreeItemCalls.max})`]);
      summary.push(['tree, view rendered: store change → last workbench call (ms, median and range)', `${fmt(c.updateMs.median, 2)} (${fmt(c.updateMs.min, 2)}–${fmt(c.updateMs.max, 2)})`]);
    }
    const f = t.finishedRunChange;
    summary.push(['tree: nodes refreshed by a progress change on a FINISHED run, 10,000 in the store (view not rendered)', `${f.nodesPerChange?.min}–${f.nodesPerChange?.max}`]);
    summary.push(['tree: store change → onDidChangeTreeData (ms p95)', fmt(f.storeToFireMsP95, 3)]);
    summary.push(['tree: getChildren, account with 1,000 runs (ms first / warm)', `${fmt(h.getChildren1000FirstMs, 2)} / ${fmt(h.getChildren1000WarmMs, 2)}`]);
    const a = report.activation as Record<string, any>;
    const range = Array.isArray(a.rangeMs) ? ` (${a.rangeMs[0]}–${a.rangeMs[1]})` : '';
    summary.push([`activation (ms, ${a.samples} sample(s), ${a.includesBundleLoad ? 'bundle load included' : 'bundle load NOT included'}${a.gateMs ? `, gate ≤ ${a.gateMs}: ${a.gateMet ? 'met' : 'NOT met'}` : ''})`, `${fmt(a.medianMs, 1)}${range}`]);
    if (a.extensionTimedActivateMs !== undefined) summary.push(['  activate() body alone, as the extension times it (bundle load not included)', fmt(a.extensionTimedActivateMs, 1)]);
  } else if (host) {
    summary.push(['VS Code host figures (tree, activation)', `not measured: ${host.why?.split('\n')[0]}`]);
  }
  if (bundle) {
    summary.push([`bundle compiled at every start: dist/extension.js (launcher) + dist/runwatch.js (KB${bundle.minified ? ', minified' : ', NOT a production build'})`, `${fmt(bundle.launcherKB, 1)} + ${fmt(bundle.runwatchKB, 1)}`]);
    summary.push(['bundle dist/undici.js, loaded on the first request (KB)', fmt(bundle.undiciKB, 1)]);
    summary.push(['bundle dist/mcp.js, loaded on first Adlyse use (KB)', fmt(bundle.mcpKB, 1)]);
  }
  if (summary.length > 1) log(`\n${table(summary)}`);
  if (host && !host.ok) log(`\nVS Code host part not measured:\n${host.why}`);

  report.benchSeconds = round((Date.now() - benchStarted) / 1000, 1);
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, 'latest.json');
  if (process.env.BENCH_DEBUG_DUMP) fs.writeFileSync(process.env.BENCH_DEBUG_DUMP, JSON.stringify(repeatResults));
  if (!only || only === 'polling') {
    // The growth curve comes from npm run bench:growth (its own command): kept as it was.
    const previous = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    if (previous.growth) Object.assign(report, { growth: previous.growth, growthMethod: previous.growthMethod });
    // --only=polling measures no time scales: those of the last run that did stay (with their own commit).
    if (!report.timeScales && previous.timeScales) report.timeScales = previous.timeScales;
    fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    log(`\nwrote ${path.relative(ROOT, file)} (${report.benchSeconds} s)`);
    if (policies && !args.includes('--no-readme')) log(writeReadmeTable(ROOT));
  } else if (only === 'host' && report.tree && fs.existsSync(file)) {
    // The VS Code part alone (e.g. re-run after it failed): its figures replace those in the results file.
    const previous = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, `${JSON.stringify({ ...previous, tree: report.tree, activation: report.activation, bundle: report.bundle ?? previous.bundle }, null, 2)}\n`);
    log(`\nupdated tree and activation in ${path.relative(ROOT, file)} (${report.benchSeconds} s)`);
    if (!args.includes('--no-readme')) log(writeReadmeTable(ROOT));
  } else if (only === 'scales' && report.timeScales && fs.existsSync(file)) {
    const previous = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, `${JSON.stringify({ ...previous, timeScales: report.timeScales }, null, 2)}\n`);
    log(`\nupdated timeScales in ${path.relative(ROOT, file)} (${report.benchSeconds} s)`);
    if (!args.includes('--no-readme')) log(writeReadmeTable(ROOT));
  } else {
    log(`\n(--only=${only}: ${path.relative(ROOT, file)} left as it was) (${report.benchSeconds} s)`);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    e => {
      console.error('bench failed:', (e as Error).stack ?? e);
      process.exit(1);
    },
  );
}
