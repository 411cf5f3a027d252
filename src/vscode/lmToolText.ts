// What the chat tools return: runs as plain text a model can quote, in the tree's own words (row label, row
// description, stage rows, error rows) plus the ids it needs for the next call. Everything leaves through
// redact(): no key, share token or registered secret reaches a chat transcript. Pure (no `vscode`).
import * as l10n from '@vscode/l10n';
import { redact, redactedLine, redactDeep } from '../core/errors';
import { isActive, isTerminal, type ProviderId, type Run, type RunStatus } from '../core/run';
import type { TrackedRun } from '../core/store';
import { freshnessText, progressText, runDescription, runLabel, runTitle, stageLabel } from './tree/format';
import { stageDescription, stageStateName, stageStateWords } from './tree/stageText';

export interface RunTextContext {
  now: number;
  providerName(id: ProviderId): string;
  accountLabel(run: Pick<Run, 'provider' | 'accountId'>): string;
  kindLabel(provider: ProviderId, kind: string): string | undefined;
}

/** The longest result summary a tool returns: enough to answer "what did it produce", not a dump. */
export const MAX_RESULT_CHARS = 2_000;
/** Per-document errors listed before "… and N more". */
export const MAX_TOOL_ERROR_ITEMS = 20;

function label(t: TrackedRun, ctx: RunTextContext): string {
  return runLabel(t.run, ctx.accountLabel(t.run), kind => ctx.kindLabel(t.run.provider, kind));
}

/** `- Boring Marketing · acme.com · Analyze #4f9c21 · running · Evidence collection · 4/6 · 3m (runId: run_…)` */
export function runListLine(t: TrackedRun, ctx: RunTextContext): string {
  const run = t.run;
  const status = run.status === 'unknown' ? `status "${redactedLine(run.rawStatus)}"` : run.status;
  return `- ${ctx.providerName(run.provider)} · ${redactedLine(ctx.accountLabel(run))} · ${redactedLine(label(t, ctx))} · ${status} · ${redactedLine(runDescription(t, ctx.now))} (provider: ${run.provider}, runId: ${redactedLine(run.id)})`;
}

export type StatusFilter = RunStatus | 'active' | 'finished' | 'any';

export function matchesStatus(run: Run, filter: StatusFilter): boolean {
  if (filter === 'any') return true;
  if (filter === 'active') return isActive(run.status);
  if (filter === 'finished') return isTerminal(run.status);
  return run.status === filter;
}

/** Active runs first, then failed ones, then the rest; newest first within each. */
export function listOrder(a: TrackedRun, b: TrackedRun): number {
  const rank = (t: TrackedRun) => (isActive(t.run.status) ? 0 : t.run.status === 'failed' ? 1 : 2);
  const started = (t: TrackedRun) => Date.parse(t.run.startedAt ?? '') || t.firstSeenAt;
  return rank(a) - rank(b) || started(b) - started(a);
}

/** Everything the tree and the error document show for one run, as text: progress, stages, error, result. */
export function runDetailText(t: TrackedRun, ctx: RunTextContext): string {
  const run = t.run;
  const lines: string[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value) lines.push(`${name}: ${value}`);
  };
  lines.push(`${redactedLine(runTitle(run, ctx.accountLabel(run), kind => ctx.kindLabel(run.provider, kind)))} — ${redactedLine(label(t, ctx))}`);
  add(l10n.t('Provider'), `${ctx.providerName(run.provider)} (${run.provider})`);
  add(l10n.t('Account'), l10n.t('{0} (id {1})', redactedLine(ctx.accountLabel(run)), redactedLine(run.accountId)));
  add(l10n.t('Run id'), redactedLine(run.id));
  add(l10n.t('Status'), run.rawStatus && run.rawStatus !== run.status ? l10n.t('{0} (provider says "{1}")', run.status, redactedLine(run.rawStatus)) : run.status);
  add(l10n.t('Summary'), redactedLine(runDescription(t, ctx.now)));
  add(l10n.t('Progress'), progressText(run.progress) && redactedLine(progressText(run.progress)!));
  add(l10n.t('Stage detail'), run.progress?.detail && redactedLine(run.progress.detail));
  add(l10n.t('Started'), run.startedAt);
  add(l10n.t('Finished'), run.finishedAt);
  add(l10n.t('Freshness'), freshnessText(t, ctx.now));
  if ((t.stale || t.gone) && t.lastError) add(l10n.t('Last refresh error'), redactedLine(t.lastError));
  const stages = run.progress?.stages ?? [];
  if (stages.length) {
    lines.push(`${l10n.t('Stages')}:`);
    for (const stage of stages) {
      const description = stageDescription(stage, isActive(run.status));
      lines.push(`  - ${redactedLine(stage.label || stage.id)}: ${stageStateWords(stage, isActive(run.status))}${description && description !== stageStateName(stage.state) ? ` · ${redactedLine(description)}` : ''}`);
    }
  }
  if (run.error) {
    lines.push(`${l10n.t('Error')}: ${redactedLine(run.error.message)}`);
    add(l10n.t('Failed in'), run.error.step && redactedLine(stageLabel(run.progress, run.error.step)));
    add(l10n.t('Error code'), run.error.code && redactedLine(run.error.code));
    add(l10n.t('What to do'), run.error.hint && redactedLine(run.error.hint));
    const items = run.error.items ?? [];
    if (items.length) {
      lines.push(`${l10n.t('Document errors ({0})', items.length)}:`);
      for (const item of items.slice(0, MAX_TOOL_ERROR_ITEMS)) {
        lines.push(`  - ${[item.label || item.id, item.phase, item.message].filter(Boolean).map(s => redactedLine(String(s))).join(' · ')}`);
      }
      if (items.length > MAX_TOOL_ERROR_ITEMS) lines.push(`  ${l10n.t('… and {0} more (Runwatch: Show Error lists them all)', items.length - MAX_TOOL_ERROR_ITEMS)}`);
    }
  }
  if (run.result !== undefined) lines.push(`${l10n.t('Result')}: ${resultSummary(run.result)}`);
  if (run.links?.length) lines.push(`${l10n.t('Links')}: ${l10n.t('{0} (open them from the Runs view)', run.links.map(l => redactedLine(l.label)).join(', '))}`);
  return lines.join('\n');
}

/** The result as compact JSON, redacted, cut at MAX_RESULT_CHARS. */
export function resultSummary(result: unknown): string {
  let text: string;
  try {
    text = typeof result === 'string' ? result : (JSON.stringify(redactDeep(result)) ?? String(result));
  } catch {
    text = String(result);
  }
  text = redact(text);
  return text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}… ${l10n.t('(cut; Runwatch: Show Result shows all of it)')}` : text;
}
