// "Cancel and Re-run", offered for stuck runs: stop the run whose stage stopped moving, start it again.
import * as vscode from 'vscode';
import { isActive } from '../../core/run';
import { providerOf } from './args';
import { ensureCancellable } from './cancelRun';
import { registerCommand, runLabelOf, runTitleOf, type CommandContext } from './context';
import { runActions } from '../runActions';
import { resolveRun } from './runArgs';
import { announceStart, startOrTellInDoubt } from './startRun';

export function registerCancelAndRerun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.cancelAndRerun',
    vscode.l10n.t('cancel and re-run'),
    async (arg?: unknown) => {
      const t = await resolveRun(ctx, arg, { title: vscode.l10n.t('Cancel and Re-run'), filter: r => runActions(ctx.service, r).cancelAndRerun, empty: vscode.l10n.t('No stuck run can be cancelled and re-run.') });
      if (!t) return undefined;
      if (isActive(t.run.status)) {
        if (!ensureCancellable(ctx, t)) return undefined;
        const cancelAndRerun = vscode.l10n.t('Cancel and Re-run');
        const confirm = await vscode.window.showWarningMessage(
          t.stuck ? vscode.l10n.t('Cancel the stuck {0} and start it again?', runTitleOf(ctx, t.run)) : vscode.l10n.t('Cancel the {0} and start it again?', runTitleOf(ctx, t.run)),
          { modal: true },
          cancelAndRerun,
        );
        if (confirm !== cancelAndRerun) return undefined;
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Cancelling {0}…', runTitleOf(ctx, t.run)) }, () =>
          ctx.service.cancelRun(t.key),
        );
      }
      const result = await startOrTellInDoubt(() =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Starting {0} again…', runTitleOf(ctx, t.run)) }, () =>
          ctx.service.rerun(t.key),
        ),
      );
      if (!result) return undefined;
      await announceStart(ctx, result, `Re-ran ${runTitleOf(ctx, t.run)} after cancelling ${runLabelOf(ctx, t.run)}`);
      return result.run;
    },
    providerOf,
  );
}
