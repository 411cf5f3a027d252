// The quick picks commands share: provider, account, run. The provider and account steps are steps of a
// MultiStepInput flow (createQuickPick), the run pick a plain showQuickPick; extension tests answer both.
import * as vscode from 'vscode';
import { formatDuration } from '../../core/eta';
import { isActive, type ProviderId } from '../../core/run';
import type { TrackedRun } from '../../core/store';
import type { Account } from '../../core/ports';
import { UNFILED_ACCOUNT_ID } from '../../core/unfiled';
import { FlowCancelled, MultiStepInput } from '../multiStepInput';
import { progressText, runIcon, startedAtMs, statusWord } from '../tree/format';
import { runLabelOf, type CommandContext } from './context';

interface ProviderItem extends vscode.QuickPickItem {
  id: ProviderId;
}

export interface ProviderChoice {
  title: string;
  /** Only providers with a key. */
  keyed?: boolean;
  filter?: (id: ProviderId) => boolean;
}

/**
 * The providers a command may use, by display name. None: the user is told to set a key first (and offered
 * to), and undefined is returned.
 */
export async function providerChoices(ctx: CommandContext, options: ProviderChoice): Promise<ProviderId[] | undefined> {
  const ids = ctx.service.providerIds().filter(id => (!options.keyed || ctx.service.hasKey(id)) && (!options.filter || options.filter(id)));
  if (ids.length) return ids;
  const setApiKey = vscode.l10n.t('Set API Key');
  const choice = await vscode.window.showInformationMessage(vscode.l10n.t('No provider has an API key yet.'), setApiKey);
  if (choice === setApiKey) await vscode.commands.executeCommand('runwatch.setApiKey');
  return undefined;
}

/** The provider step of a flow: taken without asking when only one keyed provider can be meant. */
export async function askProvider(input: MultiStepInput, ctx: CommandContext, ids: ProviderId[], options: ProviderChoice & { remaining: number; current?: ProviderId }): Promise<ProviderId> {
  const items: ProviderItem[] = ids.map(id => ({ id, label: ctx.service.displayName(id), description: ctx.service.hasKey(id) ? vscode.l10n.t('key set') : undefined }));
  const picked = await input.pick({
    title: options.title,
    remaining: options.remaining,
    placeholder: vscode.l10n.t('Provider'),
    items,
    active: list => list.find(i => i.id === options.current),
    auto: list => (list.length === 1 && options.keyed ? list[0] : undefined),
  });
  return picked.id;
}

/** Providers by display name, as a quick input of its own; `keyed` limits the list to those with a key. */
export async function pickProvider(ctx: CommandContext, options: ProviderChoice): Promise<ProviderId | undefined> {
  const ids = await providerChoices(ctx, options);
  if (!ids) return undefined;
  let chosen: ProviderId | undefined;
  await MultiStepInput.run(async input => {
    chosen = await askProvider(input, ctx, ids, { ...options, remaining: 0 });
    return undefined;
  }, {});
  return chosen;
}

interface AccountItem extends vscode.QuickPickItem {
  account?: Account;
  action?: 'add' | 'typed';
}

export interface AccountChoice {
  title: string;
  /** Steps after this one, for the step count. */
  remaining: number;
  /** Offers "Enter a brand id…" (tracking a run under an account not listed). */
  allowTyped?: boolean;
  /** Offers "Add brand…" where the provider allows adding. */
  allowAdd?: boolean;
  /** The account chosen last time through this step (Back), highlighted. */
  current?: Account;
}

/**
 * The account step of a flow: the provider's accounts (the quick pick is busy while they load), taken without
 * asking when there is only one and nothing else to offer. Runs tracked without an account are no account to
 * start on, so that group is not offered.
 */
export async function askAccount(input: MultiStepInput, ctx: CommandContext, provider: ProviderId, options: AccountChoice): Promise<Account> {
  const { service } = ctx;
  const noun = service.providers.facts(provider).accountNoun;
  const canAdd = options.allowAdd && service.provider(provider).capabilities.addAccount !== 'none';
  const load = async (): Promise<AccountItem[]> => {
    const accounts = (service.accounts(provider) ?? (await service.refreshAccounts(provider))).filter(a => a.id !== UNFILED_ACCOUNT_ID);
    const loadError = service.accountsError(provider);
    if (loadError && !accounts.length) throw loadError;
    const items: AccountItem[] = accounts.map(a => ({ label: a.label || a.id, description: a.description ?? (a.label && a.label !== a.id ? a.id : undefined), account: a }));
    if (canAdd) items.push({ label: `$(add) ${vscode.l10n.t('Add {0}…', noun)}`, action: 'add', alwaysShow: true });
    if (options.allowTyped) items.push({ label: `$(edit) ${vscode.l10n.t('Enter a {0} id…', noun)}`, action: 'typed', alwaysShow: true });
    if (!items.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no {1}s yet.', service.displayName(provider), noun));
      throw new FlowCancelled();
    }
    return items;
  };
  const picked = await input.pick({
    title: options.title,
    remaining: options.remaining,
    placeholder: `${service.displayName(provider)} ${noun}`,
    items: load(),
    active: list => list.find(i => i.account && i.account.id === options.current?.id),
    auto: list => (list.length === 1 && list[0].account ? list[0] : undefined),
  });
  if (picked.account) return picked.account;
  if (picked.action === 'add') {
    const added = await vscode.commands.executeCommand<Account | undefined>('runwatch.addAccount', provider);
    if (!added) throw new FlowCancelled();
    return added;
  }
  const typed = await input.input({
    title: options.title,
    remaining: options.remaining,
    prompt: vscode.l10n.t('{0} {1} id', service.displayName(provider), noun),
    value: options.current && !service.accounts(provider)?.some(a => a.id === options.current?.id) ? options.current.id : undefined,
    validate: v => (v.trim() ? undefined : vscode.l10n.t('Enter the {0} id', noun)),
  });
  const id = typed.value.trim();
  return service.accounts(provider)?.find(a => a.id === id) ?? { provider, id, label: id };
}

interface RunItem extends vscode.QuickPickItem {
  key?: string;
}

/** A one-line description of a run for quick picks: progress and elapsed time. */
export function runPickItem(ctx: CommandContext, t: TrackedRun, now: number): RunItem {
  const icon = runIcon(t).id;
  const finished = Date.parse(t.run.finishedAt ?? '') || t.lastChangedAt;
  const timing = isActive(t.run.status) ? vscode.l10n.t('{0} for {1}', statusWord(t.run.status), formatDuration(now - startedAtMs(t))) : vscode.l10n.t('{0} {1} ago', statusWord(t.run.status), formatDuration(now - finished));
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
