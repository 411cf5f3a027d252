// A generic REST adapter built from a declaration in settings: start with one request, poll a status path until
// the mapped status is terminal, optionally list and cancel. Every answer goes through the shared HttpClient
// (deadline, body cap, Retry-After, error bodies); each field is read at its JSON Pointer and checked with zod, so
// a pointer that lands on the wrong type says which pointer of which declaration.
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { ProviderError, isProviderError, registerSecret } from '../../core/errors';
import type { HttpClient } from '../../core/http';
import { COMMON_STATUS_WORDS, mapStatus, type ProviderId, type Run, type RunError, type RunProgress, type RunStatus } from '../../core/run';
import { checkPrefix, isoOrUndefined, providerHttp, rawRecord } from '../common';
import { behindBoundary } from '../index';
import type {
  Account,
  CadenceContext,
  InputField,
  KeyCheck,
  PipelineKind,
  Provider,
  ProviderCapabilities,
  ProviderContext,
  ProviderDescriptor,
  RunPage,
  RunRef,
  StartResult,
} from '../provider';
import { CUSTOM_PROVIDERS_SETTING, customAccountNoun, describe, usesAccounts, type CustomDeclaration } from './declaration';
import { fillBody, fillPath, resolvePointer, type TemplateValues } from './wire';

/** The one account of a declaration whose paths name none. */
export const CUSTOM_DEFAULT_ACCOUNT_ID = 'default';
export const CUSTOM_KIND_ID = 'start';
/** Polled every 10 s unless the declaration says otherwise; a back-off stops at 60 s unless it names a cap. */
export const CUSTOM_DEFAULT_INTERVAL_SECONDS = 10;
export const CUSTOM_DEFAULT_MAX_INTERVAL_SECONDS = 60;
/** The codicon of a declaration's account rows when it names none. */
export const CUSTOM_DEFAULT_ICON = 'symbol-event';
/** Asked for by Set API Key's check: no run has this id, so only the key decides the answer. */
const KEY_CHECK_ID = 'runwatch-key-check';

type FieldName = 'id' | 'status' | 'progress.current' | 'progress.total' | 'progress.percent' | 'progress.stage' | 'error' | 'errorStep' | 'result' | 'startedAt' | 'finishedAt';

const idValue = z.union([z.string().check(z.minLength(1)), z.number()]);
const textValue = z.string();
const numberValue = z.number();
const timeValue = z.union([z.string(), z.number()]);
// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
/** An error as text, or an object carrying `message`. */
const errorValue = z.lazy(() => z.union([z.string(), z.looseObject({ message: z.string() })]));

/**
 * The provider a declaration describes, as the registry takes it: `custom:<id>` (never a built-in's id), its
 * name, account noun and icon from the declaration, and its adapter behind the same boundary as the built-ins'.
 */
export function customDescriptor(declaration: CustomDeclaration): ProviderDescriptor {
  return behindBoundary({
    id: declaration.providerId,
    displayName: declaration.displayName,
    defaultBaseUrl: declaration.baseUrl,
    // A getter: the default noun is translated when shown (the l10n bundle loads after this module).
    get accountNoun() {
      return customAccountNoun(declaration);
    },
    icon: declaration.icon ?? CUSTOM_DEFAULT_ICON,
    // A declared API's keys have no known shape: each key is redacted as itself once read (registerSecret).
    keyPrefixes: [],
    secretPatterns: [],
    create: context => new CustomRestProvider(declaration, context),
  });
}

export class CustomRestProvider implements Provider {
  readonly id: ProviderId;
  readonly displayName: string;
  readonly capabilities: ProviderCapabilities;
  readonly keyHelp: { prompt: string; placeholder: string };
  readonly pollBudget?: { requests: number; perMs: number };

  private readonly http: HttpClient;
  private readonly kind: PipelineKind;
  private readonly statusTable: Record<string, RunStatus>;
  private readonly byAccount: boolean;

  constructor(
    readonly declaration: CustomDeclaration,
    readonly context: ProviderContext,
  ) {
    const d = declaration;
    this.id = d.providerId;
    this.displayName = d.displayName;
    this.byAccount = usesAccounts(d);
    const auth = d.auth ?? { header: 'Authorization', scheme: 'Bearer' };
    this.http = providerHttp(context, d.displayName, auth);
    this.capabilities = {
      listAccounts: false,
      addAccount: this.byAccount ? 'byId' : 'none',
      listRuns: !!d.list,
      cancel: !!d.cancel,
      cancelUnavailableReason: d.cancel ? undefined : l10n.t('The declaration of {0} ({1}) has no cancel call.', d.displayName, CUSTOM_PROVIDERS_SETTING),
      result: !!d.fields.result,
      trackWithoutAccount: !d.status.path.includes('${accountId}'),
    };
    this.keyHelp = {
      prompt: auth.scheme
        ? l10n.t('{0} API key (sent in the {1} header as "{2} <key>")', d.displayName, auth.header, auth.scheme)
        : l10n.t('{0} API key (sent in the {1} header)', d.displayName, auth.header),
      placeholder: '',
    };
    if (d.budget) this.pollBudget = { requests: d.budget.requests, perMs: d.budget.perSeconds * 1000 };
    this.kind = { id: CUSTOM_KIND_ID, label: d.start.label ?? l10n.t('Start run'), inputs: (d.inputs ?? []).map(toInputField) };
    // The words every provider uses are understood without listing them; the declaration's own map wins.
    this.statusTable = { ...COMMON_STATUS_WORDS, ...d.statusMap };
  }

  get accountNoun(): string {
    return customAccountNoun(this.declaration);
  }

  checkKeyFormat(key: string): KeyCheck {
    return checkPrefix(key, [], this.displayName);
  }

  /** Asks for a run no API has: only a refused key (401, 403) or no answer fails the check. */
  async validateKey(): Promise<void> {
    const path = fillPath(this.declaration.status.path, { runId: KEY_CHECK_ID, accountId: KEY_CHECK_ID }, this.where('status.path'));
    try {
      await this.http.send({ method: 'GET', path, schema: z.unknown() });
    } catch (e) {
      if (isProviderError(e) && (e.kind === 'notFound' || e.kind === 'validation' || e.kind === 'conflict' || e.kind === 'payment')) return;
      throw e;
    }
  }

  /** The declared interval for the first `steadyPolls` polls, then multiplied by `backoffFactor` per poll up to the cap. */
  cadenceMs(_run: Run, context: CadenceContext): number {
    const c = this.declaration.cadence;
    const interval = (c?.intervalSeconds ?? CUSTOM_DEFAULT_INTERVAL_SECONDS) * 1000;
    const factor = c?.backoffFactor ?? 1;
    const steady = c?.steadyPolls ?? 0;
    if (factor === 1 || context.polls < steady) return interval;
    const cap = (c?.maxIntervalSeconds ?? CUSTOM_DEFAULT_MAX_INTERVAL_SECONDS) * 1000;
    return Math.min(Math.max(cap, interval), Math.round(interval * factor ** (context.polls - steady + 1)));
  }

  async listAccounts(): Promise<Account[]> {
    if (this.byAccount) return [];
    return [{ provider: this.id, id: CUSTOM_DEFAULT_ACCOUNT_ID, label: this.declaration.start.label ?? this.displayName }];
  }

  /** Accounts are remembered by id: a declaration has no call to look one up. */
  async addAccount(input: { value: string; label?: string }): Promise<Account> {
    const id = input.value.trim();
    if (!id) throw new ProviderError('validation', l10n.t('Enter the {0} {1} id.', this.displayName, this.accountNoun));
    if (/[\s/?#]/.test(id)) throw new ProviderError('validation', l10n.t('"{0}" does not look like a {1} {2} id: it contains spaces or URL characters.', id, this.displayName, this.accountNoun));
    const label = input.label?.trim() || id;
    return { provider: this.id, id, label, description: label === id ? undefined : id };
  }

  async listKinds(_account: Account): Promise<PipelineKind[]> {
    return [this.kind];
  }

  async listRuns(account: Account, _cursor?: string): Promise<RunPage> {
    const list = this.declaration.list;
    if (!list) return { runs: [] };
    const { data } = await this.http.send({ method: 'GET', path: fillPath(list.path, { accountId: account.id }, this.where('list.path')), schema: z.unknown() });
    const items = resolvePointer(data, list.items);
    if (!Array.isArray(items)) {
      throw this.badField(`list.items`, list.items, items, l10n.t('a list of runs'));
    }
    const runs: Run[] = [];
    for (const item of items) {
      const id = this.read(item, 'id', idValue, l10n.t('a run id (text or a number)'));
      if (id === undefined) continue;
      runs.push(this.mapRun(item, { accountId: account.id, id: String(id) }));
    }
    return { runs, fullRuns: false };
  }

  async startRun(account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    const values = { accountId: account.id, ...(await this.startValues(kind, input)) };
    const d = this.declaration;
    const path = fillPath(d.start.path, values, this.where('start.path'));
    const body = d.start.body === undefined ? undefined : fillBody(d.start.body, values);
    const { data } = await this.http.send({ method: d.start.method ?? 'POST', path, body, schema: z.unknown() });
    const id = this.read(data, 'id', idValue, l10n.t('a run id (text or a number)'));
    if (id === undefined) throw this.badField('fields.id', d.fields.id, undefined, l10n.t("the new run's id"));
    const rawStatus = this.read(data, 'status', textValue, l10n.t('a status text')) ?? 'queued';
    const run: Run = {
      provider: this.id,
      accountId: account.id,
      id: String(id),
      // As the built-ins with one kind per account: the run is named by its account, its row then reads "Run #…".
      kind: account.label,
      status: mapStatus(rawStatus, this.statusTable),
      rawStatus,
      raw: rawRecord(data),
    };
    return { run };
  }

  async getRun(ref: RunRef): Promise<Run> {
    const path = fillPath(this.declaration.status.path, { accountId: ref.accountId, runId: ref.id }, this.where('status.path'));
    let data: unknown;
    try {
      ({ data } = await this.http.send({ method: 'GET', path, schema: z.unknown() }));
    } catch (e) {
      if (isProviderError(e) && e.kind === 'notFound') {
        throw new ProviderError('notFound', l10n.t('{0} has no run {1} (it may belong to another key).', this.displayName, ref.id), { status: e.status, requestId: e.requestId });
      }
      throw e;
    }
    if (this.read(data, 'status', textValue, l10n.t('a status text')) === undefined) {
      throw this.badField('fields.status', this.declaration.fields.status, undefined, l10n.t("the run's status text"));
    }
    return this.mapRun(data, ref);
  }

  async cancelRun(ref: RunRef): Promise<Run> {
    const cancel = this.declaration.cancel;
    if (!cancel) throw new ProviderError('unsupported', this.capabilities.cancelUnavailableReason!);
    const path = fillPath(cancel.path, { accountId: ref.accountId, runId: ref.id }, this.where('cancel.path'));
    await this.http.send({ method: cancel.method ?? 'POST', path, schema: z.unknown() });
    // The cancel answer's shape is not declared: the status call says what became of the run.
    return this.getRun(ref);
  }

  /** Non-secret inputs checked, JSON text parsed; secrets from the input or SecretStorage, registered for redaction. */
  private async startValues(kind: PipelineKind, given: Record<string, unknown>): Promise<Pick<TemplateValues, 'input'>> {
    const input: Record<string, unknown> = {};
    const missing: string[] = [];
    for (const field of kind.inputs) {
      let value = given[field.name];
      if (field.secret) {
        const text = typeof value === 'string' && value.trim() ? value.trim() : (await this.context.getSecret?.(field.name))?.trim();
        if (text) registerSecret(text);
        value = text || undefined;
      } else if (field.type === 'json' && typeof value === 'string') {
        value = value.trim() ? parseJsonInput(value, field, this.displayName) : undefined;
      }
      const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
      if (empty) {
        if (field.required) missing.push(field.label);
        continue;
      }
      input[field.name] = value;
    }
    if (missing.length) throw new ProviderError('validation', l10n.t('{0} "{1}" needs {2}.', this.displayName, kind.label, missing.join(', ')));
    return { input };
  }

  private mapRun(data: unknown, ref: RunRef): Run {
    const rawStatus = this.read(data, 'status', textValue, l10n.t('a status text')) ?? '';
    const status = mapStatus(rawStatus, this.statusTable);
    const id = this.read(data, 'id', idValue, l10n.t('a run id (text or a number)'));
    const startedAt = this.time(data, 'startedAt');
    const finishedAt = this.time(data, 'finishedAt');
    const run: Run = {
      provider: this.id,
      accountId: ref.accountId,
      id: id === undefined ? ref.id : String(id),
      // A run tracked by id has no name to go by: '' reads as "Run".
      kind: ref.kind ?? '',
      status,
      rawStatus,
      startedAt,
      finishedAt,
      raw: rawRecord(data),
    };
    const progress = this.progress(data);
    if (progress) run.progress = progress;
    const result = this.read(data, 'result', z.unknown(), l10n.t('anything'));
    if (result !== undefined && result !== null) run.result = result;
    if (startedAt && finishedAt) run.durationSeconds = Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
    if (status === 'failed') run.error = this.error(data, progress);
    return run;
  }

  private progress(data: unknown): RunProgress | undefined {
    const out: RunProgress = {};
    const current = this.read(data, 'progress.current', numberValue, l10n.t('a number'));
    const total = this.read(data, 'progress.total', numberValue, l10n.t('a number'));
    const percent = this.read(data, 'progress.percent', numberValue, l10n.t('a number'));
    const stage = this.read(data, 'progress.stage', textValue, l10n.t('a stage name (text)'));
    if (current !== undefined) out.index = current;
    if (total !== undefined) out.total = total;
    if (stage) out.current = stage;
    if (percent !== undefined) out.percent = percent;
    else if (current !== undefined && total) out.percent = Math.round((current / total) * 100);
    return Object.keys(out).length ? out : undefined;
  }

  private error(data: unknown, progress: RunProgress | undefined): RunError {
    const raw = this.read(data, 'error', errorValue, l10n.t('an error message (text, or an object with a message)'));
    const message = (typeof raw === 'string' ? raw : raw?.message)?.trim() || l10n.t('The run failed; {0} gave no reason.', this.displayName);
    const error: RunError = { message };
    const step = this.read(data, 'errorStep', textValue, l10n.t('a step name (text)'));
    if (step) error.step = step;
    else if (progress?.index !== undefined && progress.total !== undefined) error.step = `${l10n.t('step {0}/{1}', progress.index, progress.total)}${progress.current ? ` · ${progress.current}` : ''}`;
    else if (progress?.current) error.step = progress.current;
    return error;
  }

  private time(data: unknown, name: 'startedAt' | 'finishedAt'): string | undefined {
    const value = this.read(data, name, timeValue, l10n.t('a time (ISO text, or seconds since 1970)'));
    // Unix seconds, or milliseconds where the number is too large to be seconds.
    if (typeof value === 'number') return Number.isFinite(value) ? new Date(value > 1e11 ? value : value * 1000).toISOString() : undefined;
    return isoOrUndefined(value);
  }

  /** The field's value at its declared pointer; undefined where none is declared or the answer has none. */
  private read<T>(data: unknown, name: FieldName, schema: z.ZodMiniType<T>, expected: string): T | undefined {
    const pointer = this.pointerOf(name);
    if (pointer === undefined) return undefined;
    const value = resolvePointer(data, pointer);
    if (value === undefined || value === null) return undefined;
    const parsed = z.safeParse(schema, value);
    if (!parsed.success) throw this.badField(`fields.${name}`, pointer, value, expected);
    return parsed.data;
  }

  private pointerOf(name: FieldName): string | undefined {
    const f = this.declaration.fields;
    if (name.startsWith('progress.')) return f.progress?.[name.slice('progress.'.length) as 'current' | 'total' | 'percent' | 'stage'];
    return f[name as Exclude<FieldName, `progress.${string}`>];
  }

  private badField(field: string, pointer: string, value: unknown, expected: string): ProviderError {
    const found = value === undefined ? l10n.t('nothing') : describe(value).slice(0, 80);
    return new ProviderError(
      'badResponse',
      l10n.t('{0} answered with {1} at "{2}", where {3} expects {4}. Check the pointer against the API\'s answer.', this.displayName, found, pointer, this.where(field), expected),
    );
  }

  private where(field: string): string {
    return l10n.t('{0} of the {1} declaration "{2}"', field, CUSTOM_PROVIDERS_SETTING, this.declaration.id);
  }
}

/** A declared input in the shape the built-ins use: a label from the name and not required, unless declared. */
function toInputField(field: NonNullable<CustomDeclaration['inputs']>[number]): InputField {
  const { label, required, ...rest } = field;
  return { ...rest, label: label ?? field.name, required: required ?? false };
}

function parseJsonInput(text: string, field: InputField, providerName: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ProviderError('validation', l10n.t('{0}: {1} is not valid JSON ({2}).', providerName, field.label, (e as Error).message));
  }
  const wantsArray = field.jsonShape === 'array';
  if (wantsArray ? !Array.isArray(parsed) : !parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ProviderError('validation', wantsArray ? l10n.t('{0}: {1} must be a JSON list.', providerName, field.label) : l10n.t('{0}: {1} must be a JSON object.', providerName, field.label));
  }
  return parsed;
}
