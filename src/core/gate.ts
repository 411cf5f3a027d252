// The per-provider gate every request to a provider passes: status polls, account and run lists, key
// checks, starts, cancels, data products and MCP calls alike. A rate limit belongs to the key, not to one
// endpoint, so one gate per provider holds:
//   - the provider-wide pause: a Retry-After / X-RateLimit-Reset window, or our own back-off after 5xx and
//     timeouts;
//   - the documented budget (GloriaMundo: 60 requests a minute per key), shared by every kind of request;
//   - the cap on requests in flight at once.
// The scheduler asks the gate synchronously (may a poll go now? when next?) and reports outcomes; every
// other caller goes through `send`, which waits its turn. A user action (a command) that meets a
// Retry-After window waits visibly and can be cancelled (`onDidChangeWaits`, `cancelUserWaits`).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Emitter, type Disposable } from './emitter';
import type { ProviderHealth } from './health';
import { asProviderError, isProviderError, policyOf, ProviderError, redact } from './errors';
import type { Logger } from './http';
import type { ProviderId } from './run';
import { withCalls, type Provider } from './ports';
import { SlidingWindow } from './slidingWindow';

/** Longest wait between two polls of a failing run, and longest provider back-off. */
// One minute, not more: an outage costs at most one probe a minute per provider, and a provider that comes
// back is seen again within a minute (the benchmark's 5xx storm showed a 5-minute cap hiding a recovered
// provider for most of that time).
export const BACKOFF_CAP_MS = 60_000;
/**
 * A provider backed off as a whole is probed by one request at a time (see ProviderGate.hasSlot), so its pause
 * is capped at this many of the failing request's cadences: an outage costs at most one request per that many
 * cadences, half of what one healthy run costs, and a provider that is back is seen again within them. (At 4,
 * the benchmark's Talonic storm was seen ended up to 20 s late, later than a peer polling every run each 10 s.)
 */
export const OUTAGE_PROBE_CADENCES = 2;
/**
 * Most polls in flight at once when an announced unavailability ends (see ProviderGate.unavailableUntil): the
 * setting's own maximum, above every built-in provider's documented limit on active runs (10), so that all
 * their runs go together while a declared provider with hundreds of runs still goes in rounds.
 */
export const REOPENING_BURST_MAX = 16;
/** Consecutive server/network failures (across at least two sources) that back off a whole provider. */
export const PROVIDER_FAILURE_STREAK = 3;
/** A Retry-After longer than this is treated as this: a broken header must not silence a provider for days. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** Base pause after a 429 that carried no Retry-After. */
export const RATE_LIMIT_BASE_MS = 5_000;
/** A budget window is widened by this fraction, so clock skew and latency never push us over the provider's count. */
export const BUDGET_MARGIN = 0.02;
/** Back-off base for requests that are not polls of a run (lists, starts…), which have no cadence of their own. */
const NON_POLL_BASE_MS = 10_000;

export type PauseSource = 'retryAfter' | 'backoff';

export function clampRetryAfter(ms: number): number {
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(1000, ms));
}

/**
 * Exponential back-off with full jitter above a base: uniform in [base, min(cap, base × 2^attempt)]. The
 * floor keeps a failing run from being polled faster than a healthy one.
 */
export function backoffDelay(base: number, attempt: number, random: () => number, timeScale = 1, capMs = BACKOFF_CAP_MS / timeScale): number {
  const ceiling = Math.max(base, Math.min(BACKOFF_CAP_MS / timeScale, capMs, base * 2 ** attempt));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(base + r * (ceiling - base));
}

// ---- user intent ----

// Whether the code running now acts for the user (a command). Carried through awaits by AsyncLocalStorage
// so that every request a command causes, however deep, is treated as the user's without threading a flag
// through every service and adapter method.
const userIntent = new AsyncLocalStorage<true>();

/** Runs `fn` as a user action: requests it makes wait visibly (and cancellably) instead of silently. */
export function asUserAction<T>(fn: () => T): T {
  return userIntent.run(true, fn);
}

export function isUserAction(): boolean {
  return userIntent.getStore() === true;
}

const CANCELLED_CODE = 'runwatch.waitCancelled';

/** The user cancelled a request that was waiting for a provider's rate limit to pass. */
export function isWaitCancelled(e: unknown): boolean {
  return isProviderError(e) && e.code === CANCELLED_CODE;
}

// ---- one provider ----

/** A user action waiting for a provider's Retry-After window, as the UI shows it. */
export interface GateWait {
  provider: ProviderId;
  /** When the window ends (ms since epoch). */
  until: number;
  /** User requests waiting. */
  count: number;
}

export interface GateDeps {
  now: () => number;
  random: () => number;
  timeScale: number;
  /** The provider's documented budget, read at each decision (the adapter may change with the base URL). */
  budget: (id: ProviderId) => Provider['pollBudget'];
  /** The provider's name, for the messages of requests the gate itself fails. */
  displayName: (id: ProviderId) => string;
}

interface Waiter {
  user: boolean;
  /** Waits only for the pause to end; takes no slot or budget (whenOpen). */
  opensOnly?: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class ProviderGate {
  /** No request before this (ms). */
  pausedUntil = 0;
  /** Why: the provider told us (Retry-After, which nobody may lift), or our own back-off (which a user may lift). */
  pauseSource: PauseSource | undefined;
  /** Requests of any kind in flight. */
  inFlight = 0;
  private state: ProviderHealth = { state: 'ok' };
  /** Consecutive server/network failures, and which sources (runs, request kinds) they came from. */
  private failureStreak = 0;
  private readonly streakSources = new Set<string>();
  private backoffLevel = 0;
  private rateLimitLevel = 0;
  /**
   * Backed off as a whole for a time Runwatch chose, and not answered since: the next request probes alone.
   * A pause the server timed (a 503 with Retry-After) is not probed: see `unavailableUntil`.
   */
  private probing = false;

  /** Backed off as a whole for a time Runwatch chose: the scheduler caps its runs' own back-offs at the probe round. */
  get isProbing(): boolean {
    return this.probing;
  }
  /**
   * The end of the unavailability the server announced (a 503 with Retry-After). The polls that waited for it
   * then go together, beyond the in-flight cap: the server said when it would be back, and a probe (or a first
   * batch) that meets one more 503 would otherwise make every run still queued wait out a second pause. The
   * budget still applies. Not after a 429: a burst is what trips a rate limit.
   */
  private unavailableUntil = 0;
  /** When each level was last raised: requests sent before then were already in flight and fail for the same cause. */
  private backoffRaisedAt = -Infinity;
  private rateLimitRaisedAt = -Infinity;
  private readonly budget = new SlidingWindow();
  private readonly waiters: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;
  private lastWait = '';

  constructor(
    readonly id: ProviderId,
    private readonly deps: GateDeps,
    private readonly owner: ProviderGates,
  ) {}

  get health(): ProviderHealth {
    return this.state;
  }

  private get maxConcurrent(): number {
    return Math.max(1, this.owner.maxConcurrent || 1);
  }

  hasSlot(): boolean {
    // In an outage of unknown length, one request probes whether the provider is back before the others
    // follow, so each round costs one request, not one per slot.
    return this.inFlight < (this.probing ? 1 : this.maxConcurrent);
  }

  /**
   * Whether a poll due at `due` waited out the last unavailability the server announced, now over, and may go
   * beyond the in-flight cap (up to REOPENING_BURST_MAX in flight).
   */
  hasReopeningSlot(due: number, now: number): boolean {
    const waited = this.unavailableUntil > 0 && this.unavailableUntil <= now && this.pausedUntil <= now && due <= this.unavailableUntil;
    return waited && this.inFlight < REOPENING_BURST_MAX;
  }

  /** Ends a pause whose time is over. A rate limit ends with its window; a back-off with the first success. */
  expire(now: number): void {
    if (!this.pausedUntil || this.pausedUntil > now) return;
    this.pausedUntil = 0;
    this.pauseSource = undefined;
    if (this.state.state === 'rateLimited') this.setHealth({ state: 'ok' });
  }

  /** When the budget allows the next request (now or earlier when it allows one at once). */
  budgetFreeAt(now: number): number {
    const budget = this.deps.budget(this.id);
    if (!budget || !(budget.requests > 0) || !(budget.perMs > 0)) return now;
    const windowMs = budget.perMs * (1 + BUDGET_MARGIN);
    return this.budget.count(now, windowMs) >= budget.requests ? this.budget.nextFreeAt(windowMs) : now;
  }

  /** Takes a slot and a unit of budget: the caller is about to send. */
  admit(now: number): void {
    this.inFlight++;
    this.budget.record(now);
  }

  /** A request finished (either way): hand its slot to whoever waits. */
  release(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.drain();
    this.owner.fireFree(this.id);
  }

  noteSuccess(now: number): void {
    this.probing = false;
    this.failureStreak = 0;
    this.streakSources.clear();
    this.backoffLevel = 0;
    this.rateLimitLevel = 0;
    if (this.pausedUntil <= now && (this.state.state === 'backoff' || this.state.state === 'rateLimited')) this.setHealth({ state: 'ok' });
  }

  /**
   * What a failure means for the whole provider. `baseMs` is the back-off base (a run's cadence), `source`
   * who failed (a run, a request kind), `soleSource` whether nobody else sends (one active run).
   */
  noteFailure(error: ProviderError, at: { now: number; sentAt: number; source: string; baseMs: number; soleSource: boolean }): void {
    const { now } = at;
    const message = redact(error.message);
    switch (policyOf(error.kind).provider) {
      case 'rateLimit': {
        this.unavailableUntil = 0;
        const wait =
          error.retryAfterMs !== undefined
            ? clampRetryAfter(error.retryAfterMs)
            : this.jittered(Math.max(at.baseMs, RATE_LIMIT_BASE_MS / this.deps.timeScale), this.raiseLevel('rateLimit', at.sentAt, now));
        this.pause(now + wait, error.retryAfterMs !== undefined ? 'retryAfter' : 'backoff', { state: 'rateLimited', message, until: now + wait });
        return;
      }
      case 'outage': {
        this.failureStreak++;
        this.streakSources.add(at.source);
        if (error.retryAfterMs !== undefined) {
          // A 503 that says when to come back: the whole provider waits, as for a 429.
          const until = now + clampRetryAfter(error.retryAfterMs);
          this.probing = false;
          this.pause(until, 'retryAfter', { state: 'backoff', message, until });
          // Only when this announcement is what ends the pause (not a longer rate limit already running).
          if (this.pausedUntil === until) this.unavailableUntil = until;
          return;
        }
        const several = this.streakSources.size >= 2 || at.soleSource;
        if (this.failureStreak >= PROVIDER_FAILURE_STREAK && several) {
          const level = this.raiseLevel('backoff', at.sentAt, now);
          const until = now + backoffDelay(at.baseMs, level, this.deps.random, this.deps.timeScale, OUTAGE_PROBE_CADENCES * at.baseMs);
          this.probing = true;
          this.pause(until, 'backoff', { state: 'backoff', message, until });
        }
        return;
      }
      case 'neutral':
        // A missing run, a bad key, or Runwatch's own bug: nothing about whether the provider is up.
        return;
      case 'answered':
        // 403, 402, 400/422, 409: the provider answered, so it is up.
        this.failureStreak = 0;
        this.streakSources.clear();
    }
  }

  /** The user asked: our own back-off may be lifted (a Retry-After may not). */
  liftBackoff(now: number): void {
    if (!this.clearBackoff(now)) return;
    this.drain();
    this.owner.fireFree(this.id);
  }

  private clearBackoff(now: number): boolean {
    if (!(this.pausedUntil > now && this.pauseSource === 'backoff')) return false;
    this.pausedUntil = 0;
    this.pauseSource = undefined;
    return true;
  }

  /** A new key (or base URL): forget pauses and levels. The budget's history stays: it is the same account's. */
  resume(): void {
    this.probing = false;
    this.unavailableUntil = 0;
    this.pausedUntil = 0;
    this.pauseSource = undefined;
    this.failureStreak = 0;
    this.streakSources.clear();
    this.backoffLevel = 0;
    this.rateLimitLevel = 0;
    this.setHealth({ state: 'ok' });
    this.drain();
    this.owner.fireFree(this.id);
  }

  /**
   * Adopts a pause another window announced (its published health): a follower's own requests (a direct
   * start) must not break the leader's Retry-After window either.
   */
  adoptRemotePause(health: ProviderHealth | undefined, now: number): void {
    if (!health || (health.state !== 'rateLimited' && health.state !== 'backoff')) return;
    if (health.until > now && health.until > this.pausedUntil) this.pause(health.until, 'retryAfter', health);
  }

  /** Sends one request through the gate: waits until it may go, then records what the answer says. */
  async send<T>(source: string, call: () => Promise<T>): Promise<T> {
    await this.enter(isUserAction());
    const sentAt = this.deps.now();
    try {
      const result = await call();
      this.noteSuccess(this.deps.now());
      return result;
    } catch (e) {
      const error = asProviderError(e, this.deps.displayName(this.id));
      this.noteFailure(error, { now: this.deps.now(), sentAt, source, baseMs: NON_POLL_BASE_MS / this.deps.timeScale, soleSource: false });
      throw e;
    } finally {
      this.release();
    }
  }

  /**
   * Waits (without taking a slot) until no Retry-After window holds the provider: what a user's Refresh
   * does before asking the scheduler to poll. A user action lifts our own back-off instead of waiting.
   */
  async whenOpen(): Promise<void> {
    const user = isUserAction();
    const now = this.deps.now();
    this.expire(now);
    if (user) this.liftBackoff(now);
    if (this.pausedUntil <= now) return;
    await new Promise<void>((resolve, reject) => {
      this.waiters.push({ user, opensOnly: true, resolve, reject });
      this.drain();
    });
  }

  /** Rejects every user request waiting here (the user pressed Cancel on the wait). */
  cancelUserWaits(): void {
    const name = this.deps.displayName(this.id);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (!w.user) continue;
      this.waiters.splice(i, 1);
      w.reject(new ProviderError('rateLimited', `Cancelled while ${name} was rate-limited; nothing was sent.`, { code: CANCELLED_CODE }));
    }
    this.drain();
  }

  /** The user requests waiting for a Retry-After window, if any. */
  userWait(): GateWait | undefined {
    const count = this.waiters.filter(w => w.user).length;
    if (!count || this.pausedUntil <= this.deps.now()) return undefined;
    return { provider: this.id, until: this.pausedUntil, count };
  }

  dispose(): void {
    this.clearTimer();
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w.reject(new ProviderError('network', `${this.deps.displayName(this.id)}: Runwatch is shutting down.`));
  }

  // ---- internals ----

  private enter(user: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ user, resolve, reject });
      this.drain();
    });
  }

  /** Lets waiting requests go, in order, as far as the pause, the budget and the cap allow; sets the timer for the rest. */
  private drain(): void {
    this.clearTimer();
    const now = this.deps.now();
    this.expire(now);
    let lifted = false;
    let budgetAt: number | undefined;
    while (this.waiters.length) {
      const next = this.waiters[0];
      if (next.user && this.clearBackoff(now)) lifted = true;
      if (this.pausedUntil > now) break;
      if (next.opensOnly) {
        this.waiters.shift();
        next.resolve();
        continue;
      }
      const freeAt = this.budgetFreeAt(now);
      if (freeAt > now) {
        budgetAt = freeAt;
        break;
      }
      if (!this.hasSlot()) break; // release() drains again
      this.waiters.shift();
      this.admit(now);
      next.resolve();
    }
    // Wake at the end of the pause even with nobody waiting, so its end is told (the health goes back to ok).
    if (this.pausedUntil > now) this.setTimer(this.pausedUntil, now);
    else if (budgetAt !== undefined) this.setTimer(budgetAt, now);
    this.announceWait();
    if (lifted) this.owner.fireFree(this.id);
  }

  private announceWait(): void {
    const wait = this.userWait();
    const signature = wait ? `${wait.until}:${wait.count}` : '';
    if (signature === this.lastWait) return;
    this.lastWait = signature;
    this.owner.fireWaits(this.id);
  }

  private setTimer(at: number, now: number): void {
    if (this.timer && this.timerAt === at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, Math.max(0, at - now));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pause(until: number, source: PauseSource, health: ProviderHealth): void {
    if (until > this.pausedUntil) {
      this.pausedUntil = until;
      this.pauseSource = source;
    } else if (source === 'retryAfter') {
      this.pauseSource = 'retryAfter';
    }
    this.setHealth(health.state === 'rateLimited' || health.state === 'backoff' ? { ...health, until: this.pausedUntil } : health);
    this.drain();
  }

  /**
   * Raises the back-off (or rate-limit) level once per round of failures and returns it. Requests that were
   * already in flight when the level was last raised fail for the same cause: counting each of them would
   * raise it by the number in flight at once.
   */
  private raiseLevel(which: 'backoff' | 'rateLimit', sentAt: number, now: number): number {
    if (which === 'backoff') {
      if (this.backoffLevel === 0 || sentAt > this.backoffRaisedAt) {
        this.backoffLevel++;
        this.backoffRaisedAt = now;
      }
      return this.backoffLevel;
    }
    if (this.rateLimitLevel === 0 || sentAt > this.rateLimitRaisedAt) {
      this.rateLimitLevel++;
      this.rateLimitRaisedAt = now;
    }
    return this.rateLimitLevel;
  }

  private jittered(base: number, attempt: number): number {
    return backoffDelay(base, attempt, this.deps.random, this.deps.timeScale);
  }

  private setHealth(health: ProviderHealth): void {
    if (JSON.stringify(health) === JSON.stringify(this.state)) return;
    this.state = health;
    this.owner.fireHealth(this.id);
  }
}

// ---- every provider ----

export interface ProviderGatesOptions {
  now?: () => number;
  random?: () => number;
  timeScale?: number;
  budget?: (id: ProviderId) => Provider['pollBudget'];
  /** Provider names for the gate's own messages; the id stands in when absent. */
  displayName?: (id: ProviderId) => string;
  /** Where a failing listener is reported. */
  log?: Pick<Logger, 'error'>;
  maxConcurrentPerProvider?: number;
}

/** The gates of all providers, and the events the scheduler and the UI follow. */
export class ProviderGates implements Disposable {
  /** Requests in flight at once, per provider (the maxConcurrentPerProvider setting). */
  maxConcurrent: number;
  private readonly gates = new Map<ProviderId, ProviderGate>();
  private readonly deps: GateDeps;
  private readonly healthChanged: Emitter<ProviderId>;
  private readonly freed: Emitter<ProviderId>;
  private readonly waitsChanged: Emitter<ProviderId>;

  constructor(options: ProviderGatesOptions = {}) {
    this.maxConcurrent = options.maxConcurrentPerProvider ?? 4;
    this.deps = {
      now: options.now ?? (() => Date.now()),
      random: options.random ?? Math.random,
      timeScale: options.timeScale && options.timeScale > 0 ? options.timeScale : 1,
      budget: options.budget ?? (() => undefined),
      displayName: options.displayName ?? (id => id),
    };
    this.healthChanged = new Emitter('provider health', options.log);
    this.freed = new Emitter('free request slots', options.log);
    this.waitsChanged = new Emitter('rate-limit waits', options.log);
  }

  /** The provider's gate, made on first use: provider ids are open (registry.ts), so there is no fixed list. */
  get(id: ProviderId): ProviderGate {
    let gate = this.gates.get(id);
    if (!gate) {
      gate = new ProviderGate(id, this.deps, this);
      this.gates.set(id, gate);
    }
    return gate;
  }

  /** A gate's health changed (a pause began or ended). */
  onDidChangeHealth(listener: (id: ProviderId) => void): Disposable {
    return this.healthChanged.event(listener);
  }

  /** A slot came free or a pause was lifted: whoever holds requests back may look again. */
  onDidFree(listener: (id: ProviderId) => void): Disposable {
    return this.freed.event(listener);
  }

  /** User requests began or stopped waiting for a provider's Retry-After window. */
  onDidChangeWaits(listener: (id: ProviderId) => void): Disposable {
    return this.waitsChanged.event(listener);
  }

  /** Every user wait now, for the UI. */
  userWaits(): GateWait[] {
    return [...this.gates.values()].map(gate => gate.userWait()).filter((w): w is GateWait => !!w);
  }

  fireHealth(id: ProviderId): void {
    this.healthChanged.fire(id);
  }

  fireFree(id: ProviderId): void {
    this.freed.fire(id);
  }

  fireWaits(id: ProviderId): void {
    this.waitsChanged.fire(id);
  }

  dispose(): void {
    for (const gate of this.gates.values()) gate.dispose();
    this.healthChanged.dispose();
    this.freed.dispose();
    this.waitsChanged.dispose();
  }
}

/**
 * An adapter whose every call passes the gate. `getRun` included: the scheduler polls with the bare adapter
 * and does the gate's bookkeeping itself (it must decide synchronously which run goes next), while a Track
 * Run by id goes through here.
 */
export function gatedProvider(inner: Provider, gate: ProviderGate): Provider {
  const through =
    <A extends unknown[], R>(source: string, fn: ((...args: A) => Promise<R>) | undefined) =>
    fn && ((...args: A) => gate.send(source, () => fn.apply(inner, args)));
  return withCalls(inner, {
    validateKey: through('keyCheck', inner.validateKey)!,
    listAccounts: through('accounts', inner.listAccounts)!,
    addAccount: through('addAccount', inner.addAccount),
    listRuns: through('runs', inner.listRuns)!,
    getRun: through('track', inner.getRun)!,
    listKinds: through('kinds', inner.listKinds)!,
    startRun: through('start', inner.startRun)!,
    cancelRun: through('cancel', inner.cancelRun),
    createDataProduct: through('dataProduct', inner.createDataProduct),
  });
}
