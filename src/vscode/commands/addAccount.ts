// "Add brand…" (Boring Marketing: created by domain) / "Add workflow…" (GloriaMundo: remembered by id).
import * as vscode from 'vscode';
import type { Account } from '../../core/ports';
import { providerOf } from './args';
import { registerCommand, withProvider, type CommandContext } from './context';
import { pickProvider } from './pickers';

/** `https://www.acme.com/path` → `www.acme.com`: the API wants a bare domain. */
export function bareDomain(input: string): string {
  return input
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/[/?#].*$/, '')
    .toLowerCase();
}

async function askCreate(noun: string): Promise<{ value: string; label?: string } | undefined> {
  const domain = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add {0}', noun),
    prompt: vscode.l10n.t('The brand’s domain, without https:// (for example acme.com)'),
    placeHolder: 'acme.com',
    ignoreFocusOut: true,
    validateInput: v => (/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(bareDomain(v)) ? undefined : vscode.l10n.t('Enter a domain such as acme.com')),
  });
  if (!domain?.trim()) return undefined;
  const value = bareDomain(domain);
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add {0}', noun),
    prompt: vscode.l10n.t('A name for the brand'),
    value: value.replace(/^www\./, '').split('.')[0].replace(/^./, c => c.toUpperCase()),
    ignoreFocusOut: true,
    validateInput: v => (v.trim() ? undefined : vscode.l10n.t('Enter a name')),
  });
  if (name === undefined) return undefined;
  return { value, label: name.trim() || value };
}

async function askById(noun: string, displayName: string): Promise<{ value: string; label?: string } | undefined> {
  const id = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add {0}', noun),
    prompt: vscode.l10n.t('The {0} {1} id', displayName, noun),
    ignoreFocusOut: true,
    validateInput: v => (v.trim() ? undefined : vscode.l10n.t('Enter the {0} id', noun)),
  });
  if (!id?.trim()) return undefined;
  const label = await vscode.window.showInputBox({ title: vscode.l10n.t('Add {0}', noun), prompt: vscode.l10n.t('A label for it (optional)'), ignoreFocusOut: true });
  if (label === undefined) return undefined;
  return { value: id.trim(), label: label.trim() || undefined };
}

export function registerAddAccount(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.addAccount',
    vscode.l10n.t('add it'),
    async (arg?: unknown): Promise<Account | undefined> => {
      const { service } = ctx;
      const provider =
        providerOf(arg, ctx.service.providers) ?? (await pickProvider(ctx, { title: vscode.l10n.t('Add Brand or Workflow'), keyed: true, filter: id => service.provider(id).capabilities.addAccount !== 'none' }));
      if (!provider) return undefined;
      const mode = service.provider(provider).capabilities.addAccount;
      const noun = service.providers.facts(provider).accountNoun;
      if (mode === 'none') {
        void vscode.window.showInformationMessage(vscode.l10n.t('{0} {1}s are listed by the API; there is nothing to add by hand.', service.displayName(provider), noun));
        return undefined;
      }
      const input = mode === 'create' ? await askCreate(noun) : await askById(noun, service.displayName(provider));
      if (!input) return undefined;
      try {
        const account = await vscode.window.withProgress({ location: { viewId: 'runwatch.runs' } }, () => service.addAccount(provider, input));
        ctx.log.info(`Added ${service.displayName(provider)} ${noun} ${account.label} (${account.id})`);
        if (account.raw?.existing === true) void vscode.window.showInformationMessage(vscode.l10n.t('{0} was already registered with {1}; it is now in the list.', account.label, service.displayName(provider)));
        await ctx.tree.revealAccount(provider, account);
        return account;
      } catch (e) {
        throw withProvider(e, provider);
      }
    },
    providerOf,
  );
}
