// A row that tells something: a load error, "No runs yet", why a run is stale or stuck, a stage detail.
import * as vscode from 'vscode';
import { plainContext } from './contextValue';
import { RunwatchNode } from './node';

export type MessageSeverity = 'info' | 'warning' | 'error';

const ICONS: Record<MessageSeverity, { id: string; color?: string }> = {
  info: { id: 'info' },
  warning: { id: 'warning', color: 'list.warningForeground' },
  error: { id: 'error', color: 'list.errorForeground' },
};

export class MessageNode extends RunwatchNode {
  constructor(
    readonly id: string,
    readonly parent: RunwatchNode | undefined,
    readonly label: string,
    readonly severity: MessageSeverity,
    readonly options: { description?: string; tooltip?: string; icon?: string; command?: vscode.Command } = {},
  ) {
    super();
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = this.options.description;
    item.tooltip = this.options.tooltip ?? this.label;
    const icon = ICONS[this.severity];
    item.iconPath = new vscode.ThemeIcon(this.options.icon ?? icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    item.contextValue = plainContext('message');
    item.command = this.options.command;
    return item;
  }
}
