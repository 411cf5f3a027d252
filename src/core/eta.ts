// Time-left estimates for the status bar, from a run's own progress rate or from how long earlier runs
// of the same kind took. Pure: the caller passes the clock.
import { unitAmount } from './intl';
import type { RunProgress } from './run';

/** Below this much elapsed time a rate says nothing yet. */
export const MIN_ELAPSED_FOR_RATE_MS = 5_000;
/** Below this fraction done a rate extrapolates too wildly to show. */
export const MIN_FRACTION_FOR_RATE = 0.05;
/** Under this fraction done, earlier runs of the kind are the better guide when there are any. */
const HISTORY_PREFERRED_BELOW = 0.2;

/**
 * How much of the run is done, 0..1, from what the provider reports: an overall percentage first,
 * then documents finished (completed or errored) out of the total, then stages before the current one.
 */
export function progressFraction(progress: RunProgress | undefined): number | undefined {
  if (!progress) return undefined;
  if (typeof progress.percent === 'number' && Number.isFinite(progress.percent)) {
    return clamp(progress.percent / 100);
  }
  const docs = progress.documents;
  if (docs && docs.total > 0) return clamp((docs.completed + docs.errors) / docs.total);
  if (typeof progress.index === 'number' && typeof progress.total === 'number' && progress.total > 0 && progress.index >= 1) {
    // "4/6" means stage 4 is under way: three are done.
    return clamp((progress.index - 1) / progress.total);
  }
  return undefined;
}

export interface EtaInput {
  progress?: RunProgress;
  /** When the run started (ms since epoch). */
  startedAtMs?: number;
  now: number;
  /** How long earlier successful runs of the same kind took (ms). */
  pastDurationsMs?: number[];
}

export interface Eta {
  remainingMs: number;
  basis: 'rate' | 'history';
}

/** Time left, or undefined when nothing honest can be said. */
export function estimateRemaining(input: EtaInput): Eta | undefined {
  if (input.startedAtMs === undefined || !Number.isFinite(input.startedAtMs)) return undefined;
  const elapsed = input.now - input.startedAtMs;
  if (elapsed < 0) return undefined;
  const fraction = progressFraction(input.progress);
  const typical = median((input.pastDurationsMs ?? []).filter(d => Number.isFinite(d) && d > 0));

  const fromHistory = typical !== undefined && typical > elapsed ? { remainingMs: typical - elapsed, basis: 'history' as const } : undefined;
  const rateUsable = fraction !== undefined && fraction >= MIN_FRACTION_FOR_RATE && fraction < 1 && elapsed >= MIN_ELAPSED_FOR_RATE_MS;
  if (!rateUsable) return fromHistory;
  if (fromHistory && fraction < HISTORY_PREFERRED_BELOW) return fromHistory;
  return { remainingMs: Math.round((elapsed * (1 - fraction)) / fraction), basis: 'rate' };
}

export function median(values: number[]): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A short duration for a narrow UI: `45s`, `3m`, `1h 5m`, `2d 3h` (the display language's narrow units). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return unitAmount(s, 'second');
  const m = Math.floor(s / 60);
  if (m < 60) return unitAmount(m, 'minute');
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${unitAmount(h, 'hour')} ${unitAmount(m % 60, 'minute')}` : unitAmount(h, 'hour');
  const d = Math.floor(h / 24);
  return h % 24 ? `${unitAmount(d, 'day')} ${unitAmount(h % 24, 'hour')}` : unitAmount(d, 'day');
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}
