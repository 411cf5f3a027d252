// Talonic: Specs are the accounts, pipelines are the runs. A run is polled through
// GET /v1/pipelines/{id}/progress and is terminal when every document is completed or errored and every
// pipeline-scoped phase (assembly) reports a finished status, whatever the pipeline `status` says
// (the docs only ever show `active`).
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { ProviderError, isProviderError, registerSecret, registerSecretPatterns, safeRequestId } from '../core/errors';
import type { ErrorDetail, HttpClient } from '../core/http';
import type { Run, RunErrorItem, RunLink, RunStage, RunStatus } from '../core/run';
import { checkPrefix, isoOrUndefined, providerHttp, rawRecord } from './common';
import type {
  Account,
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

const NAME = 'Talonic';
export const TALONIC_PIPELINE_KIND = 'pipeline';
export const TALONIC_MAX_DOCUMENTS = 500;
const RUNS_PAGE_SIZE = 25;
/** Specs listing pages followed at most (the listing's pagination is not documented). */
const MAX_SPEC_PAGES = 20;
/** "Poll every few seconds" (docs); the official MCP tool says 5–10 s. */
const POLL_MS = 5_000;
const MAX_REMEMBERED_PIPELINES = 2_000;

// ---- wire shapes ----

const str = z.nullish(z.string());
const num = z.nullish(z.number());

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
const SpecSchema = z.lazy(() => z.looseObject({ id: z.string(), schema_id: str, name: str, description: str }));
const PaginationSchema = z.lazy(() => z.looseObject({ total: num, limit: num, has_more: z.nullish(z.boolean()), next_cursor: str }));
const SpecListSchema = z.lazy(() => z.union([
  z.array(SpecSchema),
  z.looseObject({ data: z.array(SpecSchema), pagination: z.nullish(PaginationSchema) }),
]));

const LinksSchema = z.lazy(() => z.nullish(z.looseObject({ self: str, progress: str, dashboard: str })));

const PipelineSchema = z.lazy(() => z.looseObject({
  id: z.string(),
  name: str,
  status: str,
  schema: z.nullish(z.looseObject({ id: str, name: str })),
  phase_count: num,
  created_at: str,
  links: LinksSchema,
}));
type WirePipeline = z.infer<typeof PipelineSchema>;

const PipelineListSchema = z.lazy(() => z.union([
  z.array(PipelineSchema),
  z.looseObject({ data: z.array(PipelineSchema), pagination: z.nullish(PaginationSchema) }),
]));

const StartSchema = z.lazy(() => z.looseObject({
  id: z.string(),
  status: str,
  schema: z.nullish(z.looseObject({ id: str, name: str })),
  document_count: num,
  enqueued_documents: num,
  appended: z.nullish(z.boolean()),
  run_id: str,
  message: str,
  links: LinksSchema,
}));

const PhaseSchema = z.lazy(() => z.looseObject({
  phaseId: str,
  name: str,
  type: str,
  scope: str,
  status: str,
  completed: num,
  running: num,
  pending: num,
  errors: num,
}));

const DocumentErrorSchema = z.lazy(() => z.looseObject({ pipelineDocumentId: str, documentId: str, phase: str, message: str }));

const ProgressSchema = z.lazy(() => z.looseObject({
  pipelineId: str,
  status: str,
  totalDocuments: z.number(),
  completedDocuments: z.number(),
  errorDocuments: num,
  phases: z.nullish(z.array(PhaseSchema)),
  errors: z.nullish(z.array(DocumentErrorSchema)),
  finalizationPending: z.nullish(z.array(z.string())),
}));
type WireProgress = z.infer<typeof ProgressSchema>;

const DataProductSchema = z.lazy(() => z.looseObject({
  dataProduct: z.looseObject({ id: z.string(), name: str, pipeline_id: str, status: str }),
  shareToken: z.nullish(z.looseObject({ data_product_id: str, token: str })),
}));

// ---- errors ----

/**
 * The documented envelope `{statusCode, code, error, message, retryable, request_id}` and the older
 * `{status, code, message}` and `{error: {code, message}}` shapes, as the official SDK accepts them.
 */
export function describeTalonicError(status: number, body: unknown): ErrorDetail | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const top = body as Record<string, unknown>;
  const inner = top.error && typeof top.error === 'object' && !Array.isArray(top.error) ? (top.error as Record<string, unknown>) : undefined;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const pick = (key: string) => text(inner?.[key]) ?? text(top[key]);

  // In the envelope `error` is the reason phrase ("Bad Request"), not a code.
  const code = pick('code');
  const requestId = safeRequestId(pick('request_id') ?? pick('requestId'));
  let message = text(inner?.message) ?? text(top.message) ?? (inner ? undefined : text(top.error));
  let hint: string | undefined;

  const scopes = [inner?.required_scopes, top.required_scopes]
    .find(Array.isArray)
    ?.filter((s): s is string => typeof s === 'string' && !!s);
  if (status === 403 && (code?.toLowerCase() === 'insufficient_scope' || scopes?.length)) {
    const named = scopes?.length ? scopes.join(', ') : undefined;
    message = named ? `this API key lacks the ${named} scope${scopes!.length > 1 ? 's' : ''}` : (message ?? 'this API key lacks a required scope');
    hint = `Create a key with the ${named ?? 'required'} scope in Talonic settings.`;
  } else if (status === 401) {
    hint = 'Check the key in Talonic settings (keys start with tlnc_) and set it again with "Runwatch: Set API Key".';
  } else if (status === 429) {
    hint = 'Talonic meters requests per UTC day; Runwatch waits for the time Talonic asks before trying again.';
  }
  if (!message && !code) return undefined;
  message ??= `HTTP ${status} (${code})`;
  if (requestId) message = `${message} (request ${requestId})`;
  return { message, code, requestId, hint };
}

// ---- progress → Run ----

/** What a progress response does not carry: the pipeline's name, when it was created, its links. */
interface PipelineMeta {
  name?: string;
  createdAt?: string;
  links?: RunLink[];
}

const STAGE_DONE = new Set(['completed', 'complete', 'done', 'succeeded', 'success']);
const STAGE_FAILED = new Set(['failed', 'error', 'errored']);
const STAGE_PENDING = new Set(['pending', 'queued', 'waiting', 'not_started']);

function pipelineStageState(status: string | null | undefined): RunStage['state'] {
  if (status === null || status === undefined || status === '') return 'pending';
  const s = status.toLowerCase();
  if (STAGE_DONE.has(s)) return 'done';
  if (STAGE_FAILED.has(s)) return 'failed';
  if (s === 'skipped') return 'skipped';
  if (STAGE_PENDING.has(s)) return 'pending';
  // 'running', 'processing', or a status nobody documented: something is happening.
  return 'current';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function docsDetail(total: number, completed: number, errors: number): string {
  return `${completed}/${total} docs${errors ? ` · ${plural(errors, 'error')}` : ''}`;
}

/**
 * One stage per phase, in the order the response lists them (never a fixed list). A per-document phase
 * is done when nothing is running or pending in it and every document that could reach it has
 * completed or errored there; documents that failed in an earlier phase, or before any, can never reach it.
 */
function mapStages(progress: WireProgress, docsTerminal: boolean): RunStage[] {
  const phases = progress.phases ?? [];
  const total = progress.totalDocuments;
  const phaseIndex = new Map<string, number>();
  phases.forEach((p, i) => p.phaseId && !phaseIndex.has(p.phaseId) && phaseIndex.set(p.phaseId, i));
  const errorPhases = (progress.errors ?? []).map(e => (e.phase ? phaseIndex.get(e.phase) : -1));
  const seenIds = new Map<string, number>();

  return phases.map((phase, i): RunStage => {
    let id = phase.phaseId || phase.type || phase.name || `phase-${i + 1}`;
    const dup = seenIds.get(id) ?? 0;
    seenIds.set(id, dup + 1);
    if (dup) id = `${id}#${dup + 1}`;
    const label = phase.name || phase.phaseId || phase.type || `Phase ${i + 1}`;
    const counts = {
      completed: phase.completed ?? 0,
      running: phase.running ?? 0,
      pending: phase.pending ?? 0,
      errors: phase.errors ?? 0,
    };
    if (phase.scope === 'pipeline') {
      // Counters of pipeline-scoped phases are approximations (docs): only `status` decides.
      return { id, label, state: pipelineStageState(phase.status), scope: 'pipeline', rawStatus: phase.status ?? null, counts };
    }
    const erroredEarlier = errorPhases.filter(p => p !== undefined && p < i).length;
    const reachable = Math.max(0, total - erroredEarlier);
    const finished = counts.completed + counts.errors;
    let state: RunStage['state'];
    if (counts.running > 0) state = 'current';
    else if ((counts.pending === 0 && finished > 0 && finished >= reachable) || docsTerminal) {
      state = finished === 0 ? 'skipped' : counts.completed === 0 ? 'failed' : 'done';
    } else state = finished > 0 ? 'current' : 'pending';
    const parts = [`${counts.completed} done`];
    if (counts.running) parts.push(`${counts.running} running`);
    if (counts.pending) parts.push(`${counts.pending} pending`);
    if (counts.errors) parts.push(plural(counts.errors, 'error'));
    return { id, label, state, scope: 'document', counts, detail: parts.join(' · '), rawStatus: phase.status };
  });
}

function mapErrorItems(progress: WireProgress): RunErrorItem[] {
  const names = new Map((progress.phases ?? []).filter(p => p.phaseId).map(p => [p.phaseId!, p.name || p.phaseId!]));
  // The row shows the label: the document id the user sent (documentId); Talonic's own id for the document in
  // this pipeline (pipelineDocumentId) is kept as the item id, and Show Error lists both.
  return (progress.errors ?? []).map((e, i) => ({
    id: e.pipelineDocumentId || e.documentId || `document-${i + 1}`,
    label: e.pipelineDocumentId && e.documentId ? e.documentId : undefined,
    phase: e.phase ? (names.get(e.phase) ?? e.phase) : 'before any phase',
    message: e.message || 'The document failed without a message.',
  }));
}

const EXPLICIT_STATUS: Record<string, RunStatus> = {
  completed: 'succeeded',
  complete: 'succeeded',
  failed: 'failed',
  error: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

export function progressToRun(progress: WireProgress, ref: { accountId: string; id: string }, meta: PipelineMeta): Run {
  const total = progress.totalDocuments;
  const completed = progress.completedDocuments;
  const errors = progress.errorDocuments ?? 0;
  const rawStatus = progress.status ?? '';
  const docsTerminal = total > 0 && completed + errors >= total;
  const stages = mapStages(progress, docsTerminal);
  const pipelineStages = stages.filter(s => s.scope === 'pipeline');
  const pipelineDone = pipelineStages.every(s => s.state === 'done' || s.state === 'failed' || s.state === 'skipped');
  const items = mapErrorItems(progress);
  const failedPipelineStage = pipelineStages.find(s => s.state === 'failed');

  let status: RunStatus;
  const explicit = EXPLICIT_STATUS[rawStatus.toLowerCase()];
  if (explicit) status = explicit;
  else if (docsTerminal && pipelineDone) status = completed === 0 || failedPipelineStage ? 'failed' : 'succeeded';
  else {
    const started = completed + errors > 0 || stages.some(s => (s.counts?.running ?? 0) + (s.counts?.completed ?? 0) + (s.counts?.errors ?? 0) > 0);
    const s = rawStatus.toLowerCase();
    if (s === 'active' || s === 'running' || s === 'processing' || s === '') status = started ? 'running' : 'queued';
    else if (s === 'queued' || s === 'pending') status = 'queued';
    else status = 'unknown';
  }

  let error: Run['error'];
  if (status === 'failed') {
    // The documents are the cause when none completed; assembly then fails for want of input.
    const allDocumentsFailed = completed === 0 && errors > 0;
    const phases = [...new Set(items.map(i => i.phase))];
    const message = allDocumentsFailed
      ? `All ${plural(errors, 'document')} failed.`
      : failedPipelineStage
        ? `${failedPipelineStage.label} failed.`
        : `Talonic reported the pipeline as ${rawStatus || 'failed'}.`;
    const step = allDocumentsFailed ? (phases.length === 1 ? phases[0] : undefined) : failedPipelineStage?.label;
    error = { message, step, items: items.length ? items : undefined };
  } else if (errors > 0 || items.length) {
    // Some documents failed: a finished run still counts as succeeded (partial), with the failures listed.
    error = {
      message: `${errors || items.length} of ${plural(total, 'document')} failed.`,
      code: 'partial',
      items: items.length ? items : undefined,
      hint: status === 'succeeded' ? 'The other documents completed; a data product can be made from them.' : undefined,
    };
  }

  const current = stages.find(s => s.state === 'current');
  const percent = total > 0 ? Math.round((100 * (completed + errors)) / total) : undefined;
  const terminal = status === 'succeeded' || status === 'failed' || status === 'cancelled';
  const raw: Record<string, unknown> = {
    pipelineId: progress.pipelineId ?? ref.id,
    status: progress.status ?? null,
    totalDocuments: total,
    completedDocuments: completed,
    errorDocuments: errors,
    finalizationPending: progress.finalizationPending ?? null,
  };
  if (meta.name) raw.name = meta.name;
  if (meta.createdAt) raw.created_at = meta.createdAt;

  return {
    provider: 'talonic',
    accountId: ref.accountId,
    id: ref.id,
    kind: meta.name || TALONIC_PIPELINE_KIND,
    status,
    rawStatus,
    startedAt: meta.createdAt,
    progress: {
      // A body without `phases` does not say the rail is empty: leave the stages out, so the store keeps them.
      stages: progress.phases ? stages : undefined,
      current: current?.label,
      documents: { total, completed, errors },
      // Assembly still runs after the last document: 100 % only once the run is terminal.
      percent: percent === undefined ? undefined : terminal ? percent : Math.min(percent, 99),
      detail: docsDetail(total, completed, errors),
    },
    error,
    links: meta.links,
    raw,
  };
}

function linksOf(links: z.infer<typeof LinksSchema>): RunLink[] | undefined {
  const url = links?.dashboard;
  return url && /^https?:\/\//i.test(url) ? [{ label: 'Open in Talonic', url }] : undefined;
}

function listStatus(raw: string | null | undefined): RunStatus {
  const s = (raw ?? '').toLowerCase();
  if (EXPLICIT_STATUS[s]) return EXPLICIT_STATUS[s];
  if (s === 'active' || s === 'running' || s === 'processing') return 'running';
  if (s === 'queued' || s === 'pending') return 'queued';
  return 'unknown';
}

/** Document ids from the input box: an array, or one string split on commas, spaces or line breaks. */
function documentIdsFrom(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  const ids = list.map(v => (typeof v === 'string' ? v.trim() : '')).filter(Boolean);
  return [...new Set(ids)];
}

// ---- the adapter ----

export class TalonicProvider implements Provider {
  readonly id = 'talonic' as const;
  readonly displayName = NAME;
  readonly capabilities: ProviderCapabilities = {
    listAccounts: true,
    addAccount: 'none',
    listRuns: true,
    cancel: false,
    cancelUnavailableReason: 'Talonic documents no way to cancel a pipeline run.',
    result: true,
    dataProduct: true,
  };
  readonly keyHelp = {
    prompt: 'Talonic API key (Talonic settings → API keys; needs the read and write scopes)',
    placeholder: 'tlnc_live_…',
  };
  private readonly http: HttpClient;
  /** Name, creation time and links per pipeline, so that a poll needs the progress request only. */
  private readonly meta = new Map<string, PipelineMeta>();

  constructor(readonly context: ProviderContext) {
    // Its key shapes are scrubbed wherever this adapter is used, registry or not (the registry adds them too).
    registerSecretPatterns(talonicDescriptor.secretPatterns);
    this.http = providerHttp(context, NAME, 'bearer', describeTalonicError);
  }

  dashboardUrl(run: Run): string | undefined {
    return run.links?.[0]?.url ?? this.meta.get(run.id)?.links?.[0]?.url;
  }

  checkKeyFormat(key: string): KeyCheck {
    return checkPrefix(key, talonicDescriptor.keyPrefixes, NAME);
  }

  async validateKey(): Promise<void> {
    await this.http.send({ method: 'GET', path: '/v1/specs', query: { limit: 1 }, schema: SpecListSchema });
  }

  cadenceMs(): number {
    return POLL_MS;
  }

  /** Specs are the accounts. The account id is the Spec's `schema_id`, which POST /v1/pipelines takes. */
  async listAccounts(): Promise<Account[]> {
    const accounts: Account[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_SPEC_PAGES; page++) {
      const { data } = await this.http.send({ method: 'GET', path: '/v1/specs', query: { cursor }, schema: SpecListSchema });
      const specs = Array.isArray(data) ? data : data.data;
      for (const spec of specs) {
        accounts.push({
          provider: 'talonic',
          id: spec.schema_id || spec.id,
          label: spec.name || spec.id,
          description: spec.description ?? undefined,
          raw: { ...rawRecord(spec), spec_id: spec.id, schema_id: spec.schema_id ?? null },
        });
      }
      const next = Array.isArray(data) ? undefined : data.pagination?.has_more ? data.pagination.next_cursor : undefined;
      if (!next || next === cursor) break;
      cursor = next;
    }
    return accounts;
  }

  async listRuns(account: Account, cursor?: string): Promise<RunPage> {
    const { data } = await this.http.send({
      method: 'GET',
      path: '/v1/pipelines',
      query: { schema_id: account.id, limit: RUNS_PAGE_SIZE, cursor },
      schema: PipelineListSchema,
    });
    const items = Array.isArray(data) ? data : data.data;
    const pagination = Array.isArray(data) ? undefined : data.pagination;
    // A server that ignores `schema_id` returns every Spec's pipelines: keep this Spec's only.
    const ids = new Set([account.id, account.raw?.spec_id, account.raw?.schema_id].filter((v): v is string => typeof v === 'string'));
    const mine = items.filter(p => !p.schema?.id || ids.has(p.schema.id));
    const runs = mine.map(p => this.listedRun(account, p));
    const nextCursor = pagination?.has_more && pagination.next_cursor && pagination.next_cursor !== cursor ? pagination.next_cursor : undefined;
    // The total counts the server's filter; it is wrong when the server ignored it.
    const total = mine.length === items.length && typeof pagination?.total === 'number' ? pagination.total : undefined;
    return { runs, nextCursor, total };
  }

  private listedRun(account: Account, p: WirePipeline): Run {
    const meta: PipelineMeta = { name: p.name ?? undefined, createdAt: isoOrUndefined(p.created_at), links: linksOf(p.links) };
    this.remember(p.id, meta);
    return {
      provider: 'talonic',
      accountId: p.schema?.id || account.id,
      id: p.id,
      kind: meta.name || TALONIC_PIPELINE_KIND,
      status: listStatus(p.status),
      rawStatus: p.status ?? '',
      startedAt: meta.createdAt,
      links: meta.links,
      raw: rawRecord(p),
    };
  }

  async getRun(ref: RunRef): Promise<Run> {
    const { data } = await this.http.send({
      method: 'GET',
      path: `/v1/pipelines/${encodeURIComponent(ref.id)}/progress`,
      schema: ProgressSchema,
    });
    // Progress carries no name or creation time: fetch the pipeline once for a run Runwatch did not start or list.
    let meta = this.meta.get(ref.id);
    if (!meta) {
      try {
        const { data: p } = await this.http.send({ method: 'GET', path: `/v1/pipelines/${encodeURIComponent(ref.id)}`, schema: PipelineSchema });
        meta = { name: p.name ?? undefined, createdAt: isoOrUndefined(p.created_at), links: linksOf(p.links) };
      } catch (e) {
        // The progress is what matters: keep it, and try the details again next poll only if the failure may pass.
        meta = { name: ref.kind && ref.kind !== TALONIC_PIPELINE_KIND ? ref.kind : undefined };
        if (isProviderError(e) && e.transient) return progressToRun(data, ref, meta);
      }
      this.remember(ref.id, meta);
    }
    return progressToRun(data, ref, meta);
  }

  private remember(pipelineId: string, meta: PipelineMeta): void {
    this.meta.delete(pipelineId);
    this.meta.set(pipelineId, meta);
    // Oldest first in a Map: forget the oldest beyond the cap (they are fetched again if ever polled).
    while (this.meta.size > MAX_REMEMBERED_PIPELINES) this.meta.delete(this.meta.keys().next().value!);
  }

  async listKinds(account: Account): Promise<PipelineKind[]> {
    return [
      {
        id: TALONIC_PIPELINE_KIND,
        label: 'Run pipeline',
        description: `Runs the ${account.label} Spec on documents already uploaded to Talonic.`,
        inputs: [
          {
            name: 'document_ids',
            label: 'Document ids',
            type: 'string[]',
            required: true,
            description: `1–${TALONIC_MAX_DOCUMENTS} ids of documents already uploaded to Talonic.`,
            placeholder: 'doc_…, doc_…',
          },
          { name: 'name', label: 'Pipeline name', type: 'string', required: false, description: 'Shown in Talonic and in Runwatch.' },
        ],
      },
    ];
  }

  /** Talonic has one kind of run, so any kind given (a re-run's) starts a pipeline on the Spec. */
  async startRun(account: Account, _kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    const documentIds = documentIdsFrom(input.document_ids);
    if (documentIds.length < 1 || documentIds.length > TALONIC_MAX_DOCUMENTS) {
      throw new ProviderError(
        'validation',
        `A Talonic pipeline takes 1–${TALONIC_MAX_DOCUMENTS} document ids; ${documentIds.length} given.`,
      );
    }
    const name = typeof input.name === 'string' && input.name.trim() ? input.name.trim() : undefined;
    const { data } = await this.http.send({
      method: 'POST',
      path: '/v1/pipelines',
      body: { schema_id: account.id, document_ids: documentIds, ...(name ? { name } : {}) },
      schema: StartSchema,
    });
    const links = linksOf(data.links);
    const startedAt = new Date().toISOString();
    this.remember(data.id, { name, createdAt: startedAt, links });
    const total = data.document_count ?? documentIds.length;
    const notes: string[] = [];
    if (data.appended) notes.push('Talonic added the documents to a pipeline already running on this Spec.');
    if (typeof data.enqueued_documents === 'number' && data.enqueued_documents < total) {
      notes.push(`Talonic enqueued ${data.enqueued_documents} of ${plural(total, 'document')}.`);
    }
    if (data.message) notes.push(data.message);
    const run: Run = {
      provider: 'talonic',
      accountId: data.schema?.id || account.id,
      id: data.id,
      kind: name || TALONIC_PIPELINE_KIND,
      status: 'queued',
      rawStatus: data.status ?? '',
      startedAt,
      progress: { documents: { total, completed: 0, errors: 0 }, detail: docsDetail(total, 0, 0) },
      links,
      raw: rawRecord(data),
    };
    return { run, message: notes.length ? notes.join(' ') : undefined };
  }

  /** Turns a pipeline into a data product (again: Talonic reactivates the existing one). */
  async createDataProduct(ref: RunRef, name?: string): Promise<{ product: Record<string, unknown>; shareToken?: string }> {
    try {
      const { data } = await this.http.send({
        method: 'POST',
        path: `/v1/pipelines/${encodeURIComponent(ref.id)}/data-product`,
        body: name ? { name } : {},
        schema: DataProductSchema,
      });
      const token = data.shareToken?.token ?? undefined;
      registerSecret(token);
      return { product: { ...data.dataProduct }, shareToken: token };
    } catch (e) {
      if (isProviderError(e) && e.status === 400) {
        throw new ProviderError(
          'validation',
          `${NAME}: a data product needs at least one completed document, and this pipeline has none yet. (${e.message.replace(/^Talonic: /, '')})`,
          { status: e.status, code: e.code, requestId: e.requestId, headers: e.headers, body: e.body },
        );
      }
      throw e;
    }
  }
}

/** The provider as Runwatch registers it: its facts and its adapter. */
export const talonicDescriptor = {
  id: 'talonic' as const,
  displayName: NAME,
  defaultBaseUrl: 'https://api.talonic.com',
  // A getter: the noun is translated when shown (the l10n bundle loads after this module).
  get accountNoun() {
    return l10n.t('spec');
  },
  icon: 'symbol-structure',
  keyPrefixes: ['tlnc_'],
  // Share tokens of data products (shr_…) are secrets too, though the user sees each once.
  secretPatterns: [/\btlnc_[A-Za-z0-9_-]{4,}/g, /\bshr_[A-Za-z0-9_-]{4,}/g],
  create: context => new TalonicProvider(context),
} satisfies ProviderDescriptor;
