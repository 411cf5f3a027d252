// Opens a result link ("Open leavers CSV") in the browser. Only http(s) links are opened.
import * as vscode from 'vscode';
import { registerCommand, type CommandContext } from './context';

export function registerOpenLink(ctx: CommandContext): vscode.Disposable {
  return registerCommand(ctx, 'runwatch.openLink', vscode.l10n.t('open the link'), async (arg?: unknown) => {
    const url = typeof arg === 'string' ? arg : arg && typeof arg === 'object' ? ((arg as { link?: { url?: unknown } }).link?.url ?? (arg as { url?: unknown }).url) : undefined;
    if (typeof url !== 'string') return false;
    const uri = vscode.Uri.parse(url, true);
    if (uri.scheme !== 'https' && uri.scheme !== 'http') {
      void vscode.window.showWarningMessage(vscode.l10n.t('Runwatch only opens web links, not {0}: links.', uri.scheme));
      return false;
    }
    return vscode.env.openExternal(uri);
  });
}
