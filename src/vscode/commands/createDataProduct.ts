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
    'create the data product',
    async (arg?: unknown) => {
      const t = await resolveRun(ctx, arg, {
        title: 'Create Data Product',
        filter: r => !!ctx.service.provider(r.run.provider).capabilities.dataProduct && isTerminal(r.run.status),
        empty: 'No finished pipeline can become a data product.',
      });
      if (!t) return undefined;
      const adapter = ctx.service.provider(t.run.provider);
      if (!adapter.capabilities.dataProduct || !adapter.createDataProduct) {
        void vscode.window.showInformationMessage(`${ctx.service.displayName(t.run.provider)} has no data products.`);
        return undefined;
      }
      if (!isTerminal(t.run.status)) {
        void vscode.window.showInformationMessage('A data product can be created once the pipeline has finished.');
        return undefined;
      }
      const docs = t.run.progress?.documents;
      if (docs && docs.completed < 1) {
        void vscode.window.showInformationMessage('A data product needs at least one completed document; this pipeline has none.');
        return undefined;
      }
      const name = await vscode.window.showInputBox({ title: 'Create Data Product', prompt: 'A name for the data product (optional)', ignoreFocusOut: true });
      if (name === undefined) return undefined;
      const created = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Creating the data product…' }, () =>
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
