// A result link of a finished run ("Open leavers CSV"); clicking opens it in the browser.
import * as vscode from 'vscode';
import type { RunLink } from '../../core/run';
import { plainContext } from './contextValue';
import { RunwatchNode } from './node';

export class LinkNode extends RunwatchNode {
  constructor(
    readonly id: string,
    readonly parent: RunwatchNode | undefined,
    readonly link: RunLink,
  ) {
    super();
  }

  get label(): string {
    return /^open\b/i.test(this.link.label) ? this.link.label : vscode.l10n.t('Open {0}', this.link.label);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('link-external');
    item.tooltip = this.link.url;
    item.contextValue = plainContext('link');
    item.command = { title: this.label, command: 'runwatch.openLink', arguments: [this.link.url] };
    return item;
  }
}
