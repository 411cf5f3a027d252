// The error of a run, and one row per failed document (Talonic); clicking opens the error document.
import * as vscode from 'vscode';
import { redact } from '../../core/errors';
import { plainContext } from './contextValue';
import { RunwatchNode } from './node';

export class RunErrorNode extends RunwatchNode {
  constructor(
    readonly id: string,
    readonly parent: RunwatchNode | undefined,
    readonly runKey: string,
    readonly label: string,
    readonly detail: { description?: string; tooltip?: string; isItem: boolean },
  ) {
    super();
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(redact(this.label), vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = this.detail.description && redact(this.detail.description);
    item.tooltip = redact(this.detail.tooltip ?? this.label);
    item.iconPath = new vscode.ThemeIcon(this.detail.isItem ? 'file' : 'error', new vscode.ThemeColor('list.errorForeground'));
    item.contextValue = plainContext('runError');
    item.command = { title: vscode.l10n.t('Show Error'), command: 'runwatch.showError', arguments: [this.runKey] };
    return item;
  }
}
