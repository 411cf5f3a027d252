// "Load more": the next page of an account's runs (Talonic's cursor pagination).
import * as vscode from 'vscode';
import { accountOf } from './args';
import { registerCommand, type CommandContext } from './context';

export function registerLoadMore(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.loadMore', vscode.l10n.t('load more runs'), async (arg?: unknown) => {
    const target = accountOf(arg, ctx.service.providers);
    if (!target) return false;
    await vscode.window.withProgress({ location: { viewId: 'runwatch.runs' } }, () => ctx.service.refreshRuns(target.provider, target.account, { more: true }));
    // The new runs arrive through the store; the row itself may vanish when nothing more is left.
    ctx.tree.fire([ctx.tree.accountNode(target.provider, target.account)]);
    return true;
  });
}
