// "Runwatch: Clear API Key": removes a provider's key from SecretStorage, and the other secrets kept for that
// provider's runs (Automindz's third-party keys: without this a wrong one could never be entered again);
// polling for it stops.
import * as vscode from 'vscode';
import { providerOf } from './args';
import { registerCommand, type CommandContext } from './context';
import { pickProvider } from './pickers';

export function registerClearApiKey(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.clearApiKey', 'remove the key', async (arg?: unknown) => {
    const id = providerOf(arg, ctx.service.providers) ?? (await pickProvider(ctx, { title: 'Clear API Key', keyed: true, filter: p => ctx.service.hasKey(p) }));
    if (!id) return false;
    const name = ctx.service.displayName(id);
    if (!ctx.service.hasKey(id)) {
      void vscode.window.showInformationMessage(`No ${name} key is set.`);
      return false;
    }
    const others = ctx.vault.secretNames(id).length;
    const alsoOthers = others ? ` The ${others} other key${others === 1 ? '' : 's'} Runwatch keeps for ${name} runs ${others === 1 ? 'goes' : 'go'} too; the next run asks again.` : '';
    const confirm = await vscode.window.showWarningMessage(`Remove the ${name} API key? Runwatch stops polling ${name} runs until a key is set again.${alsoOthers}`, { modal: true }, 'Remove Key');
    if (confirm !== 'Remove Key') return false;
    await ctx.vault.deleteKey(id);
    await ctx.vault.deleteSecrets(id);
    // The last values used to start runs belong to that key's accounts.
    await ctx.presets.forget(id);
    ctx.log.info(`${name} key${others ? ` and ${others} other secret${others === 1 ? '' : 's'}` : ''} removed from SecretStorage`);
    await ctx.service.keyChanged(id);
    ctx.tree.resetProvider(id);
    void vscode.window.showInformationMessage(`${name} key removed.`);
    return true;
  });
}
