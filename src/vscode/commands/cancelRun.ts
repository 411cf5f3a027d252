// "Cancel Run": confirms, then asks the provider to stop the run. Providers without cancel say why.
import * as vscode from 'vscode';
import { isActive } from '../../core/run';
import type { TrackedRun } from '../../core/store';
import { providerOf } from './args';
import { registerCommand, runTitleOf, type CommandContext } from './context';
import { runActions } from '../runActions';
import { resolveRun } from './runArgs';

/** Whether the provider can cancel; if not, tells the user why and returns false. */
export function ensureCancellable(ctx: CommandContext, t: TrackedRun): boolean {
  const adapter = ctx.service.provider(t.run.provider);
  if (adapter.capabilities.cancel && adapter.cancelRun) return true;
  const name = ctx.service.displayName(t.run.provider);
  void vscode.window.showInformationMessage(vscode.l10n.t('{0} runs cannot be cancelled from Runwatch: {1}', name, adapter.capabilities.cancelUnavailableReason ?? vscode.l10n.t('the {0} API has no cancel operation.', name)));
  return false;
}

export function registerCancelRun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.cancelRun',
    vscode.l10n.t('cancel the run'),
    async (arg?: unknown) => {
      const t = await resolveRun(ctx, arg, { title: vscode.l10n.t('Cancel Run'), filter: r => runActions(ctx.service, r).cancel, empty: vscode.l10n.t('No active run can be cancelled from Runwatch.') });
      if (!t) return undefined;
      if (!isActive(t.run.status)) {
        void vscode.window.showInformationMessage(t.run.status === 'failed' ? vscode.l10n.t('That run has already failed.') : t.run.status === 'cancelled' ? vscode.l10n.t('That run has already cancelled.') : vscode.l10n.t('That run has already finished.'));
        return undefined;
      }
      if (!ensureCancellable(ctx, t)) return undefined;
      const cancelRun = vscode.l10n.t('Cancel Run');
      const confirm = await vscode.window.showWarningMessage(vscode.l10n.t('Cancel {0}?', runTitleOf(ctx, t.run)), { modal: true }, cancelRun);
      if (confirm !== cancelRun) return undefined;
      const run = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Cancelling {0}…', runTitleOf(ctx, t.run)) }, () =>
        ctx.service.cancelRun(t.key),
      );
      ctx.log.info(`Cancelled ${run.kind} ${run.id}: now ${run.status}`);
      return run;
    },
    providerOf,
  );
}
