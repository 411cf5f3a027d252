// The normalized run model that every layer speaks. Providers map their wire shapes onto it;
// the scheduler, the store and the VS Code layer only ever see these types.

/** The built-in providers; a provider declared in settings (runwatch.customProviders) has a `custom:` id. */
export const PROVIDER_IDS = ['boringMarketing', 'gloriaMundo', 'automindz', 'talonic', 'adlyse'] as const;
export type BuiltinProviderId = (typeof PROVIDER_IDS)[number];
export type CustomProviderId = `custom:${string}`;
export type ProviderId = BuiltinProviderId | CustomProviderId;

/** A declaration's own id (`[a-z][a-z0-9-]*`, up to 40 characters) under the `custom:` prefix. */
const CUSTOM_PROVIDER_ID = /^custom:[a-z][a-z0-9-]{0,39}$/;

export function isCustomProviderId(value: unknown): value is CustomProviderId {
  return typeof value === 'string' && CUSTOM_PROVIDER_ID.test(value);
}

/** A built-in id or a well-formed custom one: what stored state and command arguments may name. */
export function isProviderId(value: unknown): value is ProviderId {
  return (typeof value === 'string' && (PROVIDER_IDS as readonly string[]).includes(value)) || isCustomProviderId(value);
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'unknown';

export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function isActive(status: RunStatus): boolean {
  return status === 'queued' || status === 'running' || status === 'unknown';
}

/** One stage, step or phase of a run, in the order the provider reports them. */
export interface RunStage {
  id: string;
  label: string;
  state: 'done' | 'current' | 'pending' | 'failed' | 'skipped';
  /** Free text from the provider about what the stage is doing now ("analyzing SERPs for family 3 of 12"). */
  detail?: string;
  /** Per-document counters (Talonic phases). */
  counts?: { completed: number; running: number; pending: number; errors: number };
  /** `pipeline` for stages that run once for the whole run (Talonic assembly). */
  scope?: 'document' | 'pipeline';
  /** The stage's own status string where the provider reports one. */
  rawStatus?: string | null;
}

export interface RunProgress {
  stages?: RunStage[];
  /** Name of the current stage or step. */
  current?: string;
  /** 1-based position of the current stage or step, with `total`. */
  index?: number;
  total?: number;
  percent?: number;
  documents?: { total: number; completed: number; errors: number };
  detail?: string;
  /** When the current stage started (ISO), for stuck detection. */
  stageStartedAt?: string;
}

/** A per-item failure inside a run (a Talonic document). */
export interface RunErrorItem {
  id: string;
  label?: string;
  phase?: string;
  message: string;
}

export interface RunError {
  message: string;
  /** The step, stage or phase the run failed in. */
  step?: string;
  code?: string;
  items?: RunErrorItem[];
  /** What the user can do next, in plain words. */
  hint?: string;
  retryAfterSeconds?: number;
}

export interface RunLink {
  label: string;
  url: string;
}

export interface RunCost {
  /** Amount in the currency's major unit (dollars), or a plain number of credits. */
  amount?: number;
  currency?: string;
  /** Named cost lines as the provider reported them. */
  lines?: Record<string, number>;
}

export interface Run {
  provider: ProviderId;
  /** Brand, workflow, spec or pipeline the run belongs to. */
  accountId: string;
  id: string;
  /** Pipeline kind or workflow name: the row label. */
  kind: string;
  status: RunStatus;
  /** The status string exactly as the provider sent it. */
  rawStatus: string;
  startedAt?: string;
  finishedAt?: string;
  progress?: RunProgress;
  error?: RunError;
  result?: unknown;
  cost?: RunCost;
  links?: RunLink[];
  durationSeconds?: number;
  /** What the run was started with, so that Re-run can repeat it. Never holds secrets. */
  input?: Record<string, unknown>;
  /** Every field the provider gave, for the tooltip. */
  raw?: Record<string, unknown>;
}

/**
 * A run that succeeded but carries errors (a Talonic pipeline whose documents partly failed): it reads
 * differently from a clean success everywhere (icon, notification, Show Error).
 */
export function finishedWithErrors(run: Pick<Run, 'status' | 'error'>): boolean {
  return run.status === 'succeeded' && !!run.error;
}

/** How many documents (or other items) of the run failed, as its progress counts them or its error lists them. */
export function documentErrorCount(run: Pick<Run, 'progress' | 'error'>): number {
  return run.progress?.documents?.errors || run.error?.items?.length || 0;
}

export function runKey(provider: ProviderId, runId: string): string {
  return `${provider}:${runId}`;
}

export function keyOf(run: Pick<Run, 'provider' | 'id'>): string {
  return runKey(run.provider, run.id);
}

/**
 * The status words the providers use between them (GloriaMundo, Automindz, Adlyse), in lower case; mapStatus
 * also tries the lower-cased raw value, so Automindz's QUEUED matches. American spellings included.
 */
export const COMMON_STATUS_WORDS: Readonly<Record<string, RunStatus>> = {
  queued: 'queued',
  pending: 'queued',
  running: 'running',
  in_progress: 'running',
  completed: 'succeeded',
  succeeded: 'succeeded',
  failed: 'failed',
  error: 'failed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

/** Maps a status string through a table; anything unlisted becomes `unknown` and is shown as is. */
export function mapStatus(raw: unknown, table: Record<string, RunStatus>): RunStatus {
  if (typeof raw !== 'string') return 'unknown';
  return table[raw] ?? table[raw.toLowerCase()] ?? 'unknown';
}
