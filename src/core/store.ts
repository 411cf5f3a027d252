// Tracked runs and their last known state. The one place run state lives: the scheduler writes into it,
// the tree, the status bar and the notifier read from it and listen to its change events.
import { isActive, isTerminal, keyOf, type ProviderId, type Run, type RunStatus } from './run';
import { redact } from './errors';
import type { Logger } from './http';
import { Emitter } from './emitter';
import { parseStoredRuns, STORED_RUNS_VERSION, type TrackedRun } from './storedRun';

export type { TrackedRun };

/** The slice of VS Code's Memento the store needs; a Map-backed one serves the unit tests. */
export interface StateStorage {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export class MemoryStorage implements StateStorage {
  readonly data = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.data.set(key, JSON.parse(JSON.stringify(value ?? null)));
  }
}

export interface Transition {
  key: string;
  from?: RunStatus;
  to: RunStatus;
  run: Run;
}

export interface StoreChange {
  /** Runs whose row must be redrawn. */
  keys: string[];
  /** Accounts whose list of runs changed (a run added or removed): their node must be redrawn. */
  accounts: { provider: ProviderId; accountId: string }[];
  /** Status transitions in this change, for notifications. */
  transitions: Transition[];
}

const STORAGE_KEY = 'runwatch.trackedRuns.v1';
/**
 * The format of the entries under STORAGE_KEY, in a key of its own (absent: Runwatch 0.1, whose entries have
 * the same shape). The runs stay a bare array under the 0.1 key rather than moving into a {version, runs}
 * envelope because 0.1 iterates that value unchecked: after a downgrade it would throw at activation on an
 * envelope, while it reads an array written here, with the runs started since. A future format 0.1 cannot
 * read belongs under a new key; an envelope found under this one (a hand edit) is read all the same.
 */
const VERSION_KEY = 'runwatch.trackedRuns.version';

export interface RunStoreOptions {
  storage?: StateStorage;
  /** Consecutive refresh failures before a run shows as stale. */
  staleAfterFailures?: number;
  /** Finished runs kept per account across restarts (active runs are always kept). */
  keepFinishedPerAccount?: number;
  now?: () => number;
  /** Where dropped stored entries, failed writes and failing listeners are reported. */
  log?: Logger;
  /**
   * Whether Runwatch knows a provider now (its registry). Saved runs of another (a custom provider since
   * removed from the settings, a newer version's) are not loaded but kept in storage as they were. Default: all.
   */
  isKnownProvider?: (id: ProviderId) => boolean;
}

export class RunStore {
  private readonly runs = new Map<string, TrackedRun>();
  /** provider → accountId → keys, newest first. */
  private readonly byAccountIndex = new Map<string, string[]>();
  private readonly changed: Emitter<StoreChange>;
  /** Saved entries of providers Runwatch does not know now, written back untouched. */
  private aside: unknown[] = [];
  private pending: { keys: Set<string>; accounts: Map<string, StoreChange['accounts'][number]>; transitions: Transition[] } | undefined;
  private persistTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;
  staleAfterFailures: number;

  constructor(private readonly options: RunStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.staleAfterFailures = options.staleAfterFailures ?? 3;
    this.changed = new Emitter('run changes', options.log);
  }

  /**
   * Loads runs persisted by an earlier session (of this version or another). Each entry is parsed: a bad one
   * is dropped with a log line, the others load; a value that is not a list at all means an empty store.
   */
  load(): TrackedRun[] {
    for (const entry of this.readStored()) {
      if (this.runs.has(entry.key)) continue;
      this.runs.set(entry.key, entry);
      this.index(entry.run);
    }
    return [...this.runs.values()];
  }

  private readStored(): TrackedRun[] {
    const storage = this.options.storage;
    const saved = storage?.get<unknown>(STORAGE_KEY);
    if (!storage || saved === undefined || saved === null) return [];
    const entries = Array.isArray(saved) ? saved : envelopeRuns(saved);
    if (!entries) {
      this.options.log?.warn(`Runwatch could not read its saved runs (a ${typeof saved} where a list was expected); it starts with none.`);
      return [];
    }
    const version = storage.get<unknown>(VERSION_KEY);
    if (typeof version === 'number' && version > STORED_RUNS_VERSION) {
      this.options.log?.info(`Runwatch's saved runs were written by a newer version (format ${version}); reading what this version understands.`);
    }
    this.aside = [];
    return this.parseOrSetAside(entries);
  }

  /** Saved entries parsed; those of a provider Runwatch does not know now go to `aside`, kept as they are. */
  private parseOrSetAside(entries: readonly unknown[]): TrackedRun[] {
    const known = this.options.isKnownProvider;
    const setAside = (entry: unknown, i: number): boolean => {
      const provider = storedProvider(entry);
      if (!known || provider === undefined || known(provider)) return false;
      this.aside.push(entry);
      this.options.log?.warn(`Runwatch dropped a saved run: entry ${i} is of a provider it does not know now (${provider}); it stays saved.`);
      return true;
    };
    return parseStoredRuns(entries, message => this.options.log?.warn(`Runwatch dropped a saved run: ${message}.`), setAside);
  }

  /**
   * The known providers changed (a provider declared in settings came or went): the saved runs set aside for a
   * provider known now load, and the runs of a provider no longer known are set aside (kept in storage as they
   * are, for when it comes back).
   */
  refreshKnownProviders(): void {
    const known = this.options.isKnownProvider;
    if (!known) return;
    const isKnown = (provider: string | undefined) => provider !== undefined && known(provider);
    const change: StoreChange = { keys: [], accounts: [], transitions: [] };
    for (const t of this.all()) {
      if (known(t.run.provider)) continue;
      this.runs.delete(t.key);
      const ak = accountKey(t.run.provider, t.run.accountId);
      this.byAccountIndex.set(ak, (this.byAccountIndex.get(ak) ?? []).filter(k => k !== t.key));
      this.aside.push(t);
      change.keys.push(t.key);
      change.accounts.push({ provider: t.run.provider, accountId: t.run.accountId });
    }
    const back = this.aside.filter(entry => isKnown(storedProvider(entry)));
    this.aside = this.aside.filter(entry => !back.includes(entry));
    for (const entry of this.parseOrSetAside(back)) {
      if (this.runs.has(entry.key)) continue;
      this.runs.set(entry.key, entry);
      this.index(entry.run);
      change.keys.push(entry.key);
      change.accounts.push({ provider: entry.run.provider, accountId: entry.run.accountId });
    }
    if (change.keys.length) this.emit(change);
  }

  onDidChange(listener: (change: StoreChange) => void): { dispose(): void } {
    return this.changed.event(listener);
  }

  get(key: string): TrackedRun | undefined {
    return this.runs.get(key);
  }

  all(): TrackedRun[] {
    return [...this.runs.values()];
  }

  get size(): number {
    return this.runs.size;
  }

  /** Runs still worth polling: not terminal and not gone. */
  active(): TrackedRun[] {
    return this.all().filter(t => isActive(t.run.status) && !t.gone);
  }

  forProvider(provider: ProviderId): TrackedRun[] {
    return this.all().filter(t => t.run.provider === provider);
  }

  /** An account's runs, newest first. */
  forAccount(provider: ProviderId, accountId: string): TrackedRun[] {
    const keys = this.byAccountIndex.get(accountKey(provider, accountId)) ?? [];
    return keys.map(k => this.runs.get(k)).filter((t): t is TrackedRun => !!t);
  }

  /**
   * Records a state the provider just confirmed, merged into what is known (see mergeRun: a poorer answer
   * never erases what a richer one gave). Returns the transition if the status changed.
   * `pinned` marks runs the user asked to follow; listing an account's runs does not unpin them.
   */
  upsert(run: Run, opts: { pinned?: boolean; confirmedAt?: number } = {}): Transition | undefined {
    const key = keyOf(run);
    const now = opts.confirmedAt ?? this.now();
    const existing = this.runs.get(key);
    if (!existing) {
      const tracked: TrackedRun = {
        key,
        run,
        firstSeenAt: now,
        lastConfirmedAt: now,
        lastChangedAt: now,
        failures: 0,
        stale: false,
        gone: false,
        stuck: false,
        acknowledged: false,
        polls: 0,
        pinned: !!opts.pinned,
      };
      this.runs.set(key, tracked);
      this.index(run);
      this.emit({ keys: [key], accounts: [{ provider: run.provider, accountId: run.accountId }], transitions: [] });
      return undefined;
    }
    const merged = mergeRun(existing.run, run);
    const moved = progressSignature(existing.run) !== progressSignature(merged);
    const transition = existing.run.status !== merged.status ? { key, from: existing.run.status, to: merged.status, run: merged } : undefined;
    const wasStale = existing.stale || existing.failures > 0 || existing.gone;
    existing.run = merged;
    existing.lastConfirmedAt = now;
    existing.failures = 0;
    existing.lastError = undefined;
    existing.stale = false;
    existing.gone = false;
    if (opts.pinned) existing.pinned = true;
    if (moved) existing.lastChangedAt = now;
    if (isTerminal(merged.status)) existing.stuck = false;
    if (moved || transition || wasStale) {
      this.emit({ keys: [key], accounts: [], transitions: transition ? [transition] : [] });
    } else {
      // Freshness changed even if nothing else did: tooltips show "updated … ago".
      this.schedulePersist();
    }
    return transition;
  }

  /** Replaces what is known of an account's run list, keeping pinned runs the list no longer shows. */
  replaceAccountRuns(provider: ProviderId, accountId: string, runs: Run[]): Transition[] {
    const transitions: Transition[] = [];
    for (const run of runs) {
      const t = this.upsert(run);
      if (t) transitions.push(t);
    }
    return transitions;
  }

  recordPoll(key: string): void {
    const t = this.runs.get(key);
    if (t) t.polls++;
  }

  /** A refresh failed: keep the last state, count it, and mark stale after enough failures in a row. */
  recordFailure(key: string, reason: string): void {
    const t = this.runs.get(key);
    if (!t) return;
    t.failures++;
    t.lastError = reason;
    const becameStale = !t.stale && t.failures >= this.staleAfterFailures;
    if (becameStale) t.stale = true;
    this.emit({ keys: [key], accounts: [], transitions: [] });
  }

  markGone(key: string, reason: string): void {
    const t = this.runs.get(key);
    if (!t || t.gone) return;
    t.gone = true;
    t.lastError = reason;
    this.emit({ keys: [key], accounts: [], transitions: [] });
  }

  /** Polling stopped for a reason other than failures (a status Runwatch does not know, for too long). */
  markStale(key: string, reason: string): void {
    const t = this.runs.get(key);
    if (!t || (t.stale && t.lastError === reason)) return;
    t.stale = true;
    t.lastError = reason;
    this.emit({ keys: [key], accounts: [], transitions: [] });
  }

  setStuck(key: string, stuck: boolean): boolean {
    const t = this.runs.get(key);
    if (!t || t.stuck === stuck) return false;
    t.stuck = stuck;
    this.emit({ keys: [key], accounts: [], transitions: [] });
    return true;
  }

  acknowledge(key: string): void {
    const t = this.runs.get(key);
    if (!t || t.acknowledged) return;
    t.acknowledged = true;
    this.emit({ keys: [key], accounts: [], transitions: [] });
  }

  /**
   * Takes a run as another window's store knows it (cross-window sharing, see lease.ts): its state, when it
   * was confirmed and its refresh flags, as given. The caller checks the entry is newer than what is here.
   */
  applyRemote(entry: TrackedRun): Transition | undefined {
    // Another window may know a provider this one does not (a custom provider only its settings declare).
    if (this.options.isKnownProvider && !this.options.isKnownProvider(entry.run.provider)) return undefined;
    const transition = this.upsert(entry.run, { pinned: entry.pinned, confirmedAt: entry.lastConfirmedAt ?? entry.firstSeenAt });
    const t = this.runs.get(keyOf(entry.run));
    if (!t) return transition;
    const flags = (x: TrackedRun) => JSON.stringify([x.failures, x.lastError, x.stale, x.gone, x.stuck, x.acknowledged, x.lastChangedAt, x.firstSeenAt]);
    const before = flags(t);
    if (Number.isFinite(entry.firstSeenAt)) t.firstSeenAt = Math.min(t.firstSeenAt, entry.firstSeenAt);
    if (Number.isFinite(entry.lastChangedAt)) t.lastChangedAt = entry.lastChangedAt;
    t.failures = entry.failures ?? 0;
    t.lastError = entry.lastError;
    t.stale = !!entry.stale;
    t.gone = !!entry.gone;
    t.stuck = !!entry.stuck;
    t.acknowledged = t.acknowledged || !!entry.acknowledged;
    t.polls = Math.max(t.polls, entry.polls ?? 0);
    if (flags(t) !== before) this.emit({ keys: [t.key], accounts: [], transitions: [] });
    return transition;
  }

  remove(key: string): void {
    const t = this.runs.get(key);
    if (!t) return;
    this.runs.delete(key);
    const ak = accountKey(t.run.provider, t.run.accountId);
    const list = this.byAccountIndex.get(ak);
    if (list) this.byAccountIndex.set(ak, list.filter(k => k !== key));
    this.emit({ keys: [key], accounts: [{ provider: t.run.provider, accountId: t.run.accountId }], transitions: [] });
  }

  removeProvider(provider: ProviderId): void {
    for (const t of this.forProvider(provider)) this.remove(t.key);
  }

  /** Writes now (deactivate). A failed write is logged, not thrown. */
  async flush(): Promise<void> {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    await this.write();
  }

  private async write(): Promise<void> {
    const storage = this.options.storage;
    if (!storage) return;
    try {
      const writes = [storage.update(STORAGE_KEY, this.snapshotForStorage())];
      if (storage.get(VERSION_KEY) !== STORED_RUNS_VERSION) writes.push(storage.update(VERSION_KEY, STORED_RUNS_VERSION));
      await Promise.all(writes);
    } catch (e) {
      this.options.log?.warn(`Runwatch could not save its tracked runs: ${redact(e instanceof Error ? e.message : String(e))}`);
    }
  }

  private snapshotForStorage(): unknown[] {
    const keep = this.options.keepFinishedPerAccount ?? 50;
    const out: unknown[] = [];
    for (const keys of this.byAccountIndex.values()) {
      let finished = 0;
      for (const k of keys) {
        const t = this.runs.get(k);
        if (!t) continue;
        if (isTerminal(t.run.status) && !t.pinned && ++finished > keep) continue;
        out.push(t);
      }
    }
    return this.aside.length ? [...out, ...this.aside] : out;
  }

  /** Inserts a new run into its account's list, newest first, by binary search on its start time. */
  private index(run: Run): void {
    const ak = accountKey(run.provider, run.accountId);
    const list = this.byAccountIndex.get(ak) ?? [];
    const mine = startOrder(run);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      // Equal start times keep arrival order: a new run goes after the ones already there.
      if (startOrder(this.runs.get(list[mid])?.run) >= mine) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, keyOf(run));
    this.byAccountIndex.set(ak, list);
  }

  private emit(change: StoreChange): void {
    // Coalesce changes made in the same tick into one event, so a list refresh redraws once. Sets keep the
    // merge linear: applying another window's snapshot of 10,000 runs is one tick.
    if (!this.pending) {
      this.pending = { keys: new Set(), accounts: new Map(), transitions: [] };
      queueMicrotask(() => {
        const pending = this.pending!;
        this.pending = undefined;
        const out: StoreChange = { keys: [...pending.keys], accounts: [...pending.accounts.values()], transitions: pending.transitions };
        // The write first, and each listener on its own: one that throws costs neither the others nor the write.
        this.schedulePersist();
        this.changed.fire(out);
      });
    }
    for (const k of change.keys) this.pending.keys.add(k);
    for (const a of change.accounts) this.pending.accounts.set(accountKey(a.provider, a.accountId), a);
    this.pending.transitions.push(...change.transitions);
  }

  private schedulePersist(): void {
    if (!this.options.storage || this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      void this.write();
    }, 1000);
  }
}

/**
 * The one merge rule for every answer about a tracked run: a poll's detail, an account's list entry (often a
 * summary), a cancel's answer, another window's copy. Whatever the answer does not carry, the run keeps.
 *
 * - A field that is undefined in the new answer was not carried by it: the run keeps the value it had.
 *   A field that is present (even `[]` or `{}`) replaces the old value whole, so a newer
 *   detail answer moves the stage on, changes counts, or replaces an error. Adapters therefore leave a
 *   field undefined when their wire answer lacks it (a list without progress), never "empty".
 * - Two lists inside those fields follow the same rule one level down, because a partial body can carry
 *   its container but not the list: `progress.stages` and `error.items` (per-document errors) left out of a
 *   new progress or error are kept. Neither shrinks in a later answer of the same run: a re-run is a new run.
 * - `raw` (what the provider sent, for the tooltip) is merged key by key, newest winning.
 * - A terminal status is final: no answer moves a finished run back to active (Talonic's list says
 *   `active` for every pipeline, finished or not), nor to another terminal status (Boring Marketing's
 *   summary says `failed` for a run Runwatch saw cancelled). Status and rawStatus stay together.
 *   Every other status change is taken, from a list too (running → succeeded, with its finishedAt).
 * - `kind` is kept when the new answer has none ('' included). `input` (how Runwatch started the run)
 *   follows the first rule: only a start carries it.
 */
export function mergeRun(old: Run, next: Run): Run {
  const merged = { ...old } as Record<string, unknown>;
  for (const [field, value] of Object.entries(next)) if (value !== undefined) merged[field] = value;
  const run = merged as unknown as Run;
  run.kind = next.kind || old.kind;
  if (old.progress && next.progress && next.progress.stages === undefined && old.progress.stages) {
    run.progress = { ...next.progress, stages: old.progress.stages };
  }
  if (old.error && next.error && next.error.items === undefined && old.error.items) {
    run.error = { ...next.error, items: old.error.items };
  }
  if (old.raw && next.raw) run.raw = { ...old.raw, ...next.raw };
  if (isTerminal(old.status) && next.status !== old.status) {
    run.status = old.status;
    run.rawStatus = old.rawStatus;
  }
  return run;
}

/** The provider id a saved entry names, when it names one. */
function storedProvider(entry: unknown): string | undefined {
  const provider = (entry as { run?: { provider?: unknown } } | null)?.run?.provider;
  return typeof provider === 'string' && provider ? provider : undefined;
}

/** The runs of a {version, runs} envelope; undefined for any other value. */
function envelopeRuns(value: unknown): unknown[] | undefined {
  const runs = (value as { runs?: unknown } | null)?.runs;
  return typeof value === 'object' && Array.isArray(runs) ? runs : undefined;
}

/** Sort position of a run: its start time, and runs without one (just started) first. */
function startOrder(run: Run | undefined): number {
  return Date.parse(run?.startedAt ?? '') || Number.MAX_SAFE_INTEGER;
}

/** The key of an account across providers: the store's index and the service's per-account state use it. */
export function accountKey(provider: ProviderId, accountId: string): string {
  return `${provider}\u0000${accountId}`;
}

function progressSignature(run: Run): string {
  const p = run.progress;
  return JSON.stringify([run.status, p?.current, p?.index, p?.percent, p?.documents, p?.stageStartedAt, p?.detail, p?.stages?.map(s => [s.state, s.counts, s.rawStatus])]);
}
