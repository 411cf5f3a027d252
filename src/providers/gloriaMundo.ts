// GloriaMundo Developer API (providers.md §2, seeds/001): `POST /workflows/{id}/execute` starts a run,
// `GET /runs/{id}/status` polls it. The API cannot list workflows or runs, nor cancel a run, so
// workflows are added by id and the only runs Runwatch knows are the ones it started or was told about.
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { ProviderError, isProviderError, registerSecretPatterns } from '../core/errors';
import type { ErrorDetail, HttpClient } from '../core/http';
import { genericDetail } from '../core/http';
import { COMMON_STATUS_WORDS, mapStatus, type Run, type RunError, type RunProgress } from '../core/run';
import { checkPrefix, isoOrUndefined, providerHttp, rawRecord, startedRunSchema } from './common';
import type {
  Account,
  CadenceContext,
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

const NAME = 'GloriaMundo';

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
const statusSchema = z.lazy(() => z.looseObject({
  run_id: z.nullish(z.string()),
  status: z.string(),
  progress: z.nullish(
    z.looseObject({
      current_step: z.nullish(z.number()),
      total_steps: z.nullish(z.number()),
      current_step_name: z.nullish(z.string()),
      percentage: z.nullish(z.number()),
    }),
  ),
  started_at: z.nullish(z.string()),
  completed_at: z.nullish(z.string()),
  result: z.optional(z.unknown()),
  cost_cents: z.nullish(z.number()),
  // The docs show a string; an `{message}` object is read too rather than refused.
  error: z.nullish(z.union([z.string(), z.looseObject({ message: z.nullish(z.string()) })])),
}));
type StatusBody = z.infer<typeof statusSchema>;

/** Polls 1–5 of a run are 2 s apart, as the polling page recommends; later ones back off. */
export const GM_FIRST_POLLS = 5;
export const GM_FIRST_INTERVAL_MS = 2_000;
export const GM_BACKOFF_FACTOR = 1.5;
export const GM_MAX_INTERVAL_MS = 10_000;

export const GM_RUN_KIND: PipelineKind = {
  id: 'run',
  label: 'Run workflow',
  description: 'Runs the workflow. The input object\'s fields become {{trigger.<field>}} variables in it.',
  inputs: [
    {
      name: 'input',
      label: 'Input (JSON object)',
      type: 'json',
      required: false,
      description: 'A JSON object, e.g. {"topic": "weekly report"}; leave empty for none.',
      placeholder: '{"field": "value"}',
    },
  ],
};

export class GloriaMundoProvider implements Provider {
  readonly id = 'gloriaMundo' as const;
  readonly displayName = NAME;
  readonly capabilities: ProviderCapabilities = {
    listAccounts: false,
    addAccount: 'byId',
    listRuns: false,
    cancel: false,
    cancelUnavailableReason: 'The GloriaMundo API has no cancel endpoint.',
    // GET /runs/{run_id}/status needs no workflow.
    trackWithoutAccount: true,
    result: true,
  };
  readonly keyHelp = {
    prompt: 'GloriaMundo API key (create one under API Keys in app.gloriamundo.com; it is shown once and starts with gm_live_)',
    placeholder: 'gm_live_…',
  };
  /** The documented per-user limit on status polls; the scheduler shares it between runs. */
  readonly pollBudget = { requests: 60, perMs: 60_000 };

  private readonly http: HttpClient;

  constructor(readonly context: ProviderContext) {
    // Its key shapes are scrubbed wherever this adapter is used, registry or not (the registry adds them too).
    registerSecretPatterns(gloriaMundoDescriptor.secretPatterns);
    this.http = providerHttp(context, NAME, 'bearer', describeGmError);
  }

  checkKeyFormat(key: string): KeyCheck {
    return checkPrefix(key, gloriaMundoDescriptor.keyPrefixes, NAME);
  }

  /**
   * GET /spend-limit is the only cheap authenticated read the API has. Only 401/403 mean the key is bad;
   * a 404 (a deployment without spend controls) or another 4xx means the key got past authentication.
   */
  async validateKey(): Promise<void> {
    try {
      await this.http.send({ method: 'GET', path: '/spend-limit', schema: z.looseObject({}) });
    } catch (e) {
      if (isProviderError(e) && (e.kind === 'notFound' || e.kind === 'validation' || e.kind === 'payment' || e.kind === 'conflict')) return;
      throw e;
    }
  }

  /**
   * 2 s for the first 5 polls, then ×1.5 per poll, capped at 10 s:
   * polls 0–4 → 2 s, 5 → 3 s, 6 → 4.5 s, 7 → 6.75 s, 8 and later → 10 s.
   */
  cadenceMs(_run: Run, context: CadenceContext): number {
    if (context.polls < GM_FIRST_POLLS) return GM_FIRST_INTERVAL_MS;
    const backedOff = GM_FIRST_INTERVAL_MS * GM_BACKOFF_FACTOR ** (context.polls - GM_FIRST_POLLS + 1);
    return Math.min(GM_MAX_INTERVAL_MS, Math.round(backedOff));
  }

  async listAccounts(): Promise<Account[]> {
    return [];
  }

  /** Workflows are remembered by id: the API has no call to list or look up a workflow, so none is checked. */
  async addAccount(input: { value: string; label?: string }): Promise<Account> {
    const id = input.value.trim();
    if (!id) throw new ProviderError('validation', 'Enter the GloriaMundo workflow id (from the workflow\'s URL or its API tab).');
    if (/[\s/?#]/.test(id)) throw new ProviderError('validation', `"${id}" does not look like a GloriaMundo workflow id: it contains spaces or URL characters.`);
    const label = input.label?.trim() || id;
    // The API cannot list or look up workflows, so the id is first tried when a run starts; the row shows
    // the id next to the label the user chose, so a mistyped id is visible.
    return { provider: this.id, id, label, description: label === id ? undefined : id };
  }

  /** The API has no run list: runs come from what Runwatch started or tracked by id. */
  async listRuns(_account: Account, _cursor?: string): Promise<RunPage> {
    return { runs: [] };
  }

  async listKinds(_account: Account): Promise<PipelineKind[]> {
    return [GM_RUN_KIND];
  }

  async startRun(account: Account, _kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    const workflowInput = parseWorkflowInput(input.input);
    let response;
    try {
      response = await this.http.send({
        method: 'POST',
        path: `/workflows/${encodeURIComponent(account.id)}/execute`,
        body: workflowInput === undefined ? {} : { input: workflowInput },
        schema: startedRunSchema,
      });
    } catch (e) {
      throw this.startError(e, account);
    }
    const data = response.data;
    const rawStatus = data.status ?? 'queued';
    const run: Run = {
      provider: this.id,
      accountId: account.id,
      id: data.run_id,
      kind: account.label,
      status: mapStatus(rawStatus, COMMON_STATUS_WORDS),
      rawStatus,
      raw: rawRecord(data),
    };
    return { run };
  }

  async getRun(ref: RunRef): Promise<Run> {
    let data: StatusBody;
    try {
      ({ data } = await this.http.send({ method: 'GET', path: `/runs/${encodeURIComponent(ref.id)}/status`, schema: statusSchema }));
    } catch (e) {
      if (isProviderError(e) && e.kind === 'notFound') {
        throw new ProviderError('notFound', `GloriaMundo has no run ${ref.id} (it may belong to another key)`, { status: e.status, requestId: e.requestId });
      }
      throw e;
    }
    return mapStatusBody(data, ref);
  }

  private startError(e: unknown, account: Account): unknown {
    if (!isProviderError(e)) return e;
    // The Executing page lists 429 for a spend-limit block; that is a payment stop, not a rate limit.
    if (e.kind === 'rateLimited' && errorCode(e.body) === 'spend_limit_exceeded') {
      const detail = describeGmError(402, e.body);
      return new ProviderError('payment', `${NAME}: ${detail?.message ?? 'the spend limit is reached.'}`, {
        status: e.status,
        requestId: e.requestId,
        code: 'spend_limit_exceeded',
        hint: detail?.hint,
        body: e.body,
      });
    }
    if (e.kind === 'notFound') {
      return new ProviderError('notFound', `${NAME} has no workflow ${account.id} for this key (check the id, or the key's account).`, {
        status: e.status,
        requestId: e.requestId,
      });
    }
    return e;
  }
}

/** Reads the `input` field: an object, JSON text of an object, or nothing. Arrays and scalars are refused. */
export function parseWorkflowInput(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return undefined;
    try {
      parsed = JSON.parse(value);
    } catch (e) {
      throw new ProviderError('validation', `The workflow input is not valid JSON (${(e as Error).message}). Enter a JSON object such as {"field": "value"}.`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const got = Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`;
    throw new ProviderError('validation', `The workflow input must be a JSON object such as {"field": "value"}, not ${got}: GloriaMundo refuses anything else.`);
  }
  return parsed as Record<string, unknown>;
}

function mapStatusBody(data: StatusBody, ref: RunRef): Run {
  const status = mapStatus(data.status, COMMON_STATUS_WORDS);
  const startedAt = isoOrUndefined(data.started_at);
  const finishedAt = isoOrUndefined(data.completed_at);
  const run: Run = {
    provider: 'gloriaMundo',
    accountId: ref.accountId,
    id: data.run_id ?? ref.id,
    // A run tracked by id has no name to go by (the status call names no workflow): '' reads as "Run", where the
    // workflow's id would read as a made-up kind ("Wf digest").
    kind: ref.kind ?? '',
    status,
    rawStatus: data.status,
    startedAt,
    finishedAt,
    raw: rawRecord(data),
  };
  const progress = mapProgress(data.progress);
  if (progress) run.progress = progress;
  if (data.cost_cents !== null && data.cost_cents !== undefined) run.cost = { amount: data.cost_cents / 100, currency: 'USD' };
  if (data.result !== null && data.result !== undefined) run.result = data.result;
  if (startedAt && finishedAt) run.durationSeconds = Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
  if (status === 'failed') run.error = mapError(data);
  return run;
}

function mapProgress(progress: StatusBody['progress']): RunProgress | undefined {
  if (!progress) return undefined;
  const out: RunProgress = {};
  if (typeof progress.current_step === 'number') out.index = progress.current_step;
  if (typeof progress.total_steps === 'number') out.total = progress.total_steps;
  if (progress.current_step_name) out.current = progress.current_step_name;
  if (typeof progress.percentage === 'number') out.percent = progress.percentage;
  else if (out.index !== undefined && out.total) out.percent = Math.round((out.index / out.total) * 100);
  return Object.keys(out).length ? out : undefined;
}

function mapError(data: StatusBody): RunError {
  const raw = data.error;
  const message = (typeof raw === 'string' ? raw : raw?.message)?.trim() || 'The workflow failed; GloriaMundo gave no reason.';
  const error: RunError = { message };
  const p = data.progress;
  if (p && typeof p.current_step === 'number' && typeof p.total_steps === 'number') {
    error.step = `step ${p.current_step}/${p.total_steps}${p.current_step_name ? ` · ${p.current_step_name}` : ''}`;
  } else if (p?.current_step_name) {
    error.step = p.current_step_name;
  }
  return error;
}

function errorCode(body: unknown): string | undefined {
  const b = rawRecord(body);
  return typeof b?.error === 'string' ? b.error : undefined;
}

/** The reset time of a spend period, under the names an error body may use (the docs do not name it). */
function resetTime(body: Record<string, unknown>): string | undefined {
  for (const name of ['period_reset_at', 'reset_at', 'resets_at', 'period_resets_at']) {
    const value = isoOrUndefined(body[name]);
    if (value) return value;
  }
  return undefined;
}

/** 402 is either "insufficient_credits" or "spend_limit_exceeded"; they need different actions. */
export function describeGmError(status: number, body: unknown): ErrorDetail | undefined {
  const b = rawRecord(body) ?? {};
  const code = errorCode(b);
  if (code === 'spend_limit_exceeded') {
    const reset = resetTime(b);
    return {
      code,
      message: `the spend limit for this period is reached, so no new run can start${reset ? `; it resets at ${reset}` : ''}. Runs already going finish normally.`,
      hint: 'Raise or remove the spend limit in GloriaMundo\'s Spend Controls, or wait for the period to reset.',
    };
  }
  if (code === 'insufficient_credits' || (status === 402 && code !== undefined && /credit/i.test(code))) {
    return {
      code,
      message: 'there are not enough credits to run this workflow.',
      hint: 'Buy or top up credits in GloriaMundo\'s billing page, then start the run again.',
    };
  }
  if (status === 402) {
    const server = genericDetail(body)?.message;
    return {
      code,
      message: `refused the run for lack of credits or a spend limit (HTTP 402)${server ? `: ${server}` : '.'}`,
      hint: 'Check your credits and spend limit in GloriaMundo.',
    };
  }
  if (status === 401) {
    return { code, message: 'rejected the API key (missing, invalid or revoked).', hint: 'Set a new key with "Runwatch: Set API Key".' };
  }
  return genericDetail(body);
}

/** The provider as Runwatch registers it: its facts and its adapter. */
export const gloriaMundoDescriptor = {
  id: 'gloriaMundo' as const,
  displayName: NAME,
  defaultBaseUrl: 'https://app.gloriamundo.com/api/v1',
  // A getter: the noun is translated when shown (the l10n bundle loads after this module).
  get accountNoun() {
    return l10n.t('workflow');
  },
  icon: 'symbol-event',
  keyPrefixes: ['gm_live_', 'gm_test_'],
  secretPatterns: [/\bgm_(?:live|test)_[A-Za-z0-9_-]{4,}/g],
  create: context => new GloriaMundoProvider(context),
} satisfies ProviderDescriptor;
