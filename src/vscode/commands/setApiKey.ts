// "Runwatch: Set API Key": one quick input, provider → password box (format checked as typed, Back to the
// provider) → SecretStorage → one cheap call that says whether the key works.
import * as vscode from 'vscode';
import { isProviderError } from '../../core/errors';
import type { ProviderId } from '../../core/run';
import { describeProviderError } from '../errors';
import { providerOf } from './args';
import { registerCommand, type CommandContext } from './context';
import { askProvider } from './pickers';
import { MultiStepInput, type Step, type Validation } from '../multiStepInput';

/** What the key box says about the text in it: an impossible key blocks Enter, an unexpected prefix only warns. */
function keyValidation(ctx: CommandContext, id: ProviderId, value: string): Validation {
  if (!value.trim()) return vscode.l10n.t('Enter the key');
  const check = ctx.service.provider(id).checkKeyFormat(value.trim());
  if (check.error) return { message: check.error, severity: vscode.InputBoxValidationSeverity.Error };
  if (check.warning) return { message: check.warning, severity: vscode.InputBoxValidationSeverity.Warning };
  return undefined;
}

interface KeyState {
  provider?: ProviderId;
  /** What was typed in the key box, kept if the user goes back to change the provider (memory only). */
  typed?: string;
  key?: string;
}

/** The key step: a password box, its format checked as the user types. */
const keyStep: (ctx: CommandContext) => Step<KeyState> = ctx => async (input, s) => {
  const id = s.provider!;
  const adapter = ctx.service.provider(id);
  const answer = await input.input({
    title: vscode.l10n.t('{0} API key', ctx.service.displayName(id)),
    remaining: 0,
    prompt: adapter.keyHelp.prompt,
    placeholder: adapter.keyHelp.placeholder,
    password: true,
    value: s.typed,
    validate: value => keyValidation(ctx, id, value),
    onBack: typed => (s.typed = typed),
  });
  s.key = answer.value.trim();
  return undefined;
};

/** Tells the user whether the stored key works, with one cheap authenticated call. */
export async function validateStoredKey(ctx: CommandContext, id: ProviderId): Promise<boolean> {
  const name = ctx.service.displayName(id);
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Checking the {0} key…', name) }, () => ctx.service.provider(id).validateKey());
  } catch (e) {
    const message = isProviderError(e) ? describeProviderError(e) : String(e instanceof Error ? e.message : e);
    ctx.log.warn(`${name} key check failed: ${message}`);
    const setApiKey = vscode.l10n.t('Set API Key');
    const choice = await vscode.window.showErrorMessage(vscode.l10n.t('{0} key was saved but does not work: {1}', name, message), setApiKey);
    if (choice === setApiKey) await vscode.commands.executeCommand('runwatch.setApiKey', id);
    return false;
  }
  ctx.log.info(`${name} key works`);
  ctx.walkthrough?.keyWorks();
  void vscode.window.showInformationMessage(vscode.l10n.t('{0} key works.', name));
  return true;
}

export function registerSetApiKey(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.setApiKey',
    vscode.l10n.t('store the key'),
    async (arg?: unknown) => {
      // One quick input: provider → key ("1/2", "2/2"), with Back; just the key when the provider is given.
      const fixed = providerOf(arg, ctx.service.providers);
      const state: KeyState = { provider: fixed };
      const askKey = keyStep(ctx);
      const providerStep: Step<KeyState> = async (input, s) => {
        const picked = await askProvider(input, ctx, ctx.service.providerIds(), { title: vscode.l10n.t('Set API Key'), remaining: 1, current: s.provider });
        if (picked !== s.provider) s.typed = undefined;
        s.provider = picked;
        return askKey;
      };
      if (!(await MultiStepInput.run(fixed ? askKey : providerStep, state)) || !state.provider || !state.key) return false;
      const id = state.provider;
      const key = state.key;
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
