// "Runwatch: Clear API Key": removes a provider's key from SecretStorage, and the other secrets kept for that
// provider's runs (Automindz's third-party keys: without this a wrong one could never be entered again);
// polling for it stops.
import * as vscode from 'vscode';
import { providerOf } from './args';
import { registerCommand, type CommandContext } from './context';
import { pickProvider } from './pickers';

export function registerClearApiKey(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.clearApiKey', vscode.l10n.t('remove the key'), async (arg?: unknown) => {
    const id = providerOf(arg, ctx.service.providers) ?? (await pickProvider(ctx, { title: vscode.l10n.t('Clear API Key'), keyed: true, filter: p => ctx.service.hasKey(p) }));
    if (!id) return false;
    const name = ctx.service.displayName(id);
    if (!ctx.service.hasKey(id)) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No {0} key is set.', name));
      return false;
    }
    const others = ctx.vault.secretNames(id).length;
    const question = vscode.l10n.t('Remove the {0} API key? Runwatch stops polling {0} runs until a key is set again.', name);
    const message =
      others === 1
        ? vscode.l10n.t('{0} The 1 other key Runwatch keeps for {1} runs goes too; the next run asks again.', question, name)
        : others
          ? vscode.l10n.t('{0} The {1} other keys Runwatch keeps for {2} runs go too; the next run asks again.', question, others, name)
          : question;
    const removeKey = vscode.l10n.t('Remove Key');
    const confirm = await vscode.window.showWarningMessage(message, { modal: true }, removeKey);
    if (confirm !== removeKey) return false;
    await ctx.vault.deleteKey(id);
    await ctx.vault.deleteSecrets(id);
    // The last values used to start runs belong to that key's accounts.
    await ctx.presets.forget(id);
    ctx.log.info(`${name} key${others ? ` and ${others} other secret${others === 1 ? '' : 's'}` : ''} removed from SecretStorage`);
    await ctx.service.keyChanged(id);
    ctx.tree.resetProvider(id);
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} key removed.', name));
    return true;
  });
}
