// GloriaMundo Developer API, as documented (providers.md §2, seeds/001): execute a workflow, poll its
// status. There is no list or cancel endpoint. Run lifecycles are computed from the SimClock, so a test
// moves a run on with `sim.clock.advance(ms)`.
//
// The status payload reproduces the seed exactly, including its reading of `current_step`: the number of
// steps already finished, with `current_step_name` the step now executing (seed: current_step 2 →
// "Generate content", the third of five; percentage = current_step / total_steps).
import { randomUUID } from 'node:crypto';
import type { AcceptedStart, SimClock, SimProvider, SimReply, SimRequest } from './server';
import { presentedKey } from './server';
import { SIM_KEYS } from './keys';

export interface GmWorkflowSpec {
  name: string;
  steps: string[];
  /** ms per step: one number for every step, or one per step. Default 20 s (the seed's run took 105 s for 5 steps). */
  durations?: number | number[];
  /** ms a run stays `queued` before its first step. Default 1.5 s. */
  queuedMs?: number;
  /**
   * Fail the run while it executes step index `step` (0-based, which is also the `current_step` the
   * status then reports: the seed's failed run has current_step 3, "Send email"). It fails halfway through
   * that step.
   */
  failAtStep?: { step: number; error: string; costCents?: number };
  /** `result` of a completed run. Default: a small summary echoing the input. */
  result?: unknown;
  /** Cost of a completed run. Default 3 cents a step (the seed's 5-step run cost 15). */
  costCents?: number;
}

interface GmRun {
  id: string;
  workflowId: string;
  /** The key that started it: a run is 404 to any other key ("you don't own the workflow"). */
  ownerKey: string;
  createdAt: number;
  input: Record<string, unknown>;
  spec: GmWorkflowSpec;
}

export interface GmRateLimits {
  windowMs: number;
  /** Status polls per window per key (docs: 60 / 60 s). */
  statusPolls: number;
  /** Executions per window per key (docs: 10 / 60 s). */
  executes: number;
}

export interface GmSpendLimit {
  limitCents: number;
  period: 'daily' | 'weekly' | 'monthly';
}

const DEFAULT_STEP_MS = 20_000;
const DEFAULT_QUEUED_MS = 1_500;
const DEFAULT_CENTS_PER_STEP = 3;

export class GloriaMundoSim implements SimProvider {
  readonly id = 'gloriaMundo' as const;
  readonly prefix = '/gm/api/v1';
  readonly keys = new Set([SIM_KEYS.gloriaMundo]);

  /**
   * How a spend-limit block answers: 402 per the Spend Controls page (default), or 429 per the Executing
   * page's error table. The body is `{"error":"spend_limit_exceeded", …}` either way.
   */
  spendLimitStatus: 402 | 429 = 402;
  /** Leave `Retry-After` off 429 rate-limit answers (the docs do not say whether it is sent). */
  omitRetryAfter = false;
  rateLimits: GmRateLimits = { windowMs: 60_000, statusPolls: 60, executes: 10 };
  /** Prepaid credits in cents; execute answers 402 insufficient_credits at 0 or below. */
  creditsCents = Number.POSITIVE_INFINITY;
  spendLimit: GmSpendLimit | undefined;
  currentPeriodSpendCents = 0;
  /** Ids of the runs seedDemo() started, for a demo to print and track. */
  demoRunIds: string[] = [];

  private readonly workflows = new Map<string, GmWorkflowSpec>();
  private readonly runs = new Map<string, GmRun>();
  /** Every run an execute call created, in order. */
  readonly started: AcceptedStart[] = [];
  /** key → endpoint → accepted request times, for the sliding-window limits. */
  private readonly hits = new Map<string, { status: number[]; execute: number[] }>();

  constructor(readonly clock: SimClock) {}

  addWorkflow(id: string, spec: GmWorkflowSpec): void {
    if (spec.steps.length === 0) throw new Error(`simulator: workflow ${id} needs at least one step`);
    this.workflows.set(id, spec);
  }

  /** Starts a run without HTTP (for demos that pre-start one) and returns its id. */
  startRun(workflowId: string, input: Record<string, unknown> = {}, options: { ownerKey?: string; startedAgoMs?: number } = {}): string {
    const spec = this.workflows.get(workflowId);
    if (!spec) throw new Error(`simulator: unknown GloriaMundo workflow ${workflowId}`);
    const run: GmRun = {
      id: randomUUID(),
      workflowId,
      ownerKey: options.ownerKey ?? SIM_KEYS.gloriaMundo,
      createdAt: this.clock.now() - (options.startedAgoMs ?? 0),
      input,
      spec,
    };
    this.runs.set(run.id, run);
    return run.id;
  }

  reset(): void {
    this.started.length = 0;
    this.workflows.clear();
    this.runs.clear();
    this.hits.clear();
    this.spendLimitStatus = 402;
    this.omitRetryAfter = false;
    this.rateLimits = { windowMs: 60_000, statusPolls: 60, executes: 10 };
    this.creditsCents = Number.POSITIVE_INFINITY;
    this.spendLimit = undefined;
    this.currentPeriodSpendCents = 0;
    this.demoRunIds = [];
  }

  seedDemo(): void {
    this.addWorkflow('wf_daily_digest', {
      name: 'Daily digest',
      steps: ['Fetch emails', 'Summarize', 'Generate content', 'Send email', 'Post to Slack'],
      durations: 21_000,
      result: { generated_content: 'Daily digest: 3 emails from team...', summary: 'Posted summary to #daily-digest' },
    });
    this.addWorkflow('wf_lead_enrichment', {
      name: 'Lead enrichment',
      steps: ['Fetch new leads', 'Enrich company data', 'Score leads', 'Update CRM'],
      durations: [8_000, 45_000, 12_000, 6_000],
      failAtStep: { step: 3, error: 'HubSpot connection expired. Please reconnect.', costCents: 8 },
    });
    this.demoRunIds = [this.startRun('wf_daily_digest', { channel: '#daily-digest' }, { startedAgoMs: 30_000 })];
  }

  handle(req: SimRequest): SimReply {
    const key = presentedKey(req);
    const segments = req.path.split('/').filter(Boolean);

    if (segments[0] === 'keys') {
      // Key management needs a browser session; an API-key header gets 403 (docs: /api/authentication).
      return error(403, 'forbidden', 'Key management requires a signed-in browser session.');
    }
    if (!key || !this.keys.has(key)) return error(401, 'unauthorized', 'Missing or invalid API key.');

    if (req.method === 'POST' && segments.length === 3 && segments[0] === 'workflows' && segments[2] === 'execute') {
      return this.execute(key, decodeURIComponent(segments[1]), req);
    }
    if (req.method === 'GET' && segments.length === 3 && segments[0] === 'runs' && segments[2] === 'status') {
      return this.status(key, decodeURIComponent(segments[1]));
    }
    if (segments.length === 1 && segments[0] === 'spend-limit') {
      if (req.method === 'GET') return { status: 200, body: this.spendLimitBody() };
      if (req.method === 'PUT') return this.putSpendLimit(req.body);
    }
    return error(404, 'not_found', 'Not found.');
  }

  private execute(key: string, workflowId: string, req: SimRequest): SimReply {
    const limited = this.rateLimit(key, 'execute');
    if (limited) return limited;
    const body = req.rawBody.trim() === '' ? {} : req.body;
    if (!isPlainObject(body)) return error(400, 'invalid_request', 'The request body must be a JSON object.');
    const input = body.input;
    if (input !== undefined && !isPlainObject(input)) {
      return error(400, 'invalid_input', 'input must be a JSON object; its fields become {{trigger.<field>}} variables.');
    }
    const spec = this.workflows.get(workflowId);
    if (!spec) return error(404, 'not_found', 'Workflow not found or you do not own it.');
    if (this.creditsCents <= 0) {
      return {
        status: 402,
        body: { error: 'insufficient_credits', message: 'Insufficient credits to run this workflow.', credits_remaining: Math.max(0, this.creditsCents) },
      };
    }
    if (this.spendLimit && this.currentPeriodSpendCents >= this.spendLimit.limitCents) {
      return {
        status: this.spendLimitStatus,
        body: {
          error: 'spend_limit_exceeded',
          message: `Spend limit of ${this.spendLimit.limitCents} cents for this ${this.spendLimit.period} period reached.`,
          spend_limit_cents: this.spendLimit.limitCents,
          current_period_spend_cents: this.currentPeriodSpendCents,
          period_reset_at: this.clock.iso(this.periodResetAt(this.spendLimit.period)),
        },
      };
    }
    const runId = this.startRun(workflowId, (input as Record<string, unknown> | undefined) ?? {}, { ownerKey: key });
    this.started.push({ provider: this.id, runId, accountId: workflowId, at: this.clock.now(), input });
    return { status: 200, body: { run_id: runId, status: 'queued', poll_url: `/api/v1/runs/${runId}/status` } };
  }

  private status(key: string, runId: string): SimReply {
    const limited = this.rateLimit(key, 'status');
    if (limited) return limited;
    const run = this.runs.get(runId);
    if (!run || run.ownerKey !== key) return error(404, 'not_found', 'Run not found or you do not own the workflow.');
    return { status: 200, body: this.statusBody(run) };
  }

  /** The seed's status shape for a run at the current simulated time. */
  private statusBody(run: GmRun): Record<string, unknown> {
    const { spec } = run;
    const total = spec.steps.length;
    const durations = spec.steps.map((_, i) => (Array.isArray(spec.durations) ? (spec.durations[i] ?? DEFAULT_STEP_MS) : (spec.durations ?? DEFAULT_STEP_MS)));
    const startedAt = run.createdAt + (spec.queuedMs ?? DEFAULT_QUEUED_MS);
    const now = this.clock.now();
    const base = { run_id: run.id };

    if (now < startedAt) {
      return {
        ...base,
        status: 'queued',
        progress: { current_step: 0, total_steps: total, current_step_name: null, percentage: 0 },
        started_at: null,
        completed_at: null,
        result: null,
        cost_cents: null,
        error: null,
      };
    }

    // Time the run ends: halfway through the failing step, or after the last step.
    const fail = spec.failAtStep && spec.failAtStep.step < total ? spec.failAtStep : undefined;
    const stepStart = (i: number) => startedAt + durations.slice(0, i).reduce((a, b) => a + b, 0);
    const endsAt = fail ? stepStart(fail.step) + durations[fail.step] / 2 : stepStart(total);
    const progressAt = (done: number) => ({
      current_step: done,
      total_steps: total,
      current_step_name: spec.steps[Math.min(done, total - 1)],
      percentage: Math.round((done / total) * 100),
    });

    if (now >= endsAt) {
      const timing = { started_at: this.clock.iso(startedAt), completed_at: this.clock.iso(endsAt) };
      if (fail) {
        return {
          ...base,
          status: 'failed',
          progress: progressAt(fail.step),
          ...timing,
          result: null,
          cost_cents: fail.costCents ?? fail.step * DEFAULT_CENTS_PER_STEP,
          error: fail.error,
        };
      }
      return {
        ...base,
        status: 'completed',
        progress: progressAt(total),
        ...timing,
        result: spec.result ?? { summary: `${spec.name} finished`, input: run.input },
        cost_cents: spec.costCents ?? total * DEFAULT_CENTS_PER_STEP,
        error: null,
      };
    }

    let done = 0;
    while (done < total && now >= stepStart(done + 1)) done++;
    return {
      ...base,
      status: 'running',
      progress: progressAt(done),
      started_at: this.clock.iso(startedAt),
      completed_at: null,
      result: null,
      cost_cents: null,
      error: null,
    };
  }

  /** Sliding window per key and endpoint; only requests that were let through count. */
  private rateLimit(key: string, endpoint: 'status' | 'execute'): SimReply | undefined {
    const now = this.clock.now();
    const { windowMs } = this.rateLimits;
    const limit = endpoint === 'status' ? this.rateLimits.statusPolls : this.rateLimits.executes;
    let perKey = this.hits.get(key);
    if (!perKey) this.hits.set(key, (perKey = { status: [], execute: [] }));
    const times = perKey[endpoint].filter(t => t > now - windowMs);
    perKey[endpoint] = times;
    if (times.length < limit) {
      times.push(now);
      return undefined;
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((times[0] + windowMs - now) / 1000));
    return {
      status: 429,
      body: { error: 'rate_limit_exceeded', message: `Rate limit of ${limit} requests per ${windowMs / 1000} s exceeded.` },
      headers: this.omitRetryAfter ? {} : { 'retry-after': String(retryAfterSeconds) },
    };
  }

  private spendLimitBody(): Record<string, unknown> {
    const limit = this.spendLimit;
    return {
      success: true,
      has_limit: !!limit,
      spend_limit_cents: limit?.limitCents ?? null,
      spend_period: limit?.period ?? null,
      current_period_spend_cents: this.currentPeriodSpendCents,
      period_reset_at: limit ? this.clock.iso(this.periodResetAt(limit.period)) : null,
      allowed: !limit || this.currentPeriodSpendCents < limit.limitCents,
    };
  }

  private putSpendLimit(body: unknown): SimReply {
    if (!isPlainObject(body)) return error(400, 'invalid_request', 'The request body must be a JSON object.');
    const cents = body.spend_limit_cents;
    const period = body.spend_period;
    if (cents === null) {
      this.spendLimit = undefined;
      return { status: 200, body: this.spendLimitBody() };
    }
    if (typeof cents !== 'number' || cents < 0 || (period !== 'daily' && period !== 'weekly' && period !== 'monthly')) {
      return error(400, 'invalid_request', 'spend_limit_cents must be a number and spend_period one of daily, weekly, monthly.');
    }
    this.spendLimit = { limitCents: cents, period };
    return { status: 200, body: this.spendLimitBody() };
  }

  /** Daily at midnight UTC, weekly on Monday 00:00 UTC, monthly on the 1st at 00:00 UTC. */
  private periodResetAt(period: GmSpendLimit['period']): number {
    const now = new Date(this.clock.now());
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const day = 86_400_000;
    if (period === 'daily') return midnight + day;
    if (period === 'weekly') {
      const daysToMonday = (8 - now.getUTCDay()) % 7 || 7;
      return midnight + daysToMonday * day;
    }
    return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  }
}

function error(status: number, code: string, message: string): SimReply {
  return { status, body: { error: code, message } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
