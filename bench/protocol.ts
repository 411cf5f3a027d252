// What the benchmark and its simulator process (simHost.ts) say to each other.
import type { BuiltinProviderId, ProviderId, RunStatus } from '../src/core/run';

/** Lifecycle position of a finished run; every earlier position is a smaller number. */
export const TERMINAL_ORD = 1_000_000;

export interface InitRequest {
  timeScale: number;
  /** One world per policy, by name. */
  worlds: string[];
  seed: number;
  /** Network latency injected on the polling front-ends, simulated ms [min, max], uniform. */
  latencyMs: [number, number];
  /** Share of REST GETs left unanswered (the client's timeout fires). */
  timeoutRate: number;
}

export interface SimInfo {
  /** SimClock origin: simulated now = origin + (Date.now() - origin) × timeScale. */
  origin: number;
  timeScale: number;
  /** Base URL per world, front-end (A, B: the two windows' pollers; S: where runs are started) and provider. */
  baseUrls: Record<string, Record<'A' | 'B' | 'S', Record<ProviderId, string>>>;
}

export interface PrepareRequest {
  world: string;
  provider: BuiltinProviderId;
  /** Sequence number of the run in the workload (names brands and workflows). */
  n: number;
  /** The provider simulator's own script type for the next run. */
  script: unknown;
}

export interface PrepareResult {
  accountId: string;
  accountLabel: string;
}

/** What the polling window's model showed for a run at simulated time t (one entry per change it showed). */
export interface Observation {
  t: number;
  status: RunStatus;
  /** The provider's own status string. */
  rawStatus: string;
  terminal: boolean;
  /** Boring Marketing: meta.current_stage. */
  stage?: string | null;
  /** GloriaMundo: progress.current_step; Talonic: documents completed + errored. */
  step?: number;
}

export interface Milestone {
  /** Lifecycle position reached. */
  ord: number;
  /** Simulated time the simulator entered it. */
  tChange: number;
  /** Simulated time Runwatch's store announced it (or a later state). */
  tSeen: number;
}

export interface OracleResult {
  key: string;
  found: boolean;
  createdAt: number;
  /** Simulated time the run became terminal. */
  terminalAt: number;
  milestones: Milestone[];
  anomalies: string[];
}

// ---- the soak (soak.ts) ----

export interface SoakSetup {
  /** Adlyse workflows whose input takes a `soak_tag`. */
  adlyseWorkflows: string[];
}

/** A run to create in the simulator directly, as if started outside Runwatch. */
export interface CreateRequest {
  world: string;
  provider: BuiltinProviderId;
  n: number;
  /** Simulated run length, ms. */
  durationMs: number;
}

export interface CreateResult {
  accountId: string;
  runId: string;
}

/** A run's status in the simulator, in Runwatch's words; queued and running are both 'active'. */
export type TruthStatus = 'active' | 'succeeded' | 'failed' | 'cancelled';

export interface SoakStats {
  /** Requests by "frontEnd:provider". */
  requests: Record<string, number>;
  /** Requests a fault answered, by fault class (chaos rule or scripted storm name). */
  faults: Record<string, number>;
  /** What each chaos rule drew, by class. */
  chaos: Record<string, number>;
}
