// "Re-run": the same pipeline with the same input again, revealed in the tree.
import * as vscode from 'vscode';
import { isTerminal } from '../../core/run';
import { providerOf } from './args';
import { acknowledgeFailure } from '../documents';
import { registerCommand, type CommandContext } from './context';
import { resolveRun } from './runArgs';
import { announceStart, startOrTellInDoubt } from './startRun';

export function registerRerun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.rerun',
    're-run',
    async (arg?: unknown) => {
      const t = await resolveRun(ctx, arg, { title: 'Re-run', filter: r => isTerminal(r.run.status), empty: 'No finished run to re-run.' });
      if (!t) return undefined;
      // A double-clicked inline Re-run joins the first one in the service: one start request.
      const result = await startOrTellInDoubt(() =>
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Re-running ${t.run.kind} on ${ctx.accountLabel(t.run)}…` }, () =>
          ctx.service.rerun(t.key),
        ),
      );
      if (!result) return undefined;
      acknowledgeFailure(ctx.service, t.key);
      await announceStart(ctx, result, `Re-ran ${t.run.kind}`);
      return result.run;
    },
    providerOf,
  );
}
