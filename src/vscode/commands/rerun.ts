// "Re-run": the same pipeline with the same input again, revealed in the tree.
import * as vscode from 'vscode';
import { providerOf } from './args';
import { acknowledgeFailure } from '../documents';
import { registerCommand, runTitleOf, type CommandContext } from './context';
import { runActions } from '../runActions';
import { resolveRun } from './runArgs';
import { announceStart } from './startRun';

export function registerRerun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.rerun',
    're-run',
    async (arg?: unknown) => {
      const t = await resolveRun(ctx, arg, { title: 'Re-run', filter: r => runActions(ctx.service, r).rerun, empty: 'No finished run whose inputs Runwatch knows.' });
      if (!t) return undefined;
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Re-running ${runTitleOf(ctx, t.run)}…` },
        () => ctx.service.rerun(t.key),
      );
      acknowledgeFailure(ctx.service, t.key);
      await announceStart(ctx, result, `Re-ran ${runTitleOf(ctx, t.run)}`);
      return result.run;
    },
    providerOf,
  );
}
