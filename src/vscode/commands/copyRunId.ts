// "Copy Run ID".
import * as vscode from 'vscode';
import { registerCommand, type CommandContext } from './context';
import { resolveRun } from './runArgs';

export function registerCopyRunId(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.copyRunId', 'copy the run id', async (arg?: unknown) => {
    const t = await resolveRun(ctx, arg, { title: 'Copy Run ID', filter: () => true, empty: 'No run is tracked.' });
    if (!t) return undefined;
    await vscode.env.clipboard.writeText(t.run.id);
    vscode.window.setStatusBarMessage(`$(copy) Copied run id ${t.run.id}`, 3000);
    return t.run.id;
  });
}
