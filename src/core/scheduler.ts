// The poll scheduler: decides when each active run is fetched, for all providers at once.
//
// One lane per provider: a min-heap of the runs waiting for their next poll (ordered by due time, so the
// oldest-due run always goes first), a stop (bad key), and ONE timer set to the next moment anything in the
// lane can happen. What holds the whole provider (a Retry-After window, the provider back-off, the budget,
// the cap on requests in flight) is the provider's gate (gate.ts), which lists, starts and every other
// request pass as well: the lane reads it and reports each poll's outcome to it. Terminal and gone runs are
// not in any heap, so 10,000 finished runs cost nothing: a tick touches only the heads of the heaps.
//
// List batching: where the provider's run list carries whole runs (Boring Marketing, when its answer has that
// shape), an account with two or more active runs is polled with ONE list request per cadence, queued in the
// lane like a run (same gate, Retry-After, budget and lease), instead of one poll per run. A list answer of
// summaries sends that account's runs back to their own polls; a run the list stops carrying (paged out,
// deleted) is polled on its own, which also tells whether it is gone.
import { isActive, keyOf, type ProviderId, type Run } from './run';
import { asProviderError, policyOf, redact, type ProviderError } from './errors';
import type { PollScheduler, ProviderHealth, SchedulerDeps, SchedulerOptions } from './contracts';
import { accountKey, type RunStore, type StoreChange, type TrackedRun } from './store';
import type { RunPage, RunSource } from './ports';
import { BUDGET_MARGIN, backoffDelay, clampRetryAfter, OUTAGE_PROBE_CADENCES, ProviderGates, type ProviderGate } from './gate';
import { MinHeap } from './heap';
import { isStuck, stuckThreshold } from './stuck';

export { BACKOFF_CAP_MS, BUDGET_MARGIN, MAX_RETRY_AFTER_MS, PROVIDER_FAILURE_STREAK, RATE_LIMIT_BASE_MS } from './gate';
export { stuckThreshold } from './stuck';
/** No adapter may make the scheduler poll one run more often than this, whatever it returns. */
export const MIN_CADENCE_MS = 500;
/** Base of the slow back-off for answers that retrying soon will not change (403, 402, 400/422). */
export const SLOW_BACKOFF_BASE_MS = 60_000;

const FALLBACK_CADENCE_MS = 10_000;
/** A status the adapter does not know is polled ever more slowly (doubling from the cadence) up to this. */
export const UNKNOWN_STATUS_CADENCE_CAP_MS = 5 * 60_000;
/** …and no longer after this long without a change: the run is marked stale and says why. */
export const UNKNOWN_STATUS_GIVE_UP_MS = 60 * 60_000;
/** An account is polled by its run list from this many active runs on: for one, its own poll is as few requests and a smaller answer. */
export const LIST_BATCH_MIN_RUNS = 2;
/** After a list that could not be read or was not found, the account's runs are polled one by one for this long. */
export const LIST_RETRY_AFTER_MS = 10 * 60_000;

/** One account's list poll: the runs it answers for and how often it goes. */
interface ListBatch {
  readonly accountId: string;
  /** Keys of the active runs this list polls (batched only while there are LIST_BATCH_MIN_RUNS or more). */
  readonly members: Set<string>;
  /** The shortest cadence among the members: the list goes as often as its most eager run would be polled. */
  cadenceMs: number;
  /** Before its first request: when the earliest member would have been polled on its own. */
  firstDue: number;
  /** When the last list answer came. */
  answeredAt?: number;
}

interface Plan {
  readonly key: string;
  readonly provider: ProviderId;
  /** When the next poll may go (ms). Valid while queued. */
  due: number;
  /** Tie-break among equal due times: first planned, first served. */
  seq: number;
  /** Position in the lane's heap; -1 when not queued (in flight, or not planned yet). */
  heapIndex: number;
  /** When the last poll of this run was sent. */
  lastAttemptAt?: number;
  /** The store's confirmation time that this plan's own last successful poll wrote (see dueOf). */
  confirmedByOwnPollAt?: number;
  /** Consecutive failed polls seen by the scheduler; > 0 means `retryAt` decides the next poll. */
  failStreak: number;
  retryAt: number;
  /**
   * Why `retryAt` is where it is: `outage` (a 5xx, timeout or dropped connection without Retry-After: our own
   * back-off, ended early once the endpoint answers again), `server` (the provider said when), `slow` (an
   * answer that asking again soon will not change).
   */
  backoffReason?: 'outage' | 'server' | 'slow';
  /** Poll at this time regardless of cadence (refresh, refocus, key change); cleared when sent. */
  forceDue?: number;
  /** refreshNow() callers waiting for this run's next poll to settle. */
  waiters: (() => void)[];
  /** Present on an account's list poll (see ListBatch); absent on a run's own. */
  list?: ListBatch;
  /** A run's: the key of the account list it belongs to, if its provider lists whole runs. */
  batchKey?: string;
  /** A run's: the last full list did not carry it, so it is polled on its own until a list does again. */
  listMissed?: boolean;
}

/** The lane's order: earliest due first; among equal due times, first planned first. */
function dueFirst(a: Plan, b: Plan): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/** Everything the scheduler knows about one provider's runs. */
class Lane {
  readonly queue = new MinHeap<Plan>(dueFirst);
  /** Active, not gone runs of this provider (queued or in flight): the N a budget is shared by. */
  planCount = 0;
  timer: ReturnType<typeof setTimeout> | undefined;
  timerAt = 0;
  /** A bad or missing key: nothing is sent until resumeProvider(). */
  stopped = false;
  /** What the health listener was last told. */
  health: ProviderHealth = { state: 'ok' };

  constructor(
    readonly id: ProviderId,
    /** The provider's gate: its pause, budget and cap on requests in flight, shared with every other request. */
    readonly gate: ProviderGate,
  ) {}
}

export class Scheduler implements PollScheduler {
  private readonly plans = new Map<string, Plan>();
  /** Account list polls, by list key (see listKeyOf). */
  private readonly lists = new Map<string, Plan>();
  /** Accounts whose runs are polled one by one until this time: their list gave summaries (for the session), or failed to be read. */
  private readonly unbatchable = new Map<string, number>();
  /** Keys with a request in flight; kept apart from plans so a run removed and re-added mid-request is never polled twice. */
  private readonly inFlight = new Set<string>();
  private readonly lanes = new Map<ProviderId, Lane>();
  private readonly gates: ProviderGates;
  /** The gates were made here (no service gave them), so they are disposed here. */
  private readonly ownsGates: boolean;
  private readonly gateSubscriptions: { dispose(): void }[] = [];
  private readonly now: () => number;
  private readonly random: () => number;
  /** Divides the built-in time constants (the benchmark's simulated time; 1 otherwise). */
  private readonly timeScale: number;
  private options: SchedulerOptions;
  private storeSubscription: { dispose(): void } | undefined;
  private started = false;
  private disposed = false;
  private focused = true;
  private passive = false;
  private seq = 0;

  constructor(
    private readonly deps: SchedulerDeps,
    options: SchedulerOptions,
  ) {
    this.options = { ...options, minIntervalMs: { ...options.minIntervalMs } };
    this.now = deps.now ?? (() => Date.now());
    this.random = deps.random ?? Math.random;
    this.timeScale = deps.timeScale && deps.timeScale > 0 ? deps.timeScale : 1;
    this.ownsGates = !deps.gates;
    this.gates = deps.gates ?? new ProviderGates({ now: this.now, random: this.random, timeScale: this.timeScale, budget: id => this.deps.provider(id)?.pollBudget, displayName: id => this.displayName(id), log: deps.log });
    this.gates.maxConcurrent = options.maxConcurrentPerProvider;
    this.gateSubscriptions.push(
      // A pause begun or ended by any request (a list's 429 holds the polls too): tell, and re-time the lane.
      this.gates.onDidChangeHealth(id => this.onGateChange(this.lane(id))),
      // A slot came free (a list finished) or a back-off was lifted: the lane may send again.
      this.gates.onDidFree(id => {
        if (this.started && !this.disposed) this.pump(this.lane(id));
      }),
    );
  }

  private get store(): RunStore {
    return this.deps.store;
  }

  private displayName(id: ProviderId): string {
    return this.deps.displayName?.(id) ?? this.deps.provider(id)?.displayName ?? id;
  }

  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    this.storeSubscription = this.store.onDidChange(change => this.onStoreChange(change));
    const now = this.now();
    for (const tracked of this.store.active()) if (!this.givenUpOn(tracked, now)) this.plan(tracked, now);
    this.pumpAll();
  }

  wake(key: string): void {
    if (!this.started || this.disposed) return;
    const now = this.now();
    const tracked = this.store.get(key);
    if (!tracked || !isActive(tracked.run.status) || tracked.gone || this.givenUpOn(tracked, now)) {
      this.drop(key);
      return;
    }
    const plan = this.plan(tracked, now);
    if (!this.passive) this.checkStuck(tracked, now);
    this.arm(this.lane(plan.provider), now);
  }

  async refreshNow(keys?: string[]): Promise<void> {
    if (!this.started || this.disposed || this.passive) return;
    const now = this.now();
    const targets = new Set<Plan>();
    const waits: Promise<void>[] = [];
    for (const key of keys ?? [...this.plans.keys()]) {
      let plan = this.plans.get(key);
      if (!plan) {
        // A run the store knows but we have not planned yet (changed in this very tick): plan it now.
        const tracked = this.store.get(key);
        if (tracked && isActive(tracked.run.status) && !tracked.gone) plan = this.plan(tracked, now);
      }
      if (!plan) continue;
      // A batched run is refreshed by its account's list: one request for all of them.
      const poller = this.pollerOf(plan);
      // A poll already out is as fresh as a new one: wait for its answer rather than returning before it.
      if (this.inFlight.has(poller.key)) waits.push(new Promise<void>(resolve => poller.waiters.push(resolve)));
      else targets.add(poller);
    }
    const told = new Set<ProviderId>();
    const touched = new Set<Lane>();
    for (const plan of targets) {
      const lane = this.lane(plan.provider);
      const honouredPause = lane.gate.pausedUntil > now && lane.gate.pauseSource === 'retryAfter';
      if (lane.stopped || honouredPause) {
        // Say why nothing is sent instead of sending: the health listener shows it again.
        if (!told.has(lane.id)) this.deps.onHealth(lane.id, lane.health);
        told.add(lane.id);
        continue;
      }
      // The user asked: our own back-off may be lifted (a Retry-After may not).
      lane.gate.liftBackoff(now);
      plan.forceDue = now;
      this.requeue(plan, now);
      touched.add(lane);
      if (!this.focusPaused()) waits.push(new Promise<void>(resolve => plan.waiters.push(resolve)));
    }
    for (const lane of touched) this.pump(lane);
    await Promise.all(waits);
  }

  setFocused(focused: boolean): void {
    if (focused === this.focused) return;
    this.focused = focused;
    if (this.disposed || !this.started) return;
    const now = this.now();
    if (!focused) {
      if (this.options.whenUnfocused === 'normal') return;
      if (this.focusPaused()) this.settleAllWaiters();
      this.replanAll(now);
      return;
    }
    this.forceStale(now);
    this.replanAll(now);
  }

  resumeProvider(id: ProviderId): void {
    const lane = this.lane(id);
    lane.stopped = false;
    const live = this.started && !this.disposed;
    if (live) {
      const now = this.now();
      // A new key may read the list differently: ask it again.
      for (const key of [...this.unbatchable.keys()]) if (key.startsWith(accountKey(id, ''))) this.unbatchable.delete(key);
      for (const plan of [...this.plans.values(), ...this.lists.values()]) {
        if (plan.provider !== id) continue;
        plan.failStreak = 0;
        plan.retryAt = 0;
        this.requeue(plan, now);
        const poller = this.pollerOf(plan);
        poller.forceDue = now;
        this.requeue(poller, now);
      }
    }
    // After the plans are forced due: the gate's resume pumps the lane (onDidFree) and must send each once.
    lane.gate.resume();
    this.setHealth(lane, { state: 'ok' });
    if (live) this.pump(lane);
  }

  health(id: ProviderId): ProviderHealth {
    const lane = this.lane(id);
    if (lane.health.state === 'ok' && !this.deps.provider(id)) return { state: 'noKey' };
    return lane.health;
  }

  setPassive(passive: boolean): void {
    if (passive === this.passive) return;
    this.passive = passive;
    if (this.disposed || !this.started) return;
    if (passive) {
      for (const lane of this.lanes.values()) this.clearTimer(lane);
      this.settleAllWaiters();
      return;
    }
    const now = this.now();
    this.forceStale(now);
    this.replanAll(now);
  }

  updateOptions(options: Partial<SchedulerOptions>): void {
    this.options = { ...this.options, ...options, minIntervalMs: { ...(options.minIntervalMs ?? this.options.minIntervalMs) } };
    this.gates.maxConcurrent = this.options.maxConcurrentPerProvider;
    if (this.disposed || !this.started) return;
    this.replanAll(this.now());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.storeSubscription?.dispose();
    for (const s of this.gateSubscriptions) s.dispose();
    if (this.ownsGates) this.gates.dispose();
    for (const lane of this.lanes.values()) this.clearTimer(lane);
    this.settleAllWaiters();
  }

  // ---- planning ----

  private lane(id: ProviderId): Lane {
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = new Lane(id, this.gates.get(id));
      this.lanes.set(id, lane);
    }
    return lane;
  }

  /** The gate's pause changed: say so (unless a stop or a missing key says more), and re-time the lane. */
  private onGateChange(lane: Lane): void {
    if (this.disposed) return;
    if (!lane.stopped && lane.health.state !== 'noKey') this.setHealth(lane, lane.gate.health);
    if (lane.gate.pausedUntil > this.now()) {
      // Nothing goes before the window ends: refreshNow() callers are answered now, not then.
      this.settleLaneWaiters(lane);
      this.clearTimer(lane);
      if (this.started) this.arm(lane, this.now());
    }
  }

  private onStoreChange(change: StoreChange): void {
    for (const key of change.keys) this.wake(key);
  }

  /** Creates or updates the plan of an active run and (re)queues it. */
  private plan(tracked: TrackedRun, now: number): Plan {
    let plan = this.plans.get(tracked.key);
    if (!plan) {
      plan = { key: tracked.key, provider: tracked.run.provider, due: now, seq: ++this.seq, heapIndex: -1, failStreak: 0, retryAt: 0, waiters: [] };
      this.plans.set(tracked.key, plan);
      this.lane(plan.provider).planCount++;
    } else if (tracked.failures === 0 && plan.failStreak > 0) {
      // Someone else confirmed the run (a list refresh, another window): its back-off is over.
      plan.failStreak = 0;
      plan.retryAt = 0;
    }
    this.requeue(plan, now);
    return plan;
  }

  /** Recomputes a plan's due time and puts it in its lane's heap (unless a request for it is in flight). */
  private requeue(plan: Plan, now: number): void {
    const lane = this.lane(plan.provider);
    if (!plan.list) this.updateMembership(plan, now);
    if (this.inFlight.has(plan.key)) {
      lane.queue.remove(plan);
      return;
    }
    if (plan.list && plan.list.members.size < LIST_BATCH_MIN_RUNS) {
      // Too few runs to batch: they are polled on their own.
      lane.queue.remove(plan);
      return;
    }
    const batch = plan.list ? undefined : this.batchOf(plan);
    if (batch) {
      // Its account's list polls it.
      lane.queue.remove(plan);
      this.requeue(batch, now);
      return;
    }
    const due = this.dueOf(plan, now);
    if (plan.heapIndex >= 0 && due === plan.due) return;
    if (due !== plan.due) plan.seq = ++this.seq;
    plan.due = due;
    lane.queue.put(plan);
  }

  private dueOf(plan: Plan, now: number): number {
    if (plan.forceDue !== undefined) return plan.forceDue;
    if (plan.failStreak > 0) return plan.retryAt;
    if (plan.list) {
      // The same rule as a run's poll below: a cadence after the last list was sent, half a cadence after its answer.
      const { cadenceMs, answeredAt, firstDue } = plan.list;
      if (plan.lastAttemptAt === undefined) return firstDue;
      return Math.max(plan.lastAttemptAt + cadenceMs, (answeredAt ?? plan.lastAttemptAt) + cadenceMs / 2);
    }
    const tracked = this.store.get(plan.key);
    if (!tracked) return now;
    // The next poll is due one cadence after the last one was SENT when that poll is the latest confirmation,
    // not after its answer: planning from the answer stretches every interval by the round trip (at Adlyse's
    // 1 s cadence a 300 ms answer is a 30% slower poll). Sends stay at least a cadence apart either way, and a
    // provider slower to answer than half its cadence still gets half a cadence of quiet after each answer
    // rather than back-to-back requests. A confirmation from elsewhere (a list, another window) is newer than
    // our send: plan from it.
    const confirmedAt = tracked.lastConfirmedAt;
    if (plan.lastAttemptAt !== undefined && confirmedAt !== undefined && confirmedAt === plan.confirmedByOwnPollAt) {
      const cadence = this.cadence(tracked, now);
      return Math.max(plan.lastAttemptAt + cadence, confirmedAt + cadence / 2);
    }
    const last = Math.max(confirmedAt ?? -Infinity, plan.lastAttemptAt ?? -Infinity);
    if (last === -Infinity) return now;
    return last + this.cadence(tracked, now);
  }

  /** The interval this run is polled at now: documented cadence, user minimum, focus, and its share of the budget. */
  private cadence(tracked: TrackedRun, now: number): number {
    const id = tracked.run.provider;
    const provider = this.deps.provider(id);
    let ms = FALLBACK_CADENCE_MS;
    if (provider) {
      const startedAt = Date.parse(tracked.run.startedAt ?? '');
      const ageMs = Math.max(0, now - (Number.isFinite(startedAt) ? startedAt : tracked.firstSeenAt));
      try {
        const documented = provider.cadenceMs(tracked.run, { ageMs, polls: tracked.polls });
        if (Number.isFinite(documented) && documented > 0) ms = documented;
      } catch {
        // A broken cadence function must not stop polling: keep the fallback.
      }
    }
    ms = Math.max(ms, MIN_CADENCE_MS / this.timeScale, this.options.minIntervalMs[id] ?? 0);
    // An unknown status: the interval grows with the time spent in it as of the last answer (so it doubles poll
    // by poll), up to a cap. The last answer, not `now`, so that the due time does not recede while waiting.
    if (tracked.run.status === 'unknown') {
      const unknownFor = (tracked.lastConfirmedAt ?? tracked.lastChangedAt) - tracked.lastChangedAt;
      ms = Math.max(ms, Math.min(UNKNOWN_STATUS_CADENCE_CAP_MS / this.timeScale, unknownFor));
    }
    if (!this.focused && this.options.whenUnfocused === 'slow') ms *= Math.max(1, this.options.unfocusedFactor || 1);
    const budget = provider?.pollBudget;
    if (budget && budget.requests > 0 && budget.perMs > 0) {
      // N active runs share the budget evenly, so together they stay inside it.
      const share = (this.lane(id).planCount * budget.perMs * (1 + BUDGET_MARGIN)) / budget.requests;
      ms = Math.max(ms, share);
    }
    return ms;
  }

  private drop(key: string): void {
    const plan = this.plans.get(key);
    if (!plan) return;
    const lane = this.lane(plan.provider);
    lane.queue.remove(plan);
    lane.planCount--;
    this.plans.delete(key);
    this.leaveBatch(plan, this.now());
    settle(plan);
    if (this.started && !this.disposed) this.arm(lane, this.now());
  }

  private replanAll(now: number): void {
    for (const list of this.lists.values()) this.refreshListCadence(list, now);
    for (const plan of this.plans.values()) this.requeue(plan, now);
    this.pumpAll();
  }

  /** Runs whose last confirmation is older than their cadence are polled at once (refocus, taking over). */
  private forceStale(now: number): void {
    for (const plan of this.plans.values()) {
      const tracked = this.store.get(plan.key);
      if (!tracked || this.inFlight.has(plan.key)) continue;
      const confirmed = tracked.lastConfirmedAt ?? -Infinity;
      const poller = this.pollerOf(plan);
      if (now - confirmed > this.cadence(tracked, now) && !this.inFlight.has(poller.key)) poller.forceDue = now;
    }
  }

  // ---- list batching ----

  /** The account list that polls this run now, if any (its provider lists whole runs and it has company). */
  private batchOf(plan: Plan): Plan | undefined {
    const list = plan.batchKey ? this.lists.get(plan.batchKey) : undefined;
    return list && list.list!.members.size >= LIST_BATCH_MIN_RUNS ? list : undefined;
  }

  /** The plan whose request answers for this run: its account's list when batched, else its own. */
  private pollerOf(plan: Plan): Plan {
    return (plan.list ? undefined : this.batchOf(plan)) ?? plan;
  }

  /** Puts a run into its account's list, or takes it out, as its provider, account and the last list answer allow. */
  private updateMembership(plan: Plan, now: number): void {
    const tracked = this.store.get(plan.key);
    let key: string | undefined;
    if (tracked && !plan.listMissed && this.deps.provider(plan.provider)?.capabilities?.pollsByList) {
      const account = accountKey(plan.provider, tracked.run.accountId);
      const until = this.unbatchable.get(account);
      if (until !== undefined && until <= now) this.unbatchable.delete(account);
      if (until === undefined || until <= now) key = listKeyOf(account);
    }
    if (plan.batchKey === key) return;
    this.leaveBatch(plan, now);
    if (!key || !tracked) return;
    let list = this.lists.get(key);
    if (!list) {
      list = { key, provider: plan.provider, due: now, seq: ++this.seq, heapIndex: -1, failStreak: 0, retryAt: 0, waiters: [], list: { accountId: tracked.run.accountId, members: new Set(), cadenceMs: Infinity, firstDue: Infinity } };
      this.lists.set(key, list);
    }
    const batch = list.list!;
    batch.members.add(plan.key);
    plan.batchKey = key;
    batch.cadenceMs = Math.min(batch.cadenceMs, this.cadence(tracked, now));
    // Until the list is first sent, it is due when its earliest run would have been polled on its own.
    if (list.lastAttemptAt === undefined) batch.firstDue = Math.min(batch.firstDue, this.dueOf(plan, now));
    // The run that makes the batch: the one polled on its own so far now waits for the list too.
    if (batch.members.size === LIST_BATCH_MIN_RUNS) this.requeueMembers(batch, plan, now);
  }

  private leaveBatch(plan: Plan, now: number): void {
    const key = plan.batchKey;
    if (!key) return;
    plan.batchKey = undefined;
    const list = this.lists.get(key);
    if (!list) return;
    const batch = list.list!;
    batch.members.delete(plan.key);
    if (batch.members.size === 0) {
      this.lane(list.provider).queue.remove(list);
      // A list in flight is forgotten when it settles.
      if (!this.inFlight.has(list.key)) this.lists.delete(key);
      settle(list);
    } else if (batch.members.size === LIST_BATCH_MIN_RUNS - 1) {
      // The last one left is polled on its own again.
      this.requeueMembers(batch, plan, now);
      this.requeue(list, now);
    }
  }

  /** The list's cadence again from its runs' (after an answer, or when settings or focus change). */
  private refreshListCadence(list: Plan, now: number): void {
    const batch = list.list!;
    batch.cadenceMs = Infinity;
    for (const key of batch.members) {
      const tracked = this.store.get(key);
      if (tracked) batch.cadenceMs = Math.min(batch.cadenceMs, this.cadence(tracked, now));
    }
    if (!Number.isFinite(batch.cadenceMs)) batch.cadenceMs = FALLBACK_CADENCE_MS;
  }

  private requeueMembers(batch: ListBatch, except: Plan, now: number): void {
    for (const key of [...batch.members]) {
      const member = this.plans.get(key);
      if (member && member !== except) this.requeue(member, now);
    }
  }

  private sendList(plan: Plan, provider: RunSource, lane: Lane, now: number): void {
    const batch = plan.list!;
    lane.gate.admit(now);
    this.inFlight.add(plan.key);
    plan.lastAttemptAt = now;
    plan.forceDue = undefined;
    let request: Promise<RunPage>;
    try {
      request = provider.listRuns({ provider: lane.id, id: batch.accountId, label: batch.accountId });
    } catch (e) {
      request = Promise.reject(e);
    }
    request
      .then(
        page => this.settledList(plan, lane, () => this.onListSuccess(plan, page, lane, now)),
        error => this.settledList(plan, lane, () => this.onListFailure(plan, asProviderError(error, this.displayName(lane.id)), lane)),
      )
      .catch(e => this.deps.log?.error(`Runwatch: listing ${lane.id} runs failed unexpectedly: ${redact(errorText(e))}`));
  }

  /** A list poll's completion: as settled() for a run's, the list is requeued (or forgotten) and the slot released whatever happens. */
  private settledList(plan: Plan, lane: Lane, handle: () => void): void {
    this.inFlight.delete(plan.key);
    if (this.disposed) {
      lane.gate.release();
      return;
    }
    const batch = plan.list!;
    try {
      handle();
    } catch (e) {
      this.deps.log?.error(`Runwatch could not process a ${this.displayName(lane.id)} run list: ${redact(errorText(e))}`);
      this.backOff(plan, this.now() + this.jittered(this.planCadence(plan, this.now()), plan.failStreak + 1), 'slow');
    }
    try {
      settle(plan);
      const now = this.now();
      if (batch.members.size === 0 || this.lists.get(plan.key) !== plan) {
        if (this.lists.get(plan.key) === plan) this.lists.delete(plan.key);
        lane.queue.remove(plan);
      } else {
        this.refreshListCadence(plan, now);
        this.requeue(plan, now);
      }
    } finally {
      lane.gate.release();
    }
  }

  private onListSuccess(plan: Plan, page: RunPage, lane: Lane, sentAt: number): void {
    const batch = plan.list!;
    const now = this.now();
    lane.gate.noteSuccess(now);
    if (page.fullRuns === false) {
      // Summaries carry no stage or error: the account's runs go back to their own polls, for this session.
      this.deps.log?.info(`Runwatch: ${this.displayName(lane.id)} lists summaries for ${batch.accountId}; its runs are polled one by one.`);
      this.unbatchUntil(plan, Infinity, now);
      return;
    }
    const endsOutage = plan.failStreak > 0 && plan.backoffReason === 'outage';
    plan.failStreak = 0;
    plan.retryAt = 0;
    batch.answeredAt = now;
    if (endsOutage) this.endOutageBackoffs(lane, now, 'list');
    const listed = new Set<string>();
    for (const run of page.runs) {
      const key = keyOf(run);
      listed.add(key);
      const member = this.plans.get(key);
      // Finished runs already known, and finished runs never tracked, are the service's list refresh's to show.
      if (!member && (this.store.get(key) || !isActive(run.status))) continue;
      try {
        if (member) this.store.recordPoll(key);
        // A full entry is a full answer: the same merge as a poll's (store.ts mergeRun).
        this.store.upsert(run);
        if (member) {
          member.lastAttemptAt = sentAt;
          member.confirmedByOwnPollAt = this.store.get(key)?.lastConfirmedAt;
          member.failStreak = 0;
          member.retryAt = 0;
          if (member.listMissed) {
            member.listMissed = false;
            this.requeue(member, now);
          }
        }
        const after = this.store.get(key);
        if (after) this.checkStuck(after, now);
        if (after && this.givenUpOn(after, now)) this.giveUp(after);
      } catch (e) {
        this.onHandlingError(key, e);
        // Its own poll tells it apart from the others (and backs off on its own).
        if (member) {
          member.listMissed = true;
          this.requeue(member, now);
        }
      }
    }
    // A run the list no longer carries (paged out, deleted): asked on its own, which also says whether it is gone.
    for (const key of [...batch.members]) {
      if (listed.has(key)) continue;
      const member = this.plans.get(key);
      if (!member) continue;
      member.listMissed = true;
      this.requeue(member, now);
    }
    this.deps.onListed?.(lane.id, batch.accountId, page);
  }

  private onListFailure(plan: Plan, error: ProviderError, lane: Lane): void {
    const batch = plan.list!;
    const now = this.now();
    const cadence = this.planCadence(plan, now);
    lane.gate.noteFailure(error, { now, sentAt: plan.lastAttemptAt ?? now, source: plan.key, baseMs: cadence, soleSource: lane.planCount <= 1 });
    const message = redact(error.message);
    switch (policyOf(error.kind).listPoll) {
      case 'stop':
        this.stopLane(lane, error, message);
        return;
      case 'wait':
        return;
      case 'unbatch':
        // No list to read (the route is gone, or one bad entry spoils the whole answer): each run's own poll
        // says what it can for that run alone, and whether it is gone. The list is tried again later.
        this.unbatchUntil(plan, now + LIST_RETRY_AFTER_MS / this.timeScale, now);
        return;
      case 'retry':
        for (const key of batch.members) this.store.recordFailure(key, message);
        this.backOffAfterRetryable(plan, error, now, cadence);
        return;
      case 'slow':
        this.noteInternal(error, plan.key);
        for (const key of batch.members) this.store.recordFailure(key, message);
        this.backOffSlowly(plan, now, cadence);
    }
  }

  /** Sends the list's runs back to their own polls until `until`. */
  private unbatchUntil(list: Plan, until: number, now: number): void {
    const batch = list.list!;
    this.unbatchable.set(accountKey(list.provider, batch.accountId), until);
    for (const key of [...batch.members]) {
      const member = this.plans.get(key);
      if (member) this.requeue(member, now);
    }
  }

  // ---- sending ----

  private focusPaused(): boolean {
    return !this.focused && this.options.whenUnfocused === 'pause';
  }

  private canSend(): boolean {
    return this.started && !this.disposed && !this.passive && !this.focusPaused();
  }

  private pumpAll(): void {
    for (const lane of this.lanes.values()) this.pump(lane);
  }

  /** Sends every due request the lane allows now, then sets the lane's timer for the next one. */
  private pump(lane: Lane): void {
    this.clearTimer(lane);
    if (!this.canSend() || lane.stopped || lane.queue.size === 0) return;
    const provider = this.deps.provider(lane.id);
    if (!provider) {
      this.setHealth(lane, { state: 'noKey' });
      this.settleLaneWaiters(lane);
      return;
    }
    const gate = lane.gate;
    if (lane.health.state === 'noKey' && !lane.stopped) this.setHealth(lane, gate.health);
    const now = this.now();
    // A window that is over ends here (a rate limit ends with it; a back-off with the first success).
    gate.expire(now);
    if (gate.pausedUntil > now) {
      this.setTimer(lane, gate.pausedUntil, now);
      return;
    }
    for (;;) {
      const next = lane.queue.peek();
      if (!next || next.due > now) break;
      // Polls that waited out an unavailability the server timed go together (budget permitting); others take a slot.
      if (!gate.hasSlot() && !gate.hasReopeningSlot(next.due, now)) break;
      const freeAt = gate.budgetFreeAt(now);
      if (freeAt > now) {
        this.setTimer(lane, freeAt, now);
        return;
      }
      if (next.forceDue === undefined && next.failStreak === 0) {
        // Confirmed meanwhile by someone else (a list refresh, another window) without a change the store
        // announces: the run is not due after all.
        const due = this.dueOf(next, now);
        if (due > now) {
          this.requeue(next, now);
          continue;
        }
      }
      lane.queue.pop();
      if (next.list) this.sendList(next, provider, lane, now);
      else this.send(next, provider, lane, now);
    }
    if (!gate.hasSlot()) return; // a completion (a poll's or any other request's) pumps again
    const next = lane.queue.peek();
    if (next) this.setTimer(lane, next.due, now);
  }

  /** Makes sure the lane's timer fires by the time its first run is due (without sending from here). */
  private arm(lane: Lane, now: number): void {
    if (!this.canSend() || lane.stopped) return;
    const next = lane.queue.peek();
    if (!next) {
      this.clearTimer(lane);
      return;
    }
    const at = Math.max(next.due, lane.gate.pausedUntil);
    if (lane.timer && lane.timerAt <= at) return; // an earlier pump will look again
    this.setTimer(lane, at, now);
  }

  private setTimer(lane: Lane, at: number, now: number): void {
    if (lane.timer && lane.timerAt === at) return;
    this.clearTimer(lane);
    lane.timerAt = at;
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      this.pump(lane);
    }, Math.max(0, at - now));
  }

  private clearTimer(lane: Lane): void {
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
  }

  private send(plan: Plan, provider: RunSource, lane: Lane, now: number): void {
    const tracked = this.store.get(plan.key);
    if (!tracked) {
      this.drop(plan.key);
      return;
    }
    lane.gate.admit(now);
    this.inFlight.add(plan.key);
    plan.lastAttemptAt = now;
    plan.forceDue = undefined;
    let request: Promise<Run>;
    try {
      request = provider.getRun({ accountId: tracked.run.accountId, id: tracked.run.id, kind: tracked.run.kind });
    } catch (e) {
      request = Promise.reject(e);
    }
    request
      .then(
        run => this.settled(plan.key, lane, () => this.onSuccess(plan.key, run, lane)),
        error => this.settled(plan.key, lane, () => this.onFailure(plan.key, asProviderError(error, this.displayName(lane.id)), lane)),
      )
      .catch(e => this.deps.log?.error(`Runwatch: polling ${lane.id} failed unexpectedly: ${redact(errorText(e))}`));
  }

  /**
   * A poll's completion. Whatever handling the answer throws (a run stored in a shape the store cannot
   * compare, a callback that throws), the run is requeued and the slot released: an exception here used to keep
   * the slot for ever, so with one request per provider no run of that provider was polled again.
   */
  private settled(key: string, lane: Lane, handle: () => void): void {
    this.inFlight.delete(key);
    if (this.disposed) {
      lane.gate.release();
      return;
    }
    try {
      // The outcome first (a 429 pauses the gate), then the slot: whoever gets it must see the pause.
      handle();
    } catch (e) {
      this.onHandlingError(key, e);
    }
    try {
      const plan = this.plans.get(key);
      if (plan) {
        settle(plan);
        const tracked = this.store.get(key);
        if (!tracked || !isActive(tracked.run.status) || tracked.gone) this.drop(key);
        else this.requeue(plan, this.now());
      }
    } finally {
      lane.gate.release(); // pumps this lane again (onDidFree)
    }
  }

  /** Runwatch's own code failed on an answer: keep the run, say so on it, and try again later, slowly. */
  private onHandlingError(key: string, error: unknown): void {
    const detail = redact(errorText(error));
    this.deps.log?.error(`Runwatch could not process the answer for ${key}: ${detail}`);
    try {
      const now = this.now();
      const plan = this.plans.get(key);
      if (plan) this.backOff(plan, now + this.jittered(this.planCadence(plan, now), plan.failStreak + 1), 'slow');
      this.store.recordFailure(key, `Runwatch could not process the provider's answer (${detail}).`);
    } catch (e) {
      this.deps.log?.error(`Runwatch could not record that failure for ${key}: ${redact(errorText(e))}`);
    }
  }

  private onSuccess(key: string, run: Run, lane: Lane): void {
    const tracked = this.store.get(key);
    if (!tracked) return; // untracked while the request was out: do not bring it back
    this.store.recordPoll(key);
    this.store.upsert(run);
    const plan = this.plans.get(key);
    const endsOutage = !!plan && plan.failStreak > 0 && plan.backoffReason === 'outage';
    if (plan) {
      plan.failStreak = 0;
      plan.retryAt = 0;
      plan.confirmedByOwnPollAt = this.store.get(key)?.lastConfirmedAt;
    }
    const now = this.now();
    lane.gate.noteSuccess(now);
    if (endsOutage) this.endOutageBackoffs(lane, now, 'run');
    const after = this.store.get(key);
    if (after) this.checkStuck(after, now);
    if (after && this.givenUpOn(after, now)) this.giveUp(after);
  }

  /** Still in a status the adapter does not know, unchanged for longer than polling it is worth. */
  private givenUpOn(tracked: TrackedRun, now: number): boolean {
    return tracked.run.status === 'unknown' && now - tracked.lastChangedAt >= UNKNOWN_STATUS_GIVE_UP_MS / this.timeScale;
  }

  /** Stops polling a run stuck in an unknown status, and says so on the run (a Refresh still asks once). */
  private giveUp(tracked: TrackedRun): void {
    this.drop(tracked.key);
    const minutes = Math.round(UNKNOWN_STATUS_GIVE_UP_MS / 60_000);
    const reason = redact(
      `${this.displayName(tracked.run.provider)} reports the status "${tracked.run.rawStatus.slice(0, 60)}", which Runwatch does not know; it stopped checking after ${minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`} without a change. Refresh the run to check again.`,
    );
    this.store.markStale(tracked.key, reason);
  }

  private onFailure(key: string, error: ProviderError, lane: Lane): void {
    const now = this.now();
    const tracked = this.store.get(key);
    const plan = this.plans.get(key);
    const message = redact(error.message);
    const cadence = tracked ? this.cadence(tracked, now) : FALLBACK_CADENCE_MS;
    // What it means for the whole provider (pause, back-off, streak) is the gate's to decide.
    lane.gate.noteFailure(error, { now, sentAt: plan?.lastAttemptAt ?? now, source: key, baseMs: cadence, soleSource: lane.planCount <= 1 });
    switch (policyOf(error.kind).poll) {
      case 'gone':
        this.store.markGone(key, message);
        this.drop(key);
        return;
      case 'stop':
        this.stopLane(lane, error, message);
        return;
      case 'wait':
        // The gate paused the provider; the run waits with it and is not the worse for it.
        return;
      case 'retry':
        this.store.recordFailure(key, message);
        // A 503 that says when to come back: the run comes back then, with the whole provider.
        if (plan) this.backOffAfterRetryable(plan, error, now, cadence);
        return;
      case 'slow':
        // 403, 402, 400/422, 409, unsupported, or Runwatch's own bug: asking again soon will not change the
        // answer. Keep the run, say why, and come back slowly.
        this.noteInternal(error, key);
        this.store.recordFailure(key, message);
        if (plan) this.backOffSlowly(plan, now, cadence);
    }
  }

  /** Runwatch's own failure on an answer (a mapper that threw) goes to the log as the bug it is. */
  private noteInternal(error: ProviderError, source: string): void {
    if (policyOf(error.kind).show === 'bug') this.deps.log?.error(`Runwatch could not process the answer for ${source}: ${redact(error.message)}`);
  }

  /** A bad or missing key: nothing more is sent for the provider until resumeProvider(). */
  private stopLane(lane: Lane, error: ProviderError, message: string): void {
    lane.stopped = true;
    this.clearTimer(lane);
    this.setHealth(lane, error.kind === 'auth' ? { state: 'authFailed', message } : { state: 'noKey' });
    this.settleLaneWaiters(lane);
  }

  private backOff(plan: Plan, until: number, reason: NonNullable<Plan['backoffReason']>): void {
    plan.failStreak++;
    plan.retryAt = until;
    plan.backoffReason = reason;
  }

  /** After an answer that asking again soon will not change: a back-off from a minute (or the cadence, if longer). */
  private backOffSlowly(plan: Plan, now: number, cadence: number): void {
    this.backOff(plan, now + this.jittered(Math.max(cadence, SLOW_BACKOFF_BASE_MS / this.timeScale), plan.failStreak + 1), 'slow');
  }

  /** After a retryable failure: when the provider said (Retry-After), else our own growing, jittered back-off. */
  private backOffAfterRetryable(plan: Plan, error: ProviderError, now: number, cadence: number): void {
    if (error.retryAfterMs !== undefined) {
      this.backOff(plan, now + clampRetryAfter(error.retryAfterMs), 'server');
      return;
    }
    // While the whole provider is backed off, its gate lets one probe through per round of at most
    // OUTAGE_PROBE_CADENCES. A run's own back-off, grown through the outage towards a minute, would space the
    // probes further apart than that and hide the provider's return (the benchmark's Talonic storm: seen
    // again 2.6–2.9 cadences after it ended), so it is capped at the gate's.
    const cap = this.lane(plan.provider).gate.isProbing ? OUTAGE_PROBE_CADENCES * cadence : undefined;
    this.backOff(plan, now + this.jittered(cadence, plan.failStreak + 1, cap), 'outage');
  }

  /**
   * A run's poll (or an account's list) that had been failing for an outage was just answered: that endpoint is
   * back. The provider's other polls of the same sort held back by their own outage back-off (up to a minute,
   * grown while it lasted) are asked again within one cadence instead, spread over it so that a provider just
   * back gets no burst; a Retry-After or a refusal keeps its time. (When the whole provider backed off, its
   * queued runs are overdue already and go with the first success; this is for an outage only some requests
   * saw, such as one endpoint's while the list still answered.)
   */
  private endOutageBackoffs(lane: Lane, now: number, sort: 'run' | 'list'): void {
    for (const plan of sort === 'list' ? this.lists.values() : this.plans.values()) {
      if (plan.provider !== lane.id || plan.failStreak === 0 || plan.backoffReason !== 'outage' || this.inFlight.has(plan.key)) continue;
      const cadence = this.planCadence(plan, now);
      // Never sooner than a cadence after its last request: a back-off must not end faster than the cadence.
      const soon = Math.max(now + this.random() * cadence, (plan.lastAttemptAt ?? -Infinity) + cadence);
      if (plan.retryAt <= soon) continue;
      plan.retryAt = soon;
      this.requeue(plan, now);
    }
    this.arm(lane, now);
  }

  /** The interval a plan is asked at: its list's (the smallest of its runs'), or its run's; the fallback when unknown. */
  private planCadence(plan: Plan, now: number): number {
    if (plan.list) return Number.isFinite(plan.list.cadenceMs) ? plan.list.cadenceMs : FALLBACK_CADENCE_MS;
    const tracked = this.store.get(plan.key);
    return tracked ? this.cadence(tracked, now) : FALLBACK_CADENCE_MS;
  }

  /** Exponential back-off with full jitter above the cadence (see backoffDelay). */
  private jittered(base: number, attempt: number, capMs?: number): number {
    return backoffDelay(base, attempt, this.random, this.timeScale, capMs);
  }

  private setHealth(lane: Lane, health: ProviderHealth): void {
    if (sameHealth(lane.health, health)) return;
    lane.health = health;
    this.deps.onHealth(lane.id, health);
  }

  // ---- stuck detection ----

  private checkStuck(tracked: TrackedRun, now: number): void {
    const threshold = stuckThreshold(tracked.run, this.options.stuckAfterMs, this.deps.provider(tracked.run.provider));
    if (threshold === undefined || !(threshold > 0)) {
      if (tracked.stuck) this.store.setStuck(tracked.key, false);
      return;
    }
    const stuck = isStuck(tracked, threshold, now);
    if (stuck === tracked.stuck) return;
    if (this.store.setStuck(tracked.key, stuck) && stuck) this.deps.onStuck?.(tracked.key);
  }

  // ---- refreshNow() waiters ----

  private settleLaneWaiters(lane: Lane): void {
    for (const plan of lane.queue.items) settle(plan);
  }

  private settleAllWaiters(): void {
    for (const plan of this.plans.values()) settle(plan);
    for (const plan of this.lists.values()) settle(plan);
  }
}

/** The key of an account's list poll; never a run's key (those are `provider:id`). */
function listKeyOf(account: string): string {
  return `list\u0000${account}`;
}

function settle(plan: Plan): void {
  const waiters = plan.waiters.splice(0);
  for (const resolve of waiters) resolve();
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sameHealth(a: ProviderHealth, b: ProviderHealth): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
