// "Runwatch: Clear API Key": removes a provider's key from SecretStorage; polling for it stops.
import * as vscode from 'vscode';
import { providerOf } from './args';
import { registerCommand, type CommandContext } from './context';
import { pickProvider } from './pickers';

export function registerClearApiKey(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.clearApiKey', 'remove the key', async (arg?: unknown) => {
    const id = providerOf(arg) ?? (await pickProvider(ctx, { title: 'Clear API Key', keyed: true, filter: p => ctx.service.hasKey(p) }));
    if (!id) return false;
    const name = ctx.service.displayName(id);
    if (!ctx.service.hasKey(id)) {
      void vscode.window.showInformationMessage(`No ${name} key is set.`);
      return false;
    }
    const confirm = await vscode.window.showWarningMessage(`Remove the ${name} API key? Runwatch stops polling ${name} runs until a key is set again.`, { modal: true }, 'Remove Key');
    if (confirm !== 'Remove Key') return false;
    await ctx.vault.deleteKey(id);
    ctx.log.info(`${name} key removed from SecretStorage`);
    await ctx.service.keyChanged(id);
    ctx.tree.resetProvider(id);
    void vscode.window.showInformationMessage(`${name} key removed.`);
    return true;
  });
}
