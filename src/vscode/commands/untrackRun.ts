// "Stop Tracking": forget a run (it is not cancelled).
import * as vscode from 'vscode';
import { registerCommand, type CommandContext } from './context';
import { resolveRun } from './runArgs';

export function registerUntrackRun(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.untrackRun', vscode.l10n.t('stop tracking the run'), async (arg?: unknown) => {
    const t = await resolveRun(ctx, arg, { title: vscode.l10n.t('Stop Tracking'), filter: r => r.pinned || r.gone, empty: vscode.l10n.t('No tracked run.') });
    if (!t) return false;
    ctx.service.untrack(t.key);
    ctx.log.info(`Stopped tracking ${t.run.provider} run ${t.run.id}`);
    return true;
  });
}
