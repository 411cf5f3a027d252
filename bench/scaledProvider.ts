// A Provider decorator that lets the real scheduler run on simulated time S× faster than real time, and
// records every status poll it is asked for (one decorator per window, so polls are counted per window).
//
// The simulator runs its clock at S× real time; the scheduler keeps its real clock. So everything the
// adapter states in time is divided by S: the documented cadence and the budget window. The adapter is
// asked for its cadence at the run's simulated age (ages in the scheduler mix its real clock with the
// provider's simulated timestamps, so the decorator takes the age from the simulated clock instead).
import type { ProviderError } from '../src/core/errors';
import type { ProviderId, Run } from '../src/core/run';
import { keyOf, runKey } from '../src/core/run';
import type { Account, CadenceContext, KeyCheck, PipelineKind, Provider, RunPage, RunRef, StartResult } from '../src/providers/provider';

export interface PollRecord {
  window: string;
  provider: ProviderId;
  key: string;
  /** Real ms when the scheduler asked for the poll, and when the answer (or error) came back. */
  sentAt: number;
  settledAt: number;
  ok: boolean;
  errorKind?: string;
  status?: number;
  /** Retry-After (or X-RateLimit-Reset) the answer carried, real ms (the simulated value ÷ S). */
  retryAfterMs?: number;
  /** Documented cadence, simulated ms, that planned this poll (the one returned last for this run). */
  cadenceSim?: number;
}

export interface ScaleContext {
  scale: number;
  /** Simulated now, ms. */
  simNow(): number;
  /** Simulated time each run was created, by run key (the bench knows: it started them). */
  createdAtSim: Map<string, number>;
}

export class ScaledProvider implements Provider {
  readonly polls: PollRecord[] = [];
  private readonly lastCadence = new Map<string, number>();

  constructor(
    readonly inner: Provider,
    private readonly window: string,
    private readonly ctx: ScaleContext,
    /** False: keep no poll records (the soak measures the heap, and only needs the scaling). */
    private readonly record = true,
  ) {}

  get id(): ProviderId {
    return this.inner.id;
  }
  get displayName(): string {
    return this.inner.displayName;
  }
  get capabilities() {
    return this.inner.capabilities;
  }
  get keyHelp() {
    return this.inner.keyHelp;
  }

  get pollBudget(): { requests: number; perMs: number } | undefined {
    const budget = this.inner.pollBudget;
    return budget ? { requests: budget.requests, perMs: budget.perMs / this.ctx.scale } : undefined;
  }

  /** The documented cadence at the run's simulated age, in simulated ms. */
  documentedCadence(run: Run, polls: number, realAgeMs = 0): number {
    const created = this.ctx.createdAtSim.get(keyOf(run));
    const ageMs = created !== undefined ? Math.max(0, this.ctx.simNow() - created) : realAgeMs * this.ctx.scale;
    return this.inner.cadenceMs(run, { ageMs, polls });
  }

  cadenceMs(run: Run, context: CadenceContext): number {
    const documented = this.documentedCadence(run, context.polls, context.ageMs);
    this.lastCadence.set(keyOf(run), documented);
    return documented / this.ctx.scale;
  }

  async getRun(ref: RunRef): Promise<Run> {
    const key = runKey(this.id, ref.id);
    const record: PollRecord = { window: this.window, provider: this.id, key, sentAt: Date.now(), settledAt: 0, ok: false, cadenceSim: this.lastCadence.get(key) };
    if (this.record) this.polls.push(record);
    try {
      const run = await this.inner.getRun(ref);
      record.ok = true;
      return run;
    } catch (e) {
      const error = e as Partial<ProviderError>;
      record.errorKind = error.kind ?? 'unknown';
      record.status = error.status;
      // Retry-After is in simulated seconds like every other time here (the simulators compute it from
      // their clock): the client, on the real clock, waits that ÷ S.
      if (typeof error.retryAfterMs === 'number') (error as { retryAfterMs?: number }).retryAfterMs = error.retryAfterMs / this.ctx.scale;
      record.retryAfterMs = error.retryAfterMs;
      throw e;
    } finally {
      record.settledAt = Date.now();
    }
  }

  // Everything else is the adapter's own.
  dashboardUrl(run: Run): string | undefined {
    return this.inner.dashboardUrl?.(run);
  }
  checkKeyFormat(key: string): KeyCheck {
    return this.inner.checkKeyFormat(key);
  }
  validateKey(): Promise<void> {
    return this.inner.validateKey();
  }
  listAccounts(): Promise<Account[]> {
    return this.inner.listAccounts();
  }
  listRuns(account: Account, cursor?: string): Promise<RunPage> {
    return this.inner.listRuns(account, cursor);
  }
  listKinds(account: Account): Promise<PipelineKind[]> {
    return this.inner.listKinds(account);
  }
  startRun(account: Account, kind: PipelineKind, input: Record<string, unknown>): Promise<StartResult> {
    return this.inner.startRun(account, kind, input);
  }
  get cancelRun(): Provider['cancelRun'] {
    return this.inner.cancelRun?.bind(this.inner);
  }
  get addAccount(): Provider['addAccount'] {
    return this.inner.addAccount?.bind(this.inner);
  }
  async dispose(): Promise<void> {
    await this.inner.dispose?.();
  }
}
