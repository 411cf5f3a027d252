// What a stage row says, in text and to a screen reader. Pure (no `vscode`), so plain-Node tests can check it.
import { count } from '../../core/intl';
import type { RunStage } from '../../core/run';
import { ERROR_NOUN } from './format';

export function stageDescription(stage: RunStage, runActive: boolean): string | undefined {
  const parts: string[] = [];
  if (stage.counts) {
    const c = stage.counts;
    parts.push(`${c.completed} done`);
    if (c.running) parts.push(`${c.running} running`);
    if (c.pending) parts.push(`${c.pending} pending`);
    if (c.errors) parts.push(count(c.errors, ERROR_NOUN));
  }
  if (stage.scope === 'pipeline' && stage.rawStatus) parts.push(stage.rawStatus);
  if (stage.detail && (stage.state === 'current' || !runActive)) parts.push(stage.detail);
  if (!parts.length && stage.state !== 'done') parts.push(stage.state);
  return parts.join(' · ') || undefined;
}

/** The state in words, for screen readers: the icon alone says it only to those who see it. */
export function stageStateWords(stage: RunStage, runActive: boolean): string {
  switch (stage.state) {
    case 'done':
      return 'finished';
    case 'current':
      return runActive ? 'in progress' : 'stopped';
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'skipped';
    default:
      return 'not started';
  }
}

/** What a screen reader says for a stage row: `Evidence collection, finished` (and its description). */
export function stageAccessibilityLabel(stage: RunStage, runActive: boolean): string {
  const description = stageDescription(stage, runActive);
  const state = stageStateWords(stage, runActive);
  return [stage.label || stage.id, state, description && description !== stage.state ? description : undefined].filter(Boolean).join(', ');
}
