// "Show Log": the Runwatch output channel (requests, status, never a key).
import type * as vscode from 'vscode';
import { registerCommand, type CommandContext } from './context';

export function registerShowLog(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.showLog', 'show the log', () => {
    ctx.log.show(true);
    return true;
  });
}
