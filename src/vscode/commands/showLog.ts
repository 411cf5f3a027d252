// "Show Log": the Runwatch output channel (requests, status, never a key).
import * as vscode from 'vscode';
import { registerCommand, type CommandContext } from './context';

export function registerShowLog(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.showLog', vscode.l10n.t('show the log'), () => {
    ctx.log.show(true);
    return true;
  });
}
