// "Refresh" (view title): poll every active run now and reload the lists the user has opened.
import * as vscode from 'vscode';
import { registerCommand, type CommandContext } from './context';

export function registerRefresh(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.refresh', vscode.l10n.t('refresh'), async () => {
    const { service } = ctx;
    await vscode.window.withProgress({ location: { viewId: 'runwatch.runs' } }, async () => {
      const keyed = service.providerIds().filter(id => service.hasKey(id));
      await Promise.all([service.refreshNow(), ...keyed.map(id => service.refreshAccounts(id).catch(() => undefined))]);
      // Runs lists reload as their accounts render again.
      ctx.tree.refreshAll();
    });
    return true;
  });
}
