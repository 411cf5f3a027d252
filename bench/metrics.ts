// What a policy's run is measured against, and how. Pure functions over simulated time (ms):
//
// - cadenceReference: one request per documented cadence interval (the adapter's own cadenceMs, at the run's
//   age and poll count) from when the polling window knew the run until the first grid point at or after it
//   finished (that request sees it finished). A client polling exactly at the cadence scores 1.00 on it.
// - lowerBound: the same grid with what a client may not or need not ask removed: no request inside a
//   Retry-After pause the provider announced (the grid restarts when it ends), GloriaMundo's budget of 60
//   polls a minute per key shared by its active runs, and, where a list endpoint carries the state a run row
//   shows, one request per account per cadence while any run there is active (times pages).
// - staleness: each lifecycle change from when the simulator made it to when the policy's model showed it,
//   in seconds and × the cadence then (the lower-bound client's interval: documented cadence or budget share).
import type { ProviderId, Run } from '../src/core/run';
import type { Provider } from '../src/providers/provider';
import type { LoggedRequest } from '../test/simulator/server';
import { percentile, round } from './stats';

/**
 * Providers whose list endpoint carries the state a run row shows, per /work/shared/providers.md:
 * Boring Marketing's `GET /brands/{id}/runs` returns full Run objects, unpaginated (one page). Talonic's
 * `GET /v1/pipelines` carries status but not the document progress the row shows, so its runs keep the
 * per-run bound; GloriaMundo and Adlyse have no list of runs, Automindz's is undocumented.
 */
export const LIST_CARRIES_ROW_STATE: Partial<Record<ProviderId, { pages: number }>> = { boringMarketing: { pages: 1 } };

export interface RunFacts {
  key: string;
  provider: ProviderId;
  accountId: string;
  /** Simulated ms: created (simulator), known to the polling window (policy's own), finished (simulator). */
  createdAt: number;
  knownAt: number;
  terminalAt: number;
  /** The run as last seen, for the adapter's cadence (Boring Marketing's depends on its kind). */
  run: Run;
}

export interface Pause {
  provider: ProviderId;
  from: number;
  to: number;
}

/** Retry-After in seconds (a number; an HTTP date is not used by the simulators). */
function retryAfterSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Every pause the server announced (an error answer with Retry-After), from the server's own log. */
export function pausesFromLog(log: LoggedRequest[]): Pause[] {
  const pauses: Pause[] = [];
  for (const r of log) {
    const seconds = retryAfterSeconds(r.retryAfter);
    if (seconds === undefined || r.status < 400 || r.provider === 'control' || r.provider === 'none') continue;
    pauses.push({ provider: r.provider, from: r.time, to: r.time + seconds * 1000 });
  }
  return pauses;
}

/**
 * Requests that reached the server inside a pause it had announced for that provider, by when the client
 * sent them (`receivedAt`: loopback, so send time), after `graceMs` to read the answer. Server side, every
 * request of both windows, lists and session calls included.
 */
export function retryAfterViolations(log: LoggedRequest[], pauses: Pause[], graceMs: number): { count: number; resumeMs: number[]; samples: string[] } {
  let count = 0;
  const samples: string[] = [];
  for (const r of log) {
    const sent = r.receivedAt ?? r.time;
    const inside = pauses.find(p => p.provider === r.provider && sent > p.from + graceMs && sent < p.to);
    if (!inside) continue;
    count++;
    if (samples.length < 3) samples.push(`${r.method} ${r.provider}${r.path}${r.tool ? ` ${r.tool}` : ''} sent ${Math.round((sent - inside.from) / 1000)} s into a ${Math.round((inside.to - inside.from) / 1000)} s pause`);
  }
  // After each pause: how long until the client asked that provider again.
  const resumeMs: number[] = [];
  for (const p of pauses) {
    const next = log.filter(r => r.provider === p.provider && (r.receivedAt ?? r.time) >= p.to).map(r => (r.receivedAt ?? r.time) - p.to);
    if (next.length) resumeMs.push(Math.min(...next));
  }
  return { count, resumeMs, samples };
}

const unpause = (t: number, pauses: Pause[]): number => {
  for (let moved = true, guard = 0; moved && guard < 100; guard++) {
    moved = false;
    for (const p of pauses) {
      if (t > p.from && t < p.to) {
        t = p.to;
        moved = true;
      }
    }
  }
  return t;
};

export interface GridOptions {
  pauses?: Pause[];
  /** Smallest interval allowed at t (GloriaMundo's budget share). */
  floorAt?(t: number): number;
}

/**
 * Requests of an ideal client for a group of runs answered by one request (one run; or an account's runs
 * where a list carries their state): a grid from the earliest known time; while any run of the group is
 * active the next request comes one (smallest) cadence later; the step that crosses a run's end confirms it.
 */
export function gridRequests(adapter: Provider, runs: RunFacts[], options: GridOptions = {}): number {
  const pauses = options.pauses ?? [];
  const polls = new Map<string, number>(runs.map(r => [r.key, 0]));
  let t = Math.min(...runs.map(r => r.knownAt));
  let count = 0;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const active = runs.filter(r => r.knownAt <= t && t < r.terminalAt);
    if (!active.length) {
      const later = runs.filter(r => r.knownAt > t).map(r => r.knownAt);
      if (!later.length) break;
      t = Math.min(...later);
      continue;
    }
    let c = Math.min(...active.map(r => adapter.cadenceMs(r.run, { ageMs: Math.max(0, t - r.createdAt), polls: polls.get(r.key)! })));
    if (options.floorAt) c = Math.max(c, options.floorAt(t));
    for (const r of active) polls.set(r.key, polls.get(r.key)! + 1);
    t = unpause(t + c, pauses);
    count++;
  }
  return count;
}

/** The documented-cadence reference for one run. */
export function cadenceReference(adapter: Provider, run: RunFacts): number {
  return gridRequests(adapter, [run]);
}

/** GloriaMundo's budget share at t: its active runs × (window ÷ requests). */
export function budgetFloor(adapter: Provider, runs: RunFacts[]): ((t: number) => number) | undefined {
  const budget = adapter.pollBudget;
  if (!budget) return undefined;
  return t => (runs.filter(r => r.knownAt <= t && t < r.terminalAt).length * budget.perMs) / budget.requests;
}

/** The lower bound for one provider's runs under one policy (its own pauses and known times). */
export function lowerBound(adapter: Provider, runs: RunFacts[], pauses: Pause[]): number {
  const floorAt = budgetFloor(adapter, runs);
  const options = { pauses: pauses.filter(p => p.provider === adapter.id), floorAt };
  const list = LIST_CARRIES_ROW_STATE[adapter.id];
  if (!list) return runs.reduce((a, r) => a + gridRequests(adapter, [r], options), 0);
  const byAccount = new Map<string, RunFacts[]>();
  for (const r of runs) byAccount.set(r.accountId, [...(byAccount.get(r.accountId) ?? []), r]);
  return [...byAccount.values()].reduce((a, group) => a + list.pages * gridRequests(adapter, group, options), 0);
}

/** The cadence at simulated time t on the run's reference grid, or the budget share when that is longer. */
export function cadenceAt(adapter: Provider, run: RunFacts, t: number, floorAt?: (t: number) => number): number {
  let at = run.knownAt;
  let polls = 0;
  let c = adapter.cadenceMs(run.run, { ageMs: Math.max(0, at - run.createdAt), polls });
  while (at + c <= t && polls < 100_000) {
    at += c;
    polls++;
    c = adapter.cadenceMs(run.run, { ageMs: Math.max(0, at - run.createdAt), polls });
  }
  return Math.max(c, floorAt?.(t) ?? 0);
}

export interface Stale {
  provider: ProviderId;
  ms: number;
  cadence: number;
}

export function stalenessSummary(list: Stale[]) {
  const ms = list.map(s => s.ms);
  const fraction = list.map(s => s.ms / s.cadence);
  return {
    changes: list.length,
    p50Ms: Math.round(percentile(ms, 50)),
    p95Ms: Math.round(percentile(ms, 95)),
    maxMs: Math.round(percentile(ms, 100)),
    p50: round(percentile(fraction, 50), 3),
    p95: round(percentile(fraction, 95), 3),
    max: round(percentile(fraction, 100), 3),
  };
}

/** A provider outage the bench injected (a 5xx storm): nobody can read a change made inside it before it ends. */
export interface Outage {
  provider: ProviderId;
  from: number;
  to: number;
}

/** Why a change was seen late. The first three are inherent (no compliant client sees it sooner); the rest are the policy's. */
export const STALE_CAUSES = ['notKnownYet', 'retryAfter', 'outage', 'timeout', 'errorAnswer', 'policy'] as const;
export type StaleCause = (typeof STALE_CAUSES)[number];

/**
 * When the polling window could first know of a change made at `tChange`: not before it knew the run, not inside
 * a Retry-After pause the provider announced to this policy, not inside an outage of the provider. A pause or
 * outage that began within one cadence after the change counts too: the lower-bound client's next request
 * (at most a cadence later) fell into it. (A pause starts when the answer announcing it left the server, so
 * two pauses back to back, the second announced to the first request after the first, chain.)
 */
export function knowableAt(tChange: number, run: Pick<RunFacts, 'provider' | 'knownAt'>, pauses: Pause[], outages: Outage[], cadenceMs = 0): { at: number; cause?: StaleCause } {
  let at = tChange;
  let cause: StaleCause | undefined;
  let longest = 0;
  const push = (to: number, why: StaleCause) => {
    if (to > at) {
      if (to - at > longest) {
        longest = to - at;
        cause = why;
      }
      at = to;
    }
  };
  push(run.knownAt, 'notKnownYet');
  for (let moved = true, guard = 0; moved && guard < 100; guard++) {
    moved = false;
    for (const p of pauses) {
      if (p.provider === run.provider && at >= p.from - cadenceMs && at < p.to) {
        push(p.to, 'retryAfter');
        moved = true;
      }
    }
    for (const o of outages) {
      if (o.provider === run.provider && at >= o.from - cadenceMs && at < o.to) {
        push(o.to, 'outage');
        moved = true;
      }
    }
  }
  return { at, cause };
}

export interface StaleDetail extends Stale {
  key: string;
  tChange: number;
  tSeen: number;
  /** When the window could first have known it (knowableAt). */
  knowable: number;
  cause: StaleCause | 'onTime';
}

/**
 * The cause of one late change. Inherent when its knowable time is later than the change itself (the largest
 * push wins); else, if it was seen more than `lateFactor` cadences after it was knowable, what the log shows
 * for that run meanwhile: a timed-out request, an error answer (count-limited 429/5xx), or nothing: the
 * policy's own timing.
 */
export function classifyStale(detail: Omit<StaleDetail, 'cause'>, inherent: StaleCause | undefined, runRequests: LoggedRequest[], lateFactor = 2): StaleCause | 'onTime' {
  if (inherent && detail.knowable - detail.tChange > detail.tSeen - detail.knowable) return inherent;
  if (detail.tSeen - detail.knowable <= lateFactor * detail.cadence) return inherent ?? 'onTime';
  const between = runRequests.filter(r => (r.receivedAt ?? r.time) >= detail.knowable - detail.cadence && (r.receivedAt ?? r.time) <= detail.tSeen);
  if (between.some(r => r.timedOut)) return 'timeout';
  if (between.some(r => r.status >= 429)) return 'errorAnswer';
  return 'policy';
}

/** Per cause: changes, how many were more than 3 cadences late, and their median lateness (× cadence). */
export function causeBreakdown(details: StaleDetail[]): Record<string, { changes: number; over3Cadences: number; medianCadence: number }> {
  const out: Record<string, { changes: number; over3Cadences: number; medianCadence: number }> = {};
  for (const cause of [...STALE_CAUSES, 'onTime'] as const) {
    const own = details.filter(d => d.cause === cause);
    if (!own.length) continue;
    const f = own.map(d => d.ms / d.cadence);
    out[cause] = { changes: own.length, over3Cadences: f.filter(x => x > 3).length, medianCadence: round(percentile(f, 50), 2) };
  }
  return out;
}
