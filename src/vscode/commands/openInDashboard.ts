// "Open in Provider Dashboard": the provider's own page for the run, where it has one.
import * as vscode from 'vscode';
import { registerCommand, type CommandContext } from './context';
import { resolveRun } from './runArgs';

export function registerOpenInDashboard(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.openInDashboard', vscode.l10n.t('open the dashboard'), async (arg?: unknown) => {
    const t = await resolveRun(ctx, arg, { title: vscode.l10n.t('Open in Provider Dashboard'), filter: r => !!ctx.service.provider(r.run.provider).dashboardUrl?.(r.run), empty: vscode.l10n.t('No tracked run has a dashboard page.') });
    if (!t) return false;
    const url = ctx.service.provider(t.run.provider).dashboardUrl?.(t.run);
    if (!url) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no dashboard page for runs.', ctx.service.displayName(t.run.provider)));
      return false;
    }
    return vscode.env.openExternal(vscode.Uri.parse(url, true));
  });
}
