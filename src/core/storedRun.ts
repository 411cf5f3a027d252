// The one schema for a tracked run read back from outside this process: the store's globalState entry (an
// earlier session, possibly of another Runwatch version) and the state other windows share (lease.ts). Such
// entries are parsed, never trusted: a downgrade, a window on another version or a hand edit can leave any
// shape there, and one unreadable entry must cost that entry only, never the entries around it.
//
// Strict on the types of the fields Runwatch reads (a string where a list is expected would throw later,
// far from here), tolerant where that is harmless: unknown fields are kept, missing counters and flags take
// their defaults, and a status word this version does not know becomes `unknown` (still polled, so the
// provider's answer replaces it).
import * as z from 'zod/mini';
import { keyOf, type ProviderId, type Run, type RunInput, type RunStatus } from './run';
import type { Account } from './ports';

/** A run the store tracks: its last known state and what Runwatch knows about refreshing it. */
export interface TrackedRun {
  key: string;
  run: Run;
  /** When Runwatch first saw the run (ms). */
  firstSeenAt: number;
  /** When the provider last confirmed this state (ms); undefined if never. */
  lastConfirmedAt?: number;
  /** When status, stage or progress last changed (ms). */
  lastChangedAt: number;
  /** Consecutive failed refreshes. */
  failures: number;
  /** Why the last refresh failed, in plain words. */
  lastError?: string;
  /** Refresh failed `staleAfterFailures` times in a row: shown as stale, still polled. */
  stale: boolean;
  /** The provider said the run does not exist (404). Kept, no longer polled. */
  gone: boolean;
  /** No stage movement for longer than the stuck threshold. */
  stuck: boolean;
  /** The user has looked at this run's failure (clears the status bar's error look). */
  acknowledged: boolean;
  /** Status polls made for this run. */
  polls: number;
  /** The user asked to track it (started, tracked by id, adopted), as opposed to listed with its account. */
  pinned: boolean;
}

/**
 * The format of a stored tracked run. Runwatch 0.1 wrote this same shape without saying so (no version:
 * format 1). Raise it, with a migration in the store's load, when the shape changes in a way older readers
 * or this schema cannot take.
 */
export const STORED_RUNS_VERSION = 1;

const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'unknown'];

const text = z.string();
const optionalText = z.optional(z.string());
const optionalNumber = z.optional(z.number());

// z.lazy: each schema is built on its first use, not while the bundle loads (start-up; see CONTRIBUTING.md).
const stageSchema = z.lazy(() => z.looseObject({
  id: text,
  label: text,
  state: z.enum(['done', 'current', 'pending', 'failed', 'skipped']),
  detail: optionalText,
  counts: z.optional(z.looseObject({ completed: z.number(), running: z.number(), pending: z.number(), errors: z.number() })),
  scope: z.optional(z.enum(['document', 'pipeline'])),
  rawStatus: z.optional(z.nullable(z.string())),
}));

const progressSchema = z.lazy(() => z.looseObject({
  stages: z.optional(z.array(stageSchema)),
  current: optionalText,
  index: optionalNumber,
  total: optionalNumber,
  percent: optionalNumber,
  documents: z.optional(z.looseObject({ total: z.number(), completed: z.number(), errors: z.number() })),
  detail: optionalText,
  stageStartedAt: optionalText,
}));

const errorSchema = z.lazy(() => z.looseObject({
  message: text,
  step: optionalText,
  code: optionalText,
  items: z.optional(z.array(z.looseObject({ id: text, label: optionalText, phase: optionalText, message: text }))),
  hint: optionalText,
  retryAfterSeconds: optionalNumber,
}));

/** Any non-empty id: whether Runwatch knows the provider now is the store's question (it keeps the others aside). */
const providerIdSchema = z.string().check(z.minLength(1));

const runSchema = z.lazy(() => z.looseObject({
  provider: providerIdSchema,
  accountId: text,
  id: z.string().check(z.minLength(1)),
  kind: text,
  status: z.pipe(
    z.string(),
    z.transform((s): RunStatus => ((RUN_STATUSES as readonly string[]).includes(s) ? (s as RunStatus) : 'unknown')),
  ),
  rawStatus: text,
  startedAt: optionalText,
  finishedAt: optionalText,
  progress: z.optional(progressSchema),
  error: z.optional(errorSchema),
  result: z.optional(z.unknown()),
  cost: z.optional(z.looseObject({ amount: optionalNumber, currency: optionalText, lines: z.optional(z.record(z.string(), z.number())) })),
  links: z.optional(z.array(z.looseObject({ label: text, url: text }))),
  durationSeconds: optionalNumber,
  input: z.optional(z.pipe(z.unknown(), z.transform(readRunInput))),
  raw: z.optional(z.record(z.string(), z.unknown())),
}));

const trackedRunSchema = z.lazy(() => z.looseObject({
  // Recomputed from the run: a stored key that disagrees with its run must not index it under another name.
  key: z.optional(z.unknown()),
  run: runSchema,
  firstSeenAt: z.number(),
  // JSON turns a NaN into null.
  lastConfirmedAt: z.optional(z.nullable(z.number())),
  lastChangedAt: z.number(),
  failures: optionalNumber,
  lastError: optionalText,
  stale: z.optional(z.boolean()),
  gone: z.optional(z.boolean()),
  stuck: z.optional(z.boolean()),
  acknowledged: z.optional(z.boolean()),
  polls: optionalNumber,
  pinned: z.optional(z.boolean()),
}));

/**
 * Re-run's record of a start, `{kindId, values}`. An entry may hold another shape (an adapter's own record,
 * written before the service alone set it, by Track Run): that reads as no record, as Re-run always read it.
 */
function readRunInput(value: unknown): RunInput | undefined {
  const input = value as { kindId?: unknown; values?: unknown } | null | undefined;
  if (typeof input?.kindId !== 'string') return undefined;
  const values = input.values && typeof input.values === 'object' && !Array.isArray(input.values) ? (input.values as Record<string, unknown>) : {};
  return { kindId: input.kindId, values };
}

export type StoredRunResult = { ok: true; tracked: TrackedRun } | { ok: false; reason: string; key?: string };

/** Parses one stored tracked run. On failure, says where (field path) and, when the run is identifiable, its key. */
export function parseStoredRun(value: unknown): StoredRunResult {
  const parsed = trackedRunSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'entry';
    return { ok: false, reason: `${where}: ${issue?.message ?? 'unreadable'}`, key: identifiableKey(value) };
  }
  const d = parsed.data;
  const tracked: TrackedRun = {
    ...d,
    key: keyOf(d.run),
    run: d.run,
    lastConfirmedAt: d.lastConfirmedAt ?? undefined,
    failures: d.failures ?? 0,
    stale: d.stale ?? false,
    gone: d.gone ?? false,
    stuck: d.stuck ?? false,
    acknowledged: d.acknowledged ?? false,
    polls: d.polls ?? 0,
    pinned: d.pinned ?? false,
  };
  return { ok: true, tracked };
}

/**
 * Parses a list of stored tracked runs entry by entry: a bad entry is dropped and reported through `onDrop`
 * (what and why, never the values), the others are returned in order. Entries `skip` takes are left out
 * unparsed (the caller keeps them aside).
 */
export function parseStoredRuns(values: readonly unknown[], onDrop: (message: string, key?: string) => void, skip?: (value: unknown, index: number) => boolean): TrackedRun[] {
  const out: TrackedRun[] = [];
  values.forEach((value, i) => {
    if (skip?.(value, i)) return;
    const result = parseStoredRun(value);
    if (result.ok) out.push(result.tracked);
    else onDrop(`entry ${i}${result.key ? ` (${result.key})` : ''} is unreadable (${result.reason})`, result.key);
  });
  return out;
}

/** The key of an entry that failed to parse, when its provider and id can still be read. */
function identifiableKey(value: unknown): string | undefined {
  const run = (value as { run?: { provider?: unknown; id?: unknown } } | null)?.run;
  if (typeof run?.provider !== 'string' || !run.provider || typeof run.id !== 'string') return undefined;
  return keyOf({ provider: run.provider, id: run.id });
}

const accountSchema = z.lazy(() => z.looseObject({ provider: providerIdSchema, id: text, label: text, description: optionalText }));

/**
 * Accounts per provider as stored (remembered accounts in globalState, the lists another window shares):
 * anything but an object gives none, and each list keeps only the accounts that parse.
 */
export function parseAccountsByProvider(value: unknown): Partial<Record<ProviderId, Account[]>> {
  const out: Partial<Record<ProviderId, Account[]>> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [id, list] of Object.entries(value)) {
    if (id && Array.isArray(list)) out[id] = list.filter(a => accountSchema.safeParse(a).success) as Account[];
  }
  return out;
}
