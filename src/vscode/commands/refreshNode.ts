// "Refresh Item": one provider (its accounts), one account (its runs) or one run (poll it now).
import * as vscode from 'vscode';
import { accountOf, isProviderId, providerOf, runKeyOf } from './args';
import { registerCommand, type CommandContext } from './context';

export function registerRefreshNode(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.refreshNode',
    vscode.l10n.t('refresh'),
    async (arg?: unknown) => {
      const { service, tree } = ctx;
      const key = runKeyOf(arg, ctx.service.providers);
      if (key) {
        await service.refreshNow([key]);
        return true;
      }
      const account = accountOf(arg, ctx.service.providers);
      if (account) {
        await vscode.window.withProgress({ location: { viewId: 'runwatch.runs' } }, async () => {
          await service.refreshRuns(account.provider, account.account);
          tree.invalidateAccount(tree.accountNode(account.provider, account.account));
        });
        return true;
      }
      const provider = providerOf(arg, ctx.service.providers);
      if (provider && isProviderId(provider, ctx.service.providers)) {
        await vscode.window.withProgress({ location: { viewId: 'runwatch.runs' } }, () => service.refreshAccounts(provider));
        return true;
      }
      return vscode.commands.executeCommand('runwatch.refresh');
    },
    providerOf,
  );
}
