// What a run task's terminal says: one line per state change, in the tree's own words (the row label, the
// status, the progress text of src/vscode/tree/format.ts), the errors as the error rows read, and the outcome with
// its exit code. Pure (no `vscode`), so plain-Node tests can check the wording and the exit-code rules.
import * as l10n from '@vscode/l10n';
import { redactedLine } from '../core/errors';
import { stageLabel } from '../core/labels';
import { withErrorsText } from '../core/notifyPolicy';
import { finishedWithErrors, isTerminal, type Run } from '../core/run';
import type { TrackedRun } from '../core/store';
import { costText, progressText, statusWord } from './tree/format';

/** Per-document error lines written before "… and N more" (the tree shows as many rows). */
export const MAX_TASK_ERROR_LINES = 50;

/** One line of provider text: secrets redacted, line breaks folded, so a provider cannot forge terminal lines. */
/**
 * The run's state in one line, without anything that moves by itself (no ages), so a new line means a new
 * state: `Analyze #4f9c21 · running · Evidence collection · 4/6`, `… · queued`, `… · running · stale`.
 */
export function taskStateLine(t: TrackedRun, label: string): string {
  const run = t.run;
  const parts = [label, run.status === 'unknown' ? l10n.t('status "{0}"', redactedLine(run.rawStatus)) : statusWord(run.status)];
  const progress = progressText(run.progress);
  if (progress) parts.push(redactedLine(progress));
  if (run.progress?.detail) parts.push(redactedLine(run.progress.detail));
  if (t.gone) parts.push(l10n.t('gone'));
  else if (t.stuck && !isTerminal(run.status)) parts.push(l10n.t('stuck'));
  if (t.stale && !t.gone) parts.push(l10n.t('stale'));
  return parts.join(' · ');
}

/** The run's error as its error rows read: the message (in which stage), then one line per failed document. */
export function taskErrorLines(run: Run): string[] {
  if (!run.error) return [];
  const message = redactedLine(run.error.message);
  const lines = [`  ${run.error.step ? l10n.t('error: {0} (in {1})', message, stageLabel(run.progress, run.error.step)) : l10n.t('error: {0}', message)}`];
  if (run.error.hint) lines.push(`  ${l10n.t('hint: {0}', redactedLine(run.error.hint))}`);
  const items = run.error.items ?? [];
  for (const item of items.slice(0, MAX_TASK_ERROR_LINES)) {
    lines.push(`    ${[item.label || item.id, item.phase, item.message].filter(Boolean).map(s => redactedLine(String(s))).join(' · ')}`);
  }
  if (items.length > MAX_TASK_ERROR_LINES) lines.push(`    ${l10n.t('… and {0} more (Runwatch: Show Error lists them all)', items.length - MAX_TASK_ERROR_LINES)}`);
  return lines;
}

/** Ends a sentence once, whether or not the provider's text already did. */
function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

export interface TaskOutcome {
  exitCode: 0 | 1;
  text: string;
}

/**
 * How a finished run ends its task. 0 only for a clean success; 1 for a failure, a cancellation, a run the
 * provider no longer knows, and a success with document errors: a build step that depends on the run must not
 * go on as if every document came through. Undefined while the run is still going.
 */
export function taskOutcome(t: TrackedRun, label: string): TaskOutcome | undefined {
  const run = t.run;
  if (t.gone) return { exitCode: 1, text: sentence(t.lastError ? l10n.t('{0}: the provider no longer knows this run ({1})', label, redactedLine(t.lastError)) : l10n.t('{0}: the provider no longer knows this run', label)) };
  if (!isTerminal(run.status)) return undefined;
  const cost = costText(run.cost);
  const costPart = cost ? ` (${cost})` : '';
  switch (run.status) {
    case 'succeeded':
      if (finishedWithErrors(run)) return { exitCode: 1, text: sentence(`${label} ${redactedLine(withErrorsText(run))}${costPart}`) };
      return { exitCode: 0, text: sentence(`${l10n.t('{0} succeeded', label)}${costPart}`) };
    case 'failed': {
      const failed = run.error?.step ? l10n.t('{0} failed at {1}', label, stageLabel(run.progress, run.error.step)) : l10n.t('{0} failed', label);
      const message = run.error ? `: ${redactedLine(run.error.message).replace(/\.$/, '')}` : '';
      return { exitCode: 1, text: sentence(`${failed}${message}${costPart}`) };
    }
    default:
      return { exitCode: 1, text: sentence(`${l10n.t('{0} was cancelled', label)}${costPart}`) };
  }
}
