// A clickable row that does one thing: "Add API key…", "Fix key…", "Add brand…", "Load more", "Show result".
import * as vscode from 'vscode';
import { plainContext } from './contextValue';
import { RunwatchNode } from './node';

export interface ActionSpec {
  label: string;
  command: string;
  args?: unknown[];
  icon: string;
  description?: string;
  tooltip?: string;
  /** Theme color for the icon. */
  color?: string;
}

export class ActionNode extends RunwatchNode {
  constructor(
    readonly id: string,
    readonly parent: RunwatchNode | undefined,
    readonly spec: ActionSpec,
  ) {
    super();
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.spec.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = this.spec.description;
    item.tooltip = this.spec.tooltip;
    item.iconPath = new vscode.ThemeIcon(this.spec.icon, this.spec.color ? new vscode.ThemeColor(this.spec.color) : undefined);
    item.contextValue = plainContext('action');
    item.command = { title: this.spec.label, command: this.spec.command, arguments: this.spec.args ?? [] };
    return item;
  }
}
