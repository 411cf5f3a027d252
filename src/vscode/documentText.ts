// The text of the read-only documents Runwatch opens: a run's error, its result, a data product. Pure (no
// `vscode`), so the wording can be tested in plain Node.
import { redact } from '../core/errors';
import { formatDuration } from '../core/eta';
import { finishedWithErrors, isTerminal } from '../core/run';
import { withErrorsText } from '../core/notifyPolicy';
import type { TrackedRun } from '../core/store';
import { labelOutput } from '../providers/adlyse/adlyse';
import { costText, finishedAtMs, freshnessText, progressText, startedAtMs } from './tree/format';

export interface DocumentContext {
  providerName: string;
  accountLabel: string;
  now: number;
}

function when(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? `${new Date(t).toLocaleString()} (${iso})` : iso;
}

/**
 * Markdown-safe inline text: provider strings cannot add headings, links or table cells. Underscores stay as
 * they are: the document is read as text in an editor, where `doc\_7` would be a wrong id to copy, and an
 * underscore inside a word never starts emphasis anyway.
 */
function text(value: string): string {
  return redact(value).replace(/([\\`*[\]<>|#])/g, '\\$1');
}

function requestIdOf(raw: Record<string, unknown> | undefined): string | undefined {
  if (!raw) return undefined;
  for (const key of ['request_id', 'requestId', 'x_request_id']) {
    const value = raw[key];
    if (typeof value === 'string' && value) return value;
  }
  const error = raw.error;
  if (error && typeof error === 'object') {
    const nested = (error as Record<string, unknown>).request_id ?? (error as Record<string, unknown>).requestId;
    if (typeof nested === 'string') return nested;
  }
  return undefined;
}

/** What the user can do next, in plain words. */
export function nextSteps(t: TrackedRun, now: number): string[] {
  const run = t.run;
  const steps: string[] = [];
  if (run.error?.hint) steps.push(redact(run.error.hint));
  if (run.error?.retryAfterSeconds !== undefined) {
    const base = finishedAtMs(run) ?? t.lastChangedAt;
    const at = base + run.error.retryAfterSeconds * 1000;
    steps.push(
      at > now
        ? `The provider asked to wait ${formatDuration(run.error.retryAfterSeconds * 1000)} before trying again: re-run after ${new Date(at).toLocaleTimeString()}.`
        : `The provider asked to wait ${formatDuration(run.error.retryAfterSeconds * 1000)} before trying again; that time has passed, so a re-run can go now.`,
    );
  }
  if (t.gone) steps.push('The provider no longer knows this run. "Stop Tracking" removes it from Runwatch.');
  else if (t.stale) steps.push(`Runwatch keeps trying to refresh this run and recovers by itself once the provider answers${t.lastError ? ` (last error: ${redact(t.lastError)})` : ''}.`);
  if (t.stuck && !isTerminal(run.status)) steps.push('The stage has not moved for longer than the stuck threshold: "Cancel and Re-run" stops it and starts it again.');
  if (run.status === 'failed' && !run.error?.hint) {
    steps.push(run.error?.items?.length ? 'Fix or replace the documents listed above, then start the run again ("Re-run").' : 'Try it again with "Re-run"; if it fails the same way, check the input and the provider dashboard.');
  }
  if (!steps.length) steps.push(run.status === 'succeeded' ? 'Nothing: this run succeeded.' : 'Nothing needs doing: Runwatch keeps watching this run.');
  return steps;
}

/** Markdown for "Show Error": message, where it failed, per-document errors, times, what to do next. */
export function errorDocument(t: TrackedRun, ctx: DocumentContext): string {
  const run = t.run;
  const title =
    run.status === 'failed' ? 'failed' : run.status === 'cancelled' ? 'was cancelled' : t.gone ? 'is gone' : t.stale ? 'is stale' : t.stuck ? 'is stuck' : finishedWithErrors(run) ? withErrorsText(run) : run.status;
  const lines: string[] = [`# ${text(run.kind || 'Run')} on ${text(ctx.accountLabel)} ${title}`, ''];
  const message = run.error?.message ?? (t.gone || t.stale ? t.lastError : undefined) ?? (run.status === 'failed' ? 'The provider gave no reason.' : 'This run has no error.');
  lines.push('## What went wrong', '', text(message), '');
  const facts: [string, string | undefined][] = [
    ['Provider', ctx.providerName],
    ['Account', `${ctx.accountLabel}${ctx.accountLabel !== run.accountId ? ` (${run.accountId})` : ''}`],
    ['Kind', run.kind],
    ['Run id', run.id],
    ['Status', `${run.status} (provider says "${run.rawStatus}")`],
    ['Failed in', run.error?.step],
    ['Progress when it stopped', progressText(run.progress)],
    ['Stage detail', run.progress?.detail],
    ['Error code', run.error?.code],
    ['Started', when(run.startedAt)],
    ['Finished', when(run.finishedAt)],
    ['Took', finishedAtMs(run) !== undefined ? formatDuration(finishedAtMs(run)! - startedAtMs(t)) : undefined],
    ['Cost', costText(run.cost)],
    ['Request id', requestIdOf(run.raw)],
    ['Freshness', freshnessText(t, ctx.now)],
  ];
  for (const [label, value] of facts) if (value) lines.push(`- **${label}:** ${text(value)}`);
  lines.push('');
  const items = run.error?.items ?? [];
  if (items.length) {
    lines.push(`## Document errors (${items.length})`, '', '| Document | Phase | Error |', '|---|---|---|');
    for (const item of items) {
      const name = item.label && item.label !== item.id ? `${item.label} (${item.id})` : item.id;
      lines.push(`| ${text(name)} | ${text(item.phase ?? '—')} | ${text(item.message)} |`);
    }
    lines.push('');
  }
  const failedStages = (run.progress?.stages ?? []).filter(s => s.state === 'failed' || (s.counts?.errors ?? 0) > 0);
  if (failedStages.length) {
    lines.push('## Stages with errors', '');
    for (const s of failedStages) lines.push(`- **${text(s.label || s.id)}**: ${s.state}${s.counts ? `, ${s.counts.errors} errors` : ''}${s.detail ? ` — ${text(s.detail)}` : ''}`);
    lines.push('');
  }
  lines.push('## What to do next', '');
  for (const step of nextSteps(t, ctx.now)) lines.push(`- ${text(step)}`);
  lines.push('');
  return lines.join('\n');
}

/** JSON for "Show Result": the run's identity, its result (Adlyse output labelled from its schema), links. */
export function resultDocument(t: TrackedRun, ctx: DocumentContext): string {
  const run = t.run;
  const doc: Record<string, unknown> = {
    provider: ctx.providerName,
    account: ctx.accountLabel,
    accountId: run.accountId,
    runId: run.id,
    kind: run.kind,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
  if (run.durationSeconds !== undefined) doc.durationSeconds = run.durationSeconds;
  if (run.cost) doc.cost = run.cost;
  if (run.provider === 'adlyse' && run.result !== undefined) {
    doc.output = labelOutput(run.result, run.raw?.output_schema).map(row => ({
      label: row.label,
      ...(row.key ? { key: row.key } : {}),
      value: row.value,
      ...(row.description ? { description: row.description } : {}),
    }));
    doc.rawOutput = run.result;
  } else if (run.result !== undefined) {
    doc.result = run.result;
  }
  if (run.links?.length) doc.links = run.links;
  if (run.result === undefined && !run.links?.length) doc.note = isTerminal(run.status) ? 'The provider returned no result for this run.' : 'The run has not finished yet.';
  return redact(JSON.stringify(doc, null, 2));
}

/** Markdown for a Talonic data product. The share token is shown here (and nowhere else). */
export function dataProductDocument(t: TrackedRun, product: Record<string, unknown>, shareToken: string | undefined, ctx: DocumentContext): string {
  const lines = [`# Data product from ${text(t.run.kind || 'pipeline')} on ${text(ctx.accountLabel)}`, ''];
  lines.push(`- **Provider:** ${text(ctx.providerName)}`, `- **Pipeline run:** ${text(t.run.id)}`);
  for (const key of ['id', 'name', 'status', 'url', 'share_url', 'created_at']) {
    const value = product[key];
    if (typeof value === 'string' || typeof value === 'number') lines.push(`- **${key}:** ${text(String(value))}`);
  }
  lines.push('');
  if (shareToken) {
    lines.push('## Share token', '', 'Treat it like a password: anyone holding it can read the product. Runwatch does not store or log it.', '', '```', shareToken, '```', '');
  }
  // The product JSON may echo the token: show it here only, never in a log.
  lines.push('## Product', '', '```json', JSON.stringify(product, null, 2), '```', '');
  return lines.join('\n');
}
