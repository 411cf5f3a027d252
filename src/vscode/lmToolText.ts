// What the chat tools return: runs as plain text a model can quote, in the tree's own words (row label, row
// description, stage rows, error rows) plus the ids it needs for the next call. Everything leaves through
// redact(): no key, share token or registered secret reaches a chat transcript. Pure (no `vscode`).
import { redact, redactedLine, redactDeep } from '../core/errors';
import { isActive, isTerminal, type ProviderId, type Run, type RunStatus } from '../core/run';
import type { TrackedRun } from '../core/store';
import { freshnessText, progressText, runDescription, runLabel, runTitle, stageLabel } from './tree/format';
import { stageDescription, stageStateWords } from './tree/stageText';

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
  add('Provider', `${ctx.providerName(run.provider)} (${run.provider})`);
  add('Account', `${redactedLine(ctx.accountLabel(run))} (id ${redactedLine(run.accountId)})`);
  add('Run id', redactedLine(run.id));
  add('Status', `${run.status}${run.rawStatus && run.rawStatus !== run.status ? ` (provider says "${redactedLine(run.rawStatus)}")` : ''}`);
  add('Summary', redactedLine(runDescription(t, ctx.now)));
  add('Progress', progressText(run.progress) && redactedLine(progressText(run.progress)!));
  add('Stage detail', run.progress?.detail && redactedLine(run.progress.detail));
  add('Started', run.startedAt);
  add('Finished', run.finishedAt);
  add('Freshness', freshnessText(t, ctx.now));
  if ((t.stale || t.gone) && t.lastError) add('Last refresh error', redactedLine(t.lastError));
  const stages = run.progress?.stages ?? [];
  if (stages.length) {
    lines.push('Stages:');
    for (const stage of stages) {
      const description = stageDescription(stage, isActive(run.status));
      lines.push(`  - ${redactedLine(stage.label || stage.id)}: ${stageStateWords(stage, isActive(run.status))}${description && description !== stage.state ? ` · ${redactedLine(description)}` : ''}`);
    }
  }
  if (run.error) {
    lines.push(`Error: ${redactedLine(run.error.message)}`);
    add('Failed in', run.error.step && redactedLine(stageLabel(run.progress, run.error.step)));
    add('Error code', run.error.code && redactedLine(run.error.code));
    add('What to do', run.error.hint && redactedLine(run.error.hint));
    const items = run.error.items ?? [];
    if (items.length) {
      lines.push(`Document errors (${items.length}):`);
      for (const item of items.slice(0, MAX_TOOL_ERROR_ITEMS)) {
        lines.push(`  - ${[item.label || item.id, item.phase, item.message].filter(Boolean).map(s => redactedLine(String(s))).join(' · ')}`);
      }
      if (items.length > MAX_TOOL_ERROR_ITEMS) lines.push(`  … and ${items.length - MAX_TOOL_ERROR_ITEMS} more (Runwatch: Show Error lists them all)`);
    }
  }
  if (run.result !== undefined) lines.push(`Result: ${resultSummary(run.result)}`);
  if (run.links?.length) lines.push(`Links: ${run.links.map(l => redactedLine(l.label)).join(', ')} (open them from the Runs view)`);
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
  return text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}… (cut; Runwatch: Show Result shows all of it)` : text;
}
