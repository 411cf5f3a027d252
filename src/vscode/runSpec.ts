// What a run task (tasks.json) and the chat tools name in plain values — provider, account, kind, inputs, run id —
// resolved against the live service: the one reading of those names both surfaces share. Pure (no `vscode`):
// secrets that are missing are asked for through a callback the caller supplies.
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import type { KeyVault, RunwatchService } from '../core/contracts';
import { isProviderError } from '../core/errors';
import { runKey, type ProviderId } from '../core/run';
import type { TrackedRun } from '../core/store';
import type { Account, InputField, PipelineKind } from '../core/ports';

/** A definition or input that cannot be carried out as written; the message says what to change. */
export class RunSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunSpecError';
  }
}

const name = z.string().check(z.trim(), z.minLength(1));

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
/** Starts a run: `{provider, account, kind, inputs}` (account and kind may be left out where there is only one). */
export const startSpecSchema = z.lazy(() => z.object({
  provider: name,
  account: z.optional(name),
  kind: z.optional(name),
  inputs: z.optional(z.record(z.string(), z.unknown())),
}));
export type StartSpec = z.infer<typeof startSpecSchema>;

/** Follows a run started elsewhere: `{provider, runId}`; account where the provider needs it to find the run. */
export const watchSpecSchema = z.lazy(() => z.object({ provider: name, runId: name, account: z.optional(name) }));
export type WatchSpec = z.infer<typeof watchSpecSchema>;

/** A `runwatch` task definition: either kind of spec, never both. */
export type TaskSpec = ({ mode: 'start' } & StartSpec) | ({ mode: 'watch' } & WatchSpec);

export function parseTaskSpec(definition: unknown): TaskSpec {
  const raw = (definition && typeof definition === 'object' ? definition : {}) as Record<string, unknown>;
  if (raw.runId !== undefined) {
    if (raw.kind !== undefined || raw.inputs !== undefined) {
      throw new RunSpecError(l10n.t('A runwatch task either starts a run ("kind", "inputs") or watches one ("runId"), not both: remove one of them.'));
    }
    return { mode: 'watch', ...parseWith(watchSpecSchema, raw, l10n.t('task definition')) };
  }
  return { mode: 'start', ...parseWith(startSpecSchema, raw, l10n.t('task definition')) };
}

/** Parses with zod; the error names the field, as `provider: expected string`. */
export function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(i => `${i.path.length ? `"${i.path.join('.')}"` : 'it'}: ${i.message}`);
  throw new RunSpecError(l10n.t('The runwatch {0} is invalid: {1}.', what, problems.join('; ')));
}

function same(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** A provider by its id (`boringMarketing`) or display name (`Boring Marketing`). */
export function resolveProvider(service: RunwatchService, text: string): ProviderId {
  const id = service.providerIds().find(p => same(p, text) || same(service.displayName(p), text));
  if (!id) throw new RunSpecError(l10n.t('Runwatch knows no provider "{0}". Use one of: {1}.', text, service.providerIds().join(', ')));
  return id;
}

/** The provider has a key, or the message says how to give it one. */
export function requireKey(service: RunwatchService, id: ProviderId): void {
  if (!service.hasKey(id)) throw new RunSpecError(l10n.t('{0} has no API key yet: run "Runwatch: Set API Key" first.', service.displayName(id)));
}

async function accountsOf(service: RunwatchService, id: ProviderId): Promise<Account[]> {
  const known = service.accounts(id);
  if (known) return known;
  return service.refreshAccounts(id).catch(e => {
    throw isProviderError(e) ? e : new RunSpecError(l10n.t("Runwatch could not load {0}'s {1}s: {2}", service.displayName(id), service.providers.facts(id).accountNoun, (e as Error).message));
  });
}

/**
 * The account by id or label. Left out, the provider's only account. One the provider remembers by id (a
 * GloriaMundo workflow) is added as Add Account would, so its runs show under it in the tree.
 */
export async function resolveAccount(service: RunwatchService, id: ProviderId, text: string | undefined): Promise<Account> {
  const noun = service.providers.facts(id).accountNoun;
  const accounts = await accountsOf(service, id);
  if (text === undefined) {
    if (accounts.length === 1) return accounts[0];
    throw new RunSpecError(
      accounts.length
        ? l10n.t('Say which {0} {1} ("account"): one of {2}.', service.displayName(id), noun, listed(accounts.map(a => a.id)))
        : l10n.t('Say which {0} {1} ("account").', service.displayName(id), noun),
    );
  }
  const found = findKnownAccount(accounts, text);
  if (found) return found;
  if (service.provider(id).capabilities.addAccount === 'byId') return service.addAccount(id, { value: text });
  throw new RunSpecError(
    accounts.length
      ? l10n.t('{0} has no {1} "{2}"; it has {3}.', service.displayName(id), noun, text, listed(accounts.map(a => (a.label && a.label !== a.id ? `${a.id} (${a.label})` : a.id))))
      : l10n.t('{0} has no {1} "{2}".', service.displayName(id), noun, text),
  );
}

/** An account by its id, its label or the description the Runs view shows beside it (a brand's domain). */
export function findKnownAccount(accounts: readonly Account[], text: string): Account | undefined {
  return accounts.find(a => a.id === text) ?? accounts.find(a => same(a.id, text) || same(a.label, text) || (!!a.description && same(a.description, text)));
}

function listed(items: string[]): string {
  const shown = items.slice(0, 12).join(', ');
  return items.length > 12 ? `${shown}, …` : shown;
}

/** The kind by id or label; left out, the account's only kind. */
export async function resolveKind(service: RunwatchService, id: ProviderId, account: Account, text: string | undefined): Promise<PipelineKind> {
  const kinds = await service.kinds(id, account);
  if (!kinds.length) throw new RunSpecError(l10n.t('Nothing can be started on {0}.', account.label));
  if (text === undefined) {
    if (kinds.length === 1) return kinds[0];
    throw new RunSpecError(l10n.t('Say what to run on {0} ("kind"): one of {1}.', account.label, listed(kinds.map(k => k.id))));
  }
  const found = kinds.find(k => k.id === text) ?? kinds.find(k => same(k.id, text) || same(k.label, text));
  if (!found) throw new RunSpecError(l10n.t('{0} has no kind "{1}"; it has {2}.', account.label, text, listed(kinds.map(k => k.id))));
  return found;
}

/**
 * The inputs as the kind declares them, from JSON values (tasks.json, a tool call): numbers and booleans may
 * come as strings, lists as comma-separated text, JSON fields as text. A secret field is refused: it belongs in
 * the OS keychain, never in a file or a chat transcript.
 */
export function resolveInputs(kind: PipelineKind, given: Record<string, unknown> = {}): Record<string, unknown> {
  const problems: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [fieldName, value] of Object.entries(given)) {
    const field = kind.inputs.find(f => f.name === fieldName);
    if (!field) {
      problems.push(l10n.t('"{0}" is not an input of {1} (its inputs: {2})', fieldName, kind.label, kind.inputs.filter(f => !f.secret).map(f => f.name).join(', ') || l10n.t('none')));
      continue;
    }
    if (field.secret) {
      problems.push(l10n.t('"{0}" is a secret: remove it; Runwatch keeps {1} in the OS keychain and asks for it once', fieldName, field.label));
      continue;
    }
    if (value === null || value === undefined || value === '') continue;
    const converted = convertInput(field, value);
    if (typeof converted === 'object' && converted && 'problem' in converted) problems.push(`"${fieldName}": ${converted.problem}`);
    else input[fieldName] = converted;
  }
  for (const field of kind.inputs) {
    if (field.required && !field.secret && input[field.name] === undefined) problems.push(l10n.t('"{0}" ({1}) is required', field.name, field.label));
  }
  if (problems.length) throw new RunSpecError(l10n.t('The inputs for {0} need changes: {1}.', kind.label, problems.join('; ')));
  return input;
}

type Converted = unknown | { problem: string };

function convertInput(field: InputField, value: unknown): Converted {
  switch (field.type) {
    case 'number': {
      const n = typeof value === 'string' && value.trim() ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : { problem: l10n.t('must be a number') };
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return /^true$/i.test(value.trim());
      return { problem: l10n.t('must be true or false') };
    case 'string[]': {
      const list = typeof value === 'string' ? value.split(',') : value;
      if (!Array.isArray(list) || !list.every(v => typeof v === 'string')) return { problem: l10n.t('must be a list of strings') };
      return list.map(v => v.trim()).filter(Boolean);
    }
    case 'json': {
      let parsed = value;
      if (typeof value === 'string') {
        try {
          parsed = JSON.parse(value);
        } catch {
          return { problem: l10n.t('must be JSON') };
        }
      }
      const wantsArray = field.jsonShape === 'array';
      if (wantsArray ? !Array.isArray(parsed) : !parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return { problem: wantsArray ? l10n.t('must be a JSON list') : l10n.t('must be a JSON object') };
      }
      return parsed;
    }
    default: {
      const text = typeof value === 'string' ? value.trim() : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
      if (text === undefined) return { problem: l10n.t('must be text') };
      if (field.options?.length && !field.options.includes(text)) return { problem: l10n.t('must be one of {0}', field.options.join(', ')) };
      return text;
    }
  }
}

/** Where secrets are kept and how a missing one is asked for (a password box in VS Code). */
export interface SecretSource {
  vault: Pick<KeyVault, 'getSecret'> & { setSecret(id: ProviderId, name: string, value: string): Promise<void> };
  /** Asks for a secret; undefined when the user gave none. */
  ask(field: InputField, kind: PipelineKind): Promise<string | undefined>;
}

/**
 * Every secret the kind needs is in SecretStorage, as Start Run keeps them (the adapter reads them from there,
 * so they never enter a run's inputs): a missing one is asked for and stored. Throws when a required one is not given.
 */
export async function ensureSecrets(id: ProviderId, kind: PipelineKind, secrets: SecretSource): Promise<void> {
  for (const field of kind.inputs.filter(f => f.secret)) {
    if (await secrets.vault.getSecret(id, field.name)) continue;
    const value = (await secrets.ask(field, kind))?.trim();
    if (value) await secrets.vault.setSecret(id, field.name, value);
    else if (field.required) throw new RunSpecError(l10n.t('{0} needs {1}, which was not given: nothing was started.', kind.label, field.label));
  }
}

export interface ResolvedStart {
  provider: ProviderId;
  account: Account;
  kind: PipelineKind;
  input: Record<string, unknown>;
}

/** Everything a start needs, checked before anything is sent; missing secrets asked for last. */
export async function resolveStart(service: RunwatchService, spec: StartSpec, secrets: SecretSource): Promise<ResolvedStart> {
  const provider = resolveProvider(service, spec.provider);
  requireKey(service, provider);
  const account = await resolveAccount(service, provider, spec.account);
  const kind = await resolveKind(service, provider, account, spec.kind);
  const input = resolveInputs(kind, spec.inputs);
  await ensureSecrets(provider, kind, secrets);
  return { provider, account, kind, input };
}

/**
 * The account a watched run lives under: as given, as Runwatch already tracks the run, or the provider's only
 * account. Otherwise the definition has to say (Boring Marketing finds a run only under its brand).
 */
export async function watchAccountId(service: RunwatchService, id: ProviderId, spec: WatchSpec): Promise<string> {
  const tracked = service.store.get(runKey(id, spec.runId));
  if (spec.account === undefined && tracked) return tracked.run.accountId;
  return (await resolveAccount(service, id, spec.account)).id;
}

/**
 * A tracked run by its id (`run_8f2`) or key (`boringMarketing:run_8f2`), optionally within one provider. Throws
 * when none matches, or when the id is ambiguous across providers.
 */
export function findTrackedRun(service: RunwatchService, runId: string, providerText?: string): TrackedRun {
  const provider = providerText === undefined ? undefined : resolveProvider(service, providerText);
  const direct = service.store.get(runId.trim());
  if (direct && (!provider || direct.run.provider === provider)) return direct;
  const matches = service.store.all().filter(t => t.run.id === runId.trim() && (!provider || t.run.provider === provider));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new RunSpecError(l10n.t('Several providers have a run "{0}": say which provider ({1}).', runId, matches.map(t => t.run.provider).join(', ')));
  throw new RunSpecError(
    provider
      ? l10n.t('Runwatch tracks no run "{0}" on {1}. List runs first, or track it with "Runwatch: Track Run by ID".', runId, service.displayName(provider))
      : l10n.t('Runwatch tracks no run "{0}". List runs first, or track it with "Runwatch: Track Run by ID".', runId),
  );
}
