// The peers: other tools' polling policies as small policy objects, each driving the SAME adapters over the
// SAME simulator as Runwatch's engine (with the same seed, workload and faults). Only when to ask differs.
// A policy is not a copy of any engine: it is the scheduling rule the tool documents, nothing more.
import type { ProviderError } from '../src/core/errors';
import { isTerminal, type ProviderId, type Run } from '../src/core/run';
import type { RunRef } from '../src/providers/provider';
import type { ScaledProvider } from './scaledProvider';

export interface PeerPolicy {
  name: string;
  /** One line for the table's notes and bench/README.md. */
  summary: string;
  /** Windows polling independently, each every run (2: the same tool open in two VS Code windows). */
  windows: 1 | 2;
  /** Skip polls while a Retry-After the provider announced is running (per provider, per window). */
  honoursRetryAfter: boolean;
  /** Per-run timer: simulated ms to the next poll, given the run's documented cadence then. */
  intervalMs?(documentedMs: number): number;
  /** One timer for every run (simulated ms): each tick polls every active run. */
  tickMs?: number;
  /**
   * Fire on the grid whether or not the previous answer came back (a pure fixed-rate timer). The self-test
   * needs it: on a busy machine a request can take longer than Adlyse's 1 s cadence, and waiting for it would
   * measure the machine's throughput instead of the metric.
   */
  firesWithoutWaiting?: boolean;
}

export const PEER_POLICIES: PeerPolicy[] = [
  {
    name: 'fixed-cadence',
    summary: "the metric's self-test: each active run polled at exactly its documented cadence, on a fixed grid from when it was known; Retry-After and budgets ignored, as the reference does",
    windows: 1,
    honoursRetryAfter: false,
    intervalMs: documented => documented,
    firesWithoutWaiting: true,
  },
  {
    name: 'gitlab-workflow-30s',
    summary: "GitLab Workflow's fixed 30 s refresh, per run (given Retry-After handling, to compare timing only)",
    windows: 1,
    honoursRetryAfter: true,
    intervalMs: () => 30_000,
  },
  {
    name: 'buildkite-10s',
    summary: "Buildkite's 10 s per active build (given Retry-After handling)",
    windows: 1,
    honoursRetryAfter: true,
    intervalMs: () => 10_000,
  },
  {
    name: 'jenkins-workbench-60s-tick',
    summary: "Jenkins Workbench's one 60 s tick that refreshes every active run (given Retry-After handling)",
    windows: 1,
    honoursRetryAfter: true,
    tickMs: 60_000,
  },
  {
    name: 'naive-2-windows',
    summary: 'a naive client at the documented cadence that ignores Retry-After and budgets, open in two windows that each poll every run',
    windows: 2,
    honoursRetryAfter: false,
    intervalMs: documented => documented,
  },
];

export interface PeerClock {
  /** Time scale S: simulated ms per real ms. */
  scale: number;
  simNow(): number;
}

interface PeerRun {
  key: string;
  provider: ProviderId;
  ref: RunRef;
  run: Run;
  createdSim: number;
  /** Polls sent so far (answered or not). */
  polls: number;
  inFlight: boolean;
  done: boolean;
}

/** One window of a peer tool: tracks runs and polls them by its policy through the window's adapters. */
export class PeerWindow {
  private readonly runs = new Map<string, PeerRun>();
  private readonly pausedUntilSim = new Map<ProviderId, number>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private disposed = false;

  constructor(
    readonly policy: PeerPolicy,
    private readonly adapters: Map<ProviderId, ScaledProvider>,
    private readonly clock: PeerClock,
    /** Simulated ms added to each run's first poll (a second window's timers are not in step with the first's). */
    private readonly phaseMs: () => number,
    /** Every successful answer, with the simulated time it arrived. */
    private readonly onAnswer: (key: string, run: Run, atSim: number) => void,
    /** Start of the shared tick grid (simulated ms). */
    tickOriginSim: number,
  ) {
    if (policy.tickMs) void this.tickLoop(tickOriginSim);
  }

  /** All tracked runs were seen finished. */
  get idle(): boolean {
    return [...this.runs.values()].every(r => r.done);
  }

  unfinished(): string[] {
    return [...this.runs.values()].filter(r => !r.done).map(r => r.key);
  }

  /** A run this window knows of from `knownSim` on (its start answer: queued or running). */
  track(key: string, ref: RunRef, run: Run, createdSim: number, knownSim: number): void {
    if (this.runs.has(key)) return;
    const r: PeerRun = { key, provider: run.provider, ref, run, createdSim, polls: 0, inFlight: false, done: isTerminal(run.status) };
    this.runs.set(key, r);
    if (this.policy.intervalMs && !r.done) void this.runLoop(r, knownSim + this.phaseMs());
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private sleepUntilSim(atSim: number): Promise<void> {
    const ms = Math.max(0, (atSim - this.clock.simNow()) / this.clock.scale);
    return new Promise(resolve => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private paused(provider: ProviderId): number {
    return this.policy.honoursRetryAfter ? (this.pausedUntilSim.get(provider) ?? 0) : 0;
  }

  /** A per-run timer on a fixed grid: planned += interval, so the round trip never stretches it. */
  private async runLoop(r: PeerRun, knownSim: number): Promise<void> {
    const interval = (atSim: number) => this.policy.intervalMs!(this.adapters.get(r.provider)!.inner.cadenceMs(r.run, { ageMs: Math.max(0, atSim - r.createdSim), polls: r.polls }));
    let planned = knownSim + interval(knownSim);
    while (!r.done && !this.disposed) {
      await this.sleepUntilSim(Math.max(planned, this.paused(r.provider)));
      if (r.done || this.disposed) return;
      const pause = this.paused(r.provider);
      if (pause > this.clock.simNow()) {
        // A pause began meanwhile: the grid restarts where it ends.
        planned = pause;
        continue;
      }
      // poll() counts itself before its first await, so the interval is read with this poll counted, as the
      // reference reads it (GloriaMundo's cadence depends on the poll count).
      const answered = this.poll(r);
      planned += interval(planned);
      if (!this.policy.firesWithoutWaiting) await answered;
    }
  }

  private async tickLoop(originSim: number): Promise<void> {
    const tick = this.policy.tickMs!;
    for (let k = 1; !this.disposed; k++) {
      await this.sleepUntilSim(originSim + k * tick);
      if (this.disposed) return;
      const now = this.clock.simNow();
      for (const r of this.runs.values()) {
        if (r.done || r.inFlight || this.paused(r.provider) > now) continue;
        void this.poll(r);
      }
    }
  }

  private async poll(r: PeerRun): Promise<void> {
    r.inFlight = true;
    r.polls++;
    try {
      const run = await this.adapters.get(r.provider)!.getRun(r.ref);
      r.run = run;
      this.onAnswer(r.key, run, this.clock.simNow());
      if (isTerminal(run.status)) r.done = true;
    } catch (e) {
      const error = e as Partial<ProviderError>;
      // ScaledProvider turned the simulated Retry-After into real ms; back to simulated for the pause.
      if (typeof error.retryAfterMs === 'number') {
        const until = this.clock.simNow() + error.retryAfterMs * this.clock.scale;
        this.pausedUntilSim.set(r.provider, Math.max(this.pausedUntilSim.get(r.provider) ?? 0, until));
      }
      if (error.kind === 'notFound') r.done = true;
    } finally {
      r.inFlight = false;
    }
  }
}
