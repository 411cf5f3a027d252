// The seams inside the core: the poll scheduler (how often and when runs are fetched), the cross-window
// lease and shared state, and the service facade the VS Code layer talks to. Kept apart from their
// implementations so each side can be tested alone; the composition root picks the implementations
// (ServiceDeps).
import type { ProviderError } from './errors';
import type { Disposable } from './emitter';
import type { GateWait, ProviderGates } from './gate';
import type { ProviderHealth } from './health';
import type { Logger } from './http';
import type { SharedLists, SharedRequest } from './lease';
import type { Account, PipelineKind, Provider, RunPage, RunSource, StartResult } from './ports';
import type { ProviderRegistry } from './registry';
import type { ProviderId, Run } from './run';
import type { RunStore, StateStorage } from './store';

export type { Disposable, ProviderHealth };

export type FocusMode = 'slow' | 'pause' | 'normal';

export interface SchedulerOptions {
  /** What polling does while the window is unfocused. */
  whenUnfocused: FocusMode;
  /** Cadence multiplier while unfocused in 'slow' mode. */
  unfocusedFactor: number;
  /** Requests in flight at once, per provider. */
  maxConcurrentPerProvider: number;
  /** A run whose stage has not moved for this long is stuck. */
  stuckAfterMs: number;
  /** User-raised minimum intervals per provider (ms); never below the documented cadence. */
  minIntervalMs: Partial<Record<ProviderId, number>>;
}

export interface SchedulerDeps {
  store: RunStore;
  /** The adapter for a provider that has a key; undefined when it has none. */
  provider(id: ProviderId): RunSource | undefined;
  /** The provider's name for messages; the adapter's, or the id, when absent. */
  displayName?(id: ProviderId): string;
  onHealth(id: ProviderId, health: ProviderHealth): void;
  /** A run became stuck (stage unmoved past the threshold). */
  onStuck?(key: string): void;
  /** The scheduler listed an account's runs (a batched poll: the first page, whole runs): the service's list refresh reuses it. */
  onListed?(provider: ProviderId, accountId: string, page: RunPage): void;
  /** Where errors in the scheduler's own handling are reported (a run it cannot process). */
  log?: Logger;
  /** The providers' gates, shared with every other request (the service's); the scheduler makes its own when absent. */
  gates?: ProviderGates;
  now?: () => number;
  random?: () => number;
  /**
   * Divides the scheduler's own time constants (cadence floor, back-off cap and bases); default 1. Only the
   * benchmark sets it: it runs simulated time this many times faster than real time, so those shrink with it.
   */
  timeScale?: number;
}

export interface PollScheduler extends Disposable {
  /** Begin polling every active run in the store. */
  start(): void;
  /** A run was added or changed outside the scheduler: (re)plan its next poll. */
  wake(key: string): void;
  /** Poll these runs (or all active runs) now, skipping ones already in flight. */
  refreshNow(keys?: string[]): Promise<void>;
  setFocused(focused: boolean): void;
  /** The key changed: clear an auth stop or a back-off and poll at once. */
  resumeProvider(id: ProviderId): void;
  health(id: ProviderId): ProviderHealth;
  /** Another window polls for us: make no requests, only read the store. */
  setPassive(passive: boolean): void;
  updateOptions(options: Partial<SchedulerOptions>): void;
}

/** The cross-window lease (lease.ts FileLease): which window polls for all. */
export interface WindowLease extends Disposable {
  readonly id: string;
  readonly isLeader: boolean;
  /** Decides leadership at once, then keeps checking. */
  start(): void;
  onDidChangeLeadership(listener: (isLeader: boolean) => void): Disposable;
}

/** The state the windows share (lease.ts SharedStateFile): the leader publishes it, followers apply it and ask. */
export interface SharedState extends Disposable {
  /** Provider health as the leader last published it. */
  readonly remoteHealth: Partial<Record<ProviderId, ProviderHealth>>;
  /** Account lists as the leader last published them; undefined before any. */
  readonly remoteLists: SharedLists | undefined;
  /** Leader: carries out what followers ask. */
  onRequest(handler: (request: SharedRequest) => Promise<void>): void;
  /** Follower: has the leader carry a request out, and waits for its answer. */
  request(request: SharedRequest): Promise<void>;
  /** A snapshot of the leader was applied to this window's store. */
  onDidApply(listener: () => void): Disposable;
  setRole(role: 'leader' | 'follower'): void;
  /** Publishes this window's state soon (leader). */
  publishSoon(): void;
}

export interface SharedStateParts {
  /** This window's id (the lease's). */
  id: string;
  log: Logger;
  /** Provider health to publish (the leader's scheduler). */
  health: () => Partial<Record<ProviderId, ProviderHealth>>;
  /** Account lists to publish (the leader's). */
  lists: () => SharedLists;
  /** Benchmark and soak only (see RunwatchServiceOptions.timeScale). */
  timeScale?: number;
}

/**
 * What the service is built from, chosen by the composition root: the providers it knows, and how to make
 * its scheduler and its cross-window coordination. src/serviceDeps.ts has the defaults.
 */
export interface ServiceDeps {
  readonly providers: ProviderRegistry;
  createScheduler(deps: SchedulerDeps, options: SchedulerOptions): PollScheduler;
  /** The lease in a folder shared by all windows. May throw (a read-only folder): the window then polls alone. */
  createLease(dir: string, options: { log: Logger }): WindowLease;
  createSharedState(dir: string, store: RunStore, parts: SharedStateParts): SharedState;
}

/** The facade the commands, tree and status bar use. */
export interface RunwatchService extends Disposable {
  readonly store: RunStore;
  /** The providers Runwatch knows, and their facts (names, account nouns, icons, default addresses). */
  readonly providers: ProviderRegistry;
  /** Every provider Runwatch knows, keyed or not. */
  providerIds(): ProviderId[];
  displayName(id: ProviderId): string;
  /** The adapter, whether or not a key is set (capabilities, kinds, cadence). */
  provider(id: ProviderId): Provider;
  hasKey(id: ProviderId): boolean;
  health(id: ProviderId): ProviderHealth;
  /** Provider health, key or account list changed: redraw the provider's node. */
  onDidChangeProvider(listener: (id: ProviderId) => void): Disposable;
  /** A run's stage has not moved for longer than the stuck threshold (fires once per stall). */
  onDidBecomeStuck(listener: (key: string) => void): Disposable;

  /** Accounts last loaded (listed or remembered); undefined until first loaded. */
  accounts(id: ProviderId): Account[] | undefined;
  /** The error of the last account load, shown as a row in place of the accounts. */
  accountsError(id: ProviderId): ProviderError | undefined;
  refreshAccounts(id: ProviderId): Promise<Account[]>;
  addAccount(id: ProviderId, input: { value: string; label?: string }): Promise<Account>;
  removeAccount(id: ProviderId, accountId: string): Promise<void>;

  /** Loads (or with `more`, appends) an account's runs from the provider into the store. */
  refreshRuns(id: ProviderId, account: Account, opts?: { more?: boolean }): Promise<void>;
  hasMoreRuns(id: ProviderId, accountId: string): boolean;
  runsError(id: ProviderId, accountId: string): ProviderError | undefined;

  kinds(id: ProviderId, account: Account): Promise<PipelineKind[]>;
  /**
   * Starts a run, once: the same start already in flight is joined, not sent again. A start whose answer never
   * came is never re-sent: it resolves with the run found in the provider's run list (`recovered`), or rejects
   * with a StartInDoubtError (src/core/starts.ts) saying it may have started.
   */
  startRun(id: ProviderId, account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult>;
  cancelRun(key: string): Promise<Run>;
  /** Starts the same pipeline with the same input again; a second re-run of the run while one is in flight joins it. */
  rerun(key: string): Promise<StartResult>;
  trackRun(id: ProviderId, accountId: string, runId: string): Promise<Run>;
  untrack(key: string): void;
  /** Poll runs now (all active runs when no keys are given). */
  refreshNow(keys?: string[]): Promise<void>;

  /** Runs `fn` as the user's action: requests it causes inside a Retry-After window wait visibly and can be cancelled. */
  asUserAction<T>(fn: () => T): T;
  /** User actions now waiting for a provider's Retry-After window to end. */
  userWaits(): GateWait[];
  onDidChangeWaits(listener: (id: ProviderId) => void): Disposable;
  /** The user gave up waiting for the provider: its waiting requests fail with a cancellation (isWaitCancelled), unsent. */
  cancelWaits(id: ProviderId): void;

  /** The key was set or cleared: reset the provider and reload its accounts. */
  keyChanged(id: ProviderId): Promise<void>;
  setFocused(focused: boolean): void;
  setViewVisible(visible: boolean): void;
  /** This window does the polling (or is the only one); notifications are shown only here. */
  isPollingWindow(): boolean;
  /** Settings changed: new cadence floors, focus mode, concurrency, stuck threshold. */
  updateSchedulerOptions(options: Partial<SchedulerOptions>): void;
  /** Settings changed: after this many failed refreshes in a row a run shows as stale. */
  updateStaleAfterFailures(count: number): void;
}

/** Where keys live (SecretStorage in VS Code, a Map in tests). The core reads keys only through this. */
export interface KeyVault {
  getKey(id: ProviderId): Promise<string | undefined>;
  /** A named secret of a provider other than its key (Automindz's third-party keys). */
  getSecret(id: ProviderId, name: string): Promise<string | undefined>;
  /** Whether a key is stored; kept in memory so the tree can ask synchronously. */
  hasKey(id: ProviderId): boolean;
}

export interface ServiceOptions {
  /** Persistent state (VS Code globalState). */
  storage: StateStorage;
  keys: KeyVault;
  /** The validated base URL for a provider, or an error message when the setting is invalid. */
  baseUrl(id: ProviderId): { ok: true; url: string } | { ok: false; reason: string };
  log: Logger;
  scheduler: SchedulerOptions;
  /** Consecutive failed refreshes before a run shows as stale. */
  staleAfterFailures?: number;
  /** Folder shared by all windows (VS Code globalStorageUri): enables the cross-window lease when set. */
  sharedDir?: string;
  /** Request timeout for provider calls, ms. */
  timeoutMs?: number;
  /** How often the lists the user opened are reloaded while the view is visible (default 60 s; tests shorten it). */
  listRefreshMs?: number;
  /** Benchmark and soak only: simulated time runs this many times faster (see SchedulerDeps.timeScale). */
  timeScale?: number;
  /** Benchmark and soak only: wraps each adapter as it is created (to scale its documented cadence). */
  wrapProvider?(provider: Provider): Provider;
}
