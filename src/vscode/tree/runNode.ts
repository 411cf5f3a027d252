// A run row: status icon, kind, stage/progress and age; children are its stages, errors and results.
// The node object is cached by key and reads the store on every render, so firing it redraws it.
import * as vscode from 'vscode';
import { isActive, isTerminal, type ProviderId } from '../../core/run';
import type { TrackedRun } from '../../core/store';
import { ActionNode } from './actionNode';
import { runContext } from './contextValue';
import { runActionsWith } from '../runActions';
import { freshnessText, runDescription, runIcon, runLabel, runTooltipMarkdown, stageLabel, statusWord } from './format';
import { LinkNode } from './linkNode';
import { MessageNode } from './messageNode';
import { runNodeId, RunwatchNode, type TreeContext } from './node';
import { RunErrorNode } from './runErrorNode';
import { StageNode } from './stageNode';

/** Per-document error rows shown before "… and N more". */
export const MAX_ERROR_ROWS = 50;

export class RunNode extends RunwatchNode {
  readonly id: string;

  constructor(
    private readonly ctx: TreeContext,
    readonly key: string,
    readonly provider: ProviderId,
    readonly parent: RunwatchNode | undefined,
  ) {
    super();
    this.id = runNodeId(key);
  }

  get tracked(): TrackedRun | undefined {
    return this.ctx.service.store.get(this.key);
  }

  /** The provider's label for a kind id (`full` → `Analyze`), where it has one. */
  private readonly kindLabel = (kind: string): string | undefined => this.ctx.capabilities(this.provider).kindLabel(kind);

  /** `Analyze #4f9c21`: which run, without repeating the account the row sits under. */
  label(t: TrackedRun): string {
    return runLabel(t.run, this.ctx.accountLabel(this.provider, t.run.accountId), this.kindLabel);
  }

  contextValue(t: TrackedRun): string {
    const adapter = this.ctx.capabilities(this.provider);
    const caps = adapter.capabilities;
    const run = t.run;
    const actions = runActionsWith(adapter, t);
    const completedDocs = run.progress?.documents ? run.progress.documents.completed > 0 : true;
    return runContext(run.status, {
      cancellable: actions.cancel,
      rerunnable: actions.inputsKnown,
      stuck: t.stuck && !isTerminal(run.status),
      stale: t.stale,
      gone: t.gone,
      hasError: !!run.error || t.stale || t.gone,
      hasResult: caps.result && (run.result !== undefined || (isTerminal(run.status) && !!run.links?.length)),
      dataProduct: !!caps.dataProduct && isTerminal(run.status) && completedDocs,
      dashboard: !!adapter.dashboardUrl(run),
      tracked: t.pinned,
    });
  }

  private hasChildren(t: TrackedRun): boolean {
    const run = t.run;
    return !!(run.progress?.stages?.length || run.error || run.links?.length || run.result !== undefined || t.stale || t.gone || t.stuck || run.progress?.detail);
  }

  getTreeItem(): vscode.TreeItem {
    const t = this.tracked;
    if (!t) {
      // Removed between the event and the render: show a placeholder rather than throw.
      const gone = new vscode.TreeItem(vscode.l10n.t('(no longer tracked)'), vscode.TreeItemCollapsibleState.None);
      gone.id = this.id;
      return gone;
    }
    const item = new vscode.TreeItem(this.label(t), this.hasChildren(t) ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = runDescription(t, this.ctx.now());
    const icon = runIcon(t);
    item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    item.contextValue = this.contextValue(t);
    item.accessibilityInformation = { label: vscode.l10n.t('{0}, {1}, {2}', String(item.label), statusWord(t.run.status), String(item.description)) };
    return item;
  }

  override resolveTooltip(): vscode.MarkdownString | undefined {
    const t = this.tracked;
    if (!t) return undefined;
    const markdown = runTooltipMarkdown(t, {
      providerName: this.ctx.service.displayName(this.provider),
      accountLabel: this.ctx.accountLabel(this.provider, t.run.accountId),
      now: this.ctx.now(),
      kindLabel: this.kindLabel,
    });
    const tooltip = new vscode.MarkdownString(markdown);
    tooltip.supportThemeIcons = false;
    tooltip.isTrusted = false;
    return tooltip;
  }

  override getChildren(): RunwatchNode[] {
    const t = this.tracked;
    if (!t) return [];
    const run = t.run;
    const active = isActive(run.status);
    const out: RunwatchNode[] = [];
    if (t.gone) {
      out.push(new MessageNode(`${this.id}:gone`, this, vscode.l10n.t('The provider no longer knows this run'), 'warning', { tooltip: t.lastError, command: showErrorCommand(this.key) }));
    } else if (t.stale) {
      out.push(new MessageNode(`${this.id}:stale`, this, vscode.l10n.t('Stale: could not refresh'), 'warning', { description: freshnessText(t, this.ctx.now()), tooltip: t.lastError, command: showErrorCommand(this.key) }));
    }
    if (t.stuck && active) {
      // The row offers what can work here: cancel and start again, cancel only, or (no cancel) the details.
      const actions = runActionsWith(this.ctx.capabilities(this.provider), t);
      const next = actions.cancelAndRerun
        ? { description: vscode.l10n.t('Cancel and re-run…'), command: { title: vscode.l10n.t('Cancel and Re-run'), command: 'runwatch.cancelAndRerun', arguments: [this.key] } }
        : actions.cancel
          ? { description: vscode.l10n.t('Cancel…'), command: { title: vscode.l10n.t('Cancel Run'), command: 'runwatch.cancelRun', arguments: [this.key] } }
          : { description: vscode.l10n.t('{0} cannot cancel it', this.ctx.service.displayName(this.provider)), command: showErrorCommand(this.key) };
      out.push(new MessageNode(`${this.id}:stuck`, this, vscode.l10n.t('Stuck: the stage has not moved'), 'warning', next));
    }
    const stages = run.progress?.stages ?? [];
    stages.forEach((stage, i) => out.push(new StageNode(`${this.id}:stage:${i}:${stage.id}`, this, stage, active)));
    if (!stages.length && run.progress?.detail) {
      out.push(new MessageNode(`${this.id}:detail`, this, run.progress.detail, 'info', { icon: 'note' }));
    }
    if (run.error) {
      out.push(
        new RunErrorNode(`${this.id}:error`, this, this.key, run.error.message, {
          description: run.error.step ? vscode.l10n.t('in {0}', stageLabel(run.progress, run.error.step)) : undefined,
          tooltip: run.error.hint ? `${run.error.message}\n\n${run.error.hint}` : run.error.message,
          isItem: false,
        }),
      );
      const items = run.error.items ?? [];
      items.slice(0, MAX_ERROR_ROWS).forEach((e, i) =>
        out.push(
          new RunErrorNode(`${this.id}:docError:${i}:${e.id}`, this, this.key, e.label || e.id, {
            description: [e.phase, e.message].filter(Boolean).join(' · '),
            tooltip: `${e.label || e.id}${e.phase ? ` (${e.phase})` : ''}: ${e.message}`,
            isItem: true,
          }),
        ),
      );
      if (items.length > MAX_ERROR_ROWS) {
        out.push(new MessageNode(`${this.id}:moreErrors`, this, vscode.l10n.t('… and {0} more', items.length - MAX_ERROR_ROWS), 'info', { description: vscode.l10n.t('Show Error lists them all'), command: showErrorCommand(this.key) }));
      }
    }
    (run.links ?? []).forEach((link, i) => out.push(new LinkNode(`${this.id}:link:${i}`, this, link)));
    if (run.result !== undefined) {
      out.push(new ActionNode(`${this.id}:result`, this, { label: vscode.l10n.t('Show result'), command: 'runwatch.showResult', args: [this.key], icon: 'json' }));
    }
    return out;
  }
}

function showErrorCommand(key: string): vscode.Command {
  return { title: vscode.l10n.t('Show Error'), command: 'runwatch.showError', arguments: [key] };
}
