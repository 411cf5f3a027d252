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
    'cancel and re-run',
    async (arg?: unknown) => {
      const t = await resolveRun(ctx, arg, { title: 'Cancel and Re-run', filter: r => runActions(ctx.service, r).cancelAndRerun, empty: 'No stuck run can be cancelled and re-run.' });
      if (!t) return undefined;
      if (isActive(t.run.status)) {
        if (!ensureCancellable(ctx, t)) return undefined;
        const confirm = await vscode.window.showWarningMessage(
          `Cancel the ${t.stuck ? 'stuck ' : ''}${runTitleOf(ctx, t.run)} and start it again?`,
          { modal: true },
          'Cancel and Re-run',
        );
        if (confirm !== 'Cancel and Re-run') return undefined;
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Cancelling ${runTitleOf(ctx, t.run)}…` }, () =>
          ctx.service.cancelRun(t.key),
        );
      }
      const result = await startOrTellInDoubt(() =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${runTitleOf(ctx, t.run)} again…` }, () =>
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
