// A provider row: its health, and under it its accounts (or the one thing to do first: add a key).
import * as vscode from 'vscode';
import type { ProviderHealth } from '../../core/contracts';
import type { ProviderId } from '../../core/run';
import { DEFAULT_BASE_URLS } from '../../providers/provider';
import { ActionNode } from './actionNode';
import { providerContext } from './contextValue';
import { MessageNode } from './messageNode';
import { ACCOUNT_NOUN, RunwatchNode, type TreeContext } from './node';

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

export function healthSummary(health: ProviderHealth): { description?: string; icon: string; color?: string } {
  switch (health.state) {
    case 'noKey':
      return { description: 'no API key', icon: 'key' };
    case 'authFailed':
      return { description: 'key rejected', icon: 'warning', color: 'list.warningForeground' };
    case 'rateLimited':
      return { description: `rate limited until ${clock(health.until)}`, icon: 'watch', color: 'list.warningForeground' };
    case 'backoff':
      return { description: `retrying at ${clock(health.until)}`, icon: 'debug-pause', color: 'list.warningForeground' };
    case 'misconfigured':
      return { description: 'invalid base URL', icon: 'error', color: 'list.errorForeground' };
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
    const host = hasKey && url && url !== DEFAULT_BASE_URLS[this.provider]?.replace(/\/+$/, '') ? safeHost(url) : undefined;
    item.description = [summary.description, host].filter(Boolean).join(' · ') || undefined;
    item.iconPath = new vscode.ThemeIcon(summary.icon, summary.color ? new vscode.ThemeColor(summary.color) : undefined);
    item.contextValue = providerContext({
      keyed: hasKey,
      noKey: !hasKey,
      authFailed: health.state === 'authFailed',
      addAccount: hasKey && service.provider(this.provider).capabilities.addAccount !== 'none',
    });
    return item;
  }

  override resolveTooltip(): vscode.MarkdownString {
    const { service } = this.ctx;
    const health = service.health(this.provider);
    // Structure as Markdown, every value as text: a base URL or a provider message cannot become a link.
    const tooltip = new vscode.MarkdownString().appendMarkdown('**').appendText(service.displayName(this.provider)).appendMarkdown('**\n');
    const line = (label: string, value: string) => tooltip.appendMarkdown(`\n- **${label}:** `).appendText(value);
    line('Key', service.hasKey(this.provider) ? 'set (in the OS keychain)' : 'not set');
    const url = this.baseUrlOf(this.provider);
    if (url) line('Base URL', url);
    line('Polling', health.state === 'ok' ? 'normal' : health.state);
    if ('message' in health) line('Why', health.message);
    return tooltip;
  }

  override async getChildren(): Promise<RunwatchNode[]> {
    const { service } = this.ctx;
    const id = this.provider;
    const name = service.displayName(id);
    if (!service.hasKey(id)) {
      return [new ActionNode(`${this.id}:addKey`, this, { label: 'Add API key…', command: 'runwatch.setApiKey', args: [id], icon: 'key', tooltip: `Store a ${name} API key in the OS keychain` })];
    }
    const out: RunwatchNode[] = [];
    const health = service.health(id);
    switch (health.state) {
      case 'misconfigured':
        return [
          new MessageNode(`${this.id}:misconfigured`, this, health.message, 'error', {
            description: 'Open setting…',
            command: { title: 'Open Settings', command: 'workbench.action.openSettings', arguments: [`runwatch.providers.${id}.baseUrl`] },
          }),
        ];
      case 'authFailed':
        out.push(new ActionNode(`${this.id}:fixKey`, this, { label: 'Fix key…', command: 'runwatch.setApiKey', args: [id], icon: 'key', color: 'list.warningForeground', tooltip: health.message, description: `${name} rejected the key` }));
        break;
      case 'rateLimited':
      case 'backoff':
        out.push(new MessageNode(`${this.id}:health`, this, health.message, 'warning', { icon: health.state === 'rateLimited' ? 'watch' : 'debug-pause', description: `until ${clock(health.until)}` }));
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
    const noun = ACCOUNT_NOUN[id];
    if (error && health.state !== 'authFailed') {
      out.push(
        new MessageNode(`${this.id}:accountsError`, this, `Could not load ${noun}s: ${error.message}`, 'error', {
          tooltip: error.hint ? `${error.message}\n\n${error.hint}` : error.message,
          description: 'click to retry',
          command: { title: 'Retry', command: 'runwatch.refreshNode', arguments: [this] },
        }),
      );
    }
    for (const account of accounts) out.push(this.ctx.accountNode(id, account));
    const addMode = service.provider(id).capabilities.addAccount;
    if (addMode !== 'none') {
      out.push(new ActionNode(`${this.id}:addAccount`, this, { label: `Add ${noun}…`, command: 'runwatch.addAccount', args: [id], icon: 'add' }));
    } else if (!accounts.length && !error) {
      out.push(new MessageNode(`${this.id}:noAccounts`, this, `No ${noun}s`, 'info'));
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
