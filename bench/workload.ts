// The mixed workload: which runs start when, on which provider, how long each lasts in simulated time and
// whether it fails, plus the faults injected on the way. Durations follow each provider's docs:
// Boring Marketing full 15–30 min and single-stage 1–5 min, GloriaMundo seconds to minutes, Automindz
// 30–90 s, Talonic minutes, Adlyse 1–30 s. Seeded, so every bench run plays the same workload.
import type { BuiltinProviderId } from '../src/core/run';
import type { Fault } from '../test/simulator/server';
import { seededRandom } from './random';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export interface PlannedRun {
  n: number;
  provider: BuiltinProviderId;
  /** What kind of run, for the table: 'full', 'single-stage', … */
  label: string;
  /** Simulated ms after the workload starts. */
  startAt: number;
  /** The window the user starts it from: A polls, B follows (its start reaches A through the shared files). */
  window: 'A' | 'B';
  /** The provider simulator's script for this run. */
  script: unknown;
  /** Adapter kind id to start. */
  kindId: string;
  input: Record<string, unknown>;
  expectFail: boolean;
  /** Planned simulated length, ms (approximate for Talonic, whose documents are jittered). */
  plannedMs: number;
}

export interface PlannedFault {
  /** Simulated ms after the workload starts. */
  at: number;
  /** Lifted after this many simulated ms (a storm lasts a while, whatever is asked meanwhile); else by count. */
  durationMs?: number;
  what: string;
  faults: Fault[];
}

const BM_FULL_STAGE_WEIGHTS: [string, number][] = [
  ['brand_enrichment', 2],
  ['competitor_discovery', 3],
  ['family_discovery', 5],
  ['evidence_collection', 10],
  ['leverage_scoring', 3],
  ['queue_building', 1],
];
const BM_SINGLE_KINDS = ['competitor_discovery', 'llm_enrichment', 'synthesize', 'scoring'];
const GM_STEP_NAMES = ['Fetch emails', 'Summarize', 'Generate content', 'Send email', 'Post to Slack', 'Update CRM'];

export interface WorkloadOptions {
  /** Starts are spread over this much simulated time. */
  startWindowMs: number;
  seed?: number;
  /** Multiplies every provider's run count (1: 210 runs). */
  size?: number;
  /** A short workload for the time-scale check: Boring Marketing's full runs 2–4 min, Talonic's batches 8–12 documents. */
  short?: boolean;
}

export function buildWorkload(options: WorkloadOptions): PlannedRun[] {
  const random = seededRandom(options.seed ?? 20261122);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const runs: PlannedRun[] = [];
  const window = options.startWindowMs;
  const count = (n: number) => Math.max(2, Math.round(n * (options.size ?? 1)));
  let n = 0;
  const add = (run: Omit<PlannedRun, 'n' | 'window'>) => {
    n++;
    // Every sixth run is started from the second window.
    runs.push({ ...run, n, window: n % 6 === 0 ? 'B' : 'A', startAt: Math.round(run.startAt) });
  };

  // Boring Marketing, full pipeline: 15–30 min; 3 of 25 fail in evidence collection.
  for (let i = 0; i < count(25); i++) {
    const total = (options.short ? between(2, 4) : between(15, 30)) * MINUTE;
    const queuedMs = Math.round(between(5, 20) * SECOND);
    const weight = BM_FULL_STAGE_WEIGHTS.reduce((a, [, w]) => a + w, 0);
    const stageMs = Object.fromEntries(BM_FULL_STAGE_WEIGHTS.map(([name, w]) => [name, Math.round(((total - queuedMs) * w) / weight)]));
    const fail = i % 8 === 3;
    add({
      provider: 'boringMarketing',
      label: 'full',
      startAt: between(0, window * 0.4),
      script: {
        queuedMs,
        stageMs,
        ...(fail ? { failAt: { stage: 'evidence_collection', error: 'DataForSEO rate limit exceeded — retry in 60 seconds', afterMs: Math.round(stageMs.evidence_collection / 2) } } : {}),
      },
      kindId: 'full',
      input: {},
      expectFail: fail,
      plannedMs: fail ? queuedMs + stageMs.brand_enrichment + stageMs.competitor_discovery + stageMs.family_discovery + stageMs.evidence_collection / 2 : total,
    });
  }
  // Boring Marketing, single-stage pipelines: 1–5 min; 2 fail.
  for (let i = 0; i < count(25); i++) {
    const total = between(1, 5) * MINUTE;
    const queuedMs = Math.round(between(3, 8) * SECOND);
    const durationMs = Math.round(total - queuedMs);
    const fail = i % 12 === 5;
    const kind = BM_SINGLE_KINDS[i % BM_SINGLE_KINDS.length];
    add({
      provider: 'boringMarketing',
      label: 'single-stage',
      startAt: between(0, window),
      script: { queuedMs, durationMs, ...(fail ? { failAt: { error: 'Upstream model timed out', afterMs: Math.round(durationMs / 2) } } : {}) },
      kindId: kind,
      input: kind === 'competitor_discovery' ? { persist: true } : {},
      expectFail: fail,
      plannedMs: fail ? queuedMs + durationMs / 2 : total,
    });
  }
  // GloriaMundo: 2–6 steps of 1–40 s each (seconds to minutes); 5 of 40 fail halfway through a step.
  for (let i = 0; i < count(40); i++) {
    const steps = GM_STEP_NAMES.slice(0, 2 + Math.floor(random() * 5));
    const durations = steps.map(() => Math.round(Math.exp(between(Math.log(1), Math.log(40))) * SECOND));
    const fail = i % 8 === 6;
    const failStep = Math.floor(steps.length / 2);
    const queuedMs = 1_500;
    add({
      provider: 'gloriaMundo',
      label: 'workflow',
      startAt: between(0, window),
      script: { name: `Bench workflow ${i}`, steps, durations, queuedMs, ...(fail ? { failAtStep: { step: failStep, error: 'HubSpot connection expired. Please reconnect.' } } : {}) },
      kindId: 'run',
      input: { input: { batch: i } },
      expectFail: fail,
      plannedMs: queuedMs + (fail ? durations.slice(0, failStep).reduce((a, b) => a + b, 0) + durations[failStep] / 2 : durations.reduce((a, b) => a + b, 0)),
    });
  }
  // Automindz: 30–90 s; 5 of 40 fail.
  for (let i = 0; i < count(40); i++) {
    const durationMs = Math.round(between(30, 90) * SECOND);
    const fail = i % 8 === 2;
    add({
      provider: 'automindz',
      label: 'find leavers',
      startAt: between(0, window),
      script: { queuedMs: Math.round(between(2, 5) * SECOND), durationMs, ...(fail ? { fail: { message: '401 Client Error: Unauthorized', step_id: 'fetch_contacts' } } : {}) },
      kindId: 'leavers',
      input: { org_name: `org-${i}`, industries: ['software'] },
      expectFail: fail,
      plannedMs: durationMs,
    });
  }
  // Talonic: 8–40 documents through a 3–4 phase rail and assembly, minutes; 2 of 25 fail outright (every
  // document unreadable), most others lose a document or two.
  for (let i = 0; i < count(25); i++) {
    const documents = 8 + Math.floor(random() * (options.short ? 5 : 33));
    const staggerMs = Math.round(between(3, 10) * SECOND);
    const queuedMs = Math.round(between(5, 15) * SECOND);
    const fail = i % 12 === 7;
    const failures: { index: number; phase: string | null }[] = fail
      ? Array.from({ length: documents }, (_, index) => ({ index, phase: null }))
      : Array.from({ length: Math.floor(random() * 3) }, () => ({ index: Math.floor(random() * documents), phase: 'extraction' }));
    const spec = i % 2;
    add({
      provider: 'talonic',
      label: 'pipeline',
      startAt: between(0, window * 0.9),
      script: { spec, plan: { queuedMs, staggerMs, jitter: true, failures: dedupeByIndex(failures) } },
      kindId: 'pipeline',
      input: { document_ids: Array.from({ length: documents }, (_, d) => `doc_${i}_${d}`), name: `Bench batch ${i}` },
      expectFail: fail,
      plannedMs: fail ? queuedMs + staggerMs * documents : queuedMs + staggerMs * documents + (spec === 0 ? 95_000 : 125_000),
    });
  }
  // Adlyse: 1–30 s; 5 of 55 fail.
  for (let i = 0; i < count(55); i++) {
    const durationMs = Math.round(between(1, 30) * SECOND);
    const fail = i % 11 === 4;
    add({
      provider: 'adlyse',
      label: 'workflow',
      startAt: between(0, window),
      script: { workflow: i, durationMs, pendingMs: Math.min(1_000, durationMs), ...(fail ? { fail: 'Node "enrich" failed: upstream timed out after 3 attempts' } : {}) },
      kindId: 'run',
      input: {},
      expectFail: fail,
      plannedMs: durationMs,
    });
  }
  return runs.sort((a, b) => a.startAt - b.startAt || a.n - b.n);
}

function dedupeByIndex<T extends { index: number }>(items: T[]): T[] {
  const seen = new Set<number>();
  return items.filter(i => !seen.has(i.index) && seen.add(i.index));
}

/**
 * Faults on the polling front-ends: a burst of 429s with Retry-After (simulated seconds, as every time in the
 * benchmark: ScaledProvider hands the engine Retry-After ÷ the time scale), a 5xx storm that lasts two
 * simulated minutes whatever is asked meanwhile, and 503s that say when to come back.
 */
export function buildFaults(startWindowMs: number): PlannedFault[] {
  const storm = Math.round(startWindowMs * 0.6);
  return [
    {
      at: Math.round(startWindowMs * 0.35),
      what: 'Boring Marketing: 4 × 429 with Retry-After: 60',
      faults: [
        {
          provider: 'boringMarketing',
          method: 'GET',
          path: '^/brands/[^/]+/runs/[^/]+$',
          status: 429,
          headers: { 'retry-after': '60' },
          body: { detail: 'Rate limit exceeded' },
          times: 4,
        },
      ],
    },
    {
      at: storm,
      durationMs: MINUTE,
      what: 'Talonic: 5xx storm, 1 min of 503',
      faults: [{ provider: 'talonic', method: 'GET', path: '/progress$', status: 503, times: 1_000_000 }],
    },
    {
      at: storm + MINUTE,
      durationMs: MINUTE,
      what: 'then 1 min of 502 (HTML page)',
      faults: [{ provider: 'talonic', method: 'GET', path: '/progress$', status: 502, html: true, times: 1_000_000 }],
    },
    {
      at: Math.round(startWindowMs * 0.8),
      what: 'Automindz: 2 × 503 with Retry-After: 60',
      faults: [{ provider: 'automindz', method: 'GET', path: '^/v1/runs/', status: 503, headers: { 'retry-after': '60' }, body: { detail: 'Service Unavailable' }, times: 2 }],
    },
  ];
}
