// The quick picks commands share: provider, account, run. Built on window.showQuickPick/showInputBox so
// extension tests can answer them.
import * as vscode from 'vscode';
import { formatDuration } from '../../core/eta';
import { isActive, type ProviderId } from '../../core/run';
import type { TrackedRun } from '../../core/store';
import type { Account } from '../../providers/provider';
import { ACCOUNT_NOUN } from '../tree/node';
import { progressText, runIcon, startedAtMs } from '../tree/format';
import { runLabelOf, type CommandContext } from './context';

interface ProviderItem extends vscode.QuickPickItem {
  id: ProviderId;
}

/** Providers by display name; `keyed` limits the list to those with a key. */
export async function pickProvider(ctx: CommandContext, options: { title: string; keyed?: boolean; filter?: (id: ProviderId) => boolean }): Promise<ProviderId | undefined> {
  const ids = ctx.service.providerIds().filter(id => (!options.keyed || ctx.service.hasKey(id)) && (!options.filter || options.filter(id)));
  if (!ids.length) {
    const choice = await vscode.window.showInformationMessage('No provider has an API key yet.', 'Set API Key');
    if (choice === 'Set API Key') await vscode.commands.executeCommand('runwatch.setApiKey');
    return undefined;
  }
  if (ids.length === 1 && options.keyed) return ids[0];
  const items: ProviderItem[] = ids.map(id => ({ id, label: ctx.service.displayName(id), description: ctx.service.hasKey(id) ? 'key set' : undefined }));
  const picked = await vscode.window.showQuickPick(items, { title: options.title, placeHolder: 'Provider', ignoreFocusOut: true });
  return picked?.id;
}

interface AccountItem extends vscode.QuickPickItem {
  account?: Account;
  action?: 'add' | 'typed';
}

/**
 * An account of the provider. `allowTyped` offers "Enter an id…" (tracking a run under an account not
 * listed); `allowAdd` offers "Add brand…" where the provider allows adding.
 */
export async function pickAccount(
  ctx: CommandContext,
  provider: ProviderId,
  options: { title: string; allowTyped?: boolean; allowAdd?: boolean },
): Promise<Account | undefined> {
  const { service } = ctx;
  const accounts = service.accounts(provider) ?? (await service.refreshAccounts(provider));
  const loadError = service.accountsError(provider);
  if (loadError && !accounts.length) throw loadError;
  const noun = ACCOUNT_NOUN[provider];
  const canAdd = options.allowAdd && service.provider(provider).capabilities.addAccount !== 'none';
  const items: AccountItem[] = accounts.map(a => ({ label: a.label || a.id, description: a.description ?? (a.label && a.label !== a.id ? a.id : undefined), account: a }));
  if (canAdd) items.push({ label: `$(add) Add ${noun}…`, action: 'add', alwaysShow: true });
  if (options.allowTyped) items.push({ label: `$(edit) Enter a ${noun} id…`, action: 'typed', alwaysShow: true });
  if (!items.length) {
    void vscode.window.showInformationMessage(`${service.displayName(provider)} has no ${noun}s yet.`);
    return undefined;
  }
  const picked = items.length === 1 && items[0].account ? items[0] : await vscode.window.showQuickPick(items, { title: options.title, placeHolder: `${service.displayName(provider)} ${noun}`, ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.account) return picked.account;
  if (picked.action === 'add') return (await vscode.commands.executeCommand<Account | undefined>('runwatch.addAccount', provider)) ?? undefined;
  const typed = await vscode.window.showInputBox({
    title: options.title,
    prompt: `${service.displayName(provider)} ${noun} id`,
    ignoreFocusOut: true,
    validateInput: v => (v.trim() ? undefined : `Enter the ${noun} id`),
  });
  return typed?.trim() ? { provider, id: typed.trim(), label: typed.trim() } : undefined;
}

interface RunItem extends vscode.QuickPickItem {
  key?: string;
}

/** A one-line description of a run for quick picks: progress and elapsed time. */
export function runPickItem(ctx: CommandContext, t: TrackedRun, now: number): RunItem {
  const icon = runIcon(t).id;
  const finished = Date.parse(t.run.finishedAt ?? '') || t.lastChangedAt;
  const timing = isActive(t.run.status) ? `${t.run.status} for ${formatDuration(now - startedAtMs(t))}` : `${t.run.status} ${formatDuration(now - finished)} ago`;
  return {
    key: t.key,
    label: `$(${icon}) ${ctx.accountLabel(t.run)} · ${runLabelOf(ctx, t.run)}`,
    description: [progressText(t.run.progress), timing].filter(Boolean).join(' · '),
    detail: t.run.error?.message ?? `${ctx.service.displayName(t.run.provider)} · ${t.run.id}`,
  };
}

/** A tracked run matching `filter`; picked at once when there is only one. */
export async function pickRun(ctx: CommandContext, options: { title: string; filter: (t: TrackedRun) => boolean; empty: string }): Promise<string | undefined> {
  const now = Date.now();
  const runs = ctx.service.store
    .all()
    .filter(options.filter)
    .sort((a, b) => startedAtMs(b) - startedAtMs(a))
    .slice(0, 200);
  if (!runs.length) {
    void vscode.window.showInformationMessage(options.empty);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    runs.map(t => runPickItem(ctx, t, now)),
    { title: options.title, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true },
  );
  return picked?.key;
}
