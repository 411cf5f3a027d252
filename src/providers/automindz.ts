// Automindz (providers.md §3, seeds/002): a FastAPI service with one documented pipeline trigger,
// "find leavers", and a run endpoint that works for every pipeline. No list or cancel endpoints.
//
// Paths: the current API lives under `/v1`; "older unversioned endpoints remain available". Runwatch
// starts runs on `POST /v1/hiring-signals/leavers` and, only when that path is 404 (an older deployment),
// on the legacy `POST /hiring-signals/leavers`. It polls `GET /v1/runs/{id}`; when that is 404 it asks the
// legacy `GET /runs/{id}` once, and if the legacy path knows the run it keeps using it for that run (in
// memory: after a restart the first poll tries v1 again).
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { ProviderError, isProviderError, redact, registerSecret } from '../core/errors';
import type { ErrorDetail, HttpClient } from '../core/http';
import { genericDetail } from '../core/http';
import { COMMON_STATUS_WORDS, mapStatus, type Run, type RunCost, type RunError, type RunLink } from '../core/run';
import { checkPrefix, isoOrUndefined, providerHttp, rawRecord, startedRunSchema } from './common';
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

const NAME = 'Automindz';

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
const runSchema = z.lazy(() => z.looseObject({
  run_id: z.nullish(z.string()),
  status: z.string(),
  result: z.optional(z.unknown()),
  started_at: z.nullish(z.string()),
  finished_at: z.nullish(z.string()),
}));
type RunBody = z.infer<typeof runSchema>;

/** The one pipeline the docs describe; Runwatch shows it as the provider's only "account". */
export const LEAVERS_ACCOUNT_ID = 'leavers';
/** The third-party keys the leavers pipeline needs: read from SecretStorage, never kept on a Run. */
export const AMZ_SECRET_FIELDS = ['ai_ark_api_key', 'exa_api_key', 'openrouter_api_key'] as const;

/** Polls every 10 s; every 30 s once a run is older than this (the docs: 10 s small runs, 30 s larger). */
export const AMZ_LONG_RUN_AFTER_MS = 120_000;
export const AMZ_SHORT_INTERVAL_MS = 10_000;
export const AMZ_LONG_INTERVAL_MS = 30_000;

/** A run id no Automindz run can have, for the key check (a 404 then means the key was accepted). */
const KEY_CHECK_RUN_ID = '00000000-0000-7000-8000-000000000000';

const LEAVERS_INPUTS: InputField[] = [
  { name: 'org_name', label: 'Organisation name', type: 'string', required: true, description: 'Prefix for the output file names.' },
  {
    name: 'industries',
    label: 'Industries',
    type: 'string[]',
    required: true,
    description: 'Lowercase LinkedIn industry names.',
    placeholder: 'software development, it services and it consulting',
  },
  { name: 'ai_ark_api_key', label: 'AI Ark API key', type: 'string', required: true, secret: true, description: 'Your own AI Ark key.' },
  { name: 'exa_api_key', label: 'Exa API key', type: 'string', required: true, secret: true, description: 'Your own Exa key.' },
  { name: 'openrouter_api_key', label: 'OpenRouter API key', type: 'string', required: true, secret: true, description: 'Your own OpenRouter key.' },
  { name: 'limit', label: 'Limit', type: 'number', required: false, description: 'Maximum number of leavers to find.' },
  { name: 'job_titles', label: 'Job titles', type: 'string[]', required: false, description: 'Titles of the leavers to look for.' },
  { name: 'geography', label: 'Geography', type: 'string[]', required: false, description: 'Countries or regions.' },
  { name: 'dm_titles', label: 'Decision-maker titles', type: 'string[]', required: false },
  { name: 'dm_exclusion_titles', label: 'Excluded decision-maker titles', type: 'string[]', required: false },
  {
    name: 'employee_size_ranges',
    label: 'Employee size ranges',
    type: 'json',
    jsonShape: 'array',
    required: false,
    description: 'A JSON list of {"start", "end"} ranges.',
    placeholder: '[{"start": 11, "end": 50}]',
  },
  { name: 'tenure_min_months', label: 'Minimum tenure (months)', type: 'number', required: false },
  { name: 'tenure_max_months', label: 'Maximum tenure (months)', type: 'number', required: false },
  { name: 'qualification_criteria', label: 'Qualification criteria', type: 'string', required: false, description: 'Plain-language criteria a leaver must meet.' },
];

export const LEAVERS_KIND: PipelineKind = {
  id: 'leavers',
  label: 'Find leavers',
  description: 'Hiring signals: people who left a company, and decision makers at their new and old companies (CSV files).',
  inputs: LEAVERS_INPUTS,
};

export class AutomindzProvider implements Provider {
  readonly id = 'automindz' as const;
  readonly displayName = NAME;
  readonly capabilities: ProviderCapabilities = {
    listAccounts: false,
    addAccount: 'none',
    listRuns: false,
    cancel: false,
    cancelUnavailableReason: 'The Automindz API has no cancel endpoint.',
    // GET /v1/runs/{run_id} works for every pipeline type.
    trackWithoutAccount: true,
    result: true,
  };
  readonly keyHelp = { prompt: 'Automindz API key (keys are issued by the Automindz team)', placeholder: 'The key the Automindz team sent you' };

  private readonly http: HttpClient;
  /** Runs that only the legacy unversioned path knows. */
  private readonly legacyRuns = new Set<string>();

  constructor(readonly context: ProviderContext) {
    // The paths below add `/v1` themselves; a base URL that already ends in /v1 must not double it.
    const baseUrl = context.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.http = providerHttp({ ...context, baseUrl }, NAME, 'bearer', describeAmzError);
  }

  checkKeyFormat(key: string): KeyCheck {
    return checkPrefix(key, automindzDescriptor.keyPrefixes, NAME);
  }

  /** Asks for a run that cannot exist: 404 means the key was accepted, 401 that it was not. */
  async validateKey(): Promise<void> {
    try {
      await this.http.send({ method: 'GET', path: `/v1/runs/${KEY_CHECK_RUN_ID}`, schema: z.unknown() });
    } catch (e) {
      if (isProviderError(e) && e.kind === 'notFound') return;
      throw e;
    }
  }

  cadenceMs(_run: Run, context: CadenceContext): number {
    return context.ageMs > AMZ_LONG_RUN_AFTER_MS ? AMZ_LONG_INTERVAL_MS : AMZ_SHORT_INTERVAL_MS;
  }

  /** No API call: the documented pipeline is the only "account". */
  async listAccounts(): Promise<Account[]> {
    return [
      {
        provider: this.id,
        id: LEAVERS_ACCOUNT_ID,
        label: 'Find leavers',
        // Fixed: the Automindz API has no call to list pipelines.
        description: 'hiring signals',
      },
    ];
  }

  async listRuns(_account: Account, _cursor?: string): Promise<RunPage> {
    return { runs: [] };
  }

  async listKinds(account: Account): Promise<PipelineKind[]> {
    return account.id === LEAVERS_ACCOUNT_ID ? [LEAVERS_KIND] : [];
  }

  async startRun(account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    if (kind.id !== LEAVERS_KIND.id) throw new ProviderError('unsupported', `${NAME} has no pipeline "${kind.label}" Runwatch can start.`);
    const publicInput = normalizeLeaversInput(input);
    const secrets = await this.readSecrets(input);
    const body = { ...publicInput, ...secrets };

    let legacy = false;
    let response;
    try {
      try {
        response = await this.http.send({ method: 'POST', path: '/v1/hiring-signals/leavers', body, schema: startedRunSchema });
      } catch (e) {
        if (!isProviderError(e) || e.kind !== 'notFound') throw e;
        legacy = true;
        response = await this.http.send({ method: 'POST', path: '/hiring-signals/leavers', body, schema: startedRunSchema });
      }
    } catch (e) {
      throw withoutSecrets(e);
    }
    const data = response.data;
    if (legacy) this.legacyRuns.add(data.run_id);
    const rawStatus = data.status ?? 'QUEUED';
    const run: Run = {
      provider: this.id,
      accountId: account.id,
      id: data.run_id,
      kind: kind.label,
      status: mapStatus(rawStatus, COMMON_STATUS_WORDS),
      rawStatus,
      raw: rawRecord(data),
    };
    return { run };
  }

  async getRun(ref: RunRef): Promise<Run> {
    const id = encodeURIComponent(ref.id);
    let data: RunBody;
    try {
      if (this.legacyRuns.has(ref.id)) {
        ({ data } = await this.http.send({ method: 'GET', path: `/runs/${id}`, schema: runSchema }));
      } else {
        try {
          ({ data } = await this.http.send({ method: 'GET', path: `/v1/runs/${id}`, schema: runSchema }));
        } catch (e) {
          if (!isProviderError(e) || e.kind !== 'notFound') throw e;
          ({ data } = await this.http.send({ method: 'GET', path: `/runs/${id}`, schema: runSchema }));
          this.legacyRuns.add(ref.id);
        }
      }
    } catch (e) {
      if (isProviderError(e) && e.kind === 'notFound') {
        throw new ProviderError('notFound', `Automindz has no run ${ref.id} (it may belong to another key).`, { status: e.status, requestId: e.requestId });
      }
      throw e;
    }
    return mapRunBody(data, ref);
  }

  /** Each third-party key from the input if given there, else from SecretStorage; registered for redaction. */
  private async readSecrets(input: Record<string, unknown>): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const missing: string[] = [];
    for (const name of AMZ_SECRET_FIELDS) {
      const given = input[name];
      const value = (typeof given === 'string' && given.trim() ? given.trim() : await this.context.getSecret?.(name))?.trim();
      if (value) {
        registerSecret(value);
        out[name] = value;
      } else {
        missing.push(LEAVERS_INPUTS.find(f => f.name === name)?.label ?? name);
      }
    }
    if (missing.length) {
      throw new ProviderError('validation', `${NAME} "Find leavers" needs your own ${missing.join(', ')}: set ${missing.length > 1 ? 'them' : 'it'} before starting a run.`, {
        hint: 'The pipeline calls AI Ark, Exa and OpenRouter with keys you bring; Runwatch keeps them in the OS keychain.',
      });
    }
    return out;
  }
}

/**
 * Checks and cleans the non-secret inputs: required fields present, lists as string arrays (a
 * comma-separated string is split), numbers as integers, employee size ranges as a list of objects.
 * Never contains a secret.
 */
export function normalizeLeaversInput(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const field of LEAVERS_INPUTS) {
    if (field.secret) continue;
    const value = input[field.name];
    const empty = value === undefined || value === null || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);
    if (empty) {
      if (field.required) problems.push(`${field.label} is required`);
      continue;
    }
    switch (field.type) {
      case 'string':
        if (typeof value === 'string') out[field.name] = value.trim();
        else problems.push(`${field.label} must be text`);
        break;
      case 'string[]': {
        const list = typeof value === 'string' ? value.split(',') : value;
        if (Array.isArray(list) && list.every(v => typeof v === 'string')) {
          const cleaned = (list as string[]).map(v => v.trim()).filter(Boolean);
          if (cleaned.length) out[field.name] = cleaned;
          else if (field.required) problems.push(`${field.label} is required`);
        } else problems.push(`${field.label} must be a list of text values`);
        break;
      }
      case 'number': {
        const n = typeof value === 'string' ? Number(value.trim()) : value;
        if (typeof n === 'number' && Number.isInteger(n) && n >= 0) out[field.name] = n;
        else problems.push(`${field.label} must be a whole number`);
        break;
      }
      case 'json': {
        let parsed = value;
        if (typeof value === 'string') {
          try {
            parsed = JSON.parse(value);
          } catch {
            problems.push(`${field.label} is not valid JSON`);
            break;
          }
        }
        if (Array.isArray(parsed) && parsed.every(r => typeof r === 'object' && r !== null && !Array.isArray(r))) out[field.name] = parsed;
        else problems.push(`${field.label} must be a JSON list of {"start", "end"} objects`);
        break;
      }
      default:
        out[field.name] = value;
    }
  }
  if (problems.length) throw new ProviderError('validation', `${NAME} "Find leavers": ${problems.join('; ')}.`);
  return out;
}

function mapRunBody(data: RunBody, ref: RunRef): Run {
  const status = mapStatus(data.status, COMMON_STATUS_WORDS);
  const startedAt = isoOrUndefined(data.started_at);
  const finishedAt = isoOrUndefined(data.finished_at);
  const run: Run = {
    provider: 'automindz',
    accountId: ref.accountId,
    id: data.run_id ?? ref.id,
    kind: ref.kind ?? LEAVERS_KIND.label,
    status,
    rawStatus: data.status,
    startedAt,
    finishedAt,
    raw: rawRecord(data),
  };
  if (startedAt && finishedAt) run.durationSeconds = Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
  const result = rawRecord(data.result);
  if (status === 'succeeded' && data.result !== null && data.result !== undefined) {
    run.result = data.result;
    const detail = summaryDetail(result?.summary);
    if (detail) run.progress = { detail };
    const cost = costLines(result?.costs);
    if (cost) run.cost = cost;
    const links = resultLinks(result);
    if (links.length) run.links = links;
  }
  if (status === 'failed') run.error = mapFailure(data.result);
  return run;
}

const COUNT_NOUNS: Record<string, [string, string]> = {
  leavers_count: ['leaver', 'leavers'],
  new_company_dms_count: ['new-company DM', 'new-company DMs'],
  old_company_dms_count: ['old-company DM', 'old-company DMs'],
};

/** "1 leaver · 3 new-company DMs · 3 old-company DMs", from every numeric `*_count` in the summary. */
export function summaryDetail(summary: unknown): string | undefined {
  const s = rawRecord(summary);
  if (!s) return undefined;
  const parts: string[] = [];
  for (const [key, value] of Object.entries(s)) {
    if (typeof value !== 'number' || !key.endsWith('_count')) continue;
    const [one, many] = COUNT_NOUNS[key] ?? [key.slice(0, -'_count'.length).replace(/_/g, ' '), key.slice(0, -'_count'.length).replace(/_/g, ' ')];
    parts.push(`${value} ${value === 1 ? one : many}`);
  }
  return parts.length ? parts.join(' · ') : undefined;
}

/** Named cost lines as sent: dollars (exa, openrouter) and credits (ai_ark) are different units, never summed. */
function costLines(costs: unknown): RunCost | undefined {
  const c = rawRecord(costs);
  if (!c) return undefined;
  const lines: Record<string, number> = {};
  for (const [key, value] of Object.entries(c)) if (typeof value === 'number' && Number.isFinite(value)) lines[key] = value;
  return Object.keys(lines).length ? { lines } : undefined;
}

/** A link for every top-level `*_url`: `new_company_dms_url` → "Open new company DMs CSV". */
export function resultLinks(result: Record<string, unknown> | undefined): RunLink[] {
  if (!result) return [];
  const links: RunLink[] = [];
  for (const [key, value] of Object.entries(result)) {
    if (!key.endsWith('_url') || typeof value !== 'string' || !/^https?:\/\//i.test(value)) continue;
    const words = key
      .slice(0, -'_url'.length)
      .split('_')
      .filter(Boolean)
      .map(w => (w.toLowerCase() === 'dms' ? 'DMs' : w.toLowerCase() === 'csv' ? 'CSV' : w));
    const isCsv = /\.csv(?:$|[?#])/i.test(value) && !words.includes('CSV');
    links.push({ label: `Open ${words.join(' ')}${isCsv ? ' CSV' : ''}`, url: value });
  }
  return links;
}

function mapFailure(result: unknown): RunError {
  const r = rawRecord(result);
  const err = r?.error;
  const errRecord = rawRecord(err);
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const message =
    text(errRecord?.message) ?? text(err) ?? text(r?.message) ?? text(r?.detail) ?? 'The run failed; Automindz gave no reason.';
  const error: RunError = { message };
  const step = text(errRecord?.step_id) ?? text(errRecord?.step);
  if (step) error.step = step;
  // The pipeline calls third-party APIs with the keys the user supplied; an HTTP 401/403 inside a step is one of those.
  if (/\b(401|403)\b|unauthori[sz]ed|forbidden/i.test(message)) {
    error.hint =
      'A third-party service refused a key you supplied (AI Ark, Exa or OpenRouter). Your Automindz key itself worked. ' +
      'To enter those keys again, run "Runwatch: Clear API Key" for Automindz (it forgets them too), set the Automindz key, and start the run again.';
  }
  return error;
}

/** FastAPI errors: `{"detail": "text"}` or a list of `{loc, msg, type}`, read into one message. */
export function describeAmzError(status: number, body: unknown): ErrorDetail | undefined {
  const b = rawRecord(body);
  const detail = b?.detail;
  if (Array.isArray(detail)) {
    const parts = detail
      .map(d => {
        const item = rawRecord(d);
        if (!item || typeof item.msg !== 'string') return undefined;
        const loc = Array.isArray(item.loc) ? item.loc.filter(p => p !== 'body' && p !== 'query' && p !== 'path').join('.') : '';
        return loc ? `${loc}: ${item.msg}` : item.msg;
      })
      .filter((p): p is string => !!p);
    if (parts.length) return { message: `the request was rejected (HTTP ${status}): ${parts.join('; ')}.` };
  }
  if (typeof detail === 'string' && detail.trim()) {
    if (status === 429 && /concurrent/i.test(detail)) {
      return { message: detail, hint: 'Your plan\'s concurrent-run limit is reached (Free 2, Pro 10): wait for a run to finish.' };
    }
    if (status === 401) return { message: `${detail} (HTTP 401).`, hint: 'Set a new key with "Runwatch: Set API Key"; Automindz keys come from the Automindz team.' };
    return { message: detail };
  }
  return genericDetail(body);
}

/**
 * A 422 body can echo the request (pydantic puts the whole body in `input`), which holds the third-party
 * keys: drop it from the error and redact the message, so nothing downstream can log a key.
 */
function withoutSecrets(e: unknown): unknown {
  if (!isProviderError(e)) return e;
  return new ProviderError(e.kind, redact(e.message), {
    status: e.status,
    retryAfterMs: e.retryAfterMs,
    requestId: e.requestId,
    code: e.code,
    hint: e.hint,
    notSent: e.notSent,
  });
}

/** The provider as Runwatch registers it: its facts and its adapter. */
export const automindzDescriptor = {
  id: 'automindz' as const,
  displayName: NAME,
  defaultBaseUrl: 'https://api.automindz.co',
  // A getter: the noun is translated when shown (the l10n bundle loads after this module).
  get accountNoun() {
    return l10n.t('pipeline');
  },
  icon: 'server-process',
  keyPrefixes: [],
  secretPatterns: [],
  create: context => new AutomindzProvider(context),
} satisfies ProviderDescriptor;
