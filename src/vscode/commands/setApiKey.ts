// "Runwatch: Set API Key": provider → password box (format checked) → SecretStorage → one cheap call that
// says whether the key works.
import * as vscode from 'vscode';
import { isProviderError } from '../../core/errors';
import type { ProviderId } from '../../core/run';
import { describeProviderError } from '../errors';
import { providerOf } from './args';
import { registerCommand, type CommandContext } from './context';
import { pickProvider } from './pickers';

export async function askForKey(ctx: CommandContext, id: ProviderId): Promise<string | undefined> {
  const adapter = ctx.service.provider(id);
  const name = ctx.service.displayName(id);
  const key = await vscode.window.showInputBox({
    title: `${name} API key`,
    prompt: adapter.keyHelp.prompt,
    placeHolder: adapter.keyHelp.placeholder,
    password: true,
    ignoreFocusOut: true,
    validateInput: value => {
      const check = adapter.checkKeyFormat(value.trim());
      if (!value.trim()) return 'Enter the key';
      if (check.error) return { message: check.error, severity: vscode.InputBoxValidationSeverity.Error };
      if (check.warning) return { message: check.warning, severity: vscode.InputBoxValidationSeverity.Warning };
      return undefined;
    },
  });
  const trimmed = key?.trim();
  if (!trimmed) return undefined;
  // The box may be answered without running validation (tests, some input methods): check again.
  const check = adapter.checkKeyFormat(trimmed);
  if (check.error) {
    void vscode.window.showErrorMessage(check.error);
    return undefined;
  }
  return trimmed;
}

/** Tells the user whether the stored key works, with one cheap authenticated call. */
export async function validateStoredKey(ctx: CommandContext, id: ProviderId): Promise<boolean> {
  const name = ctx.service.displayName(id);
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking the ${name} key…` }, () => ctx.service.provider(id).validateKey());
  } catch (e) {
    const message = isProviderError(e) ? describeProviderError(e) : String(e instanceof Error ? e.message : e);
    ctx.log.warn(`${name} key check failed: ${message}`);
    const choice = await vscode.window.showErrorMessage(`${name} key was saved but does not work: ${message}`, 'Set API Key');
    if (choice === 'Set API Key') await vscode.commands.executeCommand('runwatch.setApiKey', id);
    return false;
  }
  ctx.log.info(`${name} key works`);
  ctx.walkthrough?.keyWorks();
  void vscode.window.showInformationMessage(`${name} key works.`);
  return true;
}

export function registerSetApiKey(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.setApiKey',
    'store the key',
    async (arg?: unknown) => {
      const id = providerOf(arg) ?? (await pickProvider(ctx, { title: 'Set API Key' }));
      if (!id) return false;
      const key = await askForKey(ctx, id);
      if (!key) return false;
      const format = ctx.service.provider(id).checkKeyFormat(key);
      if (format.warning) ctx.log.warn(`${ctx.service.displayName(id)}: ${format.warning}`);
      await ctx.vault.setKey(id, key);
      ctx.log.info(`${ctx.service.displayName(id)} key stored in SecretStorage`);
      await ctx.service.keyChanged(id);
      ctx.tree.resetProvider(id);
      return validateStoredKey(ctx, id);
    },
    providerOf,
  );
}
