// Stuck detection: a running run whose stage has not moved for longer than its threshold. The scheduler
// checks it after every answer and when a run is woken; the threshold is the provider's or the user's.
import type { Run, RunProgress } from './run';
import type { TrackedRun } from './store';
import type { RunSource } from './ports';

/**
 * How long a running run may go without movement before it is stuck: the provider's own threshold for the kind
 * where it has one, else the user's where the run reports progress it can stall on. A run that reports nothing
 * (no stage, step, percentage, documents or detail) cannot be seen to stall: undefined, never stuck.
 */
export function stuckThreshold(run: Run, configuredMs: number, provider: Pick<RunSource, 'stuckThresholdMs'> | undefined): number | undefined {
  if (!(configuredMs > 0)) return undefined;
  const own = provider?.stuckThresholdMs?.(run, configuredMs);
  if (own !== undefined) return own;
  return reportsProgress(run.progress) ? configuredMs : undefined;
}

function reportsProgress(p: RunProgress | undefined): boolean {
  if (!p) return false;
  return !!(p.current || p.detail || p.stageStartedAt || p.stages?.length || p.documents || typeof p.index === 'number' || typeof p.percent === 'number');
}

/** Whether a running run has gone `thresholdMs` without moving: since its stage began, else since its last change. */
export function isStuck(tracked: TrackedRun, thresholdMs: number, now: number): boolean {
  const stageStartedAt = Date.parse(tracked.run.progress?.stageStartedAt ?? '');
  const since = Number.isFinite(stageStartedAt) ? stageStartedAt : tracked.lastChangedAt;
  return tracked.run.status === 'running' && !tracked.gone && now - since >= thresholdMs;
}
