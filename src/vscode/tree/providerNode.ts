// A provider row: its health, and under it its accounts (or the one thing to do first: add a key).
import * as vscode from 'vscode';
import type { ProviderHealth } from '../../core/contracts';
import { clockTime } from '../../core/intl';
import type { ProviderId } from '../../core/run';
import { ActionNode } from './actionNode';
import { providerContext } from './contextValue';
import { MessageNode } from './messageNode';
import { RunwatchNode, type TreeContext } from './node';

function clock(ms: number): string {
  return clockTime(ms);
}

export function healthSummary(health: ProviderHealth): { description?: string; icon: string; color?: string } {
  switch (health.state) {
    case 'noKey':
      return { description: vscode.l10n.t('no API key'), icon: 'key' };
    case 'authFailed':
      return { description: vscode.l10n.t('key rejected'), icon: 'warning', color: 'list.warningForeground' };
    case 'rateLimited':
      return { description: vscode.l10n.t('rate limited until {0}', clock(health.until)), icon: 'watch', color: 'list.warningForeground' };
    case 'backoff':
      return { description: vscode.l10n.t('retrying at {0}', clock(health.until)), icon: 'debug-pause', color: 'list.warningForeground' };
    case 'misconfigured':
      return { description: vscode.l10n.t('invalid base URL'), icon: 'error', color: 'list.errorForeground' };
    default:
      return { icon: 'cloud' };
  }
}

export class ProviderNode extends RunwatchNode {
  readonly id: string;
  readonly parent = undefined;

  constructor(
    private readonly ctx: TreeContext,
    readonly provider: ProviderId,
    /** Where the provider's base URL points when not the default (the simulator, a staging server). */
    private readonly baseUrlOf: (id: ProviderId) => string | undefined,
  ) {
    super();
    this.id = `provider:${provider}`;
  }

  getTreeItem(): vscode.TreeItem {
    const { service } = this.ctx;
    const hasKey = service.hasKey(this.provider);
    const health = service.health(this.provider);
    const summary = healthSummary(health);
    const item = new vscode.TreeItem(service.displayName(this.provider), hasKey ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const url = this.baseUrlOf(this.provider);
    const host = hasKey && url && url !== service.providers.facts(this.provider).defaultBaseUrl.replace(/\/+$/, '') ? safeHost(url) : undefined;
    item.description = [summary.description, host].filter(Boolean).join(' · ') || undefined;
    item.iconPath = new vscode.ThemeIcon(summary.icon, summary.color ? new vscode.ThemeColor(summary.color) : undefined);
    item.contextValue = providerContext({
      keyed: hasKey,
      noKey: !hasKey,
      authFailed: health.state === 'authFailed',
      addAccount: hasKey && this.ctx.capabilities(this.provider).capabilities.addAccount !== 'none',
    });
    return item;
  }

  override resolveTooltip(): vscode.MarkdownString {
    const { service } = this.ctx;
    const health = service.health(this.provider);
    // Structure as Markdown, every value as text: a base URL or a provider message cannot become a link.
    const tooltip = new vscode.MarkdownString().appendMarkdown('**').appendText(service.displayName(this.provider)).appendMarkdown('**\n');
    const line = (label: string, value: string) => tooltip.appendMarkdown(`\n- **${label}:** `).appendText(value);
    line(vscode.l10n.t('Key'), service.hasKey(this.provider) ? vscode.l10n.t('set (in the OS keychain)') : vscode.l10n.t('not set'));
    const url = this.baseUrlOf(this.provider);
    if (url) line(vscode.l10n.t('Base URL'), url);
    line(vscode.l10n.t('Polling'), health.state === 'ok' ? vscode.l10n.t('normal') : health.state);
    if ('message' in health) line(vscode.l10n.t('Why'), health.message);
    return tooltip;
  }

  override async getChildren(): Promise<RunwatchNode[]> {
    const { service } = this.ctx;
    const id = this.provider;
    const name = service.displayName(id);
    if (!service.hasKey(id)) {
      return [new ActionNode(`${this.id}:addKey`, this, { label: vscode.l10n.t('Add API key…'), command: 'runwatch.setApiKey', args: [id], icon: 'key', tooltip: vscode.l10n.t('Store a {0} API key in the OS keychain', name) })];
    }
    const out: RunwatchNode[] = [];
    const health = service.health(id);
    switch (health.state) {
      case 'misconfigured':
        return [
          new MessageNode(`${this.id}:misconfigured`, this, health.message, 'error', {
            description: vscode.l10n.t('Open setting…'),
            command: { title: vscode.l10n.t('Open Settings'), command: 'workbench.action.openSettings', arguments: [`runwatch.providers.${id}.baseUrl`] },
          }),
        ];
      case 'authFailed':
        out.push(new ActionNode(`${this.id}:fixKey`, this, { label: vscode.l10n.t('Fix key…'), command: 'runwatch.setApiKey', args: [id], icon: 'key', color: 'list.warningForeground', tooltip: health.message, description: vscode.l10n.t('{0} rejected the key', name) }));
        break;
      case 'rateLimited':
      case 'backoff':
        out.push(new MessageNode(`${this.id}:health`, this, health.message, 'warning', { icon: health.state === 'rateLimited' ? 'watch' : 'debug-pause', description: vscode.l10n.t('until {0}', clock(health.until)) }));
        break;
      default:
        break;
    }
    let accounts = service.accounts(id);
    if (!accounts) {
      try {
        accounts = await service.refreshAccounts(id);
      } catch {
        accounts = service.accounts(id) ?? [];
      }
    }
    const error = service.accountsError(id);
    const noun = service.providers.facts(id).accountNoun;
    if (error && health.state !== 'authFailed') {
      out.push(
        new MessageNode(`${this.id}:accountsError`, this, vscode.l10n.t('Could not load {0}s: {1}', noun, error.message), 'error', {
          tooltip: error.hint ? `${error.message}\n\n${error.hint}` : error.message,
          description: vscode.l10n.t('click to retry'),
          command: { title: vscode.l10n.t('Retry'), command: 'runwatch.refreshNode', arguments: [this] },
        }),
      );
    }
    for (const account of accounts) out.push(this.ctx.accountNode(id, account));
    const addMode = this.ctx.capabilities(id).capabilities.addAccount;
    if (addMode !== 'none') {
      out.push(new ActionNode(`${this.id}:addAccount`, this, { label: vscode.l10n.t('Add {0}…', noun), command: 'runwatch.addAccount', args: [id], icon: 'add' }));
    } else if (!accounts.length && !error) {
      out.push(new MessageNode(`${this.id}:noAccounts`, this, vscode.l10n.t('No {0}s', noun), 'info'));
    }
    return out;
  }
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
