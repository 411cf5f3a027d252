// "Remove": forget a remembered account (a GloriaMundo workflow added by id) and its tracked runs.
import * as vscode from 'vscode';
import { accountOf } from './args';
import { registerCommand, type CommandContext } from './context';

export function registerRemoveAccount(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.removeAccount', 'remove it', async (arg?: unknown) => {
    const target = accountOf(arg, ctx.service.providers);
    if (!target) return false;
    const runs = ctx.service.store.forAccount(target.provider, target.account.id).length;
    const confirm = await vscode.window.showWarningMessage(
      `Remove ${target.account.label} from Runwatch?${runs ? ` Runwatch stops tracking its ${runs} run${runs === 1 ? '' : 's'}; nothing is cancelled.` : ''}`,
      { modal: true },
      'Remove',
    );
    if (confirm !== 'Remove') return false;
    await ctx.service.removeAccount(target.provider, target.account.id);
    return true;
  });
}
