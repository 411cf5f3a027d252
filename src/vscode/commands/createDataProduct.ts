// "Create Data Product" (Talonic): turns a finished pipeline into a data product and shows it with its
// share token in a read-only document. The token is a secret: shown there, registered for redaction,
// never logged.
import * as vscode from 'vscode';
import { registerSecret } from '../../core/errors';
import { isTerminal } from '../../core/run';
import { providerOf } from './args';
import { registerCommand, type CommandContext } from './context';
import { resolveRun } from './runArgs';

export function registerCreateDataProduct(ctx: CommandContext): vscode.Disposable {
  return registerCommand(
    ctx,
    'runwatch.createDataProduct',
    vscode.l10n.t('create the data product'),
    async (arg?: unknown) => {
      const t = await resolveRun(ctx, arg, {
        title: vscode.l10n.t('Create Data Product'),
        filter: r => !!ctx.service.provider(r.run.provider).capabilities.dataProduct && isTerminal(r.run.status),
        empty: vscode.l10n.t('No finished pipeline can become a data product.'),
      });
      if (!t) return undefined;
      const adapter = ctx.service.provider(t.run.provider);
      if (!adapter.capabilities.dataProduct || !adapter.createDataProduct) {
        void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no data products.', ctx.service.displayName(t.run.provider)));
        return undefined;
      }
      if (!isTerminal(t.run.status)) {
        void vscode.window.showInformationMessage(vscode.l10n.t('A data product can be created once the pipeline has finished.'));
        return undefined;
      }
      const docs = t.run.progress?.documents;
      if (docs && docs.completed < 1) {
        void vscode.window.showInformationMessage(vscode.l10n.t('A data product needs at least one completed document; this pipeline has none.'));
        return undefined;
      }
      const name = await vscode.window.showInputBox({ title: vscode.l10n.t('Create Data Product'), prompt: vscode.l10n.t('A name for the data product (optional)'), ignoreFocusOut: true });
      if (name === undefined) return undefined;
      const created = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Creating the data product…') }, () =>
        adapter.createDataProduct!({ accountId: t.run.accountId, id: t.run.id, kind: t.run.kind }, name.trim() || undefined),
      );
      registerSecret(created.shareToken);
      ctx.log.info(`Created a data product from pipeline ${t.run.id}`);
      await ctx.documents.showDataProduct(t.key, created.product, created.shareToken);
      return { product: created.product, hasShareToken: !!created.shareToken };
    },
    providerOf,
  );
}
