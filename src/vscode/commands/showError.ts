// "Show Error": a read-only document with the message, where it failed, per-document errors, times and
// what to do next. Opening it counts as having seen the failure (the status bar's error look clears).
import * as vscode from 'vscode';
import { acknowledgeFailure } from '../documents';
import { registerCommand, type CommandContext } from './context';
import { resolveRun } from './runArgs';

export async function showError(ctx: CommandContext, key: string): Promise<vscode.TextDocument | undefined> {
  const doc = await ctx.documents.show('error', key);
  acknowledgeFailure(ctx.service, key);
  return doc;
}

export function registerShowError(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.showError', vscode.l10n.t('show the error'), async (arg?: unknown) => {
    const t = await resolveRun(ctx, arg, {
      title: vscode.l10n.t('Show Error'),
      filter: r => !!r.run.error || r.run.status === 'failed' || r.stale || r.gone,
      empty: vscode.l10n.t('No run has an error.'),
    });
    if (!t) return undefined;
    return showError(ctx, t.key);
  });
}
