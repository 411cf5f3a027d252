// The facade the VS Code layer talks to: providers, accounts, runs and the scheduler behind one API.
// It owns no UI and imports nothing from vscode.
import { asProviderError, isProviderError, ProviderError } from './errors';
import { isProviderErrorKind } from './errorPolicy';
import type { Disposable, PollScheduler, ProviderHealth, RunwatchService, ServiceDeps, ServiceOptions, SharedState, WindowLease } from './contracts';
import { Emitter } from './emitter';
import { mayListUnasked } from './health';
import { keyOf, type ProviderId, type Run } from './run';
import type { ProviderRegistry } from './registry';
import { RunStore, accountKey } from './store';
import { parseAccountsByProvider } from './storedRun';
import type { SharedLists, SharedRequest } from './lease';
import { asUserAction, gatedProvider, isUserAction, isWaitCancelled, ProviderGates, type GateWait } from './gate';
import { isUnfiled, unfiledAccount } from './unfiled';
import { describeStart, findStartedRun, mayHaveBeenCarriedOut, startKey, StartInDoubtError, type StartCheck } from './starts';
import type { Account, PipelineKind, Provider, RunPage, StartResult } from './ports';

const REMEMBERED_ACCOUNTS_KEY = 'runwatch.rememberedAccounts.v1';
/** How often account and run lists are reloaded while the Runwatch view is visible (default). */
const LIST_REFRESH_MS = 60_000;

/**
 * The service, built from its settings and its parts. The composition root (extension.ts) passes the parts;
 * tests take src/serviceDeps.ts's defaults or fakes.
 */
export function createRunwatchService(options: ServiceOptions, deps: ServiceDeps): RunwatchService {
  return new Service(options, deps);
}

class Service implements RunwatchService {
  readonly store: RunStore;
  readonly providers: ProviderRegistry;
  private readonly scheduler: PollScheduler;
  /** One gate per provider that every request passes: the scheduler's polls and every call made here. */
  private readonly gates: ProviderGates;
  /** Each adapter, bare (for the scheduler, which does the gate's bookkeeping itself) and gated (for everyone else). */
  private readonly adapters = new Map<ProviderId, { provider: Provider; gated: Provider; baseUrl: string }>();
  private readonly waitsChanged: Emitter<ProviderId>;
  /** Providers whose account list this follower asked the leader for once, having none from it. */
  private readonly askedLeaderFor = new Set<ProviderId>();
  private readonly accountCache = new Map<ProviderId, Account[]>();
  private readonly accountErrors = new Map<ProviderId, ProviderError>();
  /** Auth failures seen by list calls (the scheduler tracks its own from polling). */
  private readonly listAuthFailures = new Map<ProviderId, string>();
  private readonly cursors = new Map<string, string | undefined>();
  private readonly runErrors = new Map<string, ProviderError>();
  /** When the scheduler last listed an account's runs (noteListedByScheduler), by accountKey. */
  private readonly listedBySchedulerAt = new Map<string, number>();
  private readonly runLoads = new Map<string, Promise<void>>();
  /** Starts and re-runs in flight, by startKey / run key: a second identical one joins the first instead of starting again. */
  private readonly startsInFlight = new Map<string, Promise<StartResult>>();
  /** Account lists in flight, per provider: every caller at the same moment shares one request. */
  private readonly accountLoads = new Map<ProviderId, Promise<Account[]>>();
  /**
   * A refresh round per provider: it begins when its accounts are listed or the periodic list refresh
   * comes round. An account's runs are listed once per round: the tree rendering the account right after
   * the round listed it reuses that list. The user's own reload (Refresh Item, Load more) always lists.
   */
  private readonly listRounds = new Map<ProviderId, number>();
  private readonly runsListedInRound = new Map<string, number>();
  private readonly providerChanged: Emitter<ProviderId>;
  private readonly stuck: Emitter<string>;
  private viewVisible = false;
  private focused = true;
  /** List-refresh ticks since the window lost focus (polling.whenUnfocused `slow` refreshes on every unfocusedFactor-th). */
  private unfocusedListTicks = 0;
  private listTimer: ReturnType<typeof setInterval> | undefined;
  private readonly disposables: Disposable[] = [];
  /** Cross-window coordination; absent when no shared folder was given (tests, a single window). */
  private lease?: WindowLease;
  private shared?: SharedState;

  private schedulerOptions: ServiceOptions['scheduler'];

  constructor(
    private readonly options: ServiceOptions,
    private readonly deps: ServiceDeps,
  ) {
    this.schedulerOptions = options.scheduler;
    this.providers = deps.providers;
    this.waitsChanged = new Emitter('rate-limit waits', options.log);
    this.providerChanged = new Emitter('provider changes', options.log);
    this.stuck = new Emitter('stuck runs', options.log);
    // Saved runs of a provider the registry does not know stay in storage, unloaded (see RunStoreOptions).
    this.store = new RunStore({ storage: options.storage, staleAfterFailures: options.staleAfterFailures, log: options.log, isKnownProvider: id => this.providers.has(id) });
    this.store.load();
    // A declared provider that comes brings back its saved runs; one that goes takes its runs aside (kept).
    this.disposables.push(this.providers.onDidChange(() => this.store.refreshKnownProviders()));
    const displayName = (id: ProviderId) => this.displayName(id);
    this.gates = new ProviderGates({ budget: id => this.adapters.get(id)?.provider.pollBudget, displayName, log: options.log, maxConcurrentPerProvider: options.scheduler.maxConcurrentPerProvider, timeScale: options.timeScale });
    // In the registry's order, so that waits list in the order the UI lists providers.
    for (const id of this.providers.ids()) this.gates.get(id);
    this.disposables.push(this.gates.onDidChangeWaits(id => this.waitsChanged.fire(id)));
    this.scheduler = deps.createScheduler(
      {
        store: this.store,
        gates: this.gates,
        provider: id => this.pollableProvider(id),
        displayName,
        onHealth: id => {
          this.shared?.publishSoon();
          this.providerChanged.fire(id);
        },
        onStuck: key => this.stuck.fire(key),
        onListed: (id, accountId, page) => this.noteListedByScheduler(id, accountId, page),
        timeScale: options.timeScale,
        log: options.log,
      },
      options.scheduler,
    );
    if (options.sharedDir) this.coordinateWindows(options.sharedDir);
    this.scheduler.start();
  }

  /**
   * Several windows share one poller: the lease holder polls and publishes its store; the others make no
   * requests and apply what it publishes. A leader that goes away is replaced within a few heartbeats.
   */
  private coordinateWindows(dir: string): void {
    try {
      const lease = this.deps.createLease(dir, { log: this.options.log });
      const shared = this.deps.createSharedState(dir, this.store, {
        id: lease.id,
        log: this.options.log,
        health: () => Object.fromEntries(this.providers.ids().map(id => [id, this.scheduler.health(id)])),
        lists: () => this.publishedLists(),
        timeScale: this.options.timeScale,
      });
      shared.onRequest(request => this.carryOut(request));
      let role: boolean | undefined;
      const applyRole = (isLeader: boolean) => {
        if (role === isLeader) return;
        role = isLeader;
        this.scheduler.setPassive(!isLeader);
        shared.setRole(isLeader ? 'leader' : 'follower');
        this.options.log.info(isLeader ? 'This window polls for all Runwatch windows.' : 'Another window polls; this one shows what it publishes.');
        for (const id of this.providers.ids()) this.providerChanged.fire(id);
      };
      this.disposables.push(
        lease.onDidChangeLeadership(applyRole),
        shared.onDidApply(() => {
          const now = Date.now();
          for (const id of this.providers.ids()) {
            // The leader's Retry-After windows hold this window's own requests too (a direct start).
            this.gates.get(id).adoptRemotePause(shared.remoteHealth[id], now);
            const listed = shared.remoteLists?.accounts[id];
            if (listed) this.accountCache.set(id, this.withKnownAccounts(id, listed));
            this.providerChanged.fire(id);
          }
        }),
        shared,
        lease,
      );
      this.lease = lease;
      this.shared = shared;
      lease.start();
      applyRole(lease.isLeader);
    } catch (e) {
      // A read-only or missing storage folder must not stop Runwatch: this window simply polls itself.
      this.options.log.warn(`Runwatch could not coordinate with other windows (${(e as Error).message}); this window polls on its own.`);
      this.lease = undefined;
      this.shared = undefined;
      this.scheduler.setPassive(false);
    }
  }

  isPollingWindow(): boolean {
    return !this.lease || this.lease.isLeader;
  }

  /** Another window polls: this one sends nothing itself but the requests that must answer at once (see startRun). */
  private get isFollower(): boolean {
    return !!this.shared && !this.isPollingWindow();
  }

  /** Follower: has the leader carry a request out, and waits for its answer. */
  private async viaLeader(request: SharedRequest): Promise<void> {
    try {
      await this.shared!.request(request);
    } catch (e) {
      if (isProviderError(e)) throw e;
      const { kind, message } = e as { kind?: unknown; message?: string };
      // The leader's answer, read back from a file: a kind this version does not know is an outage, as before.
      throw new ProviderError(isProviderErrorKind(kind) ? kind : 'network', message ?? String(e));
    }
  }

  /** Leader: what a follower asked for. The same calls this window's own commands make. */
  private async carryOut(request: SharedRequest): Promise<void> {
    switch (request.op) {
      case 'refresh':
        return this.scheduler.refreshNow(request.keys);
      case 'accounts':
        // Not through refreshAccounts' shared flight: a window that took the lease carries out its own request,
        // and its flight is the one waiting for this answer.
        await this.loadAccounts(request.provider);
        return;
      case 'runs': {
        const account = this.accountCache.get(request.provider)?.find(a => a.id === request.accountId) ?? { provider: request.provider, id: request.accountId, label: request.accountId };
        // The follower's user asked for this reload: list even if this round listed the account already.
        this.runsListedInRound.delete(accountKey(request.provider, request.accountId));
        await this.refreshRuns(request.provider, account, { more: request.more });
        const error = this.runsError(request.provider, request.accountId);
        if (error) throw error;
        return;
      }
      case 'cancel':
        await this.cancelRun(request.key);
        return;
    }
  }

  /** What the leader publishes for followers: its account lists and which accounts have another page. */
  private publishedLists(): SharedLists {
    const more = [...this.cursors].filter(([, cursor]) => !!cursor).map(([key]) => key);
    return { accounts: Object.fromEntries(this.accountCache), more };
  }

  // ── waiting for a provider ─────────────────────────────────────────────

  asUserAction<T>(fn: () => T): T {
    return asUserAction(fn);
  }

  userWaits(): GateWait[] {
    return this.gates.userWaits();
  }

  onDidChangeWaits(listener: (id: ProviderId) => void): Disposable {
    return this.waitsChanged.event(listener);
  }

  cancelWaits(id: ProviderId): void {
    this.gates.get(id).cancelUserWaits();
  }

  // ── providers ────────────────────────────────────────────────────────────

  providerIds(): ProviderId[] {
    return this.providers.ids();
  }

  displayName(id: ProviderId): string {
    return this.providers.displayName(id);
  }

  provider(id: ProviderId): Provider {
    return this.adapter(id).gated;
  }

  private adapter(id: ProviderId): { provider: Provider; gated: Provider } {
    const descriptor = this.providers.get(id);
    if (!descriptor) throw new ProviderError('unsupported', `Runwatch does not know the provider "${id}".`);
    const configured = this.options.baseUrl(id);
    const baseUrl = configured.ok ? configured.url : descriptor.defaultBaseUrl;
    const existing = this.adapters.get(id);
    if (existing && existing.baseUrl === baseUrl) return existing;
    if (existing) void existing.provider.dispose?.();
    const created = descriptor.create({
      baseUrl,
      getKey: () => this.options.keys.getKey(id),
      getSecret: name => this.options.keys.getSecret(id, name),
      log: this.options.log,
      timeoutMs: this.options.timeoutMs,
    });
    const provider = this.options.wrapProvider?.(created) ?? created;
    const entry = { provider, gated: gatedProvider(provider, this.gates.get(id)), baseUrl };
    this.adapters.set(id, entry);
    return entry;
  }

  /** The bare adapter the scheduler polls with (it passes the gate itself): only with a key and a valid base URL. */
  private pollableProvider(id: ProviderId): Provider | undefined {
    if (!this.providers.has(id) || !this.options.keys.hasKey(id) || !this.options.baseUrl(id).ok) return undefined;
    return this.adapter(id).provider;
  }

  hasKey(id: ProviderId): boolean {
    return this.options.keys.hasKey(id);
  }

  health(id: ProviderId): ProviderHealth {
    if (!this.hasKey(id)) return { state: 'noKey' };
    const url = this.options.baseUrl(id);
    if (!url.ok) return { state: 'misconfigured', message: `The base URL setting runwatch.providers.${id}.baseUrl is invalid: ${url.reason}` };
    const polled = this.isPollingWindow() ? this.scheduler.health(id) : (this.shared?.remoteHealth[id] ?? this.scheduler.health(id));
    if (polled.state !== 'ok') return polled;
    const listAuth = this.listAuthFailures.get(id);
    return listAuth ? { state: 'authFailed', message: listAuth } : polled;
  }

  onDidChangeProvider(listener: (id: ProviderId) => void): Disposable {
    return this.providerChanged.event(listener);
  }

  onDidBecomeStuck(listener: (key: string) => void): Disposable {
    return this.stuck.event(listener);
  }

  // ── accounts ─────────────────────────────────────────────────────────────

  accounts(id: ProviderId): Account[] | undefined {
    return this.accountCache.get(id);
  }

  accountsError(id: ProviderId): ProviderError | undefined {
    return this.accountErrors.get(id);
  }

  refreshAccounts(id: ProviderId): Promise<Account[]> {
    // The tree rendering the provider while a key change lists its accounts asks at the same moment: one request.
    const existing = this.accountLoads.get(id);
    if (existing) return existing;
    const load: Promise<Account[]> = this.loadAccounts(id).finally(() => {
      if (this.accountLoads.get(id) === load) this.accountLoads.delete(id);
    });
    this.accountLoads.set(id, load);
    return load;
  }

  private nextListRound(id: ProviderId): void {
    this.listRounds.set(id, (this.listRounds.get(id) ?? 0) + 1);
  }

  private async loadAccounts(id: ProviderId): Promise<Account[]> {
    this.nextListRound(id);
    if (!this.hasKey(id)) {
      this.accountCache.set(id, []);
      this.providerChanged.fire(id);
      return [];
    }
    if (this.isFollower) return this.accountsFromLeader(id);
    const provider = this.provider(id);
    let listed: Account[] = [];
    try {
      this.guardUsable(id);
      listed = await provider.listAccounts();
      this.accountErrors.delete(id);
      this.listAuthFailures.delete(id);
    } catch (e) {
      const error = asProviderError(e, this.displayName(id));
      if (isWaitCancelled(error)) throw error; // the user gave up waiting: not the list's failure
      if (error.kind !== 'unsupported') {
        this.accountErrors.set(id, error);
        this.noteAuthFailure(id, error);
      }
    }
    const accounts = this.withKnownAccounts(id, listed);
    this.accountCache.set(id, accounts);
    this.shared?.publishSoon();
    this.providerChanged.fire(id);
    // Load every account's runs once, so the status bar knows of active runs in collapsed accounts too.
    if (provider.capabilities.listRuns) void this.loadRunsOf(id, accounts);
    return accounts;
  }

  /** Listed accounts, then remembered ones, then those only runs refer to (tracked by id), so no run is orphaned. */
  private withKnownAccounts(id: ProviderId, listed: Account[]): Account[] {
    const byId = new Map<string, Account>();
    for (const a of [...listed, ...this.remembered(id)]) if (!byId.has(a.id)) byId.set(a.id, a);
    for (const t of this.store.forProvider(id)) {
      if (!byId.has(t.run.accountId)) byId.set(t.run.accountId, accountOfRun(id, t.run.accountId));
    }
    return [...byId.values()];
  }

  /**
   * Follower: the leader's account list, as it published it (with the runs it listed). The leader is asked
   * to list when the user refreshes, or once when it has published no list for this provider yet (its own
   * view may never have loaded one); otherwise nothing is asked, however often this window's view renders.
   */
  private async accountsFromLeader(id: ProviderId): Promise<Account[]> {
    const published = () => this.shared?.remoteLists?.accounts[id];
    if (isUserAction() || (!published() && !this.askedLeaderFor.has(id))) {
      this.askedLeaderFor.add(id);
      try {
        await this.viaLeader({ op: 'accounts', provider: id });
        this.accountErrors.delete(id);
      } catch (e) {
        const error = asProviderError(e, this.displayName(id));
        if (isWaitCancelled(error)) throw error;
        this.accountErrors.set(id, error);
      }
      // Taken over meanwhile: this window listed them itself.
      if (!this.isFollower) return this.accountCache.get(id) ?? [];
    }
    const accounts = this.withKnownAccounts(id, published() ?? []);
    this.accountCache.set(id, accounts);
    this.providerChanged.fire(id);
    return accounts;
  }

  private async loadRunsOf(id: ProviderId, accounts: Account[]): Promise<void> {
    for (const account of accounts) {
      if (!mayListUnasked(this.health(id), Date.now())) return;
      if (!this.cursors.has(accountKey(id, account.id))) await this.refreshRuns(id, account);
    }
  }

  async addAccount(id: ProviderId, input: { value: string; label?: string }): Promise<Account> {
    const provider = this.provider(id);
    if (!provider.addAccount || provider.capabilities.addAccount === 'none') {
      throw new ProviderError('unsupported', `${this.displayName(id)} accounts cannot be added by hand.`);
    }
    this.guardUsable(id);
    const account = await provider.addAccount(input);
    if (provider.capabilities.addAccount === 'byId') await this.remember(id, account);
    const list = this.accountCache.get(id) ?? [];
    this.accountCache.set(id, [...list.filter(a => a.id !== account.id), account]);
    this.providerChanged.fire(id);
    return account;
  }

  async removeAccount(id: ProviderId, accountId: string): Promise<void> {
    await this.options.storage.update(REMEMBERED_ACCOUNTS_KEY, {
      ...this.rememberedAll(),
      [id]: this.remembered(id).filter(a => a.id !== accountId),
    });
    for (const t of this.store.forAccount(id, accountId)) this.store.remove(t.key);
    this.accountCache.set(
      id,
      (this.accountCache.get(id) ?? []).filter(a => a.id !== accountId),
    );
    this.providerChanged.fire(id);
  }

  private rememberedAll(): Partial<Record<ProviderId, Account[]>> {
    return parseAccountsByProvider(this.options.storage.get<unknown>(REMEMBERED_ACCOUNTS_KEY));
  }

  private remembered(id: ProviderId): Account[] {
    return this.rememberedAll()[id] ?? [];
  }

  private async remember(id: ProviderId, account: Account): Promise<void> {
    const list = this.remembered(id).filter(a => a.id !== account.id);
    await this.options.storage.update(REMEMBERED_ACCOUNTS_KEY, { ...this.rememberedAll(), [id]: [...list, { provider: id, id: account.id, label: account.label, description: account.description }] });
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  refreshRuns(id: ProviderId, account: Account, opts: { more?: boolean } = {}): Promise<void> {
    // One list request per account at a time: the tree expanding an account while the start-up load
    // runs must not fetch the same page twice.
    const flightKey = `${accountKey(id, account.id)}\u0000${opts.more ? 'more' : 'first'}`;
    const existing = this.runLoads.get(flightKey);
    if (existing) return existing;
    if (!opts.more) {
      // Nor list it again in the same round unless the user asks (see listRounds).
      const round = this.listRounds.get(id) ?? 0;
      if (!isUserAction() && this.runsListedInRound.get(accountKey(id, account.id)) === round) return Promise.resolve();
      this.runsListedInRound.set(accountKey(id, account.id), round);
    }
    const load = this.loadRuns(id, account, opts).finally(() => this.runLoads.delete(flightKey));
    this.runLoads.set(flightKey, load);
    return load;
  }

  private async loadRuns(id: ProviderId, account: Account, opts: { more?: boolean }): Promise<void> {
    const provider = this.provider(id);
    const cursorKey = accountKey(id, account.id);
    if (this.isFollower) {
      // The leader lists every account's runs with its accounts, and they reach this store through the
      // shared state. Only the user's own reload (Refresh Item, Load more) asks the leader for more.
      if (!isUserAction() || !provider.capabilities.listRuns || !this.hasKey(id)) return;
      try {
        await this.viaLeader({ op: 'runs', provider: id, accountId: account.id, more: opts.more });
        this.runErrors.delete(cursorKey);
      } catch (e) {
        const error = asProviderError(e, this.displayName(id));
        if (isWaitCancelled(error)) throw error;
        this.runErrors.set(cursorKey, error);
        this.providerChanged.fire(id);
      }
      return;
    }
    if (!provider.capabilities.listRuns || !this.hasKey(id)) {
      this.cursors.set(cursorKey, undefined);
      return;
    }
    try {
      this.guardUsable(id);
      const page = await provider.listRuns(account, opts.more ? this.cursors.get(cursorKey) : undefined);
      this.cursors.set(cursorKey, page.nextCursor);
      this.runErrors.delete(cursorKey);
      this.listAuthFailures.delete(id);
      this.store.replaceAccountRuns(id, account.id, page.runs);
      this.shared?.publishSoon();
    } catch (e) {
      const error = asProviderError(e, this.displayName(id));
      if (isWaitCancelled(error)) throw error;
      this.runErrors.set(cursorKey, error);
      this.noteAuthFailure(id, error);
      this.providerChanged.fire(id);
    }
  }

  /**
   * The scheduler's batched poll asked for the same first page the list refresh would: an account the user has
   * open takes it as its refresh (finished and new runs, the next cursor), and the refresh skips it this period.
   */
  private noteListedByScheduler(id: ProviderId, accountId: string, page: RunPage): void {
    const key = accountKey(id, accountId);
    if (!this.cursors.has(key) || this.runLoads.has(`${key}\u0000more`)) return;
    this.cursors.set(key, page.nextCursor);
    this.runErrors.delete(key);
    this.listAuthFailures.delete(id);
    this.store.replaceAccountRuns(id, accountId, page.runs);
    this.shared?.publishSoon();
    this.listedBySchedulerAt.set(key, Date.now());
  }

  hasMoreRuns(id: ProviderId, accountId: string): boolean {
    if (this.isFollower) return this.shared?.remoteLists?.more.includes(accountKey(id, accountId)) ?? false;
    return !!this.cursors.get(accountKey(id, accountId));
  }

  runsError(id: ProviderId, accountId: string): ProviderError | undefined {
    return this.runErrors.get(accountKey(id, accountId));
  }

  kinds(id: ProviderId, account: Account): Promise<PipelineKind[]> {
    return this.provider(id).listKinds(account);
  }

  /**
   * Starts a run, once: a second call with the same provider, account, kind and input while the first is in
   * flight (a double-click, a second Enter) gets the first one's answer; it sends nothing.
   */
  startRun(id: ProviderId, account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    return this.once(`start:${startKey(id, account.id, kind.id, input)}`, () => this.startOnce(id, account, kind, input));
  }

  /** Shares one promise per key while it is pending. */
  private once(key: string, start: () => Promise<StartResult>): Promise<StartResult> {
    const existing = this.startsInFlight.get(key);
    if (existing) return existing;
    const started = start().finally(() => this.startsInFlight.delete(key));
    this.startsInFlight.set(key, started);
    return started;
  }

  private async startOnce(id: ProviderId, account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    this.guardUsable(id);
    const knownBefore = new Set(this.store.forAccount(id, account.id).map(t => t.run.id));
    const sentAt = Date.now();
    // A follower starts directly, through its own gate (which holds the leader's published Retry-After
    // windows), instead of through the leader: a start is one request the user waits for, and the lease
    // round trip (inbox write, the leader's watch or 2 s heartbeat, its publish, our read) could add seconds
    // to it. The started run reaches the leader through the inbox, and only the leader polls it.
    // Never sent again on failure (here, in the gate, the HTTP client or the MCP session): a repeated start
    // may be a second paid run.
    let result: StartResult;
    try {
      result = await this.provider(id).startRun(account, kind, input);
    } catch (e) {
      const error = asProviderError(e, this.displayName(id));
      if (isWaitCancelled(error) || !mayHaveBeenCarriedOut(error)) throw e;
      result = await this.recoverStart(id, account, kind, input, { sentAt, knownBefore, cause: error });
    }
    const secretNames = new Set(kind.inputs.filter(f => f.secret).map(f => f.name));
    const values = Object.fromEntries(Object.entries(input).filter(([name]) => !secretNames.has(name)));
    // The service alone records how a run was started. An adopted run was started elsewhere: its inputs are
    // unknown, so it gets none (one this window started keeps its own, see mergeRun).
    const run: Run = { ...result.run };
    if (result.adopted) delete run.input;
    else run.input = { kindId: kind.id, values };
    await this.keep(run);
    return { ...result, run: this.store.get(keyOf(run))?.run ?? run };
  }

  /**
   * The answer to a start never came, but the start may have happened. Where the provider lists runs, the
   * account's list shows whether it did: a new run of that kind, started since the request was sent, is the
   * one, and is followed. Otherwise the user is told it may have started (StartInDoubtError), with what is known.
   */
  private async recoverStart(
    id: ProviderId,
    account: Account,
    kind: PipelineKind,
    input: Record<string, unknown>,
    sent: { sentAt: number; knownBefore: ReadonlySet<string>; cause: ProviderError },
  ): Promise<StartResult> {
    const providerName = this.displayName(id);
    const what = describeStart(kind, account, providerName);
    const provider = this.provider(id);
    let check: StartCheck = 'cannotList';
    if (provider.capabilities.listRuns) {
      try {
        const onlyKind = (await provider.listKinds(account).catch(() => [])).length === 1;
        const { runs } = await provider.listRuns(account);
        // Runs tracked meanwhile (another start of this window that was answered) are not this one either.
        const known = new Set([...sent.knownBefore, ...this.store.forAccount(id, account.id).map(t => t.run.id)]);
        const found = findStartedRun(runs, { kind, onlyKind, input, sentAt: sent.sentAt, knownBefore: known });
        if (found && found !== 'ambiguous') {
          this.options.log.info(`${what}: the start's answer did not arrive (${sent.cause.message}); run ${found.id} appeared in the run list and is followed.`);
          return {
            run: found,
            recovered: true,
            message: `The answer to starting ${what} did not arrive, but the run it started (${found.id}) is in ${providerName}'s run list: Runwatch is following it.`,
          };
        }
        check = found === 'ambiguous' ? 'ambiguous' : 'notListed';
      } catch (e) {
        if (isWaitCancelled(e)) throw e;
        check = 'listFailed';
      }
    }
    const doubt = new StartInDoubtError({ provider: id, providerName, account, kindId: kind.id, what, sentAt: sent.sentAt, check, cause: sent.cause });
    this.options.log.warn(doubt.message);
    throw doubt;
  }

  /** Tracks a run the user started or asked for, written to storage at once: a crash right after must not lose it. */
  private async keep(run: Run): Promise<void> {
    this.store.upsert(run, { pinned: true });
    this.scheduler.wake(keyOf(run));
    try {
      await this.store.flush();
    } catch (e) {
      this.options.log.warn(`Runwatch could not save its runs at once (${(e as Error).message}); it tries again with the next change.`);
    }
  }

  async cancelRun(key: string): Promise<Run> {
    const tracked = this.requireRun(key);
    const provider = this.provider(tracked.run.provider);
    if (!provider.capabilities.cancel || !provider.cancelRun) {
      throw new ProviderError('unsupported', provider.capabilities.cancelUnavailableReason ?? `${provider.displayName} runs cannot be cancelled.`);
    }
    this.guardUsable(tracked.run.provider);
    if (this.isFollower) {
      // Carried out by the leader, so no two windows talk to the provider for one key; its answer brings
      // the cancelled run with it.
      await this.viaLeader({ op: 'cancel', key });
      return this.requireRun(key).run;
    }
    const run = await provider.cancelRun({ accountId: tracked.run.accountId, id: tracked.run.id, kind: tracked.run.kind });
    this.store.upsert(run);
    return this.store.get(key)?.run ?? run;
  }

  /** Starts the run's pipeline again; a second re-run of the same run while the first is in flight joins it. */
  rerun(key: string): Promise<StartResult> {
    return this.once(`rerun:${key}`, () => this.rerunOnce(key));
  }

  private async rerunOnce(key: string): Promise<StartResult> {
    const tracked = this.requireRun(key);
    const { provider: id, accountId } = tracked.run;
    const account = this.accountCache.get(id)?.find(a => a.id === accountId) ?? { provider: id, id: accountId, label: accountId };
    const kinds = await this.kinds(id, account);
    const previous = tracked.run.input;
    const kind = kinds.find(k => k.id === previous?.kindId) ?? kinds.find(k => k.id === tracked.run.kind || k.label === tracked.run.kind) ?? (kinds.length === 1 ? kinds[0] : undefined);
    if (!kind) throw new ProviderError('unsupported', `Runwatch does not know how "${tracked.run.kind}" was started, so it cannot re-run it. Use "Start Run" instead.`);
    const missing = kind.inputs.filter(f => f.required && !f.secret && previous?.values[f.name] === undefined);
    if (missing.length) {
      throw new ProviderError('validation', `Re-run needs ${missing.map(f => f.label).join(', ')}, which Runwatch did not record for this run. Use "Start Run" instead.`);
    }
    return this.startRun(id, account, kind, previous?.values ?? {});
  }

  async trackRun(id: ProviderId, accountId: string, runId: string): Promise<Run> {
    this.guardUsable(id);
    const run = await this.provider(id).getRun({ accountId, id: runId.trim() });
    await this.keep(run);
    const accounts = this.accountCache.get(id);
    if (accounts && !accounts.some(a => a.id === run.accountId)) {
      const account = accountOfRun(id, run.accountId);
      if (this.provider(id).capabilities.addAccount === 'byId' && !isUnfiled(run.accountId)) await this.remember(id, account);
      this.accountCache.set(id, [...accounts, account]);
      this.providerChanged.fire(id);
    }
    return this.store.get(keyOf(run))?.run ?? run;
  }

  untrack(key: string): void {
    this.store.remove(key);
  }

  async refreshNow(keys?: string[]): Promise<void> {
    if (isUserAction()) keys = await this.waitForOpenGates(keys);
    if (this.isFollower) return this.viaLeader({ op: 'refresh', keys });
    return this.scheduler.refreshNow(keys);
  }

  /**
   * A user's refresh inside a provider's Retry-After window waits for its end, visibly (userWaits), instead
   * of being dropped. Returns the keys still to refresh: those of providers whose wait was cancelled are
   * left out (and if every one was cancelled, the cancellation is thrown).
   */
  private async waitForOpenGates(keys: string[] | undefined): Promise<string[] | undefined> {
    const targets = (keys ?? this.store.active().map(t => t.key)).map(key => this.store.get(key)).filter(t => !!t);
    const providers = [...new Set(targets.map(t => t.run.provider))].filter(id => this.hasKey(id));
    const cancelled = new Set<ProviderId>();
    let cancellation: unknown;
    await Promise.all(
      providers.map(id =>
        this.gates
          .get(id)
          .whenOpen()
          .catch(e => {
            if (!isWaitCancelled(e)) throw e;
            cancelled.add(id);
            cancellation = e;
          }),
      ),
    );
    if (!cancelled.size) return keys;
    if (cancelled.size === providers.length) throw cancellation;
    return targets.filter(t => !cancelled.has(t.run.provider)).map(t => t.key);
  }

  // ── keys, settings, attention ────────────────────────────────────────────

  async keyChanged(id: ProviderId): Promise<void> {
    const existing = this.adapters.get(id);
    this.adapters.delete(id);
    await existing?.provider.dispose?.();
    // A list still in flight was asked with the old key: the new key's refresh must not share it.
    this.accountLoads.delete(id);
    this.accountCache.delete(id);
    this.accountErrors.delete(id);
    this.listAuthFailures.delete(id);
    for (const k of [...this.cursors.keys()]) if (k.startsWith(accountKey(id, ''))) this.cursors.delete(k);
    for (const k of [...this.runErrors.keys()]) if (k.startsWith(accountKey(id, ''))) this.runErrors.delete(k);
    this.scheduler.resumeProvider(id);
    this.providerChanged.fire(id);
    // A provider no longer declared has no adapter to list with: its key stays, its runs wait aside.
    if (this.hasKey(id) && this.providers.has(id)) await this.refreshAccounts(id);
  }

  setFocused(focused: boolean): void {
    this.focused = focused;
    if (focused) this.unfocusedListTicks = 0;
    this.scheduler.setFocused(focused);
  }

  setViewVisible(visible: boolean): void {
    if (visible === this.viewVisible) return;
    this.viewVisible = visible;
    if (this.listTimer) clearInterval(this.listTimer);
    this.listTimer = undefined;
    if (visible) {
      this.listTimer = setInterval(() => void this.refreshLoadedLists(), this.options.listRefreshMs ?? LIST_REFRESH_MS);
    }
  }

  /**
   * Reloads the lists the user has opened; only runs while the view is visible, and only in the polling window.
   * While the window is not focused it follows polling.whenUnfocused as the polls do: `pause` stops it, `slow`
   * makes it unfocusedFactor times rarer.
   */
  private async refreshLoadedLists(): Promise<void> {
    if (!this.focused) {
      const { whenUnfocused, unfocusedFactor } = this.schedulerOptions;
      if (whenUnfocused === 'pause') return;
      if (whenUnfocused === 'slow' && ++this.unfocusedListTicks % Math.max(1, Math.round(unfocusedFactor || 1)) !== 0) return;
    }
    // A follower's lists are the leader's, which it keeps fresh (and publishes) itself.
    if (this.isFollower) return;
    for (const id of this.providerIds()) {
      // A round begins only when its lists may go (see listRounds).
      if (!this.hasKey(id) || !mayListUnasked(this.health(id), Date.now())) continue;
      const accounts = this.accountCache.get(id);
      if (!accounts) continue;
      this.nextListRound(id);
      for (const account of accounts) {
        const key = accountKey(id, account.id);
        // Listed by the scheduler within this period (noteListedByScheduler): that answer was the refresh.
        if (Date.now() - (this.listedBySchedulerAt.get(key) ?? -Infinity) < (this.options.listRefreshMs ?? LIST_REFRESH_MS)) continue;
        if (!this.cursors.has(key)) continue;
        await this.refreshRuns(id, account);
        // A list that met a new pause ends the round there.
        if (!mayListUnasked(this.health(id), Date.now())) break;
      }
    }
  }

  updateSchedulerOptions(options: Partial<ServiceOptions['scheduler']>): void {
    this.schedulerOptions = { ...this.schedulerOptions, ...options };
    this.scheduler.updateOptions(options);
  }

  updateStaleAfterFailures(count: number): void {
    this.store.staleAfterFailures = count;
  }

  dispose(): void {
    if (this.listTimer) clearInterval(this.listTimer);
    this.scheduler.dispose();
    this.gates.dispose();
    // Releases the lease, so another window takes over polling at its next heartbeat.
    for (const d of this.disposables) d.dispose();
    for (const { provider } of this.adapters.values()) void provider.dispose?.();
    void this.store.flush();
  }

  // ── helpers ──────────────────────────────────────────────────────────────

  private requireRun(key: string) {
    const tracked = this.store.get(key);
    if (!tracked) throw new ProviderError('notFound', 'Runwatch is not tracking that run any more.');
    return tracked;
  }

  /** Refuses early, with the reason, when the provider cannot be called at all. */
  private guardUsable(id: ProviderId): void {
    if (!this.hasKey(id)) throw new ProviderError('noKey', `No ${this.displayName(id)} API key is set. Run "Runwatch: Set API Key".`);
    const url = this.options.baseUrl(id);
    if (!url.ok) throw new ProviderError('validation', `The base URL setting runwatch.providers.${id}.baseUrl is invalid: ${url.reason}`);
  }

  private noteAuthFailure(id: ProviderId, error: ProviderError): void {
    if (error.kind === 'auth') this.listAuthFailures.set(id, error.message);
  }
}

/** The account a run refers to that no list gave: its id as its label, or the group of runs tracked without one. */
function accountOfRun(id: ProviderId, accountId: string): Account {
  return isUnfiled(accountId) ? unfiledAccount(id) : { provider: id, id: accountId, label: accountId };
}
