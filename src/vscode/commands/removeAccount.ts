// "Remove": forget a remembered account (a GloriaMundo workflow added by id) and its tracked runs.
import * as vscode from 'vscode';
import { accountOf } from './args';
import { registerCommand, type CommandContext } from './context';

export function registerRemoveAccount(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.removeAccount', vscode.l10n.t('remove it'), async (arg?: unknown) => {
    const target = accountOf(arg, ctx.service.providers);
    if (!target) return false;
    const runs = ctx.service.store.forAccount(target.provider, target.account.id).length;
    const remove = vscode.l10n.t('Remove');
    const confirm = await vscode.window.showWarningMessage(
      runs === 1
        ? vscode.l10n.t('Remove {0} from Runwatch? Runwatch stops tracking its 1 run; nothing is cancelled.', target.account.label)
        : runs
          ? vscode.l10n.t('Remove {0} from Runwatch? Runwatch stops tracking its {1} runs; nothing is cancelled.', target.account.label, runs)
          : vscode.l10n.t('Remove {0} from Runwatch?', target.account.label),
      { modal: true },
      remove,
    );
    if (confirm !== remove) return false;
    await ctx.service.removeAccount(target.provider, target.account.id);
    return true;
  });
}
