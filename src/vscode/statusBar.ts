// One status bar item for every run: the active run that matters most with its stage and progress, a
// count when several run, an ETA where progress allows, and an error look while a failure is unseen.
import * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import { estimateRemaining, formatDuration } from '../core/eta';
import type { Run } from '../core/run';
import type { StoreChange, TrackedRun } from '../core/store';
import { count } from '../core/intl';
import { freshnessText, kindLabel, md, progressText, startedAtMs, statusBarProgressText, statusWord } from './tree/format';

export interface StatusBarState {
  visible: boolean;
  text: string;
  /** Markdown source of the tooltip. */
  tooltip: string;
  /** What a screen reader says for the item: the text in words, without codicons. */
  accessibilityLabel: string;
  /** Theme color id of the background (`statusBarItem.errorBackground`) or undefined. */
  backgroundColor: string | undefined;
  command: string;
}

/** How long durations of finished runs are reused for ETAs before being recomputed. */
const HISTORY_TTL_MS = 60_000;
/** Redraw cadence while something is active (elapsed time, ETA, freshness). */
const TICK_MS = 5_000;

/** Running before queued (and unknown), then most recently started first. */
export function rankActive(runs: TrackedRun[]): TrackedRun[] {
  const weight = (t: TrackedRun) => (t.run.status === 'running' ? 0 : 1);
  return [...runs].sort((a, b) => weight(a) - weight(b) || startedAtMs(b) - startedAtMs(a));
}

export class RunStatusBar implements vscode.Disposable {
  static readonly COMMAND = 'runwatch.showActiveRuns';
  private readonly item: vscode.StatusBarItem;
  /** Runs seen turning `failed` in this session and not opened since. */
  private readonly failedUnseen = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private history: { at: number; byKind: Map<string, number[]> } | undefined;
  private current: StatusBarState = { visible: false, text: '', tooltip: '', accessibilityLabel: '', backgroundColor: undefined, command: RunStatusBar.COMMAND };

  constructor(
    private readonly service: RunwatchService,
    private readonly accountLabel: (run: Run) => string,
    private readonly now: () => number = Date.now,
  ) {
    this.item = vscode.window.createStatusBarItem('runwatch.status', vscode.StatusBarAlignment.Left, 100);
    this.item.name = 'Runwatch';
    this.item.command = RunStatusBar.COMMAND;
    this.disposables.push(this.item, service.store.onDidChange(change => this.onStoreChange(change)));
    this.update();
  }

  /** What the item shows now (for tests and the quick pick). */
  get state(): StatusBarState {
    return this.current;
  }

  /** Failures the user has not opened yet, newest first. */
  unseenFailures(): TrackedRun[] {
    return [...this.failedUnseen]
      .map(k => this.service.store.get(k))
      .filter((t): t is TrackedRun => !!t && t.run.status === 'failed' && !t.acknowledged)
      .reverse();
  }

  /** Marks a failure as something the user should see (e.g. one reported at start-up). */
  noteFailure(key: string): void {
    this.failedUnseen.add(key);
    this.schedule();
  }

  private onStoreChange(change: StoreChange): void {
    for (const t of change.transitions) {
      if (t.to === 'failed') this.failedUnseen.add(t.key);
    }
    this.schedule();
  }

  /** Coalesces bursts of store events (a list refresh) into one redraw. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.update();
    }, 50);
  }

  update(): void {
    const state = this.compute();
    this.current = state;
    this.item.text = state.text;
    this.item.tooltip = state.tooltip ? new vscode.MarkdownString(state.tooltip, true) : undefined;
    this.item.accessibilityInformation = state.visible ? { label: state.accessibilityLabel, role: 'button' } : undefined;
    this.item.backgroundColor = state.backgroundColor ? new vscode.ThemeColor(state.backgroundColor) : undefined;
    if (state.visible) this.item.show();
    else this.item.hide();
    const wantTimer = state.visible;
    if (wantTimer && !this.timer) this.timer = setInterval(() => this.update(), TICK_MS);
    if (!wantTimer && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private compute(): StatusBarState {
    const now = this.now();
    for (const key of [...this.failedUnseen]) {
      const t = this.service.store.get(key);
      if (!t || t.acknowledged || t.run.status !== 'failed') this.failedUnseen.delete(key);
    }
    const active = rankActive(this.service.store.active());
    const failed = this.unseenFailures();
    const base = { command: RunStatusBar.COMMAND };
    if (!active.length && !failed.length) return { ...base, visible: false, text: '', tooltip: '', accessibilityLabel: '', backgroundColor: undefined };

    const parts: string[] = [];
    const spoken: string[] = [];
    if (failed.length) {
      const f = failed[0];
      const what = this.kindBesideAccount(f.run);
      parts.push(
        active.length
          ? `$(error) ${vscode.l10n.t('{0} failed', failed.length)}`
          : `$(error) ${vscode.l10n.t('{0} failed', `${this.accountLabel(f.run)}${what ? ` · ${what}` : ''}`)}${failed.length > 1 ? ` (+${failed.length - 1})` : ''}`,
      );
      spoken.push(
        active.length || failed.length > 1
          ? vscode.l10n.t('{0} not opened yet', count(failed.length, { one: vscode.l10n.t('failed run'), other: vscode.l10n.t('failed runs') }))
          : vscode.l10n.t('{0}, failed', `${this.accountLabel(f.run)}${what ? `, ${what}` : ''}`),
      );
    }
    if (active.length) {
      parts.push(this.activeText(active[0], active.length - 1, now));
      spoken.unshift(this.activeWords(active[0], active.length - 1, now));
    }

    const tooltip: string[] = [];
    if (active.length) {
      tooltip.push(this.describe(active[0], now, true));
      if (active.length > 1) {
        tooltip.push('', `**${vscode.l10n.t('{0} active', count(active.length - 1, { one: vscode.l10n.t('more run'), other: vscode.l10n.t('more runs') }))}**`, '');
        for (const t of active.slice(1, 11)) tooltip.push(`- ${this.oneLine(t, now)}`);
        if (active.length > 11) tooltip.push(`- ${vscode.l10n.t('… and {0} more', active.length - 11)}`);
      }
    }
    if (failed.length) {
      tooltip.push('', `**${vscode.l10n.t('Failed, not yet opened')}**`, '');
      for (const t of failed.slice(0, 10)) {
        const kind = this.kindBesideAccount(t.run);
        tooltip.push(`- $(error) ${md(this.accountLabel(t.run))}${kind ? ` · ${md(kind)}` : ''}: ${md(t.run.error?.message ?? vscode.l10n.t('failed'))}`);
      }
    }
    tooltip.push('', `_${vscode.l10n.t('Click to pick a run.')}_`);
    return {
      ...base,
      visible: true,
      text: parts.join(' · '),
      tooltip: tooltip.join('\n'),
      accessibilityLabel: vscode.l10n.t('Runwatch: {0}. Click to pick a run.', spoken.join('; ')),
      backgroundColor: failed.length ? 'statusBarItem.errorBackground' : undefined,
    };
  }

  private icon(t: TrackedRun): string {
    if (t.stuck || t.stale) return '$(warning)';
    return t.run.status === 'running' ? '$(sync~spin)' : '$(clock)';
  }

  /** The kind in words, or undefined where the run is named after its account (a workflow): not the name twice. */
  private kindBesideAccount(run: Run): string | undefined {
    const kind = kindLabel(run, k => this.service.provider(run.provider).kindLabel?.(k));
    return kind.toLowerCase() === this.accountLabel(run).toLowerCase() ? undefined : kind;
  }

  /** What the item shows for the run that matters most: its stage and progress, or what it is and that it waits. */
  private activeProgress(t: TrackedRun): string {
    const kind = this.kindBesideAccount(t.run);
    const progress = statusBarProgressText(t.run.progress);
    if (progress) return progress;
    if (!kind) return statusWord(t.run.status);
    return t.run.status === 'queued' ? vscode.l10n.t('{0} queued', kind) : kind;
  }

  /** `$(sync~spin) acme.com · Evidence collection 4/6 · ~6m left (+2)`. */
  private activeText(t: TrackedRun, others: number, now: number): string {
    const eta = this.eta(t, now);
    return `${this.icon(t)} ${this.accountLabel(t.run)} · ${this.activeProgress(t)}${eta ? ` · ${vscode.l10n.t('~{0} left', formatDuration(eta))}` : ''}${others > 0 ? ` (+${others})` : ''}`;
  }

  /** The same in words: `acme.com, Evidence collection 4/6, running, about 6m left, 2 more runs active`. */
  private activeWords(t: TrackedRun, others: number, now: number): string {
    const eta = this.eta(t, now);
    const state = t.stuck ? vscode.l10n.t('stuck') : t.stale ? vscode.l10n.t('stale') : statusWord(t.run.status);
    const parts = [this.accountLabel(t.run), this.activeProgress(t)];
    if (state !== parts[1]) parts.push(state);
    if (eta) parts.push(vscode.l10n.t('about {0} left', formatDuration(eta)));
    if (others > 0) parts.push(vscode.l10n.t('{0} active', count(others, { one: vscode.l10n.t('more run'), other: vscode.l10n.t('more runs') })));
    return parts.join(', ');
  }

  eta(t: TrackedRun, now: number): number | undefined {
    if (t.run.status !== 'running') return undefined;
    return estimateRemaining({ progress: t.run.progress, startedAtMs: startedAtMs(t), now, pastDurationsMs: this.pastDurations(t.run, now) })?.remainingMs;
  }

  /** How long earlier successful runs of this kind took, recomputed at most once a minute. */
  private pastDurations(run: Run, now: number): number[] {
    if (!this.history || now - this.history.at > HISTORY_TTL_MS) {
      const byKind = new Map<string, number[]>();
      for (const t of this.service.store.all()) {
        if (t.run.status !== 'succeeded') continue;
        const start = Date.parse(t.run.startedAt ?? '');
        const end = Date.parse(t.run.finishedAt ?? '');
        if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) continue;
        const k = `${t.run.provider}:${t.run.kind}`;
        const list = byKind.get(k) ?? [];
        list.push(end - start);
        byKind.set(k, list);
      }
      this.history = { at: now, byKind };
    }
    return this.history.byKind.get(`${run.provider}:${run.kind}`) ?? [];
  }

  private oneLine(t: TrackedRun, now: number): string {
    const progress = progressText(t.run.progress);
    const kind = this.kindBesideAccount(t.run);
    return `${this.icon(t)} ${md(this.accountLabel(t.run))}${kind ? ` · ${md(kind)}` : ''}${progress ? ` · ${md(progress)}` : ''} · ${vscode.l10n.t('{0} for {1}', statusWord(t.run.status), formatDuration(now - startedAtMs(t)))}`;
  }

  private describe(t: TrackedRun, now: number, full: boolean): string {
    const run = t.run;
    const kind = this.kindBesideAccount(run);
    const lines = [`${this.icon(t)} **${md(this.accountLabel(run))}${kind ? ` · ${md(kind)}` : ''}** (${md(this.service.displayName(run.provider))})`, ''];
    const progress = progressText(run.progress);
    const current = run.progress?.current;
    lines.push(`- **${vscode.l10n.t('Run id')}:** \`${run.id.replace(/`/g, "'")}\``);
    lines.push(`- **${vscode.l10n.t('Status')}:** ${vscode.l10n.t('{0} for {1}', statusWord(run.status), formatDuration(now - startedAtMs(t)))}`);
    // The raw stage id beside its label, as the stage rows' tooltips give it.
    if (progress) lines.push(`- **${vscode.l10n.t('Progress')}:** ${md(progress)}${current && !progress.includes(current) ? ` (\`${current.replace(/`/g, "'")}\`)` : ''}`);
    if (full && run.progress?.detail) lines.push(`- **${vscode.l10n.t('Detail')}:** ${md(run.progress.detail)}`);
    const eta = this.eta(t, now);
    if (eta !== undefined) lines.push(`- ${vscode.l10n.t('**About {0} left** (estimated)', formatDuration(eta))}`);
    if (t.stuck) lines.push(`- **${vscode.l10n.t('Stuck')}:** ${vscode.l10n.t('the stage has not moved past the stuck threshold')}`);
    lines.push(`- **${vscode.l10n.t('Freshness')}:** ${md(freshnessText(t, now))}`);
    return lines.join('\n');
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}

