// Automindz (providers.md §3, seeds/002): a FastAPI service. `POST /v1/hiring-signals/leavers` (and the
// legacy unversioned path) starts a "find leavers" run; `GET /v1/runs/{id}` (and legacy `/runs/{id}`)
// polls any run. Bearer auth only. Errors are FastAPI `{"detail": …}` bodies. Lifecycles follow the
// SimClock: QUEUED for `queuedMs`, RUNNING until `durationMs`, then COMPLETED or FAILED.
import { randomBytes } from 'node:crypto';
import type { AcceptedStart, SimClock, SimProvider, SimReply, SimRequest } from './server';
import { SIM_KEYS } from './keys';

export interface AmzRunScript {
  /** ms from start until the run leaves QUEUED. Default 3 s. */
  queuedMs?: number;
  /** ms from start until COMPLETED (the seed's run took 40 s). Default 40 s. */
  durationMs?: number;
  /** Make the run fail at `durationMs` with this error (the seed's FAILED shape). */
  fail?: { message: string; step_id: string };
  /** The COMPLETED result; default: the seed's example, with file names from org_name. */
  result?: unknown;
}

interface AmzRun {
  id: string;
  ownerKey: string;
  createdAt: number;
  /** Started on the legacy unversioned path. */
  legacy: boolean;
  orgName: string;
  script: Required<Pick<AmzRunScript, 'queuedMs' | 'durationMs'>> & AmzRunScript;
}

const THIRD_PARTY_KEYS = ['ai_ark_api_key', 'exa_api_key', 'openrouter_api_key'] as const;
/** A third-party key with this value makes the run fail the way the seed shows. */
export const AMZ_BAD_THIRD_PARTY_KEY = 'bad';
const THIRD_PARTY_FAILURE = { message: '401 Client Error: Unauthorized', step_id: 'fetch_contacts' };

export class AutomindzSim implements SimProvider {
  readonly id = 'automindz' as const;
  readonly prefix = '/amz';
  readonly keys = new Set([SIM_KEYS.automindz]);

  /** HTTP status of a successful start: undocumented, so either can be played. */
  startStatus: 200 | 202 = 202;
  /** False plays an older deployment: every `/v1/...` path answers 404 Not Found. */
  v1Routes = true;
  /** False: runs started on the legacy path are 404 on `/v1/runs/{id}` (found only on `/runs/{id}`). */
  legacyRunsOnV1 = true;
  /** Plan limits (Free: 2 concurrent / 10 req/min; Pro: 10 / 60). Default Pro. */
  concurrentRuns = 10;
  requestsPerMinute = 60;
  /** Leave `Retry-After` off 429 answers (the docs do not say whether it is sent). */
  omitRetryAfter = false;
  defaultScript: Required<Pick<AmzRunScript, 'queuedMs' | 'durationMs'>> = { queuedMs: 3_000, durationMs: 40_000 };
  /** Ids of the runs seedDemo() made, for a demo to print and track. */
  demoRunIds: { running?: string; completed?: string } = {};

  private readonly runs = new Map<string, AmzRun>();
  /** Every run a start created over HTTP, in order (its org_name as the input: the rest holds third-party keys). */
  readonly started: AcceptedStart[] = [];
  private readonly nextScripts: AmzRunScript[] = [];
  private readonly hits = new Map<string, number[]>();
  private fileCounter = 12345;

  constructor(readonly clock: SimClock) {}

  /** The next run started over HTTP follows this script (queued in order). */
  scriptNextRun(script: AmzRunScript): void {
    this.nextScripts.push(script);
  }

  /** Creates a run without HTTP (demos, tests) and returns its id. */
  createRun(options: AmzRunScript & { orgName?: string; startedAgoMs?: number; ownerKey?: string; legacy?: boolean } = {}): string {
    const run: AmzRun = {
      id: uuidV7Like(this.clock.now()),
      ownerKey: options.ownerKey ?? SIM_KEYS.automindz,
      createdAt: this.clock.now() - (options.startedAgoMs ?? 0),
      legacy: options.legacy ?? false,
      orgName: options.orgName ?? 'acme',
      script: { ...this.defaultScript, ...options },
    };
    this.runs.set(run.id, run);
    return run.id;
  }

  reset(): void {
    this.started.length = 0;
    this.runs.clear();
    this.nextScripts.length = 0;
    this.hits.clear();
    this.startStatus = 202;
    this.v1Routes = true;
    this.legacyRunsOnV1 = true;
    this.concurrentRuns = 10;
    this.requestsPerMinute = 60;
    this.omitRetryAfter = false;
    this.defaultScript = { queuedMs: 3_000, durationMs: 40_000 };
    this.demoRunIds = {};
  }

  seedDemo(): void {
    this.demoRunIds = {
      running: this.createRun({ orgName: 'globex', startedAgoMs: 20_000, durationMs: 5 * 60_000 }),
      completed: this.createRun({ orgName: 'acme', startedAgoMs: 10 * 60_000 }),
    };
  }

  handle(req: SimRequest): SimReply {
    let segments = req.path.split('/').filter(Boolean);
    const v1 = segments[0] === 'v1';
    if (v1) {
      if (!this.v1Routes) return notFound();
      segments = segments.slice(1);
    }
    const route = this.route(req.method, segments);
    if (route === 'none') return notFound();
    if (route === 'method') return { status: 405, body: { detail: 'Method Not Allowed' } };

    const key = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!key || !this.keys.has(key)) return { status: 401, body: { detail: 'Invalid or missing API key' } };
    const limited = this.rateLimit(key);
    if (limited) return limited;

    if (route === 'start') return this.start(key, req, !v1);
    const runId = decodeURIComponent(segments[segments.length - 1]);
    return this.get(key, runId, v1);
  }

  private route(method: string, s: string[]): 'start' | 'get' | 'method' | 'none' {
    const isStart = s.length === 2 && s[0] === 'hiring-signals' && s[1] === 'leavers';
    const isGet = (s.length === 2 && s[0] === 'runs') || (s.length === 4 && s[0] === 'hiring-signals' && s[1] === 'leavers' && s[2] === 'runs');
    if (isStart) return method === 'POST' ? 'start' : 'method';
    if (isGet) return method === 'GET' ? 'get' : 'method';
    return 'none';
  }

  private start(key: string, req: SimRequest, legacy: boolean): SimReply {
    const problems = validateLeaversBody(req.body);
    if (problems.length) return { status: 422, body: { detail: problems } };
    const body = req.body as Record<string, unknown>;
    const active = [...this.runs.values()].filter(r => r.ownerKey === key && !this.isFinished(r)).length;
    if (active >= this.concurrentRuns) return this.tooMany('Too many concurrent runs', 30);

    const script = this.nextScripts.shift() ?? {};
    const badKey = THIRD_PARTY_KEYS.some(k => body[k] === AMZ_BAD_THIRD_PARTY_KEY);
    const id = this.createRun({
      ...script,
      // A rejected third-party key fails at the first step that uses it, 1.3 s in, like the seed.
      ...(badKey && !script.fail ? { fail: THIRD_PARTY_FAILURE, queuedMs: 300, durationMs: 1_300 } : {}),
      orgName: String(body.org_name),
      ownerKey: key,
      legacy,
    });
    this.started.push({ provider: this.id, runId: id, accountId: 'leavers', at: this.clock.now(), input: { org_name: body.org_name } });
    const pollUrl = `${legacy ? '' : '/v1'}/hiring-signals/leavers/runs/${id}`;
    return { status: this.startStatus, body: { run_id: id, status: 'QUEUED', poll_url: pollUrl } };
  }

  private get(key: string, runId: string, v1: boolean): SimReply {
    const run = this.runs.get(runId);
    if (!run || run.ownerKey !== key || (v1 && run.legacy && !this.legacyRunsOnV1)) return { status: 404, body: { detail: 'Run not found' } };
    return { status: 200, body: this.runBody(run) };
  }

  private isFinished(run: AmzRun): boolean {
    return this.clock.now() >= run.createdAt + run.script.durationMs;
  }

  private runBody(run: AmzRun): Record<string, unknown> {
    const now = this.clock.now();
    const { queuedMs, durationMs } = run.script;
    // started_at is set even while QUEUED (seed); it is the time the run was accepted.
    const base = { run_id: run.id, started_at: this.clock.iso(run.createdAt) };
    if (now < run.createdAt + queuedMs) return { ...base, status: 'QUEUED', result: null, finished_at: null };
    if (now < run.createdAt + durationMs) return { ...base, status: 'RUNNING', result: null, finished_at: null };
    const finishedAt = this.clock.iso(run.createdAt + durationMs);
    if (run.script.fail) return { ...base, status: 'FAILED', result: { error: run.script.fail }, finished_at: finishedAt };
    run.script.result ??= this.leaversResult(run.orgName);
    return { ...base, status: 'COMPLETED', result: run.script.result, finished_at: finishedAt };
  }

  /** The seed's COMPLETED result, with the CSV names built from org_name. */
  private leaversResult(orgName: string): unknown {
    const slug = orgName.toLowerCase().replace(/[^a-z0-9]+/g, '_');
    const file = (name: string) => `https://tmpfiles.org/dl/${this.fileCounter++}/${slug}_${name}.csv`;
    return {
      costs: { exa_cost: 0.072, openrouter_cost: 0.001564, ai_ark_credits_consumed: -30186.2 },
      summary: { leavers_count: 1, new_company_dms_count: 3, old_company_dms_count: 3 },
      leavers_url: file('leavers'),
      new_company_dms_url: file('new_company_dms'),
      old_company_dms_url: file('old_company_dms'),
    };
  }

  /** Plan request limit: a sliding minute per key on the SimClock. */
  private rateLimit(key: string): SimReply | undefined {
    const now = this.clock.now();
    const times = (this.hits.get(key) ?? []).filter(t => t > now - 60_000);
    this.hits.set(key, times);
    if (times.length >= this.requestsPerMinute) {
      return this.tooMany('Rate limit exceeded', Math.max(1, Math.ceil((times[0] + 60_000 - now) / 1000)));
    }
    times.push(now);
    return undefined;
  }

  private tooMany(detail: string, retryAfterSeconds: number): SimReply {
    return { status: 429, body: { detail }, headers: this.omitRetryAfter ? {} : { 'retry-after': String(retryAfterSeconds) } };
  }
}

function notFound(): SimReply {
  return { status: 404, body: { detail: 'Not Found' } };
}

type FieldType = 'string' | 'string[]' | 'int' | 'ranges';
const LEAVERS_FIELDS: Record<string, { type: FieldType; required?: boolean }> = {
  org_name: { type: 'string', required: true },
  ai_ark_api_key: { type: 'string', required: true },
  exa_api_key: { type: 'string', required: true },
  openrouter_api_key: { type: 'string', required: true },
  industries: { type: 'string[]', required: true },
  limit: { type: 'int' },
  employee_size_ranges: { type: 'ranges' },
  job_titles: { type: 'string[]' },
  tenure_min_months: { type: 'int' },
  tenure_max_months: { type: 'int' },
  qualification_criteria: { type: 'string' },
  geography: { type: 'string[]' },
  dm_titles: { type: 'string[]' },
  dm_exclusion_titles: { type: 'string[]' },
};

/**
 * FastAPI/pydantic validation errors. Like pydantic 2, a missing field's entry echoes the whole body as
 * `input`, third-party keys included: the adapter must not let that reach a log or a message.
 */
function validateLeaversBody(body: unknown): Record<string, unknown>[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }];
  }
  const b = body as Record<string, unknown>;
  const problems: Record<string, unknown>[] = [];
  for (const [name, field] of Object.entries(LEAVERS_FIELDS)) {
    const value = b[name];
    if (value === undefined || value === null) {
      if (field.required) problems.push({ loc: ['body', name], msg: 'field required', type: 'value_error.missing', input: body });
      continue;
    }
    const wrong = typeProblem(field.type, value);
    if (wrong) problems.push({ loc: ['body', name], msg: wrong.msg, type: wrong.type, input: value });
  }
  return problems;
}

function typeProblem(type: FieldType, value: unknown): { msg: string; type: string } | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : { msg: 'str type expected', type: 'type_error.str' };
    case 'int':
      return Number.isInteger(value) ? undefined : { msg: 'value is not a valid integer', type: 'type_error.integer' };
    case 'string[]':
      return Array.isArray(value) && value.every(v => typeof v === 'string') ? undefined : { msg: 'value is not a valid list of strings', type: 'type_error.list' };
    case 'ranges':
      return Array.isArray(value) && value.every(v => typeof v === 'object' && v !== null && !Array.isArray(v))
        ? undefined
        : { msg: 'value is not a valid list of {start, end} ranges', type: 'type_error.list' };
  }
}

/** A UUIDv7-shaped id: 48 bits of ms timestamp, version 7, RFC 4122 variant, random rest. */
function uuidV7Like(ms: number): string {
  const hex = Math.floor(ms).toString(16).padStart(12, '0').slice(-12);
  const rand = randomBytes(10).toString('hex');
  const variant = ((parseInt(rand[3], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${rand.slice(0, 3)}-${variant}${rand.slice(4, 7)}-${rand.slice(7, 19)}`;
}
