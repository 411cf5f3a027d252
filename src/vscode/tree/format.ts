// How a run reads in a narrow UI: row descriptions, status bar progress, icons, tooltips. Pure and free of
// `vscode` imports, so plain-Node tests and the benchmark can load it.
import * as l10n from '@vscode/l10n';
import { redact } from '../../core/errors';
import { formatDuration } from '../../core/eta';
import { count, currencyAmount, displayLocale, timeAgo } from '../../core/intl';
import { kindLabel, runTitle, stageLabel } from '../../core/labels';
import { finishedWithErrors, isTerminal, type Run, type RunCost, type RunProgress } from '../../core/run';
import type { TrackedRun } from '../../core/store';

export { humanizeId, kindLabel, runLabel, runTitle, shortRunId, stageLabel } from '../../core/labels';

export interface IconSpec {
  /** Codicon id, e.g. `loading~spin`. */
  id: string;
  /** Theme color id, when the icon should be tinted. */
  color?: string;
}

export function runIcon(t: Pick<TrackedRun, 'run' | 'stale' | 'stuck' | 'gone'>): IconSpec {
  if (t.gone || ((t.stuck || t.stale) && !isTerminal(t.run.status))) return { id: 'warning', color: 'list.warningForeground' };
  switch (t.run.status) {
    case 'running':
      return { id: 'loading~spin' };
    case 'queued':
      return { id: 'clock' };
    case 'succeeded':
      // Finished, but some documents failed: a check, in the warning colour.
      return { id: 'pass', color: finishedWithErrors(t.run) ? 'problemsWarningIcon.foreground' : 'testing.iconPassed' };
    case 'failed':
      return { id: 'error', color: 'testing.iconFailed' };
    case 'cancelled':
      return { id: 'circle-slash' };
    default:
      return { id: 'question' };
  }
}

// Getters: the translation is read when the noun is shown (the l10n bundle may load after this module).
export const ERROR_NOUN = {
  get one() {
    return l10n.t('error');
  },
  get other() {
    return l10n.t('errors');
  },
};

/** A run's status as a word: `running`, `failed`. */
export function statusWord(status: Run['status']): string {
  switch (status) {
    case 'queued':
      return l10n.t('queued');
    case 'running':
      return l10n.t('running');
    case 'succeeded':
      return l10n.t('succeeded');
    case 'failed':
      return l10n.t('failed');
    case 'cancelled':
      return l10n.t('cancelled');
    default:
      return l10n.t('unknown');
  }
}

function documentsText(docs: NonNullable<RunProgress['documents']>): string {
  const base = l10n.t('{0}/{1} docs', docs.completed, docs.total);
  return docs.errors ? `${base} · ${count(docs.errors, ERROR_NOUN)}` : base;
}

/**
 * Stage and progress for a tree row: `Evidence collection · 4/6`, `step 2/5 · Generate content · 40%`,
 * `15/24 docs · 1 error`. Undefined when the provider reports nothing.
 */
export function progressText(progress: RunProgress | undefined): string | undefined {
  return formatProgress(progress, ' · ', documentsText);
}

/**
 * The same, tighter, for the status bar: `Evidence collection 4/6`, `15/24 docs`. A step with a percentage
 * keeps the step's name (`step 2/5 · Generate content · 40%`): the number alone does not say what is running.
 */
export function statusBarProgressText(progress: RunProgress | undefined): string | undefined {
  return formatProgress(progress, ' ', docs => l10n.t('{0}/{1} docs', docs.completed, docs.total));
}

/** The one reading of a run's progress both texts share; they differ in separator and document wording. */
function formatProgress(
  progress: RunProgress | undefined,
  separator: string,
  documents: (docs: NonNullable<RunProgress['documents']>) => string,
): string | undefined {
  if (!progress) return undefined;
  if (progress.documents && progress.documents.total > 0) return documents(progress.documents);
  const hasIndex = hasStepIndex(progress);
  const percent = typeof progress.percent === 'number' && Number.isFinite(progress.percent) ? `${Math.round(progress.percent)}%` : undefined;
  const current = progress.current ? stageLabel(progress, progress.current) : undefined;
  if (hasIndex && percent) return [l10n.t('step {0}/{1}', progress.index!, progress.total!), current, percent].filter(Boolean).join(' · ');
  if (hasIndex) return [current, `${progress.index}/${progress.total}`].filter(Boolean).join(separator);
  if (percent) return [current, percent].filter(Boolean).join(separator);
  return current;
}

/** A step position worth showing: "step 0/5" before anything started says nothing. */
function hasStepIndex(progress: RunProgress): boolean {
  return typeof progress.index === 'number' && progress.index >= 1 && typeof progress.total === 'number' && progress.total > 0;
}

export function costText(cost: RunCost | undefined): string | undefined {
  if (!cost || typeof cost.amount !== 'number' || !Number.isFinite(cost.amount)) return undefined;
  if (cost.currency) return currencyAmount(cost.amount, cost.currency) ?? `${cost.amount.toFixed(2)} ${cost.currency}`;
  return count(Number(cost.amount.toFixed(4)), { one: l10n.t('credit'), other: l10n.t('credits') });
}

/** When the run started, in ms; falls back to when Runwatch first saw it. */
export function startedAtMs(t: Pick<TrackedRun, 'run' | 'firstSeenAt'>): number {
  const parsed = Date.parse(t.run.startedAt ?? '');
  return Number.isFinite(parsed) ? parsed : t.firstSeenAt;
}

export function finishedAtMs(run: Run): number | undefined {
  const parsed = Date.parse(run.finishedAt ?? '');
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** `Evidence collection · 4/6 · 3m`, `failed at Evidence collection · 2h ago`, `… · stale`. Ages stay compact: rows are narrow. */
export function runDescription(t: TrackedRun, now: number): string {
  const run = t.run;
  const parts: string[] = [];
  if (run.status === 'unknown') parts.push(l10n.t('status "{0}"', run.rawStatus ?? ''));
  if (isTerminal(run.status)) {
    if (run.status === 'failed' && run.error?.step) parts.push(l10n.t('failed at {0}', stageLabel(run.progress, run.error.step)));
    else if (run.progress?.documents && run.progress.documents.total > 0) parts.push(documentsText(run.progress.documents));
    else if (finishedWithErrors(run)) parts.push(l10n.t('finished with errors'));
    const cost = costText(run.cost);
    if (cost) parts.push(cost);
    const finished = finishedAtMs(run) ?? t.lastChangedAt;
    parts.push(l10n.t('{0} ago', formatDuration(now - finished)));
  } else {
    const progress = progressText(run.progress);
    if (progress) parts.push(progress);
    else if (run.status === 'queued') parts.push(l10n.t('queued'));
    parts.push(formatDuration(now - startedAtMs(t)));
  }
  if (t.gone) parts.push(l10n.t('gone'));
  else if (t.stuck && !isTerminal(run.status)) parts.push(l10n.t('stuck'));
  if (t.stale && !t.gone) parts.push(l10n.t('stale'));
  return parts.join(' · ');
}

/** "updated 12 seconds ago", or why not. */
export function freshnessText(t: Pick<TrackedRun, 'lastConfirmedAt' | 'stale' | 'failures' | 'lastError' | 'gone'>, now: number): string {
  const base = t.lastConfirmedAt === undefined ? l10n.t('not confirmed by the provider yet') : l10n.t('updated {0}', timeAgo(now - t.lastConfirmedAt));
  if (t.gone) return l10n.t('{0}; the provider no longer knows this run', base);
  if (t.stale) return l10n.t('{0}; stale after {1}', base, count(t.failures, { one: l10n.t('failed refresh'), other: l10n.t('failed refreshes') }));
  return base;
}

/** Escapes text for Markdown so provider strings cannot inject links or formatting. */
export function md(text: string): string {
  return redact(text).replace(/([\\`*_{}[\]()#+\-.!|<>~])/g, '\\$1');
}

function code(text: string): string {
  const clean = redact(text).replace(/`/g, "'");
  return `\`${clean}\``;
}

function isoLocal(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toLocaleString(displayLocale()) : iso;
}

/** A provider value for one line of the tooltip: JSON for structures, cut short. */
export function fieldValue(value: unknown, max = 160): string {
  let text: string;
  if (value === null) text = 'null';
  else if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  text = redact(text);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Flattens one level of nesting (`meta.current_stage`) so the tooltip lists what the provider sent. */
export function flattenFields(raw: Record<string, unknown> | undefined, limit = 40): [string, unknown][] {
  if (!raw) return [];
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length <= 12) {
      for (const [sub, subValue] of Object.entries(value as Record<string, unknown>)) out.push([`${key}.${sub}`, subValue]);
    } else {
      out.push([key, value]);
    }
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}

export interface TooltipContext {
  providerName: string;
  accountLabel: string;
  now: number;
  /** The provider's label for a kind id, where it has one. */
  kindLabel?: (kind: string) => string | undefined;
}

/** A human label with the provider's raw id beside it, when they differ: `Evidence collection (`evidence_collection`)`. */
function labelWithId(label: string, id: string): string {
  return label === id ? md(label) : `${md(label)} (${code(id)})`;
}

/** Markdown for a run's tooltip: every normalized field, freshness, then what the provider sent. */
export function runTooltipMarkdown(t: TrackedRun, ctx: TooltipContext): string {
  const run = t.run;
  const lines: string[] = [];
  lines.push(`**${md(runTitle(run, ctx.accountLabel, ctx.kindLabel))}** · ${md(ctx.providerName)}`, '');
  const add = (label: string, value: string | undefined) => {
    if (value) lines.push(`- **${label}:** ${value}`);
  };
  add(l10n.t('Status'), run.rawStatus && run.rawStatus !== run.status ? l10n.t('{0} (provider says {1})', md(statusWord(run.status)), code(run.rawStatus)) : md(statusWord(run.status)));
  add(l10n.t('Run id'), code(run.id));
  if (run.kind) add(l10n.t('Kind'), labelWithId(kindLabel(run, ctx.kindLabel), run.kind));
  add(l10n.t('Account id'), code(run.accountId));
  add(l10n.t('Started'), isoLocal(run.startedAt));
  add(l10n.t('Finished'), isoLocal(run.finishedAt));
  const start = startedAtMs(t);
  const end = finishedAtMs(run) ?? (isTerminal(run.status) ? undefined : ctx.now);
  if (end !== undefined) add(isTerminal(run.status) ? l10n.t('Took') : l10n.t('Running for'), formatDuration(end - start));
  if (typeof run.durationSeconds === 'number') add(l10n.t('Duration (provider)'), formatDuration(run.durationSeconds * 1000));
  const progress = progressText(run.progress);
  const current = run.progress?.current;
  add(l10n.t('Progress'), progress ? `${md(progress)}${current && stageLabel(run.progress, current) !== current ? ` (${code(current)})` : ''}` : undefined);
  add(l10n.t('Stage detail'), run.progress?.detail ? md(run.progress.detail) : undefined);
  add(l10n.t('Stage started'), isoLocal(run.progress?.stageStartedAt));
  add(l10n.t('Cost'), costText(run.cost));
  if (run.cost?.lines) add(l10n.t('Cost lines'), Object.entries(run.cost.lines).map(([k, v]) => `${md(k)} ${v}`).join(', '));
  if (run.error) {
    add(l10n.t('Error'), md(run.error.message));
    add(l10n.t('Failed in'), run.error.step ? labelWithId(stageLabel(run.progress, run.error.step), run.error.step) : undefined);
    if (run.error.items?.length) add(l10n.t('Document errors'), String(run.error.items.length));
  }
  if (run.links?.length) add(l10n.t('Links'), run.links.map(l => md(l.label)).join(', '));
  if (t.stuck && !isTerminal(run.status)) add(l10n.t('Stuck'), l10n.t('the stage has not moved past the stuck threshold'));
  add(l10n.t('Freshness'), md(freshnessText(t, ctx.now)));
  if ((t.stale || t.gone) && t.lastError) add(l10n.t('Last refresh error'), md(t.lastError));
  const fields = flattenFields(run.raw);
  if (fields.length) {
    lines.push('', '---', '', `**${l10n.t('From the provider')}**`, '');
    for (const [key, value] of fields) lines.push(`- ${code(key)}: ${md(fieldValue(value))}`);
  }
  return lines.join('\n');
}
