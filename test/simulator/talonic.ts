// Talonic as the simulator plays it: Specs (the accounts), pipelines whose documents flow through the
// Spec's compiled phase rail on the SimClock, the pipeline-scoped assembly phase with its own status,
// scoped API keys, the error envelope (and two older shapes), a per-UTC-day request budget and data products.
//
// Every reading the docs leave open is a switch in `options`, so tests can play each one:
//   errorShape   'envelope' (documented) | 'flat' {status, code, message} | 'nested' {error:{code, message}}
//   specsShape   'data' {data:[…], pagination} | 'array' […]  (the specs listing's shape is not documented)
//   statusMode   'alwaysActive' (only `active` is documented) | 'settles' (becomes completed/failed, as the MCP client reads)
//   honourSchemaFilter  false plays a server that ignores `schema_id` on GET /v1/pipelines
import { randomBytes, randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { AcceptedStart, SimClock, SimProvider, SimReply, SimRequest } from './server';
import { SIM_KEYS } from './keys';

export type TalonicScope = 'extract' | 'read' | 'write' | 'billing';

/** One phase of a Spec's rail. `durationMs` is the simulator's own pacing and never goes on the wire. */
export interface TalonicPhaseDef {
  phaseId: string;
  name: string;
  type: string;
  scope: 'document' | 'pipeline';
  durationMs: number;
}

export function documentPhase(phaseId: string, name: string, type: string, durationMs: number): TalonicPhaseDef {
  return { phaseId, name, type, scope: 'document', durationMs };
}

export function assemblyPhase(durationMs = 3_000): TalonicPhaseDef {
  return { phaseId: 'assembly', name: 'Assembly', type: 'assembly', scope: 'pipeline', durationMs };
}

/** Ready-made rails: the documented one, one without transfer, one with two Data Policies and two gates. */
export const TALONIC_RAILS = {
  standard: (): TalonicPhaseDef[] => [
    documentPhase('transfer', 'Transfer', 'transfer', 1_000),
    documentPhase('extraction', 'Extraction', 'extraction', 4_000),
    documentPhase('resolution', 'Resolution', 'resolution', 2_000),
    documentPhase('validation', 'Validation', 'validation', 1_000),
    assemblyPhase(3_000),
  ],
  noTransfer: (): TalonicPhaseDef[] => [
    documentPhase('extraction', 'Extraction', 'extraction', 4_000),
    documentPhase('resolution', 'Resolution', 'resolution', 2_000),
    documentPhase('validation', 'Validation', 'validation', 1_000),
    assemblyPhase(3_000),
  ],
  twoResolutions: (): TalonicPhaseDef[] => [
    documentPhase('extraction', 'Extraction', 'extraction', 4_000),
    documentPhase('resolution:vendors', 'Resolution: Vendors', 'resolution', 2_000),
    documentPhase('resolution:currency', 'Resolution: Currency', 'resolution', 2_000),
    documentPhase('validation:totals', 'Validation: Totals', 'validation', 1_000),
    documentPhase('validation:dates', 'Validation: Dates', 'validation', 1_000),
    assemblyPhase(3_000),
  ],
};

/** How the documents of a new pipeline are paced and which of them fail. */
export interface TalonicPipelinePlan {
  /** Time in Talonic's queue before the first document enters the rail. */
  queuedMs?: number;
  /** Gap between consecutive documents entering the rail. */
  staggerMs: number;
  /** Spread each phase's duration by ±25 % per document (deterministic); false = exact durations. */
  jitter: boolean;
  /** Documents (by 0-based index) that fail: in the phase with this id, or `null` = before reaching any phase. */
  failures: { index: number; phase: string | null; message?: string }[];
}

export interface TalonicSimOptions {
  errorShape: 'envelope' | 'flat' | 'nested';
  specsShape: 'data' | 'array';
  statusMode: 'alwaysActive' | 'settles';
  honourSchemaFilter: boolean;
  /** Requests allowed per UTC day (one tenant); the next one gets 429 until midnight UTC. */
  dailyBudget: number;
  /** Plan for pipelines created through POST /v1/pipelines. */
  plan: TalonicPipelinePlan;
}

export function defaultTalonicOptions(): TalonicSimOptions {
  return {
    errorShape: 'envelope',
    specsShape: 'data',
    statusMode: 'alwaysActive',
    honourSchemaFilter: true,
    dailyBudget: 10_000,
    plan: { staggerMs: 1_000, jitter: true, failures: [] },
  };
}

export interface SimSpec {
  id: string;
  /** What POST /v1/pipelines takes; differs from `id`. Undefined plays a listing without it. */
  schemaId?: string;
  name: string;
  description?: string;
  /** The compiled rail; null = the Spec has no composed rail (POST /v1/pipelines answers 400). */
  rail: TalonicPhaseDef[] | null;
  createdAt: number;
}

interface SimDocument {
  documentId: string;
  pipelineDocumentId: string;
  /** Entry into the rail, ms after the pipeline's creation. */
  startMs: number;
  /** Duration of each per-document phase, in rail order. */
  phaseMs: number[];
  /** undefined: succeeds; null: fails before any phase; n: fails at the end of document phase n. */
  failAt?: number | null;
  failMessage?: string;
}

export interface SimPipeline {
  id: string;
  name: string;
  schemaId: string;
  specName: string;
  createdAt: number;
  /** The rail as compiled when the pipeline was created. */
  phases: TalonicPhaseDef[];
  documents: SimDocument[];
  dataProduct?: { id: string; name: string; token: string; status: string };
}

type DocState =
  | { kind: 'waiting' }
  | { kind: 'inPhase'; phase: number }
  | { kind: 'completed' }
  | { kind: 'errored'; phase: number | null };

const MAX_DOCUMENTS = 500;
const DASHBOARD_ORIGIN = 'https://app.talonic.com';

export class TalonicSim implements SimProvider {
  readonly id = 'talonic' as const;
  readonly prefix = '/tlnc';
  /** API key → scopes. */
  readonly keys = new Map<string, TalonicScope[]>([[SIM_KEYS.talonic, ['extract', 'read', 'write']]]);
  options: TalonicSimOptions = defaultTalonicOptions();
  readonly specs: SimSpec[] = [];
  readonly pipelines: SimPipeline[] = [];
  /** Every pipeline a POST /v1/pipelines created (not the appends to an open one), in order. */
  readonly started: AcceptedStart[] = [];
  private usedToday = 0;
  private budgetDay = -1;

  constructor(readonly clock: SimClock) {}

  /** Adds a key with the given scopes (a key without `write`, say). */
  addKey(key: string, scopes: TalonicScope[]): void {
    this.keys.set(key, scopes);
  }

  reset(): void {
    this.started.length = 0;
    this.specs.length = 0;
    this.pipelines.length = 0;
    this.options = defaultTalonicOptions();
    this.usedToday = 0;
    this.budgetDay = -1;
  }

  addSpec(init: { name: string; rail?: TalonicPhaseDef[] | null; withoutSchemaId?: boolean; description?: string }): SimSpec {
    const spec: SimSpec = {
      id: `spec_${randomBytes(6).toString('hex')}`,
      schemaId: init.withoutSchemaId ? undefined : randomUUID(),
      name: init.name,
      description: init.description,
      rail: init.rail === undefined ? TALONIC_RAILS.standard() : init.rail,
      createdAt: this.clock.now(),
    };
    this.specs.push(spec);
    return spec;
  }

  /** Creates a pipeline directly (seed data, tests): `agoMs` back-dates it so it is further along. */
  addPipeline(
    spec: SimSpec,
    init: { documents: number; name?: string; agoMs?: number; plan?: Partial<TalonicPipelinePlan> },
  ): SimPipeline {
    if (!spec.rail) throw new Error(`simulator: spec ${spec.name} has no composed rail`);
    const plan = { ...this.options.plan, ...init.plan };
    const documentIds = Array.from({ length: init.documents }, () => `doc_${randomUUID()}`);
    return this.createPipeline(spec, documentIds, init.name, this.clock.now() - (init.agoMs ?? 0), plan);
  }

  seedDemo(): void {
    const invoices = this.addSpec({ name: 'Invoices', description: 'Supplier invoices → AP ledger', rail: [
      documentPhase('transfer', 'Transfer', 'transfer', 1_000),
      documentPhase('extraction', 'Extraction', 'extraction', 8_000),
      documentPhase('resolution', 'Resolution', 'resolution', 5_000),
      documentPhase('validation', 'Validation', 'validation', 3_000),
      assemblyPhase(4_000),
    ] });
    const contracts = this.addSpec({ name: 'Contracts', description: 'Vendor contracts: parties, terms, renewal dates', rail: TALONIC_RAILS.twoResolutions() });
    // Finished two hours ago with one document that failed validation.
    this.addPipeline(contracts, {
      documents: 12,
      name: 'Q2 vendor contracts',
      agoMs: 2 * 3600_000,
      plan: { staggerMs: 2_000, jitter: true, failures: [{ index: 7, phase: 'validation:dates', message: 'Renewal date precedes the start date.' }] },
    });
    // 24 documents that take about a minute from now (stagger 1.5 s, ~17 s of phases each, 4 s assembly).
    this.addPipeline(invoices, {
      documents: 24,
      name: 'March invoices',
      plan: { staggerMs: 1_500, jitter: true, failures: [{ index: 9, phase: 'extraction', message: 'Extraction failed after 3 attempts.' }] },
    });
  }

  handle(req: SimRequest): SimReply {
    const requestId = `req_${randomBytes(8).toString('hex')}`;
    const reply = this.route(req, requestId);
    reply.headers = { ...this.rateLimitHeaders(), ...reply.headers, 'x-request-id': requestId };
    return reply;
  }

  private route(req: SimRequest, requestId: string): SimReply {
    const fail = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): SimReply =>
      this.error(req, requestId, status, code, message, extra);

    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!auth) return fail(401, 'unauthorized', 'Missing or malformed Authorization header. Send "Authorization: Bearer tlnc_…".');
    const scopes = this.keys.get(auth[1].trim());
    if (!scopes) return fail(401, 'unauthorized', 'Invalid or revoked API key.');

    this.refillBudget();
    if (this.usedToday >= this.options.dailyBudget) {
      const retryAfter = Math.max(1, Math.ceil((this.nextUtcMidnight() - this.clock.now()) / 1000));
      const reply = fail(429, 'RATE_LIMIT_EXCEEDED', 'Daily request limit reached for your plan. It resets at midnight UTC.', { retryable: true });
      reply.headers = { 'retry-after': String(retryAfter) };
      return reply;
    }
    this.usedToday++;

    const need = (scope: TalonicScope): SimReply | undefined =>
      scopes.includes(scope) ? undefined : fail(403, 'insufficient_scope', 'This API key lacks the required scope', { required_scopes: [scope] });

    const { method, path } = req;
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/v1/specs') return need('read') ?? this.listSpecs(req);
    if (method === 'GET' && (m = /^\/v1\/specs\/([^/]+)$/.exec(path))) {
      const spec = this.specs.find(s => s.id === m![1] || s.schemaId === m![1]);
      return need('read') ?? (spec ? { status: 200, body: this.specJson(spec) } : fail(404, 'not_found', 'Spec not found'));
    }
    if (method === 'POST' && path === '/v1/pipelines') return need('write') ?? this.startPipeline(req, fail);
    if (method === 'GET' && path === '/v1/pipelines') return need('read') ?? this.listPipelines(req, fail);

    if ((m = /^\/v1\/pipelines\/([^/]+)(\/progress|\/data-product)?$/.exec(path))) {
      const pipeline = this.pipelines.find(p => p.id === m![1]);
      const sub = m[2] ?? '';
      const scopeError = need(method === 'POST' ? 'write' : 'read');
      if (scopeError) return scopeError;
      if (!pipeline) return fail(404, 'not_found', 'Pipeline not found');
      if (method === 'GET' && sub === '') return { status: 200, body: this.pipelineJson(pipeline) };
      if (method === 'GET' && sub === '/progress') return { status: 200, body: this.progressJson(pipeline) };
      if (method === 'POST' && sub === '/data-product') return this.dataProduct(pipeline, req, fail);
    }
    return fail(404, 'not_found', `No route for ${method} ${path}`);
  }

  // ---- routes ----

  private listSpecs(req: SimRequest): SimReply {
    const limit = clampInt(req.query.get('limit'), 1, 100, 50);
    const page = this.specs.slice(0, limit).map(s => this.specJson(s));
    if (this.options.specsShape === 'array') return { status: 200, body: page };
    return { status: 200, body: { data: page, pagination: { total: this.specs.length, limit, has_more: this.specs.length > limit, next_cursor: null } } };
  }

  private startPipeline(req: SimRequest, fail: Fail): SimReply {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const schemaId = body.schema_id;
    const ids = body.document_ids;
    if (typeof schemaId !== 'string' || !schemaId) return fail(400, 'VALIDATION_ERROR', 'schema_id is required');
    if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_DOCUMENTS || ids.some(d => typeof d !== 'string' || !d)) {
      return fail(400, 'VALIDATION_ERROR', `document_ids must be an array of 1–${MAX_DOCUMENTS} document ids`);
    }
    if (body.name !== undefined && typeof body.name !== 'string') return fail(400, 'VALIDATION_ERROR', 'name must be a string');
    const mode = body.pipeline_mode ?? 'new';
    if (mode !== 'new' && mode !== 'append') return fail(400, 'VALIDATION_ERROR', 'pipeline_mode must be "new" or "append"');
    const spec = this.specs.find(s => s.schemaId === schemaId);
    if (!spec) return fail(404, 'not_found', 'Spec not found');
    if (!spec.rail) return fail(400, 'bad_request', 'This Spec has no composed rail. Compose its rail in the Talonic app before running it.');

    const now = this.clock.now();
    if (mode === 'append') {
      const open = this.pipelines.find(p => p.schemaId === schemaId && !this.docsTerminal(p, now));
      if (open) {
        const elapsed = now - open.createdAt;
        const added = this.planDocuments(open.phases, ids as string[], this.options.plan, open.documents.length, elapsed);
        open.documents.push(...added);
        return { status: 201, body: this.startJson(open, added.length, true) };
      }
    }
    const pipeline = this.createPipeline(spec, ids as string[], body.name as string | undefined, now, this.options.plan);
    this.started.push({ provider: this.id, runId: pipeline.id, accountId: schemaId, at: now, input: { name: body.name } });
    return { status: 201, body: this.startJson(pipeline, pipeline.documents.length, false) };
  }

  private listPipelines(req: SimRequest, fail: Fail): SimReply {
    const limit = clampInt(req.query.get('limit'), 1, 100, 20);
    const schemaId = req.query.get('schema_id');
    const status = req.query.get('status');
    const now = this.clock.now();
    const matching = [...this.pipelines]
      .sort((a, b) => b.createdAt - a.createdAt)
      .filter(p => !schemaId || !this.options.honourSchemaFilter || p.schemaId === schemaId)
      .filter(p => !status || this.pipelineStatus(p, now) === status);
    let start = 0;
    const cursor = req.query.get('cursor');
    if (cursor) {
      const afterId = decodeCursor(cursor);
      const at = afterId ? matching.findIndex(p => p.id === afterId) : -1;
      if (at < 0) return fail(400, 'VALIDATION_ERROR', 'Invalid cursor');
      start = at + 1;
    }
    const page = matching.slice(start, start + limit);
    const hasMore = start + limit < matching.length;
    return {
      status: 200,
      body: {
        data: page.map(p => this.pipelineJson(p)),
        pagination: { total: matching.length, limit, has_more: hasMore, next_cursor: hasMore ? encodeCursor(page[page.length - 1].id) : null },
      },
    };
  }

  private dataProduct(pipeline: SimPipeline, req: SimRequest, fail: Fail): SimReply {
    const now = this.clock.now();
    const completed = pipeline.documents.filter(d => this.docState(pipeline, d, now).kind === 'completed').length;
    if (completed === 0) return fail(400, 'bad_request', 'Pipeline has no completed or partial documents to build a data product from.');
    const name = (req.body as { name?: unknown } | undefined)?.name;
    const reactivated = !!pipeline.dataProduct;
    pipeline.dataProduct ??= {
      id: `dp_${randomUUID()}`,
      name: typeof name === 'string' && name ? name : `${pipeline.name} data`,
      token: `shr_${randomBytes(18).toString('base64url')}`,
      status: 'active',
    };
    pipeline.dataProduct.status = 'active';
    const dp = pipeline.dataProduct;
    return {
      status: reactivated ? 200 : 201,
      body: {
        dataProduct: { id: dp.id, name: dp.name, pipeline_id: pipeline.id, status: dp.status },
        shareToken: { data_product_id: dp.id, token: dp.token },
      },
    };
  }

  // ---- lifecycle ----

  private createPipeline(spec: SimSpec, documentIds: string[], name: string | undefined, createdAt: number, plan: TalonicPipelinePlan): SimPipeline {
    const phases = spec.rail!.map(p => ({ ...p }));
    const pipeline: SimPipeline = {
      id: randomUUID(),
      name: name || `${spec.name} ${new Date(createdAt).toISOString().slice(0, 16).replace('T', ' ')}`,
      schemaId: spec.schemaId ?? spec.id,
      specName: spec.name,
      createdAt,
      phases,
      documents: this.planDocuments(phases, documentIds, plan, 0, 0),
    };
    this.pipelines.push(pipeline);
    return pipeline;
  }

  private planDocuments(phases: TalonicPhaseDef[], documentIds: string[], plan: TalonicPipelinePlan, firstIndex: number, offsetMs: number): SimDocument[] {
    const docPhases = phases.filter(p => p.scope === 'document');
    return documentIds.map((documentId, i) => {
      const index = firstIndex + i;
      const failure = plan.failures.find(f => f.index === index);
      let failAt: number | null | undefined;
      if (failure) {
        failAt = failure.phase === null ? null : docPhases.findIndex(p => p.phaseId === failure.phase);
        if (failAt === -1) throw new Error(`simulator: no document phase ${failure.phase} in this rail`);
      }
      return {
        documentId,
        pipelineDocumentId: `pd_${randomUUID()}`,
        startMs: offsetMs + (plan.queuedMs ?? 0) + i * plan.staggerMs,
        phaseMs: docPhases.map((p, k) => (plan.jitter ? Math.round(p.durationMs * (0.75 + 0.5 * spread(index * 7 + k))) : p.durationMs)),
        failAt,
        failMessage: failure?.message ?? (failAt === null ? 'The document could not be read (unsupported or corrupt file).' : undefined),
      };
    });
  }

  private docState(pipeline: SimPipeline, doc: SimDocument, now: number): DocState {
    const elapsed = now - pipeline.createdAt;
    if (elapsed < doc.startMs) return { kind: 'waiting' };
    if (doc.failAt === null) return { kind: 'errored', phase: null };
    let t = doc.startMs;
    for (let i = 0; i < doc.phaseMs.length; i++) {
      t += doc.phaseMs[i];
      if (elapsed < t) return { kind: 'inPhase', phase: i };
      if (doc.failAt === i) return { kind: 'errored', phase: i };
    }
    return { kind: 'completed' };
  }

  /** When the document stops moving (ms after the pipeline's creation). */
  private docTerminalAt(doc: SimDocument): number {
    if (doc.failAt === null) return doc.startMs;
    const phasesRun = doc.failAt === undefined ? doc.phaseMs.length : doc.failAt + 1;
    return doc.startMs + doc.phaseMs.slice(0, phasesRun).reduce((a, b) => a + b, 0);
  }

  private docsTerminal(pipeline: SimPipeline, now: number): boolean {
    return pipeline.documents.every(d => {
      const k = this.docState(pipeline, d, now).kind;
      return k === 'completed' || k === 'errored';
    });
  }

  /** Status of each pipeline-scoped phase: they run one after another once every document is terminal. */
  private pipelinePhaseStatuses(pipeline: SimPipeline, now: number): Map<string, string | null> {
    const out = new Map<string, string | null>();
    const scoped = pipeline.phases.filter(p => p.scope === 'pipeline');
    if (!scoped.length) return out;
    const docsDoneAt = pipeline.createdAt + Math.max(0, ...pipeline.documents.map(d => this.docTerminalAt(d)));
    const anyCompleted = pipeline.documents.some(d => d.failAt === undefined);
    let t = docsDoneAt;
    scoped.forEach((phase, i) => {
      if (now < docsDoneAt) out.set(phase.phaseId, null);
      else if (!anyCompleted) out.set(phase.phaseId, i === 0 ? 'failed' : 'skipped');
      else if (now < t + phase.durationMs) out.set(phase.phaseId, now < t ? null : 'running');
      else out.set(phase.phaseId, 'completed');
      t += phase.durationMs;
    });
    return out;
  }

  private pipelineStatus(pipeline: SimPipeline, now: number): string {
    if (this.options.statusMode === 'alwaysActive') return 'active';
    if (!this.docsTerminal(pipeline, now)) return 'active';
    const statuses = [...this.pipelinePhaseStatuses(pipeline, now).values()];
    if (statuses.some(s => s === null || s === 'running')) return 'active';
    return pipeline.documents.some(d => d.failAt === undefined) ? 'completed' : 'failed';
  }

  // ---- wire shapes ----

  private specJson(spec: SimSpec): Record<string, unknown> {
    return {
      id: spec.id,
      ...(spec.schemaId ? { schema_id: spec.schemaId } : {}),
      name: spec.name,
      description: spec.description ?? null,
      status: 'active',
      version: 1,
      rail: spec.rail ? { composed: true, phase_count: spec.rail.length } : null,
      created_at: this.clock.iso(spec.createdAt),
    };
  }

  private links(pipeline: SimPipeline): Record<string, string> {
    return {
      self: `/v1/pipelines/${pipeline.id}`,
      progress: `/v1/pipelines/${pipeline.id}/progress`,
      dashboard: `${DASHBOARD_ORIGIN}/pipelines/${pipeline.id}`,
    };
  }

  private startJson(pipeline: SimPipeline, enqueued: number, appended: boolean): Record<string, unknown> {
    return {
      id: pipeline.id,
      status: 'active',
      schema: { id: pipeline.schemaId, name: pipeline.specName },
      document_count: pipeline.documents.length,
      enqueued_documents: enqueued,
      appended,
      links: this.links(pipeline),
    };
  }

  private pipelineJson(pipeline: SimPipeline): Record<string, unknown> {
    return {
      id: pipeline.id,
      name: pipeline.name,
      status: this.pipelineStatus(pipeline, this.clock.now()),
      schema: { id: pipeline.schemaId },
      phase_count: pipeline.phases.length,
      created_at: this.clock.iso(pipeline.createdAt),
      links: this.links(pipeline),
    };
  }

  progressJson(pipeline: SimPipeline): Record<string, unknown> {
    const now = this.clock.now();
    const states = pipeline.documents.map(d => this.docState(pipeline, d, now));
    const total = pipeline.documents.length;
    const completedDocuments = states.filter(s => s.kind === 'completed').length;
    const errorDocuments = states.filter(s => s.kind === 'errored').length;
    const docPhases = pipeline.phases.filter(p => p.scope === 'document');
    const scopedStatus = this.pipelinePhaseStatuses(pipeline, now);

    const phases = pipeline.phases.map(phase => {
      if (phase.scope === 'pipeline') {
        // Counters for pipeline-scoped phases are approximations (as documented): while assembly runs they
        // already look finished, so a client that trusts them instead of `status` goes wrong.
        const status = scopedStatus.get(phase.phaseId) ?? null;
        const started = status !== null;
        return {
          phaseId: phase.phaseId,
          name: phase.name,
          type: phase.type,
          scope: 'pipeline',
          status,
          completed: started ? completedDocuments : 0,
          running: 0,
          pending: started ? 0 : total,
          errors: status === 'completed' ? errorDocuments : 0,
        };
      }
      const k = docPhases.indexOf(phase);
      const counts = { completed: 0, running: 0, pending: 0, errors: 0 };
      for (const s of states) {
        // A document that failed earlier (or before any phase) no longer counts in later phases.
        if (s.kind === 'waiting') counts.pending++;
        else if (s.kind === 'completed') counts.completed++;
        else if (s.kind === 'inPhase') counts[s.phase > k ? 'completed' : s.phase === k ? 'running' : 'pending']++;
        else if (s.phase !== null && s.phase >= k) counts[s.phase === k ? 'errors' : 'completed']++;
      }
      return { phaseId: phase.phaseId, name: phase.name, type: phase.type, ...counts };
    });

    const errors = pipeline.documents
      .map((d, i) => ({ d, s: states[i] }))
      .filter(({ s }) => s.kind === 'errored')
      .map(({ d, s }) => ({
        pipelineDocumentId: d.pipelineDocumentId,
        documentId: d.documentId,
        phase: s.kind === 'errored' && s.phase !== null ? docPhases[s.phase].phaseId : null,
        message: d.failMessage ?? 'Processing failed.',
      }));

    const docsTerminal = completedDocuments + errorDocuments === total;
    const unfinished = [...scopedStatus.entries()].filter(([, s]) => s === null || s === 'running').map(([id]) => id);
    return {
      pipelineId: pipeline.id,
      status: this.pipelineStatus(pipeline, now),
      totalDocuments: total,
      completedDocuments,
      errorDocuments,
      phases,
      errors,
      finalizationPending: docsTerminal && unfinished.length ? unfinished : null,
    };
  }

  // ---- errors and rate limit ----

  private error(req: SimRequest, requestId: string, status: number, code: string, message: string, extra: Record<string, unknown>): SimReply {
    const retryable = status === 429 || status >= 500;
    switch (this.options.errorShape) {
      case 'flat':
        return { status, body: { status, code: olderCode(code), message, request_id: requestId, ...extra } };
      case 'nested':
        return { status, body: { error: { code: olderCode(code), message, request_id: requestId, ...extra } } };
      default:
        return {
          status,
          body: {
            statusCode: status,
            code,
            error: STATUS_CODES[status] ?? 'Error',
            message,
            retryable,
            request_id: requestId,
            timestamp: this.clock.iso(),
            path: req.path,
            ...extra,
          },
        };
    }
  }

  private refillBudget(): void {
    const day = Math.floor(this.clock.now() / 86_400_000);
    if (day !== this.budgetDay) {
      this.budgetDay = day;
      this.usedToday = 0;
    }
  }

  private nextUtcMidnight(): number {
    return (Math.floor(this.clock.now() / 86_400_000) + 1) * 86_400_000;
  }

  private rateLimitHeaders(): Record<string, string> {
    this.refillBudget();
    return {
      'x-ratelimit-limit': String(this.options.dailyBudget),
      'x-ratelimit-remaining': String(Math.max(0, this.options.dailyBudget - this.usedToday)),
      'x-ratelimit-reset': String(Math.floor(this.nextUtcMidnight() / 1000)),
    };
  }
}

type Fail = (status: number, code: string, message: string, extra?: Record<string, unknown>) => SimReply;

/** Older docs use lower-case codes. */
function olderCode(code: string): string {
  if (code === 'RATE_LIMIT_EXCEEDED') return 'rate_limited';
  return code.toLowerCase();
}

function clampInt(raw: string | null, min: number, max: number, fallback: number): number {
  const n = raw === null ? NaN : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

function encodeCursor(afterId: string): string {
  return Buffer.from(JSON.stringify({ after: afterId })).toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    return typeof value.after === 'string' ? value.after : undefined;
  } catch {
    return undefined;
  }
}

/** A deterministic number in [0, 1) from an integer, so jittered durations repeat from run to run. */
function spread(n: number): number {
  const x = Math.sin(n * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
}
