// "Re-run": the same pipeline with the same input again, revealed in the tree.
import * as vscode from 'vscode';
import { providerOf } from './args';
import { acknowledgeFailure } from '../documents';
import { registerCommand, runTitleOf, type CommandContext } from './context';
import { runActions } from '../runActions';
import { resolveRun } from './runArgs';
import { announceStart, startOrTellInDoubt } from './startRun';

export function registerRerun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.rerun',
    vscode.l10n.t('re-run'),
    async (arg?: unknown) => {
      const t = await resolveRun(ctx, arg, { title: vscode.l10n.t('Re-run'), filter: r => runActions(ctx.service, r).rerun, empty: vscode.l10n.t('No finished run whose inputs Runwatch knows.') });
      if (!t) return undefined;
      // A double-clicked inline Re-run joins the first one in the service: one start request.
      const result = await startOrTellInDoubt(() =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Re-running {0}…', runTitleOf(ctx, t.run)) }, () =>
          ctx.service.rerun(t.key),
        ),
      );
      if (!result) return undefined;
      acknowledgeFailure(ctx.service, t.key);
      await announceStart(ctx, result, `Re-ran ${runTitleOf(ctx, t.run)}`);
      return result.run;
    },
    providerOf,
  );
}
