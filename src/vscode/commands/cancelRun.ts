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
  void vscode.window.showInformationMessage(`${name} runs cannot be cancelled from Runwatch: ${adapter.capabilities.cancelUnavailableReason ?? `the ${name} API has no cancel operation.`}`);
  return false;
}

export function registerCancelRun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.cancelRun',
    'cancel the run',
    async (arg?: unknown) => {
      const t = await resolveRun(ctx, arg, { title: 'Cancel Run', filter: r => runActions(ctx.service, r).cancel, empty: 'No active run can be cancelled from Runwatch.' });
      if (!t) return undefined;
      if (!isActive(t.run.status)) {
        void vscode.window.showInformationMessage(`That run has already ${t.run.status === 'succeeded' ? 'finished' : t.run.status}.`);
        return undefined;
      }
      if (!ensureCancellable(ctx, t)) return undefined;
      const confirm = await vscode.window.showWarningMessage(`Cancel ${runTitleOf(ctx, t.run)}?`, { modal: true }, 'Cancel Run');
      if (confirm !== 'Cancel Run') return undefined;
      const run = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Cancelling ${runTitleOf(ctx, t.run)}…` }, () =>
        ctx.service.cancelRun(t.key),
      );
      ctx.log.info(`Cancelled ${run.kind} ${run.id}: now ${run.status}`);
      return run;
    },
    providerOf,
  );
}
