// What a stage row says, in text and to a screen reader. Pure (no `vscode`), so plain-Node tests can check it.
import * as l10n from '@vscode/l10n';
import { count } from '../../core/intl';
import type { RunStage } from '../../core/run';
import { ERROR_NOUN } from './format';

export function stageDescription(stage: RunStage, runActive: boolean): string | undefined {
  const parts: string[] = [];
  if (stage.counts) {
    const c = stage.counts;
    parts.push(l10n.t('{0} done', c.completed));
    if (c.running) parts.push(l10n.t('{0} running', c.running));
    if (c.pending) parts.push(l10n.t('{0} pending', c.pending));
    if (c.errors) parts.push(count(c.errors, ERROR_NOUN));
  }
  if (stage.scope === 'pipeline' && stage.rawStatus) parts.push(stage.rawStatus);
  if (stage.detail && (stage.state === 'current' || !runActive)) parts.push(stage.detail);
  if (!parts.length && stage.state !== 'done') parts.push(stageStateName(stage.state));
  return parts.join(' · ') || undefined;
}

/** The state in words, for screen readers: the icon alone says it only to those who see it. */
export function stageStateWords(stage: RunStage, runActive: boolean): string {
  switch (stage.state) {
    case 'done':
      return l10n.t('finished');
    case 'current':
      return runActive ? l10n.t('in progress') : l10n.t('stopped');
    case 'failed':
      return l10n.t('failed');
    case 'skipped':
      return l10n.t('skipped');
    default:
      return l10n.t('not started');
  }
}

/** A stage state in one word, as the row's description and the error document show it: `pending`, `failed`. */
export function stageStateName(state: RunStage['state']): string {
  switch (state) {
    case 'done':
      return l10n.t('done');
    case 'current':
      return l10n.t('current');
    case 'pending':
      return l10n.t('pending');
    case 'failed':
      return l10n.t('failed');
    case 'skipped':
      return l10n.t('skipped');
    default:
      return state;
  }
}

/** What a screen reader says for a stage row: `Evidence collection, finished` (and its description). */
export function stageAccessibilityLabel(stage: RunStage, runActive: boolean): string {
  const description = stageDescription(stage, runActive);
  const state = stageStateWords(stage, runActive);
  return [stage.label || stage.id, state, description && description !== stageStateName(stage.state) ? description : undefined].filter(Boolean).join(', ');
}
