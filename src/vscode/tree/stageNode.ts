// One stage, step or phase of a run, as the provider reports it (never a hard-coded list).
import * as vscode from 'vscode';
import type { RunStage } from '../../core/run';
import { count } from '../../core/intl';
import { plainContext } from './contextValue';
import { ERROR_NOUN } from './format';
import { RunwatchNode } from './node';
import { stageAccessibilityLabel, stageDescription, stageStateWords } from './stageText';

export { stageDescription } from './stageText';

const STATE_ICONS: Record<RunStage['state'], { id: string; color?: string }> = {
  done: { id: 'pass', color: 'testing.iconPassed' },
  current: { id: 'loading~spin' },
  pending: { id: 'circle-outline' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  skipped: { id: 'debug-step-over' },
};

export class StageNode extends RunwatchNode {
  constructor(
    readonly id: string,
    readonly parent: RunwatchNode | undefined,
    readonly stage: RunStage,
    readonly runActive: boolean,
  ) {
    super();
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.stage.label || this.stage.id, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    // A current stage of a run that is no longer active is not spinning any more.
    const state = this.stage.state === 'current' && !this.runActive ? { id: 'circle-filled' } : STATE_ICONS[this.stage.state] ?? { id: 'circle-outline' };
    item.iconPath = new vscode.ThemeIcon(state.id, state.color ? new vscode.ThemeColor(state.color) : undefined);
    item.description = stageDescription(this.stage, this.runActive);
    item.contextValue = plainContext('stage');
    item.accessibilityInformation = { label: stageAccessibilityLabel(this.stage, this.runActive) };
    return item;
  }

  /** The human label, then the provider's raw id; provider text goes in through appendText, never as Markdown. */
  override resolveTooltip(): vscode.MarkdownString {
    const s = this.stage;
    const tooltip = new vscode.MarkdownString();
    const line = (label: string, value: string) => tooltip.appendMarkdown(`\n- **${label}:** `).appendText(value);
    tooltip.appendMarkdown('**').appendText(s.label || s.id).appendMarkdown('**');
    tooltip.appendMarkdown('\n');
    line(vscode.l10n.t('Id'), s.id);
    line(vscode.l10n.t('State'), stageStateWords(s, this.runActive));
    if (s.rawStatus) line(vscode.l10n.t('Provider status'), s.rawStatus);
    if (s.scope) line(vscode.l10n.t('Scope'), s.scope);
    if (s.counts) line(vscode.l10n.t('Documents'), vscode.l10n.t('{0} completed, {1} running, {2} pending, {3}', s.counts.completed, s.counts.running, s.counts.pending, count(s.counts.errors, ERROR_NOUN)));
    if (s.detail) line(vscode.l10n.t('Detail'), s.detail);
    return tooltip;
  }
}
