// Boring Marketing (providers.md §1, seeds/000): brands are the accounts; nine pipeline triggers under
// /brands/{id}/ return 202 {run_id}; runs are polled at /brands/{id}/runs/{run_id} and report stage progress
// in meta.current_stage. A 409 on start names the run already going (X-Running-Run-Id): Runwatch adopts it.
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { ProviderError, isProviderError, redact, registerSecretPatterns } from '../core/errors';
import type { ErrorDetail, HttpClient } from '../core/http';
import { mapStatus, type Run, type RunError, type RunProgress, type RunStage, type RunStatus } from '../core/run';
import { humanizeId } from '../core/labels';
import { checkPrefix, isoOrUndefined, providerHttp } from './common';
import type {
  Account,
  CadenceContext,
  InputField,
  KeyCheck,
  PipelineKind,
  Provider,
  ProviderCapabilities,
  ProviderContext,
  RunPage,
  RunRef,
  StartResult,
  ProviderDescriptor,
} from './provider';

const PROVIDER_NAME = 'Boring Marketing';

/** The six stages of a full (/analyze) run, in order. */
export const BM_FULL_STAGES = [
  'brand_enrichment',
  'competitor_discovery',
  'family_discovery',
  'evidence_collection',
  'leverage_scoring',
  'queue_building',
] as const;

const STAGE_LABELS: Record<string, string> = {
  brand_enrichment: 'Brand enrichment',
  competitor_discovery: 'Competitor discovery',
  family_discovery: 'Family discovery',
  evidence_collection: 'Evidence collection',
  leverage_scoring: 'Leverage scoring',
  queue_building: 'Queue building',
};

// ---- wire schemas (only what Runwatch reads; everything else passes through loose objects) ----------

const brandSchema = z.looseObject({
  id: z.string(),
  domain: z.nullish(z.string()),
  name: z.nullish(z.string()),
  existing: z.nullish(z.boolean()),
});
type WireBrand = z.infer<typeof brandSchema>;

/** Documented as a bare array; an enveloped list is tolerated in case that changes. */
const brandListSchema = z.union([z.array(brandSchema), z.looseObject({ brands: z.array(brandSchema) })]);

const runMetaSchema = z.looseObject({
  current_stage: z.nullish(z.string()),
  stage_detail: z.nullish(z.string()),
  stage_started_at: z.nullish(z.string()),
});

const runSchema = z.looseObject({
  id: z.string(),
  brand_id: z.nullish(z.string()),
  kind: z.nullish(z.string()),
  status: z.string(),
  error: z.nullish(z.string()),
  started_at: z.nullish(z.string()),
  finished_at: z.nullish(z.string()),
  meta: z.nullish(runMetaSchema),
});
type WireRun = z.infer<typeof runSchema>;

const runListSchema = z.union([
  z.looseObject({ brand_id: z.nullish(z.string()), total: z.nullish(z.number()), runs: z.array(runSchema) }),
  z.array(runSchema),
]);

const triggerSchema = z.looseObject({ run_id: z.string(), status: z.nullish(z.string()) });
const cancelSchema = z.looseObject({ run_id: z.nullish(z.string()), status: z.nullish(z.string()), cancelled: z.nullish(z.boolean()) });
/** /auth/usage: any object will do; it is only a key check. */
const usageSchema = z.looseObject({});

// ---- pipeline kinds ------------------------------------------------------------------------------

interface KindSpec {
  /** Equal to the run `kind` the API reports, so a listed run maps back to the pipeline that made it. */
  id: string;
  /** Route below /brands/{id}/. */
  route: string;
  label: string;
  description: string;
  inputs: InputField[];
  /** Polled at the 5 s single-stage cadence rather than the 10 s full-pipeline cadence. */
  singleStage: boolean;
  request(input: Record<string, unknown>): { body?: unknown; query?: Record<string, string | boolean> };
}

const KIND_SPECS: KindSpec[] = [
  {
    id: 'full',
    route: 'analyze',
    label: 'Analyze (full pipeline)',
    description: 'All six stages, from brand enrichment to the action queue (15–30 min).',
    inputs: [],
    singleStage: false,
    request: () => ({}),
  },
  {
    id: 'discovery',
    route: 'discover',
    label: 'Discover',
    description: 'Keyword discovery (10–20 min). Reports no stage progress.',
    inputs: [],
    singleStage: false,
    request: () => ({}),
  },
  {
    id: 'competitor_discovery',
    route: 'discover-competitors',
    label: 'Discover competitors',
    description: 'Competitor research (2–5 min).',
    inputs: [
      {
        name: 'persist',
        label: 'Save the competitors found to the brand',
        type: 'boolean',
        required: false,
        default: true,
        description: 'Off: a dry run that only reports what it found.',
      },
    ],
    singleStage: true,
    request: input => ({ query: { persist: toBoolean(input.persist, true) } }),
  },
  {
    id: 'brand_enrichment',
    route: 'enrich/brand',
    label: 'Enrich brand',
    description: 'Crawl the brand site and extract its identity.',
    inputs: [],
    singleStage: true,
    request: () => ({}),
  },
  {
    id: 'technical_enrichment',
    route: 'enrich/technical',
    label: 'Enrich technical',
    description: 'Technical site audit (5–20 min when triggered; seconds for uploaded audit data).',
    inputs: [
      {
        name: 'trigger',
        label: 'Run a technical audit now',
        type: 'boolean',
        required: false,
        default: true,
        description: 'Without this or audit data the API accepts the request and the run fails at once.',
      },
      {
        name: 'audit_data',
        label: 'Audit data to upload (JSON, optional)',
        type: 'json',
        required: false,
      },
    ],
    singleStage: true,
    request: input => {
      const body: Record<string, unknown> = {};
      if (input.audit_data !== undefined && input.audit_data !== null && input.audit_data !== '') body.audit_data = input.audit_data;
      else if (toBoolean(input.trigger, true)) body.trigger = true;
      return { body };
    },
  },
  {
    id: 'llm_enrichment',
    route: 'enrich/llm',
    label: 'Enrich LLM',
    description: 'LLM visibility enrichment (1–3 min).',
    inputs: [],
    singleStage: true,
    request: () => ({}),
  },
  {
    id: 'synthesize',
    route: 'synthesize',
    label: 'Synthesize',
    description: 'Synthesis over the collected evidence (about 30 s).',
    inputs: [],
    singleStage: true,
    request: () => ({}),
  },
  {
    id: 'scoring',
    route: 'score',
    label: 'Score',
    description: 'Leverage scoring (1–3 min).',
    inputs: [],
    singleStage: true,
    request: () => ({}),
  },
  {
    id: 'brief',
    route: 'brief',
    label: 'Brief',
    description: 'Write a content brief for one action-queue item.',
    inputs: [
      {
        name: 'queue_item_id',
        label: 'Queue item id',
        type: 'string',
        required: true,
        description: "The queue row's id (not its source_id).",
      },
    ],
    singleStage: true,
    request: input => ({ body: { queue_item_id: requiredString(input.queue_item_id, 'queue item id', 'Brief') } }),
  },
  {
    id: 'execution',
    route: 'execute',
    label: 'Execute',
    description: 'Produce the content for a brief (3–8 min).',
    inputs: [
      {
        name: 'brief_id',
        label: 'Brief id',
        type: 'string',
        required: true,
        description: 'From GET /brands/{id}/briefs.',
      },
    ],
    singleStage: true,
    request: input => ({ body: { brief_id: requiredString(input.brief_id, 'brief id', 'Execute') } }),
  },
];

/** A kind by id, route ("score", "enrich/brand") or the label's first word, so that Re-run survives renames. */
function findKindSpec(idOrRoute: string | undefined): KindSpec | undefined {
  if (!idOrRoute) return undefined;
  const k = idOrRoute.trim().toLowerCase();
  return KIND_SPECS.find(s => s.id === k || s.route === k || s.label.toLowerCase() === k);
}

// ---- the adapter ---------------------------------------------------------------------------------

/** Discovery's documented 10–20 minutes, with room to spare. */
const DISCOVERY_STUCK_AFTER_MS = 30 * 60_000;

export class BoringMarketingProvider implements Provider {
  readonly id = 'boringMarketing' as const;
  readonly displayName = PROVIDER_NAME;
  readonly capabilities: ProviderCapabilities = { listAccounts: true, addAccount: 'create', listRuns: true, cancel: true, result: false, pollsByList: true };

  /** `full` → `Analyze`: the name the kind is started by, without the explanation in brackets. */
  kindLabel(kind: string): string | undefined {
    return findKindSpec(kind)?.label.replace(/\s*\(.*\)\s*$/, '');
  }

  /** Discovery reports no stage and takes 10–20 minutes: it is stuck only well past that, whatever the setting. */
  stuckThresholdMs(run: Run, configuredMs: number): number | undefined {
    return findKindSpec(run.kind)?.id === 'discovery' ? Math.max(configuredMs, DISCOVERY_STUCK_AFTER_MS) : undefined;
  }

  /** A listed run of a kind that takes no required input can be started again as it was. */
  rerunsWithoutInput(run: Run): boolean {
    const spec = findKindSpec(run.kind);
    return !!spec && !spec.inputs.some(f => f.required);
  }
  readonly keyHelp = {
    prompt: 'Boring Marketing API key (dashboard → Settings → API Access)',
    placeholder: 'bm_…',
  };
  private readonly http: HttpClient;

  constructor(readonly context: ProviderContext) {
    // Its key shapes are scrubbed wherever this adapter is used, registry or not (the registry adds them too).
    registerSecretPatterns(boringMarketingDescriptor.secretPatterns);
    this.http = providerHttp(context, PROVIDER_NAME, 'x-api-key', describeBoringMarketingError);
  }

  checkKeyFormat(key: string): KeyCheck {
    return checkPrefix(key, boringMarketingDescriptor.keyPrefixes, PROVIDER_NAME);
  }

  async validateKey(): Promise<void> {
    try {
      await this.http.send({ method: 'GET', path: '/auth/usage', schema: usageSchema });
    } catch (e) {
      // An API without /auth/usage still proves the key with the brand list.
      if (!isProviderError(e) || e.kind !== 'notFound') throw e;
      await this.http.send({ method: 'GET', path: '/brands', schema: brandListSchema });
    }
  }

  /** Polling guide: 10–15 s for full pipeline runs, 5 s for single-stage runs. */
  cadenceMs(run: Run, _context?: CadenceContext): number {
    const spec = findKindSpec(run.kind);
    return spec?.singleStage ? 5_000 : 10_000;
  }

  async listAccounts(): Promise<Account[]> {
    const { data } = await this.http.send({ method: 'GET', path: '/brands', schema: brandListSchema });
    return (Array.isArray(data) ? data : data.brands).map(toAccount);
  }

  async addAccount(input: { value: string; label?: string }): Promise<Account> {
    const domain = normalizeDomain(input.value);
    if (!domain) throw new ProviderError('validation', 'Enter the brand\'s domain, like "acme.com".');
    const name = input.label?.trim() || domain;
    const { data } = await this.http.send({ method: 'POST', path: '/brands', body: { domain, name }, schema: brandSchema });
    return toAccount({ domain, name, ...data });
  }

  async listRuns(account: Account): Promise<RunPage> {
    const { data } = await this.http.send({ method: 'GET', path: `/brands/${enc(account.id)}/runs`, schema: runListSchema });
    const runs = Array.isArray(data) ? data : data.runs;
    const total = Array.isArray(data) ? undefined : (data.total ?? undefined);
    return { runs: runs.map(r => toRun(r, account.id)), total: total ?? runs.length, fullRuns: runs.length ? runs.every(isFullRun) : undefined };
  }

  async getRun(ref: RunRef): Promise<Run> {
    const { data } = await this.http.send({ method: 'GET', path: runPath(ref), schema: runSchema });
    return toRun(data, ref.accountId);
  }

  async listKinds(_account: Account): Promise<PipelineKind[]> {
    return KIND_SPECS.map(({ id, label, description, inputs }) => ({ id, label, description, inputs: inputs.map(i => ({ ...i })) }));
  }

  async startRun(account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    const spec = findKindSpec(kind.id);
    if (!spec) throw new ProviderError('unsupported', `${PROVIDER_NAME} has no pipeline "${kind.id}".`);
    const request = spec.request(input);
    let runId: string;
    try {
      const { data } = await this.http.send({
        method: 'POST',
        path: `/brands/${enc(account.id)}/${spec.route}`,
        body: request.body,
        query: request.query,
        schema: triggerSchema,
      });
      runId = data.run_id;
    } catch (e) {
      if (isProviderError(e) && e.kind === 'conflict') return this.adoptRunningRun(account, spec, e);
      throw e;
    }
    const run = await this.getRun({ accountId: account.id, id: runId, kind: spec.id }).catch((e: unknown) => {
      // The run exists; a failed first poll must not lose it. The scheduler fills it in on the next poll.
      if (isProviderError(e) && e.stopsProvider) throw e;
      return queuedRun(account.id, runId, spec.id);
    });
    return { run };
  }

  async cancelRun(ref: RunRef): Promise<Run> {
    await this.http.send({ method: 'POST', path: `${runPath(ref)}/cancel`, schema: cancelSchema });
    // The API records a cancel as `failed`; the cancel response is the marker that tells them apart.
    const run = await this.getRun(ref).catch((e: unknown) => {
      if (isProviderError(e) && e.stopsProvider) throw e;
      return { ...queuedRun(ref.accountId, ref.id, ref.kind ?? ''), rawStatus: 'failed' };
    });
    return { ...run, status: 'cancelled', error: undefined, progress: markStopped(run.progress) };
  }

  /** 409: a run is already going on the brand. Follow it instead of failing or starting another. */
  private async adoptRunningRun(account: Account, spec: KindSpec, conflict: ProviderError): Promise<StartResult> {
    const headerId = conflict.headers?.['x-running-run-id']?.trim();
    let run: Run | undefined;
    if (headerId) {
      try {
        run = await this.getRun({ accountId: account.id, id: headerId });
      } catch (e) {
        if (!isProviderError(e) || e.kind !== 'notFound') throw e;
      }
    }
    if (!run) {
      // No usable header: the blocking run is an active one of the same kind, or a full run, or any.
      const { runs } = await this.listRuns(account);
      const active = runs.filter(r => r.status === 'queued' || r.status === 'running' || r.status === 'unknown');
      const found = active.find(r => r.kind === spec.id) ?? active.find(r => r.kind === 'full') ?? active[0];
      if (!found) throw conflict;
      run = await this.getRun({ accountId: account.id, id: found.id }).catch(() => found);
    }
    const sameKind = run.kind === spec.id;
    const words = (run.kind || 'pipeline').replace(/_/g, ' ');
    let message = `A ${words} run was already going on ${account.label}; Runwatch is following it instead of starting another.`;
    if (!sameKind) message += ` Start ${spec.label} again once it finishes.`;
    return { run, adopted: true, message };
  }
}

// ---- mapping -------------------------------------------------------------------------------------

const STATUS_TABLE: Record<string, RunStatus> = {
  queued: 'queued',
  running: 'running',
  done: 'succeeded',
  failed: 'failed',
  // Not documented; tolerated in case the API grows a separate status.
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

function toAccount(brand: WireBrand): Account {
  const domain = brand.domain ?? undefined;
  const name = brand.name?.trim() || domain || brand.id;
  return {
    provider: 'boringMarketing',
    id: brand.id,
    label: name,
    description: domain && domain !== name ? domain : undefined,
    raw: { ...brand },
  };
}

export function toRun(wire: WireRun, accountId: string): Run {
  const meta = wire.meta ?? {};
  const kind = wire.kind ?? '';
  let status = mapStatus(wire.status, STATUS_TABLE);
  if (status === 'failed' && isCancelled(wire)) status = 'cancelled';
  const startedAt = isoOrUndefined(wire.started_at);
  const finishedAt = isoOrUndefined(wire.finished_at);
  const run: Run = {
    provider: 'boringMarketing',
    accountId: wire.brand_id || accountId,
    id: wire.id,
    kind,
    status,
    rawStatus: wire.status,
    startedAt,
    finishedAt,
    // A summary list entry carries no `meta` and no `error` key: its progress is what the status alone says
    // (a finished full run went through every stage), and its error is left out, so the store keeps what a
    // detail answer gave instead of taking "no stage" or "no reason" (store.ts mergeRun).
    progress: wire.meta !== undefined || status === 'succeeded' ? progressOf(kind, status, meta) : undefined,
    raw: rawOf(wire),
  };
  if (startedAt && finishedAt) run.durationSeconds = Math.max(0, Math.round((Date.parse(finishedAt) - Date.parse(startedAt)) / 1000));
  if (status === 'failed' && wire.error !== undefined) run.error = runError(wire.error ?? undefined, meta.current_stage ?? undefined);
  return run;
}

/**
 * The docs allow both list shapes: the reference says `runs: Run[]`, the polling guide's example shows summaries
 * without `meta` and `error`. Only an entry that carries both keys (null allowed) says what a poll would.
 */
function isFullRun(wire: WireRun): boolean {
  return wire.meta !== undefined && wire.error !== undefined;
}

function isCancelled(wire: WireRun): boolean {
  const w = wire as Record<string, unknown>;
  const meta = (wire.meta ?? {}) as Record<string, unknown>;
  return w.cancelled === true || meta.cancelled === true || /\bcancel(l)?ed\b|\bcancel(l)?ation\b/i.test(wire.error ?? '');
}

function progressOf(kind: string, status: RunStatus, meta: z.infer<typeof runMetaSchema>): RunProgress | undefined {
  const current = meta.current_stage || undefined;
  const detail = meta.stage_detail || undefined;
  const stageStartedAt = isoOrUndefined(meta.stage_started_at);
  const active = status === 'running' || status === 'queued' || status === 'unknown';

  if (kind === 'full') {
    const index = current ? (BM_FULL_STAGES as readonly string[]).indexOf(current) : -1;
    if (status === 'succeeded') {
      return { stages: BM_FULL_STAGES.map(id => stage(id, 'done')), index: BM_FULL_STAGES.length, total: BM_FULL_STAGES.length };
    }
    if (index < 0) {
      // Queued, or a stage name Runwatch does not know: show what there is without inventing a position.
      if (!current) return { stages: BM_FULL_STAGES.map(id => stage(id, 'pending')), total: BM_FULL_STAGES.length };
      return { current, detail, stageStartedAt };
    }
    const here: RunStage['state'] = active ? 'current' : status === 'failed' ? 'failed' : 'pending';
    // competitor_discovery is skipped silently for brands with competitors; once past it, it reads as done.
    const stages = BM_FULL_STAGES.map((id, i) => stage(id, i < index ? 'done' : i === index ? here : 'pending', i === index && active ? detail : undefined));
    return { stages, current, index: index + 1, total: BM_FULL_STAGES.length, detail: active ? detail : undefined, stageStartedAt: active ? stageStartedAt : undefined };
  }

  // Discovery never reports a stage; single-purpose kinds report their own, or (Analyze page) none.
  if (!current) return detail || stageStartedAt ? { detail, stageStartedAt } : undefined;
  const state: RunStage['state'] =
    status === 'succeeded' ? 'done' : status === 'failed' ? 'failed' : status === 'cancelled' ? 'pending' : status === 'queued' ? 'pending' : 'current';
  return {
    stages: [stage(current, state, active ? detail : undefined)],
    current,
    detail: active ? detail : undefined,
    stageStartedAt: active ? stageStartedAt : undefined,
  };
}

function stage(id: string, state: RunStage['state'], detail?: string): RunStage {
  const s: RunStage = { id, label: STAGE_LABELS[id] ?? humanizeId(id), state };
  if (detail) s.detail = detail;
  return s;
}

/** After a cancel the current stage is no longer running. */
function markStopped(progress: RunProgress | undefined): RunProgress | undefined {
  if (!progress?.stages) return progress;
  return { ...progress, detail: undefined, stages: progress.stages.map(s => (s.state === 'current' ? { ...s, state: 'pending', detail: undefined } : s)) };
}

function runError(message: string | undefined, step: string | undefined): RunError {
  const text = message?.trim();
  const error: RunError = {
    message: text || 'Boring Marketing marked the run failed without giving a reason (a run cancelled elsewhere can look like this).',
    step,
  };
  const retry = /retry (?:in|after) (\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m)\b/i.exec(text ?? '');
  if (retry) {
    const seconds = Math.round(Number(retry[1]) * (/^m/i.test(retry[2]) ? 60 : 1));
    error.retryAfterSeconds = seconds;
    error.hint = `Wait ${seconds} seconds after the failure, then Re-run. Re-running is safe: pipeline data is append-only and is not duplicated.`;
  } else if (/credits?_exhausted|daily (?:call )?(?:budget|limit)/i.test(text ?? '')) {
    error.hint = 'The daily API call budget is used up; it resets at midnight UTC. Re-run after that.';
  } else if (/expire/i.test(text ?? '')) {
    error.hint = 'The run stopped making progress and was expired. Re-run it.';
  } else if (/audit_data|trigger/i.test(text ?? '')) {
    error.hint = 'Enrich technical needs "Run a technical audit now" switched on (or uploaded audit data). Re-run with it on.';
  } else {
    error.hint = 'Re-run the pipeline: pipeline data is append-only, so re-running does not duplicate anything.';
  }
  return error;
}

/** Every wire field for the tooltip, with meta flattened so kind-specific keys (insights_count …) show. */
function rawOf(wire: WireRun): Record<string, unknown> {
  const { meta, ...rest } = wire as Record<string, unknown> & { meta?: Record<string, unknown> | null };
  const raw: Record<string, unknown> = { ...rest };
  for (const [k, v] of Object.entries(meta ?? {})) raw[`meta.${k}`] = v;
  return raw;
}

function queuedRun(accountId: string, id: string, kind: string): Run {
  return { provider: 'boringMarketing', accountId, id, kind, status: 'queued', rawStatus: 'queued' };
}

function runPath(ref: RunRef): string {
  return `/brands/${enc(ref.accountId)}/runs/${enc(ref.id)}`;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** "https://www.Acme.com/about" → "www.acme.com": the API wants a bare domain. */
export function normalizeDomain(value: string): string {
  let v = value.trim().toLowerCase();
  v = v.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  v = v.replace(/^[^@/]*@/, '');
  v = v.split(/[/?#]/)[0];
  return v.replace(/\.$/, '');
}

function toBoolean(value: unknown, fallback: boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    if (/^(true|yes|on|1)$/i.test(value.trim())) return true;
    if (/^(false|no|off|0)$/i.test(value.trim())) return false;
  }
  return fallback;
}

function requiredString(value: unknown, what: string, kindLabel: string): string {
  const s = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  if (!s) throw new ProviderError('validation', `${kindLabel} needs a ${what}.`);
  return s;
}

// ---- error bodies --------------------------------------------------------------------------------

/**
 * FastAPI `{detail}` (a string, or a validation list), plus the documented but unspecified `actions[]`
 * recovery envelope, turned into a message and a next step.
 */
export function describeBoringMarketingError(status: number, body: unknown): ErrorDetail | undefined {
  const b = isRecord(body) ? body : {};
  const detailValue = isRecord(b.detail) ? b.detail : undefined;
  const errorValue = isRecord(b.error) ? b.error : undefined;
  let message = detailText(b.detail) ?? str(b.message) ?? str(b.error) ?? detailText(errorValue) ?? (typeof body === 'string' ? str(body) : undefined);
  let code = str(b.code) ?? str(detailValue?.code) ?? str(errorValue?.code);
  let hint: string | undefined;

  if (status === 402 || message === 'credits_exhausted' || code === 'credits_exhausted') {
    if (!message || /^credits_exhausted$/i.test(message)) {
      message = 'the daily API call budget for your tier is used up (credits_exhausted).';
      code ??= 'credits_exhausted';
    }
    hint = 'The daily budget resets at midnight UTC; Runwatch polls again then. A higher tier has a larger budget.';
  } else if (status === 401) {
    hint = 'Check the key (Boring Marketing dashboard → Settings → API Access), then run "Runwatch: Set API Key".';
  } else if (status === 403) {
    if (message && /tier allows/i.test(message)) {
      message = `${message.replace(/\s*$/, '')} Your tier's brand limit is reached.`;
      hint = 'Use one of your existing brands, or upgrade your tier for more brands.';
    } else {
      message = `${message ? `${message.replace(/[.\s]*$/, '')}: ` : ''}the brand is not yours or your tier's brand limit is reached.`;
      hint = "Check that the brand belongs to this key's account.";
    }
  } else if (status === 400 && message && /not queued or running/i.test(message)) {
    message = `the run has already finished, so there is nothing to cancel (${message}).`;
  } else if (status === 409) {
    hint = 'A run is already going on this brand; wait for it to finish.';
  } else if (status === 422 && message) {
    message = `the request was rejected: ${message}`;
  }

  const actions = actionsText(b.actions ?? detailValue?.actions ?? errorValue?.actions);
  if (actions) hint = hint ? `${hint} Suggested: ${actions}` : `Suggested: ${actions}`;

  if (!message && !hint && !code) return undefined;
  return { message: message && redact(message), code, hint: hint && redact(hint) };
}

function detailText(detail: unknown): string | undefined {
  if (typeof detail === 'string') return str(detail);
  if (Array.isArray(detail)) {
    const parts = detail
      .map(d => {
        if (typeof d === 'string') return str(d);
        if (!isRecord(d)) return undefined;
        const msg = str(d.msg) ?? str(d.message);
        if (!msg) return undefined;
        const loc = Array.isArray(d.loc) ? d.loc.filter(x => x !== 'body' && x !== 'query' && x !== 'path').join('.') : '';
        return loc ? `${loc}: ${msg}` : msg;
      })
      .filter((x): x is string => !!x);
    return parts.length ? parts.join('; ') : undefined;
  }
  if (isRecord(detail)) return str(detail.message) ?? str(detail.msg) ?? str(detail.detail) ?? str(detail.error);
  return undefined;
}

/** The `actions[]` shape is undocumented: accept strings, or objects with any descriptive field. */
function actionsText(actions: unknown): string | undefined {
  if (!Array.isArray(actions)) return undefined;
  const parts = actions
    .map(a => {
      if (typeof a === 'string') return str(a);
      if (!isRecord(a)) return undefined;
      const text = str(a.description) ?? str(a.message) ?? str(a.label) ?? str(a.title) ?? str(a.action) ?? str(a.type) ?? str(a.step);
      const target = [str(a.method), str(a.endpoint) ?? str(a.path) ?? str(a.url) ?? str(a.href)].filter(Boolean).join(' ');
      if (text && target) return `${text} (${target})`;
      return text ?? (target || JSON.stringify(a).slice(0, 200));
    })
    .filter((x): x is string => !!x);
  return parts.length ? parts.join('; ') : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** The provider as Runwatch registers it: its facts and its adapter. */
export const boringMarketingDescriptor = {
  id: 'boringMarketing' as const,
  displayName: PROVIDER_NAME,
  defaultBaseUrl: 'https://api.boringmarketing.com',
  // A getter: the noun is translated when shown (the l10n bundle loads after this module).
  get accountNoun() {
    return l10n.t('brand');
  },
  icon: 'organization',
  keyPrefixes: ['bm_'],
  secretPatterns: [/\bbm_[A-Za-z0-9_-]{6,}/g],
  create: context => new BoringMarketingProvider(context),
} satisfies ProviderDescriptor;
