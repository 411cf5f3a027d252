// Read-only virtual documents under the `runwatch:` scheme: a run's error (plain text), its result (JSON) and
// Talonic data products (plain text). Contents are rendered from the store when opened and follow the run as it changes.
import * as vscode from 'vscode';
import type { RunwatchService } from '../core/contracts';
import { keyOf, runKey, type ProviderId, type Run } from '../core/run';
import type { Logger } from '../core/http';
import { dataProductDocument, errorDocument, resultDocument, type DocumentContext } from './documentText';
import { IsolatingEmitter } from './emitter';

export const SCHEME = 'runwatch';

/**
 * The user has now seen this run's failure. Only a run that has already failed can be acknowledged: looking
 * at a run while it is still going must not hide the failure that may come later.
 */
export function acknowledgeFailure(service: RunwatchService, key: string): void {
  const t = service.store.get(key);
  if (t && (t.run.status === 'failed' || t.run.status === 'cancelled')) service.store.acknowledge(key);
}

export type DocumentKind = 'error' | 'result' | 'dataProduct';

/** A run's document as Show Error / Show Result / Create Data Product opened it. */
export interface DocumentOpening {
  kind: DocumentKind;
  key: string;
  document: vscode.TextDocument;
}

export class RunDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  /** Data products created in this session: the share token lives only here, in memory. */
  private readonly products = new Map<string, { product: Record<string, unknown>; shareToken?: string }>();
  private readonly open = new Map<string, vscode.Uri>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly openings: IsolatingEmitter<DocumentOpening>;
  /** A run's document was opened (what the extension tests read). */
  readonly onDidOpenDocument: vscode.Event<DocumentOpening>;

  constructor(
    private readonly service: RunwatchService,
    private readonly accountLabel: (run: Run) => string,
    log: Pick<Logger, 'error'>,
  ) {
    this.openings = new IsolatingEmitter('document opened', log);
    this.onDidOpenDocument = this.openings.event;
    this.disposables.push(
      this.changeEmitter,
      this.openings,
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, this),
      service.store.onDidChange(change => {
        for (const key of change.keys) {
          for (const kind of ['error', 'result'] as const) {
            const uri = this.open.get(`${kind}:${key}`);
            if (uri) this.changeEmitter.fire(uri);
          }
        }
      }),
      vscode.workspace.onDidCloseTextDocument(doc => {
        if (doc.uri.scheme !== SCHEME) return;
        for (const [k, uri] of this.open) if (uri.toString() === doc.uri.toString()) this.open.delete(k);
      }),
    );
  }

  uriFor(kind: DocumentKind, run: Pick<Run, 'provider' | 'id' | 'kind'>): vscode.Uri {
    // Plain text, not Markdown: in an editor Markdown source shows its escapes (`\[2\]`, `\|`) to the reader.
    const ext = kind === 'result' ? 'json' : 'txt';
    const name = `${(run.kind || 'run').replace(/[^\w.-]+/g, '_')}-${encodeURIComponent(run.id)}`;
    return vscode.Uri.from({ scheme: SCHEME, path: `/${kind}/${run.provider}/${name}.${ext}`, query: encodeURIComponent(run.id) });
  }

  private parse(uri: vscode.Uri): { kind: DocumentKind; key: string } | undefined {
    const [, kind, provider] = uri.path.split('/');
    const id = decodeURIComponent(uri.query);
    if (!kind || !provider || !id) return undefined;
    return { kind: kind as DocumentKind, key: runKey(provider as ProviderId, id) };
  }

  private context(run: Run): DocumentContext {
    const adapter = this.service.provider(run.provider);
    return { providerName: this.service.displayName(run.provider), accountLabel: this.accountLabel(run), now: Date.now(), kindLabel: kind => adapter.kindLabel?.(kind) };
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const parsed = this.parse(uri);
    if (!parsed) return vscode.l10n.t('Runwatch: unknown document.');
    const t = this.service.store.get(parsed.key);
    if (!t) return vscode.l10n.t('Runwatch is no longer tracking this run.');
    switch (parsed.kind) {
      case 'error':
        return errorDocument(t, this.context(t.run));
      case 'result':
        return resultDocument(t, this.context(t.run));
      case 'dataProduct': {
        const product = this.products.get(parsed.key);
        return product ? dataProductDocument(t, product.product, product.shareToken, this.context(t.run)) : vscode.l10n.t('This data product was created in an earlier session; its share token is not kept.');
      }
      default:
        return vscode.l10n.t('Runwatch: unknown document.');
    }
  }

  /** Opens a run's document read-only, in a preview tab beside nothing else. */
  async show(kind: DocumentKind, key: string): Promise<vscode.TextDocument | undefined> {
    const t = this.service.store.get(key);
    if (!t) return undefined;
    const uri = this.uriFor(kind, t.run);
    this.open.set(`${kind}:${keyOf(t.run)}`, uri);
    // An already open document re-reads its content.
    this.changeEmitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    this.openings.fire({ kind, key, document: doc });
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  }

  async showDataProduct(key: string, product: Record<string, unknown>, shareToken: string | undefined): Promise<vscode.TextDocument | undefined> {
    this.products.set(key, { product, shareToken });
    return this.show('dataProduct', key);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
