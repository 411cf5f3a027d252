// The status bar's click: a quick pick of active and recently failed runs, with elapsed times. Picking one
// reveals it in the tree; a failed one also opens its error.
import * as vscode from 'vscode';
import { isActive } from '../../core/run';
import { rankActive } from '../statusBar';
import { startedAtMs } from '../tree/format';
import { registerCommand, type CommandContext } from './context';
import { runPickItem } from './pickers';
import { showError } from './showError';

/** Failures shown in the pick when they finished within this window. */
const RECENT_FAILURE_MS = 24 * 60 * 60 * 1000;

export function registerShowActiveRuns(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.showActiveRuns', vscode.l10n.t('list the runs'), async () => {
    const now = Date.now();
    const store = ctx.service.store;
    const active = rankActive(store.active());
    const failed = store
      .all()
      .filter(t => t.run.status === 'failed' && now - (Date.parse(t.run.finishedAt ?? '') || t.lastChangedAt) < RECENT_FAILURE_MS)
      .sort((a, b) => Number(a.acknowledged) - Number(b.acknowledged) || startedAtMs(b) - startedAtMs(a))
      .slice(0, 20);
    if (!active.length && !failed.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No run is active and none failed recently.'));
      return undefined;
    }
    type Item = vscode.QuickPickItem & { key?: string };
    const items: Item[] = [];
    if (active.length) items.push({ label: vscode.l10n.t('Active'), kind: vscode.QuickPickItemKind.Separator }, ...active.map(t => runPickItem(ctx, t, now)));
    if (failed.length) items.push({ label: vscode.l10n.t('Recently failed'), kind: vscode.QuickPickItemKind.Separator }, ...failed.map(t => runPickItem(ctx, t, now)));
    const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Runwatch runs'), matchOnDescription: true, matchOnDetail: true });
    if (!picked?.key) return undefined;
    const t = store.get(picked.key);
    if (!t) return undefined;
    await ctx.tree.reveal(t.key, { focus: true, expand: true });
    if (!isActive(t.run.status)) await showError(ctx, t.key);
    return t.key;
  });
}
