// The provider contract, owned by the core: what an adapter must offer, what the core hands it, and the narrow
// ports the core's parts need of it. An adapter knows one API: its wire shapes (zod), how they map onto Run,
// its documented cadence and what it can and cannot do. Adapters (src/providers) implement this file; nothing
// in the core imports an adapter.
import type { Logger } from './http';
import type { ProviderId, Run } from './run';

export interface ProviderCapabilities {
  /** The API lists accounts (brands, specs, workflows). False: the user adds them by id and Runwatch remembers. */
  listAccounts: boolean;
  /** How a user adds an account: created through the API (a Boring Marketing brand by domain), or remembered by id. */
  addAccount: 'create' | 'byId' | 'none';
  /** The API lists an account's runs. False: only runs started from Runwatch or tracked by id are known. */
  listRuns: boolean;
  /** The API can cancel a run. */
  cancel: boolean;
  /** Why cancel is unavailable, for the message when a user asks anyway. */
  cancelUnavailableReason?: string;
  /** Runs carry a result worth showing (JSON, links). */
  result: boolean;
  /** Talonic: a finished pipeline can become a data product. */
  dataProduct?: boolean;
  /** The status call takes the run id alone: Track Run by ID needs no account, filing the run under one is optional. */
  trackWithoutAccount?: boolean;
  /**
   * The account's run list may carry whole runs (RunPage.fullRuns): the scheduler then polls an account's active
   * runs with one list request instead of one poll each. Boring Marketing only: Talonic's list carries a status
   * (`active` for finished pipelines too) but no progress, so its runs are polled one by one.
   */
  pollsByList?: boolean;
}

export interface Account {
  provider: ProviderId;
  id: string;
  label: string;
  description?: string;
  /** Every field the API gave, for the tooltip. */
  raw?: Record<string, unknown>;
}

/** One field a pipeline needs to start. */
export interface InputField {
  name: string;
  label: string;
  type: 'string' | 'string[]' | 'number' | 'boolean' | 'json';
  required: boolean;
  /** Stored in SecretStorage, asked with a password box, never put in Run.input or a log. */
  secret?: boolean;
  description?: string;
  placeholder?: string;
  default?: unknown;
  /** Allowed values, offered as a quick pick. */
  options?: string[];
  /** What a `json` field holds: a JSON object (the default) or a JSON array (Automindz's size ranges). */
  jsonShape?: 'object' | 'array';
  /** A `json` field's JSON Schema, where the provider publishes one (Adlyse's input_schema): checked before sending. */
  schema?: unknown;
}

/** What can be started on an account: a Boring Marketing pipeline, a GloriaMundo workflow, … */
export interface PipelineKind {
  id: string;
  label: string;
  description?: string;
  inputs: InputField[];
}

export interface StartResult {
  run: Run;
  /** True when the provider said a run was already going and Runwatch adopted it (Boring Marketing 409). */
  adopted?: boolean;
  /** True when the start's answer never came and Runwatch found the run it started in the provider's run list. */
  recovered?: boolean;
  /** Anything worth telling the user (why a run was adopted, a key-prefix warning). */
  message?: string;
}

export interface RunPage {
  runs: Run[];
  /** Present when more runs can be loaded ("Load more"). */
  nextCursor?: string;
  total?: number;
  /**
   * Every run in `runs` says as much as a poll of that run would (stage, error): a list answer of this page is a
   * full answer for each. False: summaries. Undefined: the page cannot tell (it is empty).
   */
  fullRuns?: boolean;
}

/** A run as the user refers to it: the id plus the account it lives under, where the API needs one. */
export interface RunRef {
  accountId: string;
  id: string;
  /** The run's kind when known, so the adapter can pick a cadence or a route. */
  kind?: string;
}

export interface KeyCheck {
  /** A warning that does not block saving the key (an unexpected prefix). */
  warning?: string;
  /** The key cannot be right (empty, whitespace); saving is refused. */
  error?: string;
}

/** Documented polling cadence for a run in its current state, in ms. */
export interface CadenceContext {
  /** ms since the run started (or since Runwatch first saw it). */
  ageMs: number;
  /** How many times this run has been polled so far. */
  polls: number;
}

export interface ProviderContext {
  baseUrl: string;
  /** The key from SecretStorage, or undefined. Adapters never store it. */
  getKey: () => Promise<string | undefined>;
  /** A named secret other than the main key (Automindz's third-party keys). */
  getSecret?: (name: string) => Promise<string | undefined>;
  log: Logger;
  timeoutMs?: number;
}

export interface Provider {
  readonly id: ProviderId;
  readonly displayName: string;
  readonly capabilities: ProviderCapabilities;
  /** Where the user gets a key and what it looks like, for the Set API Key input box. */
  readonly keyHelp: { prompt: string; placeholder: string };
  /** Dashboard address for "Open in provider dashboard", when the provider has one. */
  dashboardUrl?(run: Run): string | undefined;
  /** A readable name for a run kind id (`full` → `Analyze`), where the id alone says little. */
  kindLabel?(kind: string): string | undefined;
  /**
   * The stuck threshold for a run whose kind needs its own (one that reports no stage but is known to take long);
   * undefined: the default rule (the user's threshold where the run reports progress, never where it reports none).
   */
  stuckThresholdMs?(run: Run, configuredMs: number): number | undefined;
  /** Whether Re-run can repeat this run although Runwatch did not record its inputs (its kind takes none). */
  rerunsWithoutInput?(run: Run): boolean;

  /** Format check before storing a key: warns on an unexpected prefix, refuses only the impossible. */
  checkKeyFormat(key: string): KeyCheck;
  /** One cheap authenticated call, to tell the user whether a new key works. Throws ProviderError. */
  validateKey(): Promise<void>;

  /** Documented cadence for this run, in ms. Only called for non-terminal runs. */
  cadenceMs(run: Run, context: CadenceContext): number;
  /** A provider-wide budget of status polls, where the docs give one (GloriaMundo: 60 a minute per key). */
  readonly pollBudget?: { requests: number; perMs: number };

  listAccounts(): Promise<Account[]>;
  /** Adds an account: creates it through the API ('create') or checks and returns it ('byId'). */
  addAccount?(input: { value: string; label?: string }): Promise<Account>;
  listRuns(account: Account, cursor?: string): Promise<RunPage>;
  getRun(ref: RunRef): Promise<Run>;
  listKinds(account: Account): Promise<PipelineKind[]>;
  startRun(account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult>;
  cancelRun?(ref: RunRef): Promise<Run>;

  /** Talonic: turn a finished pipeline into a data product. */
  createDataProduct?(ref: RunRef, name?: string): Promise<{ product: Record<string, unknown>; shareToken?: string }>;
  /** Releases connections (MCP sessions). */
  dispose?(): Promise<void>;
}

/**
 * What the scheduler needs of a provider to poll its runs: its cadence and budget, its run and list calls, and
 * its stuck rule. Every Provider is one.
 */
export type RunSource = Pick<Provider, 'displayName' | 'capabilities' | 'pollBudget' | 'cadenceMs' | 'stuckThresholdMs' | 'getRun' | 'listRuns'>;

/** The facts about a provider that hold without an adapter: names, default address, how the UI shows its accounts, key shapes. */
export interface ProviderFacts {
  readonly id: ProviderId;
  /** The name the UI shows ("Boring Marketing"). */
  readonly displayName: string;
  /** The API's address when the user set none. */
  readonly defaultBaseUrl: string;
  /** What its accounts are called, in lower case ("brand", "workflow"). */
  readonly accountNoun: string;
  /** The codicon its account rows show. */
  readonly icon: string;
  /** Prefixes its keys start with; another prefix gets a warning (never a refusal) when a key is set. */
  readonly keyPrefixes: readonly string[];
  /** Shapes of its keys and tokens, scrubbed from anything shown or logged (global regular expressions). */
  readonly secretPatterns: readonly RegExp[];
}

/** One provider as the composition root registers it: its facts, and how to build its adapter. */
export interface ProviderDescriptor extends ProviderFacts {
  /** The bare adapter; the providers' boundary (src/providers/index.ts) wraps it before the core sees it. */
  create(context: ProviderContext): Provider;
}

/** The calls of Provider that reach the provider (the ones a wrapper guards, gates or redacts). */
export type ProviderCalls = Pick<Provider, 'validateKey' | 'listAccounts' | 'addAccount' | 'listRuns' | 'getRun' | 'listKinds' | 'startRun' | 'cancelRun' | 'createDataProduct'>;

/**
 * `inner` with some of its calls replaced, every other member (facts, optional helpers added later) forwarded
 * as is: a wrapper that listed each member by hand silently dropped the ones added after it was written.
 */
export function withCalls(inner: Provider, calls: Partial<ProviderCalls>): Provider {
  return new Proxy(inner, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(calls, prop)) return (calls as Record<PropertyKey, unknown>)[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
