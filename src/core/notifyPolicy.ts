// When and how to tell the user that runs finished, failed or got stuck, without VS Code: which events
// pass the user's settings, how they are batched and worded, and what is said after time away or at
// start-up. The VS Code layer only shows what this decides.
import * as l10n from '@vscode/l10n';
import { Emitter, type Disposable } from './emitter';
import type { Logger } from './http';
import { documentErrorCount, finishedWithErrors, isActive, isTerminal, type Run } from './run';
import type { TrackedRun } from './store';
import { count } from './intl';
import { kindLabel, runTitle, stageLabel } from './labels';

export type NotifyKind = 'succeeded' | 'failed' | 'cancelled' | 'stuck';

export interface NotifyEvent {
  key: string;
  kind: NotifyKind;
  run: Run;
}

export interface NotificationPolicy {
  onSuccess: boolean;
  onFailure: boolean;
  onCancel: boolean;
  onStuck: boolean;
}

export interface NotificationBatch {
  events: NotifyEvent[];
  summary: string;
  /** The Runwatch view is visible and the window focused: show in the status bar only, no toast. */
  quiet: boolean;
  /** When the batch was shown (ms). */
  at: number;
}

export interface NotificationBatcherOptions {
  policy: NotificationPolicy;
  /** Events arriving within this window of the first are shown together (default 1500 ms). */
  batchWindowMs?: number;
  /** Asked at flush time. */
  quiet?: () => boolean;
  now?: () => number;
  /** How a run is named in a message (default: "Analyze on acme.com" from its kind and account). */
  describe?: (run: Run) => string;
  /** Where a failing listener is reported. */
  log?: Pick<Logger, 'error'>;
}

/** Transitions remembered to avoid repeats; beyond this the oldest are forgotten. */
const REMEMBERED_TRANSITIONS = 5000;

export class NotificationBatcher implements Disposable {
  private policy: NotificationPolicy;
  private readonly batchWindowMs: number;
  private readonly flushed: Emitter<NotificationBatch>;
  /** `key\0kind` of every transition already notified (or queued), in insertion order. */
  private readonly seen = new Set<string>();
  private pending: NotifyEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(private readonly options: NotificationBatcherOptions) {
    this.policy = { ...options.policy };
    this.batchWindowMs = options.batchWindowMs ?? 1500;
    this.flushed = new Emitter('notifications', options.log);
  }

  updatePolicy(policy: Partial<NotificationPolicy>): void {
    this.policy = { ...this.policy, ...policy };
  }

  onFlush(listener: (batch: NotificationBatch) => void): Disposable {
    return this.flushed.event(listener);
  }

  /** Queues an event; false when the settings exclude it or it was already notified for this run. */
  push(event: NotifyEvent): boolean {
    if (this.disposed || !allowed(this.policy, event.kind)) return false;
    const id = `${event.key}\u0000${event.kind}`;
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    if (this.seen.size > REMEMBERED_TRANSITIONS) this.seen.delete(this.seen.values().next().value!);
    this.pending.push(event);
    // The window starts at the first event and is not extended, so a steady stream still gets shown.
    if (!this.timer) this.timer = setTimeout(() => this.flush(), this.batchWindowMs);
    return true;
  }

  /** Shows what is queued now (deactivation, tests). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const events = this.pending;
    this.pending = [];
    const at = (this.options.now ?? Date.now)();
    const batch: NotificationBatch = { events, summary: summarize(events, this.options.describe), quiet: !!this.options.quiet?.(), at };
    this.flushed.fire(batch);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.flushed.dispose();
  }
}

function allowed(policy: NotificationPolicy, kind: NotifyKind): boolean {
  switch (kind) {
    case 'succeeded':
      return policy.onSuccess;
    case 'failed':
      return policy.onFailure;
    case 'cancelled':
      return policy.onCancel;
    case 'stuck':
      return policy.onStuck;
  }
}

/** The kind of a notification for a status, or undefined when the status is not worth one. */
export function notifyKindFor(status: Run['status']): NotifyKind | undefined {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled' ? status : undefined;
}

/** "Synthesize on brand-1": the run's kind, readable, and its account id (the VS Code layer passes labels). */
export function describeRun(run: Run): string {
  return run.accountId ? runTitle(run, run.accountId) : kindLabel(run);
}

/** One event: a specific sentence. Several: counts ("3 runs finished: 2 succeeded, 1 failed"). */
export function summarize(events: NotifyEvent[], describe: (run: Run) => string = describeRun): string {
  if (events.length === 1) return single(events[0], describe);
  const finished = events.filter(e => e.kind !== 'stuck');
  const stuck = events.length - finished.length;
  const parts: string[] = [];
  if (finished.length === 1) parts.push(single(finished[0], describe));
  else if (finished.length > 1) parts.push(l10n.t('{0} finished: {1}', runs(finished.length), breakdown(finished)));
  if (stuck > 0) parts.push(looksStuck(stuck));
  return parts.join('; ');
}

function single(event: NotifyEvent, describe: (run: Run) => string): string {
  const name = describe(event.run);
  switch (event.kind) {
    case 'succeeded':
      return finishedWithErrors(event.run) ? `${name} ${withErrorsText(event.run)}` : l10n.t('{0} succeeded', name);
    case 'failed': {
      const error = event.run.error;
      const reason = error?.message || l10n.t('the provider gave no reason');
      return error?.step ? l10n.t('{0} failed in {1}: {2}', name, stageLabel(event.run.progress, error.step), reason) : l10n.t('{0} failed: {1}', name, reason);
    }
    case 'cancelled':
      return l10n.t('{0} was cancelled', name);
    case 'stuck': {
      const stage = event.run.progress?.current ? stageLabel(event.run.progress, event.run.progress.current) : undefined;
      return stage ? l10n.t('{0} looks stuck in {1}: no progress for a long time', name, stage) : l10n.t('{0} looks stuck: no progress for a long time', name);
    }
  }
}

/** "finished with 2 document errors": a success that is not a clean one. */
export function withErrorsText(run: Run): string {
  const errors = documentErrorCount(run);
  if (errors === 1) return l10n.t('finished with 1 document error');
  return errors ? l10n.t('finished with {0} document errors', errors) : l10n.t('finished with errors: {0}', run.error?.message ?? '');
}

/** A notification about this event should offer Show Error: it failed, or it finished with errors. */
export function hasErrorsToShow(event: NotifyEvent): boolean {
  return event.kind === 'failed' || (event.kind === 'succeeded' && finishedWithErrors(event.run));
}

function breakdown(events: NotifyEvent[]): string {
  const count = (kind: NotifyKind) => events.filter(e => e.kind === kind).length;
  const out: string[] = [];
  const withErrors = events.filter(e => e.kind === 'succeeded' && finishedWithErrors(e.run)).length;
  const succeeded = count('succeeded') - withErrors;
  const failed = count('failed');
  const cancelled = count('cancelled');
  if (succeeded) out.push(l10n.t('{0} succeeded', succeeded));
  if (withErrors) out.push(l10n.t('{0} with errors', withErrors));
  if (failed) out.push(l10n.t('{0} failed', failed));
  if (cancelled) out.push(l10n.t('{0} cancelled', cancelled));
  return out.join(', ');
}

function runs(n: number): string {
  return count(n, { one: l10n.t('run'), other: l10n.t('runs') });
}

/** `1 run looks stuck`, `2 runs look stuck`. */
function looksStuck(n: number): string {
  return n === 1 ? l10n.t('{0} looks stuck', runs(n)) : l10n.t('{0} look stuck', runs(n));
}

/**
 * "While you were away: 3 runs finished, 1 failed": what happened while the window was unfocused for long.
 * `finished` counts every run that ended (the failures and cancellations included). Undefined when nothing did.
 */
export function awaySummary(events: NotifyEvent[]): string | undefined {
  const unique = new Map<string, NotifyEvent>();
  for (const e of events) unique.set(`${e.key}\u0000${e.kind}`, e);
  const all = [...unique.values()];
  const finishedKeys = new Set(all.filter(e => e.kind !== 'stuck').map(e => e.key));
  const failed = new Set(all.filter(e => e.kind === 'failed').map(e => e.key)).size;
  const cancelled = new Set(all.filter(e => e.kind === 'cancelled').map(e => e.key)).size;
  const stuck = new Set(all.filter(e => e.kind === 'stuck' && !finishedKeys.has(e.key)).map(e => e.key)).size;
  if (!finishedKeys.size && !stuck) return undefined;
  const parts: string[] = [];
  if (finishedKeys.size) {
    const text = [l10n.t('{0} finished', runs(finishedKeys.size))];
    if (failed) text.push(l10n.t('{0} failed', failed));
    if (cancelled) text.push(l10n.t('{0} cancelled', cancelled));
    parts.push(text.join(', '));
  }
  if (stuck) parts.push(looksStuck(stuck));
  return l10n.t('While you were away: {0}', parts.join('; '));
}

/**
 * Collects events while the window is unfocused; on refocus after more than `awayAfterMs`, returns the
 * "while you were away" summary (shorter absences return undefined: the normal notifications did).
 */
export class AwayTracker {
  private unfocusedAt: number | undefined;
  private events: NotifyEvent[] = [];
  private readonly now: () => number;

  constructor(private readonly options: { awayAfterMs: number; now?: () => number }) {
    this.now = options.now ?? (() => Date.now());
  }

  get away(): boolean {
    return this.unfocusedAt !== undefined;
  }

  record(event: NotifyEvent): void {
    if (this.unfocusedAt !== undefined) this.events.push(event);
  }

  /** Returns the summary to show when focus comes back after a long absence. */
  setFocused(focused: boolean): string | undefined {
    if (!focused) {
      if (this.unfocusedAt === undefined) {
        this.unfocusedAt = this.now();
        this.events = [];
      }
      return undefined;
    }
    const since = this.unfocusedAt;
    const events = this.events;
    this.unfocusedAt = undefined;
    this.events = [];
    if (since === undefined || this.now() - since < this.options.awayAfterMs) return undefined;
    return awaySummary(events);
  }
}

/** Runs that were active when the last session saved and are finished now: reported once at start-up. */
export function finishedWhileClosed(previousSnapshot: TrackedRun[], current: TrackedRun[]): TrackedRun[] {
  const wasActive = new Set(previousSnapshot.filter(t => isActive(t.run.status) && !t.gone).map(t => t.key));
  return current.filter(t => wasActive.has(t.key) && isTerminal(t.run.status));
}
