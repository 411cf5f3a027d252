// "Copy Run ID".
import * as vscode from 'vscode';
import { registerCommand, type CommandContext } from './context';
import { resolveRun } from './runArgs';

export function registerCopyRunId(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.copyRunId', vscode.l10n.t('copy the run id'), async (arg?: unknown) => {
    const t = await resolveRun(ctx, arg, { title: vscode.l10n.t('Copy Run ID'), filter: () => true, empty: vscode.l10n.t('No run is tracked.') });
    if (!t) return undefined;
    await vscode.env.clipboard.writeText(t.run.id);
    vscode.window.setStatusBarMessage(`$(copy) ${vscode.l10n.t('Copied run id {0}', t.run.id)}`, 3000);
    return t.run.id;
  });
}
