// The text of the read-only documents Runwatch opens: a run's error, its result, a data product. Plain text
// (JSON for the result), read in an editor as it is: no Markdown escapes (`\[2\]`, `\|`) for the user to see
// through, and nothing a provider string could turn into a link. Pure (no `vscode`), so the wording can be
// tested in plain Node.
import * as l10n from '@vscode/l10n';
import { redact, redactedLine } from '../core/errors';
import { formatDuration } from '../core/eta';
import { clockTime, count, displayLocale } from '../core/intl';
import { runTitle, stageLabel } from '../core/labels';
import { finishedWithErrors, isTerminal } from '../core/run';
import { withErrorsText } from '../core/notifyPolicy';
import type { TrackedRun } from '../core/store';
import { labelOutput } from '../providers/adlyse/adlyse';
import { costText, ERROR_NOUN, finishedAtMs, kindLabel, progressText, startedAtMs, statusWord } from './tree/format';
import { stageStateName } from './tree/stageText';

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
  return Number.isFinite(t) ? `${new Date(t).toLocaleString(displayLocale())} (${iso})` : iso;
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
  const confirmed = t.lastConfirmedAt === undefined ? l10n.t('not confirmed by the provider yet') : l10n.t('last confirmed by the provider at {0}', clockTime(t.lastConfirmedAt));
  const parts = [l10n.t('as of {0}, {1}', clockTime(now), confirmed)];
  if (t.gone) parts.push(l10n.t('the provider no longer knows this run'));
  else if (t.stale) parts.push(l10n.t('stale after {0}', count(t.failures, { one: l10n.t('failed refresh'), other: l10n.t('failed refreshes') })));
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
        ? l10n.t('The provider asked to wait {0} before trying again: re-run after {1}.', formatDuration(run.error.retryAfterSeconds * 1000), clockTime(at))
        : l10n.t('The provider asked to wait {0} before trying again; that time has passed, so a re-run can go now.', formatDuration(run.error.retryAfterSeconds * 1000)),
    );
  }
  if (t.gone) steps.push(l10n.t('The provider no longer knows this run. "Stop Tracking" removes it from Runwatch.'));
  else if (t.stale)
    steps.push(
      t.lastError
        ? l10n.t('Runwatch keeps trying to refresh this run and recovers by itself once the provider answers (last error: {0}).', redact(t.lastError))
        : l10n.t('Runwatch keeps trying to refresh this run and recovers by itself once the provider answers.'),
    );
  if (t.stuck && !isTerminal(run.status)) steps.push(l10n.t('The stage has not moved for longer than the stuck threshold: "Cancel and Re-run" stops it and starts it again.'));
  if (finishedWithErrors(run)) steps.push(l10n.t('The other documents finished. Fix or replace the documents listed above and process them again.'));
  if (run.status === 'failed' && !run.error?.hint) {
    steps.push(run.error?.items?.length ? l10n.t('Fix or replace the documents listed above, then start the run again ("Re-run").') : l10n.t('Try it again with "Re-run"; if it fails the same way, check the input and the provider dashboard.'));
  }
  if (!steps.length) steps.push(run.status === 'succeeded' ? l10n.t('Nothing: this run succeeded.') : l10n.t('Nothing needs doing: Runwatch keeps watching this run.'));
  return steps;
}

/** Plain text for "Show Error": message, where it failed, per-document errors, times, what to do next. */
export function errorDocument(t: TrackedRun, ctx: DocumentContext): string {
  const run = t.run;
  const name = line(runTitle(run, ctx.accountLabel, ctx.kindLabel));
  const title =
    run.status === 'failed'
      ? l10n.t('{0} failed', name)
      : run.status === 'cancelled'
        ? l10n.t('{0} was cancelled', name)
        : t.gone
          ? l10n.t('{0} is gone', name)
          : t.stale
            ? l10n.t('{0} is stale', name)
            : t.stuck
              ? l10n.t('{0} is stuck', name)
              : finishedWithErrors(run)
                ? `${name} ${withErrorsText(run)}`
                : `${name} ${statusWord(run.status)}`;
  const lines: string[] = [...heading(title, '='), ''];
  const message = run.error?.message ?? (t.gone || t.stale ? t.lastError : undefined) ?? (run.status === 'failed' ? l10n.t('The provider gave no reason.') : l10n.t('This run has no error.'));
  lines.push(...heading(l10n.t('What went wrong'), '-'), block(message), '');
  const current = run.progress?.current;
  const facts: [string, string | undefined][] = [
    [l10n.t('Provider'), ctx.providerName],
    [l10n.t('Account'), `${ctx.accountLabel}${ctx.accountLabel !== run.accountId ? ` (${run.accountId})` : ''}`],
    [l10n.t('Kind'), run.kind ? withId(kindLabel(run, ctx.kindLabel), run.kind) : undefined],
    [l10n.t('Run id'), run.id],
    [l10n.t('Status'), l10n.t('{0} (provider says "{1}")', statusWord(run.status), run.rawStatus ?? '')],
    [l10n.t('Failed in'), run.error?.step ? withId(stageLabel(run.progress, run.error.step), run.error.step) : undefined],
    [l10n.t('Progress when it stopped'), progressText(run.progress) && `${progressText(run.progress)}${current && stageLabel(run.progress, current) !== current ? ` (${current})` : ''}`],
    [l10n.t('Stage detail'), run.progress?.detail],
    [l10n.t('Error code'), run.error?.code],
    [l10n.t('Started'), when(run.startedAt)],
    [l10n.t('Finished'), when(run.finishedAt)],
    [l10n.t('Took'), finishedAtMs(run) !== undefined ? formatDuration(finishedAtMs(run)! - startedAtMs(t)) : undefined],
    [l10n.t('Cost'), costText(run.cost)],
    [l10n.t('Request id'), requestIdOf(run.raw)],
    [l10n.t('Freshness'), documentFreshness(t, ctx.now)],
  ];
  for (const [label, value] of facts) if (value) lines.push(`${label}: ${line(value)}`);
  lines.push('');
  const items = run.error?.items ?? [];
  if (items.length) {
    lines.push(...heading(l10n.t('Document errors ({0})', items.length), '-'));
    const rows = items.map(item => [line(item.label && item.label !== item.id ? `${item.label} (${item.id})` : item.id), line(item.phase ?? '—'), line(item.message)]);
    lines.push(...columns([[l10n.t('Document'), l10n.t('Phase'), l10n.t('Error')], ...rows]), '');
  }
  const failedStages = (run.progress?.stages ?? []).filter(s => s.state === 'failed' || (s.counts?.errors ?? 0) > 0);
  if (failedStages.length) {
    lines.push(...heading(l10n.t('Stages with errors'), '-'));
    for (const s of failedStages) {
      const errors = s.counts ? `, ${count(s.counts.errors, ERROR_NOUN)}` : '';
      lines.push(`- ${line(s.label || s.id)}: ${stageStateName(s.state)}${errors}${s.detail ? ` — ${line(s.detail)}` : ''}`);
    }
    lines.push('');
  }
  lines.push(...heading(l10n.t('What to do next'), '-'));
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
  if (run.result === undefined && !run.links?.length) doc.note = isTerminal(run.status) ? l10n.t('The provider returned no result for this run.') : l10n.t('The run has not finished yet.');
  return redact(JSON.stringify(doc, null, 2));
}

/** Plain text for a Talonic data product. The share token is shown here (and nowhere else). */
export function dataProductDocument(t: TrackedRun, product: Record<string, unknown>, shareToken: string | undefined, ctx: DocumentContext): string {
  const lines = [...heading(l10n.t('Data product from {0} on {1}', line(t.run.kind || l10n.t('pipeline')), line(ctx.accountLabel)), '='), ''];
  lines.push(`${l10n.t('Provider')}: ${line(ctx.providerName)}`, `${l10n.t('Pipeline run')}: ${line(t.run.id)}`);
  for (const key of ['id', 'name', 'status', 'url', 'share_url', 'created_at']) {
    const value = product[key];
    if (typeof value === 'string' || typeof value === 'number') lines.push(`${key}: ${line(String(value))}`);
  }
  lines.push('');
  if (shareToken) {
    lines.push(...heading(l10n.t('Share token'), '-'), l10n.t('Treat it like a password: anyone holding it can read the product. Runwatch does not store or log it.'), '', `    ${shareToken}`, '');
  }
  // The product JSON may echo the token: show it here only, never in a log.
  lines.push(...heading(l10n.t('Product'), '-'), JSON.stringify(product, null, 2), '');
  return lines.join('\n');
}
