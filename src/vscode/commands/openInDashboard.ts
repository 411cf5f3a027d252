// "Open in Provider Dashboard": the provider's own page for the run, where it has one.
import * as vscode from 'vscode';
import { registerCommand, type CommandContext } from './context';
import { resolveRun } from './runArgs';

export function registerOpenInDashboard(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.openInDashboard', 'open the dashboard', async (arg?: unknown) => {
    const t = await resolveRun(ctx, arg, { title: 'Open in Provider Dashboard', filter: r => !!ctx.service.provider(r.run.provider).dashboardUrl?.(r.run), empty: 'No tracked run has a dashboard page.' });
    if (!t) return false;
    const url = ctx.service.provider(t.run.provider).dashboardUrl?.(t.run);
    if (!url) {
      void vscode.window.showInformationMessage(`${ctx.service.displayName(t.run.provider)} has no dashboard page for runs.`);
      return false;
    }
    return vscode.env.openExternal(vscode.Uri.parse(url, true));
  });
}
