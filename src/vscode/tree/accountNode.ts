// An account row (brand, workflow, spec, pipeline) whose children are its runs, newest first.
// Its run list is loaded from the provider the first time it is expanded; after that the store answers.
import * as vscode from 'vscode';
import { mayListUnasked } from '../../core/health';
import { isActive, type ProviderId } from '../../core/run';
import type { Account } from '../../core/ports';
import { ActionNode } from './actionNode';
import { accountContext } from './contextValue';
import { fieldValue, flattenFields } from './format';
import { MessageNode } from './messageNode';
import { accountNodeId, RunwatchNode, type TreeContext } from './node';

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
    const parts = [this.account.description, active ? vscode.l10n.t('{0} active', active) : undefined].filter(Boolean);
    item.description = parts.join(' · ') || undefined;
    item.iconPath = new vscode.ThemeIcon(service.providers.facts(this.provider).icon);
    item.contextValue = accountContext({ removable: this.ctx.capabilities(this.provider).capabilities.addAccount === 'byId' });
    return item;
  }

  override resolveTooltip(): vscode.MarkdownString {
    const noun = this.ctx.service.providers.facts(this.provider).accountNoun;
    // Structure as Markdown, every provider value as text: nothing an API sends can become a link or markup.
    const tooltip = new vscode.MarkdownString()
      .appendMarkdown('**')
      .appendText(this.account.label)
      .appendMarkdown('** · ')
      .appendText(vscode.l10n.t('{0} {1}', this.ctx.service.displayName(this.provider), noun))
      .appendMarkdown(`\n\n- **${vscode.l10n.t('Id')}:** `)
      .appendText(this.account.id);
    for (const [key, value] of flattenFields(this.account.raw, 20)) tooltip.appendMarkdown('\n- ').appendText(`${key}: ${fieldValue(value)}`);
    return tooltip;
  }

  override async getChildren(): Promise<RunwatchNode[]> {
    const { service } = this.ctx;
    const { capabilities } = this.ctx.capabilities(this.provider);
    // The rule of every automatic list load (mayListUnasked): none while a rejected key (401) stops all calls
    // or a pause runs. The store's runs show meanwhile; the list loads on the next render once the pause is over.
    const mayList = mayListUnasked(service.health(this.provider), Date.now());
    if (capabilities.listRuns && service.hasKey(this.provider) && mayList && !this.ctx.runsRequested(this.provider, this.account.id)) {
      this.ctx.markRunsRequested(this.provider, this.account.id);
      await service.refreshRuns(this.provider, this.account);
    }
    const out: RunwatchNode[] = [];
    const error = service.runsError(this.provider, this.account.id);
    if (error) {
      out.push(
        new MessageNode(`${this.id}:runsError`, this, vscode.l10n.t('Could not load runs: {0}', error.message), 'error', {
          tooltip: error.hint ? `${error.message}\n\n${error.hint}` : error.message,
          description: vscode.l10n.t('click to retry'),
          command: { title: vscode.l10n.t('Retry'), command: 'runwatch.refreshNode', arguments: [this] },
        }),
      );
    }
    for (const t of service.store.forAccount(this.provider, this.account.id)) {
      const node = this.ctx.runNode(t.key);
      if (node) out.push(node);
    }
    if (service.hasMoreRuns(this.provider, this.account.id)) {
      out.push(new ActionNode(`${this.id}:loadMore`, this, { label: vscode.l10n.t('Load more'), command: 'runwatch.loadMore', args: [this], icon: 'ellipsis' }));
    }
    if (!out.length) {
      out.push(
        new MessageNode(`${this.id}:empty`, this, vscode.l10n.t('No runs yet'), 'info', {
          icon: 'play',
          description: vscode.l10n.t('Start Run…'),
          command: { title: vscode.l10n.t('Start Run'), command: 'runwatch.startRun', arguments: [this] },
        }),
      );
    }
    return out;
  }
}
