// "Show Result": the run's result as read-only JSON (Adlyse output labelled from its schema), with links.
import * as vscode from 'vscode';
import { acknowledgeFailure } from '../documents';
import { registerCommand, type CommandContext } from './context';
import { resolveRun } from './runArgs';

export function registerShowResult(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.showResult', vscode.l10n.t('show the result'), async (arg?: unknown) => {
    const t = await resolveRun(ctx, arg, { title: vscode.l10n.t('Show Result'), filter: r => r.run.result !== undefined || !!r.run.links?.length, empty: vscode.l10n.t('No run has a result yet.') });
    if (!t) return undefined;
    const doc = await ctx.documents.show('result', t.key);
    acknowledgeFailure(ctx.service, t.key);
    return doc;
  });
}
