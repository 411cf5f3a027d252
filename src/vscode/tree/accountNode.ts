// An account row (brand, workflow, spec, pipeline) whose children are its runs, newest first.
// Its run list is loaded from the provider the first time it is expanded; after that the store answers.
import * as vscode from 'vscode';
import { isActive, type ProviderId } from '../../core/run';
import type { Account } from '../../providers/provider';
import { ActionNode } from './actionNode';
import { accountContext } from './contextValue';
import { fieldValue, flattenFields } from './format';
import { MessageNode } from './messageNode';
import { accountNodeId, ACCOUNT_NOUN, RunwatchNode, type TreeContext } from './node';

const ACCOUNT_ICONS: Record<ProviderId, string> = {
  boringMarketing: 'organization',
  gloriaMundo: 'symbol-event',
  automindz: 'server-process',
  talonic: 'symbol-structure',
  adlyse: 'symbol-event',
};

export class AccountNode extends RunwatchNode {
  readonly id: string;

  constructor(
    private readonly ctx: TreeContext,
    readonly provider: ProviderId,
    /** Replaced when the account list is reloaded; the node object stays. */
    public account: Account,
    readonly parent: RunwatchNode | undefined,
  ) {
    super();
    this.id = accountNodeId(provider, account.id);
  }

  getTreeItem(): vscode.TreeItem {
    const service = this.ctx.service;
    const runs = service.store.forAccount(this.provider, this.account.id);
    const active = runs.filter(t => isActive(t.run.status) && !t.gone).length;
    const item = new vscode.TreeItem(this.account.label || this.account.id, active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    this.ctx.noteExpansion(this.id, !!active);
    const parts = [this.account.description, active ? `${active} active` : undefined].filter(Boolean);
    item.description = parts.join(' · ') || undefined;
    item.iconPath = new vscode.ThemeIcon(ACCOUNT_ICONS[this.provider] ?? 'symbol-event');
    item.contextValue = accountContext({ removable: service.provider(this.provider).capabilities.addAccount === 'byId' });
    return item;
  }

  override resolveTooltip(): vscode.MarkdownString {
    const noun = ACCOUNT_NOUN[this.provider];
    // Structure as Markdown, every provider value as text: nothing an API sends can become a link or markup.
    const tooltip = new vscode.MarkdownString()
      .appendMarkdown('**')
      .appendText(this.account.label)
      .appendMarkdown('** · ')
      .appendText(`${this.ctx.service.displayName(this.provider)} ${noun}`)
      .appendMarkdown('\n\n- **Id:** ')
      .appendText(this.account.id);
    for (const [key, value] of flattenFields(this.account.raw, 20)) tooltip.appendMarkdown('\n- ').appendText(`${key}: ${fieldValue(value)}`);
    return tooltip;
  }

  override async getChildren(): Promise<RunwatchNode[]> {
    const { service } = this.ctx;
    const adapter = service.provider(this.provider);
    // Like every automatic list load, none while the provider is not answering normally: a rejected key
    // (401) stops all calls until the key changes, and a Retry-After window allows none. The store's runs
    // show meanwhile; the list loads on the next render once the provider is healthy again.
    const healthy = service.health(this.provider).state === 'ok';
    if (adapter.capabilities.listRuns && service.hasKey(this.provider) && healthy && !this.ctx.runsRequested(this.provider, this.account.id)) {
      this.ctx.markRunsRequested(this.provider, this.account.id);
      await service.refreshRuns(this.provider, this.account);
    }
    const out: RunwatchNode[] = [];
    const error = service.runsError(this.provider, this.account.id);
    if (error) {
      out.push(
        new MessageNode(`${this.id}:runsError`, this, `Could not load runs: ${error.message}`, 'error', {
          tooltip: error.hint ? `${error.message}\n\n${error.hint}` : error.message,
          description: 'click to retry',
          command: { title: 'Retry', command: 'runwatch.refreshNode', arguments: [this] },
        }),
      );
    }
    for (const t of service.store.forAccount(this.provider, this.account.id)) {
      const node = this.ctx.runNode(t.key);
      if (node) out.push(node);
    }
    if (service.hasMoreRuns(this.provider, this.account.id)) {
      out.push(new ActionNode(`${this.id}:loadMore`, this, { label: 'Load more', command: 'runwatch.loadMore', args: [this], icon: 'ellipsis' }));
    }
    if (!out.length) {
      out.push(
        new MessageNode(`${this.id}:empty`, this, 'No runs yet', 'info', {
          icon: 'play',
          description: 'Start Run…',
          command: { title: 'Start Run', command: 'runwatch.startRun', arguments: [this] },
        }),
      );
    }
    return out;
  }
}
