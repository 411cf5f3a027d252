// One stage, step or phase of a run, as the provider reports it (never a hard-coded list).
import * as vscode from 'vscode';
import type { RunStage } from '../../core/run';
import { plainContext } from './contextValue';
import { md } from './format';
import { RunwatchNode } from './node';

const STATE_ICONS: Record<RunStage['state'], { id: string; color?: string }> = {
  done: { id: 'pass', color: 'testing.iconPassed' },
  current: { id: 'loading~spin' },
  pending: { id: 'circle-outline' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  skipped: { id: 'debug-step-over' },
};

export function stageDescription(stage: RunStage, runActive: boolean): string | undefined {
  const parts: string[] = [];
  if (stage.counts) {
    const c = stage.counts;
    parts.push(`${c.completed} done`);
    if (c.running) parts.push(`${c.running} running`);
    if (c.pending) parts.push(`${c.pending} pending`);
    if (c.errors) parts.push(`${c.errors} error${c.errors === 1 ? '' : 's'}`);
  }
  if (stage.scope === 'pipeline' && stage.rawStatus) parts.push(stage.rawStatus);
  if (stage.detail && (stage.state === 'current' || !runActive)) parts.push(stage.detail);
  if (!parts.length && stage.state !== 'done') parts.push(stage.state);
  return parts.join(' · ') || undefined;
}

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
    return item;
  }

  override resolveTooltip(): vscode.MarkdownString {
    const s = this.stage;
    const lines = [`**${md(s.label || s.id)}** (${md(s.id)})`, '', `- **State:** ${s.state}`];
    if (s.rawStatus) lines.push(`- **Provider status:** ${md(s.rawStatus)}`);
    if (s.scope) lines.push(`- **Scope:** ${s.scope}`);
    if (s.counts) lines.push(`- **Documents:** ${s.counts.completed} completed, ${s.counts.running} running, ${s.counts.pending} pending, ${s.counts.errors} errors`);
    if (s.detail) lines.push(`- **Detail:** ${md(s.detail)}`);
    return new vscode.MarkdownString(lines.join('\n'));
  }
}
