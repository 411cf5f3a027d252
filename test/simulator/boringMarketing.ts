// Boring Marketing as the simulator plays it (providers.md §1, seeds/000): brands, the nine pipeline
// triggers under /brands/{id}/, runs whose lifecycle is computed from the SimClock (no timers), the 409
// duplicate-run rule with X-Running-Run-Id, cancel, and /auth/usage.
//
// Where the docs disagree the simulator can play each reading:
//   singleStageMode   'own': single-purpose runs report their own stage (Polling guide); 'null': they keep
//                     current_stage null like /discover (Analyze page).
//   runListShape      'full': list items are whole Run objects; 'summary': only {id, kind, status,
//                     started_at, finished_at} as in the Runs-list example.
//   autoExpireBasis   'started': "active runs older than 15 minutes" measured from the run's start (literal);
//                     'stage': measured from the last stage change.
// 429, 402 credits_exhausted and 5xx are not played here: script them with Simulator.addFault.
import { randomUUID } from 'node:crypto';
import type { AcceptedStart, SimClock, SimProvider, SimReply, SimRequest } from './server';
import { SIM_KEYS } from './keys';

export const BM_STAGES = [
  'brand_enrichment',
  'competitor_discovery',
  'family_discovery',
  'evidence_collection',
  'leverage_scoring',
  'queue_building',
] as const;

export type BmRunKind =
  | 'full'
  | 'discovery'
  | 'competitor_discovery'
  | 'brand_enrichment'
  | 'technical_enrichment'
  | 'llm_enrichment'
  | 'synthesize'
  | 'scoring'
  | 'brief'
  | 'execution';

export type BmRunStatus = 'queued' | 'running' | 'done' | 'failed';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Sim-time defaults, inside the documented ranges where the docs give one. */
const DEFAULT_QUEUED_MS = 5 * SECOND;
const DEFAULT_FULL_STAGE_MS: Record<(typeof BM_STAGES)[number], number> = {
  brand_enrichment: 2 * MINUTE,
  competitor_discovery: 3 * MINUTE,
  family_discovery: 5 * MINUTE,
  evidence_collection: 10 * MINUTE,
  leverage_scoring: 3 * MINUTE,
  queue_building: 1 * MINUTE,
};
const DEFAULT_KIND_MS: Record<Exclude<BmRunKind, 'full'>, number> = {
  discovery: 15 * MINUTE,
  competitor_discovery: 3 * MINUTE,
  brand_enrichment: 2 * MINUTE, // undocumented
  technical_enrichment: 10 * MINUTE,
  llm_enrichment: 2 * MINUTE,
  synthesize: 30 * SECOND,
  scoring: 2 * MINUTE,
  brief: 1 * MINUTE, // undocumented
  execution: 5 * MINUTE,
};

/** The stage a single-purpose run reports as its own in 'own' mode. */
const OWN_STAGE: Record<Exclude<BmRunKind, 'full' | 'discovery'>, string> = {
  competitor_discovery: 'competitor_discovery',
  brand_enrichment: 'brand_enrichment',
  technical_enrichment: 'technical_enrichment',
  llm_enrichment: 'llm_enrichment',
  synthesize: 'synthesize',
  scoring: 'leverage_scoring',
  brief: 'brief',
  execution: 'execution',
};

/** Trigger route (below /brands/{id}/) → run kind. */
const TRIGGERS: Record<string, BmRunKind> = {
  analyze: 'full',
  discover: 'discovery',
  'discover-competitors': 'competitor_discovery',
  'enrich/brand': 'brand_enrichment',
  'enrich/technical': 'technical_enrichment',
  'enrich/llm': 'llm_enrichment',
  synthesize: 'synthesize',
  score: 'scoring',
  brief: 'brief',
  execute: 'execution',
};

const CONFLICT_DETAIL = 'A run is already in progress for this brand';
const FAMILIES = 12;

/** How a run behaves; every field optional. Durations are simulated milliseconds. */
export interface BmRunScript {
  queuedMs?: number;
  /** Duration of every stage unless `stageMs` names it. */
  durationMs?: number;
  /** Per stage, by name (the six full stages, or the run's own stage name, or 'discovery'). */
  stageMs?: Partial<Record<string, number>>;
  /** Fail in this stage (the run's only stage when omitted), `afterMs` into it (default: its full duration). */
  failAt?: { stage?: string; error: string; afterMs?: number };
  /** Reach this stage and never leave it: stage_started_at stops moving. */
  stuckAt?: string;
  /** Extra keys merged into meta once the run is done. */
  doneMeta?: Record<string, unknown>;
}

export interface BmAddRunOptions extends BmRunScript {
  kind: BmRunKind;
  /** The state the run is in now; it then moves on with the clock ('queued' and 'running' runs finish later). */
  status?: BmRunStatus;
  /** For 'running' (and 'failed'): the stage it is in (failed in). Default: the first (last for failed full runs). */
  stage?: string;
  /** For 'running': how long it has been in that stage. */
  inStageMs?: number;
  /** For 'failed': the error string. */
  error?: string;
  /** For 'done' and 'failed': how long ago it finished. */
  finishedAgoMs?: number;
  id?: string;
}

export interface BmBrand {
  id: string;
  domain: string;
  name: string;
  state: string;
  created_at: string;
  updated_at: string;
  competitors: Array<Record<string, unknown>>;
}

interface PlannedStage {
  name: string;
  durationMs: number;
  /** 'always': reported in meta.current_stage; 'single': reported in 'own' mode only; 'never': discovery. */
  emit: 'always' | 'single' | 'never';
}

export interface BmSimRun {
  id: string;
  brandId: string;
  kind: BmRunKind;
  /** Sim time the run row was created (the trigger's 202). */
  createdAt: number;
  queuedMs: number;
  plan: PlannedStage[];
  failAt?: { stage: string; error: string; afterMs?: number };
  stuckAt?: string;
  doneMeta?: Record<string, unknown>;
  /** Set when the run was ended from outside: cancelled or auto-expired. */
  ended?: { at: number; error: string | null; cancelled?: boolean };
  /** What started it, for assertions: the route, the query and the body as received. */
  trigger?: { route: string; query: Record<string, string>; body: unknown };
}

interface RunState {
  status: BmRunStatus;
  /** Index into plan of the stage in progress (running) or failed in; the last stage when done. */
  stageIndex: number;
  stageStartedAt?: number;
  /** 0..1 through the current stage. */
  stageFraction: number;
  finishedAt?: number;
  error: string | null;
}

export class BoringMarketingSim implements SimProvider {
  readonly id = 'boringMarketing' as const;
  readonly prefix = '/bm';
  readonly keys = new Set([SIM_KEYS.boringMarketing]);

  readonly brands = new Map<string, BmBrand>();
  readonly runs = new Map<string, BmSimRun>();
  /** Every run a trigger created over HTTP, in order. */
  readonly started: AcceptedStart[] = [];

  tier = 'agency';
  brandLimit = 10;
  dailyLimit = 5000;
  callsToday = 0;
  singleStageMode: 'own' | 'null' = 'own';
  runListShape: 'full' | 'summary' = 'full';
  autoExpireMs = 15 * MINUTE;
  autoExpireBasis: 'started' | 'stage' = 'started';
  /** The run's `error` after a cancel. The docs do not say; null plays an API that leaves it empty. */
  cancelError: string | null = 'Cancelled via API';

  private readonly nextScripts = new Map<string, BmRunScript[]>();

  constructor(readonly clock: SimClock) {}

  // ---- test and demo controls ------------------------------------------------------------------

  addKey(key: string): void {
    this.keys.add(key);
  }

  revokeKey(key: string): void {
    this.keys.delete(key);
  }

  setSingleStageMode(mode: 'own' | 'null'): void {
    this.singleStageMode = mode;
  }

  /** Tier name and its brand limit, for the 403 "<tier> tier allows <N> brand(s)." */
  setTier(tier: string, brandLimit: number, dailyLimit = this.dailyLimit): void {
    this.tier = tier;
    this.brandLimit = brandLimit;
    this.dailyLimit = dailyLimit;
  }

  addBrand(input: { domain: string; name?: string; id?: string; competitors?: string[] }): BmBrand {
    const now = this.clock.iso();
    const brand: BmBrand = {
      id: input.id ?? randomUUID(),
      domain: input.domain,
      name: input.name ?? input.domain,
      state: 'new',
      created_at: now,
      updated_at: now,
      competitors: (input.competitors ?? []).map(domain => ({
        domain,
        type: 'business',
        tier: 'adjacent',
        confidence: 0,
        reason_codes: [],
        source_tags: [],
        evidence: [],
      })),
    };
    this.brands.set(brand.id, brand);
    return brand;
  }

  /** The next run started on the brand through the API follows this script (queued per brand, FIFO). */
  scriptNextRun(brandId: string, script: BmRunScript): void {
    const list = this.nextScripts.get(brandId) ?? [];
    list.push(script);
    this.nextScripts.set(brandId, list);
  }

  /** Puts a run in a given state now; from there it moves on with the clock like any other. */
  addRun(brandId: string, options: BmAddRunOptions): BmSimRun {
    const brand = this.brands.get(brandId);
    if (!brand) throw new Error(`simulator: no Boring Marketing brand ${brandId}`);
    const status = options.status ?? 'running';
    const script: BmRunScript = { ...options };
    if (status === 'failed') {
      const plan = this.planFor(options.kind, brand, options);
      const stage = options.stage ?? options.failAt?.stage ?? (options.kind === 'full' ? 'evidence_collection' : plan[plan.length - 1].name);
      script.failAt = { stage, error: options.error ?? options.failAt?.error ?? 'Pipeline failed', afterMs: options.failAt?.afterMs };
    }
    const run = this.createRun(brand, options.kind, script, options.id);
    const now = this.clock.now();
    const offset = (() => {
      switch (status) {
        case 'queued':
          return 0;
        case 'running': {
          const i = Math.max(0, options.stage ? run.plan.findIndex(s => s.name === options.stage) : 0);
          return run.queuedMs + sum(run.plan.slice(0, i).map(s => s.durationMs)) + (options.inStageMs ?? 0);
        }
        case 'done':
          return run.queuedMs + sum(run.plan.map(s => s.durationMs)) + (options.finishedAgoMs ?? 10 * MINUTE);
        case 'failed': {
          const i = Math.max(0, run.plan.findIndex(s => s.name === run.failAt!.stage));
          const into = run.failAt!.afterMs ?? run.plan[i].durationMs;
          return run.queuedMs + sum(run.plan.slice(0, i).map(s => s.durationMs)) + into + (options.finishedAgoMs ?? 5 * MINUTE);
        }
      }
    })();
    run.createdAt = now - offset;
    this.runs.set(run.id, run);
    return run;
  }

  /** The run as the API would return it now. */
  runView(runId: string): Record<string, unknown> | undefined {
    const run = this.runs.get(runId);
    return run ? this.view(run, this.clock.now()) : undefined;
  }

  runsFor(brandId: string): BmSimRun[] {
    return [...this.runs.values()].filter(r => r.brandId === brandId).sort((a, b) => b.createdAt - a.createdAt);
  }

  reset(): void {
    this.started.length = 0;
    this.brands.clear();
    this.runs.clear();
    this.nextScripts.clear();
    this.callsToday = 0;
  }

  /** Replaces this provider's brands and runs with the demo scenario. */
  seedDemo(): void {
    this.reset();
    const acme = this.addBrand({ domain: 'acme.com', name: 'Acme' });
    const globex = this.addBrand({ domain: 'globex.io', name: 'Globex', competitors: ['initech.dev', 'umbrella.co'] });
    const initech = this.addBrand({ domain: 'initech.dev', name: 'Initech' });
    // Short stages so that the demo visibly walks all six within about a minute of real time.
    this.addRun(acme.id, { kind: 'full', status: 'done', finishedAgoMs: 3 * 60 * MINUTE });
    this.addRun(acme.id, { kind: 'full', status: 'running', queuedMs: 3 * SECOND, durationMs: 9 * SECOND, stage: 'brand_enrichment', inStageMs: 2 * SECOND });
    this.addRun(globex.id, {
      kind: 'full',
      status: 'failed',
      stage: 'evidence_collection',
      error: 'DataForSEO rate limit exceeded — retry in 60 seconds',
      finishedAgoMs: 4 * MINUTE,
    });
    this.addRun(initech.id, { kind: 'discovery', status: 'done', finishedAgoMs: 26 * 60 * MINUTE });
    this.addRun(initech.id, { kind: 'scoring', status: 'queued', queuedMs: 45 * SECOND, durationMs: 10 * SECOND });
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  handle(req: SimRequest): SimReply {
    const started = Date.now();
    const reply = this.route(req);
    reply.headers = { 'x-process-time': ((Date.now() - started) / 1000).toFixed(4), ...reply.headers };
    return reply;
  }

  private route(req: SimRequest): SimReply {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !this.keys.has(key)) return { status: 401, body: { detail: 'Invalid or missing API key' } };
    this.callsToday++;
    const authed = { 'x-skill-latest': '1.4.0', 'x-skill-update-url': 'https://docs.boringmarketing.com/skill.md' };
    const reply = this.routeAuthed(req);
    reply.headers = { ...authed, ...reply.headers };
    return reply;
  }

  private routeAuthed(req: SimRequest): SimReply {
    const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const { method } = req;

    if (parts.length === 2 && parts[0] === 'auth' && parts[1] === 'usage') {
      if (method !== 'GET') return methodNotAllowed();
      return {
        status: 200,
        body: {
          tier: this.tier,
          calls_today: this.callsToday,
          daily_limit: this.dailyLimit,
          calls_remaining: Math.max(0, this.dailyLimit - this.callsToday),
          brands_used: this.brands.size,
          brand_limit: this.brandLimit,
          content_enabled: this.tier !== 'builder',
        },
      };
    }
    if (parts[0] !== 'brands') return notFound('Not Found');

    if (parts.length === 1) {
      if (method === 'GET') return { status: 200, body: [...this.brands.values()].map(brandSummary) };
      if (method === 'POST') return this.createBrand(req.body);
      return methodNotAllowed();
    }

    const brandId = parts[1];
    const rest = parts.slice(2);
    if (rest.length === 0) {
      if (method !== 'GET') return methodNotAllowed();
      const brand = this.brands.get(brandId);
      return brand ? { status: 200, body: brandContext(brand) } : notFound('Brand not found');
    }

    const triggerRoute = rest.join('/');
    if (method === 'POST' && Object.hasOwn(TRIGGERS, triggerRoute)) return this.trigger(brandId, triggerRoute, req);

    if (rest[0] === 'runs') {
      const brand = this.brands.get(brandId);
      if (!brand) return notFound('Brand not found');
      const now = this.clock.now();
      if (rest.length === 1 && method === 'GET') {
        const runs = this.runsFor(brandId).map(r => this.view(r, now));
        const items = this.runListShape === 'summary' ? runs.map(({ id, kind, status, started_at, finished_at }) => ({ id, kind, status, started_at, finished_at })) : runs;
        return { status: 200, body: { brand_id: brandId, total: items.length, runs: items } };
      }
      const run = this.runs.get(rest[1]);
      if (!run || run.brandId !== brandId) return notFound('Run not found');
      if (rest.length === 2 && method === 'GET') return { status: 200, body: this.view(run, now) };
      if (rest.length === 3 && rest[2] === 'cancel' && method === 'POST') {
        const state = this.stateAt(run, now);
        if (state.status !== 'queued' && state.status !== 'running') {
          return { status: 400, body: { detail: `Run is ${state.status}, not queued or running` } };
        }
        run.ended = { at: now, error: this.cancelError, cancelled: true };
        return { status: 200, body: { run_id: run.id, status: 'failed', cancelled: true } };
      }
      return rest.length <= 3 ? methodNotAllowed() : notFound('Not Found');
    }
    return notFound('Not Found');
  }

  private createBrand(body: unknown): SimReply {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const missing = ['domain', 'name'].filter(f => typeof b[f] !== 'string' || !(b[f] as string).trim());
    if (missing.length) return validationError(missing.map(f => ({ loc: ['body', f], msg: 'Field required', type: 'missing' })));
    const domain = (b.domain as string).trim().toLowerCase();
    if (/^[a-z]+:\/\//.test(domain) || domain.includes('/')) {
      return validationError([{ loc: ['body', 'domain'], msg: 'Value error, domain must not include a protocol or path', type: 'value_error' }]);
    }
    const existing = [...this.brands.values()].find(x => x.domain === domain);
    if (existing) return { status: 201, body: { id: existing.id, domain: existing.domain, name: existing.name, existing: true } };
    if (this.brands.size >= this.brandLimit) return { status: 403, body: { detail: `${this.tier} tier allows ${this.brandLimit} brand(s).` } };
    const brand = this.addBrand({ domain, name: (b.name as string).trim() });
    return { status: 201, body: { id: brand.id, domain: brand.domain, name: brand.name } };
  }

  private trigger(brandId: string, route: string, req: SimRequest): SimReply {
    if (!isUuid(brandId)) {
      return validationError([{ loc: ['path', 'brand_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing', input: brandId }]);
    }
    const brand = this.brands.get(brandId);
    if (!brand) return notFound('Brand not found');
    const kind = TRIGGERS[route];
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;

    if (kind === 'brief' && !nonEmptyString(body.queue_item_id)) {
      return validationError([{ loc: ['body', 'queue_item_id'], msg: 'Field required', type: 'missing' }]);
    }
    if (kind === 'execution' && !nonEmptyString(body.brief_id)) {
      return validationError([{ loc: ['body', 'brief_id'], msg: 'Field required', type: 'missing' }]);
    }

    const now = this.clock.now();
    this.expireOldRuns(brandId, now);
    const blocking = this.runsFor(brandId).find(r => {
      const s = this.stateAt(r, now).status;
      return (s === 'queued' || s === 'running') && (kind === 'full' || r.kind === 'full' || r.kind === kind);
    });
    if (blocking) return { status: 409, body: { detail: CONFLICT_DETAIL }, headers: { 'x-running-run-id': blocking.id } };

    const script: BmRunScript = { ...this.nextScripts.get(brandId)?.shift() };
    if (kind === 'technical_enrichment' && script.failAt === undefined) {
      if (body.audit_data && typeof body.audit_data === 'object') script.durationMs ??= 8 * SECOND;
      else if (body.trigger !== true) {
        // Documented: an empty body is accepted with 202, and the run then fails almost at once.
        script.failAt = { error: 'No audit_data provided and trigger is not set', afterMs: 2 * SECOND };
        script.queuedMs ??= 1 * SECOND;
      }
    }
    const run = this.createRun(brand, kind, script);
    run.createdAt = now;
    run.trigger = { route, query: Object.fromEntries(req.query), body: req.body };
    this.runs.set(run.id, run);
    this.started.push({ provider: this.id, runId: run.id, accountId: brandId, at: now, input: run.trigger });
    return { status: 202, body: { run_id: run.id, status: 'queued' } };
  }

  /** "Active runs older than 15 minutes are auto-expired before the conflict check." */
  private expireOldRuns(brandId: string, now: number): void {
    for (const run of this.runsFor(brandId)) {
      const state = this.stateAt(run, now);
      if (state.status !== 'queued' && state.status !== 'running') continue;
      const since = this.autoExpireBasis === 'stage' ? (state.stageStartedAt ?? run.createdAt) : run.createdAt;
      if (now - since > this.autoExpireMs) {
        run.ended = { at: now, error: `Run auto-expired: no progress for ${Math.round(this.autoExpireMs / MINUTE)} minutes` };
      }
    }
  }

  // ---- lifecycle ---------------------------------------------------------------------------------

  private planFor(kind: BmRunKind, brand: BmBrand, script: BmRunScript): PlannedStage[] {
    const ms = (name: string, fallback: number) => script.stageMs?.[name] ?? script.durationMs ?? fallback;
    if (kind === 'full') {
      // competitor_discovery is skipped silently when the brand already has competitors.
      return BM_STAGES.filter(s => s !== 'competitor_discovery' || brand.competitors.length === 0).map(name => ({
        name,
        durationMs: ms(name, DEFAULT_FULL_STAGE_MS[name]),
        emit: 'always' as const,
      }));
    }
    if (kind === 'discovery') return [{ name: 'discovery', durationMs: ms('discovery', DEFAULT_KIND_MS.discovery), emit: 'never' }];
    const name = OWN_STAGE[kind];
    return [{ name, durationMs: ms(name, DEFAULT_KIND_MS[kind]), emit: 'single' }];
  }

  private createRun(brand: BmBrand, kind: BmRunKind, script: BmRunScript, id?: string): BmSimRun {
    const plan = this.planFor(kind, brand, script);
    const failAt = script.failAt ? { ...script.failAt, stage: script.failAt.stage ?? plan[0].name } : undefined;
    let doneMeta = script.doneMeta;
    if (kind === 'technical_enrichment') doneMeta = { insights_count: 14, evidence_count: 37, health_score: 72, ...doneMeta };
    return {
      id: id ?? randomUUID(),
      brandId: brand.id,
      kind,
      createdAt: this.clock.now(),
      queuedMs: script.queuedMs ?? DEFAULT_QUEUED_MS,
      plan,
      failAt,
      stuckAt: script.stuckAt,
      doneMeta,
    };
  }

  private stateAt(run: BmSimRun, now: number): RunState {
    if (run.ended && now >= run.ended.at) {
      const before = this.stateAt({ ...run, ended: undefined }, run.ended.at);
      if (before.status === 'queued' || before.status === 'running') {
        return { ...before, status: 'failed', finishedAt: run.ended.at, error: run.ended.error };
      }
      return before;
    }
    let cursor = run.createdAt + run.queuedMs;
    if (now < cursor) return { status: 'queued', stageIndex: -1, stageFraction: 0, error: null };
    for (let i = 0; i < run.plan.length; i++) {
      const stage = run.plan[i];
      const elapsed = now - cursor;
      if (run.stuckAt === stage.name) {
        return { status: 'running', stageIndex: i, stageStartedAt: cursor, stageFraction: Math.min(0.5, elapsed / stage.durationMs), error: null };
      }
      if (run.failAt?.stage === stage.name) {
        const failTime = cursor + (run.failAt.afterMs ?? stage.durationMs);
        if (now >= failTime) return { status: 'failed', stageIndex: i, stageStartedAt: cursor, stageFraction: 1, finishedAt: failTime, error: run.failAt.error };
      }
      if (elapsed < stage.durationMs) return { status: 'running', stageIndex: i, stageStartedAt: cursor, stageFraction: elapsed / stage.durationMs, error: null };
      cursor += stage.durationMs;
    }
    const last = run.plan.length - 1;
    return { status: 'done', stageIndex: last, stageStartedAt: cursor - run.plan[last].durationMs, stageFraction: 1, finishedAt: cursor, error: null };
  }

  private view(run: BmSimRun, now: number): Record<string, unknown> {
    const state = this.stateAt(run, now);
    const stage = state.stageIndex >= 0 ? run.plan[state.stageIndex] : undefined;
    const emitted = stage && (stage.emit === 'always' || (stage.emit === 'single' && this.singleStageMode === 'own')) ? stage.name : null;
    let meta: Record<string, unknown>;
    switch (state.status) {
      case 'queued':
        meta = { current_stage: null, stage_detail: null, stage_started_at: null };
        break;
      case 'running':
        meta = {
          current_stage: emitted,
          stage_detail: emitted ? stageDetail(emitted, state.stageFraction, this.brands.get(run.brandId)) : null,
          stage_started_at: emitted ? new Date(state.stageStartedAt!).toISOString() : null,
        };
        break;
      case 'failed':
        meta = { current_stage: emitted };
        break;
      case 'done':
        // Completed full runs keep current_stage "queue_building" and no stage_detail.
        meta = run.kind === 'technical_enrichment' ? {} : { current_stage: emitted };
        if (run.doneMeta) Object.assign(meta, run.doneMeta);
        break;
    }
    return {
      id: run.id,
      brand_id: run.brandId,
      kind: run.kind,
      status: state.status,
      error: state.error,
      started_at: new Date(run.createdAt).toISOString(),
      finished_at: state.finishedAt !== undefined ? new Date(state.finishedAt).toISOString() : null,
      meta,
    };
  }
}

function stageDetail(stage: string, fraction: number, brand: BmBrand | undefined): string {
  const domain = brand?.domain ?? 'the brand site';
  switch (stage) {
    case 'brand_enrichment':
      return `crawling ${domain} and extracting identity`;
    case 'competitor_discovery':
      return 'finding competitors via Tavily research';
    case 'family_discovery':
      return `validating keyword families (step ${Math.min(10, Math.floor(fraction * 10) + 1)} of 10)`;
    case 'evidence_collection':
      return fraction < 0.05
        ? `collecting evidence for ${FAMILIES} families (concurrency=5)`
        : `analyzing SERPs for family ${Math.min(FAMILIES, Math.floor(fraction * FAMILIES) + 1)} of ${FAMILIES}`;
    case 'leverage_scoring':
      return 'cross-referencing brand gaps with opportunities';
    case 'queue_building':
      return 'assembling the ranked action queue';
    default:
      return `${stage.replace(/_/g, ' ')} in progress`;
  }
}

function brandSummary(b: BmBrand): Record<string, unknown> {
  return { id: b.id, domain: b.domain, name: b.name, state: b.state, created_at: b.created_at };
}

function brandContext(b: BmBrand): Record<string, unknown> {
  return {
    id: b.id,
    domain: b.domain,
    name: b.name,
    created_at: b.created_at,
    updated_at: b.updated_at,
    competitors: b.competitors,
    description: null,
    positioning: null,
    icp: null,
    services: [],
    capabilities: [],
    differentiators: [],
    terminology: [],
    product_category: null,
    business_model: null,
    voice_profile: { tone: [], banned_phrases: [], preferred_patterns: [] },
    brand_identity: {},
    brand_context: null,
    technical_context: null,
    llm_context: null,
    brand_pages: [],
  };
}

function notFound(detail: string): SimReply {
  return { status: 404, body: { detail } };
}

function methodNotAllowed(): SimReply {
  return { status: 405, body: { detail: 'Method Not Allowed' } };
}

function validationError(detail: unknown[]): SimReply {
  return { status: 422, body: { detail } };
}

function nonEmptyString(v: unknown): boolean {
  return typeof v === 'string' && v.trim() !== '';
}

function isUuid(v: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
