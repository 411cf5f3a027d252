// How a failed command tells the user: the provider's plain message (already redacted), the request id
// where there is one, and the one action that helps (set a key, or when to retry).
import * as vscode from 'vscode';
import { isProviderError, policyOf, redact, type ProviderError } from '../core/errors';
import { clockTime } from '../core/intl';
import type { Logger } from '../core/http';
import type { ProviderId } from '../core/run';
import { KeychainUnavailableError } from './secrets';

export function describeProviderError(e: ProviderError): string {
  let message = redact(e.message);
  if (e.kind === 'rateLimited') {
    if (e.retryAfterMs !== undefined) {
      const at = clockTime(Date.now() + e.retryAfterMs);
      message = vscode.l10n.t('{0} Try again in {1} s (after {2}).', message, Math.ceil(e.retryAfterMs / 1000), at);
    } else {
      message = vscode.l10n.t('{0} Try again in a minute.', message);
    }
  }
  if (e.hint && !message.includes(e.hint)) message += ` ${redact(e.hint)}`;
  if (e.requestId) message = vscode.l10n.t('{0} (request id {1})', message, e.requestId);
  return message;
}

/** Shows an error from a command. Never throws. */
export async function reportError(e: unknown, options: { log: Logger; action: string; provider?: ProviderId }): Promise<void> {
  if (isProviderError(e)) {
    const message = describeProviderError(e);
    const show = policyOf(e.kind).show;
    if (show === 'bug') {
      options.log.error(`${options.action} failed: ${message}`);
      await vscode.window.showErrorMessage(vscode.l10n.t('{0} Please report it.', message));
      return;
    }
    options.log.warn(`${options.action} failed: ${message}`);
    if (show === 'setKey' && options.provider) {
      const setApiKey = vscode.l10n.t('Set API Key');
      const choice = await vscode.window.showErrorMessage(message, setApiKey);
      if (choice === setApiKey) await vscode.commands.executeCommand('runwatch.setApiKey', options.provider);
      return;
    }
    if (show === 'warning') {
      await vscode.window.showWarningMessage(message);
      return;
    }
    await vscode.window.showErrorMessage(message);
    return;
  }
  const text = e instanceof KeychainUnavailableError ? e.message : vscode.l10n.t('Runwatch could not {0}: {1}', options.action, redact(e instanceof Error ? e.message : String(e)));
  options.log.error(text);
  await vscode.window.showErrorMessage(text);
}
