// The text of the read-only documents Runwatch opens: a run's error, its result, a data product. Plain text
// (JSON for the result), read in an editor as it is: no Markdown escapes (`\[2\]`, `\|`) for the user to see
// through, and nothing a provider string could turn into a link. Pure (no `vscode`), so the wording can be
// tested in plain Node.
import { redact, redactedLine } from '../core/errors';
import { formatDuration } from '../core/eta';
import { clockTime, count } from '../core/intl';
import { runTitle, stageLabel } from '../core/labels';
import { finishedWithErrors, isTerminal } from '../core/run';
import { withErrorsText } from '../core/notifyPolicy';
import type { TrackedRun } from '../core/store';
import { labelOutput } from '../providers/adlyse/adlyse';
import { costText, finishedAtMs, kindLabel, progressText, startedAtMs } from './tree/format';

export interface DocumentContext {
  providerName: string;
  accountLabel: string;
  /** When the text is written: what "as of" says. */
  now: number;
  /** The provider's label for a kind id, where it has one. */
  kindLabel?: (kind: string) => string | undefined;
}

function when(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? `${new Date(t).toLocaleString()} (${iso})` : iso;
}

/** One line of provider text: secrets redacted, line breaks and control characters folded into spaces. */
function line(value: string): string {
  return redactedLine(value).replace(/ {2,}/g, ' ');
}

/** A block of provider text (a message): secrets redacted, its own line breaks kept. */
function block(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  return redact(value).replace(/[\u0000-\u0009\u000b-\u001f\u007f]+/g, ' ').trim();
}

/** A heading a plain-text reader sees as one: the title, underlined. */
function heading(title: string, underline: '=' | '-'): string[] {
  return [title, underline.repeat(Math.max(3, [...title].length))];
}

/** Columns padded to line up in a monospace editor. */
function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => [...r[i]].length)));
  return rows.map(r => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('   ').trimEnd());
}

/** A label with the provider's raw id beside it, when they differ: `Evidence collection (evidence_collection)`. */
function withId(label: string, id: string): string {
  return label === id ? label : `${label} (${id})`;
}

/**
 * Freshness for a document: its text is written once and then stands still, so it says when it was written
 * ("as of") and when the provider last confirmed the run, as clock times rather than an age that goes stale.
 */
export function documentFreshness(t: Pick<TrackedRun, 'lastConfirmedAt' | 'stale' | 'failures' | 'gone'>, now: number): string {
  const confirmed = t.lastConfirmedAt === undefined ? 'not confirmed by the provider yet' : `last confirmed by the provider at ${clockTime(t.lastConfirmedAt)}`;
  const parts = [`as of ${clockTime(now)}, ${confirmed}`];
  if (t.gone) parts.push('the provider no longer knows this run');
  else if (t.stale) parts.push(`stale after ${count(t.failures, { one: 'failed refresh', other: 'failed refreshes' })}`);
  return parts.join('; ');
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
  if (finishedWithErrors(run)) steps.push('The other documents finished. Fix or replace the documents listed above and process them again.');
  if (run.status === 'failed' && !run.error?.hint) {
    steps.push(run.error?.items?.length ? 'Fix or replace the documents listed above, then start the run again ("Re-run").' : 'Try it again with "Re-run"; if it fails the same way, check the input and the provider dashboard.');
  }
  if (!steps.length) steps.push(run.status === 'succeeded' ? 'Nothing: this run succeeded.' : 'Nothing needs doing: Runwatch keeps watching this run.');
  return steps;
}

/** Plain text for "Show Error": message, where it failed, per-document errors, times, what to do next. */
export function errorDocument(t: TrackedRun, ctx: DocumentContext): string {
  const run = t.run;
  const title =
    run.status === 'failed' ? 'failed' : run.status === 'cancelled' ? 'was cancelled' : t.gone ? 'is gone' : t.stale ? 'is stale' : t.stuck ? 'is stuck' : finishedWithErrors(run) ? withErrorsText(run) : run.status;
  const lines: string[] = [...heading(`${line(runTitle(run, ctx.accountLabel, ctx.kindLabel))} ${title}`, '='), ''];
  const message = run.error?.message ?? (t.gone || t.stale ? t.lastError : undefined) ?? (run.status === 'failed' ? 'The provider gave no reason.' : 'This run has no error.');
  lines.push(...heading('What went wrong', '-'), block(message), '');
  const current = run.progress?.current;
  const facts: [string, string | undefined][] = [
    ['Provider', ctx.providerName],
    ['Account', `${ctx.accountLabel}${ctx.accountLabel !== run.accountId ? ` (${run.accountId})` : ''}`],
    ['Kind', run.kind ? withId(kindLabel(run, ctx.kindLabel), run.kind) : undefined],
    ['Run id', run.id],
    ['Status', `${run.status} (provider says "${run.rawStatus}")`],
    ['Failed in', run.error?.step ? withId(stageLabel(run.progress, run.error.step), run.error.step) : undefined],
    ['Progress when it stopped', progressText(run.progress) && `${progressText(run.progress)}${current && stageLabel(run.progress, current) !== current ? ` (${current})` : ''}`],
    ['Stage detail', run.progress?.detail],
    ['Error code', run.error?.code],
    ['Started', when(run.startedAt)],
    ['Finished', when(run.finishedAt)],
    ['Took', finishedAtMs(run) !== undefined ? formatDuration(finishedAtMs(run)! - startedAtMs(t)) : undefined],
    ['Cost', costText(run.cost)],
    ['Request id', requestIdOf(run.raw)],
    ['Freshness', documentFreshness(t, ctx.now)],
  ];
  for (const [label, value] of facts) if (value) lines.push(`${label}: ${line(value)}`);
  lines.push('');
  const items = run.error?.items ?? [];
  if (items.length) {
    lines.push(...heading(`Document errors (${items.length})`, '-'));
    const rows = items.map(item => [line(item.label && item.label !== item.id ? `${item.label} (${item.id})` : item.id), line(item.phase ?? '—'), line(item.message)]);
    lines.push(...columns([['Document', 'Phase', 'Error'], ...rows]), '');
  }
  const failedStages = (run.progress?.stages ?? []).filter(s => s.state === 'failed' || (s.counts?.errors ?? 0) > 0);
  if (failedStages.length) {
    lines.push(...heading('Stages with errors', '-'));
    for (const s of failedStages) {
      const errors = s.counts ? `, ${count(s.counts.errors, { one: 'error', other: 'errors' })}` : '';
      lines.push(`- ${line(s.label || s.id)}: ${s.state}${errors}${s.detail ? ` — ${line(s.detail)}` : ''}`);
    }
    lines.push('');
  }
  lines.push(...heading('What to do next', '-'));
  for (const step of nextSteps(t, ctx.now)) lines.push(`- ${line(step)}`);
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

/** Plain text for a Talonic data product. The share token is shown here (and nowhere else). */
export function dataProductDocument(t: TrackedRun, product: Record<string, unknown>, shareToken: string | undefined, ctx: DocumentContext): string {
  const lines = [...heading(`Data product from ${line(t.run.kind || 'pipeline')} on ${line(ctx.accountLabel)}`, '='), ''];
  lines.push(`Provider: ${line(ctx.providerName)}`, `Pipeline run: ${line(t.run.id)}`);
  for (const key of ['id', 'name', 'status', 'url', 'share_url', 'created_at']) {
    const value = product[key];
    if (typeof value === 'string' || typeof value === 'number') lines.push(`${key}: ${line(String(value))}`);
  }
  lines.push('');
  if (shareToken) {
    lines.push(...heading('Share token', '-'), 'Treat it like a password: anyone holding it can read the product. Runwatch does not store or log it.', '', `    ${shareToken}`, '');
  }
  // The product JSON may echo the token: show it here only, never in a log.
  lines.push(...heading('Product', '-'), JSON.stringify(product, null, 2), '');
  return lines.join('\n');
}
